// SPDX-License-Identifier: MIT
/*
 * Tests of u_mutex, u_ww_mutex and the lockdep.
 *
 * A test that provokes reports asserts that the count went up by exactly
 * what it expected and then calls u_lockdep_reset(): the runner fails any
 * test that leaves u_lockdep_reports() changed, and reset puts the count
 * back to zero (its value before every test, as long as none has failed)
 * and forgets the order graph, so each test starts from a clean graph.
 *
 * What must abort (u_panic, set_abort) runs in a forked child whose stderr
 * is read back, so the message can be checked too.
 */
#include "t_harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/u_lock.h"
#include "util/u_lockdep.h"
#include "util/u_log.h"

#ifdef __SANITIZE_THREAD__
/*
 * This binary takes locks in inverted orders on purpose (one thread, so
 * nothing can deadlock) to see the lockdep report them. ThreadSanitizer's
 * own lock-order detector would flag the same inversions and fail the run,
 * so it is off here; data-race detection stays on. TSAN_OPTIONS overrides.
 */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "detect_deadlocks=0";
}
#endif

/* ---- helpers ----------------------------------------------------------- */

static void need_lockdep(void)
{
	if (!u_lockdep_enabled())
		t_skip("lockdep is off (PANTOMIME_LOCKDEP=0 or built with -Dlockdep=false)");
}

/* The test provoked @n reports since @before: check, then forget them. */
#define T_REPORTS_THEN_RESET(before, n) do {                                   \
	T_ASSERT_EQ_INT(u_lockdep_reports() - (before), (n));                  \
	u_lockdep_reset();                                                     \
} while (0)

/* Log capture. The sink uses a plain pthread mutex: it runs inside reports. */
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static char cap_buf[256 * 1024];
static size_t cap_len;

static void cap_sink(void *cookie, enum u_log_level level, const char *line)
{
	size_t n = strlen(line);

	pthread_mutex_lock(&cap_lock);
	if (cap_len + n + 2 < sizeof(cap_buf)) {
		memcpy(cap_buf + cap_len, line, n);
		cap_len += n;
		cap_buf[cap_len++] = '\n';
		cap_buf[cap_len] = '\0';
	}
	pthread_mutex_unlock(&cap_lock);
}

static void cap_begin(void)
{
	pthread_mutex_lock(&cap_lock);
	cap_len = 0;
	cap_buf[0] = '\0';
	pthread_mutex_unlock(&cap_lock);
	u_log_set_sink(cap_sink, NULL);
}

static void cap_end(void)
{
	u_log_set_sink(NULL, NULL);
}

/* Return: lines of @text containing @a and (unless NULL) @b. */
static int count_lines(char *text, const char *a, const char *b)
{
	int n = 0;
	char *p = text;

	while (*p) {
		char *e = strchr(p, '\n');

		if (e)
			*e = '\0';
		if (strstr(p, a) && (!b || strstr(p, b)))
			n++;
		if (!e)
			break;
		*e = '\n';
		p = e + 1;
	}
	return n;
}

static int cap_lines(const char *a, const char *b)
{
	return count_lines(cap_buf, a, b);
}

/* Return: offset of @s in the capture, or -1. */
static long cap_pos(const char *s, long from)
{
	const char *p = strstr(cap_buf + from, s);

	return p ? p - cap_buf : -1;
}

typedef void (*child_fn)(void *arg);

/* Run @fn in a forked child with its stderr in @err. Return: the wait status. */
static int run_child(child_fn fn, void *arg, char *err, size_t errlen)
{
	int fds[2], status;
	size_t len = 0;
	pid_t pid;

	T_ASSERT_OK(pipe(fds));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		u_log_set_sink(NULL, NULL);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		char scratch[256];
		ssize_t r;

		if (len + 1 < errlen)
			r = read(fds[0], err + len, errlen - 1 - len);
		else
			r = read(fds[0], scratch, sizeof(scratch));	/* drain */
		if (r <= 0)
			break;
		if (len + 1 < errlen)
			len += (size_t)r;
	}
	err[len] = '\0';
	close(fds[0]);
	T_ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	return status;
}

#define T_ASSERT_ABORTED(status, err)                                          \
	T_ASSERT_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,       \
		     "child status 0x%x, expected SIGABRT; stderr:\n%s", status, err)

#define T_ASSERT_HAS(text, s)                                                  \
	T_ASSERT_MSG(strstr((text), (s)), "\"%s\" not found in:\n%s", (s), (text))

/* ---- u_mutex ----------------------------------------------------------- */

static U_LOCK_CLASS(basic_class, "t_basic");

