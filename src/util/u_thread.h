/* SPDX-License-Identifier: MIT */
/*
 * Threads the library starts for itself (reclaimers, fault handlers, IRQ
 * lines, GPU executors) must not receive the application's asynchronous
 * signals: a handler that touches a BO mapping would then run on the very
 * thread that resolves its fault, and deadlock. u_thread_create() starts a
 * thread with every asynchronous signal blocked.
 */
#ifndef PANTOMIME_U_THREAD_H
#define PANTOMIME_U_THREAD_H

#include <pthread.h>

/**
 * u_thread_create() - start @fn(@arg) on a new thread named @name.
 * @t: out: the thread.
 * @fn: the thread function.
 * @arg: its argument.
 * @name: the thread's name as `ps`/`top` show it (cut to 15 characters).
 *
 * Every signal except the synchronous ones (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP) is blocked in the new thread; the caller's mask is unchanged.
 * Return: 0 or a negative errno from pthread_create.
 */
int u_thread_create(pthread_t *t, void *(*fn)(void *), void *arg, const char *name);

/**
 * u_cond_init_monotonic() - initialise @c so that pthread_cond_timedwait()
 * takes CLOCK_MONOTONIC deadlines (every timed wait in the project does).
 * Return: 0 or a negative errno from pthread_cond_init.
 */
int u_cond_init_monotonic(pthread_cond_t *c);

#endif
