/* Unchanged libbpf-bootstrap-style code: it calls what `bpftool gen skeleton
 * minimal.bpf.o > minimal.skel.h` declares, and bpfsubskel's skeleton declares the same. */
#include <stdio.h>
#include <unistd.h>
#include "minimal.skel.h"

int main(void)
{
	struct minimal_bpf *skel;
	int err;

	skel = minimal_bpf__open();
	if (!skel || !skel->bss) {
		fprintf(stderr, "Failed to open BPF skeleton\n");
		return 1;
	}
	skel->bss->my_pid = getpid();

	err = minimal_bpf__load(skel);
	if (!err)
		err = minimal_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "Failed to load and attach BPF skeleton: %d\n", err);
		minimal_bpf__destroy(skel);
		return 1;
	}
	for (int i = 0; i < 100; i++)
		getppid();
	printf("syscalls seen: %llu\n", skel->bss->count);
	err = skel->bss->count >= 100 ? 0 : 1;
	minimal_bpf__destroy(skel);
	return err;
}
