/* Another final object: a raw tracepoint counting syscalls, and its own globals. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int counters_record(__u32 len);
__u64 app_events;
const volatile int app_pid;

SEC("raw_tp/sys_enter")
int tp_count(void *ctx)
{
	if ((int)(bpf_get_current_pid_tgid() >> 32) == app_pid) {
		app_events++;
		counters_record(1);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
