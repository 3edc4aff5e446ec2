// `.rodata.data` next to `.data`: bpftool's strstr turns both into `data` (B2); the
// identifiers must be `rodata_data` and `data`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

int plain_data = 1;
const volatile int ro_data_var SEC(".rodata.data") = 2;
int data_data_var SEC(".data.data") = 3;

SEC("tp/syscalls/sys_enter_getpid")
int rodata_data_prog(void *ctx)
{
	plain_data += ro_data_var + data_data_var;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
