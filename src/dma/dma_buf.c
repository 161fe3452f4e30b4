// SPDX-License-Identifier: MIT
/*
 * DOC: dma-buf descriptors
 *
 * A dma-buf is a struct dma_buf (the exporter's object, its reservation
 * object, a reference count) plus any number of descriptors. Each call of
 * dma_buf_fd() makes an AF_UNIX socket pair: the client gets one end, this
 * module keeps the other in a registry entry keyed by the client end's
 * (st_dev, st_ino), which holds one buffer reference. dup(), fork() and
 * SCM_RIGHTS give more descriptors of the same socket; once the last one is
 * closed our end reports POLLHUP and dma_buf_gc() (run now and then by
 * dma_buf_fd() and by every lookup that misses) drops the entry and its
 * reference, so a buffer lives as long as a descriptor or an importer
 * holds it, as in the kernel. A lookup checks POLLHUP too, so a stale entry
 * whose inode number was reused is never mistaken for a live one. The same
 * scheme as sync_file.c, whose DOC explains why a socket pair and not a
 * memfd, eventfd or pipe.
 *
 * Implicit sync through the descriptor (DMA_BUF_IOCTL_EXPORT_SYNC_FILE and
 * IMPORT_SYNC_FILE) works on the buffer's reservation object with the usage
 * rules of the kernel's dma-buf core: a reader waits for the writers
 * (DMA_RESV_USAGE_WRITE), a writer for every reader (DMA_RESV_USAGE_READ);
 * an imported fence is added as a WRITE fence if DMA_BUF_SYNC_WRITE is set,
 * else as a READ fence.
 */
#include "dma_buf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync_file.h"
#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_list.h"
#include "util/u_lock.h"
#include "util/u_log.h"
#include "util/u_uaccess.h"

#define MOD "dma-buf"

/**
 * struct dma_buf_file - one descriptor family (a socket pair) of a buffer.
 * @link: in the registry list.
 * @dev: st_dev of the client end.
 * @ino: st_ino of the client end.
 * @our_fd: this module's end of the pair.
 * @buf: the buffer, one reference.
 */
struct dma_buf_file {
	struct u_list link;
	dev_t dev;
	ino_t ino;
	int our_fd;
	struct dma_buf *buf;
};

/* The registry: registry_lock (class "dma_buf_registry") is a leaf. */
static U_LOCK_CLASS(dma_buf_registry_class, "dma_buf_registry");
static struct u_mutex registry_lock;
static struct u_list registry = U_LIST_INIT(registry);
static unsigned int registry_count;
static unsigned int gc_threshold = 64;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static void registry_init(void)
{
	u_mutex_init(&registry_lock, &dma_buf_registry_class);
}

static void registry_lock_take(void)
{
	pthread_once(&registry_once, registry_init);
	u_mutex_lock(&registry_lock);
}

struct dma_buf *dma_buf_create(const struct dma_buf_ops *ops, void *priv, const void *exporter,
			       struct dma_resv *resv, uint64_t size)
{
	struct dma_buf *buf = u_zalloc(sizeof(*buf));

	if (!buf)
		return ERR_PTR(-ENOMEM);
	u_refcount_init(&buf->refcount, 1);
	buf->ops = ops;
	buf->priv = priv;
	buf->exporter = exporter;
	buf->resv = resv;
	buf->size = size;
	return buf;
}

struct dma_buf *dma_buf_get_ref(struct dma_buf *buf)
{
	u_refcount_get(&buf->refcount);
	return buf;
}

bool dma_buf_get_unless_zero(struct dma_buf *buf)
{
	return u_refcount_get_unless_zero(&buf->refcount);
}

void dma_buf_put(struct dma_buf *buf)
{
	if (!buf || !u_refcount_put(&buf->refcount))
		return;
	buf->ops->release(buf);
	u_free(buf);
}

static bool hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static void destroy_list(struct u_list *dead)
{
	struct dma_buf_file *f, *tmp;

	u_list_for_each_entry_safe(f, tmp, dead, link) {
		u_list_del(&f->link);
		close(f->our_fd);
		dma_buf_put(f->buf);
		u_free(f);
	}
}

unsigned int dma_buf_gc(void)
{
	struct u_list dead = U_LIST_INIT(dead);
	struct dma_buf_file *f, *tmp;
	unsigned int n = 0;

	registry_lock_take();
	u_list_for_each_entry_safe(f, tmp, &registry, link) {
		if (hung_up(f->our_fd)) {
			u_list_move_tail(&f->link, &dead);
			registry_count--;
			n++;
		}
	}
	gc_threshold = u_max(64u, 2 * registry_count);
	u_mutex_unlock(&registry_lock);
	destroy_list(&dead);
	return n;
}

unsigned int dma_buf_revoke(const void *exporter)
{
	struct u_list dead = U_LIST_INIT(dead);
	struct dma_buf_file *f, *tmp;
	unsigned int n = 0;

	registry_lock_take();
	u_list_for_each_entry_safe(f, tmp, &registry, link) {
		if (f->buf->exporter == exporter) {
			u_list_move_tail(&f->link, &dead);
			registry_count--;
			n++;
		}
	}
	u_mutex_unlock(&registry_lock);
	destroy_list(&dead);
	return n;
}

unsigned int dma_buf_count(void)
{
	unsigned int n;

	registry_lock_take();
	n = registry_count;
	u_mutex_unlock(&registry_lock);
	return n;
}

