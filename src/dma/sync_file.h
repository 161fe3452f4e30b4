/* SPDX-License-Identifier: MIT */
/*
 * sync_file: a fence exported as a file descriptor, so that a client can
 * pass it between processes' APIs (Vulkan external semaphores and fences,
 * dma-buf implicit sync import/export), dup it, poll it and close it.
 *
 * The descriptor is one end of an AF_UNIX socket pair; this module keeps
 * the other end and a process-wide registry from the descriptor's
 * (st_dev, st_ino) to the fence, so any dup of it finds the same fence.
 * The descriptor becomes readable (POLLIN) when the fence signals, as a
 * kernel sync file does. Deviations: read() on it yields one byte instead
 * of failing with EINVAL (and consumes the readiness), and fstat() shows a
 * socket rather than an anonymous inode.
 */
#ifndef PANTOMIME_SYNC_FILE_H
#define PANTOMIME_SYNC_FILE_H

#include <stdbool.h>

#include "dma_fence.h"

/**
 * sync_file_create() - export @fence as a new sync file descriptor.
 * @fence: the fence (the sync file takes its own reference).
 *
 * The descriptor is close-on-exec, like the kernel's. Also collects the
 * registry entries of closed descriptors now and then (sync_file_gc()).
 *
 * Return: the descriptor (>= 0), -ENOMEM, or the negative errno of
 * socketpair() (-EMFILE, -ENFILE).
 */
int sync_file_create(struct dma_fence *fence);

/**
 * sync_file_get_fence() - the fence behind sync file descriptor @fd.
 *
 * Return: a new reference; ERR_PTR(-EINVAL) if @fd is not open or is not
 * a sync file of this process (as the kernel's importers answer).
 */
struct dma_fence *sync_file_get_fence(int fd);

/** sync_file_is_sync_file() - Return: whether @fd is a sync file of this process (no reference taken). */
bool sync_file_is_sync_file(int fd);

/**
 * sync_file_gc() - drop the registry entries whose every descriptor has
 * been closed: this module's end of the socket pair reports POLLHUP once
 * the client's end is released, i.e. once the last descriptor referring to
 * it (including dups and descriptors inherited by children) is closed.
 * Drops each such entry's fence reference.
 *
 * Return: the number of entries dropped.
 */
unsigned int sync_file_gc(void);

/** sync_file_count() - Return: registry entries, including closed ones not yet collected (tests). */
unsigned int sync_file_count(void);

#endif
