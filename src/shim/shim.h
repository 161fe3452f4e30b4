/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of the LD_PRELOAD shim (libpantomime-shim.so), shared
 * by its files:
 *
 *   shim_real.c    the next definition of every interposed libc function
 *   shim_fd.c      device fds: the fd -> struct shim_file table, dup/close
 *   shim_tree.c    the fake device nodes and sysfs tree, path redirection,
 *                  fake stat, the /dev/dri listing
 *   shim_maps.c    the record of BO mappings made through the shim
 *   shim_device.c  the process's device, ioctl/mmap forwarding, fork rule,
 *                  exit report, the trace file (PANTOMIME_TRACE_FILE, written
 *                  by src/ctrace)
 *   shim_libc.c    the interposed entry points themselves
 *
 * Nothing here is exported from the .so: only the libc names in shim_libc.c
 * are (SHIM_EXPORT). docs/shim.md describes the whole.
 */
#ifndef PANTOMIME_SHIM_H
#define PANTOMIME_SHIM_H

#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "pantomime/pantomime.h"
#include "util/u_compiler.h"
#include "util/u_refcount.h"

/** SHIM_EXPORT - marks an interposed libc entry point (the only exported symbols). */
#define SHIM_EXPORT __attribute__((visibility("default")))

/**
 * struct shim_real - the next definition (dlsym(RTLD_NEXT)) of each
 * interposed function; NULL where the C library has none. Filled once by
 * shim_resolve(), read-only afterwards. Every field is named after the
 * function it holds.
 */
struct shim_real {
	int (*open)(const char *, int, ...);		/* open */
	int (*open64)(const char *, int, ...);		/* open64 */
	int (*openat)(int, const char *, int, ...);	/* openat */
	int (*openat64)(int, const char *, int, ...);	/* openat64 */
	int (*open_2)(const char *, int);		/* __open_2 */
	int (*open64_2)(const char *, int);		/* __open64_2 */
	int (*openat_2)(int, const char *, int);	/* __openat_2 */
	int (*openat64_2)(int, const char *, int);	/* __openat64_2 */
	int (*close)(int);				/* close */
	int (*close_range)(unsigned int, unsigned int, int); /* close_range */
	void (*closefrom)(int);				/* closefrom */
	int (*dup)(int);				/* dup */
	int (*dup2)(int, int);				/* dup2 */
	int (*dup3)(int, int, int);			/* dup3 */
	int (*fcntl)(int, int, ...);			/* fcntl */
	int (*fcntl64)(int, int, ...);			/* fcntl64 */
	int (*ioctl)(int, unsigned long, ...);		/* ioctl */
	void *(*mmap)(void *, size_t, int, int, int, off_t);	/* mmap */
	void *(*mmap64)(void *, size_t, int, int, int, off_t);	/* mmap64 */
	int (*munmap)(void *, size_t);			/* munmap */
	int (*stat)(const char *, struct stat *);	/* stat */
	int (*stat64)(const char *, struct stat64 *);	/* stat64 */
	int (*lstat)(const char *, struct stat *);	/* lstat */
	int (*lstat64)(const char *, struct stat64 *);	/* lstat64 */
	int (*fstat)(int, struct stat *);		/* fstat */
	int (*fstat64)(int, struct stat64 *);		/* fstat64 */
	int (*fstatat)(int, const char *, struct stat *, int);		/* fstatat */
	int (*fstatat64)(int, const char *, struct stat64 *, int);	/* fstatat64 */
	int (*statx)(int, const char *, int, unsigned int, struct statx *); /* statx */
	int (*xstat)(int, const char *, struct stat *);		/* __xstat */
	int (*xstat64)(int, const char *, struct stat64 *);	/* __xstat64 */
	int (*lxstat)(int, const char *, struct stat *);	/* __lxstat */
	int (*lxstat64)(int, const char *, struct stat64 *);	/* __lxstat64 */
	int (*fxstat)(int, int, struct stat *);			/* __fxstat */
	int (*fxstat64)(int, int, struct stat64 *);		/* __fxstat64 */
	int (*fxstatat)(int, int, const char *, struct stat *, int);	 /* __fxstatat */
	int (*fxstatat64)(int, int, const char *, struct stat64 *, int); /* __fxstatat64 */
	int (*access)(const char *, int);		/* access */
	int (*faccessat)(int, const char *, int, int);	/* faccessat */
	int (*eaccess)(const char *, int);		/* eaccess */
	int (*euidaccess)(const char *, int);		/* euidaccess */
	ssize_t (*readlink)(const char *, char *, size_t);	/* readlink */
	ssize_t (*readlinkat)(int, const char *, char *, size_t); /* readlinkat */
	ssize_t (*readlink_chk)(const char *, char *, size_t, size_t); /* __readlink_chk */
	ssize_t (*readlinkat_chk)(int, const char *, char *, size_t, size_t); /* __readlinkat_chk */
	char *(*realpath)(const char *, char *);	/* realpath */
	char *(*realpath_chk)(const char *, char *, size_t);	/* __realpath_chk */
	char *(*canonicalize_file_name)(const char *);	/* canonicalize_file_name */
	DIR *(*opendir)(const char *);			/* opendir */
	struct dirent *(*readdir)(DIR *);		/* readdir */
	struct dirent64 *(*readdir64)(DIR *);		/* readdir64 */
	int (*closedir)(DIR *);				/* closedir */
	void (*rewinddir)(DIR *);			/* rewinddir */
	FILE *(*fopen)(const char *, const char *);	/* fopen */
	FILE *(*fopen64)(const char *, const char *);	/* fopen64 */
	int (*sigaction)(int, const struct sigaction *, struct sigaction *); /* sigaction */
	sighandler_t (*signal)(int, sighandler_t);	/* signal */
};

