// SPDX-License-Identifier: MIT
/*
 * What is not the device is untouched: real files, /dev/null, the
 * /proc/self/fd link of an ordinary fd, relative and dirfd-relative paths,
 * anonymous mappings, ordinary ioctls; and bad path or buffer pointers give
 * EFAULT on the fake paths as the kernel does on real ones.
 */
#include <dirent.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <drm.h>

#include "shim_test.h"

T_TEST(real_files, "shim/passthrough/real-file")
{
	char dir[] = "/tmp/pantomime-pass-XXXXXX", path[PATH_MAX], link[64], buf[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd, dfd;

	shim_test_require_preload();
	T_ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	T_ASSERT(fd >= 0);
	T_ASSERT_EQ_INT(write(fd, "hello", 5), 5);
	T_ASSERT_EQ_INT(fstat(fd, &st), 0);
	T_ASSERT(S_ISREG(st.st_mode));
	T_ASSERT_EQ_INT(st.st_size, 5);
	/* Its /proc/self/fd link is the real path. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	T_ASSERT_GT_INT(n, 0);
	buf[n] = '\0';
	T_ASSERT_EQ_STR(buf, path);
	/* dup/close of ordinary fds. */
	int d = dup(fd);

	T_ASSERT(d >= 0);
	T_ASSERT_EQ_INT(close(d), 0);
	/* Ioctls the kernel answers. */
	int avail = -1;

	T_ASSERT_EQ_INT(lseek(fd, 1, SEEK_SET), 1);
	T_ASSERT_EQ_INT(ioctl(fd, FIONREAD, &avail), 0);
	T_ASSERT_EQ_INT(avail, 4);
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, &avail), -1);
	if (!shim_test_emulated())
		T_ASSERT_EQ_INT(errno, ENOTTY);
	T_ASSERT_EQ_INT(close(fd), 0);

	/* openat relative to a directory fd, fstatat, realpath. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	T_ASSERT(dfd >= 0);
	fd = openat(dfd, "file", O_RDONLY);
	T_ASSERT(fd >= 0);
	T_ASSERT_EQ_INT(read(fd, buf, 5), 5);
	T_ASSERT(!memcmp(buf, "hello", 5));
	close(fd);
	T_ASSERT_EQ_INT(fstatat(dfd, "file", &st, 0), 0);
	T_ASSERT_EQ_INT(st.st_size, 5);
	T_ASSERT_EQ_INT(faccessat(dfd, "file", R_OK, 0), 0);
	T_ASSERT_NOT_NULL(realpath(path, buf));
	T_ASSERT_EQ_STR(buf, path);
	close(dfd);
	T_ASSERT_EQ_INT(stat("/tmp/pantomime-pass-does-not-exist", &st), -1);
	T_ASSERT_EQ_INT(errno, ENOENT);
	unlink(path);
	rmdir(dir);
}

T_TEST(dev_null, "shim/passthrough/dev-null")
{
	struct drm_version v;
	struct stat st;
	int fd;

	shim_test_require_preload();
	T_ASSERT_EQ_INT(stat("/dev/null", &st), 0);
	T_ASSERT(S_ISCHR(st.st_mode));
	T_ASSERT_EQ_INT(major(st.st_rdev), 1);
	T_ASSERT_EQ_INT(minor(st.st_rdev), 3);
	fd = open("/dev/null", O_RDWR);
	T_ASSERT(fd >= 0);
	/* A DRM request on a non-DRM fd is the kernel's business: ENOTTY. */
	memset(&v, 0, sizeof(v));
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, &v), -1);
	T_ASSERT_EQ_INT(errno, ENOTTY);
	/* mmap of /dev/null: the kernel's answer too. */
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);

	T_ASSERT(p == MAP_FAILED);
	T_ASSERT_EQ_INT(errno, ENODEV);
	close(fd);
}

T_TEST(anon_maps, "shim/passthrough/anonymous-mappings")
{
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	shim_test_require_preload();
	T_ASSERT(p != MAP_FAILED);
	memset(p, 1, 3 * 4096);
	T_ASSERT_EQ_INT(munmap(p + 4096, 4096), 0);
	T_ASSERT_EQ_INT(munmap(p, 3 * 4096), 0);
	T_ASSERT_EQ_INT(munmap((void *)1, 4096), -1);
	T_ASSERT_EQ_INT(errno, EINVAL);
}

T_TEST(listing_other_dirs, "shim/passthrough/other-directories")
{
	struct dirent *e;
	int dots = 0;
	DIR *d;

	shim_test_require_preload();
	if (shim_test_emulated())
		t_skip("qemu-user lists its sysroot for /");
	d = opendir("/");
	T_ASSERT_NOT_NULL(d);
	while ((e = readdir(d)))
		dots += !strcmp(e->d_name, "tmp") || !strcmp(e->d_name, "proc");
	closedir(d);
	T_ASSERT_EQ_INT(dots, 2);
	/* The sysfs of other devices is the real one. */
	struct stat st;

	if (stat("/sys/dev/char/1:3", &st) == 0)
		T_ASSERT(S_ISDIR(st.st_mode));
}

/*
 * Hidden from the compiler's and UBSan's nonnull checks (which judge the
 * caller): the calls go through pointers to functions without the attribute.
 */
static const char *volatile null_path;
static struct stat *volatile null_stat;
static int (*volatile open_p)(const char *, int, ...) = open;
static int (*volatile stat_p)(const char *, struct stat *) = stat;
static int (*volatile access_p)(const char *, int) = access;

T_TEST(bad_pointers, "shim/passthrough/efault-on-bad-path-and-buffer-pointers")
{
	char *ro;

	shim_test_require_preload();
	T_ASSERT_EQ_INT(open_p(null_path, O_RDONLY), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	T_ASSERT_EQ_INT(open((const char *)(uintptr_t)0xdead0000ull, O_RDONLY), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	T_ASSERT_EQ_INT(stat_p((const char *)16, null_stat), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	T_ASSERT_EQ_INT(access_p(null_path, F_OK), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	/* Synthesised results into a bad buffer. */
	T_ASSERT_EQ_INT(stat("/dev/dri/card0", (struct stat *)16), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(ro != MAP_FAILED);
	T_ASSERT_EQ_INT(stat("/dev/dri/card0", (struct stat *)ro), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	int fd = shim_test_open("/dev/dri/card0");
	char link[64];

	T_ASSERT_EQ_INT(fstat(fd, (struct stat *)ro), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	T_ASSERT_EQ_INT(readlink(link, ro, 64), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	close(fd);
	munmap(ro, 4096);
	/* A path longer than PATH_MAX. */
	char *longp = malloc(PATH_MAX + 16);

	T_ASSERT_NOT_NULL(longp);
	memset(longp, 'a', PATH_MAX + 15);
	longp[0] = '/';
	longp[PATH_MAX + 15] = '\0';
	T_ASSERT_EQ_INT(open(longp, O_RDONLY), -1);
	T_ASSERT_EQ_INT(errno, ENAMETOOLONG);
	free(longp);
}
