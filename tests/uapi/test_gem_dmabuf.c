// SPDX-License-Identifier: MIT
/*
 * gem suite, dma-buf: PRIME export and import through pantomime_ioctl(),
 * between two devices of the process, descriptors passed around (dup) and
 * closed, and the dma-buf sync-file ioctls through pantomime_fd_ioctl().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>

#include "dma/dma_buf.h"
#include "dma/dma_fence.h"
#include "dma/sync_file.h"
#include "pantomime/pantomime.h"
#include "uapi/drm/panthor_drm.h"
#include "util/u_alloc.h"
#include "t_harness.h"

#define MiB (1ull << 20)

struct side {
	struct pantomime_device *dev;
	struct pantomime_file *file;
};

static void side_open(struct side *s)
{
	struct pantomime_config cfg;

	pantomime_config_default(&cfg);
	cfg.memory_bytes = 64 * MiB;
	cfg.swap_bytes = 64 * MiB;
	T_ASSERT_OK(pantomime_device_create(&cfg, &s->dev));
	T_ASSERT_OK(pantomime_file_open(s->dev, true, &s->file));
}

static void side_close(struct side *s)
{
	pantomime_file_close(s->file);
	pantomime_device_destroy(s->dev);
}

static uint32_t bo_create(struct side *s, uint64_t size, uint32_t vm)
{
	struct drm_panthor_bo_create c = { .size = size, .exclusive_vm_id = vm };

	T_ASSERT_OK(pantomime_ioctl(s->file, DRM_IOCTL_PANTHOR_BO_CREATE, &c));
	return c.handle;
}

static int export(struct side *s, uint32_t handle, uint32_t flags, int *fd)
{
	struct drm_prime_handle p = { .handle = handle, .flags = flags, .fd = -1 };
	int ret = pantomime_ioctl(s->file, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	*fd = p.fd;
	return ret;
}

static int import(struct side *s, int fd, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = fd };
	int ret = pantomime_ioctl(s->file, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	*handle = p.handle;
	return ret;
}

static uint32_t extra_flags(struct side *s, uint32_t handle)
{
	struct drm_panthor_bo_query_info q = { .handle = handle };

	T_ASSERT_OK(pantomime_ioctl(s->file, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &q));
	return q.extra_flags;
}

static uint64_t *map(struct side *s, uint32_t handle, uint64_t size)
{
	struct drm_panthor_bo_mmap_offset o = { .handle = handle };
	void *p = NULL;

	T_ASSERT_OK(pantomime_ioctl(s->file, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &o));
	T_ASSERT_OK(pantomime_mmap(s->file, NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				   o.offset, &p));
	return p;
}

static void gem_close(struct side *s, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	T_ASSERT_OK(pantomime_ioctl(s->file, DRM_IOCTL_GEM_CLOSE, &c));
}

T_TEST(self, "gem/dmabuf/export-reimport-errors")
{
	struct drm_panthor_vm_create vc = { 0 };
	struct side a;
	uint32_t h, h2, priv;
	int fd, fd2, bad, pfd[2];

	side_open(&a);
	h = bo_create(&a, 1 * MiB, 0);
	T_ASSERT_OK(export(&a, h, DRM_CLOEXEC | DRM_RDWR, &fd));
	T_ASSERT_GE_INT(fd, 0);
	T_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	T_ASSERT(pantomime_fd_is_ours(fd));
	/* Our own export comes back as the same handle. */
	T_ASSERT_OK(import(&a, fd, &h2));
	T_ASSERT_EQ_INT(h2, h);
	T_ASSERT_EQ_INT(extra_flags(&a, h), 0);
	/* Exporting again: another descriptor of the same buffer. */
	T_ASSERT_OK(export(&a, h, 0, &fd2));
	T_ASSERT(!(fcntl(fd2, F_GETFD) & FD_CLOEXEC));
	T_ASSERT_OK(import(&a, fd2, &h2));
	T_ASSERT_EQ_INT(h2, h);

	/* Errors. */
	T_ASSERT_OK(pantomime_ioctl(a.file, DRM_IOCTL_PANTHOR_VM_CREATE, &vc));
	priv = bo_create(&a, 4096, vc.id);
	T_ASSERT_ERRNO(export(&a, priv, 0, &bad), EINVAL);	/* private to a VM */
	T_ASSERT_ERRNO(export(&a, 999, 0, &bad), ENOENT);
	T_ASSERT_ERRNO(export(&a, h, 0x4, &bad), EINVAL);	/* unknown flag */
	T_ASSERT_OK(pipe(pfd));
	T_ASSERT_ERRNO(import(&a, pfd[0], &h2), EINVAL);	/* not a dma-buf */
	T_ASSERT(!pantomime_fd_is_ours(pfd[0]));
	close(pfd[0]);
	close(pfd[1]);
	T_ASSERT_ERRNO(import(&a, pfd[0], &h2), EBADF);	/* not open */

	/* Closing the handle: a re-import gives the BO back under a handle. */
	{
		uint64_t *p = map(&a, h, 1 * MiB);

		p[5] = 55;
		gem_close(&a, h);
		T_ASSERT_OK(import(&a, fd, &h2));
		T_ASSERT_OK(pantomime_munmap(p, 1 * MiB));
		p = map(&a, h2, 1 * MiB);
		T_ASSERT_EQ_U64(p[5], 55);
		T_ASSERT_OK(pantomime_munmap(p, 1 * MiB));
	}
	close(fd);
	close(fd2);
	side_close(&a);
	T_ASSERT_EQ_INT(dma_buf_gc() + dma_buf_count(), 0);
}

