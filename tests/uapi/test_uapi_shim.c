// SPDX-License-Identifier: MIT
/*
 * Black-box through the real shim (LD_PRELOAD=libpantomime-shim.so): open
 * the fake node, VERSION, a BO created, mmapped, written and read through
 * the mapping, a VM with the BO bound, and a wild pointer in VM_BIND's ops
 * giving -1/EFAULT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>

#include "uapi/drm/panthor_drm.h"
#include "t_harness.h"

T_TEST(blackbox, "uapi/shim/blackbox")
{
	struct drm_version v = { 0 };
	struct drm_panthor_bo_create bc = { .size = 1 << 16 };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct drm_panthor_vm_create vc = { 0 };
	struct drm_panthor_vm_bind_op op;
	struct drm_panthor_vm_bind b = { 0 };
	char name[16] = { 0 };
	const char *pre = getenv("LD_PRELOAD");
	uint32_t *p;
	int fd;

	if (!pre || !strstr(pre, "libpantomime-shim.so"))
		t_skip("needs LD_PRELOAD=libpantomime-shim.so (meson test sets it)");
	fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	T_ASSERT_GE_INT(fd, 0);

	v.name = name;
	v.name_len = sizeof(name) - 1;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_VERSION, &v), 0);
	T_ASSERT_EQ_STR(name, "panthor");
	T_ASSERT_EQ_INT(v.version_major, 1);

	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bc), 0);
	mo.handle = bc.handle;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo), 0);
	p = mmap(NULL, bc.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)mo.offset);
	T_ASSERT(p != MAP_FAILED);
	for (unsigned int i = 0; i < bc.size / 4; i += 1024)
		p[i] = 0x5a5a0000u + i;
	for (unsigned int i = 0; i < bc.size / 4; i += 1024)
		T_ASSERT_EQ_INT(p[i], 0x5a5a0000u + i);

	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vc), 0);
	memset(&op, 0, sizeof(op));
	op.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP;
	op.bo_handle = bc.handle;
	op.va = 1 << 24;
	op.size = bc.size;
	b.vm_id = vc.id;
	b.ops.stride = sizeof(op);
	b.ops.count = 1;
	b.ops.array = (uintptr_t)&op;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), 0);

	b.ops.array = 0xdead000000000ull;
	errno = 0;
	T_ASSERT_EQ_INT(ioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b), -1);
	T_ASSERT_EQ_INT(errno, EFAULT);

	T_ASSERT_EQ_INT(munmap(p, bc.size), 0);
	T_ASSERT_EQ_INT(close(fd), 0);
}
