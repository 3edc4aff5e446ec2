/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpfsubskel test harness runtime: a test_progs-style runner, its output, ASSERT_*
 * macros, and helpers for user tests. Written beside every generated harness; user
 * test files include it too:
 *
 *	#include "counters.subskel.h"
 *	#include "bpfsubskel_test.h"
 *
 *	SUBSKEL_TEST(counters, resets_to_zero)
 *	{
 *		*lib->bss.events_seen = 5;
 *		if (subskel_load(obj))
 *			return;
 *		ASSERT_EQ(*lib->bss.events_seen, 5, "events_seen after load");
 *	}
 *
 * Each SUBSKEL_TEST registers itself when its file is compiled (a constructor adds it
 * to the harness's list), so any valid C or C++ file works. A test that cannot be
 * registered is a build error: SUBSKEL_TEST for a library whose subskeleton is not
 * included does not compile; for a library the harness does not test, or a name used
 * twice for one library (or the built-in `pair`), it does not link.
 *
 * A harness tests one or more libraries inside one final object: each library's pair
 * registers itself too (SUBSKEL_HARNESS_OF), and main() (in the runtime) runs them in
 * the order of their names, or only one with --lib NAME (how ctest and meson run each
 * (library, final object) pair).
 *
 * Output: `# kernel: RELEASE`, `#N test:OK|SKIP|FAIL`, `#N/M test/subtest:...`, then
 * `Summary: T/S PASSED, K SKIPPED, F FAILED` (tests, and subtests, that passed; a test
 * with a skipped subtest is a SKIP). A load, attach or run the kernel refuses is a FAIL
 * showing libbpf's log (its last lines; all with -v) when the process may load BPF
 * programs (euid 0, or CAP_BPF or CAP_SYS_ADMIN effective), a SKIP when it may not
 * (a FAIL under BPFSUBSKEL_REQUIRE_LOAD=1). Exit 0 when all passed, 1 on a failure,
 * 77 when a test skipped and none failed, 2 on a usage error or when the filters select
 * no test.
 */
#ifndef BPFSUBSKEL_TEST_H
#define BPFSUBSKEL_TEST_H

/* The runtime, compiled where SUBSKEL_TEST_RUNTIME is defined before this header is first
 * included (bpfsubskel_test_runtime.c, which the CMake package and the Meson module
 * compile once per project; or the generated harness itself, unless it is compiled with
 * -DSUBSKEL_TEST_RUNTIME_LINKED), calls syscall(2) for capget: declared by <unistd.h>
 * with _DEFAULT_SOURCE, which strict modes such as -std=c11 leave out. */
#if defined(SUBSKEL_TEST_RUNTIME) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1
#endif

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifdef __cplusplus
#define SUBSKEL_EXTERN_C_ extern "C"
#define SUBSKEL_STATIC_ASSERT_ static_assert
extern "C" {
#else
#define SUBSKEL_EXTERN_C_ extern
#define SUBSKEL_STATIC_ASSERT_ _Static_assert
#endif

/* A user test, as SUBSKEL_TEST registers it. */
struct subskel_user_test {
	const char *name;
	const char *file;		/* where it is defined: the run order */
	int line;
	const char *lib;		/* its library's symbol, defined by the library's pair */
	void (*run)(void *lib, struct bpf_object *obj);
	struct subskel_user_test *next;
};

/* A (library, final object) pair of the harness, as SUBSKEL_HARNESS_OF registers it:
 * the built-in test `pair`, and how a user test of the library runs. */
struct subskel_pair {
	const char *lib;		/* the library's name (its symbol, as tests refer to it) */
	void (*pair)(void);
	void (*run_user)(const struct subskel_user_test *test);
	struct subskel_pair *next;
};

void subskel_register_test(struct subskel_user_test *test);
void subskel_register_pair(struct subskel_pair *pair);
/* The harness's main() (the runtime's): runs each registered pair's built-in test `pair`,
 * then that library's user tests; prints their results and returns the exit status. */
int subskel_test_main(int argc, char **argv);

/* A user test: `lib` is the library's subskeleton opened on `obj`, a final object
 * opened (not loaded) through its skeleton. Expands to the function, a record naming
 * it (an external symbol: a name defined twice for one library does not link), and a
 * constructor adding the record to the harness's tests. The record refers to a symbol
 * only a harness testing library LIB defines, so a test for a library the harness does
 * not test does not link; and sizeof(struct LIB) does not compile unless LIB.subskel.h
 * is included. */
#define SUBSKEL_TEST(LIB, NAME)							\
	SUBSKEL_STATIC_ASSERT_(sizeof(struct LIB) > 0,				\
			       "SUBSKEL_TEST(" #LIB ", " #NAME ") needs " #LIB ".subskel.h"); \
	SUBSKEL_EXTERN_C_ const char subskel_harness_of_library__##LIB[];	\
	SUBSKEL_EXTERN_C_ struct subskel_user_test subskel_user_test_named__##LIB##__##NAME; \
	static void subskel_user_test__##LIB##__##NAME(struct LIB *lib, struct bpf_object *obj); \
	static void subskel_user_test_call__##LIB##__##NAME(void *lib, struct bpf_object *obj) \
	{									\
		subskel_user_test__##LIB##__##NAME((struct LIB *)lib, obj);	\
	}									\
	struct subskel_user_test subskel_user_test_named__##LIB##__##NAME = {	\
		#NAME, __FILE__, __LINE__, subskel_harness_of_library__##LIB,	\
		subskel_user_test_call__##LIB##__##NAME, NULL			\
	};									\
	__attribute__((constructor)) static void				\
	subskel_user_test_register__##LIB##__##NAME(void)			\
	{									\
		subskel_register_test(&subskel_user_test_named__##LIB##__##NAME); \
	}									\
	static void subskel_user_test__##LIB##__##NAME(struct LIB *lib __attribute__((unused)), \
						       struct bpf_object *obj __attribute__((unused)))

/* In the generated harness, once per library LIB it tests: the symbol SUBSKEL_TEST(LIB,
 * ...) refers to, the built-in test's name taken (a user test named `pair` does not
 * link), and the pair registered with its built-in test PAIR and the function RUN_USER
 * running one of LIB's user tests. */
#define SUBSKEL_HARNESS_OF(LIB, PAIR, RUN_USER)					\
	SUBSKEL_EXTERN_C_ const char subskel_harness_of_library__##LIB[];	\
	const char subskel_harness_of_library__##LIB[] = #LIB;			\
	SUBSKEL_EXTERN_C_ struct subskel_user_test subskel_user_test_named__##LIB##__pair; \
	struct subskel_user_test subskel_user_test_named__##LIB##__pair = {	\
		"pair", __FILE__, __LINE__, subskel_harness_of_library__##LIB, NULL, NULL \
	};									\
	static struct subskel_pair subskel_pair__##LIB = {			\
		subskel_harness_of_library__##LIB, PAIR, RUN_USER, NULL		\
	};									\
	__attribute__((constructor)) static void subskel_pair_register__##LIB(void) \
	{									\
		subskel_register_pair(&subskel_pair__##LIB);			\
	}									\
	SUBSKEL_STATIC_ASSERT_(1, "SUBSKEL_HARNESS_OF(" #LIB ")")

struct subskel_test_env {
	const char *test;		/* running test, and subtest (or NULL) */
	const char *subtest;
	bool failed;			/* in the running (sub)test */
	bool skipped;
	bool verbose;
	bool require_load;		/* BPFSUBSKEL_REQUIRE_LOAD=1: a skip for privilege fails */
	bool privileged;		/* euid 0, or CAP_BPF or CAP_SYS_ADMIN effective */
	/* The final object being tested, loaded and attached through its skeleton. */
	struct bpf_object *obj;
	void *skel;
	int (*load)(void *skel);
	int (*attach)(void *skel);
	/* Counters for the summary. */
	int subtests_run, subtests_ok, subtests_skipped, subtests_failed;
};

extern struct subskel_test_env subskel_env;

bool subskel_test__check(bool ok, const char *file, int line, const char *name,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool subskel_test__start_subtest(const char *name);
void subskel_test__end_subtest(void);
void subskel_test_skip(const char *why);
/* Load, attach (through the final object's skeleton) and test-run a program; 0 or a
 * negative error, reported as a FAIL (or a SKIP without privilege) at the caller. */
#define subskel_load(obj) subskel_load_at(__FILE__, __LINE__, (obj))
#define subskel_attach(obj) subskel_attach_at(__FILE__, __LINE__, (obj))
#define subskel_run(...) subskel_run_at(__FILE__, __LINE__, __VA_ARGS__)
int subskel_load_at(const char *file, int line, struct bpf_object *obj);
int subskel_attach_at(const char *file, int line, struct bpf_object *obj);
int subskel_run_at(const char *file, int line, struct bpf_object *obj, const char *prog_name,
		   const void *data, unsigned int data_size, unsigned int *retval);
/* Built-in checks of the generated harness, one call per library variable; failures
 * name the line of the harness that called them. */
#define subskel_check_initial(...) subskel_check_initial_at(__FILE__, __LINE__, __VA_ARGS__)
#define subskel_check_kernel(...) subskel_check_kernel_at(__FILE__, __LINE__, __VA_ARGS__)
void subskel_check_initial_at(const char *file, int line, void *var, size_t size,
			      const void *initial, size_t initial_size, size_t offset,
			      unsigned int seed, const char *name);
void subskel_check_kernel_at(const char *file, int line, void *var, size_t size,
			     struct bpf_map *map, size_t offset, bool writable, unsigned int seed,
			     const char *name);
/* libbpf's messages are kept from the last reset, and shown when the kernel refuses. */
void subskel_log_reset(void);
#define subskel_kernel_refused(what, err) subskel_kernel_refused_at(__FILE__, __LINE__, what, err)
void subskel_kernel_refused_at(const char *file, int line, const char *what, int err);

#define SUBSKEL_CHECK_(ok, name, ...) \
	subskel_test__check((ok), __FILE__, __LINE__, (name), __VA_ARGS__)
#define SUBSKEL_CHECK_AT_(ok, name, ...) \
	subskel_test__check((ok), file, line, (name), __VA_ARGS__)

#define ASSERT_TRUE(cond, name) ({						\
	bool ___ok = (cond);							\
	SUBSKEL_CHECK_(___ok, name, "unexpected false: %s", #cond);		\
})
#define ASSERT_FALSE(cond, name) ({						\
	bool ___ok = !(cond);							\
	SUBSKEL_CHECK_(___ok, name, "unexpected true: %s", #cond);		\
})
/* `expected` is converted to the type of `actual`, so that ASSERT_EQ(u64_var, 1, ...)
 * compiles cleanly under -Wextra (-Wsign-compare). */
#define SUBSKEL_ASSERT_CMP_(actual, op, expected, name) ({			\
	__typeof__(actual) ___act = (actual);					\
	__typeof__(actual) ___exp = (__typeof__(actual))(expected);		\
	bool ___ok = ___act op ___exp;						\
	SUBSKEL_CHECK_(___ok, name, "unexpected %s: actual %lld " #op " expected %lld is false (%s)", \
		       name, (long long)___act, (long long)___exp, #actual " " #op " " #expected); \
})
#define ASSERT_EQ(a, b, name) SUBSKEL_ASSERT_CMP_(a, ==, b, name)
#define ASSERT_NEQ(a, b, name) SUBSKEL_ASSERT_CMP_(a, !=, b, name)
#define ASSERT_LT(a, b, name) SUBSKEL_ASSERT_CMP_(a, <, b, name)
#define ASSERT_LE(a, b, name) SUBSKEL_ASSERT_CMP_(a, <=, b, name)
#define ASSERT_GT(a, b, name) SUBSKEL_ASSERT_CMP_(a, >, b, name)
#define ASSERT_GE(a, b, name) SUBSKEL_ASSERT_CMP_(a, >=, b, name)
#define ASSERT_OK(res, name) ({							\
	long long ___res = (res);						\
	SUBSKEL_CHECK_(___res == 0, name, "unexpected error: %lld (errno %d: %s) from %s", \
		       ___res, errno, strerror(errno), #res);			\
})
#define ASSERT_ERR(res, name) ({						\
	long long ___res = (res);						\
	SUBSKEL_CHECK_(___res < 0, name, "unexpected success: %lld from %s", ___res, #res); \
})
#define ASSERT_OK_PTR(ptr, name) ({						\
	const void *___ptr = (const void *)(ptr);				\
	SUBSKEL_CHECK_(___ptr != NULL, name, "unexpected NULL (errno %d: %s) from %s", \
		       errno, strerror(errno), #ptr);				\
})
#define ASSERT_NULL(ptr, name) ({						\
	const void *___ptr = (const void *)(ptr);				\
	SUBSKEL_CHECK_(___ptr == NULL, name, "unexpected pointer %p from %s", ___ptr, #ptr); \
})
#define ASSERT_PTR_EQ(a, b, name) ({						\
	const void *___a = (const void *)(a), *___b = (const void *)(b);	\
	SUBSKEL_CHECK_(___a == ___b, name, "unexpected pointer: %p != %p (%s == %s)", \
		       ___a, ___b, #a, #b);					\
})
#define ASSERT_STREQ(a, b, name) ({						\
	const char *___a = (a), *___b = (b);					\
	SUBSKEL_CHECK_(___a && ___b && strcmp(___a, ___b) == 0, name,		\
		       "unexpected string: \"%s\" != \"%s\" (%s == %s)",	\
		       ___a ? ___a : "(null)", ___b ? ___b : "(null)", #a, #b);	\
})
#define ASSERT_MEMEQ(a, b, len, name) ({					\
	size_t ___len = (len);							\
	SUBSKEL_CHECK_(memcmp((a), (b), ___len) == 0, name,			\
		       "unexpected bytes: %s differs from %s in %zu bytes", #a, #b, ___len); \
})

