// SPDX-License-Identifier: MIT
/*
 * DOC: device fds
 *
 * A device fd is a real fd, so that everything the kernel does with fds
 * (numbering, O_CLOEXEC, fork inheritance, poll/read as on an empty file,
 * fcntl flags, limits) stays true without emulation. It is reserved with
 * memfd_create("pantomime-card0"), which respects O_CLOEXEC, gives each open
 * its own inode and shows its purpose in /proc/PID/fd; /dev/null is the
 * fallback where memfd_create is refused.
 *
 * A table maps fd numbers to struct shim_file, the equivalent of the
 * kernel's struct file: dup/dup2/dup3/fcntl(F_DUPFD*) make another fd point
 * at the same shim_file, and the pantomime file is closed when the last
 * reference goes:
 *
 *   fd 5 ─┐
 *   fd 9 ─┼─► shim_file { ref = 3 (two fds + one ioctl in flight), file }
 *         └── ioctl on thread B ────────┘   close(5), close(9) → ref 1;
 *                                          B returns → ref 0 → pantomime_file_close
 *
 * The table is two-level (1024 chunks of 1024 slots, SHIM_MAX_FD fds),
 * chunks allocated on first use and never freed. Readers are lock-free: an
 * ioctl loads the slot, takes a reference with get-unless-zero and checks
 * that the slot still holds the same object. That is safe because
 * shim_file objects are type-stable (kept on a free list, never returned
 * to the allocator), as the kernel's SLAB_TYPESAFE_BY_RCU files are.
 * Writers (open, close, dup, close_range) serialise on fd_lock, a leaf
 * lock never held while calling into the driver.
 *
 * close() clears the slot before the real close, so a number the kernel
 * hands out again is never seen as a device. A close the shim does not see
 * (a raw syscall, a glibc-internal close) leaves a stale slot: any call
 * through the shim that returns a new fd clears it (shim_fd_new()).
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/u_alloc.h"

#define CHUNK_SHIFT 10
#define CHUNK_SIZE (1u << CHUNK_SHIFT)
#define NR_CHUNKS (SHIM_MAX_FD / CHUNK_SIZE)

/* Chunk pointers and slots: written under fd_lock, read lock-free (acquire). */
static struct shim_file **fd_dir[NR_CHUNKS];
static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
/* Protected by fd_lock. */
static struct shim_file *free_files;
static unsigned long nr_device_fds;

static struct shim_file *slot_load(int fd)
{
	struct shim_file **chunk;

	if ((unsigned int)fd >= SHIM_MAX_FD)
		return NULL;
	chunk = __atomic_load_n(&fd_dir[(unsigned int)fd >> CHUNK_SHIFT], __ATOMIC_ACQUIRE);
	if (!chunk)
		return NULL;
	return __atomic_load_n(&chunk[(unsigned int)fd & (CHUNK_SIZE - 1)], __ATOMIC_ACQUIRE);
}

/* Store @sf in @fd's slot; Return: the previous value, or ERR (-ENOMEM) via *@err. */
static struct shim_file *slot_xchg_locked(int fd, struct shim_file *sf, int *err)
{
	unsigned int c = (unsigned int)fd >> CHUNK_SHIFT;
	struct shim_file **chunk = fd_dir[c];
	struct shim_file *old;

	*err = 0;
	if ((unsigned int)fd >= SHIM_MAX_FD) {
		*err = sf ? -EMFILE : 0;
		return NULL;
	}
	if (!chunk) {
		if (!sf)
			return NULL;
		chunk = u_calloc(CHUNK_SIZE, sizeof(*chunk));
		if (!chunk) {
			*err = -ENOMEM;
			return NULL;
		}
		__atomic_store_n(&fd_dir[c], chunk, __ATOMIC_RELEASE);
	}
	old = __atomic_exchange_n(&chunk[(unsigned int)fd & (CHUNK_SIZE - 1)], sf,
				  __ATOMIC_ACQ_REL);
	if (old)
		nr_device_fds--;
	if (sf)
		nr_device_fds++;
	return old;
}

