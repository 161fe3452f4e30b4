// SPDX-License-Identifier: MIT
/*
 * DOC: the mock backend of the shim tests
 *
 * A minimal implementation of include/pantomime/pantomime.h, linked with
 * the shim into libpantomime-shim-mock.so so the shim can be built and
 * tested before the driver exists. It follows the API's contract where the
 * shim can observe it: the ioctl argument is user memory (read and written
 * with the u_uaccess copies, never beyond _IOC_SIZE), errors are negative
 * errnos, DRM_IOCTL_VERSION follows the kernel's string rules (the length
 * fields get the full lengths, at most the given length is copied, no NUL).
 *
 * Implemented: VERSION (panthor 1.9.0), GET_CAP (PRIME, SYNCOBJ,
 * SYNCOBJ_TIMELINE; others -EINVAL), PANTHOR_DEV_QUERY of GPU_INFO (fixed
 * G610-like values), PANTHOR_BO_CREATE and PANTHOR_BO_MMAP_OFFSET (fake
 * offset = handle << 32) with mmap() of anonymous shared memory, and the
 * private DRM_IOCTL_PANTOMIME_MOCK_INFO (mock_ioctl.h). Everything else is
 * -ENOTTY. The "checker" reports only violations added by MOCK_INFO.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "pantomime/pantomime.h"
#include "uapi/drm/panthor_drm.h"
#include "util/u_alloc.h"
#include "util/u_log.h"
#include "util/u_parse.h"
#include "util/u_uaccess.h"
#include "mock_ioctl.h"

#define MOCK_MAX_BOS 256
#define MOCK_MAX_MAPS 256

struct mock_bo {
	uint32_t handle;	/* 0: free slot */
	uint64_t size;
};

struct mock_map {
	uintptr_t start;	/* 0: free slot */
	size_t len;
};

struct pantomime_device {
	struct pantomime_config cfg;
	pthread_mutex_t lock;	/* protects everything below */
	uint32_t files_opened, files_closed, next_handle;
	uint64_t ioctls, mmaps, munmaps, violations;
	struct mock_bo bos[MOCK_MAX_BOS];
	struct mock_map maps[MOCK_MAX_MAPS];
};

struct pantomime_file {
	struct pantomime_device *dev;
	bool render;
};

/* pantomime_munmap()/is_mapping() take no device: the mock has only one. */
static struct pantomime_device *mock_dev;

void pantomime_config_default(struct pantomime_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory_bytes = 1ull << 30;
	cfg->tlb_entries = 64;
	cfg->checker = PANTOMIME_CHECKER_COUNT;
}

int pantomime_config_from_env(struct pantomime_config *cfg)
{
	struct pantomime_config c = *cfg;
	const char *v;

	if ((v = getenv("PANTOMIME_MEMORY")) && u_parse_size(v, &c.memory_bytes))
		goto bad_memory;
	if ((v = getenv("PANTOMIME_SWAP")) && u_parse_size(v, &c.swap_bytes))
		goto bad_swap;
	if ((v = getenv("PANTOMIME_CHECKER"))) {
		if (!strcmp(v, "off"))
			c.checker = PANTOMIME_CHECKER_OFF;
		else if (!strcmp(v, "count"))
			c.checker = PANTOMIME_CHECKER_COUNT;
		else if (!strcmp(v, "abort"))
			c.checker = PANTOMIME_CHECKER_ABORT;
		else
			goto bad_checker;
	}
	if ((v = getenv("PANTOMIME_FAULT")))
		c.fault_spec = v;
	*cfg = c;
	return 0;

bad_memory:
	u_err("mock", "PANTOMIME_MEMORY=%s: not a size", v);
	return -EINVAL;
bad_swap:
	u_err("mock", "PANTOMIME_SWAP=%s: not a size", v);
	return -EINVAL;
bad_checker:
	u_err("mock", "PANTOMIME_CHECKER=%s: expected off, count or abort", v);
	return -EINVAL;
}

