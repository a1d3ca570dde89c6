/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Glue between kselftest_harness.h and the mdev tests.  Include it after
 * kselftest_harness.h.
 *
 * Every fixture has one variant per driver (and per VFIO path where it
 * matters), named "<driver>" or "<driver>_<path>", e.g. "rust_mtty_cdev".
 * Variants exist per driver so that known differences of the C sample can be
 * declared with XFAIL_ADD(fixture, mtty_group, test).  The environment
 * variable MDEV_DRIVER (default "mtty") selects the driver under test:
 * MDEV_HARNESS_MAIN() filters the other drivers' variants out (as if "-V
 * name" had been given), so each run reports the tests of one driver only.
 */
#ifndef MDEV_HARNESS_H
#define MDEV_HARNESS_H

#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "mdev_helpers.h"

#define MDEV_VARIANT_DRIVERS { "mtty", "rust_mtty" }

/*
 * The harness kills a test that runs longer than its timeout: 30 s by
 * default in 6.12, which one creation of every instance of the port pool
 * needed on a slow machine under KASAN and TCG.  A timeout here is a hang
 * guard, not a speed requirement, and waits on nothing when the test is
 * well: MDEV_TEST_TIMEOUT (s) is far (5x and more) from the slowest test
 * measured on a machine twice as slow as the project's (testing.rst).
 * TEST_F() expands TEST_TIMEOUT_DEFAULT where it is used, so this takes
 * effect for every test declared after this header.
 */
#define MDEV_TEST_TIMEOUT 300
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT MDEV_TEST_TIMEOUT

/*
 * How long each test takes, so that the timeouts above can be checked
 * against it: the setup, in the test's process, notes the start in a page
 * shared with the harness's process, where the teardown prints the time
 * ("test-time NAME MS ms", read by scripts/summarize.py).
 */
static uint64_t *mdev_test_start_ms;

/* Driver part of a variant name: "rust_mtty_cdev" -> "rust_mtty". */
static inline bool mdev_variant_is(const char *vname, const char *drv)
{
	size_t len = strlen(drv);
	const char *rest = vname + len;

	if (strncmp(vname, drv, len))
		return false;
	return !*rest || !strcmp(rest, "_group") || !strcmp(rest, "_cdev");
}

/*
 * @ready says whether the tests can run at all here (driver loaded, and for
 * some files KVM present).  When they cannot, every setup SKIPs, and the
 * XFAIL_ADD() declarations are dropped: the 6.12 harness would otherwise
 * report a skipped expected-failure as XPASS.
 */
static inline int mdev_harness_main(int argc, char **argv,
				    bool (*ready)(const char *drv))
{
	static const char *const drivers[] = MDEV_VARIANT_DRIVERS;
	const char *drv = mdev_driver();
	struct __fixture_variant_metadata *v;
	struct __fixture_metadata *f;
	bool known = false;
	char **nargv;
	int n = 0, i, nvar = 0;

	for (i = 0; i < (int)ARRAY_SIZE(drivers); i++)
		known |= !strcmp(drivers[i], drv);

	for (f = __fixture_list; f; f = f->next)
		for (v = f->variant; v; v = v->next)
			nvar++;

	nargv = calloc(argc + 2 * nvar + 1, sizeof(*nargv));
	if (!nargv)
		return KSFT_FAIL;
	nargv[n++] = argv[0];
	/*
	 * Exclusions go first: the harness stops at the first matching
	 * filter, so a user's "-t name" cannot bring another driver back.
	 * An unknown driver filters nothing; every setup then skips.
	 */
	if (known) {
		for (f = __fixture_list; f; f = f->next) {
			for (v = f->variant; v; v = v->next) {
				if (mdev_variant_is(v->name, drv))
					continue;
				nargv[n++] = "-V";
				nargv[n++] = (char *)v->name;
			}
		}
	}
	for (i = 1; i < argc; i++)
		nargv[n++] = argv[i];

	if (!mdev_parent_present(drv) || (ready && !ready(drv)))
		for (f = __fixture_list; f; f = f->next)
			for (v = f->variant; v; v = v->next)
				v->xfails = NULL;

	/*
	 * The harness says only "Test terminated by timeout": say here what
	 * the timeouts are, for the reader and for scripts/summarize.py.
	 */
	ksft_print_msg("harness-timeout default %d s\n", MDEV_TEST_TIMEOUT);
	for (f = __fixture_list; f; f = f->next) {
		struct __test_metadata *t;

		for (t = f->tests; t; t = t->next)
			if (t->timeout != MDEV_TEST_TIMEOUT)
				ksft_print_msg("harness-timeout %s.%s %d s\n",
					       f->name, t->name, t->timeout);
	}

	mdev_test_start_ms = mmap(NULL, sizeof(*mdev_test_start_ms),
				  PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mdev_test_start_ms == MAP_FAILED)
		mdev_test_start_ms = NULL;

	/* Instances left behind by a killed run would skew pool counts. */
	mdev_remove_stale();
	srandom(getpid() ^ (unsigned int)now_ms());

	return test_harness_run(n, nargv);
}

