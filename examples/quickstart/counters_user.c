/* The userspace half of the counters library: it only knows the subskeleton, so it
 * works with any final BPF object the BPF library is linked into. */
#include <stdio.h>
#include "counters.subskel.h"

int counters_configure(struct bpf_object *obj, unsigned int tgid, unsigned int every)
{
	struct counters *c = counters__open(obj); /* after open, before load */

	if (!c)
		return -1;
	*c->rodata.target_tgid = tgid;
	*c->rodata.sample_every = every;
	counters__destroy(c);
	return 0;
}

int counters_print(struct bpf_object *obj)
{
	struct counters *c = counters__open(obj); /* after load: reads the kernel's values */
	__u32 zero = 0;
	__u64 last_ns = 0;

	if (!c)
		return -1;
	printf("events seen:    %llu\n", (unsigned long long)*c->bss.events_seen);
	printf("events sampled: %llu\n", (unsigned long long)*c->bss.events_sampled);
	if (bpf_map__lookup_elem(c->maps.last_seen_ns, &zero, sizeof(zero), &last_ns,
				 sizeof(last_ns), 0) == 0)
		printf("last sample:    %llu ns after boot (map %s)\n",
		       (unsigned long long)last_ns, bpf_map__name(c->maps.last_seen_ns));
	counters__destroy(c);
	return 0;
}