T_TEST(mutex_basic, "util/lock/mutex/basic")
{
	struct u_mutex m;

	u_mutex_init(&m, &basic_class);
	T_ASSERT(!u_mutex_is_held(&m));
	u_mutex_lock(&m);
	T_ASSERT(u_mutex_is_held(&m));
	u_mutex_assert_held(&m);
	if (u_lockdep_enabled())
		T_ASSERT_EQ_INT(u_lockdep_held_count(), 1);
	T_ASSERT(!u_mutex_trylock(&m));		/* held, by us: no recursion */
	u_mutex_unlock(&m);
	T_ASSERT(!u_mutex_is_held(&m));
	T_ASSERT_EQ_INT(u_lockdep_held_count(), 0);

	T_ASSERT(u_mutex_trylock(&m));
	T_ASSERT(u_mutex_is_held(&m));
	if (u_lockdep_enabled())
		T_ASSERT_EQ_INT(u_lockdep_held_count(), 1);
	u_mutex_unlock(&m);
	T_ASSERT(!u_mutex_is_held(&m));
	u_mutex_fini(&m);
}

static U_LOCK_CLASS(other_class, "t_other_thread");

struct holder {
	struct u_mutex *m;
	pthread_barrier_t *bar;
	bool held_in_thread;
};

static void *holder_fn(void *arg)
{
	struct holder *h = arg;

	u_mutex_lock(h->m);
	h->held_in_thread = u_mutex_is_held(h->m);
	pthread_barrier_wait(h->bar);	/* main: the lock is held elsewhere */
	pthread_barrier_wait(h->bar);	/* main: done looking */
	u_mutex_unlock(h->m);
	return NULL;
}

static void child_assert_held(void *arg)
{
	u_mutex_assert_held((struct u_mutex *)arg);
}

static void child_unlock(void *arg)
{
	u_mutex_unlock((struct u_mutex *)arg);
}

T_TEST(mutex_other_thread, "util/lock/mutex/other-thread")
{
	static char err[8192];
	pthread_barrier_t bar;
	struct u_mutex m;
	struct holder h = { .m = &m, .bar = &bar };
	pthread_t thr;
	int status;

	u_mutex_init(&m, &other_class);
	pthread_barrier_init(&bar, NULL, 2);
	T_ASSERT_OK(pthread_create(&thr, NULL, holder_fn, &h));
	pthread_barrier_wait(&bar);

	T_ASSERT(!u_mutex_is_held(&m));
	T_ASSERT(!u_mutex_trylock(&m));
	/* assert_held in a thread (the child) that does not hold it must abort */
	status = run_child(child_assert_held, &m, err, sizeof(err));
	T_ASSERT_ABORTED(status, err);
	T_ASSERT_HAS(err, "child_assert_held");
	T_ASSERT_HAS(err, "\"t_other_thread\"");
	/* and so must an unlock by a non-owner */
	status = run_child(child_unlock, &m, err, sizeof(err));
	T_ASSERT_ABORTED(status, err);
	T_ASSERT_HAS(err, "u_mutex_unlock");
	T_ASSERT_HAS(err, "\"t_other_thread\"");

	pthread_barrier_wait(&bar);
	pthread_join(thr, NULL);
	pthread_barrier_destroy(&bar);
	T_ASSERT(h.held_in_thread);
	T_ASSERT(!u_mutex_is_held(&m));

	/* a free mutex: unlock aborts too, assert_held as well */
	status = run_child(child_unlock, &m, err, sizeof(err));
	T_ASSERT_ABORTED(status, err);
	T_ASSERT_HAS(err, "nobody");
	status = run_child(child_assert_held, &m, err, sizeof(err));
	T_ASSERT_ABORTED(status, err);

	T_ASSERT(u_mutex_trylock(&m));
	u_mutex_assert_held(&m);
	u_mutex_unlock(&m);
	u_mutex_fini(&m);
}

/* ---- order graph ------------------------------------------------------- */

static U_LOCK_CLASS(ab_a_class, "t_ab_a");
static U_LOCK_CLASS(ab_b_class, "t_ab_b");

struct pair {
	struct u_mutex a, b;
};

/* Not static, not inlined: the lockdep must name them in its stacks. */
void t_lock_ab(struct pair *p) __attribute__((noinline));
void t_lock_ba(struct pair *p) __attribute__((noinline));

void t_lock_ab(struct pair *p)
{
	u_mutex_lock(&p->a);
	u_mutex_lock(&p->b);
	u_mutex_unlock(&p->b);
	u_mutex_unlock(&p->a);
}

void t_lock_ba(struct pair *p)
{
	u_mutex_lock(&p->b);
	u_mutex_lock(&p->a);
	u_mutex_unlock(&p->a);
	u_mutex_unlock(&p->b);
}