int pantomime_device_create(const struct pantomime_config *cfg, struct pantomime_device **out)
{
	struct pantomime_device *dev = u_zalloc(sizeof(*dev));

	if (!dev)
		return -ENOMEM;
	dev->cfg = *cfg;
	dev->next_handle = 1;
	pthread_mutex_init(&dev->lock, NULL);
	mock_dev = dev;
	*out = dev;
	return 0;
}

void pantomime_device_destroy(struct pantomime_device *dev)
{
	mock_dev = NULL;
	pthread_mutex_destroy(&dev->lock);
	u_free(dev);
}

int pantomime_file_open(struct pantomime_device *dev, bool render, struct pantomime_file **out)
{
	struct pantomime_file *file = u_zalloc(sizeof(*file));

	if (!file)
		return -ENOMEM;
	file->dev = dev;
	file->render = render;
	pthread_mutex_lock(&dev->lock);
	dev->files_opened++;
	pthread_mutex_unlock(&dev->lock);
	*out = file;
	return 0;
}

void pantomime_file_close(struct pantomime_file *file)
{
	struct pantomime_device *dev = file->dev;

	pthread_mutex_lock(&dev->lock);
	dev->files_closed++;
	pthread_mutex_unlock(&dev->lock);
	u_free(file);
}

/* The kernel's drm_copy_field(): full length out, at most *len bytes copied, no NUL. */
static int copy_field(char *ubuf, __kernel_size_t *len, const char *value)
{
	size_t full = strlen(value), n = full < *len ? full : *len;

	*len = full;
	if (n && ubuf && u_copy_to_user(ubuf, value, n))
		return -EFAULT;
	return 0;
}

static int mock_version(void *arg)
{
	struct drm_version v;
	int ret;

	if (u_copy_from_user(&v, arg, sizeof(v)))
		return -EFAULT;
	v.version_major = 1;
	v.version_minor = 9;
	v.version_patchlevel = 0;
	ret = copy_field(v.name, &v.name_len, "panthor");
	ret = ret ?: copy_field(v.date, &v.date_len, "20240229");
	ret = ret ?: copy_field(v.desc, &v.desc_len, "Panthor DRM driver (pantomime mock)");
	if (u_copy_to_user(arg, &v, sizeof(v)))
		return -EFAULT;
	return ret;
}

