// SPDX-License-Identifier: MIT
/*
 * Tests of the util core: the allocator table (u_alloc), fault injection
 * (u_fault), the harness's own fault-injection loop, lists, reference
 * counts, logging and trace hooks.
 *
 * Behaviour that ends the process (a panic, an abort) is checked in a
 * forked child, never in the test process. Scenarios that must make a test
 * *fail* (to prove a check can fail) re-run this binary with a filter, so
 * the harness in the child reports exactly one test.
 */
#include "t_harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/u_alloc.h"
#include "util/u_compiler.h"
#include "util/u_fault.h"
#include "util/u_list.h"
#include "util/u_log.h"
#include "util/u_refcount.h"
#include "util/u_trace.h"

#define ASSERT_CONTAINS(hay, needle) \
	T_ASSERT_MSG(strstr((hay), (needle)), "expected \"%s\" in:\n%s", (needle), (hay))

/* ---- child processes ---------------------------------------------------- */

/* Read @fd to EOF, keeping the first @len - 1 bytes in @buf (NUL-terminated). */
static void drain(int fd, char *buf, size_t len)
{
	char scratch[256];
	size_t n = 0;
	ssize_t r;

	for (;;) {
		if (n + 1 < len)
			r = read(fd, buf + n, len - 1 - n);
		else
			r = read(fd, scratch, sizeof(scratch));	/* keep the child unblocked */
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n + 1 < len)
			n += (size_t)r;
	}
	buf[n] = '\0';
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		T_ASSERT_MSG(errno == EINTR, "waitpid: %s", strerror(errno));
	return status;
}

/*
 * Run @fn(@arg) in a forked child whose stderr goes to @err. The child
 * exits 0 if @fn returns. Return: the child's wait status.
 */
static int run_forked(void (*fn)(void *), void *arg, char *err, size_t errlen)
{
	int fds[2];
	pid_t pid;

	T_ASSERT_EQ_INT(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	T_ASSERT_GE_INT(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	drain(fds[0], err, errlen);
	close(fds[0]);
	return wait_child(pid);
}

/* The child must have died of SIGABRT after printing @why on stderr. */
static void assert_aborted(int status, const char *err, const char *why)
{
	T_ASSERT_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		     "child %s %d, expected SIGABRT; stderr:\n%s",
		     WIFSIGNALED(status) ? "died of signal" : "exited with",
		     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), err);
	ASSERT_CONTAINS(err, why);
}

#define CHILD_ENV "PANTOMIME_TEST_CHILD"

/* Return: true when this process is the re-run child for @scenario. */
static bool child_scenario(const char *scenario)
{
	const char *env = getenv(CHILD_ENV);

	return env && !strcmp(env, scenario);
}

/*
 * Re-run this binary with only the test @name, in child mode @scenario,
 * capturing its TAP output in @out. Return: the child's wait status.
 */
static int run_self(const char *name, const char *scenario, char *out, size_t outlen)
{
	int fds[2];
	pid_t pid;

	T_ASSERT_EQ_INT(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	T_ASSERT_GE_INT(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		setenv(CHILD_ENV, scenario, 1);
		execl("/proc/self/exe", "test-util-util", name, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	drain(fds[0], out, outlen);
	close(fds[0]);
	return wait_child(pid);
}

/* ---- log capture -------------------------------------------------------- */

#define CAP_LINES 16

/* Static, not on a test's stack: a failed test may leave the sink installed. */
static struct {
	unsigned int n;
	enum u_log_level level[CAP_LINES];
	char line[CAP_LINES][1100];
	enum u_log_level saved_level;
} cap;

static void capture_sink(void *cookie, enum u_log_level level, const char *line)
{
	if (cap.n < CAP_LINES) {
		cap.level[cap.n] = level;
		snprintf(cap.line[cap.n], sizeof(cap.line[0]), "%s", line);
	}
	cap.n++;
}

static void capture_begin(enum u_log_level level)
{
	cap.n = 0;
	cap.saved_level = u_log_get_level();
	u_log_set_level(level);
	u_log_set_sink(capture_sink, NULL);
}

static void capture_end(void)
{
	u_log_set_sink(NULL, NULL);
	u_log_set_level(cap.saved_level);
}

/* ---- u_alloc ------------------------------------------------------------ */

T_TEST(alloc_live_counts, "util/alloc/live-counts")
{
	long blocks = u_alloc_live(), bytes = u_alloc_live_bytes();
	unsigned char *p, *q;

	p = u_malloc(100);
	q = u_zalloc(28);
	T_ASSERT_NOT_NULL(p);
	T_ASSERT_NOT_NULL(q);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks + 2);
	T_ASSERT_EQ_INT(u_alloc_live_bytes(), bytes + 128);
	T_ASSERT_EQ_INT((uintptr_t)p % 16, 0);
	T_ASSERT_EQ_INT((uintptr_t)q % 16, 0);
	for (int i = 0; i < 28; i++)
		T_ASSERT_EQ_INT(q[i], 0);
	memset(p, 0xa5, 100);

	u_free(p);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks + 1);
	T_ASSERT_EQ_INT(u_alloc_live_bytes(), bytes + 28);
	u_free(q);
	u_free(NULL);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks);
	T_ASSERT_EQ_INT(u_alloc_live_bytes(), bytes);
}

