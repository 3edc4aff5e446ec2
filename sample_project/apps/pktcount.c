/* pktcount: runs the XDP program over packets of several sizes and prints the counts. */
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "counters.h"
#include "packets.skel.h"

int main(void)
{
	static const unsigned int sizes[] = { 64, 128, 512, 1500, 40 };
	unsigned char packet[1500];
	struct counters_totals totals;
	struct packets_bpf *skel = packets_bpf__open();
	unsigned int i;

	memset(packet, 0, sizeof(packet));
	if (!skel || counters_configure(skel->obj, 0, 60)) { /* ignore runts */
		perror("open");
		return 1;
	}
	if (packets_bpf__load(skel)) {
		perror("load (needs root)");
		packets_bpf__destroy(skel);
		return 1;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizes[i]);

		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.count_packets), &opts)) {
			perror("test_run");
			return 1;
		}
	}
	if (counters_read(skel->obj, &totals)) {
		perror("read");
		return 1;
	}
	printf("packets counted: %llu, bytes: %llu, recent sizes:", totals.events, totals.bytes);
	for (i = 0; i < COUNTERS_RECENT_SLOTS; i++)
		printf(" %llu", totals.recent[i]);
	printf("\n");
	packets_bpf__destroy(skel);
	return 0;
}
