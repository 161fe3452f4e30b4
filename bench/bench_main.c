// SPDX-License-Identifier: MIT
/*
 * DOC: pantomime-bench
 *
 * `pantomime-bench [--json] [--repeat N] [SUITE...]` runs the named suites
 * (all of them by default) in registration order. Suites register from
 * constructors in their own files (BENCH_SUITE()), so adding one is adding
 * a file to bench/meson.build. The lockdep is turned off: it measures the
 * checker, not the code.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/u_lockdep.h"

#define BENCH_MAX_SUITES 16

struct bench_options bench_opts = { .json = false, .repeat = 10 };

static const struct bench_suite *suites[BENCH_MAX_SUITES];
static unsigned int nr_suites;
static bool header_done;

void bench_register(const struct bench_suite *s)
{
	if (nr_suites == BENCH_MAX_SUITES) {
		fprintf(stderr, "pantomime-bench: too many suites\n");
		abort();
	}
	suites[nr_suites++] = s;
}

void bench_report(const char *suite, const char *name, double value, const char *unit,
		  double baseline)
{
	double ratio = baseline > 0 ? value / baseline : 0;

	if (bench_opts.json) {
		printf("{\"suite\":\"%s\",\"name\":\"%s\",\"value\":%.4f,\"unit\":\"%s\","
		       "\"baseline\":%.4f,\"ratio\":%.3f}\n",
		       suite, name, value, unit, baseline, ratio);
	} else {
		if (!header_done) {
			printf("%-8s  %-26s  %12s  %-8s  %10s  %8s\n",
			       "suite", "name", "value", "unit", "baseline", "ratio");
			header_done = true;
		}
		printf("%-8s  %-26s  %12.3f  %-8s  %10.3f  %8.2f\n",
		       suite, name, value, unit, baseline, ratio);
	}
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pantomime-bench [OPTION]... [SUITE]...\n"
		"Run the benchmark suites (all by default); each result comes with a\n"
		"baseline measured in the same run and ratio = value / baseline.\n"
		"\n"
		"  --json        one JSON object per line:\n"
		"                {\"suite\",\"name\",\"value\",\"unit\",\"baseline\",\"ratio\"}\n"
		"  --repeat N    repetitions per measurement, best one reported (default 10;\n"
		"                1 for instruction counting under valgrind --tool=callgrind)\n"
		"  -h, --help    this text\n"
		"\n"
		"Suites:\n");
	for (unsigned int i = 0; i < nr_suites; i++)
		fprintf(f, "  %-12s  %s\n", suites[i]->name, suites[i]->summary);
}

static const struct bench_suite *find_suite(const char *name)
{
	for (unsigned int i = 0; i < nr_suites; i++)
		if (!strcmp(suites[i]->name, name))
			return suites[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct bench_suite *chosen[BENCH_MAX_SUITES];
	unsigned int nr_chosen = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			bench_opts.json = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--repeat") || !strncmp(a, "--repeat=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			char *end;
			unsigned long n = v ? strtoul(v, &end, 10) : 0;

			if (!v || *end || n < 1 || n > 1000) {
				fprintf(stderr, "pantomime-bench: --repeat needs a number from 1 to 1000\n");
				return 2;
			}
			bench_opts.repeat = (unsigned int)n;
		} else if (a[0] == '-') {
			fprintf(stderr, "pantomime-bench: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		} else {
			const struct bench_suite *s = find_suite(a);

			if (!s) {
				fprintf(stderr, "pantomime-bench: unknown suite '%s' (available:", a);
				for (unsigned int k = 0; k < nr_suites; k++)
					fprintf(stderr, " %s", suites[k]->name);
				fprintf(stderr, ")\n");
				return 2;
			}
			if (nr_chosen < BENCH_MAX_SUITES)
				chosen[nr_chosen++] = s;
		}
	}
	if (!nr_chosen) {
		for (unsigned int i = 0; i < nr_suites; i++)
			chosen[i] = suites[i];
		nr_chosen = nr_suites;
	}

	u_lockdep_set_enabled(false);
	for (unsigned int i = 0; i < nr_chosen; i++)
		chosen[i]->run();
	return 0;
}
