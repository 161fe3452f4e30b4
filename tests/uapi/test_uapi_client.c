// SPDX-License-Identifier: MIT
/*
 * A black-box client of the panthor uAPI, built twice from this one file:
 *
 *   test-uapi-client-api   UAPI_INPROCESS: the device is a pantomime_device
 *                          and every call goes through pantomime_ioctl()
 *                          and pantomime_mmap() (fds are table indexes);
 *   test-uapi-client-shim  open()/ioctl()/mmap() on /dev/dri under
 *                          LD_PRELOAD=libpantomime-shim.so, nothing else.
 *
 * The cases only use the client layer below (cl_*), so both builds check
 * the same behaviour: what a program written for a real panthor device
 * sees. Errors are compared as negative errnos; through the shim the
 * layer also checks the POSIX convention (-1 and errno) first.
 */
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>

#include "uapi/drm/panthor_drm.h"
#include "t_harness.h"

#ifdef UAPI_INPROCESS
#include "dma/sync_file.h"
#include "pantomime/pantomime.h"
#else
#include <xf86drm.h>
#endif

#define WILD ((uint64_t)0xdead000000000ull)
#define MiB (1ull << 20)

/* ------------------------------------------------------------ client layer */

#ifdef UAPI_INPROCESS
#define CL_MAX_FILES 16
#define CL_FD_BASE 1000
static struct pantomime_device *cl_dev;
static struct pantomime_file *cl_files[CL_MAX_FILES];

static void cl_begin(void)
{
	struct pantomime_config cfg;

	pantomime_config_default(&cfg);
	cfg.memory_bytes = 128ull << 20;
	T_ASSERT_OK(pantomime_device_create(&cfg, &cl_dev));
}

static void cl_end(void)
{
	for (int i = 0; i < CL_MAX_FILES; i++) {
		pantomime_file_close(cl_files[i]);
		cl_files[i] = NULL;
	}
	/* Exported syncobj and sync-file fds the test closed. */
	sync_file_gc();
	pantomime_device_destroy(cl_dev);
	cl_dev = NULL;
}

static int cl_open(const char *path)
{
	bool render = strstr(path, "renderD") != NULL;

	for (int i = 0; i < CL_MAX_FILES; i++) {
		if (!cl_files[i]) {
			T_ASSERT_OK(pantomime_file_open(cl_dev, render, &cl_files[i]));
			return CL_FD_BASE + i;
		}
	}
	t_fail(__FILE__, __LINE__, "too many files");
	return -1;
}

static struct pantomime_file *cl_file(int fd)
{
	if (fd < CL_FD_BASE || fd >= CL_FD_BASE + CL_MAX_FILES)
		return NULL;
	return cl_files[fd - CL_FD_BASE];
}

static void cl_close(int fd)
{
	T_ASSERT_NOT_NULL(cl_file(fd));
	pantomime_file_close(cl_file(fd));
	cl_files[fd - CL_FD_BASE] = NULL;
}

static int cl_ioctl(int fd, unsigned long req, void *arg)
{
	struct pantomime_file *f = cl_file(fd);

	return f ? pantomime_ioctl(f, req, arg) : -EBADF;
}

static void *cl_mmap(size_t len, int prot, int flags, int fd, uint64_t off, int *err)
{
	void *p = NULL;

	*err = pantomime_mmap(cl_file(fd), NULL, len, prot, flags, off, &p);
	return *err ? MAP_FAILED : p;
}

static int cl_munmap(void *p, size_t len)
{
	return pantomime_munmap(p, len);
}
#else
static void cl_begin(void)
{
	const char *pre = getenv("LD_PRELOAD");

	if (!pre || !strstr(pre, "libpantomime-shim.so"))
		t_skip("needs LD_PRELOAD=libpantomime-shim.so (meson test sets it)");
}

static void cl_end(void)
{
}

static int cl_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	T_ASSERT_GE_INT(fd, 0);
	return fd;
}

static void cl_close(int fd)
{
	T_ASSERT_EQ_INT(close(fd), 0);
}

/* ioctl() as a program calls it: -1 and errno, turned into -errno. */
static int cl_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	errno = 0;
	ret = ioctl(fd, req, arg);
	if (ret == 0)
		return 0;
	T_ASSERT_EQ_INT(ret, -1);
	T_ASSERT_NE_INT(errno, 0);
	return -errno;
}

static void *cl_mmap(size_t len, int prot, int flags, int fd, uint64_t off, int *err)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)off);

	*err = p == MAP_FAILED ? -errno : 0;
	return p;
}

static int cl_munmap(void *p, size_t len)
{
	return munmap(p, len) ? -errno : 0;
}
#endif

/* ---------------------------------------------------------------- helpers */

static uint32_t bo_create(int fd, uint64_t *size, uint32_t flags)
{
	struct drm_panthor_bo_create c = { .size = *size, .flags = flags };

	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c));
	T_ASSERT_NE_INT(c.handle, 0);
	*size = c.size;
	return c.handle;
}

static uint32_t vm_create(int fd)
{
	struct drm_panthor_vm_create c = { 0 };

	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &c));
	T_ASSERT_NE_INT(c.id, 0);
	return c.id;
}

static uint32_t syncobj_create(int fd, uint32_t flags)
{
	struct drm_syncobj_create c = { .flags = flags };

	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c));
	T_ASSERT_NE_INT(c.handle, 0);
	return c.handle;
}

static void *bo_map(int fd, uint32_t handle, uint64_t size)
{
	struct drm_panthor_bo_mmap_offset mo = { .handle = handle };
	void *p;
	int err;

	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	p = cl_mmap(size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, mo.offset, &err);
	T_ASSERT_OK(err);
	return p;
}

/* One synchronous VM_BIND op. Return: 0 or -errno. */
static int bind1(int fd, uint32_t vm, uint32_t flags, uint32_t bo, uint64_t bo_offset,
		 uint64_t va, uint64_t size)
{
	struct drm_panthor_vm_bind_op op = {
		.flags = flags, .bo_handle = bo, .bo_offset = bo_offset, .va = va, .size = size,
	};
	struct drm_panthor_vm_bind b = {
		.vm_id = vm,
		.ops = { .stride = sizeof(op), .count = 1, .array = (uintptr_t)&op },
	};

	return cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b);
}

static int vm_state(int fd, uint32_t vm)
{
	struct drm_panthor_vm_get_state gs = { .vm_id = vm };

	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_GET_STATE, &gs));
	return (int)gs.state;
}

static int syncobj_wait(int fd, uint32_t *handles, uint32_t n, uint32_t flags, int64_t abs,
			uint32_t *first)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)handles, .count_handles = n, .flags = flags,
		.timeout_nsec = abs,
	};
	int ret = cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);

	if (first)
		*first = w.first_signaled;
	return ret;
}

static int tl_wait(int fd, uint32_t handle, uint64_t point, uint32_t flags, int64_t abs)
{
	struct drm_syncobj_timeline_wait w = {
		.handles = (uintptr_t)&handle, .points = (uintptr_t)&point, .count_handles = 1,
		.flags = flags, .timeout_nsec = abs,
	};

	return cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
}

static uint64_t tl_query(int fd, uint32_t handle, uint32_t flags)
{
	uint64_t point = 0xbad;
	struct drm_syncobj_timeline_array a = {
		.handles = (uintptr_t)&handle, .points = (uintptr_t)&point, .count_handles = 1,
		.flags = flags,
	};

	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_QUERY, &a));
	return point;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ------------------------------------------------------------------ cases */

