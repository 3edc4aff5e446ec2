/* A final object overriding the library's __weak `verbosity` default. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(__u32 len);
__u32 verbosity SEC(".data") = 3;

SEC("xdp")
int xdp_verbose(struct xdp_md *ctx)
{
	counters_record(ctx->data_end - ctx->data + verbosity);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
