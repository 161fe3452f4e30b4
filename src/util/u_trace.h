/* SPDX-License-Identifier: MIT */
/*
 * Trace-event hooks. Code marks events with U_TRACE_*(); they cost one
 * predictable branch until a tracer is attached with u_trace_attach().
 * The CLI attaches a writer of Chrome/Perfetto JSON.
 */
#ifndef PANTOMIME_U_TRACE_H
#define PANTOMIME_U_TRACE_H

#include <stdint.h>
#include "u_compiler.h"

/**
 * struct u_trace_event - one event handed to the tracer.
 * @ts_ns: CLOCK_MONOTONIC time in nanoseconds.
 * @category: event category ("vm", "mmu", "shrinker", "mem").
 * @name: event name.
 * @track: the track (row) the event belongs to, e.g. "vm3" or "shrinker".
 * @phase: 'B' begin, 'E' end, 'i' instant, 'C' counter.
 * @nargs: number of valid entries in @arg_names/@args (at most 4).
 * @arg_names: names of the integer arguments.
 * @args: the integer arguments (for 'C', the counter values).
 */
struct u_trace_event {
	uint64_t ts_ns;
	const char *category;
	const char *name;
	const char *track;
	char phase;
	unsigned int nargs;
	const char *arg_names[4];
	int64_t args[4];
};

/**
 * struct u_tracer_ops - a trace consumer.
 * @event: called synchronously, from the thread that emitted the event, for
 *         every event; must not allocate through u_alloc (it may run inside
 *         no-allocation sections) and must be thread-safe.
 */
struct u_tracer_ops {
	void (*event)(void *cookie, const struct u_trace_event *ev);
};

extern const struct u_tracer_ops *u_trace__ops;

/**
 * u_trace_attach() - send events to @ops (NULL detaches). One tracer at a time.
 * Returns once no event is being delivered to the previous tracer, so its
 * owner may free it; must not be called from inside a tracer callback.
 */
void u_trace_attach(const struct u_tracer_ops *ops, void *cookie);
/** u_trace_enabled() - Return: true while a tracer is attached. */
static inline bool u_trace_enabled(void)
{
	return unlikely(__atomic_load_n(&u_trace__ops, __ATOMIC_RELAXED) != NULL);
}
/** u_trace_now_ns() - Return: CLOCK_MONOTONIC in nanoseconds. */
uint64_t u_trace_now_ns(void);
void u_trace__emit(const char *category, const char *name, const char *track, char phase,
		   unsigned int nargs, const char *const *names, const int64_t *args);

/** U_TRACE() - emit an event with up to 4 named integer arguments: U_TRACE("vm", "bind", "vm1", 'B', "va", va). */
#define U_TRACE(cat, name, track, phase, ...) do {                               \
	if (u_trace_enabled()) {                                                 \
		struct { const char *n; int64_t v; } _a[] = { U_TRACE__ARGS(__VA_ARGS__) }; \
		const char *_n[4]; int64_t _v[4]; unsigned int _k;               \
		for (_k = 0; _k < ARRAY_SIZE(_a) && _k < 4 && _a[_k].n; _k++) {  \
			_n[_k] = _a[_k].n; _v[_k] = _a[_k].v;                    \
		}                                                                \
		u_trace__emit(cat, name, track, phase, _k, _n, _v);              \
	}                                                                        \
} while (0)
#define U_TRACE__ARGS(...) __VA_OPT__(U_TRACE__PAIRS(__VA_ARGS__),) { NULL, 0 }
#define U_TRACE__PAIRS(...) U_TRACE__P4(__VA_ARGS__, NULL, 0, NULL, 0, NULL, 0, NULL, 0)
#define U_TRACE__P4(n1, v1, n2, v2, n3, v3, n4, v4, ...) \
	{ n1, (int64_t)(v1) }, { n2, (int64_t)(v2) }, { n3, (int64_t)(v3) }, { n4, (int64_t)(v4) }

#endif