T_TEST(lockdep_ab_ba, "util/lock/lockdep/ab-ba-once")
{
	unsigned long before = u_lockdep_reports();
	struct pair p;
	long hdr, new_dep, new_site, old_dep, old_site;

	need_lockdep();
	u_mutex_init(&p.a, &ab_a_class);
	u_mutex_init(&p.b, &ab_b_class);

	cap_begin();
	t_lock_ab(&p);
	t_lock_ab(&p);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
	t_lock_ba(&p);		/* the inversion */
	t_lock_ba(&p);		/* same pair: not again */
	t_lock_ab(&p);
	cap_end();

	T_ASSERT_EQ_INT(u_lockdep_reports() - before, 1);
	T_ASSERT_EQ_INT(cap_lines("circular locking dependency", NULL), 1);
	T_ASSERT_EQ_INT(cap_lines("circular", "takes \"t_ab_a\""), 1);
	T_ASSERT_EQ_INT(cap_lines("circular", "holding \"t_ab_b\""), 1);
	/* both stacks: the new edge (in t_lock_ba), then the old one (in t_lock_ab) */
	hdr = cap_pos("circular", 0);
	new_dep = cap_pos("new dependency \"t_ab_b\" -> \"t_ab_a\"", hdr);
	T_ASSERT_MSG(hdr >= 0 && new_dep > hdr, "no new-dependency line:\n%s", cap_buf);
	new_site = cap_pos("t_lock_ba", new_dep);
	old_dep = cap_pos("existing dependency \"t_ab_a\" -> \"t_ab_b\"", new_dep);
	T_ASSERT_MSG(new_site > new_dep && old_dep > new_site,
		     "t_lock_ba not in the new stack:\n%s", cap_buf);
	old_site = cap_pos("t_lock_ab", old_dep);
	T_ASSERT_MSG(old_site > old_dep, "t_lock_ab not in the old stack:\n%s", cap_buf);

	u_mutex_fini(&p.a);
	u_mutex_fini(&p.b);
	T_REPORTS_THEN_RESET(before, 1);
}

static U_LOCK_CLASS(chain_a_class, "t_chain_a");
static U_LOCK_CLASS(chain_b_class, "t_chain_b");
static U_LOCK_CLASS(chain_c_class, "t_chain_c");

#define CHAIN_THREADS 4
#define CHAIN_ITERS 2000

struct chain {
	struct u_mutex a, b, c;
	long in_a, in_b, in_c;
};

static void *chain_fn(void *arg)
{
	struct chain *ch = arg;

	for (int i = 0; i < CHAIN_ITERS; i++) {
		u_mutex_lock(&ch->a);
		ch->in_a++;
		u_mutex_lock(&ch->b);
		ch->in_b++;
		u_mutex_unlock(&ch->a);	/* out of order: c is taken under b only */
		if (i & 1) {
			u_mutex_lock(&ch->c);
			ch->in_c++;
			u_mutex_unlock(&ch->c);
		}
		u_mutex_unlock(&ch->b);
		if (!(i & 1)) {
			u_mutex_lock(&ch->c);	/* c alone: no edge */
			ch->in_c++;
			u_mutex_unlock(&ch->c);
		}
	}
	return NULL;
}

T_TEST(lockdep_consistent_threads, "util/lock/lockdep/consistent-order-threads")
{
	unsigned long before = u_lockdep_reports();
	pthread_t thr[CHAIN_THREADS];
	struct chain ch = { .in_a = 0 };

	need_lockdep();
	u_mutex_init(&ch.a, &chain_a_class);
	u_mutex_init(&ch.b, &chain_b_class);
	u_mutex_init(&ch.c, &chain_c_class);
	for (int i = 0; i < CHAIN_THREADS; i++)
		T_ASSERT_OK(pthread_create(&thr[i], NULL, chain_fn, &ch));
	for (int i = 0; i < CHAIN_THREADS; i++)
		pthread_join(thr[i], NULL);
	T_ASSERT_EQ_INT(ch.in_a, CHAIN_THREADS * CHAIN_ITERS);
	T_ASSERT_EQ_INT(ch.in_b, CHAIN_THREADS * CHAIN_ITERS);
	T_ASSERT_EQ_INT(ch.in_c, CHAIN_THREADS * CHAIN_ITERS);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);

	/* The threads taught the graph a -> b -> c (no a -> c): c then a closes it. */
	cap_begin();
	u_mutex_lock(&ch.c);
	u_mutex_lock(&ch.a);
	u_mutex_unlock(&ch.a);
	u_mutex_unlock(&ch.c);
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("circular", "\"t_chain_a\" -> \"t_chain_b\" -> \"t_chain_c\""), 1);

	u_mutex_fini(&ch.a);
	u_mutex_fini(&ch.b);
	u_mutex_fini(&ch.c);
	T_REPORTS_THEN_RESET(before, 1);
}

static U_LOCK_CLASS(try_a_class, "t_try_a");
static U_LOCK_CLASS(try_b_class, "t_try_b");
static U_LOCK_CLASS(try_c_class, "t_try_c");

