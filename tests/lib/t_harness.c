// SPDX-License-Identifier: MIT
/*
 * DOC: test runner
 *
 * Tests register from constructors; main() runs them in registration order,
 * each behind a setjmp so a failed assert ends only that test. Output is
 * TAP version 13. A test that leaves heap blocks or lockdep reports behind
 * fails: the runner checks u_alloc_live() and u_lockdep_reports() around it.
 */
#include "t_harness.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/u_alloc.h"
#include "util/u_fault.h"
#include "util/u_lockdep.h"
#include "util/u_log.h"

#define MAX_TESTS 1024

static struct {
	const char *name;
	t_test_fn fn;
	t_test_arg_fn afn;
	const void *arg;
} tests[MAX_TESTS];
static unsigned int nr_tests;

static jmp_buf test_env;
static int test_state;		/* 0 running, 1 failed, 2 skipped */
static char skip_reason[256];
static uint64_t rng_state;
/* Set in a t_expect_abort() child: a failed assert there must end the child, not unwind into the runner. */
static bool in_forked_child;
static uint64_t seed_value;
static bool seed_set;

void t_register(const char *name, t_test_fn fn)
{
	if (nr_tests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		abort();
	}
	tests[nr_tests].name = name;
	tests[nr_tests].fn = fn;
	nr_tests++;
}

void t_register_arg(const char *name, t_test_arg_fn fn, const void *arg)
{
	if (nr_tests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		abort();
	}
	tests[nr_tests].name = name;
	tests[nr_tests].afn = fn;
	tests[nr_tests].arg = arg;
	nr_tests++;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL at %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	u_fault_disable();
	if (in_forked_child)
		_exit(2);
	test_state = 1;
	longjmp(test_env, 1);
}

void t_skip(const char *why)
{
	if (in_forked_child)
		_exit(2);
	snprintf(skip_reason, sizeof(skip_reason), "%s", why);
	test_state = 2;
	longjmp(test_env, 1);
}

void t_note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

const char *t_errname(int err)
{
	switch (err) {
	case 0: return "success";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EDEADLK: return "EDEADLK";
	case ENOSYS: return "ENOSYS";
	case ETIME: return "ETIME";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EALREADY: return "EALREADY";
	case ENOTTY: return "ENOTTY";
	case ECANCELED: return "ECANCELED";
	default: return "?";
	}
}

