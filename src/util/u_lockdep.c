// SPDX-License-Identifier: MIT
/*
 * DOC: lockdep
 *
 * The question the lockdep answers is "can these threads deadlock?", not
 * "did they?". It learns the order in which *classes* of locks are taken
 * (every VM op lock is one class, every BO resv one ww class) and complains
 * the first time some thread takes them in an order that closes a cycle,
 * even if the two halves of the cycle ran minutes apart and never met.
 *
 * Model:
 *
 *   per thread (TLS)                      global (ld_lock)
 *   +--------------------------+          +-----------------------------+
 *   | held[0] vm->op_lock  (A) |  take B  | classes[id] -> u_lock_class |
 *   | held[1] resv, ctx x3 (R) | -------> | adj[A] |= B, adj[R] |= B    |
 *   | held[2] ...              |  edges   |   (256 x 256 bit matrix)    |
 *   +--------------------------+          | trace[A][B]: stack of the   |
 *                                         |   acquisition that added it |
 *                                         +-----------------------------+
 *
 * Taking lock class B while the thread holds classes A1..An adds the edges
 * Ai -> B. Before an edge Ai -> B is added, a breadth-first search over the
 * matrix asks whether B already reaches Ai; if it does, the new edge would
 * close a cycle and the report prints the new edge with the current stack
 * and every edge of the existing path B -> ... -> Ai with the stack saved
 * when that edge was first seen. The closing edge is not added, and the
 * class pair is marked so it is reported once. Blocking locks are checked
 * before they sleep (u_lockdep_check_acquire()), so the report comes out
 * even when the acquisition then deadlocks for real.
 *
 * Per-thread rules need no graph: taking a lock the thread already holds,
 * a second lock of a class it already holds (the project has no nesting
 * annotations, so two locks of one class are unordered), releasing a lock
 * it does not hold. Trylocks cannot wait, so they add no edges and skip
 * these rules, but they go on the held stack, so locks taken under them do
 * add edges.
 *
 * ww classes: an acquire context is itself a pseudo-lock of the class's
 * acquire_class, held from u_ww_acquire_init() to u_ww_acquire_fini(), so
 * "lock X, then start a transaction" and "lock X inside a transaction" are
 * ordinary edges. Mutexes of the class taken under one context are one
 * held entry with a count (they are ordered by the ww algorithm, not by
 * lockdep), which also keeps a transaction over hundreds of BOs within the
 * 48-entry stack. Two mutexes of a ww class held without a common context
 * are reported. The backoff protocol itself (-EDEADLK, then release all,
 * then lock_slow) is checked by u_mutex.c, which knows the context's state,
 * and reported through u_lockdep_report_ww().
 *
 * Reclaim: "fs_reclaim" is a pseudo-lock held while shrinkers run and
 * acquired-and-released (checked only) by every allocation that may enter
 * reclaim, so "lock L in a shrinker" plus "allocate while holding L" is an
 * ordinary two-class cycle. Allocations made inside reclaim do not recurse
 * into it and are not announced.
 *
 * Cost: the fast path of an acquisition, when every edge it implies is
 * already known, reads the matrix with relaxed atomic loads and takes no
 * lock; bits are only ever set (until u_lockdep_reset(), which runs with
 * the process quiescent), so a set bit seen without ld_lock is final. Only
 * a new edge or a new class takes ld_lock, the plain pthread mutex that
 * protects everything global here. Nothing is allocated: all state is in
 * static arrays and TLS, because the lockdep runs inside no-allocation
 * sections. When the switch is off, the lock wrappers pay one relaxed load;
 * when the build option is off, every entry point is an empty function.
 *
 * Rejected alternative: recording edges between lock *instances* (adjacency
 * lists keyed by address). It needs allocation, grows with the number of
 * objects, and misses exactly the bugs that matter here, where thread 1
 * takes VM a then BO x and thread 2 takes BO y then VM b: no instance pair
 * repeats, but the class order is inverted. The kernel's full design
 * (chain hashes, IRQ-state tracking, read/write recursion) was also left
 * out: user space has no IRQ contexts and the project has no rwlocks yet.
 *
 * Stacks come from backtrace() and are symbolised with dladdr() into log
 * lines rather than with backtrace_symbols_fd(), so that they go through
 * u_log (and its test sink) instead of straight to file descriptor 2, and
 * are not interleaved with other threads' output. A stack starts at the
 * caller of the lockdep entry point (for a lock, the wrapper u_mutex_lock,
 * then its caller), found by its return address. Functions of an
 * executable are named only if it is linked with -rdynamic; otherwise the
 * line gives "object+offset" for addr2line.
 */
