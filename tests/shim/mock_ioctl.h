/* SPDX-License-Identifier: MIT */
/*
 * The one private ioctl of the shim tests' mock backend (mock_backend.c):
 * the black-box tests read the mock's counters through the shim with it,
 * which also proves the ioctl was routed to the backend.
 */
#ifndef PANTOMIME_TESTS_MOCK_IOCTL_H
#define PANTOMIME_TESTS_MOCK_IOCTL_H

#include <drm.h>

/**
 * struct pantomime_mock_info - argument of DRM_IOCTL_PANTOMIME_MOCK_INFO.
 * @files_opened: out; pantomime_file_open() calls so far.
 * @files_closed: out; pantomime_file_close() calls so far.
 * @add_violations: in; add this many fake checker violations (exit-report tests).
 * @render: out; 1 if the file this ioctl went to is on the render node.
 * @ioctls: out; pantomime_ioctl() calls so far (this one included).
 * @mmaps: out; successful pantomime_mmap() calls.
 * @munmaps: out; pantomime_munmap() calls.
 * @mapped_bytes: out; bytes mapped now.
 */
struct pantomime_mock_info {
	__u32 files_opened;
	__u32 files_closed;
	__u32 add_violations;
	__u32 render;
	__u64 ioctls;
	__u64 mmaps;
	__u64 munmaps;
	__u64 mapped_bytes;
};

/** DRM_IOCTL_PANTOMIME_MOCK_INFO - the mock's counters (the last driver ioctl number). */
#define DRM_IOCTL_PANTOMIME_MOCK_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + 0x5f, struct pantomime_mock_info)

#endif