T_TEST(lockdep_trylock, "util/lock/lockdep/trylock-reverse")
{
	unsigned long before = u_lockdep_reports();
	struct u_mutex a, b, c;

	need_lockdep();
	u_mutex_init(&a, &try_a_class);
	u_mutex_init(&b, &try_b_class);
	u_mutex_init(&c, &try_c_class);

	u_mutex_lock(&a);
	u_mutex_lock(&b);
	u_mutex_unlock(&b);
	u_mutex_unlock(&a);

	/* b then a by trylock: cannot deadlock, no report, no edge b -> a */
	u_mutex_lock(&b);
	T_ASSERT(u_mutex_trylock(&a));
	T_ASSERT_EQ_INT(u_lockdep_held_count(), 2);
	u_mutex_lock(&c);	/* under both: a -> c and b -> c */
	u_mutex_unlock(&c);
	u_mutex_unlock(&a);
	u_mutex_unlock(&b);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);

	/* the same order blocking is an inversion */
	cap_begin();
	u_mutex_lock(&b);
	u_mutex_lock(&a);
	u_mutex_unlock(&a);
	u_mutex_unlock(&b);
	T_ASSERT_EQ_INT(u_lockdep_reports() - before, 1);

	/* the trylocked a was on the held stack: a -> c was recorded */
	u_mutex_lock(&c);
	u_mutex_lock(&a);
	u_mutex_unlock(&a);
	u_mutex_unlock(&c);
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("takes \"t_try_a\"", "while holding \"t_try_b\""), 1);
	T_ASSERT_EQ_INT(cap_lines("takes \"t_try_a\"", "while holding \"t_try_c\""), 1);

	u_mutex_fini(&a);
	u_mutex_fini(&b);
	u_mutex_fini(&c);
	T_REPORTS_THEN_RESET(before, 2);
}

/* ---- per-thread rules -------------------------------------------------- */

static U_LOCK_CLASS(rec_class, "t_recursive");

static void child_lock_twice(void *arg)
{
	struct u_mutex *m = arg;

	u_mutex_lock(m);
	u_mutex_lock(m);	/* must not hang */
}

T_TEST(lockdep_recursive, "util/lock/lockdep/recursive")
{
	static char err[16384];
	unsigned long before = u_lockdep_reports();
	static const char fake_lock;
	struct u_mutex m;
	int status;

	need_lockdep();
	cap_begin();
	u_lockdep_acquire(&rec_class, &fake_lock, 0, NULL);
	u_lockdep_acquire(&rec_class, &fake_lock, 0, NULL);
	u_lockdep_release(&rec_class, &fake_lock);
	u_lockdep_release(&rec_class, &fake_lock);
	T_ASSERT_EQ_INT(u_lockdep_reports() - before, 1);
	u_lockdep_release(&rec_class, &fake_lock);	/* not held any more */
	cap_end();
	T_ASSERT_EQ_INT(u_lockdep_reports() - before, 2);
	T_ASSERT_EQ_INT(cap_lines("recursive locking", "\"t_recursive\""), 1);
	T_ASSERT_EQ_INT(cap_lines("does not hold", "\"t_recursive\""), 1);
	T_ASSERT_EQ_INT(u_lockdep_held_count(), 0);

	/* a real mutex taken twice: reported, then a panic rather than a hang */
	u_mutex_init(&m, &rec_class);
	status = run_child(child_lock_twice, &m, err, sizeof(err));
	T_ASSERT_ABORTED(status, err);
	T_ASSERT_HAS(err, "recursive locking");
	T_ASSERT_HAS(err, "self-deadlock");
	T_ASSERT_HAS(err, "\"t_recursive\"");
	u_mutex_fini(&m);
	T_REPORTS_THEN_RESET(before, 2);
}

static U_LOCK_CLASS(same_class, "t_same_class");

T_TEST(lockdep_same_class, "util/lock/lockdep/same-class")
{
	unsigned long before = u_lockdep_reports();
	struct u_mutex m1, m2;

	need_lockdep();
	u_mutex_init(&m1, &same_class);
	u_mutex_init(&m2, &same_class);

	/* one at a time, and nested by trylock: fine */
	u_mutex_lock(&m1);
	u_mutex_unlock(&m1);
	u_mutex_lock(&m2);
	u_mutex_unlock(&m2);
	u_mutex_lock(&m1);
	T_ASSERT(u_mutex_trylock(&m2));
	u_mutex_unlock(&m2);
	u_mutex_unlock(&m1);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);

	cap_begin();
	u_mutex_lock(&m2);
	u_mutex_lock(&m1);
	u_mutex_unlock(&m1);
	u_mutex_unlock(&m2);
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("second lock of class \"t_same_class\"", NULL), 1);

	u_mutex_fini(&m1);
	u_mutex_fini(&m2);
	T_REPORTS_THEN_RESET(before, 1);
}

static U_LOCK_CLASS(none_class, "t_none_held");

T_TEST(lockdep_none_held, "util/lock/lockdep/assert-none-held")
{
	unsigned long before = u_lockdep_reports();
	struct u_mutex m;

	need_lockdep();
	u_mutex_init(&m, &none_class);
	u_lockdep_assert_none_held(__func__);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
	u_mutex_lock(&m);
	cap_begin();
	u_lockdep_assert_none_held("t_bind_worker");
	cap_end();
	u_mutex_unlock(&m);
	T_ASSERT_EQ_INT(cap_lines("t_bind_worker", "must not hold"), 1);
	T_ASSERT_EQ_INT(cap_lines("\"t_none_held\"", NULL), 1);	/* the held list */
	u_mutex_fini(&m);
	T_REPORTS_THEN_RESET(before, 1);
}

