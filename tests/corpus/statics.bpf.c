// Static globals, function-local statics, __hidden globals and a statics-only section:
// none of them is visible to a subskeleton (libbpf >= 1.1 rules).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

#ifndef __hidden
#define __hidden __attribute__((visibility("hidden")))
#endif

int visible_global = 1;                        /* .data: the only public var there */
static volatile int static_global = 2;         /* .data, static: excluded */
__hidden int hidden_global = 3;                /* .data, hidden: excluded */
__hidden int hidden_bss;                       /* .bss holds only a hidden global */
static volatile int only_static SEC(".data.only_static") = 4; /* statics-only section */
static volatile int only_static2 SEC(".data.only_static") = 5;
int visible_custom SEC(".data.mixed") = 6;
static volatile int static_custom SEC(".data.mixed") = 7;

static __attribute__((noinline)) int helper(int x)
{
	static volatile int calls;             /* function-local static: helper.calls */

	calls++;
	return x + calls;
}

SEC("tp/syscalls/sys_enter_getpid")
int statics_prog(void *ctx)
{
	static volatile int local_counter = 10; /* statics_prog.local_counter */

	local_counter++;
	hidden_bss++;
	return helper(visible_global + static_global + hidden_global + only_static +
		      only_static2 + visible_custom + static_custom + local_counter);
}

char LICENSE[] SEC("license") = "GPL";
