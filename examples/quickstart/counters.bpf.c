/* A small BPF library: counts events of one process. Linked into final objects. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Configuration, set from userspace through the subskeleton before load. */
const volatile __u32 target_tgid;
const volatile __u32 sample_every = 1;

/* Results, read from userspace through the subskeleton after load. */
__u64 events_seen;
__u64 events_sampled;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} last_seen_ns SEC(".maps");

/* Called by the final object's programs. */
__attribute__((noinline)) int counters_record(void)
{
	__u32 zero = 0;
	__u64 now;

	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	events_seen++;
	if (events_seen % sample_every == 0) {
		events_sampled++;
		now = bpf_ktime_get_ns();
		bpf_map_update_elem(&last_seen_ns, &zero, &now, BPF_ANY);
	}
	return 1;
}
