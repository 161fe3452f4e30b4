/* SPDX-License-Identifier: MIT */
/*
 * A small lockdep: lock classes, a class-order graph built from what threads
 * actually do, and a report (with both acquisition stacks) the first time an
 * acquisition closes a cycle. ThreadSanitizer finds data races; this finds
 * lock-order bugs, including ones TSan cannot judge (ww backoff, reclaim).
 *
 * Compiled in when the build option "lockdep" is on (the default), and
 * enabled at run time unless PANTOMIME_LOCKDEP=0 or u_lockdep_set_enabled(false)
 * (the benchmarks turn it off).
 *
 * Rules checked:
 *  - order: taking class B while holding class A records A -> B; a later
 *    B -> ... -> A path is an inversion, reported once per pair;
 *  - recursion: taking a lock the thread already holds;
 *  - release of a lock the thread does not hold;
 *  - ww: two mutexes of one ww class held without an acquire context, a
 *    lock taken after -EDEADLK without backing off first, a context
 *    finished with locks still held;
 *  - reclaim: the pseudo-lock "fs_reclaim" is acquired around every
 *    allocation that may enter reclaim (u_might_reclaim()) and held while
 *    shrinkers run (u_fs_reclaim_acquire()), so a lock taken in a shrinker
 *    and held across a reclaiming allocation is an ordinary inversion.
 *
 * Trylocks never add order edges (they cannot deadlock) but are recorded as
 * held, so locks taken under them do.
 */
#ifndef PANTOMIME_U_LOCKDEP_H
#define PANTOMIME_U_LOCKDEP_H

#include <stdbool.h>

/**
 * struct u_lock_class - one kind of lock (all VM op locks, all BO resvs).
 * @name: printed in reports.
 * @id: index in the order graph, assigned on first use (0 = not yet).
 * @ww: the class belongs to a ww-mutex class.
 */
struct u_lock_class {
	const char *name;
	int id;
	bool ww;
};

#define U_LOCK_CLASS_INIT(str)    { .name = (str), .id = 0, .ww = false }
#define U_LOCK_CLASS_INIT_WW(str) { .name = (str), .id = 0, .ww = true }
/**
 * U_LOCK_CLASS() - define a lock class variable @var named @str. Classes
 * need static storage: the order graph points at them until u_lockdep_reset().
 */
#define U_LOCK_CLASS(var, str) struct u_lock_class var = U_LOCK_CLASS_INIT(str)

struct u_ww_acquire_ctx;

/** Flags for u_lockdep_acquire(). */
enum {
	U_LOCKDEP_TRY = 1 << 0,	/* a trylock that succeeded: no order edge */
};

/**
 * u_lockdep_acquire() - record that this thread now holds @lock of class @cls.
 * @cls: the lock's class.
 * @lock: the lock's address (identity only).
 * @flags: U_LOCKDEP_TRY for trylocks.
 * @ctx: ww acquire context or NULL.
 *
 * Called after the lock is taken (a blocking lock also calls
 * u_lockdep_check_acquire() before it sleeps, so an inversion is reported
 * before the deadlock it causes).
 */
void u_lockdep_acquire(struct u_lock_class *cls, const void *lock, int flags,
		       struct u_ww_acquire_ctx *ctx);
/** u_lockdep_check_acquire() - the order checks of acquire, without recording the lock as held. */
void u_lockdep_check_acquire(struct u_lock_class *cls, const void *lock, int flags,
			     struct u_ww_acquire_ctx *ctx);
/** u_lockdep_release() - record the release of @lock (class @cls) by this thread. */
void u_lockdep_release(struct u_lock_class *cls, const void *lock);
/** u_lockdep_report_ww() - report a ww-protocol violation described by @what on @lock. */
void u_lockdep_report_ww(const char *what, struct u_lock_class *cls, const void *lock);

/**
 * u_lockdep_held_count() - Return: locks (and pseudo-locks) held by this
 * thread, as the lockdep saw them; 0 while the lockdep is off.
 */
int u_lockdep_held_count(void);
/** u_lockdep_assert_none_held() - report if this thread holds any lock (@where names the caller). */
void u_lockdep_assert_none_held(const char *where);

/** u_fs_reclaim_acquire() - enter reclaim (shrinkers run inside). */
void u_fs_reclaim_acquire(void);
/** u_fs_reclaim_release() - leave reclaim. */
void u_fs_reclaim_release(void);
/** u_might_reclaim() - an allocation that may enter reclaim is about to happen here. */
void u_might_reclaim(void);
/** u_in_reclaim() - Return: true while this thread is inside reclaim. */
bool u_in_reclaim(void);

/*
 * Private to the lock implementations (u_mutex.c): the run-time switch, read
 * with one relaxed load on every lock and unlock so that a disabled lockdep
 * costs a load and a branch. Everyone else calls u_lockdep_enabled().
 */
#ifdef PANTOMIME_LOCKDEP
extern bool u_lockdep__on;
/** u_lockdep__active() - Return: whether checking is on (inline fast path of u_lockdep_enabled()). */
static inline bool u_lockdep__active(void)
{
	return __builtin_expect(__atomic_load_n(&u_lockdep__on, __ATOMIC_RELAXED), 0);
}
#else
static inline bool u_lockdep__active(void)
{
	return false;
}
#endif

/** u_lockdep_set_enabled() - turn checking on or off (process-wide; while no lock is held). */
void u_lockdep_set_enabled(bool on);
/** u_lockdep_enabled() - Return: whether checking is on. */
bool u_lockdep_enabled(void);
/** u_lockdep_set_abort() - abort on the first report instead of counting it (default: count). */
void u_lockdep_set_abort(bool on);
/** u_lockdep_reports() - Return: reports made since start-up or the last reset. */
unsigned long u_lockdep_reports(void);
/**
 * u_lockdep_reset() - forget the order graph, the class ids and the report
 * count, and empty every thread's held-lock stack (tests only; no lock held
 * anywhere). A test that provokes reports checks the count, then resets.
 */
void u_lockdep_reset(void);

#endif
