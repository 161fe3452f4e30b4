// SPDX-License-Identifier: MIT
/*
 * Finding the device the way clients do: IGT's primary-node scan (stat +
 * open card0..15 + DRM_IOCTL_VERSION name check + fstat + readlink of
 * /proc/self/fd/N at close), the stat family on the nodes, access(), the
 * /dev/dri listing, and the sysfs files libdrm reads.
 */
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <drm.h>

#include "shim_test.h"

static void assert_node_stat(const struct stat *st, unsigned int minor)
{
	T_ASSERT(S_ISCHR(st->st_mode));
	T_ASSERT_EQ_INT(major(st->st_rdev), 226);
	T_ASSERT_EQ_INT(minor(st->st_rdev), minor);
	T_ASSERT_EQ_INT(st->st_mode & 0666, 0666);
}

/* IGT's drm_open_driver(DRIVER_PANTHOR) without --device (reference §1.2). */
T_TEST(igt_scan, "shim/discovery/igt-primary-node-scan")
{
	int found = -1, fd = -1;

	shim_test_require_preload();
	for (int i = 0; i < 16 && found < 0; i++) {
		char path[32], name[16];
		struct drm_version v;
		struct stat st;
		int cfd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		if (stat(path, &st))
			continue;
		cfd = open(path, O_RDWR);
		if (cfd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (ioctl(cfd, DRM_IOCTL_VERSION, &v) == 0 && !strcmp(name, "panthor")) {
			found = i;
			fd = cfd;
		} else {
			close(cfd);
		}
	}
	T_ASSERT_EQ_INT(found, 0);

	struct stat st;

	T_ASSERT_EQ_INT(fstat(fd, &st), 0);
	assert_node_stat(&st, 0);

	/* drm_close_driver(): only closes what /proc/self/fd/N says is a DRM node. */
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	T_ASSERT_EQ_INT(n, (long long)strlen("/dev/dri/card0"));
	target[n] = '\0';
	T_ASSERT_EQ_STR(target, "/dev/dri/card0");
	/* Short buffers are truncated without a NUL, as readlink(2) does. */
	memset(target, 'x', sizeof(target));
	T_ASSERT_EQ_INT(readlink(link, target, 4), 4);
	T_ASSERT(!memcmp(target, "/dev", 4) && target[4] == 'x');
	/* The other spellings of the same link. */
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)getpid(), fd);
	n = readlink(link, target, sizeof(target) - 1);
	T_ASSERT_EQ_INT(n, 14);
	snprintf(link, sizeof(link), "/proc/thread-self/fd/%d", fd);
	n = readlinkat(AT_FDCWD, link, target, sizeof(target) - 1);
	T_ASSERT_EQ_INT(n, 14);
	T_ASSERT_NOT_NULL(realpath(link, target));
	T_ASSERT_EQ_STR(target, "/dev/dri/card0");
	/* stat follows the link to the node; lstat sees the link. */
	T_ASSERT_EQ_INT(stat(link, &st), 0);
	assert_node_stat(&st, 0);
	T_ASSERT_EQ_INT(lstat(link, &st), 0);
	T_ASSERT(S_ISLNK(st.st_mode));
	T_ASSERT_EQ_INT(close(fd), 0);
	/* Once closed, the number is nothing of ours. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	T_ASSERT_EQ_INT(readlink(link, target, sizeof(target)), -1);
	T_ASSERT_EQ_INT(errno, ENOENT);
}

T_TEST(stat_family, "shim/discovery/stat-family-on-nodes")
{
	struct stat st;
	struct stat64 st64;
	struct statx stx;
	int fd;

	shim_test_require_preload();
	T_ASSERT_EQ_INT(stat("/dev/dri/card0", &st), 0);
	assert_node_stat(&st, 0);
	T_ASSERT_EQ_INT(stat64("/dev/dri/renderD128", &st64), 0);
	assert_node_stat((struct stat *)&st64, 128);
	T_ASSERT_EQ_INT(lstat("/dev/dri/renderD128", &st), 0);
	assert_node_stat(&st, 128);
	T_ASSERT_EQ_INT(fstatat(AT_FDCWD, "/dev/dri/card0", &st, 0), 0);
	assert_node_stat(&st, 0);
	T_ASSERT_EQ_INT(statx(AT_FDCWD, "/dev/dri/renderD128", 0, STATX_BASIC_STATS, &stx), 0);
	T_ASSERT(S_ISCHR(stx.stx_mode));
	T_ASSERT_EQ_INT(stx.stx_rdev_major, 226);
	T_ASSERT_EQ_INT(stx.stx_rdev_minor, 128);

	fd = shim_test_open("/dev/dri/renderD128");
	T_ASSERT_EQ_INT(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
	assert_node_stat(&st, 128);
	T_ASSERT_EQ_INT(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx), 0);
	T_ASSERT_EQ_INT(stx.stx_rdev_minor, 128);
	T_ASSERT_EQ_INT(fstat64(fd, &st64), 0);
	assert_node_stat((struct stat *)&st64, 128);
	/* The node opened is the node reported, and reaches the backend. */
	T_ASSERT_EQ_INT(shim_test_info(fd).render, 1);
	close(fd);

	/* Nodes we do not fake are the machine's business. */
	errno = 0;
	if (stat("/dev/dri/card7", &st))
		T_ASSERT_EQ_INT(errno, ENOENT);
}