/* ---- reclaim ----------------------------------------------------------- */

T_TEST(reclaim_depth, "util/lock/reclaim/in-reclaim")
{
	T_ASSERT(!u_in_reclaim());
	u_fs_reclaim_acquire();
	T_ASSERT(u_in_reclaim());
	u_fs_reclaim_acquire();		/* nested: still one pseudo-lock */
	if (u_lockdep_enabled())
		T_ASSERT_EQ_INT(u_lockdep_held_count(), 1);
	u_might_reclaim();		/* inside reclaim: not announced */
	u_fs_reclaim_release();
	T_ASSERT(u_in_reclaim());
	u_fs_reclaim_release();
	T_ASSERT(!u_in_reclaim());
	T_ASSERT_EQ_INT(u_lockdep_held_count(), 0);
}

static U_LOCK_CLASS(shrinker_class, "t_shrinker_lock");
static U_LOCK_CLASS(plain_class, "t_plain_lock");

T_TEST(reclaim_inversion, "util/lock/reclaim/inversion")
{
	unsigned long before = u_lockdep_reports();
	struct u_mutex x, y;

	need_lockdep();
	u_mutex_init(&x, &shrinker_class);
	u_mutex_init(&y, &plain_class);

	/* a shrinker takes x */
	u_fs_reclaim_acquire();
	u_mutex_lock(&x);
	u_might_reclaim();
	u_mutex_unlock(&x);
	u_fs_reclaim_release();
	/* allocating under y, or under nothing, is fine */
	u_might_reclaim();
	u_mutex_lock(&y);
	u_might_reclaim();
	u_mutex_unlock(&y);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);

	/* allocating under x could recurse into the shrinker that needs x */
	cap_begin();
	u_mutex_lock(&x);
	u_might_reclaim();
	u_might_reclaim();
	u_mutex_unlock(&x);
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("circular", "takes \"fs_reclaim\""), 1);
	T_ASSERT_EQ_INT(cap_lines("circular", "holding \"t_shrinker_lock\""), 1);

	u_mutex_fini(&x);
	u_mutex_fini(&y);
	T_REPORTS_THEN_RESET(before, 1);
}

/* ---- ww mutexes -------------------------------------------------------- */

#define WW_N 8
#define WW_ITERS 2000

static U_WW_CLASS(stress_ww, "t_stress");

struct ww_stress {
	struct u_ww_mutex m[WW_N];
	long count[WW_N];
};

struct ww_worker {
	struct ww_stress *s;
	bool reverse;
	unsigned long deadlk;
	int errors;
};

static void ww_lock_all(struct ww_worker *w, struct u_ww_acquire_ctx *ctx, bool *held)
{
	struct ww_stress *s = w->s;
	struct u_ww_mutex *contended = NULL;

	u_ww_acquire_init(ctx, &stress_ww);
retry:
	if (contended) {
		u_ww_mutex_lock_slow(contended, ctx);
		held[contended - s->m] = true;
	}
	for (int k = 0; k < WW_N; k++) {
		int i = w->reverse ? WW_N - 1 - k : k;
		int ret = u_ww_mutex_lock(&s->m[i], ctx);

		if (ret == -EALREADY) {
			w->errors += &s->m[i] != contended;
			continue;
		}
		if (ret == -EDEADLK) {
			for (int j = 0; j < WW_N; j++) {
				if (held[j])
					u_ww_mutex_unlock(&s->m[j]);
				held[j] = false;
			}
			w->errors += ctx->acquired != 0;
			contended = &s->m[i];
			w->deadlk++;
			goto retry;
		}
		w->errors += ret != 0;
		held[i] = true;
	}
	u_ww_acquire_done(ctx);
}

static void *ww_worker_fn(void *arg)
{
	struct ww_worker *w = arg;

	for (int it = 0; it < WW_ITERS; it++) {
		struct u_ww_acquire_ctx ctx;
		bool held[WW_N] = { false };

		ww_lock_all(w, &ctx, held);
		for (int i = 0; i < WW_N; i++) {
			w->errors += !u_ww_mutex_is_held(&w->s->m[i]);
			w->s->count[i]++;
		}
		w->errors += ctx.acquired != WW_N;
		for (int i = 0; i < WW_N; i++)
			u_ww_mutex_unlock(&w->s->m[i]);
		u_ww_acquire_fini(&ctx);
	}
	return NULL;
}

