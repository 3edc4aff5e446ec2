/* Userspace code of the target including both generated headers (compiled, not linked). */
#include "events.h"
#include "lib.subskel.h"
#include "app.skel.h"

unsigned long long last_size(struct app_bpf *skel)
{
	struct lib *lib = lib__open(skel->obj);
	unsigned long long size = lib ? lib->bss.last_event->size + skel->bss->events : 0;

	lib__destroy(lib);
	return size;
}
