// SPDX-License-Identifier: MIT
/*
 * Built with -D_FORTIFY_SOURCE=2 -O2: with flags unknown at compile time,
 * open/openat compile to __open64_2/__openat64_2, readlink and realpath
 * into fixed arrays to __readlink_chk/__realpath_chk. They must reach the
 * device like the plain forms.
 */
#include <limits.h>

#include <drm.h>

#include "shim_test.h"

/* Opaque to the compiler, so the fortified entry points are used. */
static volatile int rdwr = O_RDWR;
static volatile size_t target_size = 32;

T_TEST(fortified_open, "shim/fortify/open-openat-readlink-realpath")
{
	char link[64], target[32], resolved[PATH_MAX];
	struct drm_version v;
	int fd, fd2;

	shim_test_require_preload();
#if !defined(__OPTIMIZE__) || !defined(_FORTIFY_SOURCE) || _FORTIFY_SOURCE < 2
	t_skip("not built with _FORTIFY_SOURCE=2 and optimisation");
#endif
	fd = open("/dev/dri/card0", rdwr);
	T_ASSERT(fd >= 0);
	fd2 = openat(AT_FDCWD, "/dev/dri/renderD128", rdwr);
	T_ASSERT(fd2 >= 0);
	memset(&v, 0, sizeof(v));
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, &v), 0);
	T_ASSERT_EQ_INT(v.name_len, 7);
	T_ASSERT_EQ_INT(shim_test_info(fd2).render, 1);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd2);
	ssize_t n = readlink(link, target, target_size);

	T_ASSERT_EQ_INT(n, 19);
	T_ASSERT(!memcmp(target, "/dev/dri/renderD128", 19));
	T_ASSERT_NOT_NULL(realpath(link, resolved));
	T_ASSERT_EQ_STR(resolved, "/dev/dri/renderD128");
	/* A fortified open of an ordinary file passes through. */
	int nfd = open("/dev/null", rdwr);

	T_ASSERT(nfd >= 0);
	T_ASSERT_EQ_INT(ioctl(nfd, DRM_IOCTL_VERSION, &v), -1);
	T_ASSERT_EQ_INT(errno, ENOTTY);
	close(nfd);
	close(fd2);
	close(fd);
}
