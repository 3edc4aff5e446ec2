// EXPECTED TO FAIL: a global named 'typeof_unqual' (a C23 or GNU C keyword) would make the header invalid.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int this_is_fine = 1;
int typeof_unqual = 2;

SEC("tp/syscalls/sys_enter_getpid")
int keyword_prog(void *ctx)
{
	return this_is_fine + typeof_unqual;
}

char LICENSE[] SEC("license") = "GPL";