#include "u_lockdep.h"
#include "u_lock.h"
#include "u_log.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Reclaim depth is kept even without the lockdep: u_in_reclaim() is policy
 * (an allocation inside reclaim must not recurse into it), not a check.
 */
static __thread int reclaim_depth;

bool u_in_reclaim(void)
{
	return reclaim_depth > 0;
}

#ifdef PANTOMIME_LOCKDEP

#define LD_MAX_CLASSES	256	/* ids 1..255; 0 means "not registered" */
#define LD_WORDS	(LD_MAX_CLASSES / 64)
#define LD_MAX_HELD	48
#define LD_TRACE_DEPTH	24
#define LD_MAX_TRACES	1024	/* saved edge stacks; index 0 means none */

bool u_lockdep__on;

/**
 * struct ld_trace - a saved call stack.
 * @n: valid entries in @pc.
 * @pc: return addresses, innermost first.
 */
struct ld_trace {
	int n;
	void *pc[LD_TRACE_DEPTH];
};

/*
 * The order graph and everything else global. ld_lock serialises every
 * writer; the two bit matrices are also read without it (relaxed loads)
 * by the fast path, which is sound because a bit, once set, stays set
 * until u_lockdep_reset(), and reset runs with no other thread inside the
 * lockdep.
 */
static pthread_mutex_t ld_lock = PTHREAD_MUTEX_INITIALIZER;
static struct u_lock_class *ld_classes[LD_MAX_CLASSES];	/* id -> class */
static int ld_nr_classes;					/* highest id given */
static uint64_t ld_adj[LD_MAX_CLASSES][LD_WORDS];		/* [a] bit b: a -> b seen */
static uint64_t ld_reported[LD_MAX_CLASSES][LD_WORDS];	/* [min][max]: pair reported */
static uint16_t ld_edge_trace[LD_MAX_CLASSES][LD_MAX_CLASSES];	/* -> ld_traces */
static struct ld_trace ld_traces[LD_MAX_TRACES];
static unsigned int ld_nr_traces;
/* Scratch for the path search, used under ld_lock only. */
static uint64_t ld_bfs_seen[LD_WORDS];
static int16_t ld_bfs_parent[LD_MAX_CLASSES];
static int16_t ld_bfs_queue[LD_MAX_CLASSES];

/* Set without ld_lock: atomics. */
static unsigned int ld_gen = 1;		/* bumped by reset and set_enabled */
static unsigned long ld_nr_reports;
static bool ld_abort;

/**
 * struct ld_held - one entry of a thread's held-lock stack.
 * @cls: the lock's class.
 * @lock: the lock's address (for a ww entry with @count > 1, the first one).
 * @ctx: the ww acquire context it was taken under, or NULL.
 * @id: @cls's graph id when it was pushed.
 * @count: mutexes of one ww class under @ctx folded into this entry; else 1.
 * @trylock: taken by a trylock.
 */
struct ld_held {
	struct u_lock_class *cls;
	const void *lock;
	struct u_ww_acquire_ctx *ctx;
	int id;
	unsigned int count;
	bool trylock;
};

/**
 * struct ld_thread - the lockdep state of one thread (TLS, no lock needed).
 * @gen: ld_gen when @held was last valid; a mismatch empties the stack.
 * @busy: the thread is inside the lockdep; a lock taken meanwhile (by a
 *        log sink printing a report) is not tracked, in and out alike.
 * @depth: valid entries in @held.
 * @untracked: acquisitions dropped because @held was full; their releases
 *             are forgiven instead of reported.
 * @caller: return address of the lockdep entry point in progress; saved
 *          stacks start at that frame, leaving out the lockdep's own.
 * @checked_cls: class of the acquisition u_lockdep_check_acquire() has
 *               already checked, so u_lockdep_acquire() only records it.
 * @checked_lock: its lock.
 * @held: the held-lock stack, oldest first.
 */
struct ld_thread {
	unsigned int gen;
	int busy;
	int depth;
	int untracked;
	const void *caller;
	struct u_lock_class *checked_cls;
	const void *checked_lock;
	struct ld_held held[LD_MAX_HELD];
};

static __thread struct ld_thread ld_self;

