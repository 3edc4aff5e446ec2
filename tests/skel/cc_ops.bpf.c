// A TCP congestion control as a struct_ops map (bpftool >= 7.5 skeleton API).
// Build with -DCC_NAME='"name"' (unique per test run: names are system-wide) and
// -DOPS_SEC='".struct_ops.link"' (libbpf >= 1.2) or '".struct_ops"' (any libbpf).
// Only the members used are declared: libbpf matches members by name against the
// kernel's BTF.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sock;

struct tcp_congestion_ops {
	unsigned int (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, unsigned int ack, unsigned int acked);
	unsigned int (*undo_cwnd)(struct sock *sk);
	unsigned int flags;
	char name[16];
};

int cc_calls;

SEC("struct_ops/cc_ssthresh")
unsigned int cc_ssthresh(unsigned long long *ctx)
{
	cc_calls++;
	return 2;
}

SEC("struct_ops/cc_cong_avoid")
void cc_cong_avoid(unsigned long long *ctx)
{
	cc_calls++;
}

SEC("struct_ops/cc_undo_cwnd")
unsigned int cc_undo_cwnd(unsigned long long *ctx)
{
	return 2;
}

SEC(OPS_SEC)
struct tcp_congestion_ops cc = {
	.ssthresh = (void *)cc_ssthresh,
	.cong_avoid = (void *)cc_cong_avoid,
	.undo_cwnd = (void *)cc_undo_cwnd,
	.name = CC_NAME,
};

char LICENSE[] SEC("license") = "GPL";
