#include <errno.h>
#include <string.h>
#include "counters.h"
#include "counters.subskel.h"

int counters_configure(struct bpf_object *obj, unsigned int tgid, unsigned int min_size)
{
	struct counters *c = counters__open(obj);

	if (!c)
		return -errno;
	*c->rodata.target_tgid = tgid;
	*c->rodata.min_size = min_size;
	counters__destroy(c);
	return 0;
}

int counters_read(struct bpf_object *obj, struct counters_totals *totals)
{
	struct counters *c = counters__open(obj);
	unsigned int slot;
	__u64 value;

	if (!c)
		return -errno;
	memset(totals, 0, sizeof(*totals));
	totals->events = *c->bss.events;
	totals->bytes = *c->bss.bytes;
	for (slot = 0; slot < COUNTERS_RECENT_SLOTS; slot++)
		if (bpf_map__lookup_elem(c->maps.recent, &slot, sizeof(slot), &value,
					 sizeof(value), 0) == 0)
			totals->recent[slot] = value;
	counters__destroy(c);
	return 0;
}