T_TEST(alloc_zero_size, "util/alloc/malloc-zero-is-unique")
{
	void *a = u_malloc(0), *b = u_malloc(0);

	T_ASSERT_NOT_NULL(a);
	T_ASSERT_NOT_NULL(b);
	T_ASSERT(a != b);
	u_free(a);
	u_free(b);
}

T_TEST(alloc_calloc_overflow, "util/alloc/calloc-overflow")
{
	long blocks = u_alloc_live();
	unsigned char *p;

	T_ASSERT_NULL(u_calloc(SIZE_MAX / 16 + 1, 16));
	T_ASSERT_NULL(u_calloc(SIZE_MAX, 2));
	T_ASSERT_NULL(u_calloc(2, SIZE_MAX));
	/* Sizes that fit but cannot be given the header are refused too. */
	T_ASSERT_NULL(u_malloc(SIZE_MAX - 8));
	T_ASSERT_EQ_INT(u_alloc_live(), blocks);

	p = u_calloc(3, 8);
	T_ASSERT_NOT_NULL(p);
	for (int i = 0; i < 24; i++)
		T_ASSERT_EQ_INT(p[i], 0);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks + 1);
	u_free(p);
}

T_TEST(alloc_realloc_preserves, "util/alloc/realloc-preserves-contents")
{
	long blocks = u_alloc_live(), bytes = u_alloc_live_bytes();
	unsigned char *p = u_realloc(NULL, 16);	/* NULL acts as malloc */

	T_ASSERT_NOT_NULL(p);
	for (int i = 0; i < 16; i++)
		p[i] = (unsigned char)(i * 7);
	p = u_realloc(p, 4096);
	T_ASSERT_NOT_NULL(p);
	for (int i = 0; i < 16; i++)
		T_ASSERT_EQ_INT(p[i], (unsigned char)(i * 7));
	T_ASSERT_EQ_INT(u_alloc_live(), blocks + 1);
	T_ASSERT_EQ_INT(u_alloc_live_bytes(), bytes + 4096);
	p = u_realloc(p, 8);
	T_ASSERT_NOT_NULL(p);
	for (int i = 0; i < 8; i++)
		T_ASSERT_EQ_INT(p[i], (unsigned char)(i * 7));
	T_ASSERT_EQ_INT(u_alloc_live_bytes(), bytes + 8);
	u_free(p);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks);
}

T_TEST(alloc_realloc_failure, "util/alloc/realloc-failure-keeps-old-block")
{
	long blocks = u_alloc_live();
	unsigned char *p = u_malloc(32), *q;

	T_ASSERT_NOT_NULL(p);
	for (int i = 0; i < 32; i++)
		p[i] = (unsigned char)(0xf0 ^ i);
	u_fault_set_nth(1, false);
	q = u_realloc(p, 64);
	T_ASSERT_EQ_INT(u_fault_injected(), 1);
	u_fault_disable();
	T_ASSERT_NULL(q);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks + 1);
	for (int i = 0; i < 32; i++)
		T_ASSERT_EQ_INT(p[i], (unsigned char)(0xf0 ^ i));
	/* Still a live block of ours: growing it now works and keeps the data. */
	p = u_realloc(p, 64);
	T_ASSERT_NOT_NULL(p);
	T_ASSERT_EQ_INT(p[31], (unsigned char)(0xf0 ^ 31));
	u_free(p);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks);
}

T_TEST(alloc_strdup, "util/alloc/strdup")
{
	long bytes = u_alloc_live_bytes();
	char *s = u_strdup("pantomime");

	T_ASSERT_NOT_NULL(s);
	T_ASSERT_EQ_STR(s, "pantomime");
	T_ASSERT_EQ_INT(u_alloc_live_bytes(), bytes + 10);	/* with the NUL */
	u_free(s);
	T_ASSERT_EQ_INT(u_alloc_live_bytes(), bytes);
}

/* A replacement table that counts its calls. */
static struct {
	unsigned int allocs, frees;
	size_t last_size;
	bool refuse;
	void *cookie;
} tbl;

static void *tbl_alloc(void *cookie, size_t size)
{
	tbl.cookie = cookie;
	tbl.allocs++;
	tbl.last_size = size;
	return tbl.refuse ? NULL : malloc(size);
}

static void tbl_free(void *cookie, void *ptr)
{
	tbl.cookie = cookie;
	tbl.frees++;
	free(ptr);
}

