// Pointer-to-array and pointer-to-function-pointer globals: bpftool prints invalid C
// for these (B3); a subskeleton member must be `__typeof__(T) *name`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

static int target_fn(int a, long b) { return a + (int)b; }

int backing[4];
int backing2d[2][3];
int (*fn_slot)(int, long) = target_fn;
cb_t typedef_slot = target_fn;

int (*ptr_to_array)[4] = &backing;
int (*ptr_to_array2d)[2][3] = &backing2d;
int (**ptr_to_fn_ptr)(int, long) = &fn_slot;
cb_t *ptr_to_typedef_fn_ptr = &typedef_slot;
arr4_t *ptr_to_typedef_array = &backing;
int (*(*ptr_to_array_of_fn_ptrs)[2])(int, long);
int (***ptr_ptr_fn_ptr)(int, long);

SEC("tp/syscalls/sys_enter_getpid")
int ptr_decl_prog(void *ctx)
{
	return (*ptr_to_array)[1] + (*ptr_to_array2d)[1][1] + (*ptr_to_fn_ptr)(1, 2) +
	       (*ptr_to_typedef_fn_ptr)(1, 2) + (*ptr_to_typedef_array)[0] +
	       (ptr_to_array_of_fn_ptrs != 0) + (ptr_ptr_fn_ptr != 0);
}

char LICENSE[] SEC("license") = "GPL";
