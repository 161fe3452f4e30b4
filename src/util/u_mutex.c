// SPDX-License-Identifier: MIT
/*
 * DOC: mutexes
 *
 * struct u_mutex is a pthread mutex plus the holder's thread id. The id
 * costs one store on lock and one on unlock (the thread's id is cached in
 * TLS), and buys u_mutex_assert_held() for every "_locked" function and a
 * panic naming the lock when a thread unlocks what it does not hold. The
 * id is written only by the holder and read by anyone, so it is accessed
 * with relaxed atomics: a reader that is not the holder can never see its
 * own id there, which is all u_mutex_is_held() needs.
 *
 * With the lockdep switched off (u_lockdep.h), lock and unlock add one
 * relaxed load and a branch to that. With it on, a blocking lock is checked
 * before it sleeps and recorded after; a lock the thread already holds is
 * reported and then panics instead of hanging.
 *
 * struct u_ww_mutex implements wait-die, the simpler of the two ww
 * algorithms: a context that meets a mutex held by an *older* context
 * (lower stamp) while it holds mutexes of its own gets -EDEADLK and backs
 * off; it waits for a younger holder, for a holder without a context, and
 * whenever it holds nothing. The older side never backs off, so the oldest
 * transaction always progresses, and a context keeps its stamp across
 * backoffs, so every transaction eventually becomes the oldest.
 *
 *   holder \ requester   older ctx      younger ctx (holds some)   no ctx
 *   older ctx            -              -EDEADLK                   wait
 *   younger ctx          wait           -                          wait
 *   no ctx               wait           wait                       wait
 *
 * Wound-wait (the kernel's default for dma_resv: the older requester makes
 * the younger holder back off at its next lock) needs a way to reach into
 * another thread's transaction; it wounds less work on contention, but
 * wait-die gives the same guarantees with all decisions local to the
 * requester, so it was chosen. The mutex is a pthread mutex (@lock) guarding
 * the state and a condition variable for waiters, rather than a futex word,
 * because the wait decision needs the holder's context under the same lock.
 *
 * The ww protocol (no lock after -EDEADLK before the backoff, none after
 * u_ww_acquire_done(), fini with nothing held) is tracked in the context
 * always and reported through the lockdep when it is on.
 */
#include "u_lock.h"
#include "u_log.h"

#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * initial-exec: read on every lock and unlock, and the default model in PIC
 * code costs a call to __tls_get_addr. Four bytes fit the static TLS that
 * glibc keeps spare even for a dlopen()ed library (the shim is preloaded).
 */
static __thread int tid_cache __attribute__((tls_model("initial-exec")));

static void tid_forget(void)
{
	tid_cache = 0;
}

__attribute__((constructor)) static void u_mutex_init_fork(void)
{
	/* The child of fork() is a new thread with the parent's TLS. */
	pthread_atfork(NULL, NULL, tid_forget);
}

static inline int self_tid(void)
{
	int t = tid_cache;

	if (unlikely(!t)) {
		t = (int)syscall(SYS_gettid);
		tid_cache = t;
	}
	return t;
}

int u_lock__tid(void)
{
	return self_tid();
}

static inline int owner_of(const int *owner)
{
	return __atomic_load_n(owner, __ATOMIC_RELAXED);
}

static inline void set_owner(int *owner, int tid)
{
	__atomic_store_n(owner, tid, __ATOMIC_RELAXED);
}

/* ---- u_mutex ----------------------------------------------------------- */

void u_mutex_init(struct u_mutex *m, struct u_lock_class *cls)
{
	U_ASSERT(cls);
	pthread_mutex_init(&m->m, NULL);
	m->owner = 0;
	m->cls = cls;
}

void u_mutex_fini(struct u_mutex *m)
{
	int owner = owner_of(&m->owner);

	if (owner)
		u_panic("u_mutex_fini: \"%s\" (%p) is still held by thread %d",
			m->cls->name, (void *)m, owner);
	pthread_mutex_destroy(&m->m);
}

void u_mutex_lock(struct u_mutex *m)
{
	bool checked = u_lockdep__active();

	if (checked) {
		/* Before sleeping, so that an inversion is reported before it deadlocks. */
		u_lockdep_check_acquire(m->cls, m, 0, NULL);
		if (owner_of(&m->owner) == self_tid())
			u_panic("u_mutex_lock: thread %d already holds \"%s\" (%p): self-deadlock",
				self_tid(), m->cls->name, (void *)m);
	}
	pthread_mutex_lock(&m->m);
	set_owner(&m->owner, self_tid());
	if (checked)
		u_lockdep_acquire(m->cls, m, 0, NULL);
}