#ifdef __cplusplus
}
#endif

/* ---- the implementation: once per program (see SUBSKEL_TEST_RUNTIME above) --------- */
#ifdef SUBSKEL_TEST_RUNTIME
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/capability.h>

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#define SUBSKEL_LOG_TAIL 20	/* lines of libbpf's log shown on a failure without -v */

struct subskel_test_env subskel_env;

static struct subskel_user_test *subskel_user_tests;	/* as the constructors add them */
static struct subskel_pair *subskel_pairs;
static const char **subskel_allow, **subskel_deny;
static int subskel_allow_cnt, subskel_deny_cnt;
static int subskel_test_num, subskel_subtest_num;
static char *subskel_log;		/* libbpf's messages since subskel_log_reset() */
static size_t subskel_log_len, subskel_log_size;

void subskel_register_test(struct subskel_user_test *test)
{
	test->next = subskel_user_tests;
	subskel_user_tests = test;
}

void subskel_register_pair(struct subskel_pair *pair)
{
	pair->next = subskel_pairs;
	subskel_pairs = pair;
}

/* May this process load BPF programs? Asked of the kernel, never guessed from an error:
 * euid 0, or CAP_BPF or CAP_SYS_ADMIN in the effective set (capget(2), no libcap). */
static bool subskel_may_load(void)
{
	struct __user_cap_header_struct header;
	struct __user_cap_data_struct data[2];
	unsigned int caps[] = { CAP_BPF, CAP_SYS_ADMIN };
	size_t i;

	if (geteuid() == 0)
		return true;
	memset(&header, 0, sizeof(header));
	memset(data, 0, sizeof(data));
	header.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &header, data) != 0)
		return false;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (data[caps[i] / 32].effective & (1u << (caps[i] % 32)))
			return true;
	return false;
}

