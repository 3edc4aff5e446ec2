/* Drops packets shorter than min_len, set from userspace through the skeleton. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 min_len;
__u64 packets_seen;
__u64 packets_passed;

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	packets_seen++;
	if (len < min_len)
		return XDP_DROP;
	packets_passed++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
