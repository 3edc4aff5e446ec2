/* The type of the library's struct-typed global (the generated headers name it). */
#ifndef EVENTS_H
#define EVENTS_H
#include <linux/types.h> /* needs the target's asm/types.h */

struct event {
	__u64 when;
	__u32 size;
};

#endif
