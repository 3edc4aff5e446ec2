/* The userspace half of the counters library. It only knows the library's subskeleton,
 * so it works with any final BPF object that links the BPF library. */
#ifndef COUNTERS_H
#define COUNTERS_H

#include <bpf/libbpf.h>
#include "counters_config.h"
#include "counters_types.h"

struct counters_totals {
	unsigned long long events;
	unsigned long long bytes;
	unsigned long long recent[COUNTERS_RECENT_SLOTS];
};

/* Before the final object is loaded: count only `tgid` (0: all), events >= min_size. */
int counters_configure(struct bpf_object *obj, unsigned int tgid, unsigned int min_size);
/* After load: the kernel's totals. */
int counters_read(struct bpf_object *obj, struct counters_totals *totals);

#endif