bool u_mutex_trylock(struct u_mutex *m)
{
	if (pthread_mutex_trylock(&m->m))
		return false;
	set_owner(&m->owner, self_tid());
	if (u_lockdep__active())
		u_lockdep_acquire(m->cls, m, U_LOCKDEP_TRY, NULL);
	return true;
}

void u_mutex_unlock(struct u_mutex *m)
{
	int owner = owner_of(&m->owner);

	if (unlikely(owner != self_tid()))
		u_panic("u_mutex_unlock: thread %d releases \"%s\" (%p), held by %s%d",
			self_tid(), m->cls->name, (void *)m, owner ? "thread " : "nobody: ",
			owner);
	if (u_lockdep__active())
		u_lockdep_release(m->cls, m);
	set_owner(&m->owner, 0);
	pthread_mutex_unlock(&m->m);
}

bool u_mutex_is_held(const struct u_mutex *m)
{
	return owner_of(&m->owner) == self_tid();
}

void u_mutex__assert_held(const struct u_mutex *m, const char *func)
{
	int owner = owner_of(&m->owner);

	if (unlikely(owner != self_tid()))
		u_panic("%s: \"%s\" (%p) must be held by thread %d, but %s%d holds it",
			func, m->cls->name, (const void *)m, self_tid(),
			owner ? "thread " : "nobody: ", owner);
}

/* ---- ww mutex ---------------------------------------------------------- */

void u_ww_mutex_init(struct u_ww_mutex *m, struct u_ww_class *cls)
{
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->held = false;
	m->owner = 0;
	m->ctx = NULL;
	m->cls = cls;
}

void u_ww_mutex_fini(struct u_ww_mutex *m)
{
	int owner = owner_of(&m->owner);

	if (owner)
		u_panic("u_ww_mutex_fini: \"%s\" (%p) is still held by thread %d",
			m->cls->mutex_class.name, (void *)m, owner);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
}

void u_ww_acquire_init(struct u_ww_acquire_ctx *ctx, struct u_ww_class *cls)
{
	ctx->cls = cls;
	ctx->stamp = __atomic_add_fetch(&cls->stamp, 1, __ATOMIC_RELAXED);
	ctx->acquired = 0;
	ctx->contended = NULL;
	ctx->done = false;
	u_lockdep_acquire(&cls->acquire_class, ctx, 0, NULL);
}

void u_ww_acquire_done(struct u_ww_acquire_ctx *ctx)
{
	ctx->done = true;
}

void u_ww_acquire_fini(struct u_ww_acquire_ctx *ctx)
{
	if (ctx->acquired) {
		char what[96];

		snprintf(what, sizeof(what), "ww: u_ww_acquire_fini() with %u mutexes still held",
			 ctx->acquired);
		u_lockdep_report_ww(what, &ctx->cls->acquire_class, ctx);
	}
	u_lockdep_release(&ctx->cls->acquire_class, ctx);
}

/* The protocol rules a context must follow, checked before it locks @m. */
static void ww_check_protocol(struct u_ww_mutex *m, struct u_ww_acquire_ctx *ctx, bool slow)
{
	struct u_lock_class *lc = &m->cls->mutex_class;

	if (!u_lockdep__active())
		return;
	if (ctx->cls != m->cls)
		u_lockdep_report_ww("ww: acquire context of another ww class", lc, m);
	if (ctx->done)
		u_lockdep_report_ww("ww: lock after u_ww_acquire_done()", lc, m);
	if (ctx->contended && ctx->acquired)
		u_lockdep_report_ww("ww: lock after -EDEADLK without backoff "
				    "(the context still holds mutexes)", lc, m);
	else if (slow && ctx->acquired)
		u_lockdep_report_ww("ww: u_ww_mutex_lock_slow() while the context holds "
				    "mutexes", lc, m);
	else if (ctx->contended && ctx->contended != m)
		u_lockdep_report_ww("ww: lock after -EDEADLK of a mutex other than the "
				    "contended one", lc, m);
}