struct shim_file *shim_fd_get(int fd)
{
	for (;;) {
		struct shim_file *sf = slot_load(fd);

		if (likely(!sf))
			return NULL;
		if (u_refcount_get_unless_zero(&sf->ref)) {
			if (likely(slot_load(fd) == sf))
				return sf;
			/* Closed and reused under us: not the file we looked up. */
			shim_file_put(sf);
		}
	}
}

void shim_file_put(struct shim_file *sf)
{
	struct pantomime_file *file;

	if (!u_refcount_put(&sf->ref))
		return;
	file = sf->file;
	sf->file = NULL;
	/* A forked child must not touch the parent's device (see shim_device.c). */
	if (file && !shim__forked)
		pantomime_file_close(file);
	pthread_mutex_lock(&fd_lock);
	sf->next = free_files;
	free_files = sf;
	pthread_mutex_unlock(&fd_lock);
}

enum shim_node shim_fd_node(int fd)
{
	struct shim_file *sf = shim_fd_get(fd);
	enum shim_node node;

	if (!sf)
		return SHIM_NODE_NONE;
	node = sf->node;
	shim_file_put(sf);
	return node;
}

/* A real fd that stands for the device file. */
static int reserve_fd(enum shim_node node, int flags)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "pantomime-%s", shim_node_name(node));
	fd = memfd_create(name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0)
		fd = shim_real.open("/dev/null", O_RDWR | (flags & O_CLOEXEC));
	if (fd < 0)
		return -errno;
	if ((flags & O_NONBLOCK) && shim_real.fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int err = -errno;

		shim_real.close(fd);
		return err;
	}
	return fd;
}

int shim_fd_open_node(enum shim_node node, int flags)
{
	struct pantomime_device *dev;
	struct pantomime_file *file;
	struct shim_file *sf, *old;
	int fd, err;

	if (shim__forked)
		return shim_forked_error();
	err = shim_device_get(&dev);
	if (err)
		return err;
	err = pantomime_file_open(dev, node == SHIM_NODE_RENDER, &file);
	if (err)
		return err;
	fd = reserve_fd(node, flags);
	if (fd < 0) {
		err = fd;
		goto err_close_file;
	}

	pthread_mutex_lock(&fd_lock);
	sf = free_files;
	if (sf)
		free_files = sf->next;
	pthread_mutex_unlock(&fd_lock);
	if (!sf) {
		sf = u_zalloc(sizeof(*sf));
		if (!sf) {
			err = -ENOMEM;
			goto err_close_fd;
		}
	}
	sf->file = file;
	sf->node = node;
	sf->next = NULL;
	u_refcount_init(&sf->ref, 1);

	pthread_mutex_lock(&fd_lock);
	old = slot_xchg_locked(fd, sf, &err);
	if (err) {
		sf->file = NULL;
		sf->next = free_files;
		free_files = sf;
	}
	pthread_mutex_unlock(&fd_lock);
	if (err)
		goto err_close_fd;
	/* Nothing can fail after this. A stale slot (missed close) is dropped. */
	if (old)
		shim_file_put(old);
	return fd;

err_close_fd:
	shim_real.close(fd);
err_close_file:
	pantomime_file_close(file);
	return err;
}

int shim_fd_close(int fd)
{
	struct shim_file *sf = NULL;
	int ret, err, saved;

	if (slot_load(fd)) {
		pthread_mutex_lock(&fd_lock);
		sf = slot_xchg_locked(fd, NULL, &err);
		pthread_mutex_unlock(&fd_lock);
	}
	ret = shim_real.close(fd);
	saved = errno;
	if (sf)
		shim_file_put(sf);
	errno = saved;
	return ret;
}