T_TEST(ww_stress, "util/lock/ww/opposite-orders")
{
	unsigned long before = u_lockdep_reports();
	struct ww_stress s = { .count = { 0 } };
	struct ww_worker w[2] = {
		{ .s = &s, .reverse = false },
		{ .s = &s, .reverse = true },
	};
	pthread_t thr[2];

	for (int i = 0; i < WW_N; i++)
		u_ww_mutex_init(&s.m[i], &stress_ww);
	for (int i = 0; i < 2; i++)
		T_ASSERT_OK(pthread_create(&thr[i], NULL, ww_worker_fn, &w[i]));
	for (int i = 0; i < 2; i++)
		pthread_join(thr[i], NULL);
	t_note("-EDEADLK backoffs: %lu forward, %lu reverse", w[0].deadlk, w[1].deadlk);
	T_ASSERT_EQ_INT(w[0].errors, 0);
	T_ASSERT_EQ_INT(w[1].errors, 0);
	for (int i = 0; i < WW_N; i++) {
		T_ASSERT_EQ_INT(s.count[i], 2 * WW_ITERS);
		T_ASSERT(!u_ww_mutex_is_held(&s.m[i]));
		u_ww_mutex_fini(&s.m[i]);
	}
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
}

static U_WW_CLASS(basic_ww, "t_ww");

T_TEST(ww_ealready, "util/lock/ww/ealready")
{
	struct u_ww_acquire_ctx ctx;
	struct u_ww_mutex a, b;

	u_ww_mutex_init(&a, &basic_ww);
	u_ww_mutex_init(&b, &basic_ww);
	u_ww_acquire_init(&ctx, &basic_ww);
	T_ASSERT_OK(u_ww_mutex_lock(&a, &ctx));
	T_ASSERT_ERRNO(u_ww_mutex_lock(&a, &ctx), EALREADY);
	T_ASSERT_OK(u_ww_mutex_lock(&b, &ctx));
	T_ASSERT_ERRNO(u_ww_mutex_lock(&b, &ctx), EALREADY);
	T_ASSERT_EQ_INT(ctx.acquired, 2);
	T_ASSERT(u_ww_mutex_is_held(&a));
	u_ww_mutex_assert_held(&b);
	if (u_lockdep_enabled())	/* the context and one folded entry of two */
		T_ASSERT_EQ_INT(u_lockdep_held_count(), 3);
	u_ww_acquire_done(&ctx);
	u_ww_mutex_unlock(&a);
	u_ww_mutex_unlock(&b);
	T_ASSERT_EQ_INT(ctx.acquired, 0);
	T_ASSERT(!u_ww_mutex_is_held(&a));
	u_ww_acquire_fini(&ctx);
	T_ASSERT_EQ_INT(u_lockdep_held_count(), 0);

	/* without a context, one at a time, and trylock */
	T_ASSERT_OK(u_ww_mutex_lock(&a, NULL));
	T_ASSERT(u_ww_mutex_is_held(&a));
	u_ww_mutex_unlock(&a);
	T_ASSERT(u_ww_mutex_trylock(&a, NULL));
	u_ww_mutex_unlock(&a);
	u_ww_mutex_fini(&a);
	u_ww_mutex_fini(&b);
}

/*
 * An older context in a thread holds @a between two barriers, so that the
 * test's (younger) context meets it and gets -EDEADLK deterministically.
 */
struct older {
	struct u_ww_mutex *a;
	pthread_barrier_t bar;
	int ret;
};

static void *older_fn(void *arg)
{
	struct older *o = arg;
	struct u_ww_acquire_ctx ctx;

	u_ww_acquire_init(&ctx, &basic_ww);
	o->ret = u_ww_mutex_lock(o->a, &ctx);
	pthread_barrier_wait(&o->bar);	/* a is held by the older context */
	pthread_barrier_wait(&o->bar);	/* the younger one has met it */
	usleep(20 * 1000);		/* let it block on a, most of the time */
	u_ww_mutex_unlock(o->a);
	u_ww_acquire_fini(&ctx);
	return NULL;
}

static void older_start(struct older *o, struct u_ww_mutex *a, pthread_t *thr)
{
	o->a = a;
	o->ret = -1;
	pthread_barrier_init(&o->bar, NULL, 2);
	T_ASSERT_OK(pthread_create(thr, NULL, older_fn, o));
	pthread_barrier_wait(&o->bar);
	T_ASSERT_OK(o->ret);
}

T_TEST(ww_backoff, "util/lock/ww/backoff-lock-slow")
{
	unsigned long before = u_lockdep_reports();
	struct u_ww_acquire_ctx ctx;
	struct u_ww_mutex a, b;
	struct older o;
	pthread_t thr;

	u_ww_mutex_init(&a, &basic_ww);
	u_ww_mutex_init(&b, &basic_ww);
	older_start(&o, &a, &thr);

	u_ww_acquire_init(&ctx, &basic_ww);	/* younger */
	T_ASSERT_OK(u_ww_mutex_lock(&b, &ctx));
	T_ASSERT_ERRNO(u_ww_mutex_lock(&a, &ctx), EDEADLK);
	T_ASSERT(ctx.contended == &a);
	u_ww_mutex_unlock(&b);			/* back off */
	pthread_barrier_wait(&o.bar);		/* let the older one finish */
	u_ww_mutex_lock_slow(&a, &ctx);		/* sleeps until a is free */
	T_ASSERT(ctx.contended == NULL);
	T_ASSERT_OK(u_ww_mutex_lock(&b, &ctx));
	T_ASSERT_EQ_INT(ctx.acquired, 2);
	u_ww_acquire_done(&ctx);
	u_ww_mutex_unlock(&a);
	u_ww_mutex_unlock(&b);
	u_ww_acquire_fini(&ctx);
	pthread_join(thr, NULL);
	pthread_barrier_destroy(&o.bar);

	/* a context that holds nothing waits instead of dying */
	older_start(&o, &a, &thr);
	u_ww_acquire_init(&ctx, &basic_ww);
	pthread_barrier_wait(&o.bar);
	T_ASSERT_OK(u_ww_mutex_lock(&a, &ctx));
	u_ww_mutex_unlock(&a);
	u_ww_acquire_fini(&ctx);
	pthread_join(thr, NULL);
	pthread_barrier_destroy(&o.bar);

	u_ww_mutex_fini(&a);
	u_ww_mutex_fini(&b);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
}