T_TEST(alloc_set_ops, "util/alloc/replaceable-table")
{
	static const struct u_allocator_ops ops = {
		.alloc = tbl_alloc,
		.free = tbl_free,
		.cookie = &tbl,
	};
	long blocks = u_alloc_live();
	void *p;

	memset(&tbl, 0, sizeof(tbl));
	u_alloc_set_ops(&ops);
	p = u_malloc(40);
	T_ASSERT_EQ_INT(tbl.allocs, 1);
	T_ASSERT_GE_INT(tbl.last_size, 40);	/* plus the table's header */
	T_ASSERT_EQ_PTR(tbl.cookie, &tbl);
	u_free(p);
	T_ASSERT_EQ_INT(tbl.frees, 1);

	/* A refusing table is a NULL return, not a count. */
	tbl.refuse = true;
	T_ASSERT_NULL(u_malloc(8));
	T_ASSERT_EQ_INT(tbl.allocs, 2);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks);

	u_alloc_set_ops(NULL);
	p = u_malloc(8);
	T_ASSERT_NOT_NULL(p);
	u_free(p);
	T_ASSERT_EQ_INT(tbl.allocs, 2);
	T_ASSERT_EQ_INT(tbl.frees, 1);
}

T_TEST(alloc_forbid_nesting, "util/alloc/forbid/nests")
{
	void *p;

	T_ASSERT_EQ_INT(u_alloc_forbidden(), 0);
	u_alloc_forbid_begin("outer");
	T_ASSERT_NE_INT(u_alloc_forbidden(), 0);
	u_alloc_forbid_begin("inner");
	T_ASSERT_NE_INT(u_alloc_forbidden(), 0);
	u_alloc_forbid_end();
	/* Closing the inner section must not reopen allocation. */
	T_ASSERT_NE_INT(u_alloc_forbidden(), 0);
	u_alloc_forbid_end();
	T_ASSERT_EQ_INT(u_alloc_forbidden(), 0);

	p = u_malloc(1);
	T_ASSERT_NOT_NULL(p);
	u_free(p);
}

static void alloc_in_section(void *arg)
{
	u_alloc_forbid_begin("fence signalling");
	(void)u_malloc(1);
}

T_TEST(alloc_forbid_aborts, "util/alloc/forbid/allocation-aborts")
{
	char err[2048];
	int status = run_forked(alloc_in_section, NULL, err, sizeof(err));

	assert_aborted(status, err, "inside a no-allocation section (fence signalling)");
	ASSERT_CONTAINS(err, "alloc_in_section");	/* the site is named */
}

static void alloc_after_inner_end(void *arg)
{
	u_alloc_forbid_begin("outer section");
	u_alloc_forbid_begin("inner section");
	u_alloc_forbid_end();
	(void)u_malloc(1);
}

T_TEST(alloc_forbid_nested_aborts, "util/alloc/forbid/nested-end-still-forbids")
{
	char err[2048];
	int status = run_forked(alloc_after_inner_end, NULL, err, sizeof(err));

	/* Still forbidden, and the reason given is the outermost section's. */
	assert_aborted(status, err, "(outer section)");
}

static void unbalanced_end(void *arg)
{
	u_alloc_forbid_end();
}

T_TEST(alloc_forbid_unbalanced, "util/alloc/forbid/unbalanced-end-aborts")
{
	char err[2048];
	int status = run_forked(unbalanced_end, NULL, err, sizeof(err));

	assert_aborted(status, err, "assertion failed");
}

static void *other_thread_alloc(void *arg)
{
	int *forbidden = arg;
	void *p;

	*forbidden = u_alloc_forbidden();
	p = u_malloc(16);
	u_free(p);
	return p;
}

T_TEST(alloc_forbid_per_thread, "util/alloc/forbid/per-thread")
{
	pthread_t th;
	int forbidden = -1;
	void *ret;

	u_alloc_forbid_begin("main thread only");
	T_ASSERT_EQ_INT(pthread_create(&th, NULL, other_thread_alloc, &forbidden), 0);
	T_ASSERT_EQ_INT(pthread_join(th, &ret), 0);
	u_alloc_forbid_end();
	T_ASSERT_EQ_INT(forbidden, 0);
	T_ASSERT(ret != NULL);
}

/* ---- u_fault ------------------------------------------------------------ */

/* Ask the injector @n times about @site; 'X' for an injected failure. */
static const char *pattern(const char *site, unsigned int n)
{
	static char buf[64];

	for (unsigned int i = 0; i < n && i < sizeof(buf) - 1; i++)
		buf[i] = u_fault_should_fail(site) ? 'X' : '.';
	buf[u_min(n, (unsigned int)sizeof(buf) - 1)] = '\0';
	return buf;
}

T_TEST(fault_nth, "util/fault/nth-transient")
{
	T_ASSERT_OK(u_fault_configure("nth=3"));
	T_ASSERT_EQ_INT(u_fault_mode(), U_FAULT_NTH);
	T_ASSERT_EQ_STR(pattern("any", 8), "..X.....");
	T_ASSERT_EQ_INT(u_fault_points(), 8);
	T_ASSERT_EQ_INT(u_fault_injected(), 1);
	u_fault_disable();

	/* "transient" is the default and may be spelled out. */
	T_ASSERT_OK(u_fault_configure("nth=1,transient"));
	T_ASSERT_EQ_STR(pattern("any", 4), "X...");
	u_fault_disable();
}

T_TEST(fault_nth_persistent, "util/fault/nth-persistent")
{
	T_ASSERT_OK(u_fault_configure("nth=3,persistent"));
	T_ASSERT_EQ_INT(u_fault_mode(), U_FAULT_NTH);
	T_ASSERT_EQ_STR(pattern("any", 8), "..XXXXXX");
	T_ASSERT_EQ_INT(u_fault_injected(), 6);
	u_fault_disable();
}

