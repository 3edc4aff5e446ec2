// EXPECTED TO FAIL: a BTF map named `rodata_data` collides with `.rodata.data`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, int);
} rodata_data SEC(".maps");

const volatile int knob SEC(".rodata.data") = 1;

SEC("tp/syscalls/sys_enter_getpid")
int map_rodata_data_prog(void *ctx)
{
	int key = 0;

	bpf_map_lookup_elem(&rodata_data, &key);
	return knob;
}

char LICENSE[] SEC("license") = "GPL";
