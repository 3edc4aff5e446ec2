/* Final object: an XDP program counting packets and bytes with the counters library. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(__u32 size);

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	counters_record(ctx->data_end - ctx->data);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
