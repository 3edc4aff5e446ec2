/* A final object linked with an old library build that lacks `dropped`, and with a
 * static of that name of its own: libbpf binds the library's subskeleton to it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(__u32 len);
static volatile __u64 dropped;

SEC("xdp")
int xdp_stale(struct xdp_md *ctx)
{
	if (!counters_record(ctx->data_end - ctx->data))
		dropped++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
