// Anonymous aggregates in every position a member type can hold them (printed inline),
// explicit alignment/padding inside them, and BTF type tags.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

struct {
	int a;
	bool flag;
} anon_arr[2];                                   /* array of an anonymous struct */
struct {
	int a;
} *ptr_to_anon;                                  /* pointer to an anonymous struct */
const volatile struct {
	int level;
	volatile int nested_volatile;
	char name[4];
} anon_ro_cfg = {1, 2, "ab"};                    /* .rodata, modifiers stripped */
struct {
	char c;
	long long aligned_ll __attribute__((aligned(16)));
	enum { IN_A, IN_B = 7 } inner_enum;
	int (*callbacks[2])(int, long);
	struct {
		short s;
		int bits : 5;
	} nested;
	union {
		long long l;
		struct pair p;
	} u;
	point_t pt;
} anon_complex;                                  /* padding, inner anonymous types */
enum { BIG_ANON = 0x100000000ULL } anon_enum64;   /* 8-byte anonymous enum */
enum { ANON_PTR_A } *ptr_to_anon_enum;
int __attribute__((btf_type_tag("user"))) *tagged_ptr;
long long aligned_var __attribute__((aligned(64))) = 3;
char after_aligned = 4;

SEC("tp/syscalls/sys_enter_getpid")
int anon_types_prog(void *ctx)
{
	return anon_arr[1].a + (ptr_to_anon != 0) + anon_ro_cfg.level + anon_complex.c +
	       anon_complex.inner_enum + anon_complex.nested.bits + (int)anon_enum64 +
	       (ptr_to_anon_enum != 0) + (tagged_ptr != 0) + (int)aligned_var + after_aligned;
}

char LICENSE[] SEC("license") = "GPL";
