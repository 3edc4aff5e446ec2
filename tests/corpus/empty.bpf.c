// No globals, no maps: just one program (and the license).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

SEC("tp/syscalls/sys_enter_getpid")
int only_prog(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
