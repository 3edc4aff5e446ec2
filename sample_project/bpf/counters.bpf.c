/*
 * The counters BPF library: counts events (and their sizes) of one process. Final
 * objects call counters_record(); userspace configures and reads it through the
 * library's subskeleton, whatever final object it is linked into.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "counters_config.h"
#include "counters_types.h"
#include "counters_defaults.h"

/* Configuration, set through the subskeleton before load. 0: every process. */
const volatile __u32 target_tgid;
const volatile __u32 min_size = COUNTERS_DEFAULT_MIN_SIZE;

/* Totals, read through the subskeleton after load. */
__u64 events;
__u64 bytes;
__u32 next_slot;
struct counters_last last_event;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, COUNTERS_RECENT_SLOTS);
} recent SEC(".maps");

__attribute__((noinline)) int counters_record(__u32 size)
{
	__u32 slot;
	__u64 value = size;

	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	if (size < min_size)
		return 0;
	__sync_fetch_and_add(&events, 1);
	__sync_fetch_and_add(&bytes, size);
	slot = next_slot++ % COUNTERS_RECENT_SLOTS; /* approximate under concurrency */
	bpf_map_update_elem(&recent, &slot, &value, BPF_ANY);
	last_event.size = size;
	last_event.slot = slot;
	return 1;
}

/* The library's own program, in every final object: lets its tests feed it packets. */
SEC("socket")
int counters_probe(struct __sk_buff *skb)
{
	counters_record(skb->len);
	return 0;
}
