/* A final object the verifier rejects: its own program reads a map value without
 * checking the lookup for NULL. Linking is fine; loading it must fail. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(__u32 len);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} seen SEC(".maps");

SEC("xdp")
int xdp_unchecked(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u64 *count = bpf_map_lookup_elem(&seen, &len);

	counters_record(len);
	return *count ? XDP_PASS : XDP_DROP; /* no NULL check */
}

char LICENSE[] SEC("license") = "GPL";
