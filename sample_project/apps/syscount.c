/* syscount [N]: counts this process's syscalls while it makes N getppid() calls. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "counters.h"
#include "syscalls.skel.h"

int main(int argc, char **argv)
{
	int calls = argc > 1 ? atoi(argv[1]) : 1000, i;
	struct counters_totals totals;
	struct syscalls_bpf *skel = syscalls_bpf__open();

	if (!skel || counters_configure(skel->obj, (unsigned int)getpid(), 0)) {
		perror("open");
		return 1;
	}
	if (syscalls_bpf__load(skel) || syscalls_bpf__attach(skel)) {
		perror("load/attach (needs root)");
		syscalls_bpf__destroy(skel);
		return 1;
	}
	for (i = 0; i < calls; i++)
		getppid();
	syscalls_bpf__detach(skel);
	if (counters_read(skel->obj, &totals)) {
		perror("read");
		return 1;
	}
	printf("syscalls counted: %llu (made %d getppid calls)\n", totals.events, calls);
	syscalls_bpf__destroy(skel);
	return 0;
}