T_TEST(fault_site, "util/fault/site")
{
	void *p;

	T_ASSERT_OK(u_fault_configure("site=foo"));
	T_ASSERT_EQ_INT(u_fault_mode(), U_FAULT_SITE);
	T_ASSERT_EQ_STR(pattern("bar", 4), "....");
	T_ASSERT_EQ_STR(pattern("foo", 4), "XXXX");
	T_ASSERT_EQ_STR(pattern("foobar", 2), "..");
	T_ASSERT_EQ_STR(pattern("fo", 2), "..");
	/* Through the allocator: the site is the allocating function's name. */
	T_ASSERT_NULL(u_malloc_site(8, "foo"));
	p = u_malloc_site(8, "bar");
	T_ASSERT_NOT_NULL(p);
	u_free(p);

	T_ASSERT_OK(u_fault_configure("site=foo,site=baz"));
	T_ASSERT_EQ_STR(pattern("foo", 1), "X");
	T_ASSERT_EQ_STR(pattern("baz", 1), "X");
	T_ASSERT_EQ_STR(pattern("bar", 1), ".");
	u_fault_disable();
}

/* Record @n decisions of the injector as bits. Return: how many failed. */
static unsigned int sample(uint64_t *bits, unsigned int n)
{
	unsigned int hits = 0;

	memset(bits, 0, (n + 63) / 64 * sizeof(*bits));
	for (unsigned int i = 0; i < n; i++) {
		if (u_fault_should_fail("any")) {
			bits[i / 64] |= 1ull << (i % 64);
			hits++;
		}
	}
	return hits;
}

T_TEST(fault_random, "util/fault/random-reproducible")
{
	enum { N = 8192 };
	static uint64_t a[N / 64], b[N / 64], c[N / 64];
	unsigned int ha, hb, hc;

	T_ASSERT_OK(u_fault_configure("random=0.5,seed=7"));
	T_ASSERT_EQ_INT(u_fault_mode(), U_FAULT_RANDOM);
	ha = sample(a, N);
	T_ASSERT_EQ_INT(u_fault_injected(), ha);
	T_ASSERT_OK(u_fault_configure("random=0.5,seed=7"));
	hb = sample(b, N);
	T_ASSERT_EQ_INT(ha, hb);
	T_ASSERT(!memcmp(a, b, sizeof(a)));
	/* 0.5 of 8192 is 4096 +- 45 (one sigma); allow 10 sigma. */
	T_ASSERT_GT_INT(ha, N / 2 - 450);
	T_ASSERT_LT_INT(ha, N / 2 + 450);

	T_ASSERT_OK(u_fault_configure("random=0.5,seed=8"));
	hc = sample(c, N);
	T_ASSERT(memcmp(a, c, sizeof(a)));
	T_ASSERT_GT_INT(hc, N / 2 - 450);

	/* p = 0.05: 410 +- 20. */
	T_ASSERT_OK(u_fault_configure("random=0.05,seed=7"));
	ha = sample(a, N);
	T_ASSERT_GT_INT(ha, N / 20 - 200);
	T_ASSERT_LT_INT(ha, N / 20 + 200);

	/* The extremes are exact. */
	T_ASSERT_OK(u_fault_configure("random=0,seed=7"));
	T_ASSERT_EQ_INT(sample(a, N), 0);
	T_ASSERT_OK(u_fault_configure("random=1,seed=7"));
	T_ASSERT_EQ_INT(sample(a, N), N);
	u_fault_disable();
}

T_TEST(fault_off, "util/fault/off-still-counts")
{
	T_ASSERT_OK(u_fault_configure("nth=1,persistent"));
	T_ASSERT_OK(u_fault_configure("off"));
	T_ASSERT_EQ_INT(u_fault_mode(), U_FAULT_OFF);
	T_ASSERT_EQ_STR(pattern("any", 5), ".....");
	T_ASSERT_EQ_INT(u_fault_points(), 5);
	T_ASSERT_EQ_INT(u_fault_injected(), 0);
	u_fault_reset_counters();
	T_ASSERT_EQ_INT(u_fault_points(), 0);
}

T_TEST(fault_rejects, "util/fault/rejects-bad-specs")
{
	static const struct {
		const char *spec;
		const char *logged;	/* expected in the error line */
	} bad[] = {
		{ "nth=0", "nth=0" },
		{ "nth=x", "nth=x" },
		{ "nth=", "nth=" },
		{ "bogus", "bogus" },
		{ "random=2", "random=2" },
		{ "random=-0.5", "random=-0.5" },
		{ "random=0.5x", "random=0.5x" },
		{ "seed=", "seed=" },
		{ "site=", "site=" },
		{ "persistent=1", "persistent=1" },
		{ "", "empty" },
		{ ",", "empty" },
		{ "nth=-1", "nth=-1" },	/* strtoul would wrap it */
		{ "seed=-1", "seed=-1" },
		{ "nth=2,bogus", "bogus" },	/* a good term before a bad one changes nothing */
	};

	T_ASSERT_OK(u_fault_configure("nth=5,persistent"));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret;

		capture_begin(U_LOG_ERROR);
		ret = u_fault_configure(bad[i].spec);
		capture_end();
		T_ASSERT_MSG(ret == -EINVAL, "spec \"%s\": got %d, expected -EINVAL", bad[i].spec, ret);
		T_ASSERT_MSG(cap.n >= 1, "spec \"%s\": nothing logged", bad[i].spec);
		ASSERT_CONTAINS(cap.line[0], bad[i].logged);
		T_ASSERT_EQ_INT(u_fault_mode(), U_FAULT_NTH);
	}
	capture_begin(U_LOG_ERROR);
	T_ASSERT_ERRNO(u_fault_configure(NULL), EINVAL);
	capture_end();

	/* The previous mode is intact: still point 5 and later. */
	u_fault_reset_counters();
	T_ASSERT_EQ_STR(pattern("any", 7), "....XXX");
	u_fault_disable();
}

