// SPDX-License-Identifier: MIT
/*
 * ioctl on a device fd as the kernel answers it: -1 and errno, the struct
 * written back (also on failure), never past _IOC_SIZE, EFAULT for bad
 * pointers (NULL, wild, unmapped, read-only, straddling a hole) at the top
 * level and inside the struct; and mmap/munmap of BOs routed to the
 * backend while other mappings go to the kernel.
 */
#include <pthread.h>
#include <sys/mman.h>

#include <drm.h>

#include "uapi/drm/panthor_drm.h"
#include "shim_test.h"

static size_t pg(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Two pages: the first read-write, the second with @prot2 (-1: unmapped). */
static char *two_pages(int prot2)
{
	char *p = mmap(NULL, 2 * pg(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(p != MAP_FAILED);
	if (prot2 < 0)
		T_ASSERT_EQ_INT(munmap(p + pg(), pg()), 0);
	else
		T_ASSERT_EQ_INT(mprotect(p + pg(), pg(), prot2), 0);
	return p;
}

T_TEST(errno_convention, "shim/ioctl/minus-one-and-errno")
{
	struct drm_get_cap cap;
	int fd;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/card0");
	/* Unknown request: ENOTTY. */
	errno = 0;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOWR(0x9e, struct drm_get_cap), &cap), -1);
	T_ASSERT_EQ_INT(errno, ENOTTY);
	T_ASSERT_EQ_INT(ioctl(fd, _IO('T', 1)), -1);
	T_ASSERT_EQ_INT(errno, ENOTTY);
	/* A handler's error: -1 and errno, not a negative return. */
	memset(&cap, 0, sizeof(cap));
	cap.capability = 0x7777;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_GET_CAP, &cap), -1);
	T_ASSERT_EQ_INT(errno, EINVAL);
	cap.capability = DRM_CAP_SYNCOBJ_TIMELINE;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_GET_CAP, &cap), 0);
	T_ASSERT_EQ_INT(cap.value, 1);
	close(fd);
}

T_TEST(version_strings, "shim/ioctl/version-string-rules")
{
	struct drm_version v;
	char name[16];
	int fd;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/renderD128");
	/* First call with zero lengths: lengths only (drmGetVersion's first pass). */
	memset(&v, 0, sizeof(v));
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, &v), 0);
	T_ASSERT_EQ_INT(v.name_len, 7);
	T_ASSERT_GT_INT(v.desc_len, 0);
	T_ASSERT_EQ_INT(v.version_major, 1);
	T_ASSERT_EQ_INT(v.version_minor, 9);
	/* A short buffer gets a prefix and no NUL; the length is the full one. */
	memset(name, 'x', sizeof(name));
	v.name = name;
	v.name_len = 3;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, &v), 0);
	T_ASSERT(!memcmp(name, "panx", 4));
	T_ASSERT_EQ_INT(v.name_len, 7);
	close(fd);
}

T_TEST(efault_top_level, "shim/ioctl/efault-argument-pointer")
{
	struct drm_version *v;
	char *p;
	int fd;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/card0");
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, NULL), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, (void *)(uintptr_t)0xdead0000ull), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);

	/* A struct that runs into an unmapped page. */
	p = two_pages(-1);
	v = (struct drm_version *)(p + pg() - 16);
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, v), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	munmap(p, pg());

	/* A read-only struct: read in fine, the write-back faults. */
	p = two_pages(PROT_READ);
	v = (struct drm_version *)(p + pg());
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, v), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	/* PROT_NONE: not even readable. */
	T_ASSERT_EQ_INT(mprotect(p + pg(), pg(), PROT_NONE), 0);
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_GET_CAP, p + pg()), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);

	/* A struct ending exactly at the hole is fine: nothing beyond _IOC_SIZE is touched. */
	struct drm_get_cap *cap = (struct drm_get_cap *)(p + pg() - sizeof(*cap));

	cap->capability = DRM_CAP_PRIME;
	cap->value = 0;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_GET_CAP, cap), 0);
	T_ASSERT_EQ_INT(cap->value, DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT);
	munmap(p, 2 * pg());
	close(fd);
}

