/* A BPF library for the light-skeleton tests: globals in every data section, a map and
 * a global function, linked into lskel_app.bpf.o by `bpfsubskel link`. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 lib_bias;	/* .rodata: set through the skeleton before load */
__u64 lib_scale = 1;		/* .data: written through the skeleton after load */
__u64 lib_calls;		/* .bss: read back by userspace */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lib_last SEC(".maps");

__attribute__((noinline)) int lib_score(__u32 len)
{
	__u32 key = 0;
	__u64 score = len * lib_scale + lib_bias;

	lib_calls++;
	bpf_map_update_elem(&lib_last, &key, &score, BPF_ANY);
	return (int)score;
}
