/* A BPF library built for another machine: its byte order and __TARGET_ARCH_ show in it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "events.h"

#if defined(__TARGET_ARCH_x86)
#define ARCH "x86"
#elif defined(__TARGET_ARCH_arm64)
#define ARCH "arm64"
#elif defined(__TARGET_ARCH_s390)
#define ARCH "s390"
#elif defined(__TARGET_ARCH_riscv)
#define ARCH "riscv"
#elif defined(__TARGET_ARCH_powerpc)
#define ARCH "powerpc"
#else
#error "no __TARGET_ARCH_"
#endif

const volatile char built_for[16] = "arch=" ARCH;
const volatile __u32 magic = 0x01020304;
struct event last_event;
__u64 events;

__attribute__((noinline)) int lib_record(__u32 size)
{
	last_event.size = size;
	last_event.when = bpf_ktime_get_ns();
	__sync_fetch_and_add(&events, 1);
	return 0;
}
