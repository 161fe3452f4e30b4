// SPDX-License-Identifier: MIT
/*
 * The ioctl layer: include/pantomime/pantomime.h over the driver.
 *
 * Request decoding follows the DRM core's rules: the request's type must be
 * 'd'; the number selects a core or a driver ioctl; the argument is copied
 * in for _IOC_SIZE(request) bytes and zero-extended to the driver's struct
 * size (a larger user struct is truncated), and copied back for the user's
 * size. A DRM number without a handler gives -EINVAL (as drm_ioctl()), a
 * request of another type -ENOTTY (pantomime.h). The GROUP_* ioctls copy
 * their arrays in and call panthor_sched.c; TILER_HEAP_* call
 * panthor_heap.c.
 *
 * CPU mappings of BOs are lazy (panthor_gem_mmap(): a userfaultfd range
 * whose pages the BO's fault handler fills on first touch, and which
 * eviction takes away again); without userfaultfd they are populated at
 * mmap time and the BO is not evicted while mapped. The user MMIO flush-ID
 * page is the model's flush-ID page (hw_flush_id_page_fd()) mapped shared
 * and read-only: its first word is LATEST_FLUSH_ID, live.
 *
 * PRIME: a BO is exported as a dma-buf descriptor (src/dma/dma_buf.c);
 * importing one of our own exports gives the same BO back (the same handle
 * in the same file); a dma-buf of another pantomime device of the process
 * becomes an imported BO showing the exporter's frames (BO_QUERY_INFO says
 * DRM_PANTHOR_BO_IS_IMPORTED; never reclaimed).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>

#include "pantomime/pantomime.h"
#include "uapi/drm/panthor_drm.h"

#include "dma/dma_buf.h"
#include "dma/dma_fence.h"
#include "dma/sync_file.h"
#include "dma/syncobj.h"
#include "hw/hw.h"
#include "hw/hw_regs.h"
#include "mm/mm.h"
#include "panthor/panthor_debug.h"
#include "panthor/panthor_device.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_heap.h"
#include "panthor/panthor_mmu.h"
#include "pgtable/pgtable.h"
#include "panthor/panthor_sched.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_fault.h"
#include "util/u_log.h"
#include "util/u_parse.h"
#include "util/u_trace.h"
#include "util/u_uaccess.h"

/* The shim builds this with hidden visibility: only its libc names are exported. */
#define API_EXPORT
#define MOD "drv"

#define PANTOMIME_DRV_MAJOR 1
#define PANTOMIME_DRV_MINOR 9
#define PANTOMIME_DRV_PATCH 0
#define PANTOMIME_DRV_DATE "20230801"
#define PANTOMIME_DRV_DESC "Panthor DRM driver"

/* kmalloc()'s largest block with 4 KiB pages (KMALLOC_MAX_SIZE). */
#define KMALLOC_MAX_SIZE (4ull << 20)

/* First fake mmap offset (the DRM core's DRM_FILE_PAGE_OFFSET_START in bytes). */
#define FAKE_OFFSET_START (0x100000ull << 12)
#define PAGE_4K 4096ull

struct pantomime_device {
	struct panthor_device *ptdev;
	struct hw_config hw;
	uint64_t next_offset;
	pthread_mutex_t lock;
	unsigned int nr_files;
	struct pantomime_file **files;
	unsigned int files_cap;
	struct pantomime_file *master;
};

/* A fake offset handed out by BO_MMAP_OFFSET (one per BO and file). */
struct fake_offset {
	uint64_t offset;
	struct panthor_gem_object *bo;
};

struct pantomime_file {
	struct pantomime_device *dev;
	struct panthor_file *pfile;
	bool render;
	uint64_t user_mmio_offset;
	pthread_mutex_t lock;
	struct fake_offset *offs;
	unsigned int nr_offs;
	bool is_master;
};

/* A live CPU mapping (the global registry pantomime_munmap() looks in). */
struct cpu_mapping {
	uint8_t *addr;
	size_t len;
	size_t mapped;		/* bytes not yet munmapped */
	struct panthor_gem_cpumap *gmap;	/* NULL for the flush-ID page */
	struct cpu_mapping *next;
};

static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cpu_mapping *maps;
/* Serialises exports, so a BO has at most one live dma-buf. */
static pthread_mutex_t prime_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ config */

API_EXPORT void pantomime_config_default(struct pantomime_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory_bytes = 1ull << 30;
	cfg->swap_bytes = 0;
	cfg->tlb_entries = 64;
	cfg->checker = PANTOMIME_CHECKER_COUNT;
	cfg->fault_spec = NULL;
	cfg->coherent = false;
	cfg->gpu_nice = HW_QUEUE_NICE_DEFAULT;
}

API_EXPORT int pantomime_config_from_env(struct pantomime_config *cfg)
{
	struct pantomime_config c = *cfg;
	const char *v;
	uint64_t n;

	v = getenv("PANTOMIME_MEMORY");
	if (v && *v) {
		if (u_parse_size(v, &n) || !n) {
			u_err(MOD, "PANTOMIME_MEMORY: bad size '%s'", v);
			return -EINVAL;
		}
		c.memory_bytes = n;
	}
	v = getenv("PANTOMIME_SWAP");
	if (v && *v) {
		if (u_parse_size(v, &n)) {
			u_err(MOD, "PANTOMIME_SWAP: bad size '%s'", v);
			return -EINVAL;
		}
		c.swap_bytes = n;
	}
	v = getenv("PANTOMIME_TLB");
	if (v && *v) {
		char *end;
		unsigned long t;

		errno = 0;
		t = strtoul(v, &end, 0);
		if (errno || *end || t > UINT32_MAX || *v == '-') {
			u_err(MOD, "PANTOMIME_TLB: bad number '%s'", v);
			return -EINVAL;
		}
		c.tlb_entries = (uint32_t)t;
	}
	v = getenv("PANTOMIME_CHECKER");
	if (v && *v) {
		if (!strcmp(v, "off"))
			c.checker = PANTOMIME_CHECKER_OFF;
		else if (!strcmp(v, "count"))
			c.checker = PANTOMIME_CHECKER_COUNT;
		else if (!strcmp(v, "abort"))
			c.checker = PANTOMIME_CHECKER_ABORT;
		else {
			u_err(MOD, "PANTOMIME_CHECKER: expected off, count or abort, not '%s'", v);
			return -EINVAL;
		}
	}
	v = getenv("PANTOMIME_FAULT");
	if (v && *v)
		c.fault_spec = v;
	v = getenv("PANTOMIME_COHERENT");
	if (v && *v) {
		if (!strcmp(v, "0"))
			c.coherent = false;
		else if (!strcmp(v, "1"))
			c.coherent = true;
		else {
			u_err(MOD, "PANTOMIME_COHERENT: expected 0 or 1, not '%s'", v);
			return -EINVAL;
		}
	}
	v = getenv("PANTOMIME_JOB_TIMEOUT_MS");
	if (v && *v) {
		char *end;
		unsigned long ms;

		errno = 0;
		ms = strtoul(v, &end, 0);
		if (errno || *end || ms > UINT32_MAX || *v == '-') {
			u_err(MOD, "PANTOMIME_JOB_TIMEOUT_MS: bad number '%s'", v);
			return -EINVAL;
		}
		c.job_timeout_ms = (uint32_t)ms;
	}
	v = getenv("PANTOMIME_GPU_NICE");
	if (v && *v) {
		char *end;
		long nice;

		errno = 0;
		nice = strtol(v, &end, 10);
		if (errno || *end || nice < 0 || nice > 19) {
			u_err(MOD, "PANTOMIME_GPU_NICE: expected 0 to 19, not '%s'", v);
			return -EINVAL;
		}
		c.gpu_nice = (int)nice;
	}
	*cfg = c;
	return 0;
}

/* ------------------------------------------------------------------ device */

API_EXPORT int pantomime_device_create(const struct pantomime_config *cfg,
				       struct pantomime_device **out)
{
	struct pantomime_config defcfg;
	struct panthor_device_config pcfg;
	struct pantomime_device *dev;
	enum hw_check_mode mode;

	if (!cfg) {
		pantomime_config_default(&defcfg);
		cfg = &defcfg;
	}
	switch (cfg->checker) {
	case PANTOMIME_CHECKER_OFF:
		mode = HW_CHECK_OFF;
		break;
	case PANTOMIME_CHECKER_COUNT:
		mode = HW_CHECK_COUNT;
		break;
	case PANTOMIME_CHECKER_ABORT:
		mode = HW_CHECK_ABORT;
		break;
	default:
		return -EINVAL;
	}
	if (!cfg->memory_bytes)
		return -EINVAL;
	if (cfg->gpu_nice < 0 || cfg->gpu_nice > 19) {
		u_err(MOD, "gpu_nice %d outside 0..19", cfg->gpu_nice);
		return -EINVAL;
	}
	if (cfg->fault_spec) {
		int err = u_fault_configure(cfg->fault_spec);

		if (err)
			return err;
	}

	dev = u_calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	hw_config_default(&dev->hw);
	dev->hw.coherent = cfg->coherent;
	dev->hw.tlb_entries = cfg->tlb_entries;
	dev->hw.queue_nice = cfg->gpu_nice;
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.memory_bytes = cfg->memory_bytes;
	pcfg.swap_bytes = cfg->swap_bytes;
	pcfg.hw = &dev->hw;
	dev->ptdev = panthor_device_create(&pcfg);
	if (IS_ERR(dev->ptdev)) {
		int err = (int)PTR_ERR(dev->ptdev);

		u_free(dev);
		return err;
	}
	hw_checker_set_mode(dev->ptdev->hw, mode);
	panthor_sched_set_job_timeout_ms(dev->ptdev, cfg->job_timeout_ms);
	pthread_mutex_init(&dev->lock, NULL);
	dev->next_offset = FAKE_OFFSET_START;
	*out = dev;
	return 0;
}

