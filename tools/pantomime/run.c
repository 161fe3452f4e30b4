// SPDX-License-Identifier: MIT
/*
 * DOC: pantomime run
 *
 * Runs a program with libpantomime-shim.so preloaded: every open of a DRM
 * node in it reaches a model device configured from the options (through
 * the PANTOMIME_* variables the shim reads). At its exit the shim writes the
 * device's counters to the file named by PANTOMIME_REPORT_FILE (the
 * PANTOMIME_VIEW_STATS format, one "name value" per line) and prints the
 * views PANTOMIME_DUMP names; this command reads the counters back and
 * prints the same end report as `pantomime stress`.
 *
 * --trace FILE: the trace is written by the program's own process, where
 * the device lives: the shim starts the same Chrome trace writer as
 * `stress --trace` (src/ctrace) when PANTOMIME_TRACE_FILE names a file, and
 * finishes it at exit. This command only checks beforehand that FILE can
 * be written (creating it empty), passes its absolute path (the program
 * may change directory), and, if the program never opened the device, so
 * that FILE is still empty, writes an empty trace there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pm.h"

#ifndef PM_LIBDIR
#define PM_LIBDIR "/usr/local/lib"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pantomime run [OPTIONS] -- COMMAND [ARGS...]\n"
		"Run COMMAND with the pantomime shim preloaded: the panthor device it opens\n"
		"is a model, configured by the options. At its exit, print what the device\n"
		"saw (the same end report as 'pantomime stress').\n"
		"\n"
		"  --memory SIZE     DRAM budget of the device (default 1G; K, M, G suffixes)\n"
		"  --swap SIZE       swap for eviction (default 0: no eviction)\n"
		"  --checker MODE    protocol checker: off, count (default), abort\n"
		"  --fault SPEC      allocation fault injection (e.g. random=0.001,seed=1)\n"
		"  --tlb N           TLB entries per address space (0 disables)\n"
		"  --dump VIEWS      at exit print gems, vms and/or pgtables (comma-separated)\n"
		"  --json            end with the report as one JSON object on one line\n"
		"  --report FILE     also write the report as a self-contained HTML page\n"
		"  --trace FILE      write a Chrome/Perfetto trace (JSON) of the program's device\n"
		"  -h, --help        this text\n"
		"\n"
		"Exit status: COMMAND's when it failed, else 1 if the checker reported a\n"
		"violation, else 0; 2 for bad usage.\n");
}

int pm_find_shim(char *out, size_t len)
{
	const char *env = getenv("PANTOMIME_SHIM");
	char dir[PATH_MAX - 64];

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, R_OK) ? -ENOENT : 0;
	}
	if (!pm_self_dir(dir, sizeof(dir))) {
		snprintf(out, len, "%s/../../src/shim/libpantomime-shim.so", dir);
		if (!access(out, R_OK))
			return 0;
		snprintf(out, len, "%s/libpantomime-shim.so", dir);
		if (!access(out, R_OK))
			return 0;
	}
	snprintf(out, len, "%s/libpantomime-shim.so", PM_LIBDIR);
	return access(out, R_OK) ? -ENOENT : 0;
}

static void read_stats(FILE *f, struct pantomime_stats *st)
{
	static const struct { const char *name; size_t off; } fields[] = {
#define F(x) { #x, offsetof(struct pantomime_stats, x) }
		F(checker_violations), F(checker_notes), F(gpu_accesses), F(lock_stalls),
		F(lock_stall_ns), F(max_lock_stall_ns), F(mmu_faults), F(evictions),
		F(restores), F(bytes_swapped_out), F(bytes_swapped_in), F(resident_bytes),
		F(peak_resident_bytes), F(swap_used_bytes), F(failed_allocs),
#undef F
	};
	char name[64];
	unsigned long long v;

	while (fscanf(f, "%63s %llu", name, &v) == 2) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (!strcmp(name, fields[i].name))
				*(uint64_t *)((char *)st + fields[i].off) = v;
	}
}

/* --trace @val: create it empty, its absolute path into @out. Return: 0 or -errno. */
static int trace_prepare(const char *val, char *out, size_t len)
{
	char cwd[PATH_MAX];
	int fd;

	fd = open(val, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	close(fd);
	if (val[0] == '/') {
		snprintf(out, len, "%s", val);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if ((size_t)snprintf(out, len, "%s/%s", cwd, val) >= len)
			return -ENAMETOOLONG;
	}
	return 0;
}

/* After the program: a trace file nobody wrote gets an empty trace. Return: 0 or -errno. */
static int trace_finish(const char *path)
{
	struct stat sb;
	int ret;

	if (stat(path, &sb))
		return -errno;
	if (sb.st_size)
		return 0;
	ret = ctrace_open(path, NULL, NULL, 0);
	return ret ? ret : ctrace_close();
}

int pm_cmd_run(int argc, char **argv)
{
	const char *memory = NULL, *swap = NULL, *checker = NULL, *fault = NULL, *tlb = NULL;
	const char *dump = NULL, *html = NULL, *trace_arg = NULL;
	bool json = false;
	char shim[PATH_MAX], repfile[PATH_MAX], trace[PATH_MAX] = "";
	const char *tmpdir = getenv("TMPDIR");
	struct pm_report r = { 0 };
	int i, fd, status, ret;
	uint64_t v, t0;
	unsigned int mask;
	pid_t pid;
	FILE *f;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		static const char *const with_arg[] = {
			"--memory", "--swap", "--checker", "--fault", "--tlb", "--dump", "--report",
			"--trace",
		};
		bool takes = false;

		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return PM_EXIT_OK;
		}
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		for (size_t k = 0; k < sizeof(with_arg) / sizeof(with_arg[0]); k++)
			if (strlen(with_arg[k]) == nlen && !strncmp(a, with_arg[k], nlen))
				takes = true;
		if (!takes) {
			if (a[0] == '-')
				return pm_usage_error("run", "unknown option '%s'", a);
			return pm_usage_error("run", "put '--' before the command ('%s')", a);
		}
		val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!val)
			return pm_usage_error("run", "option '%.*s' needs a value", (int)nlen, a);
		if (!strncmp(a, "--memory", nlen)) {
			if (pm_parse_size(val, &v) || v < (4u << 20))
				return pm_usage_error("run", "--memory: bad size '%s' (at least 4M)", val);
			memory = val;
		} else if (!strncmp(a, "--swap", nlen)) {
			if (pm_parse_size(val, &v))
				return pm_usage_error("run", "--swap: bad size '%s'", val);
			swap = val;
		} else if (!strncmp(a, "--checker", nlen)) {
			if (strcmp(val, "off") && strcmp(val, "count") && strcmp(val, "abort"))
				return pm_usage_error("run", "--checker: '%s' is not off, count or abort", val);
			checker = val;
		} else if (!strncmp(a, "--fault", nlen)) {
			fault = val;
		} else if (!strncmp(a, "--tlb", nlen)) {
			if (pm_parse_uint(val, 0, 1 << 20, &v))
				return pm_usage_error("run", "--tlb: bad number '%s'", val);
			tlb = val;
		} else if (!strncmp(a, "--dump", nlen)) {
			if (pm_parse_dump(val, &mask))
				return pm_usage_error("run", "--dump: '%s' is not a list of gems, vms, pgtables", val);
			dump = val;
		} else if (!strncmp(a, "--trace", nlen)) {
			if (!*val)
				return pm_usage_error("run", "--trace: empty file name");
			trace_arg = val;
		} else {
			html = val;
		}
	}
	if (i >= argc - 1)
		return pm_usage_error("run", "no command given (pantomime run [OPTIONS] -- COMMAND)");
	if (trace_arg && (ret = trace_prepare(trace_arg, trace, sizeof(trace))))
		return pm_usage_error("run", "--trace: cannot write '%s': %s", trace_arg,
				      strerror(-ret));
	if (pm_find_shim(shim, sizeof(shim))) {
		fprintf(stderr, "pantomime run: cannot find libpantomime-shim.so (build tree, next to "
			"this program, or %s; set PANTOMIME_SHIM to its path)\n", PM_LIBDIR);
		return PM_EXIT_FAIL;
	}
	snprintf(repfile, sizeof(repfile), "%s/pantomime-run-XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : P_tmpdir);
	fd = mkstemp(repfile);
	if (fd < 0) {
		fprintf(stderr, "pantomime run: cannot create a temporary file: %s\n", strerror(errno));
		return PM_EXIT_FAIL;
	}
	close(fd);
	t0 = pm_now_ns();
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "pantomime run: fork: %s\n", strerror(errno));
		unlink(repfile);
		return PM_EXIT_FAIL;
	}
	if (pid == 0) {
		const char *pre = getenv("LD_PRELOAD");
		char preload[2 * PATH_MAX];

		snprintf(preload, sizeof(preload), "%s%s%s", shim, pre && *pre ? ":" : "",
			 pre ? pre : "");
		setenv("LD_PRELOAD", preload, 1);
		setenv("PANTOMIME_REPORT_FILE", repfile, 1);
		if (memory)
			setenv("PANTOMIME_MEMORY", memory, 1);
		if (swap)
			setenv("PANTOMIME_SWAP", swap, 1);
		if (checker)
			setenv("PANTOMIME_CHECKER", checker, 1);
		if (fault)
			setenv("PANTOMIME_FAULT", fault, 1);
		if (tlb)
			setenv("PANTOMIME_TLB", tlb, 1);
		if (dump)
			setenv("PANTOMIME_DUMP", dump, 1);
		if (trace[0])
			setenv("PANTOMIME_TRACE_FILE", trace, 1);
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "pantomime run: cannot run '%s': %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r.title = argv[i + 1];
	r.seconds = (double)(pm_now_ns() - t0) / 1e9;
	if (!memory || pm_parse_size(memory, &r.memory_bytes))
		r.memory_bytes = 1ull << 30;
	if (swap)
		pm_parse_size(swap, &r.swap_bytes);
	r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	f = fopen(repfile, "r");
	if (f) {
		read_stats(f, &r.st);
		r.gpu_accesses = r.st.gpu_accesses;
		fseek(f, 0, SEEK_END);
		if (ftell(f) == 0)
			r.gpu_note = "the program never opened a pantomime device";
		fclose(f);
	}
	unlink(repfile);
	if (trace[0] && (ret = trace_finish(trace)))
		fprintf(stderr, "pantomime run: cannot write %s: %s\n", trace, strerror(-ret));
	pm_report_print(&r, stdout);
	if (html && (ret = pm_report_html(&r, html)))
		fprintf(stderr, "pantomime run: cannot write %s: %s\n", html, strerror(-ret));
	if (json)
		pm_report_json(&r, stdout);
	if (r.exit_status)
		return r.exit_status;
	return pm_report_ok(&r) ? PM_EXIT_OK : PM_EXIT_FAIL;
}