T_TEST(discovery, "uapi/client/discovery")
{
	char name[16], date[16], desc[64];
	int fd = -1, found = -1, rfd;

	cl_begin();
#ifdef UAPI_INPROCESS
	found = 0;
	fd = cl_open("/dev/dri/card0");
#else
	/* IGT's scan: stat, open, VERSION name "panthor", over card0..card15. */
	for (int i = 0; i < 16 && found < 0; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
		char path[32];
		struct stat st;
		int cfd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		if (stat(path, &st))
			continue;
		cfd = open(path, O_RDWR);
		if (cfd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (ioctl(cfd, DRM_IOCTL_VERSION, &v) == 0 && !strcmp(name, "panthor")) {
			found = i;
			fd = cfd;
		} else {
			close(cfd);
		}
	}
	{
		drmDevicePtr devs[16];
		drmVersionPtr ver;
		int n = drmGetDevices2(0, devs, 16), panthor = 0;

		T_ASSERT_GE_INT(n, 1);
		for (int i = 0; i < n; i++)
			if ((devs[i]->available_nodes & (1 << DRM_NODE_RENDER)) &&
			    !strcmp(devs[i]->nodes[DRM_NODE_RENDER], "/dev/dri/renderD128"))
				panthor++;
		drmFreeDevices(devs, n);
		T_ASSERT_EQ_INT(panthor, 1);
		ver = drmGetVersion(fd);
		T_ASSERT_NOT_NULL(ver);
		T_ASSERT_EQ_STR(ver->name, "panthor");
		T_ASSERT_EQ_INT(ver->version_minor, 9);
		drmFreeVersion(ver);
	}
#endif
	T_ASSERT_EQ_INT(found, 0);

	/* VERSION: lengths always written back, strings cut to the user's length. */
	{
		struct drm_version v = { 0 };

		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_VERSION, &v));
		T_ASSERT_EQ_INT(v.version_major, 1);
		T_ASSERT_EQ_INT(v.version_minor, 9);
		T_ASSERT_EQ_INT(v.name_len, 7);
		memset(name, 'x', sizeof(name));
		memset(date, 0, sizeof(date));
		memset(desc, 0, sizeof(desc));
		v.name = name;
		v.name_len = 3;
		v.date = date;
		v.date_len = sizeof(date);
		v.desc = desc;
		v.desc_len = sizeof(desc);
		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_VERSION, &v));
		T_ASSERT(!memcmp(name, "panx", 4));
		T_ASSERT_EQ_INT(v.name_len, 7);
		T_ASSERT_NE_INT(desc[0], 0);
		v.name = (char *)(uintptr_t)WILD;
		v.name_len = 7;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_VERSION, &v), EFAULT);
	}

	/* GET_CAP and SET_CLIENT_CAP as the DRM core answers for this driver. */
	{
		struct drm_get_cap cap = { .capability = DRM_CAP_SYNCOBJ_TIMELINE };
		struct drm_set_client_cap scc = { .capability = DRM_CLIENT_CAP_ATOMIC, .value = 1 };

		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_GET_CAP, &cap));
		T_ASSERT_EQ_U64(cap.value, 1);
		cap.capability = DRM_CAP_SYNCOBJ;
		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_GET_CAP, &cap));
		T_ASSERT_EQ_U64(cap.value, 1);
		cap.capability = DRM_CAP_PRIME;
		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_GET_CAP, &cap));
		T_ASSERT_EQ_U64(cap.value, DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT);
		cap.capability = DRM_CAP_DUMB_BUFFER;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_GET_CAP, &cap), EOPNOTSUPP);
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SET_CLIENT_CAP, &scc), EOPNOTSUPP);
		rfd = cl_open("/dev/dri/renderD128");
		T_ASSERT_ERRNO(cl_ioctl(rfd, DRM_IOCTL_SET_CLIENT_CAP, &scc), EACCES);
		cl_close(rfd);
	}

	/* drm_ioctl(): an unknown DRM number is -EINVAL, whatever its size. */
	{
		uint64_t junk[4] = { 0 };

		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOWR(DRM_COMMAND_BASE + 0x11, uint64_t[4]), junk),
			       EINVAL);
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOWR(0x3e, uint64_t[4]), junk), EINVAL);
	}
	cl_close(fd);
	cl_end();
}

T_TEST(request_size, "uapi/client/request-size-and-struct-copies")
{
	/* A VERSION struct of 256 bytes: larger than any kernel stack buffer. */
	struct {
		struct drm_version v;
		uint8_t tail[256 - sizeof(struct drm_version)];
	} big;
	struct drm_panthor_vm_get_state gs = { 0 };
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	memset(&big, 0, sizeof(big));
	memset(big.tail, 0x5a, sizeof(big.tail));
	T_ASSERT_OK(cl_ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE, 0x00, sizeof(big)),
			     &big));
	T_ASSERT_EQ_INT(big.v.version_minor, 9);
	T_ASSERT_EQ_INT(big.tail[0], 0x5a);	/* extra bytes round-trip untouched */
	T_ASSERT_EQ_INT(big.tail[sizeof(big.tail) - 1], 0x5a);

	/* The argument pointer itself: a wild one is -EFAULT, nothing written. */
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_GET_STATE, (void *)(uintptr_t)WILD),
		       EFAULT);
	gs.vm_id = vm_create(fd);
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_GET_STATE, &gs));
	cl_close(fd);
	cl_end();
}

T_TEST(dev_query, "uapi/client/dev-query-object-rules")
{
	struct drm_panthor_dev_query q = { 0 };
	struct drm_panthor_timestamp_info ts;
	struct drm_panthor_group_priorities_info pi;
	struct drm_panthor_mmu_info mi;
	uint8_t buf[256];
	static const struct { uint32_t type, ksize, min; } t[] = {
		{ DRM_PANTHOR_DEV_QUERY_GPU_INFO, sizeof(struct drm_panthor_gpu_info), 96 },
		{ DRM_PANTHOR_DEV_QUERY_CSIF_INFO, sizeof(struct drm_panthor_csif_info), 24 },
		{ DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO, sizeof(struct drm_panthor_timestamp_info), 16 },
		{ DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO,
		  sizeof(struct drm_panthor_group_priorities_info), 4 },
		{ DRM_PANTHOR_DEV_QUERY_MMU_INFO, sizeof(struct drm_panthor_mmu_info), 8 },
	};
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* NULL pointer: the kernel's size. */
		q.type = t[i].type;
		q.size = 0;
		q.pointer = 0;
		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
		T_ASSERT_EQ_INT(q.size, t[i].ksize);
		/* Below the minimum: -EINVAL. */
		memset(buf, 0, sizeof(buf));
		q.pointer = (uintptr_t)buf;
		q.size = t[i].min - 1;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EINVAL);
		/* The minimum: only that much is written. */
		memset(buf, 0xee, sizeof(buf));
		if (t[i].type == DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO)
			memset(buf, 0, 32);	/* flags 0 (an input since 1.8) */
		q.size = t[i].min;
		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
		T_ASSERT_EQ_INT(buf[t[i].min], t[i].type == DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO ?
				0 : 0xee);
		T_ASSERT_EQ_INT(buf[t[i].min + 1], 0xee * (t[i].type !=
						   DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO));
		/* Larger than the kernel's: the rest is zeroed. */
		memset(buf, 0, sizeof(buf));
		if (t[i].type != DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO)
			memset(buf, 0xee, sizeof(buf));
		q.size = sizeof(buf);
		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
		T_ASSERT_EQ_INT(buf[t[i].ksize], 0);
		T_ASSERT_EQ_INT(buf[sizeof(buf) - 1], 0);
		/* A wild pointer. */
		q.size = t[i].ksize;
		q.pointer = WILD;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EFAULT);
	}
	q.type = DRM_PANTHOR_DEV_QUERY_MMU_INFO + 1;
	q.pointer = 0;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EINVAL);

	q.type = DRM_PANTHOR_DEV_QUERY_MMU_INFO;
	q.size = sizeof(mi);
	q.pointer = (uintptr_t)&mi;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_EQ_U64(mi.page_size_bitmap, (1ull << 12) | (1ull << 21));
	q.type = DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO;
	q.size = sizeof(pi);
	q.pointer = (uintptr_t)&pi;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_EQ_INT(pi.allowed_mask & 3, 3);	/* LOW and MEDIUM for everyone */

	/* TIMESTAMP_INFO (1.8): flags in, fields not asked for are 0, flags out as given. */
	q.type = DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO;
	q.size = sizeof(ts);
	q.pointer = (uintptr_t)&ts;
	memset(&ts, 0, sizeof(ts));
	ts.cycle_count = 77;	/* an input field that is not an input: overwritten */
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_NE_U64(ts.timestamp_frequency, 0);
	T_ASSERT_NE_U64(ts.current_timestamp, 0);
	T_ASSERT_EQ_U64(ts.cycle_count, 0);
	T_ASSERT_EQ_U64(ts.cpu_timestamp_sec, 0);
	T_ASSERT_EQ_INT(ts.flags, 0);
	memset(&ts, 0, sizeof(ts));
	ts.flags = DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC | DRM_PANTHOR_TIMESTAMP_GPU_CYCLE_COUNT |
		   DRM_PANTHOR_TIMESTAMP_DURATION;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_EQ_INT(ts.flags, DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC |
			DRM_PANTHOR_TIMESTAMP_GPU_CYCLE_COUNT | DRM_PANTHOR_TIMESTAMP_DURATION);
	T_ASSERT_EQ_U64(ts.timestamp_frequency, 0);
	T_ASSERT_EQ_U64(ts.current_timestamp, 0);
	T_ASSERT_NE_U64(ts.cpu_timestamp_sec * 1000000000ull + ts.cpu_timestamp_nsec, 0);
	{
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		T_ASSERT_LE_U64(ts.cpu_timestamp_sec, (uint64_t)now.tv_sec);
	}
	ts.flags = 3 << 1;	/* a CPU clock type beyond MONOTONIC_RAW */
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EINVAL);
	ts.flags = 1 << 8;	/* an unknown flag */
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), EINVAL);
	/* A larger user struct with a non-zero byte beyond the kernel's: -E2BIG. */
	memset(buf, 0, sizeof(buf));
	buf[sizeof(ts) + 3] = 1;
	q.size = sizeof(buf);
	q.pointer = (uintptr_t)buf;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), E2BIG);
	cl_close(fd);
	cl_end();
}