/* ---- t_fault_loop ------------------------------------------------------- */

/* A toy operation: five allocations, unwound in reverse on failure. */
struct toy {
	void *blk[5];
	unsigned int runs, undos, checks;
	bool leak_on_failure;	/* the bug the loop must catch */
	int fail_errno;		/* what a failure returns */
};

/* Blocks a leaky run "forgot", kept reachable so LeakSanitizer stays quiet. */
static void *forgotten[64];
static unsigned int nr_forgotten;

static int toy_run(void *ctx)
{
	struct toy *t = ctx;
	int i;

	t->runs++;
	for (i = 0; i < 5; i++) {
		t->blk[i] = u_malloc(16 * (size_t)(i + 1));
		if (!t->blk[i])
			goto err_free;
	}
	return 0;

err_free:
	while (i--) {
		if (t->leak_on_failure && nr_forgotten < ARRAY_SIZE(forgotten))
			forgotten[nr_forgotten++] = t->blk[i];
		else
			u_free(t->blk[i]);
		t->blk[i] = NULL;
	}
	return t->fail_errno;
}

static void toy_undo(void *ctx)
{
	struct toy *t = ctx;

	t->undos++;
	for (int i = 0; i < 5; i++) {
		u_free(t->blk[i]);
		t->blk[i] = NULL;
	}
}

static void toy_check(void *ctx)
{
	struct toy *t = ctx;

	t->checks++;
}

static const struct t_fault_loop_ops toy_ops = {
	.run = toy_run,
	.undo = toy_undo,
	.check = toy_check,
};

T_TEST(fault_loop_sweep, "util/harness/fault-loop/sweeps-every-point")
{
	struct toy t = { .fail_errno = -ENOMEM };
	long blocks = u_alloc_live();

	T_ASSERT_EQ_INT(t_fault_loop(&toy_ops, &t, false), 5);
	/* Points 1..5 failed, the sixth run succeeded and was undone; check ran after each. */
	T_ASSERT_EQ_INT(t.runs, 6);
	T_ASSERT_EQ_INT(t.checks, 6);
	T_ASSERT_EQ_INT(t.undos, 1);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks);

	memset(&t, 0, sizeof(t));
	t.fail_errno = -ENOMEM;
	T_ASSERT_EQ_INT(t_fault_loop(&toy_ops, &t, true), 5);
	T_ASSERT_EQ_INT(t.runs, 6);
	T_ASSERT_EQ_INT(t.undos, 1);
	T_ASSERT_EQ_INT(u_alloc_live(), blocks);
	T_ASSERT_EQ_INT(u_fault_mode(), U_FAULT_OFF);
}

/* An operation that absorbs one failure by retrying its first allocation. */
static int retry_run(void *ctx)
{
	struct toy *t = ctx;

	t->runs++;
	t->blk[0] = u_malloc(8);
	if (!t->blk[0])
		t->blk[0] = u_malloc(8);
	if (!t->blk[0])
		return -ENOMEM;
	t->blk[1] = u_malloc(8);
	if (!t->blk[1]) {
		u_free(t->blk[0]);
		t->blk[0] = NULL;
		return -ENOMEM;
	}
	return 0;
}

T_TEST(fault_loop_absorbed, "util/harness/fault-loop/absorbed-failure-is-undone")
{
	static const struct t_fault_loop_ops ops = { .run = retry_run, .undo = toy_undo };
	struct toy t = { 0 };

	/* Transient: point 1 is absorbed by the retry (undone), point 2 fails, 3 is clean (undone too). */
	T_ASSERT_EQ_INT(t_fault_loop(&ops, &t, false), 2);
	T_ASSERT_EQ_INT(t.undos, 2);
	T_ASSERT_EQ_INT(t.runs, 3);

	/* Persistent: the retry fails too, so nothing is absorbed. */
	memset(&t, 0, sizeof(t));
	T_ASSERT_EQ_INT(t_fault_loop(&ops, &t, true), 2);
	T_ASSERT_EQ_INT(t.undos, 1);	/* only the final clean run */
}

/*
 * In the child, run the loop on a broken operation; the child's harness
 * must report the test failed. In the parent, check that it did.
 */
