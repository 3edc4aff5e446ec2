// EXPECTED TO FAIL: a BTF map named `kconfig` collides with the `.kconfig` map (B2).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, int);
} kconfig SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int map_kconfig_prog(void *ctx)
{
	int key = 0;

	bpf_map_lookup_elem(&kconfig, &key);
	return LINUX_KERNEL_VERSION;
}

char LICENSE[] SEC("license") = "GPL";