T_TEST(foreign, "gem/dmabuf/foreign-import")
{
	struct side a, b;
	uint32_t h, hb, hb2, ha2;
	uint64_t *pa, *pb;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int fd, dup_fd, fd_back;

	side_open(&a);
	side_open(&b);
	h = bo_create(&a, 2 * MiB, 0);
	pa = map(&a, h, 2 * MiB);
	for (int i = 0; i < 512; i++)
		pa[i * 512] = 0xa000 + (uint64_t)i;
	T_ASSERT_OK(export(&a, h, DRM_CLOEXEC, &fd));

	/* Passed around: a dup works, the original can be closed. */
	dup_fd = dup(fd);
	T_ASSERT_GE_INT(dup_fd, 0);
	close(fd);
	T_ASSERT_OK(import(&b, dup_fd, &hb));
	T_ASSERT_EQ_INT(extra_flags(&b, hb), DRM_PANTHOR_BO_IS_IMPORTED);
	T_ASSERT_OK(import(&b, dup_fd, &hb2));
	T_ASSERT_EQ_INT(hb2, hb);			/* imported once per file */

	/* The importer sees the exporter's frames, both ways. */
	pb = map(&b, hb, 2 * MiB);
	for (int i = 0; i < 512; i++)
		T_ASSERT_EQ_U64(pb[i * 512], 0xa000 + (uint64_t)i);
	pb[7] = 0xbbbb;
	T_ASSERT_EQ_U64(pa[7], 0xbbbb);

	/* mmap of the descriptor itself shows the buffer too. */
	{
		uint64_t *pf = NULL;
		void *bad;

		T_ASSERT_OK(pantomime_fd_mmap(dup_fd, 2 * MiB, PROT_READ, MAP_SHARED, 0,
					      (void **)&pf));
		T_ASSERT_EQ_U64(pf[7], 0xbbbb);
		T_ASSERT_OK(pantomime_munmap(pf, 2 * MiB));
		T_ASSERT_ERRNO(pantomime_fd_mmap(dup_fd, 4096, PROT_READ, MAP_PRIVATE, 0, &bad),
			       EINVAL);
		T_ASSERT_ERRNO(pantomime_fd_mmap(dup_fd, 4096, PROT_READ, MAP_SHARED, 2 * MiB,
						 &bad), EINVAL);
		T_ASSERT_ERRNO(pantomime_fd_mmap(0, 4096, PROT_READ, MAP_SHARED, 0, &bad), ENODEV);
	}
	close(dup_fd);

	/* The importer can bind it in a VM of its own device; the checker stays silent. */
	{
		struct drm_panthor_vm_create vc = { 0 };
		struct drm_panthor_vm_bind_op op = {
			.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, .bo_handle = hb,
			.va = 1ull << 24, .size = 2 * MiB,
		};
		struct drm_panthor_vm_bind vb = {
			.ops = { .stride = sizeof(op), .count = 1, .array = (uintptr_t)&op },
		};
		struct pantomime_stats st;

		T_ASSERT_OK(pantomime_ioctl(b.file, DRM_IOCTL_PANTHOR_VM_CREATE, &vc));
		vb.vm_id = vc.id;
		T_ASSERT_OK(pantomime_ioctl(b.file, DRM_IOCTL_PANTHOR_VM_BIND, &vb));
		op.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP;
		op.bo_handle = 0;
		T_ASSERT_OK(pantomime_ioctl(b.file, DRM_IOCTL_PANTHOR_VM_BIND, &vb));
		pantomime_get_stats(b.dev, &st);
		T_ASSERT_EQ_INT(st.checker_violations, 0);
	}

	/* BO_SYNC refuses an import. */
	{
		struct drm_panthor_bo_sync_op op = {
			.handle = hb, .type = DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH, .size = 4096,
		};
		struct drm_panthor_bo_sync s = {
			.ops = { .stride = sizeof(op), .count = 1, .array = (uintptr_t)&op },
		};

		T_ASSERT_ERRNO(pantomime_ioctl(b.file, DRM_IOCTL_PANTHOR_BO_SYNC, &s), EINVAL);
	}

	/* Neither side reclaims it while imported. */
	T_ASSERT_OK(pantomime_munmap(pa, 2 * MiB));
	T_ASSERT_OK(pantomime_munmap(pb, 2 * MiB));
	T_ASSERT_EQ_INT(pantomime_shrink(a.dev, 1 << 20), 0);
	T_ASSERT_EQ_INT(pantomime_shrink(b.dev, 1 << 20), 0);

	/* The gems tables say exported and imported. */
	f = open_memstream(&text, &len);
	T_ASSERT_OK(pantomime_dump(b.dev, PANTOMIME_VIEW_GEMS, f));
	T_ASSERT_OK(pantomime_dump(a.dev, PANTOMIME_VIEW_GEMS, f));
	fclose(f);
	T_ASSERT(strstr(text, " 0x001 "));	/* imported, on b */
	T_ASSERT(strstr(text, " 0x002 "));	/* exported, on a */
	free(text);

	/* Re-exported from b, imported back on a: a's own BO. */
	T_ASSERT_OK(export(&b, hb, 0, &fd_back));
	T_ASSERT_OK(import(&a, fd_back, &ha2));
	T_ASSERT_EQ_INT(ha2, h);
	close(fd_back);

	/* Once the importer is gone the exporter's BO is reclaimable again. */
	gem_close(&b, hb);
	dma_buf_gc();
	T_ASSERT_EQ_INT(pantomime_shrink(a.dev, 1 << 20), 512);
	side_close(&b);
	side_close(&a);
	T_ASSERT_EQ_INT(dma_buf_count(), 0);
}