T_TEST(bo_lifecycle, "uapi/client/bo-sizes-zeroed-mmap-close")
{
	struct drm_panthor_bo_create c = { 0 };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct drm_gem_close gc = { 0 };
	uint64_t size;
	uint32_t h, h2, *p;
	int fd, err;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	/* Sizes rounded up to the page and written back. */
	size = 1;
	h = bo_create(fd, &size, 0);
	T_ASSERT_EQ_U64(size, 4096);
	size = 4097;
	h2 = bo_create(fd, &size, 0);
	T_ASSERT_EQ_U64(size, 8192);
	T_ASSERT_NE_INT(h, h2);

	/* Create errors. */
	c.size = 0;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	c.size = 4096;
	c.flags = 1 << 5;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	c.flags = DRM_PANTHOR_BO_NO_MMAP | DRM_PANTHOR_BO_WB_MMAP;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	c.flags = 0;
	c.exclusive_vm_id = 99;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	c.exclusive_vm_id = 0;
	c.pad = 1;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	/* Sizes no shmem file can have (rounding up would overflow, or go past INT64_MAX). */
	c.pad = 0;
	c.size = ~0ull;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	c.size = 1ull << 63;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	c.size = (1ull << 63) - 4095;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);

	/* Fresh memory is zero, also when it is reused after a close. */
	size = 2 * MiB;
	h2 = bo_create(fd, &size, 0);
	p = bo_map(fd, h2, size);
	for (uint64_t i = 0; i < size / 4; i += 509)
		T_ASSERT_EQ_INT(p[i], 0);
	memset(p, 0xa5, size);
	T_ASSERT_OK(cl_munmap(p, size));
	gc.handle = h2;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc));
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc), EINVAL);
	h2 = bo_create(fd, &size, 0);
	p = bo_map(fd, h2, size);
	for (uint64_t i = 0; i < size / 4; i++)
		if (p[i])
			T_ASSERT_EQ_INT(p[i], 0);

	/* Two mappings of one BO share its memory. */
	{
		uint32_t *q = bo_map(fd, h2, size);

		q[12345] = 0xfeedbeef;
		T_ASSERT_EQ_INT(p[12345], 0xfeedbeef);
		T_ASSERT_OK(cl_munmap(q, size));
	}
	T_ASSERT_OK(cl_munmap(p, size));

	/* mmap and MMAP_OFFSET errors. */
	mo.handle = h2;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	T_ASSERT(cl_mmap(size, PROT_READ, MAP_PRIVATE, fd, mo.offset, &err) == MAP_FAILED);
	T_ASSERT_ERRNO(err, EINVAL);
	T_ASSERT(cl_mmap(size + 4096, PROT_READ, MAP_SHARED, fd, mo.offset, &err) == MAP_FAILED);
	T_ASSERT_ERRNO(err, EINVAL);
	mo.pad = 1;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), EINVAL);
	mo.pad = 0;
	mo.handle = 4242;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), ENOENT);
	size = 4096;
	mo.handle = bo_create(fd, &size, DRM_PANTHOR_BO_NO_MMAP);
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), EPERM);

	/* GEM_CLOSE does not look at pad; a closed handle is reused for the next BO. */
	gc.handle = h;
	gc.pad = 1;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc));
	size = 4096;
	T_ASSERT_EQ_INT(bo_create(fd, &size, 0), h);
	cl_close(fd);
	cl_end();
}

T_TEST(obj_arrays, "uapi/client/vm-bind-object-array-rules")
{
	struct {
		struct drm_panthor_vm_bind_op op;
		uint8_t extra[8];
	} wide[2];
	struct drm_panthor_vm_bind_op ops[3];
	struct drm_panthor_vm_bind b = { 0 };
	uint64_t size = 64 << 10;
	uint32_t vm, bo;
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	vm = vm_create(fd);
	bo = bo_create(fd, &size, 0);
	memset(wide, 0, sizeof(wide));
	for (int i = 0; i < 2; i++) {
		wide[i].op.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP;
		wide[i].op.bo_handle = bo;
		wide[i].op.va = (uint64_t)(i + 1) * MiB;
		wide[i].op.size = size;
	}
	b.vm_id = vm;
	b.ops.array = (uintptr_t)wide;
	b.ops.count = 2;
	/* Below the minimum (48, through syncs): -EINVAL. */
	b.ops.stride = 47;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	/* Larger, zero extra bytes: accepted, each element at its stride. */
	b.ops.stride = sizeof(wide[0]);
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b));
	/* A non-zero extra byte in the second element: -E2BIG, index 1 written back. */
	wide[1].extra[7] = 1;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), E2BIG);

	/* The op checks, with the failing index written to ops.count. */
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < 3; i++) {
		ops[i].flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP;
		ops[i].bo_handle = bo;
		ops[i].va = (uint64_t)(8 + i) * MiB;
		ops[i].size = size;
	}
	b.ops.array = (uintptr_t)ops;
	b.ops.stride = sizeof(ops[0]);
	b.ops.count = 3;
	ops[2].va += 1;	/* unaligned */
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	T_ASSERT_EQ_INT(b.ops.count, 2);
	T_ASSERT_ERRNO(bind1(fd, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, bo, 0, MiB, size + 4096),
		       EINVAL);	/* past the BO */
	T_ASSERT_ERRNO(bind1(fd, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, bo, 0, -(uint64_t)4096,
			     size), EINVAL);	/* va + size overflows */
	T_ASSERT_ERRNO(bind1(fd, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP, bo, 0, MiB, size),
		       EINVAL);	/* unmap with a BO */
	T_ASSERT_ERRNO(bind1(fd, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP |
			     DRM_PANTHOR_VM_BIND_OP_MAP_READONLY, 0, 0, MiB, size), EINVAL);
	T_ASSERT_ERRNO(bind1(fd, vm, 3u << 28, 0, 0, MiB, size), EINVAL);	/* unknown type */
	T_ASSERT_ERRNO(bind1(fd, vm + 1, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, bo, 0, MiB, size),
		       EINVAL);	/* unknown VM */
	T_ASSERT_OK(bind1(fd, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP, 0, 0, 100 * MiB, size));
	T_ASSERT_EQ_INT(vm_state(fd, vm), DRM_PANTHOR_VM_STATE_USABLE);
	cl_close(fd);
	cl_end();
}

T_TEST(huge_sparse, "uapi/client/huge-page-partial-unmaps-and-sparse")
{
	uint64_t size = 4 * MiB, small = 64 << 10;
	const uint64_t va = 64 * MiB;
	const uint32_t MAP = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP;
	const uint32_t UNMAP = DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP;
	const uint32_t SPARSE = MAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE |
				DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC;
	uint32_t vm, bo, bo2, *p;
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	vm = vm_create(fd);
	bo = bo_create(fd, &size, 0);
	bo2 = bo_create(fd, &small, 0);
	p = bo_map(fd, bo, size);
	p[0] = 1;

	/* 2 MiB blocks, then 4 KiB and cross-block holes punched into them. */
	T_ASSERT_OK(bind1(fd, vm, MAP, bo, 0, va, size));
	T_ASSERT_OK(bind1(fd, vm, UNMAP, 0, 0, va + MiB, 4096));
	T_ASSERT_OK(bind1(fd, vm, UNMAP, 0, 0, va + 2 * MiB - 32768, 65536));
	T_ASSERT_OK(bind1(fd, vm, UNMAP, 0, 0, va + MiB, 4096));	/* a hole: no-op */
	/* Another BO into the hole; then the whole range replaced by the first again. */
	T_ASSERT_OK(bind1(fd, vm, MAP, bo2, 0, va + MiB, 4096));
	T_ASSERT_OK(bind1(fd, vm, MAP, bo, 0, va, size));
	/* The CPU view of the BO is untouched by any of this. */
	T_ASSERT_EQ_INT(p[0], 1);

	/* Sparse (1.9): MAP only, no BO, NOEXEC required. */
	T_ASSERT_ERRNO(bind1(fd, vm, SPARSE & ~(uint32_t)DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC, 0, 0,
			     va + 8 * MiB, 4 * MiB), EINVAL);
	T_ASSERT_ERRNO(bind1(fd, vm, SPARSE, bo, 0, va + 8 * MiB, 4 * MiB), EINVAL);
	T_ASSERT_ERRNO(bind1(fd, vm, SPARSE, 0, 4096, va + 8 * MiB, 4 * MiB), EINVAL);
	T_ASSERT_ERRNO(bind1(fd, vm, UNMAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE, 0, 0,
			     va + 8 * MiB, 4 * MiB), EINVAL);
	T_ASSERT_OK(bind1(fd, vm, SPARSE, 0, 0, va + 8 * MiB, 4 * MiB));
	/* Replacements: a real BO over part of the sparse range, sparse over a BO. */
	T_ASSERT_OK(bind1(fd, vm, MAP, bo2, 0, va + 9 * MiB, small));
	T_ASSERT_OK(bind1(fd, vm, SPARSE, 0, 0, va + MiB, 2 * MiB));
	T_ASSERT_OK(bind1(fd, vm, UNMAP, 0, 0, va + 8 * MiB + 4096, 8192));
	T_ASSERT_OK(bind1(fd, vm, UNMAP, 0, 0, va, 16 * MiB));
	T_ASSERT_EQ_INT(vm_state(fd, vm), DRM_PANTHOR_VM_STATE_USABLE);
	T_ASSERT_OK(cl_munmap(p, size));
	cl_close(fd);
	cl_end();
}