/** shim_real - the resolved functions (valid once shim_ensure() has run). */
extern struct shim_real shim_real;

/** shim_resolve() - fill &shim_real and initialise the shim (idempotent, thread-safe). */
void shim_resolve(void);

/** shim__resolved - set (release) once shim_resolve() has finished. */
extern int shim__resolved;

/** shim_ensure() - make sure &shim_real is filled; the first thing every interposer does. */
static inline void shim_ensure(void)
{
	if (unlikely(!__atomic_load_n(&shim__resolved, __ATOMIC_ACQUIRE)))
		shim_resolve();
}

/**
 * enum shim_node - the two fake DRM nodes.
 * @SHIM_NODE_NONE: not a fake node.
 * @SHIM_NODE_CARD: the primary node /dev/dri/card0 (char 226:0).
 * @SHIM_NODE_RENDER: the render node /dev/dri/renderD128 (char 226:128).
 */
enum shim_node {
	SHIM_NODE_NONE = -1,
	SHIM_NODE_CARD = 0,
	SHIM_NODE_RENDER = 1,
};

/** shim_node_path() - Return: "/dev/dri/card0" or "/dev/dri/renderD128". */
const char *shim_node_path(enum shim_node node);
/** shim_node_name() - Return: "card0" or "renderD128". */
const char *shim_node_name(enum shim_node node);
/** shim_node_minor() - Return: 0 or 128. */
unsigned int shim_node_minor(enum shim_node node);

/* ---- shim_fd.c ---------------------------------------------------------- */

/**
 * struct shim_file - one open of a fake node: what a struct file is to the
 * kernel. Shared by every fd that dup() made from the first one.
 * @ref: one reference per fd that maps to it, plus one per call in flight
 *       (an ioctl that outlives a concurrent close keeps it alive, as
 *       fget() does). The last put closes @file.
 * @file: the pantomime file; set at open, never changed.
 * @node: which node was opened; set at open, never changed.
 * @next: free-list link (the objects are type-stable: never returned to
 *        the allocator, so a lock-free lookup may touch a stale one).
 */
struct shim_file {
	struct u_refcount ref;
	struct pantomime_file *file;
	enum shim_node node;
	struct shim_file *next;
};

/** SHIM_MAX_FD - fds from 0 to this - 1 can be device fds (the table's reach). */
#define SHIM_MAX_FD (1 << 20)

