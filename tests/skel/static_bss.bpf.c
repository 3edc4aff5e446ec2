// .bss holds only a static variable: not mmapable (libbpf >= 1.1), yet the skeleton
// has `bss` as bpftool with older libbpf (and Debian 12's bpftool 7.1) emits it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static volatile int hits;
int visible = 1;

SEC("syscall")
int count(void *ctx)
{
	hits++;
	visible += hits;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
