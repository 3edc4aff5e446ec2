/* Types of the counters library's globals. A skeleton or subskeleton names them
 * (`struct counters_last last_event`) without defining them: include this first. */
#ifndef COUNTERS_TYPES_H
#define COUNTERS_TYPES_H

#include <linux/types.h>

/* The last event counted. */
struct counters_last {
	__u32 size;
	__u32 slot;	/* where in `recent` it went */
};

#endif