/* libbpf's print callback: everything but debug messages, kept for a failure's report
 * (the verifier's log reaches it when a program fails to load). */
static int subskel_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;
	int len;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len <= 0)
		return len;
	if (subskel_log_len + (size_t)len + 1 > subskel_log_size) {
		size_t size = 2 * (subskel_log_len + (size_t)len + 1);
		char *log = (char *)realloc(subskel_log, size);

		if (!log)
			return 0;
		subskel_log = log;
		subskel_log_size = size;
	}
	vsnprintf(subskel_log + subskel_log_len, (size_t)len + 1, fmt, ap);
	subskel_log_len += (size_t)len;
	return len;
}

void subskel_log_reset(void)
{
	subskel_log_len = 0;
	if (subskel_log)
		subskel_log[0] = '\0';
}

/* libbpf's log since the last reset, indented: its last lines, or all of it with -v. */
static void subskel_print_log(void)
{
	size_t i, start = 0;
	int lines = 0, shown = 0;

	if (!subskel_log_len)
		return;
	for (i = 0; i < subskel_log_len; i++)
		if (subskel_log[i] == '\n' || i + 1 == subskel_log_len)
			lines++;
	if (!subskel_env.verbose && lines > SUBSKEL_LOG_TAIL) {
		for (i = subskel_log_len; i > 0; i--) {
			if (subskel_log[i - 1] == '\n' && i < subskel_log_len &&
			    ++shown == SUBSKEL_LOG_TAIL)
				break;
		}
		start = i;
		printf("  libbpf's log, last %d of %d lines (-v shows all):\n", SUBSKEL_LOG_TAIL,
		       lines);
	} else {
		printf("  libbpf's log:\n");
	}
	while (start < subskel_log_len) {
		const char *line = subskel_log + start;
		const char *end = (const char *)memchr(line, '\n', subskel_log_len - start);
		size_t len = end ? (size_t)(end - line) : subskel_log_len - start;

		printf("    %.*s\n", (int)len, line);
		start += len + 1;
	}
}