static void fault_loop_must_fail(const char *name, const char *scenario, struct toy *t,
				 const char *expect)
{
	char out[8192];
	int status;

	if (child_scenario(scenario)) {
		t_fault_loop(&toy_ops, t, false);
		/* Reaching here means the loop accepted the broken operation. */
		toy_undo(t);
		return;
	}
	status = run_self(name, scenario, out, sizeof(out));
	T_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		     "child status 0x%x, expected exit 1 (one failed test); output:\n%s",
		     status, out);
	ASSERT_CONTAINS(out, "1..1\n");
	ASSERT_CONTAINS(out, "not ok 1 - ");
	ASSERT_CONTAINS(out, expect);
}

T_TEST(fault_loop_leak, "util/harness/fault-loop/detects-leak")
{
	struct toy t = { .fail_errno = -ENOMEM, .leak_on_failure = true };

	/* Failing point 1 leaks nothing; point 2 leaks the first block. */
	fault_loop_must_fail("util/harness/fault-loop/detects-leak", "leaky-op", &t,
			     "fault loop point 2: 1 heap blocks leaked");
}

T_TEST(fault_loop_errno, "util/harness/fault-loop/detects-wrong-errno")
{
	struct toy t = { .fail_errno = -EIO };

	fault_loop_must_fail("util/harness/fault-loop/detects-wrong-errno", "eio-op", &t,
			     "fault loop point 1: expected -ENOMEM, got -5 (EIO)");
}

/* ---- u_list ------------------------------------------------------------- */

struct item {
	int v;
	struct u_list link;
};

/* The values on @head, in order, as a string like "0,1,2". */
static const char *list_str(struct u_list *head)
{
	static char buf[256];
	struct item *it;
	size_t n = 0;

	buf[0] = '\0';
	u_list_for_each_entry(it, head, link)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d", n ? "," : "", it->v);
	return buf;
}

T_TEST(list_add, "util/list/add-and-iterate")
{
	struct item it[5];
	struct u_list stack = U_LIST_INIT(stack), queue;

	u_list_init(&queue);
	T_ASSERT(u_list_empty(&stack));
	T_ASSERT(u_list_empty(&queue));
	for (int i = 0; i < 5; i++) {
		it[i].v = i;
		u_list_add(&it[i].link, &stack);
	}
	T_ASSERT_EQ_STR(list_str(&stack), "4,3,2,1,0");
	T_ASSERT_EQ_INT(u_list_length(&stack), 5);
	T_ASSERT_EQ_PTR(u_list_first_entry(&stack, struct item, link), &it[4]);
	T_ASSERT_EQ_PTR(u_list_last_entry(&stack, struct item, link), &it[0]);

	for (int i = 0; i < 5; i++)
		u_list_move_tail(&it[i].link, &queue);
	T_ASSERT(u_list_empty(&stack));
	T_ASSERT_EQ_STR(list_str(&queue), "0,1,2,3,4");
	T_ASSERT_EQ_PTR(u_list_first_entry(&queue, struct item, link), &it[0]);
	T_ASSERT_EQ_PTR(u_list_last_entry(&queue, struct item, link), &it[4]);
}

T_TEST(list_add_tail_del, "util/list/add-tail-del-move-tail")
{
	struct item it[5];
	struct u_list head;

	u_list_init(&head);
	for (int i = 0; i < 5; i++) {
		it[i].v = i;
		u_list_add_tail(&it[i].link, &head);
	}
	T_ASSERT_EQ_STR(list_str(&head), "0,1,2,3,4");

	u_list_del(&it[2].link);
	T_ASSERT_EQ_STR(list_str(&head), "0,1,3,4");
	T_ASSERT(u_list_empty(&it[2].link));	/* self-linked after del */
	u_list_del(&it[0].link);
	u_list_del(&it[4].link);
	T_ASSERT_EQ_STR(list_str(&head), "1,3");

	u_list_add(&it[0].link, &head);
	u_list_move_tail(&it[0].link, &head);
	T_ASSERT_EQ_STR(list_str(&head), "1,3,0");
	u_list_move_tail(&it[1].link, &head);
	T_ASSERT_EQ_STR(list_str(&head), "3,0,1");
	T_ASSERT_EQ_INT(u_list_length(&head), 3);
}

T_TEST(list_safe_delete, "util/list/safe-iteration-with-deletion")
{
	struct item it[10], *pos, *tmp;
	struct u_list head, evens;

	u_list_init(&head);
	u_list_init(&evens);
	for (int i = 0; i < 10; i++) {
		it[i].v = i;
		u_list_add_tail(&it[i].link, &head);
	}
	u_list_for_each_entry_safe(pos, tmp, &head, link) {
		if (pos->v % 2 == 0)
			u_list_move_tail(&pos->link, &evens);
	}
	T_ASSERT_EQ_STR(list_str(&head), "1,3,5,7,9");
	T_ASSERT_EQ_STR(list_str(&evens), "0,2,4,6,8");

	u_list_for_each_entry_safe(pos, tmp, &head, link)
		u_list_del(&pos->link);
	T_ASSERT(u_list_empty(&head));
	T_ASSERT_EQ_INT(u_list_length(&head), 0);
}

/* ---- u_refcount --------------------------------------------------------- */

