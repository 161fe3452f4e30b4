// SPDX-License-Identifier: MIT
/*
 * Device fd lifetimes: dup/dup2/dup3/fcntl(F_DUPFD*) share one file that
 * is closed at the last close (counted by the mock), close_range, O_CLOEXEC,
 * a close the shim did not see, the fork rule, and the exit report.
 */
#include <linux/close_range.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <drm.h>

#include "shim_test.h"

/* Files the mock has closed, counting the probe this asks through. */
static unsigned int closed_now(void)
{
	int fd = shim_test_open("/dev/dri/card0");
	struct pantomime_mock_info mi = shim_test_info(fd);

	close(fd);
	return mi.files_closed + 1;
}

static bool is_device(int fd)
{
	struct pantomime_mock_info mi;

	memset(&mi, 0, sizeof(mi));
	return ioctl(fd, DRM_IOCTL_PANTOMIME_MOCK_INFO, &mi) == 0;
}

T_TEST(dup_family, "shim/fds/dup-dup2-dup3-fcntl-share-one-file")
{
	int fd, d1, d2, d3, d4, d5, target;
	unsigned int base;

	shim_test_require_preload();
	base = closed_now();
	fd = shim_test_open("/dev/dri/card0");
	d1 = dup(fd);
	target = open("/dev/null", O_RDONLY);
	T_ASSERT(d1 >= 0 && target >= 0);
	d2 = dup2(fd, target);			/* onto a plain fd: replaces it */
	T_ASSERT_EQ_INT(d2, target);
	d3 = dup3(fd, 100, O_CLOEXEC);
	T_ASSERT_EQ_INT(d3, 100);
	T_ASSERT_EQ_INT(fcntl(d3, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	d4 = fcntl(fd, F_DUPFD, 200);
	T_ASSERT_GE_INT(d4, 200);
	d5 = fcntl(fd, F_DUPFD_CLOEXEC, 300);
	T_ASSERT_GE_INT(d5, 300);
	T_ASSERT_EQ_INT(fcntl(d5, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	T_ASSERT_EQ_INT(fcntl(d1, F_GETFD) & FD_CLOEXEC, 0);

	int all[] = { fd, d1, d2, d3, d4, d5 };

	for (unsigned int i = 0; i < 6; i++) {
		T_ASSERT_MSG(is_device(all[i]), "fd %d is not the device", all[i]);
		T_ASSERT_EQ_INT(shim_test_info(all[i]).render, 0);
	}
	/* Every close but the last leaves the file open. */
	for (unsigned int i = 0; i < 5; i++) {
		T_ASSERT_EQ_INT(close(all[i]), 0);
		T_ASSERT_EQ_INT(closed_now(), base + i + 1);
		T_ASSERT(!is_device(all[i]));
	}
	T_ASSERT_EQ_INT(close(d5), 0);
	T_ASSERT_EQ_INT(closed_now(), base + 5 + 1 + 1);
	T_ASSERT_EQ_INT(close(d5), -1);
	T_ASSERT_EQ_INT(errno, EBADF);
}

T_TEST(dup2_onto_device, "shim/fds/dup2-onto-device-closes-it")
{
	int a, b, plain;
	unsigned int base;

	shim_test_require_preload();
	base = closed_now();
	a = shim_test_open("/dev/dri/card0");
	b = shim_test_open("/dev/dri/renderD128");
	/* dup2 of a device onto another device: b's file is closed, b now is a's. */
	T_ASSERT_EQ_INT(dup2(a, b), b);
	T_ASSERT_EQ_INT(closed_now(), base + 1 + 1);
	T_ASSERT_EQ_INT(shim_test_info(b).render, 0);
	/* dup2 of a plain fd onto a device: that reference goes. */
	plain = open("/dev/null", O_RDONLY);
	T_ASSERT_EQ_INT(dup2(plain, a), a);
	T_ASSERT(!is_device(a));
	T_ASSERT(is_device(b));
	/* dup2(fd, fd) changes nothing. */
	T_ASSERT_EQ_INT(dup2(b, b), b);
	T_ASSERT(is_device(b));
	T_ASSERT_EQ_INT(dup3(b, b, 0), -1);
	T_ASSERT_EQ_INT(errno, EINVAL);
	close(plain);
	close(a);
	close(b);
	/* b's file, a's file, and one probe after each. */
	T_ASSERT_EQ_INT(closed_now(), base + 4);
}

T_TEST(close_range_test, "shim/fds/close-range")
{
	int fds[4];
	unsigned int base;

	shim_test_require_preload();
	base = closed_now();
	for (int i = 0; i < 4; i++) {
		int fd = shim_test_open("/dev/dri/card0");

		fds[i] = dup2(fd, 400 + i);
		T_ASSERT_EQ_INT(fds[i], 400 + i);
		close(fd);	/* only 400 + i holds the file now */
	}
	T_ASSERT_EQ_INT(close_range(400, 401, CLOSE_RANGE_CLOEXEC), 0);
	T_ASSERT(is_device(400));
	T_ASSERT_EQ_INT(fcntl(400, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	T_ASSERT_EQ_INT(close_range(400, 402, 0), 0);
	T_ASSERT(!is_device(400) && !is_device(402) && is_device(403));
	T_ASSERT_EQ_INT(closed_now(), base + 3 + 1);
	closefrom(403);
	T_ASSERT(!is_device(403));
	T_ASSERT_EQ_INT(fcntl(403, F_GETFD), -1);
	T_ASSERT_EQ_INT(closed_now(), base + 3 + 1 + 1 + 1);
}

T_TEST(missed_close, "shim/fds/close-behind-the-shims-back")
{
	int fd, again;
	uint64_t before;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/card0");
	before = shim_test_info(fd).ioctls;
	/* A raw close the shim cannot see ... */
	T_ASSERT_EQ_INT(syscall(SYS_close, fd), 0);
	/* ... and the number comes back as an ordinary file. */
	again = open("/dev/null", O_RDWR);
	T_ASSERT_EQ_INT(again, fd);
	T_ASSERT_EQ_INT(ioctl(again, DRM_IOCTL_VERSION, NULL), -1);
	if (!shim_test_emulated())
		T_ASSERT_EQ_INT(errno, ENOTTY);	/* the kernel's answer, not the mock's */
	close(again);

	int probe = shim_test_open("/dev/dri/card0");

	T_ASSERT_EQ_INT(shim_test_info(probe).ioctls, before + 1);
	close(probe);
}

static void *hold_open_ioctls(void *arg)
{
	int fd = (int)(intptr_t)arg;
	long ok = 0;

	for (int i = 0; i < 20000; i++) {
		struct drm_get_cap cap = { .capability = DRM_CAP_SYNCOBJ };

		if (ioctl(fd, DRM_IOCTL_GET_CAP, &cap) == 0 && cap.value == 1)
			ok++;
		else if (errno != EBADF && errno != ENOTTY && !shim_test_emulated())
			return (void *)-1;
	}
	return (void *)ok;
}

/* Closing while another thread is inside an ioctl must not free the file under it. */
T_TEST(close_races_ioctl, "shim/fds/close-while-ioctl-in-flight")
{
	pthread_t th[2];
	void *res;

	shim_test_require_preload();
	for (int round = 0; round < 20; round++) {
		int fd = shim_test_open("/dev/dri/card0");

		for (int i = 0; i < 2; i++)
			T_ASSERT_EQ_INT(pthread_create(&th[i], NULL, hold_open_ioctls,
						       (void *)(intptr_t)fd), 0);
		usleep(200);
		close(fd);
		for (int i = 0; i < 2; i++) {
			pthread_join(th[i], &res);
			T_ASSERT_MSG(res != (void *)-1, "unexpected errno in round %d", round);
		}
	}
	struct pantomime_mock_info mi;
	int probe = shim_test_open("/dev/dri/card0");

	mi = shim_test_info(probe);
	close(probe);
	T_ASSERT_EQ_INT(mi.files_opened, mi.files_closed + 1);
}

/* ---- fork ---------------------------------------------------------------- */

T_TEST(fork_rule, "shim/fds/forked-child-gets-a-clear-error")
{
	int pipefd[2], status, fd;
	char err[512] = "";
	pid_t pid;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/card0");
	T_ASSERT_EQ_INT(pipe(pipefd), 0);
	fflush(stdout);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		struct drm_version v;
		int code = 0;

		dup2(pipefd[1], 2);
		memset(&v, 0, sizeof(v));
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) != -1 || errno != EIO)
			code |= 1;
		if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 1ull << 32) != MAP_FAILED ||
		    errno != EIO)
			code |= 2;
		if (open("/dev/dri/renderD128", O_RDWR) != -1 || errno != EIO)
			code |= 4;
		struct stat st;

		if (fstat(fd, &st) || !S_ISCHR(st.st_mode))
			code |= 8;	/* the fd itself is still valid */
		if (close(fd))
			code |= 16;
		_exit(code);
	}
	close(pipefd[1]);
	ssize_t n = read(pipefd[0], err, sizeof(err) - 1);

	if (n > 0)
		err[n] = '\0';
	close(pipefd[0]);
	T_ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	T_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	/* One message, however many calls failed. */
	T_ASSERT_EQ_STR(err, "pantomime: the device cannot be shared with a forked child; "
			"exec first\n");
	/* The parent's device is untouched (the child's close did not close it). */
	T_ASSERT(is_device(fd));
	close(fd);
}

/* ---- exit report ---------------------------------------------------------- */

static void scenario_violations(void)
{
	int fd = open("/dev/dri/card0", O_RDWR);
	struct pantomime_mock_info mi;

	memset(&mi, 0, sizeof(mi));
	mi.add_violations = 2;
	if (fd < 0 || ioctl(fd, DRM_IOCTL_PANTOMIME_MOCK_INFO, &mi))
		exit(50);
	/* Left open on purpose: the report counts it. */
}

static void scenario_clean(void)
{
	int fd = open("/dev/dri/card0", O_RDWR);

	if (fd < 0)
		exit(50);
	close(fd);
}

static void scenario_bad_env(void)
{
	if (open("/dev/dri/card0", O_RDWR) != -1 || errno != EINVAL)
		exit(51);
	if (open("/dev/dri/renderD128", O_RDWR) != -1 || errno != EINVAL)
		exit(52);
}

SHIM_SCENARIOS(
	{ "violations", scenario_violations },
	{ "clean", scenario_clean },
	{ "bad-env", scenario_bad_env })

T_TEST(exit_report, "shim/fds/exit-report")
{
	char err[4096];
	int st;

	shim_test_require_preload();
	/* Nothing to say: nothing said. */
	st = shim_test_run_self("clean", NULL, err, sizeof(err));
	T_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	T_ASSERT_EQ_STR(err, "");

	/* Asked for: statistics and checker views, exit status untouched. */
	st = shim_test_run_self("clean", "PANTOMIME_REPORT=1", err, sizeof(err));
	T_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	T_ASSERT_MSG(strstr(err, "pantomime: report at exit"), "stderr: %s", err);
	T_ASSERT_MSG(strstr(err, "mock stats: files opened 1 closed 1"), "stderr: %s", err);
	T_ASSERT(!strstr(err, "protocol violations"));

	/* Violations: always reported, with the closing line. */
	st = shim_test_run_self("violations", NULL, err, sizeof(err));
	T_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	T_ASSERT_MSG(strstr(err, "mock checker: violation 2"), "stderr: %s", err);
	T_ASSERT_MSG(strstr(err, "1 device fds open at exit"), "stderr: %s", err);
	T_ASSERT_MSG(strstr(err, "pantomime: 2 protocol violations \xe2\x80\x94 see above\n"),
		     "stderr: %s", err);

	/* PANTOMIME_STRICT=1 turns them into exit status 3. */
	st = shim_test_run_self("violations", "PANTOMIME_STRICT=1", err, sizeof(err));
	T_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status 0x%x", st);

	/* A bad configuration fails every open with EINVAL, after naming the variable. */
	st = shim_test_run_self("bad-env", "PANTOMIME_MEMORY=lots", err, sizeof(err));
	T_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x, stderr %s", st, err);
	T_ASSERT_MSG(strstr(err, "PANTOMIME_MEMORY=lots"), "stderr: %s", err);
}