T_TEST(ww_no_backoff, "util/lock/ww/no-backoff-report")
{
	unsigned long before = u_lockdep_reports();
	struct u_ww_acquire_ctx ctx;
	struct u_ww_mutex a, b, c;
	struct older o;
	pthread_t thr;

	need_lockdep();
	u_ww_mutex_init(&a, &basic_ww);
	u_ww_mutex_init(&b, &basic_ww);
	u_ww_mutex_init(&c, &basic_ww);
	older_start(&o, &a, &thr);

	u_ww_acquire_init(&ctx, &basic_ww);
	T_ASSERT_OK(u_ww_mutex_lock(&b, &ctx));
	T_ASSERT_ERRNO(u_ww_mutex_lock(&a, &ctx), EDEADLK);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
	cap_begin();
	T_ASSERT_OK(u_ww_mutex_lock(&c, &ctx));	/* b still held: no backoff */
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("without backoff", "\"t_ww_mutex\""), 1);
	u_ww_mutex_unlock(&c);
	u_ww_mutex_unlock(&b);
	u_ww_acquire_fini(&ctx);
	pthread_barrier_wait(&o.bar);
	pthread_join(thr, NULL);
	pthread_barrier_destroy(&o.bar);

	u_ww_mutex_fini(&a);
	u_ww_mutex_fini(&b);
	u_ww_mutex_fini(&c);
	T_REPORTS_THEN_RESET(before, 1);
}

T_TEST(ww_fini_held, "util/lock/ww/fini-with-locks")
{
	unsigned long before = u_lockdep_reports();
	struct u_ww_acquire_ctx ctx;
	struct u_ww_mutex a;

	need_lockdep();
	u_ww_mutex_init(&a, &basic_ww);
	u_ww_acquire_init(&ctx, &basic_ww);
	T_ASSERT_OK(u_ww_mutex_lock(&a, &ctx));
	cap_begin();
	u_ww_acquire_fini(&ctx);
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("u_ww_acquire_fini() with 1 mutexes still held", NULL), 1);
	u_ww_mutex_unlock(&a);
	T_ASSERT_EQ_INT(u_lockdep_held_count(), 0);
	u_ww_mutex_fini(&a);
	T_REPORTS_THEN_RESET(before, 1);
}

T_TEST(ww_no_ctx, "util/lock/ww/two-without-context")
{
	unsigned long before = u_lockdep_reports();
	struct u_ww_acquire_ctx ctx;
	struct u_ww_mutex a, b;

	need_lockdep();
	u_ww_mutex_init(&a, &basic_ww);
	u_ww_mutex_init(&b, &basic_ww);

	/* one without a context, and a second by trylock: fine */
	T_ASSERT_OK(u_ww_mutex_lock(&a, NULL));
	T_ASSERT(u_ww_mutex_trylock(&b, NULL));
	u_ww_mutex_unlock(&b);
	u_ww_mutex_unlock(&a);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);

	cap_begin();
	T_ASSERT_OK(u_ww_mutex_lock(&a, NULL));
	T_ASSERT_OK(u_ww_mutex_lock(&b, NULL));
	u_ww_mutex_unlock(&b);
	u_ww_mutex_unlock(&a);
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("second \"t_ww_mutex\" mutex", "acquire context"), 1);
	T_ASSERT_EQ_INT(u_lockdep_reports() - before, 1);

	/* the second without a context, the first with one */
	cap_begin();
	u_ww_acquire_init(&ctx, &basic_ww);
	T_ASSERT_OK(u_ww_mutex_lock(&a, &ctx));
	T_ASSERT_OK(u_ww_mutex_lock(&b, NULL));
	u_ww_mutex_unlock(&b);
	u_ww_mutex_unlock(&a);
	u_ww_acquire_fini(&ctx);
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("second \"t_ww_mutex\" mutex", "acquire context"), 1);

	u_ww_mutex_fini(&a);
	u_ww_mutex_fini(&b);
	T_REPORTS_THEN_RESET(before, 2);
}

