/* Loads the final object, lets the library count this process's syscalls, prints them. */
#include <stdio.h>
#include <unistd.h>
#include "syscalls.skel.h"

int counters_configure(struct bpf_object *obj, unsigned int tgid, unsigned int every);
int counters_print(struct bpf_object *obj);

int main(void)
{
	struct syscalls_bpf *skel = syscalls_bpf__open();
	int i;

	if (!skel || counters_configure(skel->obj, getpid(), 10)) {
		perror("open");
		return 1;
	}
	if (syscalls_bpf__load(skel) || syscalls_bpf__attach(skel)) {
		perror("load/attach (needs root)");
		return 1;
	}
	for (i = 0; i < 100; i++)
		getppid();
	syscalls_bpf__detach(skel);
	counters_print(skel->obj);
	syscalls_bpf__destroy(skel);
	return 0;
}