/* Call as ld_enter(__builtin_return_address(0)) from a public entry point. */
static struct ld_thread *ld_enter(const void *caller)
{
	struct ld_thread *t = &ld_self;
	unsigned int gen;

	if (!u_lockdep__active() || t->busy)
		return NULL;
	gen = __atomic_load_n(&ld_gen, __ATOMIC_ACQUIRE);
	if (t->gen != gen) {
		t->gen = gen;
		t->depth = 0;
		t->untracked = 0;
		t->checked_cls = NULL;
		t->checked_lock = NULL;
	}
	t->busy++;
	t->caller = caller;
	return t;
}

static void ld_leave(struct ld_thread *t)
{
	t->busy--;
}

static bool ld_bit(const uint64_t *row, int b)
{
	return __atomic_load_n(&row[b / 64], __ATOMIC_RELAXED) & (1ull << (b % 64));
}

static void ld_set_bit(uint64_t *row, int b)
{
	__atomic_fetch_or(&row[b / 64], 1ull << (b % 64), __ATOMIC_RELAXED);
}

static bool ld_pair_reported(int a, int b)
{
	return a < b ? ld_bit(ld_reported[a], b) : ld_bit(ld_reported[b], a);
}

/* The class's id if it is registered in the current graph, else 0. */
static int ld_class_id(struct u_lock_class *cls)
{
	int id = __atomic_load_n(&cls->id, __ATOMIC_ACQUIRE);

	if (id > 0 && id < LD_MAX_CLASSES &&
	    __atomic_load_n(&ld_classes[id], __ATOMIC_ACQUIRE) == cls)
		return id;
	return 0;
}

/* ---- reports ---------------------------------------------------------- */

/* Save the current stack from the frame of @caller outwards (all of it if not found). */
static __attribute__((noinline)) void ld_capture(struct ld_trace *tr, const void *caller)
{
	void *pc[LD_TRACE_DEPTH + 8];
	int n = backtrace(pc, (int)(sizeof(pc) / sizeof(pc[0])));
	int from = 0;

	for (int i = 0; i < n; i++) {
		if (pc[i] == caller) {
			from = i;
			break;
		}
	}
	tr->n = u_min(n - from, LD_TRACE_DEPTH);
	if (tr->n < 0)
		tr->n = 0;
	memcpy(tr->pc, pc + from, (size_t)tr->n * sizeof(pc[0]));
}

static void ld_print_trace(const struct ld_trace *tr)
{
	if (!tr || !tr->n) {
		u_err("lockdep", "      (no stack saved)");
		return;
	}
	for (int i = 0; i < tr->n; i++) {
		void *pc = tr->pc[i];
		Dl_info info;
		const char *obj;

		if (!dladdr(pc, &info) || !info.dli_fname) {
			u_err("lockdep", "      #%-2d %p", i, pc);
			continue;
		}
		obj = strrchr(info.dli_fname, '/');
		obj = obj ? obj + 1 : info.dli_fname;
		if (info.dli_sname)
			u_err("lockdep", "      #%-2d %s+0x%lx (%s+0x%lx)", i, info.dli_sname,
			      (unsigned long)((char *)pc - (char *)info.dli_saddr), obj,
			      (unsigned long)((char *)pc - (char *)info.dli_fbase));
		else
			u_err("lockdep", "      #%-2d %s+0x%lx", i, obj,
			      (unsigned long)((char *)pc - (char *)info.dli_fbase));
	}
}

static void ld_print_held(const struct ld_thread *t)
{
	if (!t->depth) {
		u_err("lockdep", "  thread %d holds no locks", u_lock__tid());
		return;
	}
	u_err("lockdep", "  locks held by thread %d, oldest first:", u_lock__tid());
	for (int i = 0; i < t->depth; i++) {
		const struct ld_held *h = &t->held[i];
		char folded[48] = "";

		if (h->count > 1)
			snprintf(folded, sizeof(folded), " (x%u under one acquire context)",
				 h->count);
		u_err("lockdep", "    #%d \"%s\" %p%s%s", i, h->cls->name, h->lock,
		      h->trylock ? " (trylock)" : "", folded);
	}
}

static void ld_report_begin(void)
{
	__atomic_fetch_add(&ld_nr_reports, 1, __ATOMIC_RELAXED);
}

