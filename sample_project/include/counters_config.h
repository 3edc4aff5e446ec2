/* Shared by the counters BPF library and its userspace half. */
#ifndef COUNTERS_CONFIG_H
#define COUNTERS_CONFIG_H

/* Slots of the `recent` map: the sizes of the last events, round-robin. */
#define COUNTERS_RECENT_SLOTS 4

#endif
