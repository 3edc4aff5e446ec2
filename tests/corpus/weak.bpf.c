// __weak globals (no strong override in this object) next to strong ones.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

int strong_data = 1;
__weak int weak_data = 2;                      /* .data, weak */
__weak int weak_bss;                           /* .bss, weak */
__weak const volatile int weak_ro = 3;         /* .rodata, weak */
int weak_custom SEC(".data.weak") __weak = 4;  /* .data.weak */

SEC("tp/syscalls/sys_enter_getpid")
int weak_prog(void *ctx)
{
	weak_bss = strong_data + weak_data + weak_ro + weak_custom;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