/**
 * shim_fd_get() - the device file behind @fd, with a reference.
 * Lock-free; the fast "not a device" answer is two loads.
 * Return: the file (release with shim_file_put()), or NULL.
 */
struct shim_file *shim_fd_get(int fd);
/** shim_file_put() - drop a reference; the last one closes the pantomime file. */
void shim_file_put(struct shim_file *sf);
/** shim_fd_node() - Return: the node @fd is open on, or SHIM_NODE_NONE. */
enum shim_node shim_fd_node(int fd);

/**
 * shim_fd_open_node() - open @node: a pantomime file behind a real reserved fd.
 * @node: the node.
 * @flags: open(2) flags (O_CLOEXEC and O_NONBLOCK are honoured on the fd).
 * Return: the fd, or a negative errno (-EIO after fork, -ENOENT/-ENOMEM/...
 * from the device, -EMFILE beyond SHIM_MAX_FD).
 */
int shim_fd_open_node(enum shim_node node, int flags);
/**
 * shim_fd_close() - close(2) for any fd: forget a device mapping first.
 * Return: as close(2) (-1 and errno).
 */
int shim_fd_close(int fd);
/**
 * shim_fd_dup() - the dup family for any fd, keeping device mappings.
 * @oldfd: the fd to duplicate.
 * @newfd: target for dup2/dup3, or the minimum for F_DUPFD, or -1 for dup.
 * @kind: 0 dup, 2 dup2, 3 dup3, 'F' fcntl(F_DUPFD), 'C' fcntl(F_DUPFD_CLOEXEC).
 * @flags: dup3 flags.
 * Return: as the libc call (new fd, or -1 and errno).
 */
int shim_fd_dup(int oldfd, int newfd, int kind, int flags);
/**
 * shim_fd_close_range() - close_range(2)/closefrom(3) for any range.
 * @first: first fd.
 * @last: last fd (inclusive).
 * @flags: close_range flags.
 * @closefrom: call closefrom(@first) rather than close_range.
 * Return: as close_range (0, or -1 and errno).
 */
int shim_fd_close_range(unsigned int first, unsigned int last, int flags, bool closefrom);
/**
 * shim_fd_new() - a real call just returned @fd as a new, unrelated file:
 * if the table still maps it (its close happened behind our back, e.g. by
 * a raw syscall), forget the stale mapping.
 */
void shim_fd_new(int fd);
/**
 * shim_fd_atfork_prepare() - before fork: hold the table lock so the child
 * never inherits it locked (pthread_atfork prepare handler).
 */
void shim_fd_atfork_prepare(void);
/** shim_fd_atfork_parent() - after fork, in the parent: release the table lock. */
void shim_fd_atfork_parent(void);
/** shim_fd_atfork_child() - after fork, in the child: reset the table lock. */
void shim_fd_atfork_child(void);
/** shim_fd_count() - Return: device fds open now (for the exit report). */
unsigned long shim_fd_count(void);

/* ---- shim_tree.c -------------------------------------------------------- */

/** SHIM_PATH_MAX - the longest path the shim rewrites (longer ones pass through). */
#define SHIM_PATH_MAX 4096

/** shim_tree_init() - build the private sysfs tree; called once from shim_resolve(). */
void shim_tree_init(void);
/** shim_tree_fini() - remove the private tree (at exit). */
void shim_tree_fini(void);
/**
 * shim_path_node() - Return: the node that the absolute @path names
 * ("/dev/dri/card0", "/dev/dri/renderD128", or /proc/self/fd/N of a device
 * fd), or SHIM_NODE_NONE. @path may be NULL.
 */
enum shim_node shim_path_node(const char *path);
/**
 * shim_path_redirect() - where the shim serves @path from.
 * @path: the caller's path (may be NULL).
 * @buf: room for the rewritten path.
 * @len: size of @buf.
 * Return: @path itself when it is not part of the fake tree, else @buf
 * holding the path inside the private directory.
 */
const char *shim_path_redirect(const char *path, char *buf, size_t len);
/**
 * shim_path_unredirect() - turn a resolved path inside the private
 * directory back into the path the program asked about, in place.
 * Return: true if @path was changed.
 */