static const char *fence_name(struct dma_fence *fence)
{
	return "dmabuf-test";
}

static const struct dma_fence_ops fence_ops = {
	.get_driver_name = fence_name,
	.get_timeline_name = fence_name,
};

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

T_TEST(sync_file, "gem/dmabuf/sync-file-ioctls")
{
	struct dma_buf_export_sync_file ex = { 0 };
	struct dma_buf_import_sync_file im = { 0 };
	struct dma_fence *fence;
	struct side a;
	int fd, sf, pfd[2];
	uint32_t h;

	side_open(&a);
	h = bo_create(&a, 4096, 0);
	T_ASSERT_OK(export(&a, h, DRM_CLOEXEC, &fd));

	/* Idle buffer: the exported sync file is signalled. */
	ex.flags = DMA_BUF_SYNC_RW;
	T_ASSERT_OK(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex));
	T_ASSERT(readable(ex.fd));
	close(ex.fd);

	/* Import a pending write fence: readers and writers must wait for it. */
	fence = u_malloc(sizeof(*fence));
	T_ASSERT_NOT_NULL(fence);
	dma_fence_init(fence, &fence_ops, dma_fence_context_alloc(1), 1);
	sf = sync_file_create(fence);
	T_ASSERT_GE_INT(sf, 0);
	im.flags = DMA_BUF_SYNC_WRITE;
	im.fd = sf;
	T_ASSERT_OK(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im));
	ex.flags = DMA_BUF_SYNC_READ;
	T_ASSERT_OK(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex));
	T_ASSERT(!readable(ex.fd));
	dma_fence_signal(fence);
	T_ASSERT(readable(ex.fd));
	close(ex.fd);

	/* A pending read fence: a writer waits, a reader does not. */
	dma_fence_put(fence);
	fence = u_malloc(sizeof(*fence));
	T_ASSERT_NOT_NULL(fence);
	dma_fence_init(fence, &fence_ops, dma_fence_context_alloc(1), 1);
	close(sf);
	sf = sync_file_create(fence);
	im.flags = DMA_BUF_SYNC_READ;
	im.fd = sf;
	T_ASSERT_OK(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im));
	ex.flags = DMA_BUF_SYNC_READ;
	T_ASSERT_OK(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex));
	T_ASSERT(readable(ex.fd));
	close(ex.fd);
	ex.flags = DMA_BUF_SYNC_WRITE;
	T_ASSERT_OK(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex));
	T_ASSERT(!readable(ex.fd));
	dma_fence_signal(fence);
	T_ASSERT(readable(ex.fd));
	close(ex.fd);
	dma_fence_put(fence);

	/* Errors. */
	ex.flags = 0;
	T_ASSERT_ERRNO(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex), EINVAL);
	ex.flags = 0x10;
	T_ASSERT_ERRNO(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex), EINVAL);
	T_ASSERT_OK(pipe(pfd));
	im.flags = DMA_BUF_SYNC_WRITE;
	im.fd = pfd[0];
	T_ASSERT_ERRNO(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im), EINVAL);
	T_ASSERT_ERRNO(pantomime_fd_ioctl(pfd[0], DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex), ENOTTY);
	T_ASSERT_ERRNO(pantomime_fd_ioctl(fd, _IO('b', 0x7f), NULL), ENOTTY);
	T_ASSERT_ERRNO(pantomime_fd_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
					  (void *)(uintptr_t)0xdead000000000ull), EFAULT);
	close(pfd[0]);
	close(pfd[1]);
	T_ASSERT_ERRNO(pantomime_fd_ioctl(pfd[0], DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex), EBADF);
	close(sf);
	close(fd);
	sync_file_gc();
	side_close(&a);
}