T_TEST(access_and_open_flags, "shim/discovery/access-and-open-flags")
{
	shim_test_require_preload();
	T_ASSERT_EQ_INT(access("/dev/dri/card0", F_OK), 0);
	T_ASSERT_EQ_INT(access("/dev/dri/card0", R_OK | W_OK), 0);
	T_ASSERT_EQ_INT(faccessat(AT_FDCWD, "/dev/dri/renderD128", R_OK | W_OK, 0), 0);
	T_ASSERT_EQ_INT(access("/dev/dri/renderD128", X_OK), -1);
	T_ASSERT_EQ_INT(errno, EACCES);
	T_ASSERT_EQ_INT(open("/dev/dri/card0", O_RDONLY | O_DIRECTORY), -1);
	T_ASSERT_EQ_INT(errno, ENOTDIR);
	T_ASSERT_EQ_INT(open("/dev/dri/card0", O_RDWR | O_CREAT | O_EXCL, 0600), -1);
	T_ASSERT_EQ_INT(errno, EEXIST);
	/* readlink of the node itself: not a link. */
	char buf[16];

	T_ASSERT_EQ_INT(readlink("/dev/dri/card0", buf, sizeof(buf)), -1);
	T_ASSERT_EQ_INT(errno, EINVAL);
	char *rp = realpath("/dev/dri/renderD128", NULL);

	T_ASSERT_EQ_STR(rp, "/dev/dri/renderD128");
	free(rp);
}

T_TEST(dev_dri_listing, "shim/discovery/dev-dri-listing")
{
	int card0 = 0, render = 0, total = 0;
	struct dirent *e;
	DIR *d;

	shim_test_require_preload();
	d = opendir("/dev/dri");
	T_ASSERT_NOT_NULL(d);
	for (int pass = 0; pass < 2; pass++) {
		while ((e = readdir(d))) {
			total++;
			if (!strcmp(e->d_name, "card0")) {
				card0++;
				T_ASSERT_EQ_INT(e->d_type, DT_CHR);
			}
			if (!strcmp(e->d_name, "renderD128")) {
				render++;
				T_ASSERT_EQ_INT(e->d_type, DT_CHR);
			}
		}
		/* Once each per pass, even where the machine has its own card0. */
		T_ASSERT_EQ_INT(card0, pass + 1);
		T_ASSERT_EQ_INT(render, pass + 1);
		rewinddir(d);
	}
	T_ASSERT_EQ_INT(closedir(d), 0);
	T_ASSERT_GE_INT(total, 4);

	/* stat of /dev/dri works whether or not the machine has one. */
	struct stat st;

	T_ASSERT_EQ_INT(stat("/dev/dri", &st), 0);
	T_ASSERT(S_ISDIR(st.st_mode));
}

static bool file_has_line(const char *path, const char *line)
{
	char *buf = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (getline(&buf, &cap, f) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (!strcmp(buf, line))
			found = true;
	}
	free(buf);
	fclose(f);
	return found;
}

/* The files drmGetDevices2 reads for a platform device (reference §2.3). */
T_TEST(sysfs, "shim/discovery/sysfs-tree")
{
	const char *dev = "/sys/dev/char/226:0/device";
	char path[256], buf[PATH_MAX];
	struct stat st;
	ssize_t n;

	shim_test_require_preload();
	T_ASSERT_EQ_INT(stat("/sys/dev/char/226:0/device/drm", &st), 0);
	T_ASSERT_EQ_INT(stat("/sys/dev/char/226:128/device/drm", &st), 0);
	snprintf(path, sizeof(path), "%s/uevent", dev);
	T_ASSERT(file_has_line(path, "DRIVER=panthor"));
	T_ASSERT(file_has_line(path, "OF_COMPATIBLE_0=arm,mali-valhall-csf"));
	T_ASSERT(file_has_line(path, "OF_COMPATIBLE_N=1"));
	T_ASSERT(file_has_line(path, "OF_FULLNAME=/gpu@fb000000"));
	T_ASSERT(file_has_line("/sys/dev/char/226:128/uevent", "DEVNAME=dri/renderD128"));
	T_ASSERT(file_has_line("/sys/dev/char/226:0/dev", "226:0"));

	/* Subsystem by readlink (newer libdrm) and by realpath (2.4.114). */
	snprintf(path, sizeof(path), "%s/subsystem", dev);
	n = readlink(path, buf, sizeof(buf) - 1);
	T_ASSERT_GT_INT(n, 0);
	buf[n] = '\0';
	T_ASSERT_EQ_STR(strrchr(buf, '/'), "/platform");
	T_ASSERT_NOT_NULL(realpath(path, buf));
	T_ASSERT_EQ_STR(buf, "/sys/bus/platform");
	T_ASSERT_NOT_NULL(realpath(dev, buf));
	T_ASSERT_EQ_STR(buf, "/sys/devices/platform/fb000000.gpu");
	/* ... and the resolved path works in turn. */
	T_ASSERT(file_has_line("/sys/devices/platform/fb000000.gpu/uevent", "DRIVER=panthor"));

	/* drmGetDeviceNameFromFd2 lists device/drm. */
	DIR *d = opendir("/sys/dev/char/226:0/device/drm");
	struct dirent *e;
	int nodes = 0;

	T_ASSERT_NOT_NULL(d);
	while ((e = readdir(d)))
		nodes += !strcmp(e->d_name, "card0") || !strcmp(e->d_name, "renderD128");
	closedir(d);
	T_ASSERT_EQ_INT(nodes, 2);

	/* An open() of a sysfs file is redirected too (not only fopen()). */
	int fd = open("/sys/class/drm/renderD128/dev", O_RDONLY);

	T_ASSERT(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	T_ASSERT_EQ_INT(n, 8);
	T_ASSERT(!memcmp(buf, "226:128\n", 8));
}
