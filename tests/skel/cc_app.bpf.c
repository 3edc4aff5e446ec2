// The application part of a final object that links cc_ops.bpf.c as a library.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int app_runs;

SEC("syscall")
int app_prog(void *ctx)
{
	app_runs++;
	return 0;
}
