// SPDX-License-Identifier: MIT
/*
 * DOC: sync_file
 *
 * This file holds the registry of the objects src/dma exports as file
 * descriptors: sync files (a fence) and syncobj files (a drm_syncobj, see
 * drm_syncobj_get_fd() in syncobj.c). dma-buf descriptors keep a registry
 * of the same design in dma_buf.c. Each entry carries a
 * struct dma_file_ops naming its kind, so a syncobj fd given to a sync-file
 * importer (or the reverse) is "not that kind of file" (-EINVAL), as the
 * kernel's f_op checks answer. Only a sync file has a readiness fence.
 *
 * Model: the client gets one end of a socketpair(AF_UNIX, SOCK_STREAM);
 * the registry keeps the other end, the fence, and the client end's
 * (st_dev, st_ino). Every descriptor that refers to the client end, dups
 * included, fstat()s to that same pair, so lookup is one fstat() and a
 * list search.
 *
 *   client fds 7, 9 (dup) ──► socket inode (dev D, ino 1234) ◄═══► our end (fd 12)
 *   registry: { D:1234, our fd 12, fence F, callback on F }
 *
 * Closure: when the last descriptor of the client end goes, the kernel
 * releases that socket and our end sees POLLHUP. sync_file_gc() polls
 * every entry's end with a zero timeout and drops the hung-up ones;
 * sync_file_create() runs it whenever the registry has doubled since the
 * last collection, so the registry stays proportional to the sync files
 * actually open. While our end is not hung up the client end is alive, so
 * its inode number cannot have been reused: an entry that matches and is
 * not hung up is exact. A stale entry (hung up, not yet collected) whose
 * inode number was reused by some other socket is recognised by the same
 * POLLHUP test at lookup and dropped, and a new sync file replaces any
 * stale entry with its key.
 *
 * Signalling: a callback on the fence sends one byte to our end, so the
 * client end polls readable once the fence has signalled, as a kernel
 * sync file does. send() with MSG_NOSIGNAL: no SIGPIPE if the client has
 * gone. The callback runs in the signaller's thread inside its signalling
 * section, which is fine: send() is a syscall, not an allocation.
 *
 * Rejected alternatives: a memfd (every memfd has its own inode, but it is
 * always readable, so poll() would say "signalled" at once, and nothing
 * tells us when the client closed it); an eventfd (pollable, but every
 * eventfd shares one anonymous inode, so dups cannot be told from other
 * eventfds); a pipe (unique inode and POLLERR on close, but writing the
 * readiness byte after the reader closed raises SIGPIPE in whatever thread
 * signals the fence).
 */
#include "sync_file.h"
#include "dma_internal.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_list.h"
#include "util/u_lock.h"

/**
 * struct dma_file - one registry entry: an object exported as a descriptor.
 * @link: in the registry list.
 * @dev: st_dev of the client end.
 * @ino: st_ino of the client end.
 * @our_fd: this module's end of the pair.
 * @ops: what kind of object @obj is (a sync file's fence, a syncobj).
 * @obj: the object, one reference (taken with @ops->get).
 * @ready: the fence whose signal makes the client end readable, one
 *         reference; NULL for a file that never becomes readable.
 * @cb: the readiness callback on @ready.
 * @cb_added: @cb is registered (else the byte was sent at creation).
 */
struct dma_file {
	struct u_list link;
	dev_t dev;
	ino_t ino;
	int our_fd;
	const struct dma_file_ops *ops;
	void *obj;
	struct dma_fence *ready;
	struct dma_fence_cb cb;
	bool cb_added;
};

/*
 * The registry. registry_lock (class "sync_file_registry") protects the
 * list, its count and the threshold; it is a leaf: only syscalls that do
 * not block (fstat, poll with timeout 0) and a fence reference increment
 * happen under it.
 */
static U_LOCK_CLASS(sync_file_registry_class, "sync_file_registry");
static struct u_mutex registry_lock;
static struct u_list registry = U_LIST_INIT(registry);
static unsigned int registry_count;
static unsigned int gc_threshold = 64;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static void registry_init(void)
{
	u_mutex_init(&registry_lock, &sync_file_registry_class);
}

static void registry_lock_take(void)
{
	pthread_once(&registry_once, registry_init);
	u_mutex_lock(&registry_lock);
}