T_TEST(efault_nested, "shim/ioctl/efault-pointer-inside-the-struct")
{
	struct drm_panthor_dev_query q;
	struct drm_panthor_gpu_info info;
	struct drm_version v;
	char *p;
	int fd;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/card0");
	/* VERSION with a wild name buffer: EFAULT, and the lengths still come back. */
	memset(&v, 0, sizeof(v));
	v.name = (char *)(uintptr_t)0xdead0000ull;
	v.name_len = 16;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, &v), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	T_ASSERT_EQ_INT(v.name_len, 7);

	/* DEV_QUERY into a read-only result buffer. */
	p = two_pages(PROT_READ);
	memset(&q, 0, sizeof(q));
	q.type = DRM_PANTHOR_DEV_QUERY_GPU_INFO;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), 0);
	T_ASSERT_EQ_INT(q.size, sizeof(info));
	q.pointer = (uintptr_t)(p + pg());
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	/* Straddling into it: the part before the hole was written. */
	memset(p, 0, pg());
	q.pointer = (uintptr_t)(p + pg() - 8);
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);
	T_ASSERT_EQ_INT(*(uint32_t *)(p + pg() - 8), 0xa8670000);
	/* A good buffer. */
	q.pointer = (uintptr_t)&info;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q), 0);
	T_ASSERT_EQ_INT(info.gpu_id, 0xa8670000);
	T_ASSERT_EQ_INT(info.as_present, 0xff);
	munmap(p, 2 * pg());
	close(fd);
}

/* A handler that stores a SIGSEGV handler later must not turn EFAULT into a crash. */
static volatile sig_atomic_t app_handler_ran;

static void app_segv(int sig)
{
	app_handler_ran = 1;
	_exit(42);
}

static void scenario_app_handler(void)
{
	struct sigaction sa, old;
	int fd = open("/dev/dri/card0", O_RDWR);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = app_segv;
	if (fd < 0 || sigaction(SIGSEGV, &sa, &old))
		exit(50);
	if (signal(SIGBUS, app_segv) == SIG_ERR)
		exit(51);
	/* The program sees the action it set. */
	if (sigaction(SIGSEGV, NULL, &old) || old.sa_handler != app_segv)
		exit(52);
	if (ioctl(fd, DRM_IOCTL_VERSION, (void *)16) != -1 || errno != EFAULT)
		exit(53);
	/* A real crash still reaches the program's handler. */
	*(volatile int *)(uintptr_t)(app_handler_ran + 16) = 1;
	exit(54);
}

SHIM_SCENARIOS({ "app-handler", scenario_app_handler })

T_TEST(app_segv_handler, "shim/ioctl/efault-survives-program-segv-handler")
{
	char err[1024];
	int st;

	shim_test_require_preload();
	st = shim_test_run_self("app-handler", NULL, err, sizeof(err));
	T_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 42, "status 0x%x, stderr %s", st, err);
}

/* ---- mmap / munmap ------------------------------------------------------- */

static uint64_t bo_offset(int fd, uint64_t size, uint32_t *handle)
{
	struct drm_panthor_bo_create c = { .size = size };
	struct drm_panthor_bo_mmap_offset m;

	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &c), 0);
	T_ASSERT_NE_INT(c.handle, 0);
	T_ASSERT_EQ_U64(c.size, (size + 4095) & ~4095ull);
	memset(&m, 0, sizeof(m));
	m.handle = c.handle;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &m), 0);
	if (handle)
		*handle = c.handle;
	return m.offset;
}