/* The kernel refused a load, attach or run: with the privilege to load, a failure
 * showing libbpf's log; without, a skip (a failure under BPFSUBSKEL_REQUIRE_LOAD=1). */
void subskel_kernel_refused_at(const char *file, int line, const char *what, int err)
{
	int code = err < 0 ? -err : err;

	if (subskel_env.privileged) {
		subskel_test__check(false, file, line, what, "failed: %d (%s)", err, strerror(code));
		subskel_print_log();
		return;
	}
	if (subskel_env.require_load) {
		subskel_test__check(false, file, line, what,
				    "failed: %d (%s); BPFSUBSKEL_REQUIRE_LOAD=1 but this process "
				    "may not load BPF programs (not root, no CAP_BPF or "
				    "CAP_SYS_ADMIN)", err, strerror(code));
	} else {
		char why[512];

		snprintf(why, sizeof(why), "%s:%d: %s: %d (%s); loading BPF programs needs root, "
			 "CAP_BPF or CAP_SYS_ADMIN", file, line, what, err, strerror(code));
		subskel_test_skip(why);
	}
	if (subskel_env.verbose)
		subskel_print_log();
}

bool subskel_test__check(bool ok, const char *file, int line, const char *name,
			 const char *fmt, ...)
{
	va_list ap;

	if (ok && !subskel_env.verbose)
		return true;
	printf("  %s:%d: %s: %s", file, line, name, ok ? "ok" : "");
	if (!ok) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		subskel_env.failed = true;
	}
	printf("\n");
	return ok;
}