API_EXPORT void pantomime_device_destroy(struct pantomime_device *dev)
{
	if (!dev)
		return;
	U_WARN_ON(dev->nr_files);
	/*
	 * Closed dma-buf descriptors still hold their BOs until collected; open
	 * ones lose their buffer (the kernel would keep the driver alive).
	 */
	dma_buf_gc();
	if (dma_buf_revoke(dev->ptdev))
		u_warn(MOD, "device destroyed with dma-buf descriptors of its BOs still open");
	panthor_device_destroy(dev->ptdev);
	pthread_mutex_destroy(&dev->lock);
	u_free(dev->files);
	u_free(dev);
}

/* ------------------------------------------------------------------ files */

API_EXPORT int pantomime_file_open(struct pantomime_device *dev, bool render,
				   struct pantomime_file **out)
{
	struct pantomime_file *file;

	file = u_calloc(1, sizeof(*file));
	if (!file)
		return -ENOMEM;
	file->pfile = panthor_file_open(dev->ptdev);
	if (IS_ERR(file->pfile)) {
		int err = (int)PTR_ERR(file->pfile);

		u_free(file);
		return err;
	}
	pthread_mutex_lock(&dev->lock);
	if (dev->nr_files == dev->files_cap) {
		unsigned int cap = dev->files_cap ? dev->files_cap * 2 : 8;
		struct pantomime_file **f = u_realloc_site(dev->files, cap * sizeof(*f), __func__);

		if (!f) {
			pthread_mutex_unlock(&dev->lock);
			panthor_file_close(file->pfile);
			u_free(file);
			return -ENOMEM;
		}
		dev->files = f;
		dev->files_cap = cap;
	}
	dev->files[dev->nr_files++] = file;
	/*
	 * drm_master_open(): the first open of the primary node while no file
	 * is master becomes the master (render files never do); it may then
	 * create high-priority groups.
	 */
	if (!render && !dev->master) {
		dev->master = file;
		file->is_master = true;
	}
	pthread_mutex_unlock(&dev->lock);
	file->dev = dev;
	file->render = render;
	file->user_mmio_offset = DRM_PANTHOR_USER_MMIO_OFFSET;
	pthread_mutex_init(&file->lock, NULL);
	*out = file;
	return 0;
}

API_EXPORT void pantomime_file_close(struct pantomime_file *file)
{
	struct pantomime_device *dev;
	unsigned int i;

	if (!file)
		return;
	dev = file->dev;
	pthread_mutex_lock(&dev->lock);
	for (i = 0; i < dev->nr_files; i++) {
		if (dev->files[i] == file) {
			dev->files[i] = dev->files[--dev->nr_files];
			break;
		}
	}
	if (dev->master == file)
		dev->master = NULL;
	pthread_mutex_unlock(&dev->lock);
	for (i = 0; i < file->nr_offs; i++)
		panthor_gem_put(file->offs[i].bo);
	u_free(file->offs);
	panthor_file_close(file->pfile);
	dma_buf_gc();	/* buffers whose descriptors were closed: their BOs go now */
	pthread_mutex_destroy(&file->lock);
	u_free(file);
}

/* ------------------------------------------------------------------ helpers */

/*
 * The user address @off bytes past @base, computed as an integer: user
 * pointers are arbitrary values, and pointer arithmetic that wraps is
 * undefined behaviour (UBSan's pointer-overflow) where the kernel's is not.
 */
static inline void *uaddr(uint64_t base, uint64_t off)
{
	return (void *)(uintptr_t)(base + off);
}

/*
 * copy_struct_from_user(): @usize bytes of the user's struct at @uptr into
 * @kobj (@ksize bytes, already zeroed): the common prefix is copied, kernel
 * fields beyond the user's size stay zero, and user bytes beyond the
 * kernel's size must be zero (-E2BIG).
 */
static int copy_struct_in(void *kobj, size_t ksize, uint64_t uptr, uint32_t usize)
{
	const uint8_t *u = (const uint8_t *)(uintptr_t)uptr;
	uint8_t buf[64];

	if (u_copy_from_user(kobj, u, usize < ksize ? usize : ksize))
		return -EFAULT;
	for (size_t off = ksize; off < usize;) {
		size_t n = usize - off < sizeof(buf) ? usize - off : sizeof(buf);

		if (u_copy_from_user(buf, uaddr(uptr, off), n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return -E2BIG;
		off += n;
	}
	return 0;
}

/*
 * Copy an object array in: @min is the minimum element size, @ksize the
 * driver's. Each element goes through copy_struct_in(): zero-extended, and
 * extra non-zero user bytes are -E2BIG. Nothing is allocated for the user's
 * stride, which may be up to 4 GiB.
 */
static int get_obj_array(const struct drm_panthor_obj_array *a, size_t min, size_t ksize,
			 void **out)
{
	uint8_t *buf;
	int err = 0;

	*out = NULL;
	if (!a->count)
		return 0;
	if (a->stride < min)
		return -EINVAL;
	/* kvmalloc_array() refuses more than INT_MAX bytes: -ENOMEM, nothing allocated. */
	if ((uint64_t)a->count * ksize > INT_MAX)
		return -ENOMEM;
	buf = u_calloc(a->count, ksize);
	if (!buf)
		return -ENOMEM;
	if (a->stride == ksize) {
		if (u_copy_from_user(buf, (const void *)(uintptr_t)a->array,
				     (size_t)a->count * ksize))
			err = -EFAULT;
	} else {
		for (uint32_t i = 0; i < a->count && !err; i++)
			err = copy_struct_in(buf + (size_t)i * ksize, ksize,
					     a->array + (uint64_t)i * a->stride, a->stride);
	}
	if (err) {
		u_free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

/* Copy an object out (panthor_set_uobj): min size check, min(usr, k) bytes, zero the rest. */
static int set_uobj(uint64_t uptr, uint32_t usize, size_t min, const void *kobj, size_t ksize)
{
	void *u = (void *)(uintptr_t)uptr;

	if (usize < min)
		return -EINVAL;
	if (u_copy_to_user(u, kobj, usize < ksize ? usize : ksize))
		return -EFAULT;
	if (usize > ksize) {
		static const uint8_t zeros[256];
		size_t off = ksize;

		while (off < usize) {
			size_t n = usize - off < sizeof(zeros) ? usize - off : sizeof(zeros);

			if (u_copy_to_user(uaddr(uptr, off), zeros, n))
				return -EFAULT;
			off += n;
		}
	}
	return 0;
}

static bool once_flags[32];
static pthread_mutex_t once_lock = PTHREAD_MUTEX_INITIALIZER;

static int not_implemented(unsigned int nr, const char *name)
{
	bool first;

	pthread_mutex_lock(&once_lock);
	first = !once_flags[nr & 31];
	once_flags[nr & 31] = true;
	pthread_mutex_unlock(&once_lock);
	if (first)
		u_log(U_LOG_WARN, MOD, "%s: not implemented yet", name);
	return -EOPNOTSUPP;
}

/* ------------------------------------------------------------------ DRM core */

static int copy_version_string(char *ustr, uint64_t *ulen, const char *s)
{
	size_t len = strlen(s);
	size_t n = *ulen < len ? *ulen : len;

	/* As drm_copy_field(): a NULL buffer copies nothing; the length is always written. */
	*ulen = len;
	if (n && ustr && u_copy_to_user(ustr, s, n))
		return -EFAULT;
	return 0;
}

static int drm_version_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_version *v = data;
	uint64_t l;
	int err;

	v->version_major = PANTOMIME_DRV_MAJOR;
	v->version_minor = PANTOMIME_DRV_MINOR;
	v->version_patchlevel = PANTOMIME_DRV_PATCH;
	l = v->name_len;
	err = copy_version_string(v->name, &l, "panthor");
	v->name_len = l;
	if (err)
		return err;
	l = v->date_len;
	err = copy_version_string(v->date, &l, PANTOMIME_DRV_DATE);
	v->date_len = l;
	if (err)
		return err;
	l = v->desc_len;
	err = copy_version_string(v->desc, &l, PANTOMIME_DRV_DESC);
	v->desc_len = l;
	return err;
}

static int drm_get_cap_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_get_cap *c = data;

	c->value = 0;
	switch (c->capability) {
	case DRM_CAP_TIMESTAMP_MONOTONIC:
		c->value = 1;
		return 0;
	case DRM_CAP_PRIME:
		c->value = DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT;
		return 0;
	case DRM_CAP_SYNCOBJ:
	case DRM_CAP_SYNCOBJ_TIMELINE:
		c->value = 1;
		return 0;
	}
	/* Every other cap is for KMS drivers; panthor has no modesetting. */
	return -EOPNOTSUPP;
}

static int drm_set_client_cap_ioctl(struct pantomime_file *file, void *data)
{
	/*
	 * Not DRM_RENDER_ALLOW: a render node gets -EACCES (see the dispatch).
	 * Every client cap is a KMS one, and panthor has no modesetting.
	 */
	return -EOPNOTSUPP;
}

static void drop_fake_offsets(struct pantomime_file *file, struct panthor_gem_object *bo)
{
	unsigned int i;

	pthread_mutex_lock(&file->lock);
	for (i = 0; i < file->nr_offs;) {
		if (file->offs[i].bo == bo) {
			panthor_gem_put(bo);
			file->offs[i] = file->offs[--file->nr_offs];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&file->lock);
}

static int drm_gem_close_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_gem_close *c = data;
	struct panthor_gem_object *bo;
	int err;

	/* drm_gem_close_ioctl() does not look at pad. */
	bo = panthor_file_bo_lookup(file->pfile, c->handle);
	if (!bo)
		return -EINVAL;
	err = panthor_file_bo_close(file->pfile, c->handle);
	if (!err)
		drop_fake_offsets(file, bo);
	panthor_gem_put(bo);
	return err;
}

/* Look up @count syncobj handles from user array @uhandles (-ENOENT for an unknown one). */
static int syncobj_array_find(struct pantomime_file *file, uint64_t uhandles, uint32_t count,
			      struct drm_syncobj ***out)
{
	struct drm_syncobj **objs;
	uint32_t *handles;
	uint32_t i;
	int err = 0;

	/*
	 * drm_syncobj_array_find() gets both arrays from kmalloc_array(),
	 * which gives at most KMALLOC_MAX_SIZE (4 MiB): more handles than that
	 * many object pointers is -ENOMEM.
	 */
	if ((uint64_t)count * sizeof(*objs) > KMALLOC_MAX_SIZE)
		return -ENOMEM;
	handles = u_calloc(count, sizeof(*handles));
	objs = u_calloc(count, sizeof(*objs));
	if (!handles || !objs) {
		u_free(handles);
		u_free(objs);
		return -ENOMEM;
	}
	if (u_copy_from_user(handles, (const void *)(uintptr_t)uhandles,
			     (size_t)count * sizeof(*handles))) {
		err = -EFAULT;
		goto out;
	}
	for (i = 0; i < count; i++) {
		objs[i] = panthor_file_syncobj_lookup(file->pfile, handles[i]);
		if (!objs[i]) {
			err = -ENOENT;
			break;
		}
	}
out:
	u_free(handles);
	if (err) {
		for (i = 0; i < count; i++)
			if (objs[i])
				drm_syncobj_put(objs[i]);
		u_free(objs);
		return err;
	}
	*out = objs;
	return 0;
}

static void syncobj_array_free(struct drm_syncobj **objs, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		drm_syncobj_put(objs[i]);
	u_free(objs);
}

static int syncobj_create_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_syncobj_create *c = data;

	return panthor_file_syncobj_create(file->pfile, c->flags, &c->handle);
}

static int syncobj_destroy_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_syncobj_destroy *d = data;

	if (d->pad)
		return -EINVAL;
	return panthor_file_syncobj_destroy(file->pfile, d->handle);
}