static int ww_lock(struct u_ww_mutex *m, struct u_ww_acquire_ctx *ctx, bool slow)
{
	struct u_lock_class *lc = &m->cls->mutex_class;
	int self = self_tid();

	if (ctx)
		ww_check_protocol(m, ctx, slow);
	pthread_mutex_lock(&m->lock);
	if (ctx && m->ctx == ctx) {
		pthread_mutex_unlock(&m->lock);
		if (slow)
			u_lockdep_report_ww("ww: u_ww_mutex_lock_slow() of a mutex the context "
					    "already holds", lc, m);
		return -EALREADY;
	}
	/* Checked before sleeping: the report must come out before any deadlock. */
	u_lockdep_check_acquire(lc, m, 0, ctx);
	if (m->held && owner_of(&m->owner) == self) {
		pthread_mutex_unlock(&m->lock);
		u_panic("u_ww_mutex_lock: thread %d already holds \"%s\" (%p) %s: self-deadlock",
			self, lc->name, (void *)m,
			ctx ? "under another context" : "and locks it without a context");
	}
	while (m->held) {
		/* wait-die: younger, holding something, meets older: die. */
		if (!slow && ctx && ctx->acquired && m->ctx && m->ctx->stamp < ctx->stamp) {
			ctx->contended = m;
			pthread_mutex_unlock(&m->lock);
			return -EDEADLK;
		}
		pthread_cond_wait(&m->cond, &m->lock);
	}
	m->held = true;
	m->ctx = ctx;
	set_owner(&m->owner, self);
	pthread_mutex_unlock(&m->lock);

	if (ctx) {
		ctx->acquired++;
		ctx->contended = NULL;
	}
	u_lockdep_acquire(lc, m, 0, ctx);
	return 0;
}

int u_ww_mutex_lock(struct u_ww_mutex *m, struct u_ww_acquire_ctx *ctx)
{
	return ww_lock(m, ctx, false);
}

void u_ww_mutex_lock_slow(struct u_ww_mutex *m, struct u_ww_acquire_ctx *ctx)
{
	U_ASSERT(ctx);
	ww_lock(m, ctx, true);
}

bool u_ww_mutex_trylock(struct u_ww_mutex *m, struct u_ww_acquire_ctx *ctx)
{
	if (ctx && ctx->done && u_lockdep__active())
		u_lockdep_report_ww("ww: trylock after u_ww_acquire_done()",
				    &m->cls->mutex_class, m);
	pthread_mutex_lock(&m->lock);
	if (m->held) {
		pthread_mutex_unlock(&m->lock);
		return false;
	}
	m->held = true;
	m->ctx = ctx;
	set_owner(&m->owner, self_tid());
	pthread_mutex_unlock(&m->lock);

	if (ctx)
		ctx->acquired++;
	u_lockdep_acquire(&m->cls->mutex_class, m, U_LOCKDEP_TRY, ctx);
	return true;
}

void u_ww_mutex_unlock(struct u_ww_mutex *m)
{
	struct u_ww_acquire_ctx *ctx;
	int self = self_tid();

	pthread_mutex_lock(&m->lock);
	if (!m->held || owner_of(&m->owner) != self) {
		int owner = owner_of(&m->owner);

		pthread_mutex_unlock(&m->lock);
		u_panic("u_ww_mutex_unlock: thread %d releases \"%s\" (%p), held by %s%d",
			self, m->cls->mutex_class.name, (void *)m,
			owner ? "thread " : "nobody: ", owner);
	}
	ctx = m->ctx;
	m->held = false;
	m->ctx = NULL;
	set_owner(&m->owner, 0);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);

	if (ctx)
		ctx->acquired--;	/* the context belongs to this thread */
	u_lockdep_release(&m->cls->mutex_class, m);
}

bool u_ww_mutex_is_held(const struct u_ww_mutex *m)
{
	return owner_of(&m->owner) == self_tid();
}

void u_ww_mutex__assert_held(const struct u_ww_mutex *m, const char *func)
{
	int owner = owner_of(&m->owner);

	if (unlikely(owner != self_tid()))
		u_panic("%s: \"%s\" (%p) must be held by thread %d, but %s%d holds it",
			func, m->cls->mutex_class.name, (const void *)m, self_tid(),
			owner ? "thread " : "nobody: ", owner);
}