void subskel_test_skip(const char *why)
{
	printf("  skipped: %s\n", why);
	subskel_env.skipped = true;
}

/* Does a filter pattern select test (and subtest, or NULL for the test itself)? */
static bool subskel_pattern_selects(const char *pattern, const char *test, const char *subtest)
{
	const char *slash = strchr(pattern, '/');
	char test_part[256];
	size_t len;

	if (!slash)
		return fnmatch(pattern, test, 0) == 0;
	len = (size_t)(slash - pattern);
	if (len >= sizeof(test_part))
		return false;
	memcpy(test_part, pattern, len);
	test_part[len] = '\0';
	if (fnmatch(test_part, test, 0) != 0)
		return false;
	return !subtest || fnmatch(slash + 1, subtest, 0) == 0;
}

static bool subskel_selected(const char *test, const char *subtest)
{
	int i;

	for (i = 0; i < subskel_deny_cnt; i++) {
		const char *deny = subskel_deny[i];
		/* A deny pattern without '/' removes whole tests; with '/', subtests. */
		if ((subtest || !strchr(deny, '/')) && subskel_pattern_selects(deny, test, subtest))
			return false;
	}
	if (!subskel_allow_cnt)
		return true;
	for (i = 0; i < subskel_allow_cnt; i++)
		if (subskel_pattern_selects(subskel_allow[i], test, subtest))
			return true;
	return false;
}

static const char *subskel_status(bool failed, bool skipped)
{
	return failed ? "FAIL" : skipped ? "SKIP" : "OK";
}

bool subskel_test__start_subtest(const char *name)
{
	subskel_subtest_num++;
	if (!subskel_selected(subskel_env.test, name))
		return false;
	subskel_env.subtest = name;
	subskel_env.failed = false;
	subskel_env.skipped = false;
	return true;
}

void subskel_test__end_subtest(void)
{
	printf("#%d/%d %s/%s:%s\n", subskel_test_num, subskel_subtest_num, subskel_env.test,
	       subskel_env.subtest, subskel_status(subskel_env.failed, subskel_env.skipped));
	subskel_env.subtests_run++;
	if (subskel_env.failed)
		subskel_env.subtests_failed++;
	else if (subskel_env.skipped)
		subskel_env.subtests_skipped++;
	else
		subskel_env.subtests_ok++;
	subskel_env.subtest = NULL;
	subskel_env.failed = false;
	subskel_env.skipped = false;
}

static bool subskel_is_final_object(const char *file, int line, const char *what,
				    struct bpf_object *obj)
{
	return subskel_test__check(obj && obj == subskel_env.obj && subskel_env.skel, file, line,
				   what, "not the final object under test");
}

int subskel_load_at(const char *file, int line, struct bpf_object *obj)
{
	int err;

	if (!subskel_is_final_object(file, line, "subskel_load", obj))
		return -EINVAL;
	subskel_log_reset();
	err = subskel_env.load(subskel_env.skel);
	if (err)
		subskel_kernel_refused_at(file, line, "subskel_load: loading the final object", err);
	return err;
}

int subskel_attach_at(const char *file, int line, struct bpf_object *obj)
{
	int err;

	if (!subskel_is_final_object(file, line, "subskel_attach", obj))
		return -EINVAL;
	subskel_log_reset();
	err = subskel_env.attach(subskel_env.skel);
	if (err)
		subskel_kernel_refused_at(file, line, "subskel_attach: attaching the final object",
					  err);
	return err;
}