static int mock_get_cap(void *arg)
{
	struct drm_get_cap cap;
	int ret = 0;

	if (u_copy_from_user(&cap, arg, sizeof(cap)))
		return -EFAULT;
	switch (cap.capability) {
	case DRM_CAP_PRIME:
		cap.value = DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT;
		break;
	case DRM_CAP_SYNCOBJ:
	case DRM_CAP_SYNCOBJ_TIMELINE:
		cap.value = 1;
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (!ret && u_copy_to_user(arg, &cap, sizeof(cap)))
		return -EFAULT;
	return ret;
}

static int mock_dev_query(void *arg)
{
	struct drm_panthor_dev_query q;
	struct drm_panthor_gpu_info info;
	size_t n;

	if (u_copy_from_user(&q, arg, sizeof(q)))
		return -EFAULT;
	if (q.type != DRM_PANTHOR_DEV_QUERY_GPU_INFO)
		return -EINVAL;
	if (!q.pointer) {
		q.size = sizeof(info);
		return u_copy_to_user(arg, &q, sizeof(q)) ? -EFAULT : 0;
	}
	memset(&info, 0, sizeof(info));
	info.gpu_id = 0xa8670000;	/* G610 */
	info.csf_id = 0x40a0412;
	info.l2_features = 0x7120306;
	info.tiler_features = 0x809;
	info.mem_features = 0x301;
	info.mmu_features = 0x2830;
	info.thread_features = 0x4010000;
	info.max_threads = 2048;
	info.thread_max_workgroup_size = 1024;
	info.thread_max_barrier_size = 1024;
	info.texture_features[0] = 0xc1ffff9e;
	info.as_present = 0xff;
	info.shader_present = 0x50005;
	info.l2_present = 1;
	info.tiler_present = 1;
	/* The extension rule: copy what both sides know, zero the user's extra tail. */
	n = q.size < sizeof(info) ? q.size : sizeof(info);
	if (u_copy_to_user((void *)(uintptr_t)q.pointer, &info, n))
		return -EFAULT;
	if (q.size > sizeof(info) &&
	    u_clear_user((char *)(uintptr_t)q.pointer + sizeof(info), q.size - sizeof(info)))
		return -EFAULT;
	return 0;
}

static int mock_bo_create(struct pantomime_device *dev, void *arg)
{
	struct drm_panthor_bo_create c;
	int ret = -ENOMEM;

	if (u_copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	if (!c.size)
		return -EINVAL;
	c.size = U_ALIGN_UP(c.size, SZ_4K);
	pthread_mutex_lock(&dev->lock);
	for (unsigned int i = 0; i < MOCK_MAX_BOS; i++) {
		if (!dev->bos[i].handle) {
			dev->bos[i].handle = c.handle = dev->next_handle++;
			dev->bos[i].size = c.size;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	if (!ret && u_copy_to_user(arg, &c, sizeof(c)))
		return -EFAULT;
	return ret;
}

static struct mock_bo *find_bo_locked(struct pantomime_device *dev, uint32_t handle)
{
	for (unsigned int i = 0; handle && i < MOCK_MAX_BOS; i++)
		if (dev->bos[i].handle == handle)
			return &dev->bos[i];
	return NULL;
}

static int mock_bo_mmap_offset(struct pantomime_device *dev, void *arg)
{
	struct drm_panthor_bo_mmap_offset m;
	bool found;

	if (u_copy_from_user(&m, arg, sizeof(m)))
		return -EFAULT;
	pthread_mutex_lock(&dev->lock);
	found = find_bo_locked(dev, m.handle);
	pthread_mutex_unlock(&dev->lock);
	if (!found)
		return -ENOENT;
	m.offset = (uint64_t)m.handle << 32;
	return u_copy_to_user(arg, &m, sizeof(m)) ? -EFAULT : 0;
}

static int mock_info(struct pantomime_file *file, void *arg)
{
	struct pantomime_device *dev = file->dev;
	struct pantomime_mock_info mi;
	uint64_t mapped = 0;

	if (u_copy_from_user(&mi, arg, sizeof(mi)))
		return -EFAULT;
	pthread_mutex_lock(&dev->lock);
	dev->violations += mi.add_violations;
	for (unsigned int i = 0; i < MOCK_MAX_MAPS; i++)
		mapped += dev->maps[i].len;
	mi.files_opened = dev->files_opened;
	mi.files_closed = dev->files_closed;
	mi.render = file->render;
	mi.ioctls = dev->ioctls;
	mi.mmaps = dev->mmaps;
	mi.munmaps = dev->munmaps;
	mi.mapped_bytes = mapped;
	pthread_mutex_unlock(&dev->lock);
	return u_copy_to_user(arg, &mi, sizeof(mi)) ? -EFAULT : 0;
}

int pantomime_ioctl(struct pantomime_file *file, unsigned long request, void *arg)
{
	struct pantomime_device *dev = file->dev;

	__atomic_fetch_add(&dev->ioctls, 1, __ATOMIC_RELAXED);
	switch (request) {
	case DRM_IOCTL_VERSION:
		return mock_version(arg);
	case DRM_IOCTL_GET_CAP:
		return mock_get_cap(arg);
	case DRM_IOCTL_PANTHOR_DEV_QUERY:
		return mock_dev_query(arg);
	case DRM_IOCTL_PANTHOR_BO_CREATE:
		return mock_bo_create(dev, arg);
	case DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET:
		return mock_bo_mmap_offset(dev, arg);
	case DRM_IOCTL_PANTOMIME_MOCK_INFO:
		return mock_info(file, arg);
	default:
		return -ENOTTY;
	}
}

int pantomime_mmap(struct pantomime_file *file, void *addr, size_t len, int prot, int flags,
		   uint64_t offset, void **out)
{
	struct pantomime_device *dev = file->dev;
	struct mock_bo *bo;
	void *p;
	int ret = -ENOMEM;

	if (!(flags & MAP_SHARED) || (offset & 0xffffffffull))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	bo = find_bo_locked(dev, (uint32_t)(offset >> 32));
	if (!bo || !len || len > bo->size) {
		pthread_mutex_unlock(&dev->lock);
		return -EINVAL;
	}
	pthread_mutex_unlock(&dev->lock);

	p = mmap(addr, len, prot, MAP_SHARED | MAP_ANONYMOUS | (flags & MAP_FIXED), -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	pthread_mutex_lock(&dev->lock);
	for (unsigned int i = 0; i < MOCK_MAX_MAPS; i++) {
		if (!dev->maps[i].start) {
			dev->maps[i].start = (uintptr_t)p;
			dev->maps[i].len = U_ALIGN_UP(len, SZ_4K);
			dev->mmaps++;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	if (ret) {
		munmap(p, len);
		return ret;
	}
	*out = p;
	return 0;
}

int pantomime_munmap(void *addr, size_t len)
{
	struct pantomime_device *dev = mock_dev;
	uintptr_t start = (uintptr_t)addr, end = start + U_ALIGN_UP(len, SZ_4K);
	bool found = false;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	/* Whole or partial: trim every recorded map the range touches. */
	for (unsigned int i = 0; i < MOCK_MAX_MAPS; i++) {
		struct mock_map *m = &dev->maps[i];
		uintptr_t ms = m->start, me = m->start + m->len;

		if (!ms || me <= start || ms >= end)
			continue;
		found = true;
		if (start <= ms && end >= me)
			m->start = 0, m->len = 0;
		else if (start <= ms)
			m->len = me - end, m->start = end;
		else
			m->len = start - ms;	/* a middle hole loses its tail: good enough */
	}
	if (found)
		dev->munmaps++;
	pthread_mutex_unlock(&dev->lock);
	if (!found)
		return -EINVAL;
	return munmap(addr, len) ? -errno : 0;
}

bool pantomime_is_mapping(const void *addr, size_t len)
{
	struct pantomime_device *dev = mock_dev;
	uintptr_t start = (uintptr_t)addr, end = start + len;
	bool hit = false;

	if (!dev)
		return false;
	pthread_mutex_lock(&dev->lock);
	for (unsigned int i = 0; i < MOCK_MAX_MAPS && !hit; i++)
		hit = dev->maps[i].start && dev->maps[i].start < end &&
		      dev->maps[i].start + dev->maps[i].len > start;
	pthread_mutex_unlock(&dev->lock);
	return hit;
}

/* The mock exports no dma-buf: no descriptor is its own. */
int pantomime_fd_ioctl(int fd, unsigned long request, void *arg)
{
	return -ENOTTY;
}

bool pantomime_fd_is_ours(int fd)
{
	return false;
}

int pantomime_fd_mmap(int fd, size_t len, int prot, int flags, uint64_t offset, void **out)
{
	return -ENODEV;
}

int pantomime_dump(struct pantomime_device *dev, enum pantomime_view view, FILE *out)
{
	pthread_mutex_lock(&dev->lock);
	switch (view) {
	case PANTOMIME_VIEW_STATS:
		fprintf(out, "mock stats: files opened %u closed %u, ioctls %llu, mmaps %llu\n",
			dev->files_opened, dev->files_closed,
			(unsigned long long)dev->ioctls, (unsigned long long)dev->mmaps);
		break;
	case PANTOMIME_VIEW_CHECKER:
		for (uint64_t i = 0; i < dev->violations; i++)
			fprintf(out, "mock checker: violation %llu (injected by the test)\n",
				(unsigned long long)i + 1);
		break;
	case PANTOMIME_VIEW_GEMS:
	case PANTOMIME_VIEW_VMS:
	case PANTOMIME_VIEW_PGTABLES:
		break;
	default:
		pthread_mutex_unlock(&dev->lock);
		return -EINVAL;
	}
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

void pantomime_get_stats(struct pantomime_device *dev, struct pantomime_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&dev->lock);
	st->checker_violations = dev->violations;
	pthread_mutex_unlock(&dev->lock);
}

/* The mock has no driver and no model: nothing emits trace events. */
void pantomime_trace_set(pantomime_trace_fn fn, void *cookie)
{
}
