/* A final object: an XDP program counting packets with the counters library. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(__u32 len);

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	counters_record(ctx->data_end - ctx->data);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