/* BO_CREATE and BO_MMAP_OFFSET rules of §1.6 that the uapi suite does not cover. */
T_TEST(bo_rules, "gem/uapi/bo-create-zeroed-offsets-label")
{
	struct drm_panthor_bo_create c = { .size = 4096 };
	struct drm_panthor_bo_mmap_offset o1 = { 0 }, o2 = { 0 };
	struct drm_panthor_bo_set_label l = { 0 };
	static char label[4096];
	struct pantomime_file *f2;
	struct side a;
	uint32_t h1, h2;
	uint64_t *p;

	side_open(&a);
	c.flags = DRM_PANTHOR_BO_NO_MMAP | DRM_PANTHOR_BO_WB_MMAP;
	T_ASSERT_ERRNO(pantomime_ioctl(a.file, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);
	c.flags = 0;
	c.exclusive_vm_id = 7;	/* no such VM */
	T_ASSERT_ERRNO(pantomime_ioctl(a.file, DRM_IOCTL_PANTHOR_BO_CREATE, &c), EINVAL);

	/* Frames come back zeroed when reused: fill 8 MiB, free it, allocate again. */
	h1 = bo_create(&a, 8 * MiB, 0);
	p = map(&a, h1, 8 * MiB);
	for (uint64_t i = 0; i < 8 * MiB / 8; i += 64)
		p[i] = ~0ull;
	T_ASSERT_OK(pantomime_munmap(p, 8 * MiB));
	gem_close(&a, h1);
	for (int k = 0; k < 3; k++) {
		h2 = bo_create(&a, 8 * MiB, 0);
		p = map(&a, h2, 8 * MiB);
		for (uint64_t i = 0; i < 8 * MiB / 8; i += 64)
			T_ASSERT_EQ_U64(p[i], 0);
		T_ASSERT_OK(pantomime_munmap(p, 8 * MiB));
		gem_close(&a, h2);
	}

	/* One fake offset per BO, the same from every file, distinct between BOs. */
	h1 = bo_create(&a, 3 * 4096, 0);
	h2 = bo_create(&a, 4096, 0);
	o1.handle = h1;
	o2.handle = h2;
	T_ASSERT_OK(pantomime_ioctl(a.file, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &o1));
	T_ASSERT_OK(pantomime_ioctl(a.file, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &o2));
	T_ASSERT(o2.offset >= o1.offset + 3 * 4096 || o1.offset >= o2.offset + 4096);
	{
		struct drm_panthor_bo_mmap_offset o3 = { 0 };
		uint32_t h3;
		int fd;

		T_ASSERT_OK(pantomime_file_open(a.dev, true, &f2));
		T_ASSERT_OK(export(&a, h1, DRM_CLOEXEC, &fd));
		{
			struct drm_prime_handle ph = { .fd = fd };

			T_ASSERT_OK(pantomime_ioctl(f2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph));
			h3 = ph.handle;
		}
		o3.handle = h3;
		T_ASSERT_OK(pantomime_ioctl(f2, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &o3));
		T_ASSERT_EQ_U64(o3.offset, o1.offset);
		close(fd);
		pantomime_file_close(f2);
	}

	/* Partial munmaps count each page once; the mapping goes with its last page. */
	{
		uint8_t *q = (uint8_t *)map(&a, h1, 3 * 4096);

		q[0] = 1;
		T_ASSERT_OK(pantomime_munmap(q + 4096, 4096));
		T_ASSERT_OK(pantomime_munmap(q + 4096, 2 * 4096));	/* page 1 again, and 2 */
		T_ASSERT(pantomime_is_mapping(q, 4096));
		T_ASSERT_EQ_INT(q[0], 1);
		T_ASSERT_OK(pantomime_munmap(q, 4096));
		T_ASSERT(!pantomime_is_mapping(q, 3 * 4096));
		T_ASSERT_ERRNO(pantomime_munmap(q, 4096), EINVAL);
	}

	/* The label limit: 4095 characters and the NUL fit. */
	memset(label, 'x', sizeof(label) - 1);
	l.handle = h1;
	l.label = (uintptr_t)label;
	T_ASSERT_OK(pantomime_ioctl(a.file, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l));
	l.label = (uintptr_t)"";
	T_ASSERT_OK(pantomime_ioctl(a.file, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l));
	side_close(&a);
	T_ASSERT_EQ_INT(dma_buf_gc() + dma_buf_count(), 0);
}

/* A device destroyed while a descriptor of its BO is still open: no crash, no leak. */
T_TEST(revoked_on_destroy, "gem/dmabuf/device-destroyed-with-open-descriptor")
{
	struct side a, b;
	uint32_t h, hb;
	int fd;

	side_open(&a);
	side_open(&b);
	h = bo_create(&a, 4096, 0);
	T_ASSERT_OK(export(&a, h, DRM_CLOEXEC, &fd));
	side_close(&a);
	T_ASSERT(!pantomime_fd_is_ours(fd));
	T_ASSERT_ERRNO(import(&b, fd, &hb), EINVAL);
	close(fd);
	side_close(&b);
}
