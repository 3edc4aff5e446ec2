/* Final object: counts the syscalls of one process with the counters library. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(__u32 size);

SEC("raw_tp/sys_enter")
int count_syscalls(void *ctx)
{
	counters_record(1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