int dma_buf_fd(struct dma_buf *buf, bool cloexec)
{
	struct u_list dead = U_LIST_INIT(dead);
	struct dma_buf_file *f, *old, *tmp;
	struct stat st;
	bool collect;
	int sv[2];
	int ret;

	f = u_zalloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv)) {
		ret = -errno;
		goto err_free;
	}
	if (!cloexec) {
		int fl = fcntl(sv[1], F_GETFD);

		if (fl >= 0)
			fcntl(sv[1], F_SETFD, fl & ~FD_CLOEXEC);
	}
	if (fstat(sv[1], &st)) {
		ret = -errno;
		goto err_close;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->our_fd = sv[0];
	f->buf = dma_buf_get_ref(buf);

	registry_lock_take();
	u_list_for_each_entry_safe(old, tmp, &registry, link) {
		/* Same key as a live socket: the old entry's socket is gone. */
		if (old->dev == f->dev && old->ino == f->ino) {
			u_list_move_tail(&old->link, &dead);
			registry_count--;
		}
	}
	u_list_add_tail(&f->link, &registry);
	registry_count++;
	collect = registry_count >= gc_threshold;
	u_mutex_unlock(&registry_lock);
	destroy_list(&dead);
	if (collect)
		dma_buf_gc();
	return sv[1];

err_close:
	close(sv[0]);
	close(sv[1]);
err_free:
	u_free(f);
	return ret;
}

/* Look @fd up; with @get, take a buffer reference. Return: the buffer, NULL, or ERR_PTR(-EBADF). */
static struct dma_buf *lookup(int fd, bool get, bool *found)
{
	struct u_list dead = U_LIST_INIT(dead);
	struct dma_buf *buf = NULL;
	struct dma_buf_file *f;
	struct stat st;

	*found = false;
	if (fd < 0 || fstat(fd, &st))
		return ERR_PTR(-EBADF);
	if (!S_ISSOCK(st.st_mode))
		return NULL;
	registry_lock_take();
	u_list_for_each_entry(f, &registry, link) {
		if (f->dev != st.st_dev || f->ino != st.st_ino)
			continue;
		if (hung_up(f->our_fd)) {
			/* Stale: its socket died and the inode number was reused. */
			u_list_move_tail(&f->link, &dead);
			registry_count--;
		} else {
			*found = true;
			if (get)
				buf = dma_buf_get_ref(f->buf);
		}
		break;
	}
	u_mutex_unlock(&registry_lock);
	destroy_list(&dead);
	return buf;
}

struct dma_buf *dma_buf_get(int fd)
{
	bool found;
	struct dma_buf *buf = lookup(fd, true, &found);

	if (IS_ERR(buf))
		return buf;
	if (!found) {
		u_dbg(MOD, "fd %d is not a dma-buf", fd);
		return ERR_PTR(-EINVAL);
	}
	return buf;
}

bool dma_buf_is_dma_buf(int fd)
{
	bool found;

	lookup(fd, false, &found);
	return found;
}

static int export_sync_file(struct dma_buf *buf, void *arg)
{
	struct dma_buf_export_sync_file a;
	struct dma_fence *fence = NULL;
	int ret, fd;

	if (u_copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~DMA_BUF_SYNC_RW || !(a.flags & DMA_BUF_SYNC_RW)) {
		u_err(MOD, "EXPORT_SYNC_FILE: flags 0x%x (READ, WRITE or both)", a.flags);
		return -EINVAL;
	}
	ret = dma_resv_get_singleton(buf->resv,
				     dma_resv_usage_rw(a.flags & DMA_BUF_SYNC_WRITE), &fence);
	if (ret)
		return ret;
	if (!fence)
		fence = dma_fence_get_stub();
	fd = sync_file_create(fence);
	dma_fence_put(fence);
	if (fd < 0)
		return fd;
	a.fd = fd;
	if (u_copy_to_user(arg, &a, sizeof(a))) {
		close(fd);
		return -EFAULT;
	}
	return 0;
}

static int import_sync_file(struct dma_buf *buf, void *arg)
{
	struct dma_buf_import_sync_file a;
	struct dma_fence *fence;
	int ret;

	if (u_copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~DMA_BUF_SYNC_RW || !(a.flags & DMA_BUF_SYNC_RW)) {
		u_err(MOD, "IMPORT_SYNC_FILE: flags 0x%x (READ, WRITE or both)", a.flags);
		return -EINVAL;
	}
	fence = sync_file_get_fence(a.fd);
	if (IS_ERR(fence))
		return (int)PTR_ERR(fence);
	dma_resv_lock(buf->resv, NULL);
	ret = dma_resv_reserve_fences(buf->resv, 1);
	if (!ret)
		dma_resv_add_fence(buf->resv, fence,
				   (a.flags & DMA_BUF_SYNC_WRITE) ? DMA_RESV_USAGE_WRITE
								  : DMA_RESV_USAGE_READ);
	dma_resv_unlock(buf->resv);
	dma_fence_put(fence);
	return ret;
}

int dma_buf_ioctl(int fd, unsigned long request, void *arg)
{
	struct dma_buf *buf = dma_buf_get(fd);
	int ret;

	if (IS_ERR(buf))
		return PTR_ERR(buf) == -EBADF ? -EBADF : -ENOTTY;
	switch (request) {
	case DMA_BUF_IOCTL_EXPORT_SYNC_FILE:
		ret = export_sync_file(buf, arg);
		break;
	case DMA_BUF_IOCTL_IMPORT_SYNC_FILE:
		ret = import_sync_file(buf, arg);
		break;
	case DMA_BUF_IOCTL_SYNC: {
		struct dma_buf_sync s;

		if (u_copy_from_user(&s, arg, sizeof(s)))
			ret = -EFAULT;
		else if (s.flags & ~DMA_BUF_SYNC_VALID_FLAGS_MASK || !(s.flags & DMA_BUF_SYNC_RW))
			ret = -EINVAL;
		else
			ret = 0;
		break;
	}
	default:
		ret = -ENOTTY;
		break;
	}
	dma_buf_put(buf);
	return ret;
}