struct waiter {
	int fd;
	uint32_t handle;
	uint64_t point;
	int ret;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->ret = tl_wait(w->fd, w->handle, w->point, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
			 now_ns() + 20ll * 1000000000ll);
	return NULL;
}

/* One async MAP op of @bo at @va with the given syncs. */
static int bind_async(int fd, uint32_t vm, uint32_t bo, uint64_t va, uint64_t size,
		      struct drm_panthor_sync_op *syncs, uint32_t nsyncs)
{
	struct drm_panthor_vm_bind_op op = {
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, .bo_handle = bo, .va = va, .size = size,
		.syncs = { .stride = sizeof(*syncs), .count = nsyncs, .array = (uintptr_t)syncs },
	};
	struct drm_panthor_vm_bind b = {
		.vm_id = vm, .flags = DRM_PANTHOR_VM_BIND_ASYNC,
		.ops = { .stride = sizeof(op), .count = 1, .array = (uintptr_t)&op },
	};

	return cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b);
}

T_TEST(timeline_bind, "uapi/client/timeline-syncobjs-across-vm-bind")
{
	const uint32_t TL = DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ;
	struct drm_panthor_sync_op s[2];
	uint64_t size = 64 << 10;
	uint32_t vm, bo, a, t;
	struct waiter w;
	pthread_t th;
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	vm = vm_create(fd);
	bo = bo_create(fd, &size, 0);
	a = syncobj_create(fd, 0);
	t = syncobj_create(fd, 0);

	/* A bind signals point 1 of t; the next waits for it and signals point 2. */
	memset(s, 0, sizeof(s));
	s[0].flags = DRM_PANTHOR_SYNC_OP_SIGNAL | TL;
	s[0].handle = t;
	s[0].timeline_value = 1;
	T_ASSERT_OK(bind_async(fd, vm, bo, MiB, size, s, 1));
	s[0].flags = DRM_PANTHOR_SYNC_OP_WAIT | TL;
	s[1] = s[0];
	s[1].flags = DRM_PANTHOR_SYNC_OP_SIGNAL | TL;
	s[1].timeline_value = 2;
	T_ASSERT_OK(bind_async(fd, vm, bo, 2 * MiB, size, s, 2));
	T_ASSERT_OK(tl_wait(fd, t, 2, 0, now_ns() + 20ll * 1000000000ll));
	T_ASSERT_EQ_U64(tl_query(fd, t, 0), 2);
	T_ASSERT_EQ_U64(tl_query(fd, t, DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 2);

	/* A host-signalled point as the dependency; a binary syncobj signalled too. */
	{
		uint64_t pt = 5;
		struct drm_syncobj_timeline_array ta = {
			.handles = (uintptr_t)&a, .points = (uintptr_t)&pt, .count_handles = 1,
		};

		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &ta));
	}
	s[0].handle = a;
	s[0].timeline_value = 5;
	s[1].flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ;
	s[1].handle = syncobj_create(fd, 0);
	s[1].timeline_value = 0;
	T_ASSERT_OK(bind_async(fd, vm, bo, 3 * MiB, size, s, 2));
	T_ASSERT_OK(syncobj_wait(fd, &s[1].handle, 1, 0, now_ns() + 20ll * 1000000000ll, NULL));

	/* Dependency errors: a point never submitted, a binary handle with a point, bad flags. */
	s[0].timeline_value = 9;
	T_ASSERT_ERRNO(bind_async(fd, vm, bo, 4 * MiB, size, s, 1), EINVAL);
	s[0].flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ;
	s[0].timeline_value = 3;
	T_ASSERT_ERRNO(bind_async(fd, vm, bo, 4 * MiB, size, s, 1), EINVAL);
	s[0].flags = DRM_PANTHOR_SYNC_OP_SIGNAL | 2;
	T_ASSERT_ERRNO(bind_async(fd, vm, bo, 4 * MiB, size, s, 1), EINVAL);
	/* Unknown handles: a signal op's is -EINVAL, a wait op's -ENOENT (find_fence). */
	s[0].flags = DRM_PANTHOR_SYNC_OP_SIGNAL | TL;
	s[0].handle = 999;
	T_ASSERT_ERRNO(bind_async(fd, vm, bo, 4 * MiB, size, s, 1), EINVAL);
	s[0].flags = DRM_PANTHOR_SYNC_OP_WAIT | TL;
	T_ASSERT_ERRNO(bind_async(fd, vm, bo, 4 * MiB, size, s, 1), ENOENT);

	/* WAIT_FOR_SUBMIT in another thread: woken when a bind adds the point. */
	w.fd = fd;
	w.handle = t;
	w.point = 10;
	w.ret = 1;
	T_ASSERT_EQ_INT(pthread_create(&th, NULL, waiter_main, &w), 0);
	s[0].flags = DRM_PANTHOR_SYNC_OP_SIGNAL | TL;
	s[0].handle = t;
	s[0].timeline_value = 10;
	T_ASSERT_OK(bind_async(fd, vm, bo, 5 * MiB, size, s, 1));
	T_ASSERT_EQ_INT(pthread_join(th, NULL), 0);
	T_ASSERT_OK(w.ret);
	T_ASSERT_EQ_U64(tl_query(fd, t, 0), 10);
	cl_close(fd);
	cl_end();
}

T_TEST(syncobj_core, "uapi/client/syncobj-wait-reset-signal-transfer")
{
	uint32_t h[3], first;
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/card0");
	h[0] = syncobj_create(fd, 0);
	h[1] = syncobj_create(fd, DRM_SYNCOBJ_CREATE_SIGNALED);
	h[2] = syncobj_create(fd, 0);
	T_ASSERT(h[0] != h[1] && h[1] != h[2] && h[0] != h[2]);
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE,
				&(struct drm_syncobj_create){ .flags = 2 }), EINVAL);

	/*
	 * A syncobj without a fence fails the wait (-EINVAL) unless
	 * WAIT_FOR_SUBMIT, even when waiting for any and another one is
	 * signalled; with it, the signalled one is found.
	 */
	T_ASSERT_ERRNO(syncobj_wait(fd, h, 2, 0, 0, &first), EINVAL);
	T_ASSERT_ERRNO(syncobj_wait(fd, h, 2, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, 0, NULL), EINVAL);
	T_ASSERT_OK(syncobj_wait(fd, h, 2, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, 0, &first));
	T_ASSERT_EQ_INT(first, 1);
	T_ASSERT_OK(syncobj_wait(fd, &h[1], 1, 0, 0, &first));
	T_ASSERT_EQ_INT(first, 0);
	/* WAIT_FOR_SUBMIT with an absolute deadline already past, and a near one: -ETIME. */
	T_ASSERT_ERRNO(syncobj_wait(fd, h, 2, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
				    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, 1, NULL), ETIME);
	T_ASSERT_ERRNO(syncobj_wait(fd, h, 2, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
				    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
				    now_ns() + 5000000, NULL), ETIME);
	T_ASSERT_ERRNO(syncobj_wait(fd, h, 2, 1u << 7, 0, NULL), EINVAL);
	{
		/* pad is not checked; first_signaled is written only on success. */
		struct drm_syncobj_wait w = {
			.handles = (uintptr_t)h, .count_handles = 2, .pad = 7,
			.first_signaled = 1234,
		};

		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w), EINVAL);
		T_ASSERT_EQ_INT(w.first_signaled, 1234);
		w.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w));
		T_ASSERT_EQ_INT(w.first_signaled, 1);
	}

	/* Signal, reset, transfer. */
	{
		struct drm_syncobj_array a = { .handles = (uintptr_t)h, .count_handles = 1 };
		struct drm_syncobj_transfer tr = { .src_handle = h[0], .dst_handle = h[2] };

		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &a));
		T_ASSERT_OK(syncobj_wait(fd, h, 2, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, 0, NULL));
		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr));
		T_ASSERT_OK(syncobj_wait(fd, &h[2], 1, 0, 0, NULL));
		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_RESET, &a));
		T_ASSERT_ERRNO(syncobj_wait(fd, h, 1, 0, 0, NULL), EINVAL);
		tr.pad = 1;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr), EINVAL);
		tr.pad = 0;
		tr.flags = 1u << 4;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr), EINVAL);
		/* Order: an unknown destination before bad flags, bad flags before the source. */
		tr.dst_handle = 4242;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr), ENOENT);
		tr.dst_handle = h[2];
		tr.src_handle = 4242;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr), EINVAL);
		tr.flags = 0;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr), ENOENT);
		tr.src_handle = h[0];
		/* Transferring a reset syncobj: no fence, -EINVAL. */
		tr.flags = 0;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr), EINVAL);
		a.handles = WILD;
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &a), EFAULT);
	}
	/* Destroy: the handle is gone, a second destroy is -EINVAL. */
	{
		struct drm_syncobj_destroy d = { .handle = h[0] };

		T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d));
		T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d), EINVAL);
		T_ASSERT_ERRNO(syncobj_wait(fd, h, 1, 0, 0, NULL), ENOENT);
	}
	cl_close(fd);
	cl_end();
}

