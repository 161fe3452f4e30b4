// SPDX-License-Identifier: MIT
/*
 * gem suite, black-box through the real shim (LD_PRELOAD): a BO exported
 * with PRIME_HANDLE_TO_FD, the dma-buf descriptor's ioctls (sync-file
 * export, a bad request) and its mmap through plain libc calls, dup and
 * close, and re-import giving the same handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>

#include "uapi/drm/panthor_drm.h"
#include "t_harness.h"

T_TEST(shim_dmabuf, "gem/dmabuf/shim-blackbox")
{
	struct drm_panthor_bo_create bc = { .size = 1 << 16 };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_RW };
	struct drm_prime_handle ph = { 0 };
	const char *pre = getenv("LD_PRELOAD");
	struct pollfd pfd;
	uint32_t *p, *q;
	int fd, buf, buf2;

	if (!pre || !strstr(pre, "libpantomime-shim.so"))
		t_skip("needs LD_PRELOAD=libpantomime-shim.so (meson test sets it)");
	fd = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	T_ASSERT_GE_INT(fd, 0);
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bc), 0);
	mo.handle = bc.handle;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), 0);
	p = mmap(NULL, bc.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)mo.offset);
	T_ASSERT(p != MAP_FAILED);
	p[100] = 0xd1ce;

	ph.handle = bc.handle;
	ph.flags = DRM_CLOEXEC | DRM_RDWR;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph), 0);
	buf = ph.fd;
	T_ASSERT_GE_INT(buf, 0);

	/* The descriptor's own ioctls and mmap, through libc. */
	T_ASSERT_EQ_INT(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex), 0);
	pfd = (struct pollfd){ .fd = ex.fd, .events = POLLIN };
	T_ASSERT_EQ_INT(poll(&pfd, 1, 0), 1);	/* idle buffer: signalled */
	close(ex.fd);
	ex.flags = 0;
	T_ASSERT_EQ_INT(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex), -1);
	T_ASSERT_EQ_INT(errno, EINVAL);
	q = mmap(NULL, bc.size, PROT_READ, MAP_SHARED, buf, 0);
	T_ASSERT(q != MAP_FAILED);
	T_ASSERT_EQ_INT(q[100], 0xd1ce);
	T_ASSERT_EQ_INT(munmap(q, bc.size), 0);

	/* Passed around: a dup imports as the same handle once the original is closed. */
	buf2 = dup(buf);
	T_ASSERT_GE_INT(buf2, 0);
	close(buf);
	memset(&ph, 0, sizeof(ph));
	ph.fd = buf2;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph), 0);
	T_ASSERT_EQ_INT(ph.handle, bc.handle);
	close(buf2);

	T_ASSERT_EQ_INT(munmap(p, bc.size), 0);
	close(fd);
}
