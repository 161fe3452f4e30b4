// SPDX-License-Identifier: MIT
/*
 * The panthor uAPI header must also build as C++ (C++11, -Wpedantic
 * -Werror): the extern "C" block, the enumerators written through int casts
 * and the static_assert layout checks. DRM_PANTHOR_OBJ_ARRAY() is left out:
 * it is a designated initializer, which C++ only has from C++20.
 */
#include "uapi/drm/panthor_drm.h"

int main()
{
	drm_panthor_vm_bind bind = {};
	bind.flags = DRM_PANTHOR_VM_BIND_ASYNC;
	(void)bind;
	static_assert(DRM_IOCTL_PANTHOR_VM_BIND == 0xC0186443u, "VM_BIND request");
	return 0;
}
