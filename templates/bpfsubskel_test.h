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
 * Output: `#N test:OK|SKIP|FAIL`, `#N/M test/subtest:...`, then
 * `Summary: T/S PASSED, K SKIPPED, F FAILED`. Exit 0, 1 on failure, 77 if all skipped,
 * 2 on a usage error or when the filters select no test.
 */
#ifndef BPFSUBSKEL_TEST_H
#define BPFSUBSKEL_TEST_H

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A user test: `lib` is the library's subskeleton opened on `obj`, a final object
 * opened (not loaded) through its skeleton. */
#define SUBSKEL_TEST(LIB, NAME)							\
	void subskel_user_test__##NAME(struct LIB *lib __attribute__((unused)),	\
				       struct bpf_object *obj __attribute__((unused)))

struct subskel_test_env {
	const char *test;		/* running test, and subtest (or NULL) */
	const char *subtest;
	bool failed;			/* in the running (sub)test */
	bool skipped;
	bool verbose;
	bool require_load;		/* BPFSUBSKEL_REQUIRE_LOAD=1: a skip for privilege fails */
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
int subskel_load(struct bpf_object *obj);
int subskel_attach(struct bpf_object *obj);
int subskel_run(struct bpf_object *obj, const char *prog_name, const void *data,
		unsigned int data_size, unsigned int *retval);
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
bool subskel_load_refused(int err);

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

/* ---- the implementation, compiled into the harness only ---------------------------- */
#ifdef SUBSKEL_TEST_MAIN
#include <stdarg.h>

struct subskel_test_env subskel_env;

struct subskel_test_def {
	const char *name;
	void (*run)(void);
};

static const char **subskel_allow, **subskel_deny;
static int subskel_allow_cnt, subskel_deny_cnt;
static int subskel_test_num, subskel_subtest_num;

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

/* Loading needs privilege: without it, skip (or fail under BPFSUBSKEL_REQUIRE_LOAD=1). */
bool subskel_load_refused(int err)
{
	if (err != -EPERM && err != -EACCES)
		return false;
	if (subskel_env.require_load) {
		subskel_test__check(false, __FILE__, __LINE__, "load",
				    "BPFSUBSKEL_REQUIRE_LOAD=1 but loading was refused (%d)", err);
	} else {
		subskel_test_skip("loading BPF programs needs CAP_BPF (run as root)");
	}
	return true;
}

int subskel_load(struct bpf_object *obj)
{
	int err;

	if (obj != subskel_env.obj || !subskel_env.load) {
		subskel_test__check(false, __FILE__, __LINE__, "subskel_load",
				    "not the final object under test");
		return -EINVAL;
	}
	err = subskel_env.load(subskel_env.skel);
	if (err && !subskel_load_refused(err))
		subskel_test__check(false, __FILE__, __LINE__, "subskel_load",
				    "loading the final object failed: %d", err);
	return err;
}

int subskel_attach(struct bpf_object *obj)
{
	int err;

	if (obj != subskel_env.obj || !subskel_env.attach) {
		subskel_test__check(false, __FILE__, __LINE__, "subskel_attach",
				    "not the final object under test");
		return -EINVAL;
	}
	err = subskel_env.attach(subskel_env.skel);
	if (err)
		subskel_test__check(false, __FILE__, __LINE__, "subskel_attach",
				    "attaching the final object failed: %d", err);
	return err;
}

int subskel_run(struct bpf_object *obj, const char *prog_name, const void *data,
		unsigned int data_size, unsigned int *retval)
{
	/* Not LIBBPF_OPTS: its designated initializer leaves fields out, which clang++ >= 19
	 * reports under -Wextra (-Wmissing-designated-field-initializers). */
	struct bpf_test_run_opts opts;
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, prog_name);
	int err;

	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	if (!prog) {
		subskel_test__check(false, __FILE__, __LINE__, "subskel_run",
				    "no program '%s' in the final object", prog_name);
		return -ESRCH;
	}
	opts.data_in = data;
	opts.data_size_in = data_size;
	opts.repeat = 1;
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err) {
		subskel_test__check(false, __FILE__, __LINE__, "subskel_run",
				    "running '%s' failed: %d (errno %d)", prog_name, err, errno);
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
		"usage: %s [-t NAME] [-a GLOB] [-d GLOB] [-v] [-l]\n"
		"  -t NAME  run tests (or TEST/SUBTEST) whose name contains NAME\n"
		"  -a GLOB  run tests (or TEST/SUBTEST) matching GLOB\n"
		"  -d GLOB  skip tests (or TEST/SUBTEST) matching GLOB\n"
		"  -v       also print passing checks\n"
		"  -l       list the tests\n"
		"Each option takes a comma-separated list and may be repeated.\n", prog);
	return 2;
}

