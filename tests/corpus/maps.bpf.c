// BTF-defined maps of several types, next to internal data maps.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, int);
	__type(value, struct pair);
} hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, long long);
} array_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring_buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} perf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u64);
	__type(value, __u32);
} lru_map SEC(".maps");

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, int);
} inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, int);
	__array(values, struct inner_map);
} outer_map SEC(".maps") = {
	.values = { [0] = &inner },
};

int map_data_var = 1;

SEC("tp/syscalls/sys_enter_getpid")
int maps_prog(void *ctx)
{
	__u32 key = 0;
	long long *v = bpf_map_lookup_elem(&array_map, &key);

	if (v)
		*v += map_data_var;
	bpf_map_lookup_elem(&hash_map, &key);
	bpf_map_lookup_elem(&percpu_map, &key);
	bpf_map_lookup_elem(&lru_map, &key);
	bpf_map_lookup_elem(&outer_map, &key);
	bpf_ringbuf_output(&ring_buf, &key, sizeof(key), 0);
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &key, sizeof(key));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
