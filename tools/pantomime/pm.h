/* SPDX-License-Identifier: MIT */
/*
 * The `pantomime` command's shared declarations: subcommands, the end
 * report (text, JSON, HTML) and small helpers. Built only on
 * include/pantomime/pantomime.h, the uAPI headers and the trace writer
 * (ctrace.h, shared with the shim).
 */
#ifndef PANTOMIME_TOOLS_PM_H
#define PANTOMIME_TOOLS_PM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctrace.h"
#include "pantomime/pantomime.h"

/* Exit statuses: 0 all checks held, 1 a check failed, 2 bad usage. */
#define PM_EXIT_OK 0
#define PM_EXIT_FAIL 1
#define PM_EXIT_USAGE 2

/**
 * enum pm_op - the kinds of operation the stress job counts.
 */
enum pm_op {
	PM_OP_BO_CREATE,
	PM_OP_BO_CLOSE,
	PM_OP_CPU_WRITE,
	PM_OP_VM_MAP,
	PM_OP_VM_UNMAP,
	PM_OP_VM_REMAP,
	PM_OP_SPARSE_BIND,
	PM_OP_SYNCOBJ_WAIT,
	PM_OP_GPU_SUBMIT,
	PM_OP_VM_RECREATE,
	PM_OP_GROUP_RECREATE,
	PM_OP_KINDS,
};

/** pm_op_names - printable names of enum pm_op. */
extern const char *const pm_op_names[PM_OP_KINDS];

/**
 * struct pm_sample - one point of the time series the report charts.
 * @t: seconds since the start.
 * @resident: resident bytes.
 * @swap: swap bytes in use.
 * @bind_avg_us: mean bind latency over the interval (0 if none).
 * @bind_max_us: worst bind latency over the interval.
 * @binds_per_s: bind rate over the interval.
 * @gpu_per_s: GPU access rate over the interval.
 */
struct pm_sample {
	double t;
	double resident;
	double swap;
	double bind_avg_us;
	double bind_max_us;
	double binds_per_s;
	double gpu_per_s;
};

/**
 * struct pm_report - everything the end report shows.
 * @title: "stress" or the command run.
 * @seconds: wall time of the run.
 * @memory_bytes: the device's DRAM budget.
 * @swap_bytes: its swap size.
 * @has_ops: @ops, @binds and the latencies are meaningful (stress).
 * @ops: operations by kind during the timed run.
 * @binds: VM_BIND operations during the timed run (each op of an array
 *         counts): the rates divide these by @seconds.
 * @gpu_accesses: GPU accesses during the timed run (run: all of them).
 * @check_binds: VM_BIND operations of the final check (after @seconds).
 * @check_gpu_accesses: GPU accesses of the final check.
 * @bind_p50_us: median bind latency (microseconds).
 * @bind_p90_us: 90th percentile.
 * @bind_p99_us: 99th percentile.
 * @bind_max_us: the worst.
 * @st: the device's counters at the end.
 * @gpu_note: why GPU work did not run, or NULL.
 * @expected_faults: injected failures the job saw (errors it expected).
 * @unexpected_faults: errors and GPU faults nothing explains.
 * @corrupted_bytes: bytes that read back wrong.
 * @bytes_verified_cpu: bytes checked through CPU mappings.
 * @bytes_verified_gpu: bytes checked through GPU copies.
 * @samples: the time series.
 * @nr_samples: its length.
 * @exit_status: the program's exit status (run), else 0.
 */
struct pm_report {
	const char *title;
	double seconds;
	uint64_t memory_bytes;
	uint64_t swap_bytes;
	bool has_ops;
	uint64_t ops[PM_OP_KINDS];
	uint64_t binds;
	uint64_t gpu_accesses;
	uint64_t check_binds;
	uint64_t check_gpu_accesses;
	double bind_p50_us, bind_p90_us, bind_p99_us, bind_max_us;
	struct pantomime_stats st;
	const char *gpu_note;
	uint64_t expected_faults;
	uint64_t unexpected_faults;
	uint64_t corrupted_bytes;
	uint64_t bytes_verified_cpu;
	uint64_t bytes_verified_gpu;
	const struct pm_sample *samples;
	size_t nr_samples;
	int exit_status;
};

/** pm_report_ok() - Return: true if the report shows nothing wrong. */
bool pm_report_ok(const struct pm_report *r);
/** pm_report_print() - the human-readable report to @f. */
void pm_report_print(const struct pm_report *r, FILE *f);
/** pm_report_json() - the report as one JSON object on one line to @f. */
void pm_report_json(const struct pm_report *r, FILE *f);
/** pm_report_html() - write the self-contained HTML page to @path. Return: 0 or -errno. */
int pm_report_html(const struct pm_report *r, const char *path);

/** pm_now_ns() - Return: CLOCK_MONOTONIC in nanoseconds. */
uint64_t pm_now_ns(void);
/** pm_parse_size() - "512M", "2G", "4096". Return: 0 and *@out, or -EINVAL. */
int pm_parse_size(const char *s, uint64_t *out);
/** pm_parse_uint() - a decimal integer in [@min, @max]. Return: 0 or -EINVAL. */
int pm_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/** pm_usage_error() - print "pantomime CMD: MSG" and a hint to stderr. Return: PM_EXIT_USAGE. */
int pm_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** pm_dump_views() - parse "gems,vms,pgtables" into a bit mask of enum pantomime_view. Return: 0 or -EINVAL. */
int pm_parse_dump(const char *s, unsigned int *mask);
/** pm_self_dir() - the directory of the running executable, into @buf. Return: 0 or -errno. */
int pm_self_dir(char *buf, size_t len);

/**
 * pm_find_shim() - find libpantomime-shim.so: $PANTOMIME_SHIM, the build tree, next to
 * the executable, the install libdir. Return: 0 and the path in @out, or -ENOENT.
 */
int pm_find_shim(char *out, size_t len) __attribute__((nonnull(1)));

/** pm_cmd_stress() - `pantomime stress`. Return: exit status. */
int pm_cmd_stress(int argc, char **argv);
/** pm_cmd_run() - `pantomime run`. Return: exit status. */
int pm_cmd_run(int argc, char **argv);
/** pm_cmd_bench() - `pantomime bench`. Return: exit status. */
int pm_cmd_bench(int argc, char **argv);

#endif
