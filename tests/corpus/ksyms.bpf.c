// __ksym variables (and a kfunc): .ksyms never becomes a map or a struct.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

extern const int bpf_prog_active __ksym;
extern const void bpf_link_fops __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym; /* kfuncs: clang >= 14 */
extern void bpf_rcu_read_unlock(void) __ksym;

long long ksym_seen;

SEC("tp/syscalls/sys_enter_getpid")
int ksyms_prog(void *ctx)
{
	bpf_rcu_read_lock();
	ksym_seen = (long long)&bpf_prog_active + (long long)&bpf_link_fops;
	bpf_rcu_read_unlock();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
