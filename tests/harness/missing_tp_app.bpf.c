/* A final object that loads but cannot attach: its raw tracepoint does not exist. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(__u32 len);

SEC("raw_tp/bpfsubskel_no_such_tracepoint")
int tp_missing(void *ctx)
{
	counters_record(1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
