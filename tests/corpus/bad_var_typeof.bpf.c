// EXPECTED TO FAIL: a global named 'typeof' (a C23 or GNU C keyword) would make the header invalid.
// typeof is a keyword in GNU C and C23, an identifier in ISO C11 (bpf_helpers.h needs
// GNU C's asm, so SEC is defined here):
// bpf-cflags: -std=c11
#define SEC(name) __attribute__((section(name), used))

int this_is_fine = 1;
int typeof = 2;

SEC("tp/syscalls/sys_enter_getpid")
int keyword_prog(void *ctx)
{
	return this_is_fine + typeof;
}

char LICENSE[] SEC("license") = "GPL";