static void ld_report_end(void)
{
	if (__atomic_load_n(&ld_abort, __ATOMIC_RELAXED))
		u_panic("lockdep: aborting on the first report (u_lockdep_set_abort)");
}

/* A per-thread rule was broken by the acquisition or release in progress. */
static void ld_report_simple(const struct ld_thread *t, const char *what)
{
	struct ld_trace cur;

	ld_capture(&cur, t->caller);
	ld_report_begin();
	u_err("lockdep", "%s", what);
	u_err("lockdep", "  at:");
	ld_print_trace(&cur);
	ld_print_held(t);
	ld_report_end();
}

/* ---- the graph --------------------------------------------------------- */

/* Called with ld_lock held. Return: the class's id, 0 if the table is full. */
static int ld_register_locked(struct u_lock_class *cls)
{
	int id = ld_class_id(cls);

	if (id)
		return id;
	if (ld_nr_classes + 1 >= LD_MAX_CLASSES) {
		/* Like the kernel, stop checking rather than check wrongly. */
		ld_report_begin();
		u_err("lockdep", "more than %d lock classes (\"%s\" is one too many): "
		      "lock-order checking is now off", LD_MAX_CLASSES - 1, cls->name);
		__atomic_store_n(&u_lockdep__on, false, __ATOMIC_RELAXED);
		ld_report_end();
		return 0;
	}
	id = ++ld_nr_classes;
	__atomic_store_n(&ld_classes[id], cls, __ATOMIC_RELEASE);
	__atomic_store_n(&cls->id, id, __ATOMIC_RELEASE);
	return id;
}

/* Called with ld_lock held. Return: the index of a copy of @tr, 0 if the pool is full. */
static uint16_t ld_save_trace_locked(const struct ld_trace *tr)
{
	if (ld_nr_traces + 1 >= LD_MAX_TRACES)
		return 0;
	ld_traces[++ld_nr_traces] = *tr;
	return (uint16_t)ld_nr_traces;
}

/*
 * Called with ld_lock held. Breadth-first search from class @from; on
 * success ld_bfs_parent[] leads back from @to to @from.
 * Return: whether @to is reachable.
 */
static bool ld_reaches_locked(int from, int to)
{
	int head = 0, tail = 0;

	memset(ld_bfs_seen, 0, sizeof(ld_bfs_seen));
	ld_bfs_seen[from / 64] |= 1ull << (from % 64);
	ld_bfs_parent[from] = -1;
	ld_bfs_queue[tail++] = (int16_t)from;
	while (head < tail) {
		int c = ld_bfs_queue[head++];

		if (c == to)
			return true;
		for (int w = 0; w < LD_WORDS; w++) {
			uint64_t bits = ld_adj[c][w] & ~ld_bfs_seen[w];

			ld_bfs_seen[w] |= bits;
			while (bits) {
				int n = w * 64 + __builtin_ctzll(bits);

				bits &= bits - 1;
				ld_bfs_parent[n] = (int16_t)c;
				ld_bfs_queue[tail++] = (int16_t)n;
			}
		}
	}
	return false;
}

/*
 * Called with ld_lock held, after ld_reaches_locked(next, prev) succeeded:
 * taking @cls (@next) while holding @h (@prev) closes the cycle
 * prev -> next -> ... -> prev.
 */
static void ld_report_inversion_locked(const struct ld_thread *t, const struct ld_held *h,
				       struct u_lock_class *cls, const void *lock,
				       int prev, int next, const struct ld_trace *cur)
{
	int16_t path[LD_MAX_CLASSES];
	int len = 0;
	char chain[512];
	size_t off = 0;

	/* path[0] = next ... path[len - 1] = prev */
	for (int c = prev; c != -1; c = ld_bfs_parent[c])
		path[len++] = (int16_t)c;
	for (int i = 0, j = len - 1; i < j; i++, j--) {
		int16_t x = path[i];

		path[i] = path[j];
		path[j] = x;
	}
	chain[0] = '\0';
	for (int i = 0; i < len && off < sizeof(chain); i++) {
		int n = snprintf(chain + off, sizeof(chain) - off, "%s\"%s\"",
				 i ? " -> " : "", ld_classes[path[i]]->name);

		if (n < 0)
			break;
		off += (size_t)n;
	}

	ld_report_begin();
	u_err("lockdep", "possible circular locking dependency: thread %d takes \"%s\" (%p) "
	      "while holding \"%s\" (%p), but the order %s was recorded before",
	      u_lock__tid(), cls->name, lock, h->cls->name, h->lock, chain);
	u_err("lockdep", "  new dependency \"%s\" -> \"%s\", taken at:", h->cls->name, cls->name);
	ld_print_trace(cur);
	for (int i = 0; i + 1 < len; i++) {
		uint16_t tr = ld_edge_trace[path[i]][path[i + 1]];

		u_err("lockdep", "  existing dependency \"%s\" -> \"%s\", first taken at:",
		      ld_classes[path[i]]->name, ld_classes[path[i + 1]]->name);
		ld_print_trace(tr ? &ld_traces[tr] : NULL);
	}
	ld_print_held(t);
	ld_report_end();
}

