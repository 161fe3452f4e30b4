/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the shim's black-box tests: these programs run with
 * LD_PRELOAD=libpantomime-shim-mock.so and see the device only through
 * libc calls, as IGT or Mesa would.
 */
#ifndef PANTOMIME_TESTS_SHIM_TEST_H
#define PANTOMIME_TESTS_SHIM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t_harness.h"
#include "mock_ioctl.h"

/** shim_test_require_preload() - skip the test unless the shim is preloaded. */
static inline void shim_test_require_preload(void)
{
	const char *p = getenv("LD_PRELOAD");

	if (!p || !strstr(p, "pantomime-shim"))
		t_skip("run with LD_PRELOAD=libpantomime-shim-mock.so (meson test does)");
}

/**
 * shim_test_emulated() - Return: true under a user-mode emulator (the
 * aarch64 cross check runs these tests in qemu-user, which answers ioctls
 * it does not know with ENOSYS, converts some DRM structs itself, and
 * serves "/" from its sysroot): kernel-answer checks are skipped there.
 */
static inline bool shim_test_emulated(void)
{
	const char *w = getenv("PANTOMIME_TEST_EXEC_WRAPPER");

	return w && *w;
}

/** shim_test_exec_self() - t_exec_self() for a scenario process. Returns only on failure. */
static inline void shim_test_exec_self(void)
{
	t_exec_self("shim-scenario");
}

/** shim_test_info() - the mock's counters through @fd (asserts the ioctl worked). */
static inline struct pantomime_mock_info shim_test_info(int fd)
{
	struct pantomime_mock_info mi;

	memset(&mi, 0, sizeof(mi));
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTOMIME_MOCK_INFO, &mi), 0);
	return mi;
}

/** shim_test_open() - open @path O_RDWR|O_CLOEXEC, asserting success. */
static inline int shim_test_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	T_ASSERT_MSG(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

/**
 * shim_test_run_self() - run this binary again as a fresh process (the
 * shim preloaded through the inherited environment) with SHIM_SCENARIO=@name
 * and @env_extra ("NAME=value" or NULL) set; its stderr is captured.
 * @err: receives up to @errlen - 1 bytes of the child's stderr, NUL-terminated.
 * Return: the wait status.
 */
static inline int shim_test_run_self(const char *name, const char *env_extra, char *err,
				     size_t errlen)
{
	int pipefd[2], status;
	size_t got = 0;
	pid_t pid;

	T_ASSERT_EQ_INT(pipe(pipefd), 0);
	fflush(stdout);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		setenv("SHIM_SCENARIO", name, 1);
		if (env_extra)
			putenv((char *)env_extra);
		shim_test_exec_self();
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], err + got, errlen - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == errlen - 1)
			break;
	}
	err[got] = '\0';
	close(pipefd[0]);
	T_ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	return status;
}

/**
 * SHIM_SCENARIOS() - define the table of scenarios a re-executed binary
 * runs (from a constructor, before the tests register), as {name, fn}.
 */
#define SHIM_SCENARIOS(...)                                                    \
	static const struct { const char *name; void (*fn)(void); }            \
		shim_scenarios[] = { __VA_ARGS__, { NULL, NULL } };             \
	__attribute__((constructor)) static void shim_run_scenario(void)       \
	{                                                                      \
		const char *n = getenv("SHIM_SCENARIO");                       \
		if (!n)                                                        \
			return;                                                \
		unsetenv("SHIM_SCENARIO");                                     \
		for (unsigned int i = 0; shim_scenarios[i].name; i++) {        \
			if (!strcmp(shim_scenarios[i].name, n)) {              \
				shim_scenarios[i].fn();                        \
				exit(0);                                       \
			}                                                      \
		}                                                              \
		exit(126);                                                     \
	}

#endif
