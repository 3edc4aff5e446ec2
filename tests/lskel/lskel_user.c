/* lskel_user PACKET_LEN: the light skeleton of lskel_app.bpf.o (with the meter_lib
 * library linked in), built without libbpf and libelf. Before load it sets the
 * .rodata globals; after load it writes .data globals through the mmapped sections;
 * it runs the XDP program with BPF_PROG_TEST_RUN and reads .bss and a map back, and
 * checks that N__attach attached the raw tracepoint. Prints key=value lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lskel_app.lskel.h"

static int test_run(int prog_fd, void *packet, unsigned int len, unsigned int *retval)
{
	union bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = prog_fd;
	attr.test.data_in = (unsigned long)packet;
	attr.test.data_size_in = len;
	attr.test.repeat = 1;
	err = skel_sys_bpf(BPF_PROG_TEST_RUN, &attr, sizeof(attr));
	*retval = attr.test.retval;
	return err;
}

static int lookup(int map_fd, __u32 key, __u64 *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map_fd;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)value;
	return skel_sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr));
}

int main(int argc, char **argv)
{
	char packet[1500];
	unsigned int len, retval[2];
	struct lskel_app_lskel *skel;
	__u64 last = 0;
	int i;

	if (argc != 2)
		return 2;
	len = (unsigned int)atoi(argv[1]);
	memset(packet, 0xab, sizeof(packet));
	skel = lskel_app_lskel__open();
	if (!skel) {
		perror("open");
		return 1;
	}
	skel->rodata->lib_bias = 7;
	skel->rodata->min_score = 100;
	if (lskel_app_lskel__load(skel)) {
		perror("load");
		return 1;
	}
	if (test_run(skel->progs.xdp_meter.prog_fd, packet, len, &retval[0])) {
		perror("test_run");
		return 1;
	}
	printf("score1=%llu\n", (unsigned long long)skel->bss->last_score);
	skel->data->lib_scale = 3;	/* after load: the kernel's map, through the mmap */
	if (test_run(skel->progs.xdp_meter.prog_fd, packet, len, &retval[1])) {
		perror("test_run");
		return 1;
	}
	if (lookup(skel->maps.lib_last.map_fd, 0, &last)) {
		perror("lookup");
		return 1;
	}
	printf("score2=%llu\nverdicts=%u,%u\nlib_calls=%llu\nmap=%llu\n",
	       (unsigned long long)skel->bss->last_score, retval[0], retval[1],
	       (unsigned long long)skel->bss->lib_calls, (unsigned long long)last);

	skel->data->target_pid = getpid();
	if (lskel_app_lskel__attach(skel)) {
		perror("attach");
		return 1;
	}
	for (i = 0; i < 10; i++)
		getppid();
	printf("attached=%d\nsyscalls=%s\n", skel->links.count_syscalls_fd > 0,
	       skel->bss->syscalls_seen >= 10 ? "counted" : "missed");
	lskel_app_lskel__detach(skel);
	lskel_app_lskel__destroy(skel);
	return 0;
}