T_TEST(ww_after_done, "util/lock/ww/lock-after-done")
{
	unsigned long before = u_lockdep_reports();
	struct u_ww_acquire_ctx ctx;
	struct u_ww_mutex a, b;

	need_lockdep();
	u_ww_mutex_init(&a, &basic_ww);
	u_ww_mutex_init(&b, &basic_ww);
	u_ww_acquire_init(&ctx, &basic_ww);
	T_ASSERT_OK(u_ww_mutex_lock(&a, &ctx));
	u_ww_acquire_done(&ctx);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
	cap_begin();
	T_ASSERT_OK(u_ww_mutex_lock(&b, &ctx));
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("after u_ww_acquire_done()", NULL), 1);
	u_ww_mutex_unlock(&a);
	u_ww_mutex_unlock(&b);
	u_ww_acquire_fini(&ctx);
	u_ww_mutex_fini(&a);
	u_ww_mutex_fini(&b);
	T_REPORTS_THEN_RESET(before, 1);
}

static U_LOCK_CLASS(vm_class, "t_vm_lock");

T_TEST(ww_edges, "util/lock/ww/order-with-other-classes")
{
	unsigned long before = u_lockdep_reports();
	struct u_ww_acquire_ctx ctx;
	struct u_ww_mutex a;
	struct u_mutex vm;

	need_lockdep();
	u_ww_mutex_init(&a, &basic_ww);
	u_mutex_init(&vm, &vm_class);

	/* vm lock, then a transaction: vm -> ctx -> mutex */
	u_mutex_lock(&vm);
	u_ww_acquire_init(&ctx, &basic_ww);
	T_ASSERT_OK(u_ww_mutex_lock(&a, &ctx));
	u_ww_mutex_unlock(&a);
	u_ww_acquire_fini(&ctx);
	u_mutex_unlock(&vm);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);

	/* the vm lock inside a transaction: ctx -> vm closes the cycle */
	cap_begin();
	u_ww_acquire_init(&ctx, &basic_ww);
	u_mutex_lock(&vm);
	u_mutex_unlock(&vm);
	u_ww_acquire_fini(&ctx);
	cap_end();
	T_ASSERT_EQ_INT(cap_lines("circular", "\"t_ww_acquire\""), 1);
	T_ASSERT_EQ_INT(cap_lines("circular", "takes \"t_vm_lock\""), 1);

	u_mutex_fini(&vm);
	u_ww_mutex_fini(&a);
	T_REPORTS_THEN_RESET(before, 1);
}

/* ---- switches ---------------------------------------------------------- */

static U_LOCK_CLASS(off_a_class, "t_off_a");
static U_LOCK_CLASS(off_b_class, "t_off_b");

T_TEST(lockdep_disabled, "util/lock/lockdep/disabled")
{
	unsigned long before = u_lockdep_reports();
	bool was_on = u_lockdep_enabled();
	struct pair p;

	u_mutex_init(&p.a, &off_a_class);
	u_mutex_init(&p.b, &off_b_class);
	u_lockdep_set_enabled(false);
	T_ASSERT(!u_lockdep_enabled());
	t_lock_ab(&p);
	u_mutex_lock(&p.b);
	u_mutex_lock(&p.a);
	T_ASSERT_EQ_INT(u_lockdep_held_count(), 0);
	T_ASSERT(u_mutex_is_held(&p.a));	/* owners are tracked regardless */
	u_mutex_unlock(&p.a);
	u_mutex_unlock(&p.b);
	u_lockdep_set_enabled(was_on);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
	if (!was_on) {
		u_mutex_fini(&p.a);
		u_mutex_fini(&p.b);
		return;
	}

	/* nothing was learnt while off: b -> a is new, then a -> b inverts it */
	t_lock_ba(&p);
	T_ASSERT_EQ_INT(u_lockdep_reports(), before);
	cap_begin();
	t_lock_ab(&p);
	cap_end();
	u_mutex_fini(&p.a);
	u_mutex_fini(&p.b);
	T_REPORTS_THEN_RESET(before, 1);
}

static U_LOCK_CLASS(abort_a_class, "t_abort_a");
static U_LOCK_CLASS(abort_b_class, "t_abort_b");

static void child_abort_on_report(void *arg)
{
	struct pair *p = arg;

	u_lockdep_set_abort(true);
	t_lock_ab(p);
	t_lock_ba(p);
	/* not reached */
}

T_TEST(lockdep_abort, "util/lock/lockdep/abort")
{
	static char err[16384];
	struct pair p;
	int status;

	need_lockdep();
	u_mutex_init(&p.a, &abort_a_class);
	u_mutex_init(&p.b, &abort_b_class);
	status = run_child(child_abort_on_report, &p, err, sizeof(err));
	T_ASSERT_ABORTED(status, err);
	T_ASSERT_HAS(err, "circular locking dependency");
	T_ASSERT_HAS(err, "aborting");
	T_ASSERT_EQ_INT(count_lines(err, "circular", NULL), 1);
	u_mutex_fini(&p.a);
	u_mutex_fini(&p.b);
}
