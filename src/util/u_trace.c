// SPDX-License-Identifier: MIT
/*
 * DOC: trace hooks
 *
 * The attached tracer is one global pointer read with a relaxed load on
 * every U_TRACE() site; nothing else happens while it is NULL.
 */
#include "u_trace.h"

#include <time.h>

const struct u_tracer_ops *u_trace__ops;
static void *trace_cookie;

void u_trace_attach(const struct u_tracer_ops *ops, void *cookie)
{
	trace_cookie = cookie;
	__atomic_store_n(&u_trace__ops, ops, __ATOMIC_RELEASE);
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
	const struct u_tracer_ops *ops = __atomic_load_n(&u_trace__ops, __ATOMIC_ACQUIRE);
	struct u_trace_event ev = {
		.ts_ns = u_trace_now_ns(),
		.category = category,
		.name = name,
		.track = track,
		.phase = phase,
		.nargs = nargs,
	};

	if (!ops)
		return;
	for (unsigned int i = 0; i < nargs && i < 4; i++) {
		ev.arg_names[i] = names[i];
		ev.args[i] = args[i];
	}
	ops->event(trace_cookie, &ev);
}
