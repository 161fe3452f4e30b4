// SPDX-License-Identifier: MIT
/*
 * DOC: pantomime bench
 *
 * The benchmark suites live in their own executable, pantomime-bench (they
 * link the library's internals to time single layers, which the command,
 * built on the public API only, cannot). `pantomime bench` finds it next
 * to itself (installed), in the build tree (../../bench from
 * tools/pantomime), or at $PANTOMIME_BENCH, checks the options and runs
 * it: the table (value, same-run baseline, ratio) or the JSON lines are its
 * output, unchanged. The shim half of suite uapi is a second executable,
 * pantomime-bench-uapi-shim, run under LD_PRELOAD=libpantomime-shim.so
 * when suite uapi is asked for (or every suite).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

static int find_exe(const char *name, char *out, size_t len)
{
	const char *env = getenv("PANTOMIME_BENCH");
	char dir[PATH_MAX - 64];

	if (env && *env) {
		/* $PANTOMIME_BENCH names pantomime-bench; the shim half sits next to it. */
		const char *slash = strrchr(env, '/');

		if (!strcmp(name, "pantomime-bench"))
			snprintf(out, len, "%s", env);
		else
			snprintf(out, len, "%.*s%s", slash ? (int)(slash - env + 1) : 0, env, name);
		return access(out, X_OK) ? -ENOENT : 0;
	}
	if (pm_self_dir(dir, sizeof(dir)))
		return -ENOENT;
	snprintf(out, len, "%s/%s", dir, name);
	if (!access(out, X_OK))
		return 0;
	snprintf(out, len, "%s/../../bench/%s", dir, name);
	return access(out, X_OK) ? -ENOENT : 0;
}

/* Run @args[0] (with @preload in LD_PRELOAD if not NULL). Return: its exit status. */
static int run_child(char **args, const char *preload)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return PM_EXIT_FAIL;
	if (!pid) {
		if (preload) {
			setenv("LD_PRELOAD", preload, 1);
			setenv("PANTOMIME_LOG", "error", 0);
		}
		execv(args[0], args);
		fprintf(stderr, "pantomime bench: cannot run %s: %s\n", args[0], strerror(errno));
		_exit(PM_EXIT_FAIL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : PM_EXIT_FAIL;
}

/* Suite uapi asked for: by name, or by naming no suite at all. */
static bool want_uapi(char **args, int n)
{
	bool any = false;

	for (int i = 0; i < n; i++) {
		if (!strcmp(args[i], "--repeat")) {
			i++;
			continue;
		}
		if (args[i][0] == '-')
			continue;
		any = true;
		if (!strcmp(args[i], "uapi"))
			return true;
	}
	return !any;
}

int pm_cmd_bench(int argc, char **argv)
{
	char path[PATH_MAX];
	char **args = calloc((size_t)argc * 2 + 2, sizeof(*args));
	int n = 0, ret;
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
	if (find_exe("pantomime-bench", path, sizeof(path))) {
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
	ret = run_child(args, NULL);
	if (!ret && !list && want_uapi(args + 1, n)) {
		char shim_exe[PATH_MAX], shim[PATH_MAX];
		char **sargs = calloc((size_t)n + 2, sizeof(*sargs));
		int k = 1;

		if (!sargs) {
			ret = PM_EXIT_FAIL;
		} else if (find_exe("pantomime-bench-uapi-shim", shim_exe, sizeof(shim_exe)) ||
			   pm_find_shim(shim, sizeof(shim))) {
			fprintf(stderr, "pantomime bench: the shim half of suite uapi is not built; skipped\n");
		} else {
			/* The options, not the suite names (it has only suite uapi). */
			sargs[0] = shim_exe;
			for (int i = 1; i <= n; i++) {
				if (!strcmp(args[i], "--repeat") && i < n) {
					sargs[k++] = args[i++];
					sargs[k++] = args[i];
				} else if (args[i][0] == '-') {
					sargs[k++] = args[i];
				}
			}
			sargs[k] = NULL;
			ret = run_child(sargs, shim);
		}
		free(sargs);
	}
	free(args);
	return ret;
	return PM_EXIT_FAIL;
}
