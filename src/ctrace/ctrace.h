/* SPDX-License-Identifier: MIT */
/*
 * The Chrome trace-event writer: a file that Perfetto and chrome://tracing
 * open, fed by the public trace hook (pantomime_trace_set()). Built on
 * include/pantomime/pantomime.h only, so both the `pantomime` command
 * (stress --trace) and the LD_PRELOAD shim (PANTOMIME_TRACE_FILE, which
 * `pantomime run --trace` sets) link it. One trace file per process at a
 * time.
 */
#ifndef PANTOMIME_CTRACE_H
#define PANTOMIME_CTRACE_H

#include <stdbool.h>
#include <stdint.h>

/**
 * typedef ctrace_sample_fn - called by the writer thread every sampling
 * period (and once more just before the file is closed) to add counters
 * with ctrace_counter(); no writer lock is held.
 */
typedef void (*ctrace_sample_fn)(void *cookie, uint64_t now_ns);

/**
 * ctrace_open() - start writing a Chrome trace to @path and route every
 * trace event of the process to it (pantomime_trace_set()).
 * @path: the file, created or truncated. It is locked (flock) while the
 *        trace is written: a second writer of the same file is refused.
 * @sample: if not NULL, called every @period_ns by the writer thread.
 * @cookie: passed to @sample.
 * @period_ns: the sampling period.
 * Starts the writer thread; nothing happens before this is called.
 * Return: 0, -EBUSY if another trace (of this or another process) holds
 * @path or this process already traces, or the -errno of opening the file
 * or starting the thread.
 */
int ctrace_open(const char *path, ctrace_sample_fn sample, void *cookie, uint64_t period_ns);

/**
 * ctrace_close() - stop tracing (pantomime_trace_set(NULL)), take a last
 * sample, finish the JSON and close the file. A no-op when not open.
 * Return: 0, or the first -errno a write or the close met.
 */
int ctrace_close(void);

/** ctrace_active() - Return: true while a trace file is open. */
bool ctrace_active(void);

/**
 * ctrace_span() - a complete span of the caller's own (not from the hook).
 * @track: its row.
 * @name: its name.
 * @t0_ns: start, CLOCK_MONOTONIC in ns.
 * @t1_ns: end.
 * @arg: the name of its one integer argument.
 * @val: its value.
 */
void ctrace_span(const char *track, const char *name, uint64_t t0_ns, uint64_t t1_ns,
		 const char *arg, int64_t val);

/**
 * ctrace_counter() - counter @name is @val at @ts_ns (CLOCK_MONOTONIC ns).
 * @name: the counter ("resident MiB").
 * @ts_ns: when.
 * @val: its value.
 */
void ctrace_counter(const char *name, uint64_t ts_ns, double val);

/** ctrace_now_ns() - Return: CLOCK_MONOTONIC in nanoseconds (the trace's clock). */
uint64_t ctrace_now_ns(void);

#endif