T_TEST(syncobj_fds, "uapi/client/syncobj-fds-dup-close-and-sync-files")
{
	struct drm_syncobj_handle sh = { 0 };
	uint32_t h, hb, signalled;
	int fa, fb, sfd, sfd2, file_fd;

	cl_begin();
	fa = cl_open("/dev/dri/renderD128");
	fb = cl_open("/dev/dri/renderD128");
	h = syncobj_create(fa, 0);
	signalled = syncobj_create(fa, DRM_SYNCOBJ_CREATE_SIGNALED);

	/* The syncobj itself as an fd; dup it, close the original, import the dup elsewhere. */
	sh.handle = h;
	T_ASSERT_OK(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh));
	T_ASSERT_GE_INT(sh.fd, 0);
	T_ASSERT_EQ_INT(fcntl(sh.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	sfd = sh.fd;
	sfd2 = dup(sfd);
	T_ASSERT_GE_INT(sfd2, 0);
	T_ASSERT_EQ_INT(close(sfd), 0);
	memset(&sh, 0, sizeof(sh));
	sh.fd = sfd2;
	T_ASSERT_OK(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh));
	hb = sh.handle;
	T_ASSERT_NE_INT(hb, 0);
	/* The same object: signalled through file A, seen through file B. */
	T_ASSERT_ERRNO(syncobj_wait(fb, &hb, 1, 0, 0, NULL), EINVAL);
	T_ASSERT_OK(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_SIGNAL,
			     &(struct drm_syncobj_array){ .handles = (uintptr_t)&h,
							  .count_handles = 1 }));
	T_ASSERT_OK(syncobj_wait(fb, &hb, 1, 0, 0, NULL));
	/* The object outlives its first handle while the fd and B's handle exist. */
	T_ASSERT_OK(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_DESTROY, &(struct drm_syncobj_destroy){ .handle = h }));
	sh.fd = sfd2;
	sh.handle = 0;
	T_ASSERT_OK(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh));
	T_ASSERT_OK(syncobj_wait(fa, &sh.handle, 1, 0, 0, NULL));
	T_ASSERT_EQ_INT(close(sfd2), 0);
	/* A closed fd, an ordinary file, a wild flag: -EINVAL. */
	sh.fd = sfd2;
	T_ASSERT_ERRNO(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh), EINVAL);
	file_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	T_ASSERT_GE_INT(file_fd, 0);
	sh.fd = file_fd;
	T_ASSERT_ERRNO(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh), EINVAL);
	sh.flags = 2;
	T_ASSERT_ERRNO(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh), EINVAL);
	sh.flags = 0;
	sh.pad = 1;
	T_ASSERT_ERRNO(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh), EINVAL);
	sh.pad = 0;
	/* HANDLE_TO_FD of an unknown handle: -EINVAL (and -ENOENT with EXPORT_SYNC_FILE). */
	sh.handle = 4242;
	T_ASSERT_ERRNO(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh), EINVAL);
	sh.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
	T_ASSERT_ERRNO(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh), ENOENT);

	/* Sync files: export the signalled fence, import it into a reset syncobj. */
	sh.handle = signalled;
	sh.fd = -1;
	T_ASSERT_OK(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh));
	sfd = sh.fd;
	T_ASSERT_GE_INT(sfd, 0);
	sh.handle = syncobj_create(fb, 0);
	sh.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
	sfd2 = dup(sfd);
	T_ASSERT_EQ_INT(close(sfd), 0);
	sh.fd = sfd2;
	T_ASSERT_OK(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh));
	T_ASSERT_OK(syncobj_wait(fb, &sh.handle, 1, 0, 0, NULL));
	/* A sync file is not a syncobj fd, and the reverse. */
	sh.flags = 0;
	T_ASSERT_ERRNO(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh), EINVAL);
	T_ASSERT_EQ_INT(close(sfd2), 0);
	sh.flags = 0;
	sh.handle = signalled;
	T_ASSERT_OK(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh));
	sfd = sh.fd;
	sh.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
	T_ASSERT_ERRNO(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh), EINVAL);
	/* The fd is checked before the handle, as in the kernel. */
	sh.handle = 4242;
	T_ASSERT_ERRNO(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh), EINVAL);
	sh.fd = -1;
	T_ASSERT_ERRNO(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh), EINVAL);
	/* Exporting a syncobj without a fence as a sync file: -EINVAL. */
	sh.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
	sh.handle = syncobj_create(fa, 0);
	T_ASSERT_ERRNO(cl_ioctl(fa, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh), EINVAL);

	/* Closing the files does not invalidate an exported syncobj fd. */
	cl_close(fa);
	memset(&sh, 0, sizeof(sh));
	sh.fd = sfd;
	T_ASSERT_OK(cl_ioctl(fb, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh));
	T_ASSERT_OK(syncobj_wait(fb, &sh.handle, 1, 0, 0, NULL));
	T_ASSERT_EQ_INT(close(sfd), 0);
	T_ASSERT_EQ_INT(close(file_fd), 0);
	cl_close(fb);
	cl_end();
}

T_TEST(isolation, "uapi/client/two-files-isolated")
{
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	uint64_t size = 4096;
	uint32_t bo, vm, so;
	int fa, fb;

	cl_begin();
	fa = cl_open("/dev/dri/renderD128");
	fb = cl_open("/dev/dri/card0");
	bo = bo_create(fa, &size, 0);
	vm = vm_create(fa);
	so = syncobj_create(fa, DRM_SYNCOBJ_CREATE_SIGNALED);

	/* B has none of A's objects, even where B's own handles have the same numbers. */
	mo.handle = bo;
	T_ASSERT_ERRNO(cl_ioctl(fb, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), ENOENT);
	T_ASSERT_ERRNO(cl_ioctl(fb, DRM_IOCTL_GEM_CLOSE, &(struct drm_gem_close){ .handle = bo }),
		       EINVAL);
	T_ASSERT_ERRNO(bind1(fb, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP, 0, 0, MiB, 4096), EINVAL);
	T_ASSERT_ERRNO(syncobj_wait(fb, &so, 1, 0, 0, NULL), ENOENT);
	T_ASSERT_EQ_INT(vm_create(fb), vm);	/* ids are per file */
	T_ASSERT_ERRNO(bind1(fb, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, bo, 0, MiB, 4096), EINVAL);
	/* A's BO offset means nothing in B. */
	mo.handle = bo;
	T_ASSERT_OK(cl_ioctl(fa, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	{
		int err;

		T_ASSERT(cl_mmap(4096, PROT_READ, MAP_SHARED, fb, mo.offset, &err) == MAP_FAILED);
		T_ASSERT_ERRNO(err, EINVAL);
	}
	/* Closing B leaves A whole. */
	cl_close(fb);
	T_ASSERT_OK(bind1(fa, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, bo, 0, MiB, 4096));
	T_ASSERT_OK(syncobj_wait(fa, &so, 1, 0, 0, NULL));
	cl_close(fa);
	cl_end();
}

#ifndef UAPI_INPROCESS
T_TEST(device_fds, "uapi/client/device-fd-dup-close-lifecycle")
{
	uint64_t size = 4096;
	uint32_t bo, *p;
	int fd, fd2, fd3;
	char link[64], target[64];
	ssize_t n;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	bo = bo_create(fd, &size, 0);
	p = bo_map(fd, bo, size);
	p[0] = 42;
	/* dup, F_DUPFD_CLOEXEC and dup3 name the same open file. */
	fd2 = dup(fd);
	fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	T_ASSERT_GE_INT(fd2, 0);
	T_ASSERT_GE_INT(fd3, 100);
	T_ASSERT_EQ_INT(close(fd), 0);
	{
		struct drm_panthor_bo_mmap_offset mo = { .handle = bo };

		T_ASSERT_OK(cl_ioctl(fd2, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
		T_ASSERT_OK(cl_ioctl(fd3, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo));
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd3);
	n = readlink(link, target, sizeof(target) - 1);
	T_ASSERT_GT_INT(n, 0);
	target[n] = '\0';
	T_ASSERT_EQ_STR(target, "/dev/dri/renderD128");
	T_ASSERT_EQ_INT(close(fd2), 0);
	/* The mapping keeps the BO alive after every fd is gone. */
	T_ASSERT_EQ_INT(close(fd3), 0);
	T_ASSERT_EQ_INT(p[0], 42);
	T_ASSERT_OK(cl_munmap(p, size));
	errno = 0;
	T_ASSERT_EQ_INT(ioctl(fd3, DRM_IOCTL_VERSION, &(struct drm_version){ 0 }), -1);
	T_ASSERT_EQ_INT(errno, EBADF);
	cl_end();
}
#endif

T_TEST(vm_create_ranges, "uapi/client/vm-create-va-ranges-and-limits")
{
	struct drm_panthor_vm_create c = { 0 };
	struct drm_panthor_vm_destroy d = { 0 };
	uint32_t ids[32];
	uint64_t def;
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	/* 0: the default range, written back; the kernel range sits above it. */
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &c));
	T_ASSERT_NE_INT(c.id, 0);
	def = c.user_va_range;
	T_ASSERT_NE_U64(def, 0);
	ids[0] = c.id;
	/* A map at the top of the user range works, one page above it does not. */
	{
		uint64_t size = 4096;
		uint32_t bo = bo_create(fd, &size, 0);

		T_ASSERT_OK(bind1(fd, c.id, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, bo, 0, def - 4096,
				  4096));
		T_ASSERT_ERRNO(bind1(fd, c.id, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, bo, 0, def, 4096),
			       EINVAL);
	}
	/* A given range is used (the kernel range is what is left, rounded down to a power of two). */
	c.user_va_range = 1ull << 32;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &c));
	T_ASSERT_LE_U64(1ull << 32, c.user_va_range);
	ids[1] = c.id;
	/* Flags, and a range leaving no room for the kernel's 256 MiB: -EINVAL. */
	c.flags = 1;
	c.user_va_range = 0;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &c), EINVAL);
	c.flags = 0;
	c.user_va_range = ~0ull;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &c), EINVAL);
	/* At most 32 VMs per file; a destroyed one frees its id. */
	for (int i = 2; i < 32; i++)
		ids[i] = vm_create(fd);
	c.user_va_range = 0;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &c), EBUSY);
	d.id = ids[5];
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_DESTROY, &d));
	T_ASSERT_EQ_INT(vm_create(fd), ids[5]);
	cl_close(fd);
	cl_end();
}

