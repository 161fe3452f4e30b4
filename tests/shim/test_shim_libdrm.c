// SPDX-License-Identifier: MIT
/*
 * libdrm's own discovery code, unmodified (Debian 12: libdrm 2.4.114),
 * against the shim: drmGetVersion, drmGetDevices2 / drmGetDevice2 finding a
 * platform device with both node paths, and the name/type-from-fd helpers.
 */
#include <xf86drm.h>

#include "shim_test.h"

T_TEST(get_version, "shim/libdrm/drmGetVersion")
{
	drmVersionPtr v;
	int fd;

	shim_test_require_preload();
	fd = shim_test_open("/dev/dri/renderD128");
	v = drmGetVersion(fd);
	T_ASSERT_NOT_NULL(v);
	T_ASSERT_EQ_STR(v->name, "panthor");
	T_ASSERT_EQ_INT(v->name_len, 7);
	T_ASSERT_EQ_INT(v->version_major, 1);
	T_ASSERT_EQ_INT(v->version_minor, 9);
	T_ASSERT_EQ_INT(v->version_patchlevel, 0);
	T_ASSERT_GT_INT(v->desc_len, 0);
	drmFreeVersion(v);
	close(fd);
}

static void assert_panthor_device(drmDevicePtr dev)
{
	T_ASSERT_EQ_INT(dev->bustype, DRM_BUS_PLATFORM);
	T_ASSERT_EQ_INT(dev->available_nodes & (1 << DRM_NODE_PRIMARY), 1 << DRM_NODE_PRIMARY);
	T_ASSERT_EQ_INT(dev->available_nodes & (1 << DRM_NODE_RENDER), 1 << DRM_NODE_RENDER);
	T_ASSERT_EQ_STR(dev->nodes[DRM_NODE_PRIMARY], "/dev/dri/card0");
	T_ASSERT_EQ_STR(dev->nodes[DRM_NODE_RENDER], "/dev/dri/renderD128");
	T_ASSERT_EQ_STR(dev->businfo.platform->fullname, "/gpu@fb000000");
	T_ASSERT_NOT_NULL(dev->deviceinfo.platform->compatible);
	T_ASSERT_EQ_STR(dev->deviceinfo.platform->compatible[0], "arm,mali-valhall-csf");
	T_ASSERT_NULL(dev->deviceinfo.platform->compatible[1]);
}

T_TEST(get_devices, "shim/libdrm/drmGetDevices2")
{
	drmDevicePtr devs[16];
	int n, found = 0;

	shim_test_require_preload();
	n = drmGetDevices2(0, NULL, 0);
	T_ASSERT_GE_INT(n, 1);
	n = drmGetDevices2(0, devs, 16);
	T_ASSERT_GE_INT(n, 1);
	for (int i = 0; i < n; i++) {
		if (devs[i]->bustype == DRM_BUS_PLATFORM &&
		    (devs[i]->available_nodes & (1 << DRM_NODE_RENDER)) &&
		    !strcmp(devs[i]->nodes[DRM_NODE_RENDER], "/dev/dri/renderD128")) {
			assert_panthor_device(devs[i]);
			found++;
		}
	}
	drmFreeDevices(devs, n);
	T_ASSERT_EQ_INT(found, 1);
}

T_TEST(get_device_from_fd, "shim/libdrm/drmGetDevice2-and-names-from-fd")
{
	drmDevicePtr dev;
	char *name;
	int card, render;

	shim_test_require_preload();
	card = shim_test_open("/dev/dri/card0");
	render = shim_test_open("/dev/dri/renderD128");
	T_ASSERT_EQ_INT(drmGetDevice2(card, 0, &dev), 0);
	assert_panthor_device(dev);
	drmFreeDevice(&dev);
	T_ASSERT_EQ_INT(drmGetDevice2(render, 0, &dev), 0);
	assert_panthor_device(dev);
	drmFreeDevice(&dev);

	T_ASSERT_EQ_INT(drmGetNodeTypeFromFd(card), DRM_NODE_PRIMARY);
	T_ASSERT_EQ_INT(drmGetNodeTypeFromFd(render), DRM_NODE_RENDER);
	name = drmGetDeviceNameFromFd2(card);
	T_ASSERT_EQ_STR(name, "/dev/dri/card0");
	free(name);
	name = drmGetRenderDeviceNameFromFd(card);
	T_ASSERT_EQ_STR(name, "/dev/dri/renderD128");
	free(name);
	name = drmGetPrimaryDeviceNameFromFd(render);
	T_ASSERT_EQ_STR(name, "/dev/dri/card0");
	free(name);
	T_ASSERT(drmIsMaster(card) == 0 || drmIsMaster(card) == 1);	/* no crash, any answer */
	close(card);
	close(render);
}
