/* The final object's own programs: an XDP program scoring packets with the library's
 * lib_score(), and a raw tracepoint counting this test's own syscalls (auto-attached). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int lib_score(__u32 len);

const volatile __u32 min_score;	/* .rodata */
int target_pid = -1;		/* .data: set after load */
__u64 last_score;		/* .bss */
__u64 syscalls_seen;		/* .bss */

SEC("xdp")
int xdp_meter(struct xdp_md *ctx)
{
	int score = lib_score(ctx->data_end - ctx->data);

	last_score = score;
	return score >= (int)min_score ? XDP_PASS : XDP_DROP;
}

SEC("raw_tp/sys_enter")
int count_syscalls(void *ctx)
{
	if ((int)(bpf_get_current_pid_tgid() >> 32) == target_pid)
		__sync_fetch_and_add(&syscalls_seen, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