T_TEST(mmap_routing, "shim/ioctl/mmap-munmap-routing")
{
	struct pantomime_mock_info before, mi;
	uint64_t off;
	char *p, *anon;
	int fd;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/card0");
	off = bo_offset(fd, 5 * 4096, NULL);
	before = shim_test_info(fd);

	/* 8 reserved pages, the BO mapped over the first 4 (MAP_FIXED). */
	anon = mmap(NULL, 8 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(anon != MAP_FAILED);
	p = mmap(anon, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, (off_t)off);
	T_ASSERT_EQ_PTR(p, anon);
	memset(p, 0x5a, 4 * 4096);
	mi = shim_test_info(fd);
	T_ASSERT_EQ_U64(mi.mmaps, before.mmaps + 1);
	T_ASSERT_EQ_U64(mi.mapped_bytes, before.mapped_bytes + 4 * 4096);

	/* Other mappings go to the kernel, whatever happens around them. */
	anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(anon != MAP_FAILED);
	T_ASSERT_EQ_INT(munmap(anon, 4096), 0);
	T_ASSERT_EQ_U64(shim_test_info(fd).munmaps, before.munmaps);

	/* Partial munmap: the backend hears of that piece only. */
	T_ASSERT_EQ_INT(munmap(p + 3 * 4096, 4096), 0);
	mi = shim_test_info(fd);
	T_ASSERT_EQ_U64(mi.munmaps, before.munmaps + 1);
	T_ASSERT_EQ_U64(mi.mapped_bytes, before.mapped_bytes + 3 * 4096);
	T_ASSERT_EQ_INT(p[0], 0x5a);
	/* A munmap covering the rest, the hole and the reservation after it. */
	T_ASSERT_EQ_INT(munmap(p, 8 * 4096), 0);
	mi = shim_test_info(fd);
	T_ASSERT_EQ_U64(mi.munmaps, before.munmaps + 2);
	T_ASSERT_EQ_U64(mi.mapped_bytes, before.mapped_bytes);

	/* The backend's errors: -1 and errno as mmap(2). */
	T_ASSERT(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, (off_t)off) == MAP_FAILED);
	T_ASSERT_EQ_INT(errno, EINVAL);
	T_ASSERT(mmap(NULL, 6 * 4096, PROT_READ, MAP_SHARED, fd, (off_t)off) == MAP_FAILED);
	T_ASSERT_EQ_INT(errno, EINVAL);
	T_ASSERT(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 77ll << 32) == MAP_FAILED);
	T_ASSERT_EQ_INT(errno, EINVAL);
	close(fd);
}

T_TEST(mmap_fixed_over_bo, "shim/ioctl/map-fixed-over-a-bo-mapping")
{
	struct pantomime_mock_info before, mi;
	uint64_t off;
	char *p, *q;
	int fd;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/card0");
	off = bo_offset(fd, 2 * 4096, NULL);
	before = shim_test_info(fd);
	p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	T_ASSERT(p != MAP_FAILED);
	/* Anonymous memory mapped over the BO's second page replaces it. */
	q = mmap(p + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	T_ASSERT_EQ_PTR(q, p + 4096);
	mi = shim_test_info(fd);
	T_ASSERT_EQ_U64(mi.munmaps, before.munmaps + 1);
	T_ASSERT_EQ_U64(mi.mapped_bytes, before.mapped_bytes + 4096);
	/* Unmapping both pages: the BO page through the backend, the other directly. */
	T_ASSERT_EQ_INT(munmap(p, 2 * 4096), 0);
	mi = shim_test_info(fd);
	T_ASSERT_EQ_U64(mi.mapped_bytes, before.mapped_bytes);
	close(fd);
}

struct mt_arg {
	int fd;
	int errors;
};

static void *mt_worker(void *p)
{
	struct mt_arg *a = p;

	for (int i = 0; i < 3000; i++) {
		struct drm_version v;
		int d = dup(a->fd);

		memset(&v, 0, sizeof(v));
		if (ioctl(d, DRM_IOCTL_VERSION, &v) || v.name_len != 7)
			a->errors++;
		if (ioctl(d, DRM_IOCTL_VERSION, (void *)8) != -1 || errno != EFAULT)
			a->errors++;
		if (i % 64 == 0) {
			uint64_t off = 0;
			struct drm_panthor_bo_create c = { .size = 4096 };
			struct drm_panthor_bo_mmap_offset m = { 0 };

			if (ioctl(d, DRM_IOCTL_PANTHOR_BO_CREATE, &c) == 0) {
				m.handle = c.handle;
				if (!ioctl(d, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &m))
					off = m.offset;
			}
			char *map = off ? mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, d,
					       (off_t)off) : MAP_FAILED;

			if (map == MAP_FAILED || munmap(map, 4096))
				a->errors++;
		}
		close(d);
	}
	return NULL;
}

T_TEST(threads, "shim/ioctl/threads-dup-ioctl-fault-close")
{
	struct mt_arg args[4];
	pthread_t th[4];
	int fd;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/card0");
	for (int i = 0; i < 4; i++) {
		args[i].fd = fd;
		args[i].errors = 0;
		T_ASSERT_EQ_INT(pthread_create(&th[i], NULL, mt_worker, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_ASSERT_EQ_INT(args[i].errors, 0);
	}
	struct pantomime_mock_info mi = shim_test_info(fd);

	T_ASSERT_EQ_INT(mi.files_opened, mi.files_closed + 1);
	close(fd);
}
