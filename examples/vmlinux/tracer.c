// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Loads tracer.bpf.o through its skeleton, makes a few system calls, and checks what
 * the CO-RE reads saw: this process's parent and name. Exit 0 when they are right. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "tracer.skel.h"

int main(void)
{
	struct tracer_bpf *skel = tracer_bpf__open();
	int ok, i;

	if (!skel) {
		perror("tracer_bpf__open");
		return 1;
	}
	skel->rodata->target_tgid = getpid();
	if (tracer_bpf__load(skel) || tracer_bpf__attach(skel)) {
		perror("loading or attaching tracer.bpf.o");
		tracer_bpf__destroy(skel);
		return 1;
	}
	for (i = 0; i < 3; i++)
		syscall(SYS_getppid);
	ok = skel->bss->seen > 0 && skel->bss->parent_tgid == getppid() &&
	     strncmp(skel->bss->comm, "tracer", 6) == 0;
	printf("syscalls seen: %d, parent: %d (expected %d), comm: %.16s\n", skel->bss->seen,
	       skel->bss->parent_tgid, (int)getppid(), skel->bss->comm);
	tracer_bpf__destroy(skel);
	return ok ? 0 : 1;
}
