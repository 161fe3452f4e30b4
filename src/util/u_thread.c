// SPDX-License-Identifier: MIT
#include "u_thread.h"

#include <signal.h>
#include <stdio.h>
#include <time.h>

int u_thread_create(pthread_t *t, void *(*fn)(void *), void *arg, const char *name)
{
	sigset_t all, old;
	int ret;

	/* The new thread inherits the creator's mask: block around the create. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGTRAP);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	if (name) {
		char buf[16];

		snprintf(buf, sizeof(buf), "%s", name);
		pthread_setname_np(*t, buf);
	}
	return 0;
}

int u_cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t attr;
	int ret;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	ret = pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
	return -ret;
}
