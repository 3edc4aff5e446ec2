/* skel->arena: the object's initial values after open, written before load, shared
 * with the program after load in both directions. */
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "arena.skel.h"

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); return 1; } while (0)

static int run(struct arena *skel)
{
	struct bpf_test_run_opts opts;

	memset(&opts, 0, sizeof(opts)); /* not LIBBPF_OPTS: clang++ 19 -Wextra rejects it */
	opts.sz = sizeof(opts);
	return bpf_prog_test_run_opts(bpf_program__fd(skel->progs.bump), &opts) || opts.retval;
}

int main(void)
{
	struct arena *skel = arena__open();

	if (!skel)
		FAIL("open failed");
	if (!skel->arena)
		FAIL("skel->arena is NULL after open");
	if (skel->arena->counter != 5 || skel->arena->from_user != 1 || skel->arena->result)
		FAIL("initial values: %d %ld %ld", skel->arena->counter, skel->arena->from_user,
		     skel->arena->result);
	skel->arena->counter = 7;
	skel->arena->from_user = 20;
	if (arena__load(skel))
		FAIL("load failed");
	if (!skel->arena || skel->arena->counter != 7)
		FAIL("value written before load lost");
	if (run(skel))
		FAIL("first run failed");
	printf("counter=%d result=%ld\n", skel->arena->counter, skel->arena->result);
	skel->arena->from_user = 50;
	if (run(skel))
		FAIL("second run failed");
	printf("counter=%d result=%ld\n", skel->arena->counter, skel->arena->result);
	arena__destroy(skel);
	return 0;
}
