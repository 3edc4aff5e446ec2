/*
 * A BPF library for the harness tests: counts packets and bytes.
 * -DNO_VAR, -DNO_MAP, -DNO_PROG build "an older library" lacking one symbol;
 * -DNARROW_BYTES builds one whose `bytes` counter is 32 bits wide.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 min_len = 0;
__weak __u32 verbosity SEC(".data") = 1;
__u32 generation SEC(".data") = 7;
__u64 packets;
#ifndef NO_VAR
__u64 dropped;
#endif
#ifdef NARROW_BYTES
__u32 bytes;
#else
__u64 bytes;
#endif

#ifndef NO_MAP
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} last_len SEC(".maps");
#endif

__attribute__((noinline)) int counters_record(__u32 len)
{
	if (len < min_len) {
#ifndef NO_VAR
		dropped++;
#endif
		return 0;
	}
	packets++;
	bytes += len;
#ifndef NO_MAP
	{
		__u32 zero = 0;
		__u64 value = len;

		bpf_map_update_elem(&last_len, &zero, &value, BPF_ANY);
	}
#endif
	return 1;
}

#ifndef NO_PROG
/* The library's own program: every final object that links the library has it. */
SEC("socket")
int counters_probe(struct __sk_buff *skb)
{
	counters_record(skb->len);
	return 0;
}
#endif
