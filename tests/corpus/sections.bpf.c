// One global (or more) in every kind of data section libbpf turns into a map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

int data_int = 1;                                    /* .data */
volatile long long data_volatile = 2;                /* .data, volatile stripped */
const volatile int ro_knob = 3;                      /* .rodata */
const volatile char ro_name[16] = "rodata";          /* .rodata, array */
int bss_counter;                                     /* .bss */
long long bss_total;                                 /* .bss */
int custom_val SEC(".data.custom") = 4;              /* .data.custom */
int custom_arr[3] SEC(".data.custom") = {1, 2, 3};
const volatile int ro_custom SEC(".rodata.custom") = 5; /* .rodata.custom */
int dash_val SEC(".data.my-sec") = 6;                /* sanitized to data_my_sec */
int long_name_val SEC(".data.a_very_long_section_name") = 7; /* > 15 characters */

SEC("tp/syscalls/sys_enter_getpid")
int sections_prog(void *ctx)
{
	bss_counter += data_int + ro_knob + ro_name[0] + custom_val + custom_arr[1] +
		       ro_custom + dash_val + long_name_val;
	bss_total += data_volatile;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