bool t_expect_abort(void (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		t_fail(__FILE__, __LINE__, "fork failed");
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		signal(SIGABRT, SIG_DFL);
		in_forked_child = true;
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		t_fail(__FILE__, __LINE__, "waitpid failed");
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

uint64_t t_seed(void)
{
	if (!seed_set) {
		const char *env = getenv("PANTOMIME_TEST_SEED");

		seed_value = env ? strtoull(env, NULL, 0) : 0x5eed1234abcdull;
		seed_set = true;
		printf("# seed 0x%" PRIx64 " (set PANTOMIME_TEST_SEED to change)\n", seed_value);
	}
	return seed_value;
}

uint64_t t_rand(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

unsigned long t_fault_loop(const struct t_fault_loop_ops *ops, void *ctx, bool persistent)
{
	long base_allocs = u_alloc_live();
	long base_res = ops->resources ? ops->resources(ctx) : 0;
	unsigned long n;

	for (n = 1; n < 1000000; n++) {
		unsigned long injected;
		int ret;

		u_fault_set_nth(n, persistent);
		ret = ops->run(ctx);
		injected = u_fault_injected();
		u_fault_disable();

		if (ops->check)
			ops->check(ctx);
		if (ret == 0) {
			/* Success: undo it, whether a failure was absorbed (retried) or none was injected. */
			if (ops->undo)
				ops->undo(ctx);
		} else if (ret != -ENOMEM) {
			t_fail(__FILE__, __LINE__, "fault loop point %lu%s: expected -ENOMEM, got %d (%s)",
			       n, persistent ? " (persistent)" : "", ret, t_errname(-ret));
		} else if (!injected) {
			t_fail(__FILE__, __LINE__, "fault loop point %lu: -ENOMEM although no failure was injected",
			       n);
		}
		if (u_alloc_live() != base_allocs)
			t_fail(__FILE__, __LINE__, "fault loop point %lu: %ld heap blocks leaked",
			       n, u_alloc_live() - base_allocs);
		if (ops->resources && ops->resources(ctx) != base_res)
			t_fail(__FILE__, __LINE__, "fault loop point %lu: resources %ld, expected %ld",
			       n, ops->resources(ctx), base_res);
		/* The first clean run (nothing injected) ends the sweep, after the same checks. */
		if (ret == 0 && !injected)
			return n - 1;
	}
	t_fail(__FILE__, __LINE__, "fault loop did not terminate");
}

void t_exec_self(const char *argv0)
{
	const char *wrap = getenv("PANTOMIME_TEST_EXEC_WRAPPER");
	const char *preload = getenv("LD_PRELOAD");
	char self[4096], words[512], env[4096], *argv[16];
	unsigned int argc = 0;
	ssize_t n;

	if (!wrap || !*wrap) {
		execl("/proc/self/exe", argv0, (char *)NULL);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || strlen(wrap) >= sizeof(words))
		return;
	self[n] = '\0';
	strcpy(words, wrap);
	for (char *w = strtok(words, " "); w && argc < 12; w = strtok(NULL, " "))
		argv[argc++] = w;
	/* The preload is the guest's (qemu -E), not the emulator's own. */
	if (preload && *preload && strlen(preload) < sizeof(env) - 12) {
		snprintf(env, sizeof(env), "LD_PRELOAD=%s", preload);
		argv[argc++] = "-E";
		argv[argc++] = env;
		unsetenv("LD_PRELOAD");
	}
	argv[argc++] = self;
	argv[argc] = NULL;
	execvp(argv[0], argv);
}

static bool matches(const char *name, int argc, char **argv)
{
	if (argc <= 1)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

/* setjmp lives here, away from main's counters, so longjmp cannot clobber them. */
static int run_one(unsigned int i)
{
	test_state = 0;
	if (setjmp(test_env) == 0) {
		if (tests[i].afn)
			tests[i].afn(tests[i].arg);
		else
			tests[i].fn();
	}
	return test_state;
}

int main(int argc, char **argv)
{
	unsigned int run = 0, failed = 0, skipped = 0, planned = 0;
	const char *lockdep_env = getenv("PANTOMIME_LOCKDEP");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!lockdep_env || strcmp(lockdep_env, "0"))
		u_lockdep_set_enabled(true);

	for (unsigned int i = 0; i < nr_tests; i++)
		planned += matches(tests[i].name, argc, argv);
	printf("TAP version 13\n1..%u\n", planned);

	for (unsigned int i = 0; i < nr_tests; i++) {
		long allocs_before;
		unsigned long reports_before;
		struct timespec t0, t1;

		if (!matches(tests[i].name, argc, argv))
			continue;
		run++;
		rng_state = t_seed() ^ (0x9e3779b97f4a7c15ull * (i + 1));
		allocs_before = u_alloc_live();
		reports_before = u_lockdep_reports();
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (run_one(i) == 0) {
			if (u_alloc_live() != allocs_before) {
				printf("# FAIL: %ld heap blocks leaked by the test\n",
				       u_alloc_live() - allocs_before);
				test_state = 1;
			}
			if (u_lockdep_reports() != reports_before) {
				printf("# FAIL: %lu lockdep reports during the test\n",
				       u_lockdep_reports() - reports_before);
				test_state = 1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		u_fault_disable();
		switch (test_state) {
		case 0:
			printf("ok %u - %s # %.3fs\n", run, tests[i].name,
			       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
			break;
		case 1:
			printf("not ok %u - %s\n", run, tests[i].name);
			failed++;
			break;
		default:
			printf("ok %u - %s # SKIP %s\n", run, tests[i].name, skip_reason);
			skipped++;
			break;
		}
	}
	printf("# %u passed, %u failed, %u skipped\n", run - failed - skipped, failed, skipped);
	if (failed)
		return 1;
	return (run && skipped == run) ? 77 : 0;
}
