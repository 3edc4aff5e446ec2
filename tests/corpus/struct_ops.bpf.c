// A struct_ops map: listed in `maps` like any BTF map; its programs are programs.
// The ops type is declared here (a minimal tcp_congestion_ops): opening the object
// needs only the object's own BTF, the kernel's type is matched at load time.
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

int ops_calls;

SEC("struct_ops/corpus_ssthresh")
unsigned int corpus_ssthresh(unsigned long long *ctx)
{
	ops_calls++;
	return 2;
}

SEC("struct_ops/corpus_cong_avoid")
void corpus_cong_avoid(unsigned long long *ctx)
{
	ops_calls++;
}

SEC("struct_ops/corpus_undo_cwnd")
unsigned int corpus_undo_cwnd(unsigned long long *ctx)
{
	return 2;
}

SEC(".struct_ops")
struct tcp_congestion_ops corpus_cc = {
	.ssthresh = (void *)corpus_ssthresh,
	.cong_avoid = (void *)corpus_cong_avoid,
	.undo_cwnd = (void *)corpus_undo_cwnd,
	.name = "corpus_cc",
};

char LICENSE[] SEC("license") = "GPL";