/* Called with ld_lock held: record prev -> next unless it closes a cycle. */
static void ld_add_edge_locked(const struct ld_thread *t, const struct ld_held *h,
			       struct u_lock_class *cls, const void *lock, int next,
			       struct ld_trace *cur)
{
	int prev = h->id;

	if (ld_bit(ld_adj[prev], next) || ld_pair_reported(prev, next))
		return;
	if (!cur->n)
		ld_capture(cur, t->caller);
	if (ld_reaches_locked(next, prev)) {
		if (prev < next)
			ld_set_bit(ld_reported[prev], next);
		else
			ld_set_bit(ld_reported[next], prev);
		ld_report_inversion_locked(t, h, cls, lock, prev, next, cur);
		return;
	}
	ld_edge_trace[prev][next] = ld_save_trace_locked(cur);
	ld_set_bit(ld_adj[prev], next);
}

/* Same-class pairs are judged by the per-thread rules, never by the graph. */
static bool ld_no_edge(const struct ld_held *h, const struct u_lock_class *cls)
{
	return !h->id || h->cls == cls;
}

static void ld_check_order(struct ld_thread *t, struct u_lock_class *cls, const void *lock)
{
	struct ld_trace cur = { .n = 0 };
	int next = ld_class_id(cls);
	int i;

	if (next) {
		/* Fast path: every edge already known (or already reported). */
		for (i = 0; i < t->depth; i++) {
			const struct ld_held *h = &t->held[i];

			if (ld_no_edge(h, cls))
				continue;
			if (!ld_bit(ld_adj[h->id], next) && !ld_pair_reported(h->id, next))
				break;
		}
		if (i == t->depth)
			return;
	}

	pthread_mutex_lock(&ld_lock);
	next = ld_register_locked(cls);
	for (i = 0; next && i < t->depth; i++) {
		if (!ld_no_edge(&t->held[i], cls))
			ld_add_edge_locked(t, &t->held[i], cls, lock, next, &cur);
	}
	pthread_mutex_unlock(&ld_lock);
}

/* Per-thread rules for a blocking acquisition: recursion, one class twice, ww without ctx. */
static void ld_check_self(struct ld_thread *t, struct u_lock_class *cls, const void *lock,
			  struct u_ww_acquire_ctx *ctx)
{
	char what[512];

	for (int i = t->depth - 1; i >= 0; i--) {
		const struct ld_held *h = &t->held[i];

		if (h->cls != cls)
			continue;
		if (cls->ww && ctx && h->ctx == ctx)
			continue;	/* one transaction: the ww algorithm orders them */
		if (h->lock == lock)
			snprintf(what, sizeof(what), "possible recursive locking: thread %d takes "
				 "\"%s\" (%p), which it already holds", u_lock__tid(), cls->name, lock);
		else if (cls->ww)
			snprintf(what, sizeof(what), "ww: thread %d takes a second \"%s\" mutex (%p) "
				 "while holding %p, not both under one acquire context",
				 u_lock__tid(), cls->name, lock, h->lock);
		else
			snprintf(what, sizeof(what), "possible recursive locking: thread %d takes "
				 "a second lock of class \"%s\" (%p) while holding %p; two locks of "
				 "one class have no order lockdep can check", u_lock__tid(), cls->name,
				 lock, h->lock);
		ld_report_simple(t, what);
		return;
	}
}

static void ld_check(struct ld_thread *t, struct u_lock_class *cls, const void *lock, int flags,
		     struct u_ww_acquire_ctx *ctx)
{
	if (flags & U_LOCKDEP_TRY) {
		/* A trylock cannot wait: no rule applies, but the class gets an id. */
		if (!ld_class_id(cls)) {
			pthread_mutex_lock(&ld_lock);
			ld_register_locked(cls);
			pthread_mutex_unlock(&ld_lock);
		}
		return;
	}
	ld_check_self(t, cls, lock, ctx);
	ld_check_order(t, cls, lock);
}

