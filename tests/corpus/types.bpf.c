// One global per kind of C type a subskeleton member must spell (reference §8 item 9).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "corpus_types.h"

static int target_fn(int a, long b) { return a + (int)b; }
static int noarg(void) { return 0; }

/* scalars */
int t_int = 1;
long long t_llong = 2;
unsigned char t_uchar = 3;
_Bool t_bool = 1;
bool t_bool2 = 1;
__u64 t_u64 = 4;
counter_t t_typedef_scalar = 5;
float t_float = 1.5f;
double t_double = 2.5;
__int128 t_int128 = 6;
unsigned __int128 t_uint128 = 7;

/* enums */
enum color t_enum = GREEN;
enum { ANON_ONE = 1, ANON_TWO = 2 } t_anon_enum = ANON_TWO;
enum { ANON_NEG = -1, ANON_POS = 1 } t_anon_enum_signed = ANON_NEG;
enum big_values t_enum64 = BIG_LARGE;

/* structs and unions */
point_t t_typedef_anon_struct = {1, 2};
struct pair t_struct = {3, 4};
struct node t_node;
struct packed_rec t_packed = {1, 2, 3};
struct {
	unsigned int flag_a : 1;
	unsigned int flag_b : 3;
	int plain;
	union {
		int as_int;
		char as_bytes[4];
	};
	char tail : 2;
	long long last;
} t_anon_bitfields = {1, 2, 3, {4}, 1, 5};
union {
	int u_int;
	long long u_llong;
} t_anon_union;

/* arrays */
int t_arr[4] = {1, 2, 3, 4};
int t_arr2d[2][3];
struct pair t_arr_struct[2];
arr4_t t_typedef_arr;
const volatile char t_str_arr[8] SEC(".rodata") = "abc";

/* pointers */
int (*t_fn_ptr)(int, long) = target_fn;
int (*t_fn_ptr_noarg)(void) = noarg;
int (*t_fn_ptr_arr[2])(int, long) = {target_fn, target_fn};
cb_t t_typedef_fn_ptr = target_fn;
noarg_fn_t t_typedef_noarg = noarg;
cb_t t_arr_of_typedef_fn[2];
const char *t_const_char_ptr;
int *volatile t_volatile_ptr;
void *t_void_ptr;
struct node *t_struct_ptr;
const struct pair *const t_const_ptr_const = &t_struct;
int **t_ptr_ptr;

SEC("tp/syscalls/sys_enter_getpid")
int types_prog(void *ctx)
{
	t_int += t_llong + t_uchar + t_bool + t_bool2 + t_u64 + t_typedef_scalar + t_enum +
		 t_anon_enum + t_anon_enum_signed + (int)t_enum64 + (int)t_int128 + (int)t_uint128;
	t_int += t_typedef_anon_struct.x + t_struct.first + t_node.p.first + t_packed.i +
		 t_anon_bitfields.flag_b + t_anon_bitfields.as_int + t_anon_union.u_int;
	t_int += t_arr[1] + t_arr2d[1][2] + t_arr_struct[1].first + t_typedef_arr[0] + t_str_arr[1];
	t_int += t_fn_ptr(1, 2) + t_fn_ptr_noarg() + t_fn_ptr_arr[1](1, 2) +
		 t_typedef_fn_ptr(1, 2) + t_typedef_noarg() + (t_arr_of_typedef_fn[0] != 0);
	t_int += (t_const_char_ptr != 0) + (t_volatile_ptr != 0) + (t_void_ptr != 0) +
		 (t_struct_ptr != 0) + t_const_ptr_const->first + (t_ptr_ptr != 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
