// A struct_ops value type with every kind of member the shadow type distinguishes:
// scalars behind typedefs and modifiers (printed without them), named and anonymous
// enums, bool, float, function pointers (also through a typedef), other pointers,
// structs, unions and arrays (opaque), alignment gaps (padding) and tail padding.
// Opened by libbpf, never loaded: no kernel has this struct_ops type.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

typedef int (*shape_fn_t)(void);

struct shapes_ops {
	int (*first)(int);
	const volatile counter_t count;
	char tag;
	long long aligned;
	enum color color;
	enum big_values big;
	enum { SHAPE_A, SHAPE_B } anon_enum;
	bool on;
	float ratio;
	int *ptr;
	point_t point;
	union { int i; char c[8]; } either;
	int arr[3];
	shape_fn_t second;
	char tail;
};

int shape_calls; /* a variable: gcc 14 rejects bpftool 7.5's calloc(0, ...) without one */

SEC("struct_ops/shape_first")
int shape_first(unsigned long long *ctx)
{
	shape_calls++;
	return 1;
}

SEC("struct_ops/shape_second")
int shape_second(unsigned long long *ctx)
{
	return 2;
}

SEC(".struct_ops")
struct shapes_ops shapes = {
	.first = (void *)shape_first,
	.count = 3,
	.tag = 't',
	.aligned = 7,
	.color = GREEN,
	.on = true,
	.second = (void *)shape_second,
};

char LICENSE[] SEC("license") = "GPL";