int subskel_run_at(const char *file, int line, struct bpf_object *obj, const char *prog_name,
		   const void *data, unsigned int data_size, unsigned int *retval)
{
	struct bpf_test_run_opts opts;
	struct bpf_program *prog;
	char what[300];
	int err;

	if (!subskel_is_final_object(file, line, "subskel_run", obj))
		return -EINVAL;
	prog = bpf_object__find_program_by_name(obj, prog_name);
	if (!SUBSKEL_CHECK_AT_(prog != NULL, "subskel_run", "no program '%s' in the final object",
			       prog_name))
		return -ESRCH;
	if (!SUBSKEL_CHECK_AT_(bpf_program__fd(prog) >= 0, "subskel_run",
			       "program '%s' is not loaded (call subskel_load first)", prog_name))
		return -EBADF;
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.data_in = data;
	opts.data_size_in = data_size;
	opts.repeat = 1;
	subskel_log_reset();
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err) {
		snprintf(what, sizeof(what), "subskel_run: running '%s'", prog_name);
		subskel_kernel_refused_at(file, line, what, err);
		return err;
	}
	if (retval)
		*retval = opts.retval;
	return 0;
}

/* A byte pattern that differs per variable, never all zero. */
static void subskel_fill(unsigned char *dst, size_t size, unsigned int seed)
{
	size_t i;

	for (i = 0; i < size; i++)
		dst[i] = (unsigned char)((seed * 31u + i * 7u) | 1u);
}

/* Before load: a write through the subskeleton's pointer must land in the map's initial
 * value at the variable's offset in the final object (libbpf binds by BTF offset). */
void subskel_check_initial_at(const char *file, int line, void *var, size_t size,
			      const void *initial, size_t initial_size, size_t offset,
			      unsigned int seed, const char *name)
{
	unsigned char *saved = (unsigned char *)malloc(size + 1);
	unsigned char *pattern = (unsigned char *)malloc(size + 1);

	if (!saved || !pattern || !SUBSKEL_CHECK_AT_(var != NULL, name,
						  "the subskeleton's pointer is NULL"))
		goto out;
	if (!SUBSKEL_CHECK_AT_(offset + size <= initial_size, name,
			    "offset %zu + %zu is past the map's %zu bytes", offset, size,
			    initial_size))
		goto out;
	memcpy(saved, var, size);
	subskel_fill(pattern, size, seed);
	memcpy(var, pattern, size);
	SUBSKEL_CHECK_AT_(memcmp((const unsigned char *)initial + offset, pattern, size) == 0, name,
		       "a write through the subskeleton did not reach offset %zu of the map's "
		       "initial value", offset);
	memcpy(var, saved, size);
out:
	free(saved);
	free(pattern);
}

/* After load: the subskeleton's view is the kernel map's value (written through it, if
 * the section is writable, and read back with bpf_map_lookup_elem). */
void subskel_check_kernel_at(const char *file, int line, void *var, size_t size,
			     struct bpf_map *map, size_t offset, bool writable, unsigned int seed,
			     const char *name)
{
	size_t value_size = bpf_map__value_size(map);
	unsigned char *value = (unsigned char *)calloc(1, value_size);
	unsigned char *saved = (unsigned char *)malloc(size + 1);
	unsigned char *pattern = (unsigned char *)malloc(size + 1);
	int zero = 0;

	if (!value || !saved || !pattern || !SUBSKEL_CHECK_AT_(var != NULL, name, "the subskeleton's pointer is NULL"))
		goto out;
	if (!SUBSKEL_CHECK_AT_(offset + size <= value_size, name,
			    "offset %zu + %zu is past the map's %zu bytes", offset, size, value_size))
		goto out;
	memcpy(saved, var, size);
	memcpy(pattern, var, size);
	if (writable) {
		subskel_fill(pattern, size, seed);
		memcpy(var, pattern, size);
	}
	if (SUBSKEL_CHECK_AT_(bpf_map_lookup_elem(bpf_map__fd(map), &zero, value) == 0, name,
			   "reading the kernel map failed (errno %d)", errno))
		SUBSKEL_CHECK_AT_(memcmp(value + offset, pattern, size) == 0, name,
			       "the kernel map differs from the subskeleton at offset %zu", offset);
	if (writable)
		memcpy(var, saved, size);
out:
	free(value);
	free(saved);
	free(pattern);
}