T_TEST(refcount_basic, "util/refcount/get-put")
{
	struct u_refcount r;

	u_refcount_init(&r, 1);
	u_refcount_get(&r);
	T_ASSERT_EQ_INT(u_refcount_read(&r), 2);
	T_ASSERT(!u_refcount_put(&r));
	T_ASSERT(u_refcount_get_unless_zero(&r));
	T_ASSERT_EQ_INT(u_refcount_read(&r), 2);
	T_ASSERT(!u_refcount_put(&r));
	T_ASSERT(u_refcount_put(&r));	/* the last reference */
	T_ASSERT_EQ_INT(u_refcount_read(&r), 0);
	T_ASSERT(!u_refcount_get_unless_zero(&r));
	T_ASSERT_EQ_INT(u_refcount_read(&r), 0);
}

static void put_dead(void *arg)
{
	struct u_refcount r;

	u_refcount_init(&r, 1);
	(void)u_refcount_put(&r);
	(void)u_refcount_put(&r);
}

T_TEST(refcount_put_below_zero, "util/refcount/put-below-zero-aborts")
{
	char err[2048];
	int status = run_forked(put_dead, NULL, err, sizeof(err));

	assert_aborted(status, err, "put below zero (count was 0)");
}

static void get_dead(void *arg)
{
	struct u_refcount r;

	u_refcount_init(&r, 0);
	u_refcount_get(&r);
}

T_TEST(refcount_get_dead, "util/refcount/get-on-zero-aborts")
{
	char err[2048];
	int status = run_forked(get_dead, NULL, err, sizeof(err));

	assert_aborted(status, err, "get on a dead object");
}

static void get_overflow(void *arg)
{
	struct u_refcount r;

	u_refcount_init(&r, INT32_MAX);
	if (arg)
		(void)u_refcount_get_unless_zero(&r);
	else
		u_refcount_get(&r);
}

T_TEST(refcount_overflow, "util/refcount/overflow-aborts")
{
	char err[2048];
	int status = run_forked(get_overflow, NULL, err, sizeof(err));

	assert_aborted(status, err, "refcount: overflow (count was 2147483647)");
	status = run_forked(get_overflow, &status, err, sizeof(err));
	assert_aborted(status, err, "get_unless_zero on a corrupt count (2147483647)");
}

/* ---- u_log -------------------------------------------------------------- */

T_TEST(log_parse, "util/log/parse-level")
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	static const char *const bad[] = { "", "ERROR", "warning", "debug ", "3", "err" };
	enum u_log_level lvl;

	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		lvl = (enum u_log_level)99;
		T_ASSERT_OK(u_log_parse_level(names[i], &lvl));
		T_ASSERT_EQ_INT(lvl, i);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		lvl = (enum u_log_level)99;
		T_ASSERT_ERRNO(u_log_parse_level(bad[i], &lvl), EINVAL);
		T_ASSERT_EQ_INT(lvl, 99);
	}
}

T_TEST(log_sink, "util/log/sink-capture")
{
	capture_begin(U_LOG_DEBUG);
	u_warn("mm", "frames left: %d", 42);
	u_err("pgtable", "no table");
	capture_end();
	T_ASSERT_EQ_INT(cap.n, 2);
	T_ASSERT_EQ_INT(cap.level[0], U_LOG_WARN);
	T_ASSERT_EQ_STR(cap.line[0], "pantomime: warn: [mm] frames left: 42");
	T_ASSERT_EQ_INT(cap.level[1], U_LOG_ERROR);
	T_ASSERT_EQ_STR(cap.line[1], "pantomime: error: [pgtable] no table");
}

