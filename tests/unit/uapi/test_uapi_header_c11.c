// SPDX-License-Identifier: MIT
/*
 * The panthor uAPI header must build for any C11 client, not only in our
 * gnu11 tree: compiled with -std=c11 -Wpedantic -Werror, including nothing
 * else, so a GNU extension or an out-of-range enumerator breaks the build.
 * It also expands the macros a client uses, since a macro is only checked
 * where it expands. Passing means "it compiled"; main() just returns 0.
 */
#include "uapi/drm/panthor_drm.h"

static struct drm_panthor_vm_bind_op ops[2];
static struct drm_panthor_vm_bind bind = {
	.flags = DRM_PANTHOR_VM_BIND_ASYNC,
	.ops = DRM_PANTHOR_OBJ_ARRAY(2, ops),
};
static const unsigned long requests[] = {
	DRM_IOCTL_PANTHOR_DEV_QUERY, DRM_IOCTL_PANTHOR_VM_BIND, DRM_IOCTL_PANTHOR_BO_QUERY_INFO,
};

int main(void)
{
	(void)bind;
	(void)requests;
	(void)DRM_PANTHOR_USER_FLUSH_ID_MMIO_OFFSET;
	(void)DRM_PANTHOR_ARCH_MAJOR(0u);
	return 0;
}
