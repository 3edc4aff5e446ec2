// EXPECTED TO FAIL: `.data.a-b` and `.data.a_b` both sanitize to `data_a_b` (B2).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int dash_var SEC(".data.a-b") = 1;
int under_var SEC(".data.a_b") = 2;

SEC("tp/syscalls/sys_enter_getpid")
int collide_prog(void *ctx)
{
	return dash_var + under_var;
}

char LICENSE[] SEC("license") = "GPL";