static void ld_push(struct ld_thread *t, struct u_lock_class *cls, const void *lock, int flags,
		    struct u_ww_acquire_ctx *ctx)
{
	struct ld_held *h;

	if (cls->ww && ctx && t->depth) {
		h = &t->held[t->depth - 1];
		if (h->cls == cls && h->ctx == ctx) {
			h->count++;
			return;
		}
	}
	if (t->depth == LD_MAX_HELD) {
		char what[160];

		snprintf(what, sizeof(what), "thread %d holds more than %d locks: \"%s\" (%p) "
			 "is not tracked", u_lock__tid(), LD_MAX_HELD, cls->name, lock);
		ld_report_simple(t, what);
		t->untracked++;
		return;
	}
	h = &t->held[t->depth++];
	h->cls = cls;
	h->lock = lock;
	h->ctx = ctx;
	h->id = ld_class_id(cls);
	h->count = 1;
	h->trylock = flags & U_LOCKDEP_TRY;
}

/* ---- entry points ------------------------------------------------------ */

void u_lockdep_check_acquire(struct u_lock_class *cls, const void *lock, int flags,
			     struct u_ww_acquire_ctx *ctx)
{
	struct ld_thread *t = ld_enter(__builtin_return_address(0));

	if (!t)
		return;
	ld_check(t, cls, lock, flags, ctx);
	t->checked_cls = cls;
	t->checked_lock = lock;
	ld_leave(t);
}

void u_lockdep_acquire(struct u_lock_class *cls, const void *lock, int flags,
		       struct u_ww_acquire_ctx *ctx)
{
	struct ld_thread *t = ld_enter(__builtin_return_address(0));

	if (!t)
		return;
	if (t->checked_cls == cls && t->checked_lock == lock)
		t->checked_cls = NULL;	/* checked before it slept */
	else
		ld_check(t, cls, lock, flags, ctx);
	ld_push(t, cls, lock, flags, ctx);
	ld_leave(t);
}

void u_lockdep_release(struct u_lock_class *cls, const void *lock)
{
	struct ld_thread *t = ld_enter(__builtin_return_address(0));
	int i;

	if (!t)
		return;
	for (i = t->depth - 1; i >= 0; i--)
		if (t->held[i].cls == cls && t->held[i].lock == lock)
			break;
	if (i < 0 && cls->ww) {
		/* A ww mutex folded into its context's entry under another address. */
		for (i = t->depth - 1; i >= 0; i--)
			if (t->held[i].cls == cls && t->held[i].ctx)
				break;
	}
	if (i < 0) {
		if (t->untracked) {
			t->untracked--;
		} else {
			char what[160];

			snprintf(what, sizeof(what), "thread %d releases \"%s\" (%p), which it "
				 "does not hold", u_lock__tid(), cls->name, lock);
			ld_report_simple(t, what);
		}
	} else if (--t->held[i].count == 0) {
		memmove(&t->held[i], &t->held[i + 1], (size_t)(t->depth - i - 1) * sizeof(t->held[0]));
		t->depth--;
	}
	ld_leave(t);
}

void u_lockdep_report_ww(const char *what, struct u_lock_class *cls, const void *lock)
{
	struct ld_thread *t = ld_enter(__builtin_return_address(0));
	char msg[512];

	if (!t)
		return;
	snprintf(msg, sizeof(msg), "%s (thread %d, \"%s\" %p)", what, u_lock__tid(),
		 cls->name, lock);
	ld_report_simple(t, msg);
	ld_leave(t);
}

int u_lockdep_held_count(void)
{
	struct ld_thread *t = ld_enter(__builtin_return_address(0));
	int n = 0;

	if (!t)
		return 0;
	for (int i = 0; i < t->depth; i++)
		n += (int)t->held[i].count;
	ld_leave(t);
	return n;
}

void u_lockdep_assert_none_held(const char *where)
{
	struct ld_thread *t = ld_enter(__builtin_return_address(0));

	if (!t)
		return;
	if (t->depth) {
		char what[160];

		snprintf(what, sizeof(what), "%s: thread %d must not hold any lock here",
			 where, u_lock__tid());
		ld_report_simple(t, what);
	}
	ld_leave(t);
}

