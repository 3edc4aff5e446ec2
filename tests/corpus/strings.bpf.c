// String literals held in pointers: clang puts them in .rodata.str1.1, a data map
// without a BTF DATASEC (bpftool <= 7.0 / Debian 7.1 print nothing at all: B1).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

const char *greeting = "hello from a BPF library";
const char *farewell = "goodbye";
int str_len_out;

SEC("tp/syscalls/sys_enter_getpid")
int strings_prog(void *ctx)
{
	const char *s = str_len_out ? greeting : farewell;

	str_len_out = s[0] + s[1];
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
