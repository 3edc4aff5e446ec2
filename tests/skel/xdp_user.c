/* xdp_user MIN_LEN PACKET_LEN: runs xdp_filter 3 times on one packet through
 * bpf_prog_test_run_opts and prints the verdict and the counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "xdp_filter.skel.h"

int main(int argc, char **argv)
{
	char packet[1500];
	struct xdp_filter *skel;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .repeat = 3);

	if (argc != 3)
		return 2;
	memset(packet, 0xab, sizeof(packet));
	opts.data_size_in = (unsigned int)atoi(argv[2]);
	skel = xdp_filter__open();
	if (!skel)
		return 1;
	skel->rodata->min_len = (unsigned int)atoi(argv[1]);
	if (xdp_filter__load(skel)) {
		perror("load");
		return 1;
	}
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_filter), &opts)) {
		perror("test_run");
		return 1;
	}
	printf("retval=%u\nseen=%llu\npassed=%llu\n", opts.retval,
	       (unsigned long long)skel->bss->packets_seen,
	       (unsigned long long)skel->bss->packets_passed);
	xdp_filter__destroy(skel);
	return 0;
}
