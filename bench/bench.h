/* SPDX-License-Identifier: MIT */
/*
 * The benchmark runner's registry and reporting.
 *
 * A suite is a file that registers itself with BENCH_SUITE() and, when run,
 * measures its operations and a baseline in the same run, then reports
 * each number with bench_report(). The runner prints either one JSON
 * object per line ({"suite","name","value","unit","baseline","ratio"},
 * ratio = value / baseline, lower is better) or an aligned table.
 */
#ifndef PANTOMIME_BENCH_H
#define PANTOMIME_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/**
 * struct bench_suite - one group of benchmarks.
 * @name: the name given on the command line ("pgtable").
 * @summary: one line for --help.
 * @run: measure and report everything of the suite (reads &bench_opts).
 */
struct bench_suite {
	const char *name;
	const char *summary;
	void (*run)(void);
};

/**
 * struct bench_options - what the command line asked for.
 * @json: print JSON lines instead of a table.
 * @repeat: repetitions of each measurement; suites report the best (lowest)
 *          one, which filters out interference from other processes.
 *          1 is meant for instruction counting under callgrind.
 */
struct bench_options {
	bool json;
	unsigned int repeat;
};

/** bench_opts - the options of this run (set by main before any suite runs). */
extern struct bench_options bench_opts;

/** bench_register() - add @s to the registry (used by BENCH_SUITE()). */
void bench_register(const struct bench_suite *s);

/**
 * BENCH_SUITE() - define and register suite @var named @sname with @fn.
 * @var: a file-local identifier.
 * @sname: the suite's command-line name.
 * @sum: its one-line summary.
 * @fn: its run function.
 */
#define BENCH_SUITE(var, sname, sum, fn)                                       \
	static const struct bench_suite var = {                                \
		.name = (sname), .summary = (sum), .run = (fn) };              \
	__attribute__((constructor)) static void bench__reg_##var(void)        \
	{ bench_register(&var); }

/**
 * bench_report() - print one result.
 * @suite: suite name.
 * @name: benchmark name.
 * @value: the measured value.
 * @unit: its unit ("ns/entry", "ns/op").
 * @baseline: the same-run baseline in the same unit (> 0).
 */
void bench_report(const char *suite, const char *name, double value, const char *unit,
		  double baseline);

/** bench_now_ns() - Return: CLOCK_MONOTONIC time in nanoseconds. */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/**
 * bench_rng() - Return: the next value of the xorshift64 generator whose
 * state is *@state (non-zero); fixed seeds keep address sequences identical
 * from run to run.
 */
static inline uint64_t bench_rng(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/** bench_min() - Return: the smaller of @a and @b (for best-of-N). */
static inline double bench_min(double a, double b)
{
	return a < b ? a : b;
}

#endif
