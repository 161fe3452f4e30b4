// SPDX-License-Identifier: MIT
/*
 * DOC: pantomime bench
 *
 * The benchmark suites live in their own executable, pantomime-bench (they
 * link the library's internals to time single layers, which the command,
 * built on the public API only, cannot). `pantomime bench` finds it next
 * to itself (installed), in the build tree (../../bench from
 * tools/pantomime), or at $PANTOMIME_BENCH, checks the options and execs
 * it: the table (value, same-run baseline, ratio) or the JSON lines are its
 * output, unchanged.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pm.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pantomime bench [OPTIONS] [SUITE...]\n"
		"Run benchmark suites (all by default) and print, for each measurement,\n"
		"its value, a baseline measured in the same run and ratio = value/baseline.\n"
		"\n"
		"  --json        one JSON object per line:\n"
		"                {\"suite\",\"name\",\"value\",\"unit\",\"baseline\",\"ratio\"}\n"
		"  --repeat N    repetitions per measurement, best reported (default 10)\n"
		"  --list        list the suites\n"
		"  -h, --help    this text\n");
}

static int find_bench(char *out, size_t len)
{
	const char *env = getenv("PANTOMIME_BENCH");
	static const char *const rel[] = { "pantomime-bench", "../../bench/pantomime-bench" };
	char dir[PATH_MAX - 64];

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) ? -ENOENT : 0;
	}
	if (pm_self_dir(dir, sizeof(dir)))
		return -ENOENT;
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(out, len, "%s/%s", dir, rel[i]);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

int pm_cmd_bench(int argc, char **argv)
{
	char path[PATH_MAX];
	char **args = calloc((size_t)argc * 2 + 2, sizeof(*args));
	int n = 0;
	bool list = false;

	if (!args)
		return PM_EXIT_FAIL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			free(args);
			return PM_EXIT_OK;
		} else if (!strcmp(a, "--list")) {
			list = true;
		} else if (!strcmp(a, "--json")) {
			args[++n] = argv[i];
		} else if (!strcmp(a, "--repeat") || !strncmp(a, "--repeat=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			uint64_t r;

			if (pm_parse_uint(v, 1, 1000, &r)) {
				free(args);
				return pm_usage_error("bench", "--repeat needs a number from 1 to 1000");
			}
			args[++n] = "--repeat";
			args[++n] = (char *)v;
		} else if (a[0] == '-') {
			free(args);
			return pm_usage_error("bench", "unknown option '%s'", a);
		} else {
			args[++n] = argv[i];
		}
	}
	if (find_bench(path, sizeof(path))) {
		fprintf(stderr, "pantomime bench: cannot find pantomime-bench next to this program "
			"or in the build tree (set PANTOMIME_BENCH to its path)\n");
		free(args);
		return PM_EXIT_FAIL;
	}
	if (list) {
		/* Its --help ends with the suite list. */
		args[1] = "--help";
		n = 1;
	}
	args[0] = path;
	args[n + 1] = NULL;
	fflush(NULL);
	execv(path, args);
	fprintf(stderr, "pantomime bench: cannot run %s: %s\n", path, strerror(errno));
	free(args);
	return PM_EXIT_FAIL;
}