/*
 * Set or clear CAP_SYS_NICE in this thread's effective set (capabilities
 * are per thread, and the ioctls run in this thread). Return: whether it
 * was effective before; false and nothing changed when it is not permitted.
 */
static bool set_cap_sys_nice(bool on)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	bool was;

	T_ASSERT_EQ_INT(syscall(SYS_capget, &hdr, d), 0);
	was = d[CAP_TO_INDEX(CAP_SYS_NICE)].effective & CAP_TO_MASK(CAP_SYS_NICE);
	if (!(d[CAP_TO_INDEX(CAP_SYS_NICE)].permitted & CAP_TO_MASK(CAP_SYS_NICE)))
		return was;
	if (on)
		d[CAP_TO_INDEX(CAP_SYS_NICE)].effective |= CAP_TO_MASK(CAP_SYS_NICE);
	else
		d[CAP_TO_INDEX(CAP_SYS_NICE)].effective &= ~CAP_TO_MASK(CAP_SYS_NICE);
	T_ASSERT_EQ_INT(syscall(SYS_capset, &hdr, d), 0);
	return was;
}

static uint8_t allowed_priorities(int fd)
{
	struct drm_panthor_group_priorities_info pi;
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO, .size = sizeof(pi),
		.pointer = (uintptr_t)&pi,
	};

	memset(&pi, 0xff, sizeof(pi));
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	T_ASSERT_EQ_INT(pi.pad[0] | pi.pad[1] | pi.pad[2], 0);
	return pi.allowed_mask;
}

/* GROUP_CREATE of a REALTIME group on a new VM. Return: 0 or -errno. */
static int realtime_group(int fd)
{
	struct drm_panthor_queue_create qc = { .ringbuf_size = 4096 };
	struct drm_panthor_group_create c = {
		.queues = { .stride = sizeof(qc), .count = 1, .array = (uintptr_t)&qc },
		.max_compute_cores = 1, .max_fragment_cores = 1, .max_tiler_cores = 1,
		.priority = PANTHOR_GROUP_PRIORITY_REALTIME,
	};

	struct drm_panthor_gpu_info gi = { 0 };
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO, .size = sizeof(gi), .pointer = (uintptr_t)&gi,
	};

	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	c.compute_core_mask = gi.shader_present;
	c.fragment_core_mask = gi.shader_present;
	c.tiler_core_mask = gi.tiler_present;
	c.vm_id = vm_create(fd);
	return cl_ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_CREATE, &c);
}

T_TEST(priorities, "uapi/client/group-priorities-master-and-cap-sys-nice")
{
	/* HIGH and REALTIME need CAP_SYS_NICE or the DRM master. */
	int render, master, second, again;
	bool had;

	cl_begin();
	had = set_cap_sys_nice(false);
	render = cl_open("/dev/dri/renderD128");
	master = cl_open("/dev/dri/card0");	/* the first primary file: master */
	second = cl_open("/dev/dri/card0");
	T_ASSERT_EQ_INT(allowed_priorities(render), 0x3);
	T_ASSERT_EQ_INT(allowed_priorities(master), 0xf);
	T_ASSERT_EQ_INT(allowed_priorities(second), 0x3);
	/* Mastership is not handed over to open files; the next open takes it. */
	cl_close(master);
	T_ASSERT_EQ_INT(allowed_priorities(second), 0x3);
	again = cl_open("/dev/dri/card0");
	T_ASSERT_EQ_INT(allowed_priorities(again), 0xf);
	/* GROUP_CREATE agrees: REALTIME for the master, -EACCES for the others. */
	T_ASSERT_OK(realtime_group(again));
	T_ASSERT_ERRNO(realtime_group(second), EACCES);
	T_ASSERT_ERRNO(realtime_group(render), EACCES);
	/* With CAP_SYS_NICE (when this process may have it), everyone. */
	if (set_cap_sys_nice(true) || had)
		T_ASSERT_EQ_INT(allowed_priorities(render), 0xf);
	set_cap_sys_nice(had);
	cl_close(again);
	cl_close(second);
	cl_close(render);
	cl_end();
}

T_TEST(bo_misc, "uapi/client/label-sync-query-info-and-flush-id-page")
{
	struct drm_panthor_bo_set_label l = { 0 };
	struct drm_panthor_bo_query_info qi = { 0 };
	struct drm_panthor_bo_sync_op op = { .type = DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH };
	struct drm_panthor_bo_sync bs = {
		.ops = { .stride = sizeof(op), .count = 1, .array = (uintptr_t)&op },
	};
	struct drm_panthor_set_user_mmio_offset mmio = { 0 };
	uint64_t size = 8192;
	uint32_t bo, wb;
	char *big;
	void *p;
	int fd, err;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	bo = bo_create(fd, &size, 0);
	size = 4096;
	wb = bo_create(fd, &size, DRM_PANTHOR_BO_WB_MMAP);

	/* BO_SET_LABEL: set, clear with NULL, 4095 bytes fit, 4096 do not. */
	l.handle = bo;
	l.label = (uintptr_t)"vertex buffer";
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l));
	l.label = 0;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l));
	big = malloc(4097);
	T_ASSERT_NOT_NULL(big);
	memset(big, 'a', 4096);
	big[4095] = '\0';
	l.label = (uintptr_t)big;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l));
	big[4095] = 'a';
	big[4096] = '\0';
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l), E2BIG);
	free(big);
	l.label = WILD;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l), EFAULT);
	l.label = 0;
	l.pad = 1;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l), EINVAL);
	l.pad = 0;
	l.handle = 4242;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l), ENOENT);

	/* BO_QUERY_INFO: the creation flags come back. */
	qi.handle = wb;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &qi));
	T_ASSERT_EQ_INT(qi.create_flags, DRM_PANTHOR_BO_WB_MMAP);
	T_ASSERT_EQ_INT(qi.extra_flags, 0);
	qi.pad = 1;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &qi), EINVAL);
	qi.pad = 0;
	qi.handle = 4242;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &qi), ENOENT);

	/* BO_SYNC: ranges inside the BO; past it, overflowing, bad type, bad handle. */
	op.handle = bo;
	op.offset = 4096;
	op.size = 4096;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SYNC, &bs));
	op.type = DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH_AND_INVALIDATE;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SYNC, &bs));
	op.size = 4097;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SYNC, &bs), EINVAL);
	op.offset = ~0ull;
	op.size = 2;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SYNC, &bs), EINVAL);
	op.offset = 0;
	op.size = 0;
	op.type = 2;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SYNC, &bs), EINVAL);
	op.type = 0;
	op.handle = 4242;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SYNC, &bs), ENOENT);
	bs.ops.stride = 23;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_BO_SYNC, &bs), EINVAL);

	/* The flush-ID page: one page, shared, read-only, at the file's user MMIO offset. */
	p = cl_mmap(4096, PROT_READ, MAP_SHARED, fd, DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET, &err);
	T_ASSERT_OK(err);
	T_ASSERT_OK(cl_munmap(p, 4096));
	T_ASSERT(cl_mmap(4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET, &err) == MAP_FAILED);
	T_ASSERT_ERRNO(err, EACCES);
	T_ASSERT(cl_mmap(8192, PROT_READ, MAP_SHARED, fd, DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET,
			 &err) == MAP_FAILED);
	T_ASSERT_ERRNO(err, EINVAL);
	/* SET_USER_MMIO_OFFSET moves it: the 32-bit offset maps, the old one is gone. */
	mmio.offset = 12345;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &mmio), EINVAL);
	mmio.offset = DRM_PANTHOR_USER_MMIO_OFFSET_32BIT;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &mmio));
	p = cl_mmap(4096, PROT_READ, MAP_SHARED, fd, DRM_PANTHOR_USER_MMIO_OFFSET_32BIT, &err);
	T_ASSERT_OK(err);
	T_ASSERT_OK(cl_munmap(p, 4096));
	T_ASSERT(cl_mmap(4096, PROT_READ, MAP_SHARED, fd, DRM_PANTHOR_USER_MMIO_OFFSET_64BIT,
			 &err) == MAP_FAILED);
	T_ASSERT_ERRNO(err, EINVAL);
	cl_close(fd);
	cl_end();
}

