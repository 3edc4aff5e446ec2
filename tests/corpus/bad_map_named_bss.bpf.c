// EXPECTED TO FAIL: a BTF map named `bss` collides with the `.bss` section's map (B2).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, int);
} bss SEC(".maps");

int zeroed;

SEC("tp/syscalls/sys_enter_getpid")
int map_bss_prog(void *ctx)
{
	int key = 0;

	bpf_map_lookup_elem(&bss, &key);
	return zeroed++;
}

char LICENSE[] SEC("license") = "GPL";
