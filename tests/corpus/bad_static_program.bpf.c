// EXPECTED TO FAIL: libbpf rejects static programs in SEC() sections.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_getpid")
__attribute__((used)) static int static_prog(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
