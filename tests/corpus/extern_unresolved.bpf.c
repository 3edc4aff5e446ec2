// A library not yet linked with its providers (B6): an extern variable and an extern
// map. bpftool refuses it; bpfsubskel binds the map by name at runtime and leaves the
// variable out (listed in a comment).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

extern int provided_elsewhere;

extern struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, int);
	__type(value, int);
} shared_map SEC(".maps");

int own_var = 1;

SEC("tp/syscalls/sys_enter_getpid")
int extern_prog(void *ctx)
{
	int key = provided_elsewhere + own_var;

	bpf_map_lookup_elem(&shared_map, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