/* drm_syncobj_handle with the point the kernel appended (libdrm's drm.h here ends at pad). */
struct syncobj_handle_pt {
	uint32_t handle;
	uint32_t flags;
	int32_t fd;
	uint32_t pad;
	uint64_t point;
};
#define HANDLE_TO_FD_PT _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE, \
			     _IOC_NR(DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD), sizeof(struct syncobj_handle_pt))
#define FD_TO_HANDLE_PT _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE, \
			     _IOC_NR(DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE), sizeof(struct syncobj_handle_pt))
#define FLAG_TIMELINE (1u << 1)

T_TEST(syncobj_points, "uapi/client/sync-file-export-import-of-timeline-points")
{
	struct syncobj_handle_pt h = { 0 };
	uint32_t a, b;
	uint64_t pt = 3;
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	a = syncobj_create(fd, 0);
	b = syncobj_create(fd, 0);
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
			     &(struct drm_syncobj_timeline_array){ .handles = (uintptr_t)&a,
								   .points = (uintptr_t)&pt,
								   .count_handles = 1 }));
	/* Point 3 of a as a sync file, imported as point 7 of b. */
	h.handle = a;
	h.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE | FLAG_TIMELINE;
	h.point = 3;
	T_ASSERT_OK(cl_ioctl(fd, HANDLE_TO_FD_PT, &h));
	T_ASSERT_GE_INT(h.fd, 0);
	h.handle = b;
	h.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE | FLAG_TIMELINE;
	h.point = 7;
	T_ASSERT_OK(cl_ioctl(fd, FD_TO_HANDLE_PT, &h));
	T_ASSERT_EQ_U64(tl_query(fd, b, 0), 7);
	T_ASSERT_OK(tl_wait(fd, b, 7, 0, 0));
	T_ASSERT_EQ_INT(close(h.fd), 0);
	/* A point never submitted: -EINVAL, as a syncobj without a fence. */
	h.handle = a;
	h.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE | FLAG_TIMELINE;
	h.point = 9;
	T_ASSERT_ERRNO(cl_ioctl(fd, HANDLE_TO_FD_PT, &h), EINVAL);
	/* A point without a sync-file flag, and unknown flags: -EINVAL. */
	h.flags = FLAG_TIMELINE;
	T_ASSERT_ERRNO(cl_ioctl(fd, HANDLE_TO_FD_PT, &h), EINVAL);
	T_ASSERT_ERRNO(cl_ioctl(fd, FD_TO_HANDLE_PT, &h), EINVAL);
	h.flags = 0;
	T_ASSERT_ERRNO(cl_ioctl(fd, HANDLE_TO_FD_PT, &h), EINVAL);
	h.flags = 1u << 2;
	h.point = 0;
	T_ASSERT_ERRNO(cl_ioctl(fd, HANDLE_TO_FD_PT, &h), EINVAL);
	/* Without TIMELINE the point field is not used by a sync-file export. */
	h.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
	h.point = 9;
	T_ASSERT_OK(cl_ioctl(fd, HANDLE_TO_FD_PT, &h));
	T_ASSERT_EQ_INT(close(h.fd), 0);
	cl_close(fd);
	cl_end();
}

/* CS instruction words (Mesa's CSF genxml, v10): opcode in [63:56]. */
#define CS_MOVE48(d, imm) ((0x01ull << 56) | ((uint64_t)(d) << 48) | ((imm) & 0xffffffffffffull))
#define CS_MOVE32(r, imm) ((0x02ull << 56) | ((uint64_t)(r) << 48) | (uint32_t)(imm))
#define CS_STORE(base, addr, mask) \
	((0x15ull << 56) | ((uint64_t)(base) << 48) | ((uint64_t)(addr) << 40) | \
	 ((uint64_t)(mask) << 16))

static uint32_t group_create(int fd, uint32_t vm)
{
	struct drm_panthor_gpu_info gi = { 0 };
	struct drm_panthor_dev_query q = {
		.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO, .size = sizeof(gi), .pointer = (uintptr_t)&gi,
	};
	struct drm_panthor_queue_create qc = { .ringbuf_size = 4096 };
	struct drm_panthor_group_create c = {
		.queues = { .stride = sizeof(qc), .count = 1, .array = (uintptr_t)&qc },
		.max_compute_cores = 1, .max_fragment_cores = 1, .max_tiler_cores = 1,
		.priority = PANTHOR_GROUP_PRIORITY_LOW, .vm_id = vm,
	};

	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q));
	c.compute_core_mask = gi.shader_present;
	c.fragment_core_mask = gi.shader_present;
	c.tiler_core_mask = gi.tiler_present;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_CREATE, &c));
	T_ASSERT_NE_INT(c.group_handle, 0);
	return c.group_handle;
}

T_TEST(group_submit, "uapi/client/group-submit-store-syncobj-fd-and-sync-file")
{
	const uint32_t TL = DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ;
	const uint64_t va_code = MiB, va_data = 2 * MiB;
	struct drm_panthor_sync_op syncs[2];
	struct drm_panthor_queue_submit qs = {
		.stream_addr = va_code, .stream_size = 24,
		.syncs = { .stride = sizeof(syncs[0]), .count = 2, .array = (uintptr_t)syncs },
	};
	struct drm_panthor_group_submit gs = {
		.queue_submits = { .stride = sizeof(qs), .count = 1, .array = (uintptr_t)&qs },
	};
	struct drm_panthor_group_get_state st = { 0 };
	struct drm_syncobj_handle sh = { 0 };
	uint64_t size = 4096, *cp;
	volatile uint32_t *dp;
	uint32_t vm, code, data, group, tl;
	int fd, fd2;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	fd2 = cl_open("/dev/dri/renderD128");
	vm = vm_create(fd);
	code = bo_create(fd, &size, 0);
	data = bo_create(fd, &size, 0);
	cp = bo_map(fd, code, 4096);
	dp = bo_map(fd, data, 4096);
	cp[0] = CS_MOVE48(0, va_data + 0x40);
	cp[1] = CS_MOVE32(4, 0x600df00d);
	cp[2] = CS_STORE(4, 0, 1);
	T_ASSERT_OK(bind1(fd, vm, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, code, 0, va_code, 4096));
	tl = syncobj_create(fd, 0);
	/* The data BO is bound asynchronously, signalling point 1 of tl... */
	memset(syncs, 0, sizeof(syncs));
	syncs[0].flags = DRM_PANTHOR_SYNC_OP_SIGNAL | TL;
	syncs[0].handle = tl;
	syncs[0].timeline_value = 1;
	T_ASSERT_OK(bind_async(fd, vm, data, va_data, 4096, syncs, 1));
	/* ...which the job waits for before storing through the mapping; it signals 2. */
	group = group_create(fd, vm);
	gs.group_handle = group;
	syncs[0].flags = DRM_PANTHOR_SYNC_OP_WAIT | TL;
	syncs[1] = syncs[0];
	syncs[1].flags = DRM_PANTHOR_SYNC_OP_SIGNAL | TL;
	syncs[1].timeline_value = 2;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs));

	/* The syncobj as an fd, imported by another file, waited there. */
	sh.handle = tl;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh));
	{
		struct drm_syncobj_handle imp = { .fd = sh.fd };

		T_ASSERT_OK(cl_ioctl(fd2, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp));
		T_ASSERT_OK(tl_wait(fd2, imp.handle, 2, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
				    now_ns() + 20ll * 1000000000ll));
	}
	T_ASSERT_EQ_INT(close(sh.fd), 0);
	T_ASSERT_EQ_INT(dp[0x40 / 4], 0x600df00d);
	T_ASSERT_EQ_U64(tl_query(fd, tl, 0), 2);
	st.group_handle = group;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &st));
	T_ASSERT_EQ_INT(st.state, 0);
	/* Groups are per file too. */
	T_ASSERT_ERRNO(cl_ioctl(fd2, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &st), EINVAL);
	T_ASSERT_OK(cl_munmap(cp, 4096));
	T_ASSERT_OK(cl_munmap((void *)dp, 4096));
	cl_close(fd2);
	cl_close(fd);
	cl_end();
}

/*
 * Run one job on a fresh group of @vm storing values[i] (32 bits) at
 * vas[i]; the stream is written at @code (CPU) / @code_va (GPU). Return:
 * the group's state once the job's fence has signalled.
 */