#ifndef DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE
#define DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE (1 << 3)
#endif
/* WAIT_DEADLINE is a hint (deadline_nsec, beyond libdrm's struct here): accepted, ignored. */
#define SYNCOBJ_WAIT_FLAGS_ALL (DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL | \
				DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT | \
				DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE | \
				DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE)

static int syncobj_wait_common(struct pantomime_file *file, uint64_t uhandles, uint64_t upoints,
			       uint32_t count, uint32_t flags, int64_t timeout,
			       uint32_t *first_signaled, bool timeline)
{
	struct drm_syncobj **objs;
	uint64_t *points = NULL;
	int err;

	if (flags & ~(uint32_t)SYNCOBJ_WAIT_FLAGS_ALL)
		return -EINVAL;
	if (!timeline && (flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE))
		return -EINVAL;
	/* Since the deadline series, no handles is a successful probe. */
	if (!count)
		return 0;
	err = syncobj_array_find(file, uhandles, count, &objs);
	if (err)
		return err;
	if (timeline && upoints) {
		points = u_calloc(count, sizeof(*points));
		if (!points) {
			err = -ENOMEM;
			goto out;
		}
		if (u_copy_from_user(points, (const void *)(uintptr_t)upoints,
				     (size_t)count * sizeof(*points))) {
			err = -EFAULT;
			goto out;
		}
	}
	err = drm_syncobj_array_wait(objs, points, count,
				     flags & ~(uint32_t)DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE,
				     timeout < 0 ? 0 : timeout,
				     first_signaled);
out:
	u_free(points);
	syncobj_array_free(objs, count);
	return err;
}

/*
 * WAIT and TIMELINE_WAIT: the DRM core does not look at pad (since the
 * deadline series it precedes deadline_nsec), and writes first_signaled
 * only when the wait succeeds.
 */
static int syncobj_wait_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_syncobj_wait *w = data;
	uint32_t first = UINT32_MAX;
	int err;

	err = syncobj_wait_common(file, w->handles, 0, w->count_handles, w->flags,
				  w->timeout_nsec, &first, false);
	if (!err && w->count_handles)
		w->first_signaled = first;
	return err;
}

static int syncobj_timeline_wait_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_syncobj_timeline_wait *w = data;
	uint32_t first = UINT32_MAX;
	int err;

	err = syncobj_wait_common(file, w->handles, w->points, w->count_handles, w->flags,
				  w->timeout_nsec, &first, true);
	if (!err && w->count_handles)
		w->first_signaled = first;
	return err;
}

static int syncobj_reset_signal(struct pantomime_file *file, void *data, bool signal)
{
	struct drm_syncobj_array *a = data;
	struct drm_syncobj **objs;
	int err;

	if (a->pad)
		return -EINVAL;
	if (!a->count_handles)
		return -EINVAL;
	err = syncobj_array_find(file, a->handles, a->count_handles, &objs);
	if (err)
		return err;
	for (uint32_t i = 0; i < a->count_handles; i++) {
		if (signal)
			drm_syncobj_signal(objs[i]);
		else
			drm_syncobj_reset(objs[i]);
	}
	syncobj_array_free(objs, a->count_handles);
	return 0;
}

static int syncobj_reset_ioctl(struct pantomime_file *file, void *data)
{
	return syncobj_reset_signal(file, data, false);
}

static int syncobj_signal_ioctl(struct pantomime_file *file, void *data)
{
	return syncobj_reset_signal(file, data, true);
}

static int syncobj_timeline_common(struct pantomime_file *file, void *data, bool query)
{
	struct drm_syncobj_timeline_array *a = data;
	struct drm_syncobj **objs;
	uint64_t *points = NULL;
	int err;

	if (!a->count_handles)
		return -EINVAL;
	if (query ? (a->flags & ~(uint32_t)DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED) : a->flags)
		return -EINVAL;
	err = syncobj_array_find(file, a->handles, a->count_handles, &objs);
	if (err)
		return err;
	points = u_calloc(a->count_handles, sizeof(*points));
	if (!points) {
		err = -ENOMEM;
		goto out;
	}
	if (query) {
		for (uint32_t i = 0; i < a->count_handles && !err; i++)
			err = drm_syncobj_query(objs[i], a->flags, &points[i]);
		if (!err && u_copy_to_user((void *)(uintptr_t)a->points, points,
					   (size_t)a->count_handles * sizeof(*points)))
			err = -EFAULT;
	} else {
		if (a->points && u_copy_from_user(points, (const void *)(uintptr_t)a->points,
						  (size_t)a->count_handles * sizeof(*points))) {
			err = -EFAULT;
			goto out;
		}
		err = drm_syncobj_timeline_signal(objs, points, a->count_handles);
	}
out:
	u_free(points);
	syncobj_array_free(objs, a->count_handles);
	return err;
}

static int syncobj_timeline_signal_ioctl(struct pantomime_file *file, void *data)
{
	return syncobj_timeline_common(file, data, false);
}

static int syncobj_query_ioctl(struct pantomime_file *file, void *data)
{
	return syncobj_timeline_common(file, data, true);
}

static int syncobj_transfer_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_syncobj_transfer *t = data;
	struct drm_syncobj *src, *dst;
	int err;

	/* The kernel's order: pad, the destination, the flags, the source. */
	if (t->pad)
		return -EINVAL;
	dst = panthor_file_syncobj_lookup(file->pfile, t->dst_handle);
	if (!dst)
		return -ENOENT;
	if (t->flags & ~(uint32_t)DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT) {
		drm_syncobj_put(dst);
		return -EINVAL;
	}
	src = panthor_file_syncobj_lookup(file->pfile, t->src_handle);
	if (!src) {
		drm_syncobj_put(dst);
		return -ENOENT;
	}
	err = drm_syncobj_transfer(dst, t->dst_point, src, t->src_point, t->flags);
	drm_syncobj_put(dst);
	drm_syncobj_put(src);
	return err;
}

/*
 * struct drm_syncobj_handle as the kernel has it since the timeline-point
 * flags: libdrm's drm.h here ends at pad. The table entry uses this size,
 * so a 16-byte request is zero-extended (point 0) and a 24-byte one carries
 * its point.
 */
struct syncobj_handle_pt {
	uint32_t handle;
	uint32_t flags;
	int32_t fd;
	uint32_t pad;
	uint64_t point;
};
_Static_assert(offsetof(struct syncobj_handle_pt, point) == sizeof(struct drm_syncobj_handle),
	       "drm_syncobj_handle is a prefix of syncobj_handle_pt");
#ifndef DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE
#define DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE (1 << 1)
#endif
#ifndef DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE
#define DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE (1 << 1)
#endif
#define SYNCOBJ_HANDLE_TO_FD_PT DRM_IOWR(_IOC_NR(DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD), \
					 struct syncobj_handle_pt)
#define SYNCOBJ_FD_TO_HANDLE_PT DRM_IOWR(_IOC_NR(DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE), \
					 struct syncobj_handle_pt)

/*
 * HANDLE_TO_FD, as the DRM core checks it: pad; flags within
 * TIMELINE|EXPORT_SYNC_FILE; TIMELINE takes the point. With EXPORT_SYNC_FILE
 * the fence of that point becomes a sync file (an unknown handle -ENOENT,
 * no fence or point -EINVAL, both from drm_syncobj_find_fence()). Without
 * it a non-zero point is -EINVAL and the syncobj itself becomes an fd (an
 * unknown handle is -EINVAL, drm_syncobj_handle_to_fd()).
 */
