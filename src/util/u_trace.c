// SPDX-License-Identifier: MIT
/*
 * DOC: trace hooks
 *
 * The attached tracer is one global pointer read with a relaxed load on
 * every U_TRACE() site; nothing else happens while it is NULL.
 */
#include "u_trace.h"

#include <pthread.h>
#include <time.h>

const struct u_tracer_ops *u_trace__ops;
static void *trace_cookie;
/*
 * Emitters hold trace_lock for reading while they call the tracer; attach
 * and detach hold it for writing, so the ops and cookie change together and
 * detach returns only once no event is inside the old tracer (its owner may
 * free it then).
 */
static pthread_rwlock_t trace_lock = PTHREAD_RWLOCK_INITIALIZER;

void u_trace_attach(const struct u_tracer_ops *ops, void *cookie)
{
	pthread_rwlock_wrlock(&trace_lock);
	trace_cookie = cookie;
	__atomic_store_n(&u_trace__ops, ops, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&trace_lock);
}

uint64_t u_trace_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void u_trace__emit(const char *category, const char *name, const char *track, char phase,
		   unsigned int nargs, const char *const *names, const int64_t *args)
{
	const struct u_tracer_ops *ops;
	struct u_trace_event ev = {
		.ts_ns = u_trace_now_ns(),
		.category = category,
		.name = name,
		.track = track,
		.phase = phase,
		.nargs = nargs,
	};

	for (unsigned int i = 0; i < nargs && i < 4; i++) {
		ev.arg_names[i] = names[i];
		ev.args[i] = args[i];
	}
	pthread_rwlock_rdlock(&trace_lock);
	ops = u_trace__ops;
	if (ops)
		ops->event(trace_cookie, &ev);
	pthread_rwlock_unlock(&trace_lock);
}
