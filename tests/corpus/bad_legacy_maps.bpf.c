// EXPECTED TO FAIL: the legacy SEC("maps") map definitions (rejected by libbpf >= 1.0).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_map_def legacy SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(int),
	.value_size = sizeof(int),
	.max_entries = 1,
};

SEC("tp/syscalls/sys_enter_getpid")
int legacy_prog(void *ctx)
{
	int key = 0;

	bpf_map_lookup_elem(&legacy, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