static int syncobj_handle_to_fd_ioctl(struct pantomime_file *file, void *data)
{
	struct syncobj_handle_pt *h = data;
	uint64_t point = 0;
	struct drm_syncobj *s;
	int fd;

	if (h->pad)
		return -EINVAL;
	if (h->flags & ~(uint32_t)(DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE |
				   DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE))
		return -EINVAL;
	if (h->flags & DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE)
		point = h->point;
	if (!(h->flags & DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE) && h->point)
		return -EINVAL;
	s = panthor_file_syncobj_lookup(file->pfile, h->handle);
	if (!s)
		return h->flags & DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE ? -ENOENT : -EINVAL;
	if (h->flags & DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)
		fd = drm_syncobj_export_sync_file(s, point);
	else
		fd = drm_syncobj_get_fd(s);
	drm_syncobj_put(s);
	if (fd < 0)
		return fd;
	h->fd = fd;
	return 0;
}

/*
 * FD_TO_HANDLE: pad; flags within TIMELINE|IMPORT_SYNC_FILE; TIMELINE takes
 * the point. Without IMPORT_SYNC_FILE a non-zero point is -EINVAL, and a
 * syncobj fd (from this process, any file) gets a new handle in this file,
 * written to @handle (a descriptor that is not a syncobj fd is -EINVAL).
 * With it the sync file's fence replaces the fence of the existing syncobj
 * @handle, or is added as @point of its timeline: the fd is checked first
 * (-EINVAL), then the handle (-ENOENT), as the kernel does.
 */
static int syncobj_fd_to_handle_ioctl(struct pantomime_file *file, void *data)
{
	struct syncobj_handle_pt *h = data;
	uint64_t point = 0;
	struct drm_syncobj *s;
	uint32_t handle;
	int err;

	if (h->pad)
		return -EINVAL;
	if (h->flags & ~(uint32_t)(DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE |
				   DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE))
		return -EINVAL;
	if (h->flags & DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE)
		point = h->point;
	if (!(h->flags & DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE)) {
		if (h->point)
			return -EINVAL;
		s = drm_syncobj_from_fd(h->fd);
		if (IS_ERR(s)) {
			u_dbg(MOD, "SYNCOBJ_FD_TO_HANDLE: fd %d is not a syncobj fd", h->fd);
			return (int)PTR_ERR(s);
		}
		err = panthor_file_syncobj_install(file->pfile, s, &handle);
		drm_syncobj_put(s);
		if (!err)
			h->handle = handle;
		return err;
	}
	if (!sync_file_is_sync_file(h->fd)) {
		u_dbg(MOD, "SYNCOBJ_FD_TO_HANDLE: fd %d is not a sync file", h->fd);
		return -EINVAL;
	}
	s = panthor_file_syncobj_lookup(file->pfile, h->handle);
	if (!s)
		return -ENOENT;
	err = drm_syncobj_import_sync_file(s, h->fd, point);
	drm_syncobj_put(s);
	return err;
}

/* ------------------------------------------------------------------ panthor */

static int query_gpu_info(struct pantomime_file *file, struct drm_panthor_dev_query *q)
{
	struct panthor_device *ptdev = file->dev->ptdev;
	const struct panthor_gpu_info *gi = &ptdev->gpu_info;
	struct drm_panthor_gpu_info info;

	memset(&info, 0, sizeof(info));
	info.gpu_id = gi->gpu_id;
	info.gpu_rev = 0;	/* GPU_REVID is not modelled */
	info.csf_id = gi->csf_id;
	info.l2_features = gi->l2_features;
	info.tiler_features = gi->tiler_features;
	info.mem_features = gi->mem_features;
	info.mmu_features = gi->mmu_features;
	info.thread_features = gi->thread_features;
	info.max_threads = gi->max_threads;
	info.thread_max_workgroup_size = gi->thread_max_workgroup_size;
	info.thread_max_barrier_size = gi->thread_max_barrier_size;
	info.coherency_features = gi->coherency_features;
	memcpy(info.texture_features, gi->texture_features, sizeof(info.texture_features));
	info.as_present = gi->as_present;
	info.selected_coherency = ptdev->coherent ? DRM_PANTHOR_GPU_COHERENCY_ACE_LITE
						  : DRM_PANTHOR_GPU_COHERENCY_NONE;
	info.shader_present = gi->shader_present;
	info.l2_present = gi->l2_present;
	info.tiler_present = gi->tiler_present;
	info.core_features = gi->core_features;
	info.gpu_features = gpu_read64(ptdev, HW_GPU_FEATURES_LO);
	return set_uobj(q->pointer, q->size, offsetof(struct drm_panthor_gpu_info, tiler_present) + 8,
			&info, sizeof(info));
}

static int query_timestamp(struct pantomime_file *file, struct drm_panthor_dev_query *q)
{
	struct panthor_device *ptdev = file->dev->ptdev;
	struct drm_panthor_timestamp_info ts;
	struct timespec t0, t1;
	uint32_t flags;
	uint32_t cpu;
	int err;

	/*
	 * 1.8: the user's struct is an input too. It is read as
	 * copy_struct_from_user() does (the user's size, missing fields zero,
	 * non-zero bytes beyond the kernel's struct -E2BIG); its flags select
	 * what to sample, 0 meaning the 1.1 fields. The flags are written
	 * back as given.
	 */
	memset(&ts, 0, sizeof(ts));
	err = copy_struct_in(&ts, sizeof(ts), q->pointer, q->size);
	if (err)
		return err;
	flags = ts.flags;
	if ((flags & DRM_PANTHOR_TIMESTAMP_CPU_TYPE_MASK) > DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC_RAW)
		return -EINVAL;
	if (flags & ~(uint32_t)(DRM_PANTHOR_TIMESTAMP_GPU | DRM_PANTHOR_TIMESTAMP_CPU_TYPE_MASK |
				DRM_PANTHOR_TIMESTAMP_GPU_OFFSET |
				DRM_PANTHOR_TIMESTAMP_GPU_CYCLE_COUNT |
				DRM_PANTHOR_TIMESTAMP_FREQ | DRM_PANTHOR_TIMESTAMP_DURATION))
		return -EINVAL;
	/* Every output field is written: a value not asked for reads 0. */
	memset(&ts, 0, sizeof(ts));
	ts.flags = flags;
	cpu = flags & DRM_PANTHOR_TIMESTAMP_CPU_TYPE_MASK;
	/* 0: the 1.1 behaviour (frequency, timestamp, offset). */
	if (!flags)
		flags = DRM_PANTHOR_TIMESTAMP_GPU | DRM_PANTHOR_TIMESTAMP_GPU_OFFSET |
			DRM_PANTHOR_TIMESTAMP_FREQ;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (flags & DRM_PANTHOR_TIMESTAMP_FREQ)
		ts.timestamp_frequency = 1000000000ull;	/* the model counts nanoseconds */
	if (flags & DRM_PANTHOR_TIMESTAMP_GPU)
		ts.current_timestamp = gpu_read64(ptdev, HW_GPU_TIMESTAMP_LO);
	if (flags & DRM_PANTHOR_TIMESTAMP_GPU_OFFSET)
		ts.timestamp_offset = gpu_read64(ptdev, HW_GPU_TIMESTAMP_OFFSET_LO);
	if (flags & DRM_PANTHOR_TIMESTAMP_GPU_CYCLE_COUNT)
		ts.cycle_count = gpu_read64(ptdev, HW_GPU_CYCLE_COUNT_LO);
	if (cpu) {
		struct timespec c;

		clock_gettime(cpu == DRM_PANTHOR_TIMESTAMP_CPU_MONOTONIC ? CLOCK_MONOTONIC
									 : CLOCK_MONOTONIC_RAW, &c);
		ts.cpu_timestamp_sec = (uint64_t)c.tv_sec;
		ts.cpu_timestamp_nsec = (uint64_t)c.tv_nsec;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (flags & DRM_PANTHOR_TIMESTAMP_DURATION)
		ts.duration_nsec = (uint32_t)((t1.tv_sec - t0.tv_sec) * 1000000000ll +
					      (t1.tv_nsec - t0.tv_nsec));
	return set_uobj(q->pointer, q->size,
			offsetof(struct drm_panthor_timestamp_info, current_timestamp) + 8,
			&ts, sizeof(ts));
}

/* capable(CAP_SYS_NICE): the calling thread's effective capability set. */
static bool capable_sys_nice(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(CAP_SYS_NICE)].effective & CAP_TO_MASK(CAP_SYS_NICE);
}

/*
 * group_priority_permit() - may @file create groups of priority @prio?
 * As panthor: LOW and MEDIUM always; HIGH and REALTIME with CAP_SYS_NICE
 * or for the DRM master (the first open file of the primary node).
 * Return: 0, -EINVAL for an unknown priority, -EACCES.
 */
static int group_priority_permit(struct pantomime_file *file, uint8_t prio)
{
	if (prio > PANTHOR_GROUP_PRIORITY_REALTIME)
		return -EINVAL;
	if (prio <= PANTHOR_GROUP_PRIORITY_MEDIUM)
		return 0;
	if (capable_sys_nice() || file->is_master)
		return 0;
	return -EACCES;
}

