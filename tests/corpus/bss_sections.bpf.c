// .bss.* sections (libbpf >= 1.1), including one longer than 15 characters (B4).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

int plain_bss;
int custom_bss SEC(".bss.custom");
long long custom_bss2 SEC(".bss.custom");
int long_bss SEC(".bss.a_very_long_bss_section");

SEC("tp/syscalls/sys_enter_getpid")
int bss_prog(void *ctx)
{
	plain_bss++;
	custom_bss++;
	custom_bss2 += 2;
	long_bss++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
