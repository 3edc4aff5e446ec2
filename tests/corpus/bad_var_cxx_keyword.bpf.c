// EXPECTED TO FAIL: a global named like a C++ keyword would make the header invalid C++.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int this_is_fine = 1;
int delete = 2;

SEC("tp/syscalls/sys_enter_getpid")
int keyword_prog(void *ctx)
{
	return this_is_fine + delete;
}

char LICENSE[] SEC("license") = "GPL";