static int dev_query_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_dev_query *q = data;
	size_t ksize;

	switch (q->type) {
	case DRM_PANTHOR_DEV_QUERY_GPU_INFO:
		ksize = sizeof(struct drm_panthor_gpu_info);
		break;
	case DRM_PANTHOR_DEV_QUERY_CSIF_INFO:
		ksize = sizeof(struct drm_panthor_csif_info);
		break;
	case DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO:
		ksize = sizeof(struct drm_panthor_timestamp_info);
		break;
	case DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO:
		ksize = sizeof(struct drm_panthor_group_priorities_info);
		break;
	case DRM_PANTHOR_DEV_QUERY_MMU_INFO:
		ksize = sizeof(struct drm_panthor_mmu_info);
		break;
	default:
		return -EINVAL;
	}
	if (!q->pointer) {
		q->size = (uint32_t)ksize;
		return 0;
	}
	switch (q->type) {
	case DRM_PANTHOR_DEV_QUERY_GPU_INFO:
		return query_gpu_info(file, q);
	case DRM_PANTHOR_DEV_QUERY_CSIF_INFO: {
		/* G610 (RK3588) as reported by its firmware. */
		struct drm_panthor_csif_info ci = {
			.csg_slot_count = 8, .cs_slot_count = 8, .cs_reg_count = 96,
			.scoreboard_slot_count = 8, .unpreserved_cs_reg_count = 4,
		};

		return set_uobj(q->pointer, q->size, sizeof(ci), &ci, sizeof(ci));
	}
	case DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO:
		return query_timestamp(file, q);
	case DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO: {
		struct drm_panthor_group_priorities_info pi = { .allowed_mask = 0 };

		for (uint8_t prio = 0; prio <= PANTHOR_GROUP_PRIORITY_REALTIME; prio++)
			if (!group_priority_permit(file, prio))
				pi.allowed_mask |= (uint8_t)(1u << prio);

		return set_uobj(q->pointer, q->size, sizeof(pi), &pi, sizeof(pi));
	}
	default: {
		struct drm_panthor_mmu_info mi = {
			/* What panthor_mmu.c gives every VM's page tables. */
			.page_size_bitmap = PGTABLE_PGSIZE_4K_2M,
		};

		return set_uobj(q->pointer, q->size, sizeof(mi), &mi, sizeof(mi));
	}
	}
}

static int vm_create_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_vm_create *c = data;
	struct panthor_vm_create_args args = {
		.flags = c->flags, .user_va_range = c->user_va_range,
	};
	int err;

	err = panthor_vm_pool_create_vm(file->dev->ptdev, &file->pfile->vms, &args);
	if (err < 0)
		return err;
	c->id = args.id;
	c->user_va_range = args.user_va_range;
	return 0;
}

static int vm_destroy_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_vm_destroy *d = data;

	if (d->pad)
		return -EINVAL;
	return panthor_vm_pool_destroy_vm(&file->pfile->vms, d->id);
}

static int vm_bind_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_vm_bind *b = data;
	struct drm_panthor_vm_bind_op *uops = NULL;
	struct panthor_vm_bind_op_args *ops = NULL;
	struct drm_panthor_sync_op **syncs = NULL;
	uint32_t count = b->ops.count, b_count_in = b->ops.count, i;
	int err;

	if (b->flags & ~(uint32_t)DRM_PANTHOR_VM_BIND_ASYNC)
		return -EINVAL;
	err = get_obj_array(&b->ops, offsetof(struct drm_panthor_vm_bind_op, syncs) +
			    sizeof(struct drm_panthor_obj_array), sizeof(*uops), (void **)&uops);
	if (err)
		return err;
	if (!count) {
		/* Nothing to do; still an unknown VM is an error. */
		struct panthor_vm *vm = panthor_vm_pool_get_vm(&file->pfile->vms, b->vm_id);

		if (!vm)
			return -EINVAL;
		panthor_vm_put(vm);
		return 0;
	}
	ops = u_calloc(count, sizeof(*ops));
	syncs = u_calloc(count, sizeof(*syncs));
	if (!ops || !syncs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		/*
		 * Only the asynchronous path reads the syncs; a synchronous op
		 * with syncs fails (-EINVAL, index written back) without
		 * following the pointer, as the kernel's sync path does.
		 */
		if (b->flags & DRM_PANTHOR_VM_BIND_ASYNC) {
			err = get_obj_array(&uops[i].syncs, sizeof(struct drm_panthor_sync_op),
					    sizeof(struct drm_panthor_sync_op), (void **)&syncs[i]);
			if (err)
				goto out;
		}
		ops[i].flags = uops[i].flags;
		ops[i].bo_handle = uops[i].bo_handle;
		ops[i].bo_offset = uops[i].bo_offset;
		ops[i].va = uops[i].va;
		ops[i].size = uops[i].size;
		ops[i].syncs_count = uops[i].syncs.count;
		/* drm_panthor_sync_op and panthor_sync_op_args have the same layout. */
		ops[i].syncs = (const struct panthor_sync_op_args *)syncs[i];
	}
	err = panthor_vm_bind(file->pfile, b->vm_id, b->flags, ops, &count);
	if (err && !(b->flags & DRM_PANTHOR_VM_BIND_ASYNC))
		b->ops.count = count;
out:
	if (syncs) {
		for (i = 0; i < b_count_in; i++)
			u_free(syncs[i]);
	}
	u_free(syncs);
	u_free(ops);
	u_free(uops);
	return err;
}

static int vm_get_state_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_vm_get_state *s = data;

	return panthor_vm_get_state(file->pfile, s->vm_id, &s->state);
}

static int bo_create_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_bo_create *c = data;
	uint64_t size = c->size;
	int err;

	if (c->pad)
		return -EINVAL;
	/*
	 * The kernel's BO is a shmem file: shmem_file_setup() refuses a
	 * page-aligned size that is negative as a loff_t (-EINVAL).
	 */
	if (size > (uint64_t)INT64_MAX - (PAGE_4K - 1)) {
		u_dbg(MOD, "BO_CREATE: size 0x%llx beyond a file's largest size",
		      (unsigned long long)size);
		return -EINVAL;
	}
	err = panthor_file_bo_create(file->pfile, &size, c->flags, c->exclusive_vm_id, &c->handle);
	if (err)
		return err;
	c->size = size;
	return 0;
}

static int bo_mmap_offset_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_bo_mmap_offset *m = data;
	struct pantomime_device *dev = file->dev;
	struct panthor_gem_object *bo;
	struct fake_offset *o;
	unsigned int i;

	if (m->pad)
		return -EINVAL;
	bo = panthor_file_bo_lookup(file->pfile, m->handle);
	if (!bo)
		return -ENOENT;
	if (bo->flags & DRM_PANTHOR_BO_NO_MMAP) {
		panthor_gem_put(bo);
		return -EPERM;
	}
	pthread_mutex_lock(&file->lock);
	for (i = 0; i < file->nr_offs; i++) {
		if (file->offs[i].bo == bo) {
			m->offset = file->offs[i].offset;
			pthread_mutex_unlock(&file->lock);
			panthor_gem_put(bo);
			return 0;
		}
	}
	o = u_realloc_site(file->offs, (file->nr_offs + 1) * sizeof(*o), __func__);
	if (!o) {
		pthread_mutex_unlock(&file->lock);
		panthor_gem_put(bo);
		return -ENOMEM;
	}
	file->offs = o;
	/* One fake offset per BO, whichever file asks (a GEM object's vma node). */
	pthread_mutex_lock(&dev->lock);
	if (!bo->mmap_offset) {
		__atomic_store_n(&bo->mmap_offset, dev->next_offset, __ATOMIC_RELAXED);
		dev->next_offset += bo->size;
	}
	o[file->nr_offs].offset = bo->mmap_offset;
	pthread_mutex_unlock(&dev->lock);
	o[file->nr_offs].bo = bo;	/* keeps the lookup's reference */
	m->offset = o[file->nr_offs].offset;
	file->nr_offs++;
	pthread_mutex_unlock(&file->lock);
	return 0;
}

#define BO_LABEL_MAX 4096

static int bo_set_label_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_bo_set_label *l = data;
	struct panthor_gem_object *bo;
	char *label = NULL, *old;
	int err = 0;

	if (l->pad)
		return -EINVAL;
	bo = panthor_file_bo_lookup(file->pfile, l->handle);
	if (!bo)
		return -ENOENT;
	if (l->label) {
		size_t n;

		label = u_malloc(BO_LABEL_MAX);
		if (!label) {
			err = -ENOMEM;
			goto out;
		}
		/* strndup_user(): byte by byte up to the limit, NUL included. */
		for (n = 0; n < BO_LABEL_MAX; n++) {
			if (u_copy_from_user(&label[n], uaddr(l->label, n), 1)) {
				err = -EFAULT;
				goto out;
			}
			if (!label[n])
				break;
		}
		if (n == BO_LABEL_MAX) {
			err = -E2BIG;
			goto out;
		}
	}
	old = panthor_gem_set_label(bo, label);
	label = old;
out:
	u_free(label);
	panthor_gem_put(bo);
	return err;
}

static int set_user_mmio_offset_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_set_user_mmio_offset *s = data;

	if (s->offset != DRM_PANTHOR_USER_MMIO_OFFSET_32BIT &&
	    s->offset != DRM_PANTHOR_USER_MMIO_OFFSET_64BIT)
		return -EINVAL;
	pthread_mutex_lock(&file->lock);
	file->user_mmio_offset = s->offset;
	pthread_mutex_unlock(&file->lock);
	return 0;
}

static int bo_sync_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_bo_sync *s = data;
	struct drm_panthor_bo_sync_op *ops = NULL;
	uint32_t i;
	int err;

	err = get_obj_array(&s->ops, sizeof(*ops), sizeof(*ops), (void **)&ops);
	if (err)
		return err;
	for (i = 0; i < s->ops.count && !err; i++) {
		struct panthor_gem_object *bo;

		if (ops[i].type != DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH &&
		    ops[i].type != DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH_AND_INVALIDATE) {
			err = -EINVAL;
			break;
		}
		bo = panthor_file_bo_lookup(file->pfile, ops[i].handle);
		if (!bo) {
			err = -ENOENT;
			break;
		}
		if (ops[i].offset > bo->size || ops[i].size > bo->size - ops[i].offset) {
			u_err(MOD, "BO_SYNC: range [0x%llx, +0x%llx) outside BO %u",
			      (unsigned long long)ops[i].offset, (unsigned long long)ops[i].size,
			      ops[i].handle);
			err = -EINVAL;
		} else if (panthor_gem_is_imported(bo)) {
			u_err(MOD, "BO_SYNC: BO %u is imported", ops[i].handle);
			err = -EINVAL;
		} else if (ops[i].size && !panthor_gem_should_map_wc(bo)) {
			/*
			 * Write-combined mappings and a size of 0 are no-ops
			 * (§1.6); a cached mapping is flushed segment by segment
			 * upstream, which the model's CPU (one coherent view)
			 * reduces to taking and dropping the BO's lock.
			 */
			dma_resv_lock(panthor_gem_resv(bo), NULL);
			dma_resv_unlock(panthor_gem_resv(bo));
		}
		panthor_gem_put(bo);
	}
	u_free(ops);
	return err;
}

