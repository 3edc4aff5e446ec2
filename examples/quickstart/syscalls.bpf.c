/* A final BPF object: counts the syscalls of one process with the counters library. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(void);

SEC("raw_tp/sys_enter")
int count_syscalls(void *ctx)
{
	counters_record();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
