// Kconfig externs of mixed sizes/alignments; libbpf lays them out by
// (alignment desc, size asc, name) and the subskeleton keeps their modifiers.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern const char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern unsigned long long CONFIG_HZ __kconfig __weak;
extern int CONFIG_NOT_A_REAL_OPTION __kconfig __weak;
extern bool CONFIG_ANOTHER_MISSING_BOOL __kconfig __weak;

int kconfig_out;

SEC("tp/syscalls/sys_enter_getpid")
int kconfig_prog(void *ctx)
{
	kconfig_out = LINUX_KERNEL_VERSION + CONFIG_BPF_SYSCALL + CONFIG_DEFAULT_HOSTNAME[0] +
		      (int)CONFIG_HZ + CONFIG_NOT_A_REAL_OPTION + CONFIG_ANOTHER_MISSING_BOOL;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