static int bo_query_info_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_bo_query_info *q = data;
	struct panthor_gem_object *bo;

	if (q->pad)
		return -EINVAL;
	bo = panthor_file_bo_lookup(file->pfile, q->handle);
	if (!bo)
		return -ENOENT;
	q->extra_flags = panthor_gem_is_imported(bo) ? DRM_PANTHOR_BO_IS_IMPORTED : 0;
	q->create_flags = bo->flags;
	panthor_gem_put(bo);
	return 0;
}

/* ------------------------------------------------------------------ tiler heaps */

static int tiler_heap_create_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_tiler_heap_create *c = data;

	return panthor_tiler_heap_create(file->pfile, c->vm_id, c->initial_chunk_count,
					 c->chunk_size, c->max_chunks, c->target_in_flight,
					 &c->handle, (uint64_t *)&c->tiler_heap_ctx_gpu_va,
					 (uint64_t *)&c->first_heap_chunk_gpu_va);
}

static int tiler_heap_destroy_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_tiler_heap_destroy *d = data;

	if (d->pad)
		return -EINVAL;
	return panthor_tiler_heap_destroy(file->pfile, d->handle);
}

/* ------------------------------------------------------------------ groups */

static int group_create_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_group_create *c = data;
	struct drm_panthor_queue_create *queues = NULL;
	uint32_t handle;
	int err;

	if (!c->queues.count || c->queues.count > PANTHOR_MAX_QUEUES_PER_GROUP)
		return -EINVAL;
	err = get_obj_array(&c->queues, sizeof(*queues), sizeof(*queues), (void **)&queues);
	if (err)
		return err;
	/* The kernel's order: the queue array, then the priority permission. */
	err = group_priority_permit(file, c->priority);
	if (!err)
		err = panthor_group_create(file->pfile, c, queues, true, &handle);
	if (!err)
		c->group_handle = handle;
	u_free(queues);
	return err;
}

static int group_destroy_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_group_destroy *d = data;

	if (d->pad)
		return -EINVAL;
	return panthor_group_destroy(file->pfile, d->group_handle);
}

static int group_get_state_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_group_get_state *g = data;
	uint32_t state, fatal;
	int err;

	if (g->pad)
		return -EINVAL;
	err = panthor_group_get_state(file->pfile, g->group_handle, &state, &fatal);
	if (err)
		return err;
	g->state = state;
	g->fatal_queues = fatal;
	return 0;
}

static int group_submit_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_panthor_group_submit *s = data;
	struct drm_panthor_queue_submit *uq = NULL;
	struct panthor_queue_submit_args *jobs = NULL;
	struct drm_panthor_sync_op **syncs = NULL;
	uint32_t count = s->queue_submits.count, i;
	int err;

	if (s->pad)
		return -EINVAL;
	err = get_obj_array(&s->queue_submits, sizeof(*uq), sizeof(*uq), (void **)&uq);
	if (err)
		return err;
	if (!count)
		return 0;
	jobs = u_calloc(count, sizeof(*jobs));
	syncs = u_calloc(count, sizeof(*syncs));
	if (!jobs || !syncs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		jobs[i].queue_index = uq[i].queue_index;
		jobs[i].stream_size = uq[i].stream_size;
		jobs[i].stream_addr = uq[i].stream_addr;
		jobs[i].latest_flush = uq[i].latest_flush;
		jobs[i].pad = uq[i].pad;
		/* The kernel checks job i before it copies job i's syncs. */
		err = panthor_group_submit_check(file->pfile, s->group_handle, &jobs[i]);
		if (err)
			goto out;
		err = get_obj_array(&uq[i].syncs, sizeof(struct drm_panthor_sync_op),
				    sizeof(struct drm_panthor_sync_op), (void **)&syncs[i]);
		if (err)
			goto out;
		/* drm_panthor_sync_op and panthor_sync_op_args have the same layout. */
		jobs[i].syncs = (const struct panthor_sync_op_args *)syncs[i];
		jobs[i].syncs_count = uq[i].syncs.count;
	}
	err = panthor_group_submit(file->pfile, s->group_handle, jobs, count);
out:
	if (syncs) {
		for (i = 0; i < count; i++)
			u_free(syncs[i]);
	}
	u_free(syncs);
	u_free(jobs);
	u_free(uq);
	return err;
}

/* ------------------------------------------------------------------ PRIME */

static void bo_dmabuf_release(struct dma_buf *buf)
{
	struct panthor_gem_object *bo = buf->priv;
	struct dma_buf *expected = buf;

	/* A newer export may have replaced us already: only clear our own pointer. */
	__atomic_compare_exchange_n(&bo->export_buf, &expected, NULL, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_RELAXED);
	panthor_gem_put(bo);
}

static const struct dma_buf_ops bo_dmabuf_ops = {
	.release = bo_dmabuf_release,
};

