// SPDX-License-Identifier: MIT
/*
 * DOC: the pantomime command
 *
 * One executable with subcommands: `stress` (the default job), `run` (a
 * program under the shim), `bench` (the benchmark suites). Every
 * subcommand takes GNU-style long options and --help; bad usage prints one
 * line naming what was wrong and exits 2.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pm.h"

uint64_t pm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pm_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B') {
		if (*end == 'i')
			end++;
		if (*end == 'B')
			end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int pm_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int pm_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pantomime %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'pantomime %s --help'.\n", cmd);
	return PM_EXIT_USAGE;
}

int pm_parse_dump(const char *s, unsigned int *mask)
{
	char buf[128], *save = NULL, *tok;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "gems"))
			*mask |= 1u << PANTOMIME_VIEW_GEMS;
		else if (!strcmp(tok, "vms"))
			*mask |= 1u << PANTOMIME_VIEW_VMS;
		else if (!strcmp(tok, "pgtables"))
			*mask |= 1u << PANTOMIME_VIEW_PGTABLES;
		else
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}

int pm_self_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n < 0)
		return -errno;
	buf[n] = 0;
	slash = strrchr(buf, '/');
	if (!slash)
		return -ENOENT;
	*slash = 0;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pantomime COMMAND [OPTIONS]\n"
		"\n"
		"pantomime models the memory management of the Linux panthor GPU driver\n"
		"(Arm Mali CSF) in user space, behind the real panthor uAPI.\n"
		"\n"
		"Commands:\n"
		"  stress   run the stress job: clients binding, mapping, evicting and\n"
		"           checking memory on a model GPU, then verify every byte\n"
		"  run      run a program with the pantomime shim preloaded (it sees a\n"
		"           panthor device) and report what the device saw\n"
		"  bench    run the benchmark suites\n"
		"\n"
		"Run 'pantomime COMMAND --help' for the options of a command.\n"
		"Exit status: 0 when everything checked held, 1 when a check failed,\n"
		"2 for bad usage.\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return PM_EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return PM_EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("pantomime 0.1.0\n");
		return PM_EXIT_OK;
	}
	if (!strcmp(cmd, "stress"))
		return pm_cmd_stress(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return pm_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return pm_cmd_bench(argc - 1, argv + 1);
	fprintf(stderr, "pantomime: unknown command '%s'\nTry 'pantomime --help'.\n", cmd);
	return PM_EXIT_USAGE;
}