/* One pseudo-lock: its class, and an address to stand for the lock. */
static U_LOCK_CLASS(fs_reclaim_class, "fs_reclaim");
static const char fs_reclaim_map;

void u_fs_reclaim_acquire(void)
{
	/* Reclaim does not nest: only the outermost entry is a lock. */
	if (reclaim_depth++ == 0)
		u_lockdep_acquire(&fs_reclaim_class, &fs_reclaim_map, 0, NULL);
}

void u_fs_reclaim_release(void)
{
	if (reclaim_depth == 0) {
		/* Not in reclaim: let the lockdep report the unbalanced release. */
		u_lockdep_release(&fs_reclaim_class, &fs_reclaim_map);
		return;
	}
	if (--reclaim_depth == 0)
		u_lockdep_release(&fs_reclaim_class, &fs_reclaim_map);
}

void u_might_reclaim(void)
{
	struct ld_thread *t;

	if (reclaim_depth)
		return;		/* allocations inside reclaim never re-enter it */
	t = ld_enter(__builtin_return_address(0));
	if (!t)
		return;
	/* Acquire and release at once: only the order check matters. */
	ld_check(t, &fs_reclaim_class, &fs_reclaim_map, 0, NULL);
	ld_leave(t);
}

void u_lockdep_set_enabled(bool on)
{
	if (on) {
		/* backtrace() loads the unwinder on first use; not inside a report. */
		struct ld_trace warm;

		ld_capture(&warm, NULL);
	}
	__atomic_add_fetch(&ld_gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&u_lockdep__on, on, __ATOMIC_RELAXED);
}

bool u_lockdep_enabled(void)
{
	return u_lockdep__active();
}

/*
 * On by default in every process that links the library (the shim, the CLI,
 * tests), as the header promises; PANTOMIME_LOCKDEP=0 turns it off, and the
 * benchmarks turn it off themselves.
 */
__attribute__((constructor)) static void u_lockdep_init_from_env(void)
{
	const char *env = getenv("PANTOMIME_LOCKDEP");

	if (!env || strcmp(env, "0"))
		u_lockdep_set_enabled(true);
}

void u_lockdep_set_abort(bool on)
{
	__atomic_store_n(&ld_abort, on, __ATOMIC_RELAXED);
}

unsigned long u_lockdep_reports(void)
{
	return __atomic_load_n(&ld_nr_reports, __ATOMIC_RELAXED);
}

void u_lockdep_reset(void)
{
	pthread_mutex_lock(&ld_lock);
	memset(ld_classes, 0, sizeof(ld_classes));
	ld_nr_classes = 0;
	memset(ld_adj, 0, sizeof(ld_adj));
	memset(ld_reported, 0, sizeof(ld_reported));
	memset(ld_edge_trace, 0, sizeof(ld_edge_trace));
	ld_nr_traces = 0;
	__atomic_store_n(&ld_nr_reports, 0, __ATOMIC_RELAXED);
	/* Every thread's held stack is dropped the next time it enters. */
	__atomic_add_fetch(&ld_gen, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ld_lock);
}

#else /* !PANTOMIME_LOCKDEP: every entry point is empty */

void u_lockdep_acquire(struct u_lock_class *cls, const void *lock, int flags,
		       struct u_ww_acquire_ctx *ctx)
{
}

void u_lockdep_check_acquire(struct u_lock_class *cls, const void *lock, int flags,
			     struct u_ww_acquire_ctx *ctx)
{
}

void u_lockdep_release(struct u_lock_class *cls, const void *lock)
{
}

void u_lockdep_report_ww(const char *what, struct u_lock_class *cls, const void *lock)
{
}

int u_lockdep_held_count(void)
{
	return 0;
}

void u_lockdep_assert_none_held(const char *where)
{
}

void u_fs_reclaim_acquire(void)
{
	reclaim_depth++;
}

void u_fs_reclaim_release(void)
{
	if (reclaim_depth)
		reclaim_depth--;
}

void u_might_reclaim(void)
{
}

void u_lockdep_set_enabled(bool on)
{
}

bool u_lockdep_enabled(void)
{
	return false;
}

void u_lockdep_set_abort(bool on)
{
}

unsigned long u_lockdep_reports(void)
{
	return 0;
}

void u_lockdep_reset(void)
{
}

#endif /* PANTOMIME_LOCKDEP */
