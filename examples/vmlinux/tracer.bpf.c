// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A CO-RE program in the style of libbpf-bootstrap: kernel types come from vmlinux.h,
 * which the build generates from the running kernel's BTF (bpfsubskel vmlinux). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

const volatile int target_tgid = 0;

int seen = 0;
int parent_tgid = 0;
long last_syscall = -1;
char comm[16] = {};

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (BPF_CORE_READ(task, tgid) != target_tgid)
		return 0;
	parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_core_read_str(comm, sizeof(comm), &task->comm);
	last_syscall = id;
	__sync_fetch_and_add(&seen, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