bool shim_path_unredirect(char *path);
/** shim_fake_stat() - fill @st as stat(2) of the real @node would. */
void shim_fake_stat(enum shim_node node, struct stat *st);
/** shim_fake_statx() - fill @stx as statx(2) of the real @node would. */
void shim_fake_statx(enum shim_node node, struct statx *stx);

/** shim_dir_is_dev_dri() - Return: true if @path names /dev/dri (so opendir must list the nodes). */
bool shim_dir_is_dev_dri(const char *path);
/**
 * shim_dir_open_dev_dri() - opendir("/dev/dri"): the real directory (or
 * the private one if there is none), registered so readdir adds the nodes.
 * Return: the DIR, or NULL and errno.
 */
DIR *shim_dir_open_dev_dri(void);
/**
 * shim_dir_read() - readdir()/readdir64() on a registered DIR.
 * @d: the DIR.
 * @want64: return a struct dirent64 (else a struct dirent).
 * @handled: set to false when @d is not registered (the caller then
 *           calls the real readdir).
 * Return: the entry, or NULL at the end.
 */
void *shim_dir_read(DIR *d, bool want64, bool *handled);
/** shim_dir_forget() - closedir(): unregister @d (no-op if it is not registered). */
void shim_dir_forget(DIR *d);
/** shim_dir_rewind() - rewinddir(): start the added entries again. */
void shim_dir_rewind(DIR *d);
/** shim_tree_atfork_child() - after fork, in the child: reset the listing lock. */
void shim_tree_atfork_child(void);

/* ---- shim_maps.c -------------------------------------------------------- */

/**
 * shim_maps_add() - record a BO mapping that pantomime_mmap() returned.
 * Return: 0 or -ENOMEM.
 */
int shim_maps_add(void *addr, size_t len);
/** shim_maps_any() - Return: true if any BO mapping is recorded (the munmap fast path). */
bool shim_maps_any(void);
/**
 * shim_maps_unmap() - munmap(2) of a range that may cover BO mappings:
 * pantomime_munmap() for the covered pieces (forgetting them), and, with
 * @real_gaps, the real munmap for the rest of the range.
 * @addr: start (page-aligned, else -EINVAL as munmap).
 * @len: length (rounded up to pages; 0 is -EINVAL).
 * @real_gaps: false before a MAP_FIXED mmap, which replaces the rest itself.
 * Return: 0 or a negative errno (the first failure; every piece is tried).
 */
int shim_maps_unmap(void *addr, size_t len, bool real_gaps);
/** shim_maps_atfork_child() - after fork, in the child: reset the record's lock. */
void shim_maps_atfork_child(void);

/* ---- shim_device.c ------------------------------------------------------ */

/** shim__forked - set in a forked child (atfork handler); device calls then fail. */
extern bool shim__forked;

/**
 * shim_device_get() - the process's device, created on first use from
 * pantomime_config_default() + pantomime_config_from_env().
 * Return: 0 and *@out, or a negative errno (the same one every time).
 */
int shim_device_get(struct pantomime_device **out);
/**
 * shim_forked_error() - print, once, that a forked child cannot use the device.
 * Return: -EIO.
 */
int shim_forked_error(void);
/**
 * shim_ioctl() - one ioctl on a device file, with the kernel's copy rules
 * for the top-level struct (_IOC_SIZE bytes in if _IOC_WRITE, out if
 * _IOC_READ, out even when the handler failed, -EFAULT for a bad pointer).
 * Return: the handler's result (>= 0) or a negative errno.
 */
long shim_ioctl(struct shim_file *sf, unsigned long request, void *arg);
/**
 * shim_mmap() - mmap(2) of a device fd.
 * Return: the address, or MAP_FAILED with errno set.
 */
void *shim_mmap(struct shim_file *sf, void *addr, size_t len, int prot, int flags, off_t off);
/** shim_device_init() - register the fork handlers (from shim_resolve(); reads no environment). */
void shim_device_init(void);

#endif