T_TEST(log_filter, "util/log/level-filtering")
{
	static const struct {
		enum u_log_level level;
		unsigned int passed;
	} cases[] = {
		{ U_LOG_ERROR, 1 }, { U_LOG_WARN, 2 }, { U_LOG_INFO, 3 }, { U_LOG_DEBUG, 4 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		capture_begin(cases[i].level);
		T_ASSERT_EQ_INT(u_log_get_level(), cases[i].level);
		u_dbg("t", "debug");
		u_info("t", "info");
		u_warn("t", "warn");
		u_err("t", "error");
		capture_end();
		T_ASSERT_EQ_INT(cap.n, cases[i].passed);
		/* Whatever passed is the most severe ones, each at its own level. */
		for (unsigned int k = 0; k < cap.n; k++)
			T_ASSERT_LE_INT(cap.level[k], cases[i].level);
	}
}

T_TEST(log_long_line, "util/log/long-line-truncated")
{
	char msg[3000];

	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	capture_begin(U_LOG_ERROR);
	u_err("t", "%s", msg);
	capture_end();
	T_ASSERT_EQ_INT(cap.n, 1);
	T_ASSERT_LT_INT(strlen(cap.line[0]), 1024);
	T_ASSERT(!strncmp(cap.line[0], "pantomime: error: [t] xxx", 25));
}

static int guarded(int x)
{
	if (U_WARN_ON(x < 0))
		return -EINVAL;
	return 0;
}

T_TEST(log_warn_on, "util/log/warn-on")
{
	unsigned long before = u_warn_count();
	int evals = 0;

	capture_begin(U_LOG_WARN);
	T_ASSERT(!U_WARN_ON(1 + 1 == 3));
	T_ASSERT_EQ_INT(u_warn_count(), before);
	T_ASSERT_EQ_INT(cap.n, 0);

	T_ASSERT(U_WARN_ON(1 + 1 == 2));
	T_ASSERT_EQ_INT(u_warn_count(), before + 1);
	T_ASSERT_EQ_INT(cap.n, 1);
	T_ASSERT_EQ_INT(cap.level[0], U_LOG_WARN);
	ASSERT_CONTAINS(cap.line[0], "test_util.c:");
	ASSERT_CONTAINS(cap.line[0], "WARN_ON(1 + 1 == 2)");

	/* The condition is evaluated exactly once. */
	T_ASSERT(U_WARN_ON(evals++ == 0));
	T_ASSERT_EQ_INT(evals, 1);

	/* The kernel idiom: guard an early return. */
	T_ASSERT_ERRNO(guarded(-1), EINVAL);
	T_ASSERT_OK(guarded(1));
	capture_end();
	T_ASSERT_EQ_INT(u_warn_count(), before + 3);
}

/* ---- u_trace ------------------------------------------------------------ */

#define REC_MAX 8

struct recorder {
	unsigned int n;
	struct u_trace_event ev[REC_MAX];
	void *cookie;
};

static struct recorder rec;

static void rec_event(void *cookie, const struct u_trace_event *ev)
{
	rec.cookie = cookie;
	if (rec.n < REC_MAX)
		rec.ev[rec.n] = *ev;
	rec.n++;
}

static const struct u_tracer_ops rec_ops = { .event = rec_event };

T_TEST(trace_off, "util/trace/no-tracer")
{
	int evals = 0;

	u_trace_attach(NULL, NULL);
	T_ASSERT(!u_trace_enabled());
	/* Without a tracer the arguments are not even evaluated. */
	U_TRACE("vm", "bind", "vm1", 'B', "va", evals++);
	T_ASSERT_EQ_INT(evals, 0);
}

T_TEST(trace_events, "util/trace/attached-tracer-receives-events")
{
	uint64_t t0 = u_trace_now_ns();
	int evals = 0;

	memset(&rec, 0, sizeof(rec));
	u_trace_attach(&rec_ops, &rec);
	T_ASSERT(u_trace_enabled());
	U_TRACE("vm", "bind", "vm1", 'B', "va", 0x1000, "size", evals++);
	U_TRACE("vm", "bind", "vm1", 'E');
	U_TRACE("mem", "frames", "mem", 'C', "used", 3, "free", -5, "a", 7, "b", INT64_MAX);
	u_trace_attach(NULL, NULL);

	T_ASSERT_EQ_INT(evals, 1);
	T_ASSERT_EQ_INT(rec.n, 3);
	T_ASSERT_EQ_PTR(rec.cookie, &rec);

	T_ASSERT_EQ_STR(rec.ev[0].category, "vm");
	T_ASSERT_EQ_STR(rec.ev[0].name, "bind");
	T_ASSERT_EQ_STR(rec.ev[0].track, "vm1");
	T_ASSERT_EQ_INT(rec.ev[0].phase, 'B');
	T_ASSERT_EQ_INT(rec.ev[0].nargs, 2);
	T_ASSERT_EQ_STR(rec.ev[0].arg_names[0], "va");
	T_ASSERT_EQ_INT(rec.ev[0].args[0], 0x1000);
	T_ASSERT_EQ_STR(rec.ev[0].arg_names[1], "size");
	T_ASSERT_EQ_INT(rec.ev[0].args[1], 0);

	T_ASSERT_EQ_INT(rec.ev[1].phase, 'E');
	T_ASSERT_EQ_INT(rec.ev[1].nargs, 0);

	T_ASSERT_EQ_STR(rec.ev[2].category, "mem");
	T_ASSERT_EQ_INT(rec.ev[2].phase, 'C');
	T_ASSERT_EQ_INT(rec.ev[2].nargs, 4);
	T_ASSERT_EQ_STR(rec.ev[2].arg_names[3], "b");
	T_ASSERT_EQ_INT(rec.ev[2].args[1], -5);
	T_ASSERT_EQ_INT(rec.ev[2].args[3], INT64_MAX);

	T_ASSERT_LE_U64(t0, rec.ev[0].ts_ns);
	T_ASSERT_LE_U64(rec.ev[0].ts_ns, rec.ev[1].ts_ns);
	T_ASSERT_LE_U64(rec.ev[1].ts_ns, rec.ev[2].ts_ns);
}

T_TEST(trace_detach, "util/trace/detach")
{
	memset(&rec, 0, sizeof(rec));
	u_trace_attach(&rec_ops, &rec);
	U_TRACE("vm", "one", "vm1", 'i');
	u_trace_attach(NULL, NULL);
	T_ASSERT(!u_trace_enabled());
	U_TRACE("vm", "two", "vm1", 'i');
	T_ASSERT_EQ_INT(rec.n, 1);
	T_ASSERT_EQ_STR(rec.ev[0].name, "one");
}
