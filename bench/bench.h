/* SPDX-License-Identifier: MIT */
/*
 * TEMPORARY stand-in for the benchmark runner's header, which is being
 * written on another branch and will replace this file. It declares only
 * what bench_hw.c uses.
 */
#ifndef PANTOMIME_BENCH_H
#define PANTOMIME_BENCH_H

/**
 * bench_report() - emit one result.
 * @suite: benchmark suite ("hw").
 * @name: benchmark name ("read_tlb_hit").
 * @value: the measurement.
 * @unit: its unit ("reads/s", "ns").
 * @baseline: the same-run baseline in the same unit, or 0 if none.
 */
void bench_report(const char *suite, const char *name, double value, const char *unit,
		  double baseline);

#endif