static void dma_file_ready_cb(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct dma_file *sf = container_of(cb, struct dma_file, cb);
	static const char byte = 1;

	(void)!send(sf->our_fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static bool hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/* Free an entry already unlinked from the registry. */
static void dma_file_destroy(struct dma_file *sf)
{
	/* Waits for a callback running in a signaller's thread right now. */
	if (sf->cb_added)
		dma_fence_remove_callback(sf->ready, &sf->cb);
	close(sf->our_fd);
	dma_fence_put(sf->ready);
	sf->ops->put(sf->obj);
	u_free(sf);
}

static void destroy_list(struct u_list *dead)
{
	struct dma_file *sf, *tmp;

	u_list_for_each_entry_safe(sf, tmp, dead, link) {
		u_list_del(&sf->link);
		dma_file_destroy(sf);
	}
}

unsigned int sync_file_gc(void)
{
	struct u_list dead = U_LIST_INIT(dead);
	struct dma_file *sf, *tmp;
	unsigned int n = 0;

	registry_lock_take();
	u_list_for_each_entry_safe(sf, tmp, &registry, link) {
		if (hung_up(sf->our_fd)) {
			u_list_move_tail(&sf->link, &dead);
			registry_count--;
			n++;
		}
	}
	gc_threshold = u_max(64u, 2 * registry_count);
	u_mutex_unlock(&registry_lock);
	destroy_list(&dead);
	return n;
}

unsigned int sync_file_count(void)
{
	unsigned int n;

	registry_lock_take();
	n = registry_count;
	u_mutex_unlock(&registry_lock);
	return n;
}

int dma_file__create(const struct dma_file_ops *ops, void *obj, struct dma_fence *ready)
{
	struct u_list dead = U_LIST_INIT(dead);
	struct dma_file *sf, *old, *tmp;
	struct stat st;
	bool collect;
	int sv[2];
	int ret;

	sf = u_zalloc(sizeof(*sf));
	if (!sf)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv)) {
		ret = -errno;
		goto err_free;
	}
	if (fstat(sv[1], &st)) {
		ret = -errno;
		goto err_close;
	}
	sf->dev = st.st_dev;
	sf->ino = st.st_ino;
	sf->our_fd = sv[0];
	sf->ops = ops;
	sf->obj = obj;
	ops->get(obj);
	if (ready) {
		sf->ready = dma_fence_get(ready);
		if (dma_fence_add_callback(ready, &sf->cb, dma_file_ready_cb) == 0)
			sf->cb_added = true;
		else
			dma_file_ready_cb(ready, &sf->cb);	/* already signalled */
	}

	/* Nothing can fail after this. */
	registry_lock_take();
	u_list_for_each_entry_safe(old, tmp, &registry, link) {
		/* Same key as a live socket: the old entry's socket is gone. */
		if (old->dev == sf->dev && old->ino == sf->ino) {
			u_list_move_tail(&old->link, &dead);
			registry_count--;
		}
	}
	u_list_add_tail(&sf->link, &registry);
	registry_count++;
	collect = registry_count >= gc_threshold;
	u_mutex_unlock(&registry_lock);
	destroy_list(&dead);
	if (collect)
		sync_file_gc();
	return sv[1];

err_close:
	close(sv[0]);
	close(sv[1]);
err_free:
	u_free(sf);
	return ret;
}

void *dma_file__lookup(int fd, const struct dma_file_ops *ops, bool get)
{
	struct u_list dead = U_LIST_INIT(dead);
	void *obj = NULL;
	struct dma_file *sf;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return NULL;
	registry_lock_take();
	u_list_for_each_entry(sf, &registry, link) {
		if (sf->dev != st.st_dev || sf->ino != st.st_ino)
			continue;
		if (hung_up(sf->our_fd)) {
			/* Stale: its socket died and the inode number was reused. */
			u_list_move_tail(&sf->link, &dead);
			registry_count--;
		} else if (sf->ops == ops) {
			obj = sf->obj;
			if (get)
				ops->get(obj);
		}
		break;
	}
	u_mutex_unlock(&registry_lock);
	destroy_list(&dead);
	return obj;
}

static void sync_file_fence_get(void *obj)
{
	dma_fence_get(obj);
}

static void sync_file_fence_put(void *obj)
{
	dma_fence_put(obj);
}

static const struct dma_file_ops sync_file_ops = {
	.name = "sync_file",
	.get = sync_file_fence_get,
	.put = sync_file_fence_put,
};

int sync_file_create(struct dma_fence *fence)
{
	return dma_file__create(&sync_file_ops, fence, fence);
}

struct dma_fence *sync_file_get_fence(int fd)
{
	struct dma_fence *fence = dma_file__lookup(fd, &sync_file_ops, true);

	return fence ? fence : ERR_PTR(-EINVAL);
}

bool sync_file_is_sync_file(int fd)
{
	return dma_file__lookup(fd, &sync_file_ops, false) != NULL;
}
