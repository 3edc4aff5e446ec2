/* A final object with a static variable named like a library global in the same
 * section: linked first, libbpf binds the library's subskeleton to it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(__u32 len);
static volatile __u64 packets;

SEC("xdp")
int xdp_shadow(struct xdp_md *ctx)
{
	packets++;
	counters_record(ctx->data_end - ctx->data);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