static int prime_handle_to_fd_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_prime_handle *a = data;
	struct panthor_gem_object *bo;
	struct dma_buf *buf;
	int fd;

	if (a->flags & ~(uint32_t)(DRM_CLOEXEC | DRM_RDWR)) {
		u_err(MOD, "PRIME_HANDLE_TO_FD: unknown flags 0x%x", a->flags);
		return -EINVAL;
	}
	bo = panthor_file_bo_lookup(file->pfile, a->handle);
	if (!bo)
		return -ENOENT;
	if (bo->exclusive_vm) {
		u_err(MOD, "PRIME_HANDLE_TO_FD: BO %u is private to a VM", a->handle);
		panthor_gem_put(bo);
		return -EINVAL;
	}
	/* An import exports the exporter's buffer again, as drm_gem_prime_handle_to_fd. */
	pthread_mutex_lock(&prime_lock);
	if (bo->import.dmabuf) {
		buf = dma_buf_get_ref(bo->import.dmabuf);
	} else {
		buf = __atomic_load_n(&bo->export_buf, __ATOMIC_ACQUIRE);
		if (!buf || !dma_buf_get_unless_zero(buf)) {
			buf = dma_buf_create(&bo_dmabuf_ops, panthor_gem_get(bo), file->dev->ptdev,
					     panthor_gem_resv(bo), bo->size);
			if (IS_ERR(buf)) {
				pthread_mutex_unlock(&prime_lock);
				panthor_gem_put(bo);	/* the buffer's */
				panthor_gem_put(bo);
				return -ENOMEM;
			}
			__atomic_store_n(&bo->export_buf, buf, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&prime_lock);
	fd = dma_buf_fd(buf, a->flags & DRM_CLOEXEC);
	dma_buf_put(buf);
	panthor_gem_put(bo);
	if (fd < 0)
		return fd;
	a->fd = fd;
	return 0;
}

static bool bo_is(struct panthor_gem_object *bo, void *arg)
{
	return bo == arg;
}

static bool bo_imports(struct panthor_gem_object *bo, void *arg)
{
	return bo->import.dmabuf == arg;
}

static int prime_fd_to_handle_ioctl(struct pantomime_file *file, void *data)
{
	struct drm_prime_handle *a = data;
	struct panthor_device *ptdev = file->dev->ptdev;
	struct panthor_gem_object *bo;
	struct dma_buf *buf;
	int ret;

	buf = dma_buf_get(a->fd);
	if (IS_ERR(buf)) {
		u_err(MOD, "PRIME_FD_TO_HANDLE: fd %d is not an open dma-buf", a->fd);
		return (int)PTR_ERR(buf);
	}
	if (buf->exporter == ptdev) {
		/* One of ours: the same BO, under the handle the file already has. */
		bo = buf->priv;
		ret = panthor_file_bo_find_or_add(file->pfile, bo_is, bo, bo, &a->handle);
	} else {
		struct panthor_gem_object *src = buf->priv;

		ret = panthor_file_bo_find_or_add(file->pfile, bo_imports, buf, NULL, &a->handle);
		if (ret == -ENOENT) {
			bo = panthor_gem_create_imported(ptdev, src, buf);
			if (IS_ERR(bo)) {
				ret = (int)PTR_ERR(bo);
			} else {
				ret = panthor_file_bo_find_or_add(file->pfile, bo_imports, buf, bo,
								  &a->handle);
				panthor_gem_put(bo);
			}
		}
	}
	dma_buf_put(buf);
	return ret < 0 ? ret : 0;
}

/* ------------------------------------------------------------------ dispatch */

typedef int (*ioctl_fn)(struct pantomime_file *file, void *data);

struct ioctl_desc {
	unsigned long cmd;
	ioctl_fn fn;
	const char *name;
	bool stub;
	bool no_render;	/* not DRM_RENDER_ALLOW: -EACCES on a render node */
};

#define CORE(c, f) [_IOC_NR(c)] = { c, f, #c, false, false }
static const struct ioctl_desc core_ioctls[] = {
	CORE(DRM_IOCTL_VERSION, drm_version_ioctl),
	CORE(DRM_IOCTL_GET_CAP, drm_get_cap_ioctl),
	[_IOC_NR(DRM_IOCTL_SET_CLIENT_CAP)] = { DRM_IOCTL_SET_CLIENT_CAP, drm_set_client_cap_ioctl,
						"DRM_IOCTL_SET_CLIENT_CAP", false, true },
	CORE(DRM_IOCTL_GEM_CLOSE, drm_gem_close_ioctl),
	CORE(DRM_IOCTL_SYNCOBJ_CREATE, syncobj_create_ioctl),
	CORE(DRM_IOCTL_SYNCOBJ_DESTROY, syncobj_destroy_ioctl),
	CORE(SYNCOBJ_HANDLE_TO_FD_PT, syncobj_handle_to_fd_ioctl),
	CORE(SYNCOBJ_FD_TO_HANDLE_PT, syncobj_fd_to_handle_ioctl),
	CORE(DRM_IOCTL_SYNCOBJ_WAIT, syncobj_wait_ioctl),
	CORE(DRM_IOCTL_SYNCOBJ_RESET, syncobj_reset_ioctl),
	CORE(DRM_IOCTL_SYNCOBJ_SIGNAL, syncobj_signal_ioctl),
	CORE(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, syncobj_timeline_wait_ioctl),
	CORE(DRM_IOCTL_SYNCOBJ_QUERY, syncobj_query_ioctl),
	CORE(DRM_IOCTL_SYNCOBJ_TRANSFER, syncobj_transfer_ioctl),
	CORE(DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, syncobj_timeline_signal_ioctl),
	CORE(DRM_IOCTL_PRIME_HANDLE_TO_FD, prime_handle_to_fd_ioctl),
	CORE(DRM_IOCTL_PRIME_FD_TO_HANDLE, prime_fd_to_handle_ioctl),
};

#define DRV(c, f) [_IOC_NR(c) - DRM_COMMAND_BASE] = { c, f, #c, false, false }
static const struct ioctl_desc panthor_ioctls[] = {
	DRV(DRM_IOCTL_PANTHOR_DEV_QUERY, dev_query_ioctl),
	DRV(DRM_IOCTL_PANTHOR_VM_CREATE, vm_create_ioctl),
	DRV(DRM_IOCTL_PANTHOR_VM_DESTROY, vm_destroy_ioctl),
	DRV(DRM_IOCTL_PANTHOR_VM_BIND, vm_bind_ioctl),
	DRV(DRM_IOCTL_PANTHOR_VM_GET_STATE, vm_get_state_ioctl),
	DRV(DRM_IOCTL_PANTHOR_BO_CREATE, bo_create_ioctl),
	DRV(DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, bo_mmap_offset_ioctl),
	DRV(DRM_IOCTL_PANTHOR_GROUP_CREATE, group_create_ioctl),
	DRV(DRM_IOCTL_PANTHOR_GROUP_DESTROY, group_destroy_ioctl),
	DRV(DRM_IOCTL_PANTHOR_GROUP_SUBMIT, group_submit_ioctl),
	DRV(DRM_IOCTL_PANTHOR_GROUP_GET_STATE, group_get_state_ioctl),
	DRV(DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, tiler_heap_create_ioctl),
	DRV(DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, tiler_heap_destroy_ioctl),
	DRV(DRM_IOCTL_PANTHOR_BO_SET_LABEL, bo_set_label_ioctl),
	DRV(DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, set_user_mmio_offset_ioctl),
	DRV(DRM_IOCTL_PANTHOR_BO_SYNC, bo_sync_ioctl),
	DRV(DRM_IOCTL_PANTHOR_BO_QUERY_INFO, bo_query_info_ioctl),
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

API_EXPORT int pantomime_ioctl(struct pantomime_file *file, unsigned long request, void *arg)
{
	_Alignas(16) uint8_t stack_kdata[128];
	const struct ioctl_desc *d = NULL;
	unsigned int nr = _IOC_NR(request);
	size_t usize = _IOC_SIZE(request), in_size, out_size, ksize, drv_size;
	uint8_t *kdata = stack_kdata;
	int err;

	/* Not a DRM request at all: what a file without this ioctl answers. */
	if (_IOC_TYPE(request) != DRM_IOCTL_BASE)
		return -ENOTTY;
	if (nr >= DRM_COMMAND_BASE && nr < DRM_COMMAND_END) {
		if (nr - DRM_COMMAND_BASE < ARRAY_LEN(panthor_ioctls))
			d = &panthor_ioctls[nr - DRM_COMMAND_BASE];
	} else if (nr < ARRAY_LEN(core_ioctls)) {
		d = &core_ioctls[nr];
	}
	/* drm_ioctl(): a number beyond the tables, or without a handler, is -EINVAL. */
	if (!d || !d->fn) {
		u_dbg(MOD, "ioctl 0x%lx: unknown DRM ioctl number 0x%x", request, nr);
		return -EINVAL;
	}
	if (d->no_render && file->render)
		return -EACCES;
	if (d->stub)
		return not_implemented(nr - DRM_COMMAND_BASE, d->name);

	/* drm_ioctl(): copy the user's size in, zero-extend to the driver's. */
	drv_size = _IOC_SIZE(d->cmd);
	in_size = out_size = usize;
	if (!(request & d->cmd & IOC_IN))
		in_size = 0;
	if (!(request & d->cmd & IOC_OUT))
		out_size = 0;
	ksize = drv_size;
	if (in_size > ksize)
		ksize = in_size;
	if (out_size > ksize)
		ksize = out_size;
	/* A user struct larger than the stack buffer is heap-copied, as drm_ioctl() does. */
	if (ksize > sizeof(stack_kdata)) {
		kdata = u_malloc(ksize);
		if (!kdata)
			return -ENOMEM;
	}
	if (in_size && u_copy_from_user(kdata, arg, in_size)) {
		err = -EFAULT;
		goto out;
	}
	/* Only what the user did not give is zeroed (usually nothing). */
	if (ksize > in_size)
		memset(kdata + in_size, 0, ksize - in_size);
	err = d->fn(file, kdata);
	if (out_size && u_copy_to_user(arg, kdata, out_size))
		err = -EFAULT;
out:
	if (kdata != stack_kdata)
		u_free(kdata);
	return err;
}

/* ------------------------------------------------------------------ mmap */

static void maps_add(struct cpu_mapping *m)
{
	pthread_mutex_lock(&maps_lock);
	m->next = maps;
	maps = m;
	pthread_mutex_unlock(&maps_lock);
}

static int map_flush_id_page(struct pantomime_file *file, void *addr, size_t len, int prot,
			     int flags, void **out)
{
	struct cpu_mapping *m;
	int fd;
	uint8_t *p;

	if (len != PAGE_4K)
		return -EINVAL;
	if (prot & (PROT_WRITE | PROT_EXEC))
		return -EACCES;
	fd = hw_flush_id_page_fd(file->dev->ptdev->hw);
	if (fd < 0)
		return fd;
	m = u_calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	/* The model's page, shared read-only: it follows every later flush. */
	p = mmap(addr, PAGE_4K, prot & PROT_READ ? PROT_READ : PROT_NONE,
		 MAP_SHARED | (flags & MAP_FIXED), fd, 0);
	if (p == MAP_FAILED) {
		u_free(m);
		return -ENOMEM;
	}
	m->addr = p;
	m->len = m->mapped = PAGE_4K;
	maps_add(m);
	*out = p;
	return 0;
}

static int map_bo(struct panthor_gem_object *bo, uint64_t bo_off, size_t len, int prot,
		  void **out)
{
	struct cpu_mapping *m;
	int err;

	if (prot & ~(PROT_READ | PROT_WRITE)) {
		u_err(MOD, "mmap: BO %u: only PROT_READ and PROT_WRITE are supported", bo->id);
		return -EINVAL;
	}
	m = u_calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	err = panthor_gem_mmap(bo, bo_off, len, prot, &m->gmap);
	if (err) {
		u_free(m);
		return err;
	}
	m->addr = panthor_gem_cpumap_addr(m->gmap);
	m->len = m->mapped = len;
	maps_add(m);
	*out = m->addr;
	return 0;
}

API_EXPORT int pantomime_mmap(struct pantomime_file *file, void *addr, size_t len, int prot,
			      int flags, uint64_t offset, void **out)
{
	struct panthor_gem_object *bo = NULL;
	uint64_t bo_off = 0;
	unsigned int i;
	int err;

	if (!len || (offset & (PAGE_4K - 1)))
		return -EINVAL;
	len = (len + PAGE_4K - 1) & ~(size_t)(PAGE_4K - 1);
	if ((flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_SHARED_VALIDATE) {
		u_err(MOD, "mmap: private (copy-on-write) mappings are refused, use MAP_SHARED");
		return -EINVAL;
	}
	pthread_mutex_lock(&file->lock);
	if (offset == file->user_mmio_offset) {
		pthread_mutex_unlock(&file->lock);
		return map_flush_id_page(file, addr, len, prot, flags, out);
	}
	for (i = 0; i < file->nr_offs; i++) {
		struct fake_offset *o = &file->offs[i];

		if (offset >= o->offset && offset < o->offset + o->bo->size) {
			bo = panthor_gem_get(o->bo);
			bo_off = offset - o->offset;
			break;
		}
	}
	pthread_mutex_unlock(&file->lock);
	if (!bo)
		return -EINVAL;
	if (len > bo->size - bo_off) {
		u_err(MOD, "mmap: 0x%zx bytes at BO %u offset 0x%llx pass its end (0x%llx)", len,
		      bo->id, (unsigned long long)bo_off, (unsigned long long)bo->size);
		panthor_gem_put(bo);
		return -EINVAL;
	}
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		/* The range is a userfaultfd reservation placed by src/mm. */
		u_err(MOD, "mmap: BO %u: MAP_FIXED is not supported", bo->id);
		panthor_gem_put(bo);
		return -EINVAL;
	}
	err = map_bo(bo, bo_off, len, prot, out);
	panthor_gem_put(bo);
	return err;
}

API_EXPORT int pantomime_munmap(void *addr, size_t len)
{
	struct cpu_mapping **pp, *m = NULL;
	uint8_t *a = addr;

	len = (len + PAGE_4K - 1) & ~(size_t)(PAGE_4K - 1);
	pthread_mutex_lock(&maps_lock);
	for (pp = &maps; *pp; pp = &(*pp)->next) {
		if (a >= (*pp)->addr && a + len <= (*pp)->addr + (*pp)->len) {
			m = *pp;
			break;
		}
	}
	if (!m) {
		pthread_mutex_unlock(&maps_lock);
		return -EINVAL;
	}
	/*
	 * The flush-ID page is plain memory. A BO mapping loses the pages
	 * unmapped (really unmapped, counted once each) and goes with its
	 * last one.
	 */
	if (!m->gmap) {
		munmap(a, len);
		m->mapped = len >= m->mapped ? 0 : m->mapped - len;
	} else if (len < m->len) {
		int n = panthor_gem_munmap_range(m->gmap, (uint64_t)(a - m->addr) / PAGE_4K,
						 len / PAGE_4K);

		if (n < 0) {
			pthread_mutex_unlock(&maps_lock);
			return n;
		}
		m->mapped -= (size_t)n * PAGE_4K;
	} else {
		m->mapped = 0;
	}
	if (m->mapped) {
		/* Partial: the entry stays. */
		pthread_mutex_unlock(&maps_lock);
		return 0;
	}
	*pp = m->next;
	pthread_mutex_unlock(&maps_lock);
	panthor_gem_munmap(m->gmap);
	u_free(m);
	return 0;
}

API_EXPORT int pantomime_fd_ioctl(int fd, unsigned long request, void *arg)
{
	return dma_buf_ioctl(fd, request, arg);
}

API_EXPORT int pantomime_fd_mmap(int fd, size_t len, int prot, int flags, uint64_t offset,
				 void **out)
{
	struct dma_buf *buf = dma_buf_get(fd);
	struct panthor_gem_object *bo;
	int err;

	if (IS_ERR(buf))
		return PTR_ERR(buf) == -EBADF ? -EBADF : -ENODEV;
	bo = buf->priv;
	len = (len + PAGE_4K - 1) & ~(size_t)(PAGE_4K - 1);
	if ((flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_SHARED_VALIDATE) {
		u_err(MOD, "dma-buf mmap: private (copy-on-write) mappings are refused");
		err = -EINVAL;
	} else if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		u_err(MOD, "dma-buf mmap: MAP_FIXED is not supported");
		err = -EINVAL;
	} else if (!len || (offset & (PAGE_4K - 1)) || offset > bo->size ||
		   len > bo->size - offset) {
		u_err(MOD, "dma-buf mmap: 0x%zx bytes at 0x%llx outside the buffer (0x%llx)", len,
		      (unsigned long long)offset, (unsigned long long)bo->size);
		err = -EINVAL;
	} else {
		err = map_bo(bo, offset, len, prot, out);
	}
	dma_buf_put(buf);
	return err;
}

API_EXPORT bool pantomime_fd_is_ours(int fd)
{
	return dma_buf_is_dma_buf(fd);
}

API_EXPORT bool pantomime_is_mapping(const void *addr, size_t len)
{
	const uint8_t *a = addr;
	bool found = false;

	pthread_mutex_lock(&maps_lock);
	for (struct cpu_mapping *m = maps; m && !found; m = m->next)
		found = a < m->addr + m->len && a + len > m->addr;
	pthread_mutex_unlock(&maps_lock);
	return found;
}

/* ------------------------------------------------------------------ debug */

struct panthor_device *pantomime_debug_ptdev(struct pantomime_device *dev)
{
	return dev->ptdev;
}

struct panthor_file *pantomime_debug_pfile(struct pantomime_file *file)
{
	return file->pfile;
}

static void print_line(void *arg, const char *line)
{
	fprintf(arg, "%s\n", line);
}

API_EXPORT void pantomime_get_stats(struct pantomime_device *dev, struct pantomime_stats *st)
{
	struct hw_device *hw = dev->ptdev->hw;
	struct mm_budget_stats bs;
	uint32_t as_present = dev->ptdev->gpu_info.as_present;

	memset(st, 0, sizeof(*st));
	st->checker_violations = hw_checker_violations(hw);
	for (unsigned int k = 0; k < HW_REPORT_KINDS; k++)
		if (!hw_report_is_violation((enum hw_report_kind)k))
			st->checker_notes += hw_checker_count(hw, (enum hw_report_kind)k);
	for (unsigned int as = 0; as < 32; as++) {
		struct hw_as_stats a;

		if (!(as_present & (1u << as)) || hw_as_stats(hw, as, &a))
			continue;
		st->gpu_accesses += a.accesses;
		st->lock_stalls += a.stalls;
		st->lock_stall_ns += a.stall_ns;
		if (a.max_stall_ns > st->max_lock_stall_ns)
			st->max_lock_stall_ns = a.max_stall_ns;
		st->mmu_faults += a.faults;
	}
	mm_budget_stats(dev->ptdev->budget, &bs);
	st->resident_bytes = bs.used * MM_PAGE_SIZE;	/* the budget counts pages */
	st->peak_resident_bytes = bs.peak * MM_PAGE_SIZE;
	st->swap_used_bytes = bs.swap_used * MM_PAGE_SIZE;
	st->failed_allocs = bs.failed_allocs;
	{
		struct panthor_gem_stats gs;

		panthor_gem_get_stats(dev->ptdev, &gs);
		st->evictions = gs.evictions;
		st->restores = gs.restores;
		st->bytes_swapped_out = gs.bytes_out;
		st->bytes_swapped_in = gs.bytes_in;
	}
}

API_EXPORT unsigned long pantomime_shrink(struct pantomime_device *dev, unsigned long nr_pages)
{
	return panthor_gem_shrink(dev->ptdev, nr_pages, true);
}

/* The public trace hook: one user callback behind the util tracer. */
static struct {
	pantomime_trace_fn fn;
	void *cookie;
} trace_user;

static void trace_forward(void *cookie, const struct u_trace_event *ev)
{
	struct pantomime_trace_event pe = {
		.ts_ns = ev->ts_ns, .category = ev->category, .name = ev->name,
		.track = ev->track, .phase = ev->phase, .nargs = ev->nargs,
	};

	for (unsigned int i = 0; i < ev->nargs && i < 4; i++) {
		pe.arg_names[i] = ev->arg_names[i];
		pe.args[i] = ev->args[i];
	}
	trace_user.fn(cookie, &pe);
}

static const struct u_tracer_ops trace_forward_ops = { .event = trace_forward };

API_EXPORT void pantomime_trace_set(pantomime_trace_fn fn, void *cookie)
{
	static pthread_mutex_t set_lock = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&set_lock);
	/* Detach first: no event is in flight while the callback changes. */
	u_trace_attach(NULL, NULL);
	trace_user.fn = fn;
	trace_user.cookie = cookie;
	if (fn)
		u_trace_attach(&trace_forward_ops, cookie);
	pthread_mutex_unlock(&set_lock);
}

API_EXPORT int pantomime_dump(struct pantomime_device *dev, enum pantomime_view view, FILE *out)
{
	switch (view) {
	case PANTOMIME_VIEW_GEMS:
		panthor_gem_dump(dev->ptdev, print_line, out);
		return 0;
	case PANTOMIME_VIEW_VMS:
	case PANTOMIME_VIEW_PGTABLES:
		pthread_mutex_lock(&dev->lock);
		for (unsigned int f = 0; f < dev->nr_files; f++) {
			struct panthor_file *pfile = dev->files[f]->pfile;

			for (uint32_t id = 1; id <= PANTHOR_MAX_VMS_PER_FILE; id++) {
				struct panthor_vm *vm = panthor_vm_pool_get_vm(&pfile->vms, id);

				if (!vm)
					continue;
				fprintf(out, "file %u vm %u%s:\n", f, id,
					panthor_vm_is_unusable(vm) ? " (unusable)" : "");
				if (view == PANTOMIME_VIEW_VMS)
					panthor_vm_dump_mappings(vm, print_line, out);
				else
					panthor_vm_dump_pgtable(vm, 0, 0, print_line, out);
				panthor_vm_put(vm);
			}
		}
		pthread_mutex_unlock(&dev->lock);
		return 0;
	case PANTOMIME_VIEW_CHECKER: {
		struct hw_report r[64];
		char buf[768];
		unsigned int n = hw_checker_reports(dev->ptdev->hw, r, 64);

		fprintf(out, "checker: %lu violation(s), %u report(s) kept\n",
			hw_checker_violations(dev->ptdev->hw), n);
		for (unsigned int i = 0; i < n; i++)
			fprintf(out, "  %s\n", hw_report_format(&r[i], buf, sizeof(buf)));
		return 0;
	}
	case PANTOMIME_VIEW_STATS: {
		struct pantomime_stats st;

		pantomime_get_stats(dev, &st);
		fprintf(out, "checker_violations %llu\nchecker_notes %llu\ngpu_accesses %llu\n"
			"lock_stalls %llu\nlock_stall_ns %llu\nmax_lock_stall_ns %llu\n"
			"mmu_faults %llu\nevictions %llu\nrestores %llu\n"
			"bytes_swapped_out %llu\nbytes_swapped_in %llu\n"
			"resident_bytes %llu\npeak_resident_bytes %llu\n"
			"swap_used_bytes %llu\nfailed_allocs %llu\n",
			(unsigned long long)st.checker_violations,
			(unsigned long long)st.checker_notes,
			(unsigned long long)st.gpu_accesses, (unsigned long long)st.lock_stalls,
			(unsigned long long)st.lock_stall_ns,
			(unsigned long long)st.max_lock_stall_ns,
			(unsigned long long)st.mmu_faults, (unsigned long long)st.evictions,
			(unsigned long long)st.restores,
			(unsigned long long)st.bytes_swapped_out,
			(unsigned long long)st.bytes_swapped_in,
			(unsigned long long)st.resident_bytes,
			(unsigned long long)st.peak_resident_bytes,
			(unsigned long long)st.swap_used_bytes,
			(unsigned long long)st.failed_allocs);
		return 0;
	}
	}
	return -EINVAL;
}