static int subskel_test_main(int argc, char **argv, const struct subskel_test_def *tests,
			     int count)
{
	int i, tests_ok = 0, tests_skipped = 0, tests_failed = 0, tests_run = 0;
	const char *require = getenv("BPFSUBSKEL_REQUIRE_LOAD");
	bool list = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	subskel_env.require_load = require && strcmp(require, "1") == 0;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "-v")) {
			subskel_env.verbose = true;
		} else if (!strcmp(opt, "-l")) {
			list = true;
		} else if ((!strcmp(opt, "-t") || !strcmp(opt, "-a") || !strcmp(opt, "-d")) &&
			   i + 1 < argc) {
			bool deny = opt[1] == 'd';

			subskel_add_patterns(deny ? &subskel_deny : &subskel_allow,
					     deny ? &subskel_deny_cnt : &subskel_allow_cnt,
					     argv[++i], opt[1] == 't');
		} else {
			return subskel_usage(argv[0]);
		}
	}
	if (!subskel_env.verbose)
		libbpf_set_print(NULL);
	for (i = 0; i < count; i++) {
		int subtests_before = subskel_env.subtests_run;
		int failed_before = subskel_env.subtests_failed;
		int skipped_before = subskel_env.subtests_skipped;
		bool failed, skipped;

		subskel_test_num = i + 1;
		subskel_subtest_num = 0;
		if (!subskel_selected(tests[i].name, NULL))
			continue;
		if (list) {
			printf("%s\n", tests[i].name);
			continue;
		}
		subskel_env.test = tests[i].name;
		subskel_env.failed = false;
		subskel_env.skipped = false;
		tests[i].run();
		/* Every subtest filtered out and nothing failed outside them: not run. */
		if (subskel_subtest_num > 0 && subskel_env.subtests_run == subtests_before &&
		    !subskel_env.failed)
			continue;
		if (subskel_env.subtests_run > subtests_before) {
			int run = subskel_env.subtests_run - subtests_before;

			failed = subskel_env.failed ||
				 subskel_env.subtests_failed > failed_before;
			skipped = subskel_env.subtests_skipped - skipped_before == run;
		} else {
			failed = subskel_env.failed;
			skipped = subskel_env.skipped;
		}
		printf("#%d %s:%s\n", subskel_test_num, tests[i].name,
		       subskel_status(failed, skipped));
		tests_run++;
		if (failed)
			tests_failed++;
		else if (skipped)
			tests_skipped++;
		else
			tests_ok++;
	}
	if (list)
		return 0;
	printf("Summary: %d/%d PASSED, %d SKIPPED, %d FAILED\n", tests_ok,
	       subskel_env.subtests_ok, tests_skipped, tests_failed);
	if (!tests_run) {
		/* A filter that matches nothing is a mistake, not a pass. */
		fprintf(stderr, "no test matched the filters (-l lists them)\n");
		return 2;
	}
	if (tests_failed)
		return 1;
	return tests_run && tests_skipped == tests_run ? 77 : 0;
}
#endif /* SUBSKEL_TEST_MAIN */

#endif /* BPFSUBSKEL_TEST_H */