static void subskel_add_patterns(const char ***list, int *cnt, char *arg, bool substring)
{
	char *tok, *next;

	/* ISO C only (strtok_r is POSIX: hidden by -std=c11): split at commas, skip empties. */
	for (tok = arg; tok; tok = next) {
		char *pattern, *slash;

		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		if (!*tok)
			continue;
		pattern = (char *)malloc(strlen(tok) + 5);
		slash = strchr(tok, '/');
		if (!pattern)
			exit(2);
		if (substring && slash) /* -t TEST/SUBTEST: a substring of each */
			sprintf(pattern, "*%.*s*/*%s*", (int)(slash - tok), tok, slash + 1);
		else
			sprintf(pattern, substring ? "*%s*" : "%s", tok);
		*list = (const char **)realloc((void *)*list, sizeof(**list) * (size_t)(*cnt + 1));
		if (!*list)
			exit(2);
		(*list)[(*cnt)++] = pattern;
	}
}

static int subskel_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--lib LIB] [-t NAME] [-a GLOB] [-d GLOB] [-v] [-l]\n"
		"  --lib LIB  run only library LIB's tests (a harness of several libraries)\n"
		"  -t NAME    run tests (or TEST/SUBTEST) whose name contains NAME\n"
		"  -a GLOB    run tests (or TEST/SUBTEST) matching GLOB\n"
		"  -d GLOB    skip tests (or TEST/SUBTEST) matching GLOB\n"
		"  -v         also print passing checks\n"
		"  -l         list the tests\n"
		"-t, -a and -d take a comma-separated list and may be repeated.\n", prog);
	return 2;
}

/* The run order of user tests: by file name, then path, then line. */
static int subskel_compare_tests(const void *a, const void *b)
{
	const struct subskel_user_test *x = *(const struct subskel_user_test *const *)a;
	const struct subskel_user_test *y = *(const struct subskel_user_test *const *)b;
	const char *x_base = strrchr(x->file, '/'), *y_base = strrchr(y->file, '/');
	int cmp = strcmp(x_base ? x_base + 1 : x->file, y_base ? y_base + 1 : y->file);

	if (!cmp)
		cmp = strcmp(x->file, y->file);
	if (!cmp)
		cmp = (x->line > y->line) - (x->line < y->line);
	return cmp ? cmp : strcmp(x->name, y->name);
}

/* The run order of pairs: by library name. */
static int subskel_compare_pairs(const void *a, const void *b)
{
	const struct subskel_pair *x = *(const struct subskel_pair *const *)a;
	const struct subskel_pair *y = *(const struct subskel_pair *const *)b;

	return strcmp(x->lib, y->lib);
}

/* The registered pairs and user tests as arrays, to sort. */
static struct subskel_pair **subskel_pair_array(size_t *count)
{
	struct subskel_pair *pair, **array;
	size_t n = 0;

	for (pair = subskel_pairs; pair; pair = pair->next)
		n++;
	array = (struct subskel_pair **)calloc(n + 1, sizeof(*array));
	if (!array)
		exit(2);
	for (n = 0, pair = subskel_pairs; pair; pair = pair->next)
		array[n++] = pair;
	*count = n;
	return array;
}

static struct subskel_user_test **subskel_test_array(size_t *count)
{
	struct subskel_user_test *test, **array;
	size_t n = 0;

	for (test = subskel_user_tests; test; test = test->next)
		n++;
	array = (struct subskel_user_test **)calloc(n + 1, sizeof(*array));
	if (!array)
		exit(2);
	for (n = 0, test = subskel_user_tests; test; test = test->next)
		array[n++] = test;
	*count = n;
	return array;
}

struct subskel_counts {
	int run, ok, skipped, failed;
};

/* One pair: its built-in test `pair`, then its library's user tests, numbered on from
 * subskel_test_num; counts what ran. */
static void subskel_run_pair(const struct subskel_pair *pair,
			     struct subskel_user_test **tests, size_t test_cnt, bool list,
			     struct subskel_counts *counts)
{
	size_t i;

