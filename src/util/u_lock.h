/* SPDX-License-Identifier: MIT */
/*
 * Locks with owner tracking and a small lockdep.
 *
 * struct u_mutex wraps a pthread mutex, records its owner so that
 * u_mutex_assert_held() can check a "_locked" function's contract, and
 * reports every acquisition to the lockdep (u_lockdep.h) under its class.
 *
 * struct u_ww_mutex is a wound/wait-style mutex for locking several objects
 * of one class in any order (dma_resv): under a struct u_ww_acquire_ctx, a
 * younger context that meets a lock held by an older one gets -EDEADLK and
 * must drop everything it holds, then take the contended lock with
 * u_ww_mutex_lock_slow() and start again. The lockdep checks that protocol.
 */
#ifndef PANTOMIME_U_LOCK_H
#define PANTOMIME_U_LOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "u_lockdep.h"

/**
 * struct u_mutex - a sleeping mutual-exclusion lock.
 * @m: the pthread mutex.
 * @owner: thread id of the holder, 0 when free (written by the holder only).
 * @cls: lockdep class, set at init.
 */
struct u_mutex {
	pthread_mutex_t m;
	int owner;
	struct u_lock_class *cls;
};

/** u_mutex_init() - initialise @m in lock class @cls (not NULL: every lock has a class). */
void u_mutex_init(struct u_mutex *m, struct u_lock_class *cls);
/** u_mutex_fini() - destroy @m; it must not be held. */
void u_mutex_fini(struct u_mutex *m);
/** u_mutex_lock() - acquire @m, sleeping while another thread holds it. */
void u_mutex_lock(struct u_mutex *m);
/** u_mutex_trylock() - Return: true if @m was free and is now held (trylocks are exempt from ordering). */
bool u_mutex_trylock(struct u_mutex *m);
/** u_mutex_unlock() - release @m; aborts (u_panic, naming the class) if the caller does not hold it. */
void u_mutex_unlock(struct u_mutex *m);
/** u_mutex_is_held() - Return: true if the calling thread holds @m. */
bool u_mutex_is_held(const struct u_mutex *m);
/** u_mutex_assert_held() - abort with the lock's class name unless the caller holds @m. */
#define u_mutex_assert_held(m) u_mutex__assert_held((m), __func__)
/** u_mutex__assert_held() - u_mutex_assert_held() with the caller's name @func for the message. */
void u_mutex__assert_held(const struct u_mutex *m, const char *func);

/**
 * u_lock__tid() - Return: the calling thread's kernel thread id, cached in a
 * thread-local variable (reset in a fork child). Private to u_mutex.c and
 * u_lockdep.c, which print it in reports.
 */
int u_lock__tid(void);

/**
 * struct u_ww_class - a class of wound/wait mutexes (all the dma_resv locks).
 * @name: printed in reports.
 * @stamp: next acquire-context ticket (lower = older = wins).
 * @acquire_class: lockdep class of the acquire context.
 * @mutex_class: lockdep class of the mutexes.
 */
struct u_ww_class {
	const char *name;
	uint64_t stamp;
	struct u_lock_class acquire_class;
	struct u_lock_class mutex_class;
};

/** U_WW_CLASS() - define a ww class variable @var named @str (static storage: the lockdep keeps pointers to its classes). */
#define U_WW_CLASS(var, str) \
	struct u_ww_class var = { .name = str, \
		.acquire_class = U_LOCK_CLASS_INIT(str "_acquire"), \
		.mutex_class = U_LOCK_CLASS_INIT_WW(str "_mutex") }

/**
 * struct u_ww_acquire_ctx - one transaction locking several mutexes of a class.
 * @cls: the class.
 * @stamp: the context's age ticket.
 * @acquired: mutexes currently held under this context.
 * @contended: the mutex that returned -EDEADLK and must be taken next with
 *             u_ww_mutex_lock_slow(), NULL otherwise.
 * @done: u_ww_acquire_done() was called; no more locks may be taken.
 */
struct u_ww_acquire_ctx {
	struct u_ww_class *cls;
	uint64_t stamp;
	unsigned int acquired;
	struct u_ww_mutex *contended;
	bool done;
};

/**
 * struct u_ww_mutex - a mutex of a wound/wait class.
 * @lock: protects @ctx and @held, and is the condition variable's mutex.
 * @cond: signalled on release.
 * @held: the mutex is held.
 * @owner: thread id of the holder.
 * @ctx: the acquire context of the holder, NULL if taken without one.
 * @cls: the class.
 */
struct u_ww_mutex {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool held;
	int owner;
	struct u_ww_acquire_ctx *ctx;
	struct u_ww_class *cls;
};

/** u_ww_mutex_init() - initialise @m, free, in class @cls. */
void u_ww_mutex_init(struct u_ww_mutex *m, struct u_ww_class *cls);
/** u_ww_mutex_fini() - destroy @m; aborts if it is held. */
void u_ww_mutex_fini(struct u_ww_mutex *m);
/** u_ww_acquire_init() - start a transaction on @cls; takes the next age ticket. */
void u_ww_acquire_init(struct u_ww_acquire_ctx *ctx, struct u_ww_class *cls);
/** u_ww_acquire_done() - mark the end of the locking phase (optional, as in the kernel). */
void u_ww_acquire_done(struct u_ww_acquire_ctx *ctx);
/** u_ww_acquire_fini() - end the transaction; every mutex must have been released. */
void u_ww_acquire_fini(struct u_ww_acquire_ctx *ctx);
/**
 * u_ww_mutex_lock() - acquire @m under @ctx (or without a context if @ctx is NULL).
 *
 * Wait-die: the caller sleeps while @m is held, unless @ctx holds at least
 * one mutex and @m's holder is an older context (lower stamp).
 *
 * Return: 0 when acquired; -EALREADY if @ctx already holds @m; -EDEADLK if
 * @m is held by an older context while @ctx holds mutexes: the caller must
 * release every mutex it holds under @ctx and then call
 * u_ww_mutex_lock_slow() on @m.
 */
int u_ww_mutex_lock(struct u_ww_mutex *m, struct u_ww_acquire_ctx *ctx);
/** u_ww_mutex_lock_slow() - after -EDEADLK and backoff: sleep until @m is free and take it. */
void u_ww_mutex_lock_slow(struct u_ww_mutex *m, struct u_ww_acquire_ctx *ctx);
/** u_ww_mutex_trylock() - Return: true if taken (with @ctx, which may be NULL). */
bool u_ww_mutex_trylock(struct u_ww_mutex *m, struct u_ww_acquire_ctx *ctx);
/** u_ww_mutex_unlock() - release @m (and its place in its context); aborts if the caller does not hold it. */
void u_ww_mutex_unlock(struct u_ww_mutex *m);
/** u_ww_mutex_is_held() - Return: true if the calling thread holds @m. */
bool u_ww_mutex_is_held(const struct u_ww_mutex *m);
/** u_ww_mutex_assert_held() - abort with the class name unless the caller holds @m. */
#define u_ww_mutex_assert_held(m) u_ww_mutex__assert_held((m), __func__)
/** u_ww_mutex__assert_held() - u_ww_mutex_assert_held() with the caller's name @func. */
void u_ww_mutex__assert_held(const struct u_ww_mutex *m, const char *func);

#endif
