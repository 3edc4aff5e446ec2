// A library with globals and a map but no programs (only a .text subprogram).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

int lib_state = 1;
const volatile int lib_config = 2;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, int);
} lib_map SEC(".maps");

__attribute__((noinline)) int lib_api(int x)
{
	int key = 0;
	int *v = bpf_map_lookup_elem(&lib_map, &key);

	return x + lib_state + lib_config + (v ? *v : 0);
}

char LICENSE[] SEC("license") = "GPL";