static uint32_t gpu_store(int fd, uint32_t vm, uint64_t *code, uint64_t code_va,
			  const uint64_t *vas, const uint32_t *values, unsigned int n)
{
	struct drm_panthor_sync_op sig = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
	};
	struct drm_panthor_queue_submit qs = {
		.stream_addr = code_va, .stream_size = 24 * n,
		.syncs = { .stride = sizeof(sig), .count = 1, .array = (uintptr_t)&sig },
	};
	struct drm_panthor_group_submit gs = {
		.queue_submits = { .stride = sizeof(qs), .count = 1, .array = (uintptr_t)&qs },
	};
	struct drm_panthor_group_get_state st = { 0 };

	for (unsigned int i = 0; i < n; i++) {
		code[3 * i] = CS_MOVE48(0, vas[i]);
		code[3 * i + 1] = CS_MOVE32(4, values[i]);
		code[3 * i + 2] = CS_STORE(4, 0, 1);
	}
	sig.handle = syncobj_create(fd, 0);
	gs.group_handle = group_create(fd, vm);
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs));
	T_ASSERT_OK(syncobj_wait(fd, &sig.handle, 1, 0, now_ns() + 20ll * 1000000000ll, NULL));
	st.group_handle = gs.group_handle;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &st));
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_GROUP_DESTROY,
			     &(struct drm_panthor_group_destroy){ .group_handle = gs.group_handle }));
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY,
			     &(struct drm_syncobj_destroy){ .handle = sig.handle }));
	return st.state;
}

T_TEST(gpu_view, "uapi/client/gpu-sees-huge-page-holes-and-sparse-replacements")
{
	const uint32_t MAP = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP;
	const uint32_t UNMAP = DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP;
	const uint32_t SPARSE = MAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE |
				DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC;
	const uint64_t code_va = MiB, va = 64 * MiB, sva = 128 * MiB;
	uint64_t size = 4 * MiB, csize = 4096, ssize = 64 << 10, *code;
	volatile uint32_t *p, *q;
	uint32_t vm, bo, cbo, sbo;
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	vm = vm_create(fd);
	cbo = bo_create(fd, &csize, 0);
	bo = bo_create(fd, &size, 0);
	sbo = bo_create(fd, &ssize, 0);
	code = bo_map(fd, cbo, csize);
	p = bo_map(fd, bo, size);
	q = bo_map(fd, sbo, ssize);
	T_ASSERT_OK(bind1(fd, vm, MAP, cbo, 0, code_va, csize));

	/* 2 MiB blocks with a 4 KiB hole punched at 1 MiB: both sides still map. */
	T_ASSERT_OK(bind1(fd, vm, MAP, bo, 0, va, size));
	T_ASSERT_OK(bind1(fd, vm, UNMAP, 0, 0, va + MiB, 4096));
	{
		const uint64_t vas[] = { va + MiB - 4, va + MiB + 4096, va + 3 * MiB };
		const uint32_t vals[] = { 0x11, 0x22, 0x33 };

		T_ASSERT_EQ_INT(gpu_store(fd, vm, code, code_va, vas, vals, 3), 0);
		T_ASSERT_EQ_INT(p[(MiB - 4) / 4], 0x11);
		T_ASSERT_EQ_INT(p[(MiB + 4096) / 4], 0x22);
		T_ASSERT_EQ_INT(p[3 * MiB / 4], 0x33);
	}
	/* Sparse over the whole next range, a real BO replacing 64 KiB of it. */
	T_ASSERT_OK(bind1(fd, vm, SPARSE, 0, 0, sva, 4 * MiB));
	T_ASSERT_OK(bind1(fd, vm, MAP, sbo, 0, sva + MiB, ssize));
	{
		const uint64_t vas[] = { sva + 8, sva + MiB + 8, sva + 3 * MiB };
		const uint32_t vals[] = { 0x44, 0x55, 0x66 };

		/* Writes to the sparse part land nowhere a client sees; no fault. */
		T_ASSERT_EQ_INT(gpu_store(fd, vm, code, code_va, vas, vals, 3), 0);
		T_ASSERT_EQ_INT(q[2], 0x55);
	}
	/* A store into the hole faults: the group is dead, the BO's page untouched. */
	{
		const uint64_t vas[] = { va + MiB + 64 };
		const uint32_t vals[] = { 0x77 };

		T_ASSERT(gpu_store(fd, vm, code, code_va, vas, vals, 1) &
			 DRM_PANTHOR_GROUP_STATE_FATAL_FAULT);
		T_ASSERT_EQ_INT(p[(MiB + 64) / 4], 0);
	}
	T_ASSERT_OK(cl_munmap(code, csize));
	T_ASSERT_OK(cl_munmap((void *)p, size));
	T_ASSERT_OK(cl_munmap((void *)q, ssize));
	cl_close(fd);
	cl_end();
}

struct fd_worker {
	int fa, fb;
	int errors;
};

/* Export, dup, import into the other file, signal there, wait here, close: many times. */
static void *fd_worker_main(void *arg)
{
	struct fd_worker *w = arg;

	for (int i = 0; i < 200; i++) {
		struct drm_syncobj_create c = { 0 };
		struct drm_syncobj_handle ex = { 0 }, im = { 0 };
		struct drm_syncobj_wait wt = { .count_handles = 1 };
		struct drm_syncobj_array sig = { .count_handles = 1 };
		int dupfd;

		if (cl_ioctl(w->fa, DRM_IOCTL_SYNCOBJ_CREATE, &c)) {
			w->errors++;
			continue;
		}
		ex.handle = c.handle;
		if (cl_ioctl(w->fa, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &ex)) {
			w->errors++;
			continue;
		}
		dupfd = dup(ex.fd);
		close(ex.fd);
		im.fd = dupfd;
		if (cl_ioctl(w->fb, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &im))
			w->errors++;
		close(dupfd);
		sig.handles = (uintptr_t)&im.handle;
		if (cl_ioctl(w->fb, DRM_IOCTL_SYNCOBJ_SIGNAL, &sig))
			w->errors++;
		wt.handles = (uintptr_t)&c.handle;
		if (cl_ioctl(w->fa, DRM_IOCTL_SYNCOBJ_WAIT, &wt))
			w->errors++;
		cl_ioctl(w->fb, DRM_IOCTL_SYNCOBJ_DESTROY,
			 &(struct drm_syncobj_destroy){ .handle = im.handle });
		cl_ioctl(w->fa, DRM_IOCTL_SYNCOBJ_DESTROY,
			 &(struct drm_syncobj_destroy){ .handle = c.handle });
	}
	return NULL;
}

T_TEST(fd_threads, "uapi/client/syncobj-fds-from-four-threads")
{
	struct fd_worker w[4];
	pthread_t th[4];
	int fa, fb;

	cl_begin();
	fa = cl_open("/dev/dri/renderD128");
	fb = cl_open("/dev/dri/renderD128");
	for (int i = 0; i < 4; i++) {
		w[i] = (struct fd_worker){ .fa = i & 1 ? fb : fa, .fb = i & 1 ? fa : fb };
		T_ASSERT_EQ_INT(pthread_create(&th[i], NULL, fd_worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		T_ASSERT_EQ_INT(pthread_join(th[i], NULL), 0);
		T_ASSERT_EQ_INT(w[i].errors, 0);
	}
	cl_close(fb);
	cl_close(fa);
	cl_end();
}

T_TEST(sync_only, "uapi/client/vm-bind-sync-only-ops")
{
	const uint32_t SYNC_ONLY = DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY;
	struct drm_panthor_sync_op s = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
	};
	struct drm_panthor_vm_bind_op op = {
		.flags = SYNC_ONLY,
		.syncs = { .stride = sizeof(s), .count = 1, .array = (uintptr_t)&s },
	};
	struct drm_panthor_vm_bind b = {
		.flags = DRM_PANTHOR_VM_BIND_ASYNC,
		.ops = { .stride = sizeof(op), .count = 1, .array = (uintptr_t)&op },
	};
	int fd;

	cl_begin();
	fd = cl_open("/dev/dri/renderD128");
	b.vm_id = vm_create(fd);
	s.handle = syncobj_create(fd, 0);
	/* A SYNC_ONLY op just signals, once the VM's earlier binds are done. */
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b));
	T_ASSERT_OK(syncobj_wait(fd, &s.handle, 1, 0, now_ns() + 20ll * 1000000000ll, NULL));
	/* It takes no BO, offset, VA, size or flags, and needs a sync. */
	op.va = MiB;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	op.va = 0;
	op.size = 4096;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	op.size = 0;
	op.bo_handle = 1;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	op.bo_handle = 0;
	op.flags = SYNC_ONLY | DRM_PANTHOR_VM_BIND_OP_MAP_READONLY;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	op.flags = SYNC_ONLY;
	op.syncs.count = 0;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	/*
	 * Synchronously: syncs are refused before anything else, then a size
	 * of 0 is a no-op whatever the type (the kernel's sync path).
	 */
	b.flags = 0;
	T_ASSERT_OK(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b));
	op.syncs.count = 1;
	T_ASSERT_ERRNO(cl_ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), EINVAL);
	cl_close(fd);
	cl_end();
}
