// __arena globals (clang >= 19, libbpf >= 1.5): userspace reaches them through
// skel->arena, a SEC("syscall") program through the arena map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __arena __attribute__((address_space(1)))

struct {
	__uint(type, 33 /* BPF_MAP_TYPE_ARENA: not in Debian 12's linux/bpf.h */);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2); /* pages */
} arena SEC(".maps");

int __arena counter = 5;
long __arena from_user = 1;
long __arena result;
int plain = 3;

SEC("syscall")
int bump(void *ctx)
{
	counter += 10;
	result = from_user * 2 + plain;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