static int real_dup(int oldfd, int newfd, int kind, int flags)
{
	switch (kind) {
	case 2:
		return shim_real.dup2(oldfd, newfd);
	case 3:
		return shim_real.dup3(oldfd, newfd, flags);
	case 'F':
		return shim_real.fcntl(oldfd, F_DUPFD, newfd);
	case 'C':
		return shim_real.fcntl(oldfd, F_DUPFD_CLOEXEC, newfd);
	default:
		return shim_real.dup(oldfd);
	}
}

int shim_fd_dup(int oldfd, int newfd, int kind, int flags)
{
	bool onto = kind == 2 || kind == 3;
	struct shim_file *sf, *old = NULL;
	int ret, err, saved;

	if (likely(!slot_load(oldfd) && !(onto && slot_load(newfd)))) {
		ret = real_dup(oldfd, newfd, kind, flags);
		if (ret >= 0 && ret != oldfd)
			shim_fd_new(ret);
		return ret;
	}

	/* Under the lock, so the source cannot be closed between the two steps. */
	pthread_mutex_lock(&fd_lock);
	ret = real_dup(oldfd, newfd, kind, flags);
	saved = errno;
	if (ret >= 0 && ret != oldfd) {
		sf = slot_load(oldfd);
		if (sf)
			u_refcount_get(&sf->ref);	/* the slot's ref keeps it alive */
		old = slot_xchg_locked(ret, sf, &err);
		if (err) {
			/* No slot for the copy: undo it rather than hand out a plain file. */
			if (sf)
				u_refcount_put(&sf->ref);	/* not the last: oldfd holds one */
			shim_real.close(ret);
			ret = -1;
			saved = -err;
		}
	}
	pthread_mutex_unlock(&fd_lock);
	if (old)
		shim_file_put(old);
	errno = saved;
	return ret;
}

int shim_fd_close_range(unsigned int first, unsigned int last, int flags, bool closefrom)
{
	struct shim_file *batch[64];
	unsigned int n, fd = first;
	int err;

	if (!(flags & CLOSE_RANGE_CLOEXEC)) {
		/* Clear the slots first (as close() does), in batches, putting outside the lock. */
		while (fd <= last && fd < SHIM_MAX_FD) {
			n = 0;
			pthread_mutex_lock(&fd_lock);
			for (; fd <= last && fd < SHIM_MAX_FD && n < ARRAY_SIZE(batch); fd++) {
				if (!fd_dir[fd >> CHUNK_SHIFT]) {
					fd |= CHUNK_SIZE - 1;	/* skip the empty chunk */
					continue;
				}
				struct shim_file *sf = slot_xchg_locked((int)fd, NULL, &err);

				if (sf)
					batch[n++] = sf;
			}
			pthread_mutex_unlock(&fd_lock);
			for (unsigned int i = 0; i < n; i++)
				shim_file_put(batch[i]);
		}
	}
	if (closefrom) {
		if (!shim_real.closefrom) {
			errno = ENOSYS;
			return -1;
		}
		shim_real.closefrom((int)first);
		return 0;
	}
	if (!shim_real.close_range) {
		errno = ENOSYS;
		return -1;
	}
	return shim_real.close_range(first, last, flags);
}

void shim_fd_new(int fd)
{
	struct shim_file *sf;
	int err;

	if (likely(!slot_load(fd)))
		return;
	pthread_mutex_lock(&fd_lock);
	sf = slot_xchg_locked(fd, NULL, &err);
	pthread_mutex_unlock(&fd_lock);
	if (sf)
		shim_file_put(sf);
}

void shim_fd_atfork_prepare(void)
{
	pthread_mutex_lock(&fd_lock);
}

void shim_fd_atfork_parent(void)
{
	pthread_mutex_unlock(&fd_lock);
}

void shim_fd_atfork_child(void)
{
	pthread_mutex_init(&fd_lock, NULL);
}

unsigned long shim_fd_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&fd_lock);
	n = nr_device_fds;
	pthread_mutex_unlock(&fd_lock);
	return n;
}
