// EXPECTED TO FAIL: a BTF map named `data` collides with the `.data` section's map (B2).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, int);
} data SEC(".maps");

int some_data = 1;

SEC("tp/syscalls/sys_enter_getpid")
int map_data_prog(void *ctx)
{
	int key = 0;

	bpf_map_lookup_elem(&data, &key);
	return some_data;
}

char LICENSE[] SEC("license") = "GPL";
