/* Loads the final object, lets the library count this process's syscalls, prints them. */
#include <stdio.h>
#include <unistd.h>
#include "syscalls.skel.h"

int counters_configure(struct bpf_object *obj, unsigned int tgid, unsigned int every);
int counters_print(struct bpf_object *obj);

int main(void)
{
	struct syscalls *skel = syscalls__open();
	int i;

	if (!skel || counters_configure(skel->obj, getpid(), 10)) {
		perror("open");
		return 1;
	}
	if (syscalls__load(skel) || syscalls__attach(skel)) {
		perror("load/attach (needs root)");
		return 1;
	}
	for (i = 0; i < 100; i++)
		getppid();
	syscalls__detach(skel);
	counters_print(skel->obj);
	syscalls__destroy(skel);
	return 0;
}