	for (i = 0; i <= test_cnt; i++) {
		const struct subskel_user_test *test = i ? tests[i - 1] : NULL;
		const char *name = test ? test->name : "pair";
		int subtests_before = subskel_env.subtests_run;
		int failed_before = subskel_env.subtests_failed;
		int skipped_before = subskel_env.subtests_skipped;
		bool failed, skipped;

		if (test && test->lib != pair->lib)
			continue;
		subskel_test_num++;
		subskel_subtest_num = 0;
		if (!subskel_selected(name, NULL))
			continue;
		if (list) {
			printf("%s\n", name);
			continue;
		}
		subskel_env.test = name;
		subskel_env.failed = false;
		subskel_env.skipped = false;
		subskel_log_reset();
		if (test)
			pair->run_user(test);
		else
			pair->pair();
		/* Every subtest filtered out and nothing failed outside them: not run. */
		if (subskel_subtest_num > 0 && subskel_env.subtests_run == subtests_before &&
		    !subskel_env.failed)
			continue;
		/* A test fails if any part of it failed, and is a skip if any part skipped:
		 * the summary counts the lines above it. */
		failed = subskel_env.failed || subskel_env.subtests_failed > failed_before;
		skipped = subskel_env.skipped || subskel_env.subtests_skipped > skipped_before;
		printf("#%d %s:%s\n", subskel_test_num, name, subskel_status(failed, skipped));
		counts->run++;
		if (failed)
			counts->failed++;
		else if (skipped)
			counts->skipped++;
		else
			counts->ok++;
	}
}

int subskel_test_main(int argc, char **argv)
{
	const char *require = getenv("BPFSUBSKEL_REQUIRE_LOAD");
	struct subskel_counts counts = { 0, 0, 0, 0 };
	struct subskel_user_test **tests;
	struct subskel_pair **pairs;
	size_t i, pair_cnt, test_cnt, selected = 0;
	const char *only = NULL;
	struct utsname uts;
	bool list = false;
	int arg;

	setvbuf(stdout, NULL, _IOLBF, 0);
	subskel_env.require_load = require && strcmp(require, "1") == 0;
	subskel_env.privileged = subskel_may_load();
	for (arg = 1; arg < argc; arg++) {
		const char *opt = argv[arg];

		if (!strcmp(opt, "-v")) {
			subskel_env.verbose = true;
		} else if (!strcmp(opt, "-l")) {
			list = true;
		} else if (!strcmp(opt, "--lib") && arg + 1 < argc && !only) {
			only = argv[++arg];
		} else if ((!strcmp(opt, "-t") || !strcmp(opt, "-a") || !strcmp(opt, "-d")) &&
			   arg + 1 < argc) {
			bool deny = opt[1] == 'd';

			subskel_add_patterns(deny ? &subskel_deny : &subskel_allow,
					     deny ? &subskel_deny_cnt : &subskel_allow_cnt,
					     argv[++arg], opt[1] == 't');
		} else {
			return subskel_usage(argv[0]);
		}
	}
	pairs = subskel_pair_array(&pair_cnt);
	tests = subskel_test_array(&test_cnt);
	qsort(pairs, pair_cnt, sizeof(*pairs), subskel_compare_pairs);
	qsort(tests, test_cnt, sizeof(*tests), subskel_compare_tests);
	for (i = 0; i < pair_cnt; i++)
		if (!only || !strcmp(pairs[i]->lib, only))
			selected++;
	if (!selected) {
		fprintf(stderr, "%s: no library %s in this harness; it tests:", argv[0],
			only ? only : "at all");
		for (i = 0; i < pair_cnt; i++)
			fprintf(stderr, " %s", pairs[i]->lib);
		fprintf(stderr, "\n");
		free(pairs);
		free(tests);
		return 2;
	}
	libbpf_set_print(subskel_libbpf_print);
	if (!list)
		printf("# kernel: %s\n", uname(&uts) == 0 ? uts.release : "unknown");
	for (i = 0; i < pair_cnt; i++) {
		if (only && strcmp(pairs[i]->lib, only))
			continue;
		if (selected > 1)  /* several libraries: say whose tests follow */
			printf("# library: %s\n", pairs[i]->lib);
		subskel_run_pair(pairs[i], tests, test_cnt, list, &counts);
	}
	free(pairs);
	free(tests);
	if (list)
		return 0;
	printf("Summary: %d/%d PASSED, %d SKIPPED, %d FAILED\n", counts.ok,
	       subskel_env.subtests_ok, counts.skipped, counts.failed);
	if (!counts.run) {
		/* A filter that matches nothing is a mistake, not a pass. */
		fprintf(stderr, "no test matched the filters (-l lists them)\n");
		return 2;
	}
	if (counts.failed)
		return 1;
	return counts.skipped ? 77 : 0; /* anything skipped: not a pass (ctest, meson: skip) */
}

/* Every harness's main(): the runtime is compiled once per program. */
int main(int argc, char **argv)
{
	return subskel_test_main(argc, argv);
}
#endif /* SUBSKEL_TEST_RUNTIME */

#endif /* BPFSUBSKEL_TEST_H */
