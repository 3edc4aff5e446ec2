// Programs: several section types, an autoload-off '?' section, two programs in one
// section (ordered by offset), a global function in .text (a subprogram, not a program).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

int prog_hits;

__attribute__((noinline)) int lib_global_func(int x)
{
	return x + 1;
}

SEC("tp/syscalls/sys_enter_getpid")
int handle_getpid(void *ctx)
{
	prog_hits = lib_global_func(prog_hits);
	return 0;
}

SEC("?tp/syscalls/sys_enter_getppid")
int handle_optional(void *ctx)
{
	prog_hits++;
	return 0;
}

SEC("xdp")
int xdp_second_in_section_b(struct xdp_md *ctx)
{
	return XDP_PASS + lib_global_func(0) - 1;
}

SEC("xdp")
int xdp_first_in_section_a(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("raw_tp/sys_enter")
int raw_tp_prog(void *ctx)
{
	return 0;
}

SEC("kprobe/do_nanosleep")
int kprobe_prog(void *ctx)
{
	return 0;
}

SEC("perf_event")
int perf_prog(void *ctx)
{
	return 0;
}

SEC("socket")
int socket_prog(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
