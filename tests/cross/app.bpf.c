#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int lib_record(__u32 size);

SEC("socket")
int app_prog(struct __sk_buff *skb)
{
	return lib_record(skb->len);
}

char LICENSE[] SEC("license") = "GPL";
