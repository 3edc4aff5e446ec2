/* libbpf-bootstrap's "minimal", on a raw tracepoint: counts one process's syscalls. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

int my_pid = 0;
unsigned long long count = 0;

SEC("raw_tp/sys_enter")
int handle_sys_enter(void *ctx)
{
	int pid = bpf_get_current_pid_tgid() >> 32;

	if (pid != my_pid)
		return 0;
	__sync_fetch_and_add(&count, 1);
	return 0;
}
