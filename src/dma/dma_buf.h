/* SPDX-License-Identifier: MIT */
/*
 * dma-buf: a buffer exported as a file descriptor, so that a client can
 * hand it to another device (another pantomime device of the process: the
 * RAM arena is process-wide, so its frames are mappable there), dup it,
 * pass it around and close it.
 *
 * As for sync files (sync_file.h), the descriptor is one end of an AF_UNIX
 * socket pair; this module keeps the other end and a process-wide registry
 * from the descriptor's (st_dev, st_ino) to the buffer, so any dup of it
 * finds the same buffer, and the entry (with its buffer reference) is
 * dropped once every descriptor of it is closed (our end then reports
 * POLLHUP; dma_buf_gc()). Deviations: fstat() shows a socket; exporting a
 * buffer again gives a descriptor of a new file (same buffer), not of the
 * same file; the sync-file ioctls are reached through dma_buf_ioctl(), not
 * through ioctl(2) on the descriptor (the shim routes them).
 */
#ifndef PANTOMIME_DMA_BUF_H
#define PANTOMIME_DMA_BUF_H

#include <stdbool.h>
#include <stdint.h>

#include "dma_resv.h"
#include "util/u_refcount.h"

struct dma_buf;

/**
 * struct dma_buf_ops - the exporter's callbacks.
 * @release: the last reference is gone: drop what @priv holds. Not NULL.
 */
struct dma_buf_ops {
	void (*release)(struct dma_buf *buf);
};

/**
 * struct dma_buf - an exported buffer.
 * @refcount: one per open file (registry entry) and per importer.
 * @ops: the exporter's callbacks.
 * @priv: the exporter's object.
 * @exporter: identifies the exporting device (re-import detection).
 * @resv: the exported object's reservation object (implicit sync).
 * @size: bytes.
 */
struct dma_buf {
	struct u_refcount refcount;
	const struct dma_buf_ops *ops;
	void *priv;
	const void *exporter;
	struct dma_resv *resv;
	uint64_t size;
};

/**
 * dma_buf_create() - a new buffer with one reference (the caller's).
 * @ops: the exporter's callbacks (static storage).
 * @priv: the exporter's object.
 * @exporter: the exporting device.
 * @resv: the object's reservation object (must outlive the buffer).
 * @size: bytes.
 * Return: the buffer or ERR_PTR(-ENOMEM).
 */
struct dma_buf *dma_buf_create(const struct dma_buf_ops *ops, void *priv, const void *exporter,
			       struct dma_resv *resv, uint64_t size);

/**
 * dma_buf_fd() - a new descriptor for @buf (close-on-exec when @cloexec).
 * The registry entry takes its own reference.
 * @buf: the buffer.
 * @cloexec: O_CLOEXEC was asked for.
 * Return: the descriptor (>= 0), -ENOMEM, or socketpair()'s -EMFILE/-ENFILE.
 */
int dma_buf_fd(struct dma_buf *buf, bool cloexec);

/**
 * dma_buf_get() - the buffer behind @fd.
 * @fd: a descriptor.
 * Return: a new reference; ERR_PTR(-EBADF) if @fd is not open;
 * ERR_PTR(-EINVAL) if it is not a dma-buf of this process.
 */
struct dma_buf *dma_buf_get(int fd);

/**
 * dma_buf_get_unless_zero() - a reference to @buf unless it is being freed.
 * Return: whether one was taken.
 */
bool dma_buf_get_unless_zero(struct dma_buf *buf);

/** dma_buf_get_ref() - take a reference. Return: @buf. */
struct dma_buf *dma_buf_get_ref(struct dma_buf *buf);

/** dma_buf_put() - drop a reference; the last one calls ops->release and frees. @buf: or NULL. */
void dma_buf_put(struct dma_buf *buf);

/** dma_buf_is_dma_buf() - Return: @fd is a dma-buf of this process (no reference taken). */
bool dma_buf_is_dma_buf(int fd);

/**
 * dma_buf_gc() - drop the registry entries whose every descriptor has been
 * closed, with their buffer references.
 * Return: the number of entries dropped.
 */
unsigned int dma_buf_gc(void);

/**
 * dma_buf_revoke() - the exporting device is going away: drop the registry
 * entries of every buffer it exported, open descriptors or not (those
 * descriptors stay open but are no dma-buf any more: importing one gives
 * -EINVAL). Importers' references are not touched.
 * @exporter: the device.
 * Return: the number of entries dropped.
 */
unsigned int dma_buf_revoke(const void *exporter);

/** dma_buf_count() - Return: registry entries, closed ones not yet collected included. */
unsigned int dma_buf_count(void);

/**
 * dma_buf_ioctl() - an ioctl on a dma-buf descriptor:
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE (a sync file of the fences a reader
 * (DMA_BUF_SYNC_READ) or a writer (DMA_BUF_SYNC_WRITE) must wait for) and
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE (add a sync file's fence as a read or
 * write fence); DMA_BUF_IOCTL_SYNC is accepted and does nothing (the
 * model's CPU is coherent with itself).
 * @fd: the descriptor.
 * @request: the request.
 * @arg: the argument in the caller's memory.
 * Return: 0; -EBADF/-ENOTTY for a descriptor that is not a dma-buf; -ENOTTY
 * for another request; -EINVAL for bad flags or a descriptor that is not a
 * sync file; -EFAULT; -ENOMEM.
 */
int dma_buf_ioctl(int fd, unsigned long request, void *arg);

#endif