#define MDEV_HARNESS_MAIN_READY(ready) \
	int main(int argc, char **argv) \
	{ \
		return mdev_harness_main(argc, argv, (ready)); \
	}

#define MDEV_HARNESS_MAIN MDEV_HARNESS_MAIN_READY(NULL)

/*
 * Every FIXTURE_SETUP() starts with mdev_setup_begin() and every
 * FIXTURE_TEARDOWN_PARENT() with mdev_teardown_begin().
 *
 * The 6.12 harness can run a FIXTURE_TEARDOWN_PARENT() in the test's own
 * process instead of its parent: after an ASSERT_*() fails, it longjmp()s
 * back into the wrapper, whose local fork() result is not preserved across
 * the jump, so the test process takes the parent's branch.  That process
 * may still hold a device of the instance open, and removing the instance
 * then waits, uninterruptibly and for ever, for the device to be closed:
 * the test is killed by its timeout and the process left behind stops the
 * VM from shutting down.  The process exits right after the teardown, so
 * there mdev_teardown_begin() closes every file but the standard streams.
 */
static pid_t mdev_setup_pid;

static inline void mdev_setup_begin(void)
{
	mdev_setup_pid = getpid();
	if (mdev_test_start_ms)
		*mdev_test_start_ms = now_ms();
}

#define mdev_teardown_begin() __mdev_teardown_begin(_metadata)

static inline void __mdev_teardown_begin(struct __test_metadata *t)
{
	if (mdev_test_start_ms && *mdev_test_start_ms) {
		ksft_print_msg("test-time %s %llu ms\n", t->name,
			       (unsigned long long)(now_ms() -
						    *mdev_test_start_ms));
		*mdev_test_start_ms = 0;
	}
	if (mdev_setup_pid == getpid())
		close_range(3, ~0U, 0);
}

/*
 * Skip unless @drv is the driver under test and its mdev parent exists.
 * For fixture setups; "statement" is return.
 */
#define MDEV_REQUIRE_DRIVER(drv) do { \
	if (strcmp((drv), mdev_driver())) \
		SKIP(return, "variant for %s, MDEV_DRIVER=%s", (drv), \
		     mdev_driver()); \
	if (!mdev_parent_present(drv)) \
		SKIP(return, "mdev parent %s/%s absent (driver not loaded)", \
		     MDEV_CLASS_DIR, (drv)); \
} while (0)

/*
 * Say why a check is expected to fail for the C sample.  Only meaningful
 * in a test that has XFAIL_ADD() for the mtty variants: the reason is
 * printed on the TAP line ("# XFAIL known difference: ...").  Such a test
 * must not SKIP after its setup (a SKIP would be reported as XPASS).
 */
#define KNOWN_DIFFERENCE(drv, fmt, ...) do { \
	if (!strcmp((drv), "mtty")) \
		snprintf(_metadata->results->reason, \
			 sizeof(_metadata->results->reason), \
			 "known difference: " fmt, ##__VA_ARGS__); \
} while (0)

/*
 * The variants of a fixture whose tests run on both drivers and both VFIO
 * paths (mtty_group, mtty_cdev, rust_mtty_group, rust_mtty_cdev), or on
 * both drivers only (mtty, rust_mtty).
 */
#define MDEV_PATH_VARIANTS(fixture) \
	FIXTURE_VARIANT(fixture) { \
		const char *driver; \
		enum vfio_path path; \
	}; \
	FIXTURE_VARIANT_ADD(fixture, mtty_group) { \
		.driver = "mtty", .path = VFIO_PATH_GROUP, \
	}; \
	FIXTURE_VARIANT_ADD(fixture, mtty_cdev) { \
		.driver = "mtty", .path = VFIO_PATH_CDEV, \
	}; \
	FIXTURE_VARIANT_ADD(fixture, rust_mtty_group) { \
		.driver = "rust_mtty", .path = VFIO_PATH_GROUP, \
	}; \
	FIXTURE_VARIANT_ADD(fixture, rust_mtty_cdev) { \
		.driver = "rust_mtty", .path = VFIO_PATH_CDEV, \
	}

#define MDEV_DRIVER_VARIANTS(fixture) \
	FIXTURE_VARIANT(fixture) { \
		const char *driver; \
	}; \
	FIXTURE_VARIANT_ADD(fixture, mtty) { \
		.driver = "mtty", \
	}; \
	FIXTURE_VARIANT_ADD(fixture, rust_mtty) { \
		.driver = "rust_mtty", \
	}

/* errno-returning helper result as (ret, expected errno) pair */
#define ASSERT_ERRNO(expected, expr) ASSERT_EQ(-(expected), (expr))
#define EXPECT_ERRNO(expected, expr) EXPECT_EQ(-(expected), (expr))

#endif /* MDEV_HARNESS_H */
