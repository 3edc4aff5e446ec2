/* Named types used by the corpus's BPF globals.
 *
 * Included by the BPF sources (clang -target bpf) AND by the userspace translation
 * units that compile the generated subskeleton headers (gcc, clang, g++, clang++):
 * a subskeleton refers to named types by name only, the includer must define them.
 * Plain C, valid as C++; no BPF-only constructs.
 */
#ifndef CORPUS_TYPES_H
#define CORPUS_TYPES_H

#include <linux/types.h>
#include <stdbool.h>

enum color { RED, GREEN = 5, BLUE = -3 };

/* values above 32 bits: the enum is 8 bytes wide */
enum big_values { BIG_SMALL = 1, BIG_LARGE = 0x100000000ULL, BIG_TOP = 0xffffffff00000000ULL };

typedef unsigned int counter_t;

typedef struct {
	int x;
	int y;
} point_t;

struct pair {
	int first;
	long long second;
};

struct node {
	struct pair p;
	char tag[8];
	struct node *next;
};

struct packed_rec {
	char c;
	int i;
	short s;
} __attribute__((packed));

typedef int arr4_t[4];
typedef int (*cb_t)(int, long);
typedef int (*noarg_fn_t)(void);

#endif /* CORPUS_TYPES_H */
