// SPDX-License-Identifier: MIT
/*
 * DOC: the interposed libc entry points
 *
 * Each function here has the name and prototype of a glibc function and is
 * the only kind of symbol the shim exports. Each one decides in a few loads
 * whether the call concerns the fake device (a device fd, a fake node path,
 * a path of the fake sysfs tree, a BO mapping, SIGSEGV/SIGBUS) and
 * otherwise forwards the untouched arguments to the next definition
 * (&shim_real), which is libc's — or a sanitizer's interceptor when one is
 * loaded before us.
 *
 * Covered (glibc 2.36, Debian 12): open, open64, openat, openat64 and the
 * fortified __open_2, __open64_2, __openat_2, __openat64_2; close,
 * close_range, closefrom; dup, dup2, dup3, fcntl, fcntl64; ioctl; mmap,
 * mmap64, munmap; stat, stat64, lstat, lstat64, fstat, fstat64, fstatat,
 * fstatat64, statx and the pre-2.33 __xstat, __xstat64, __lxstat,
 * __lxstat64, __fxstat, __fxstat64, __fxstatat, __fxstatat64 still
 * exported for old binaries; access, faccessat, eaccess, euidaccess;
 * readlink, readlinkat, __readlink_chk, __readlinkat_chk; realpath,
 * __realpath_chk, canonicalize_file_name; opendir, readdir, readdir64,
 * rewinddir, closedir; fopen, fopen64; sigaction and signal (SIGSEGV and
 * SIGBUS only, see u_uaccess.c).
 *
 * Paths are copied in with u_strncpy_from_user() as the kernel's getname()
 * does, so a wild path pointer is EFAULT and an over-long one ENAMETOOLONG;
 * results the shim synthesises (stat buffers, link text) are copied out
 * with u_copy_to_user(). On 64-bit glibc struct stat and struct stat64 (and
 * struct dirent and dirent64) share one layout, so the 64 variants share
 * the code. This file is compiled without _FILE_OFFSET_BITS=64, which would
 * rename open() to open64() in the headers.
 */
#undef _FILE_OFFSET_BITS
#include "shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/u_uaccess.h"

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat and stat64 differ");

/* glibc entry points its headers do not declare (fortify and pre-2.33 stat ABI). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);
ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen);
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);

/* ---- helpers ------------------------------------------------------------ */

/* getname(): the caller's path into @buf. Return: @buf, or NULL with errno. */
static const char *path_in(const char *upath, char *buf)
{
	long n = u_strncpy_from_user(buf, upath, SHIM_PATH_MAX);

	if (likely(n >= 0))
		return buf;
	errno = n == -E2BIG ? ENAMETOOLONG : EFAULT;
	return NULL;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* A synthesised stat result, written as the kernel would (EFAULT if it cannot). */
static int put_stat(enum shim_node node, void *ust)
{
	struct stat st;

	shim_fake_stat(node, &st);
	return u_copy_to_user(ust, &st, sizeof(st)) ? fail(EFAULT) : 0;
}

static int put_statx(enum shim_node node, void *ustx)
{
	struct statx stx;

	shim_fake_statx(node, &stx);
	return u_copy_to_user(ustx, &stx, sizeof(stx)) ? fail(EFAULT) : 0;
}

/* The node of @path for calls that do not follow a final symlink (/proc/self/fd/N is one). */
static enum shim_node path_node_nofollow(const char *path)
{
	return strncmp(path, "/proc/", 6) ? shim_path_node(path) : SHIM_NODE_NONE;
}

static bool open_has_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/*
 * The part of every open that concerns us. Return: true if @path is a node
 * (the result, fd or -1 with errno, is in *@ret).
 */
static bool open_node(const char *path, int flags, int *ret)
{
	enum shim_node node = shim_path_node(path);
	int fd;

	if (node == SHIM_NODE_NONE)
		return false;
	if (flags & O_DIRECTORY)
		fd = -ENOTDIR;
	else if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		fd = -EEXIST;
	else
		fd = shim_fd_open_node(node, flags);
	*ret = fd < 0 ? fail(-fd) : fd;
	return true;
}

static int opened(int fd)
{
	if (fd >= 0)
		shim_fd_new(fd);
	return fd;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

static int do_open(open_fn real, const char *upath, int flags, mode_t mode)
{
	char pb[SHIM_PATH_MAX], rb[SHIM_PATH_MAX];
	const char *path;
	int ret;

	shim_ensure();
	path = path_in(upath, pb);
	if (!path)
		return -1;
	if (open_node(path, flags, &ret))
		return ret;
	return opened(real(shim_path_redirect(path, rb, sizeof(rb)), flags, mode));
}

static int do_openat(openat_fn real, int dirfd, const char *upath, int flags, mode_t mode)
{
	char pb[SHIM_PATH_MAX], rb[SHIM_PATH_MAX];
	const char *path;
	int ret;

	shim_ensure();
	path = path_in(upath, pb);
	if (!path)
		return -1;
	if (open_node(path, flags, &ret))
		return ret;
	return opened(real(dirfd, shim_path_redirect(path, rb, sizeof(rb)), flags, mode));
}

#define VA_MODE(flags, mode) do {                                              \
	if (open_has_mode(flags)) {                                            \
		va_list ap;                                                    \
		va_start(ap, flags);                                           \
		mode = (mode_t)va_arg(ap, int);                                \
		va_end(ap);                                                    \
	}                                                                      \
} while (0)

/* ---- open --------------------------------------------------------------- */

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	VA_MODE(flags, mode);
	shim_ensure();
	return do_open(shim_real.open, path, flags, mode);
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	VA_MODE(flags, mode);
	shim_ensure();
	return do_open(shim_real.open64, path, flags, mode);
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	VA_MODE(flags, mode);
	shim_ensure();
	return do_openat(shim_real.openat, dirfd, path, flags, mode);
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	VA_MODE(flags, mode);
	shim_ensure();
	return do_openat(shim_real.openat64, dirfd, path, flags, mode);
}

/*
 * The fortified forms abort when O_CREAT comes without a mode: a node path
 * with a mode-taking flag goes to the real one, which judges.
 */
static int do_open_2(int (*real_at)(int, const char *, int), int (*real)(const char *, int),
		     int dirfd, const char *upath, int flags)
{
	char pb[SHIM_PATH_MAX], rb[SHIM_PATH_MAX];
	const char *path;
	int ret;

	shim_ensure();
	path = path_in(upath, pb);
	if (!path)
		return -1;
	if (!open_has_mode(flags) && open_node(path, flags, &ret))
		return ret;
	path = shim_path_redirect(path, rb, sizeof(rb));
	return opened(real ? real(path, flags) : real_at(dirfd, path, flags));
}

SHIM_EXPORT int __open_2(const char *path, int flags)
{
	shim_ensure();
	return do_open_2(NULL, shim_real.open_2, AT_FDCWD, path, flags);
}

SHIM_EXPORT int __open64_2(const char *path, int flags)
{
	shim_ensure();
	return do_open_2(NULL, shim_real.open64_2, AT_FDCWD, path, flags);
}

SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	shim_ensure();
	return do_open_2(shim_real.openat_2, NULL, dirfd, path, flags);
}

SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	shim_ensure();
	return do_open_2(shim_real.openat64_2, NULL, dirfd, path, flags);
}

/* ---- fds ---------------------------------------------------------------- */

SHIM_EXPORT int close(int fd)
{
	shim_ensure();
	return shim_fd_close(fd);
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	shim_ensure();
	return shim_fd_close_range(first, last, flags, false);
}

SHIM_EXPORT void closefrom(int lowfd)
{
	shim_ensure();
	shim_fd_close_range(lowfd < 0 ? 0 : (unsigned int)lowfd, ~0u, 0, true);
}

SHIM_EXPORT int dup(int fd)
{
	shim_ensure();
	return shim_fd_dup(fd, -1, 0, 0);
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	shim_ensure();
	return shim_fd_dup(oldfd, newfd, 2, 0);
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	shim_ensure();
	return shim_fd_dup(oldfd, newfd, 3, flags);
}

static int do_fcntl(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	shim_ensure();
	if (cmd == F_DUPFD)
		return shim_fd_dup(fd, (int)(intptr_t)arg, 'F', 0);
	if (cmd == F_DUPFD_CLOEXEC)
		return shim_fd_dup(fd, (int)(intptr_t)arg, 'C', 0);
	return real(fd, cmd, arg);
}

/* As glibc does, the optional argument is taken as a pointer-sized value. */
SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_ensure();
	return do_fcntl(shim_real.fcntl, fd, cmd, arg);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_ensure();
	return do_fcntl(shim_real.fcntl64 ? shim_real.fcntl64 : shim_real.fcntl, fd, cmd, arg);
}

/* ---- ioctl, mmap -------------------------------------------------------- */

SHIM_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	struct shim_file *sf;
	va_list ap;
	void *arg;
	long ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_ensure();
	sf = shim_fd_get(fd);
	if (likely(!sf)) {
		/* dma-buf ioctls ('b') on a dma-buf pantomime exported. */
		if (unlikely(_IOC_TYPE(request) == 'b') && pantomime_fd_is_ours(fd)) {
			ret = pantomime_fd_ioctl(fd, request, arg);
			return ret < 0 ? fail((int)-ret) : (int)ret;
		}
		return shim_real.ioctl(fd, request, arg);
	}
	ret = shim_ioctl(sf, request, arg);
	shim_file_put(sf);
	if (ret < 0)
		return fail((int)-ret);
	return (int)ret;
}

static void *do_mmap(void *(*real)(void *, size_t, int, int, int, off_t),
		     void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct shim_file *sf;
	void *p;

	shim_ensure();
	if (fd >= 0 && !(flags & MAP_ANONYMOUS)) {
		sf = shim_fd_get(fd);
		if (sf) {
			p = shim_mmap(sf, addr, len, prot, flags, off);
			shim_file_put(sf);
			return p;
		}
		/* A dma-buf pantomime exported: its buffer, as the BO's mmap. */
		if (unlikely(pantomime_fd_is_ours(fd))) {
			int err = pantomime_fd_mmap(fd, len, prot, flags, (uint64_t)off, &p);

			if (!err) {
				err = shim_maps_add(p, len);
				if (err)
					pantomime_munmap(p, len);
			}
			if (err) {
				errno = -err;
				return MAP_FAILED;
			}
			return p;
		}
	}
	if ((flags & MAP_FIXED) && shim_maps_any() && !shim__forked)
		shim_maps_unmap(addr, len, false);
	return real(addr, len, prot, flags, fd, off);
}

SHIM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	shim_ensure();
	return do_mmap(shim_real.mmap, addr, len, prot, flags, fd, off);
}

SHIM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	shim_ensure();
	return do_mmap(shim_real.mmap64 ? shim_real.mmap64 : shim_real.mmap,
		       addr, len, prot, flags, fd, off);
}

SHIM_EXPORT int munmap(void *addr, size_t len)
{
	int err;

	shim_ensure();
	if (likely(!shim_maps_any()) || shim__forked)
		return shim_real.munmap(addr, len);
	err = shim_maps_unmap(addr, len, true);
	return err ? fail(-err) : 0;
}

/* ---- the stat family ---------------------------------------------------- */

/*
 * One body for the path-based calls: @nofollow for lstat-like calls; @call
 * runs the real function on the (possibly redirected) path.
 */
#define STAT_PATH(upath, buf, nofollow, call) do {                             \
	char pb_[SHIM_PATH_MAX], rb_[SHIM_PATH_MAX];                           \
	const char *p_;                                                        \
	enum shim_node n_;                                                     \
	shim_ensure();                                                         \
	p_ = path_in((upath), pb_);                                            \
	if (!p_)                                                               \
		return -1;                                                     \
	n_ = (nofollow) ? path_node_nofollow(p_) : shim_path_node(p_);         \
	if (n_ != SHIM_NODE_NONE)                                              \
		return put_stat(n_, (buf));                                    \
	p_ = shim_path_redirect(p_, rb_, sizeof(rb_));                         \
	return call;                                                           \
} while (0)

SHIM_EXPORT int stat(const char *path, struct stat *st)
{
	STAT_PATH(path, st, false, shim_real.stat(p_, st));
}

SHIM_EXPORT int stat64(const char *path, struct stat64 *st)
{
	STAT_PATH(path, st, false, shim_real.stat64(p_, st));
}

SHIM_EXPORT int lstat(const char *path, struct stat *st)
{
	STAT_PATH(path, st, true, shim_real.lstat(p_, st));
}

SHIM_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	STAT_PATH(path, st, true, shim_real.lstat64(p_, st));
}

SHIM_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	STAT_PATH(path, st, false, shim_real.xstat(ver, p_, st));
}

SHIM_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	STAT_PATH(path, st, false, shim_real.xstat64(ver, p_, st));
}

SHIM_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	STAT_PATH(path, st, true, shim_real.lxstat(ver, p_, st));
}

SHIM_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	STAT_PATH(path, st, true, shim_real.lxstat64(ver, p_, st));
}

#define STAT_FD(fd, buf, call) do {                                            \
	enum shim_node n_;                                                     \
	shim_ensure();                                                         \
	n_ = shim_fd_node(fd);                                                 \
	if (n_ != SHIM_NODE_NONE)                                              \
		return put_stat(n_, (buf));                                    \
	return call;                                                           \
} while (0)

SHIM_EXPORT int fstat(int fd, struct stat *st)
{
	STAT_FD(fd, st, shim_real.fstat(fd, st));
}

SHIM_EXPORT int fstat64(int fd, struct stat64 *st)
{
	STAT_FD(fd, st, shim_real.fstat64(fd, st));
}

SHIM_EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	STAT_FD(fd, st, shim_real.fxstat(ver, fd, st));
}

SHIM_EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	STAT_FD(fd, st, shim_real.fxstat64(ver, fd, st));
}

/*
 * The *at forms: AT_EMPTY_PATH with "" is the dirfd itself; an absolute
 * path ignores the dirfd. Return: the node the call is about, or NONE.
 */
static enum shim_node at_node(int dirfd, const char *path, int flags)
{
	if ((flags & AT_EMPTY_PATH) && path[0] == '\0')
		return shim_fd_node(dirfd);
	return (flags & AT_SYMLINK_NOFOLLOW) ? path_node_nofollow(path) : shim_path_node(path);
}

#define STAT_AT(dirfd, upath, flags, put, call) do {                           \
	char pb_[SHIM_PATH_MAX], rb_[SHIM_PATH_MAX];                           \
	const char *p_;                                                        \
	enum shim_node n_;                                                     \
	shim_ensure();                                                         \
	p_ = path_in((upath), pb_);                                            \
	if (!p_)                                                               \
		return -1;                                                     \
	n_ = at_node((dirfd), p_, (flags));                                    \
	if (n_ != SHIM_NODE_NONE)                                              \
		return put;                                                    \
	p_ = shim_path_redirect(p_, rb_, sizeof(rb_));                         \
	return call;                                                           \
} while (0)

SHIM_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	STAT_AT(dirfd, path, flags, put_stat(n_, st), shim_real.fstatat(dirfd, p_, st, flags));
}

SHIM_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	STAT_AT(dirfd, path, flags, put_stat(n_, st), shim_real.fstatat64(dirfd, p_, st, flags));
}

SHIM_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	STAT_AT(dirfd, path, flags, put_stat(n_, st),
		shim_real.fxstatat(ver, dirfd, p_, st, flags));
}

SHIM_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	STAT_AT(dirfd, path, flags, put_stat(n_, st),
		shim_real.fxstatat64(ver, dirfd, p_, st, flags));
}

SHIM_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	STAT_AT(dirfd, path, flags, put_statx(n_, stx),
		shim_real.statx(dirfd, p_, flags, mask, stx));
}

/* ---- access ------------------------------------------------------------- */

/* The nodes are rw for everyone (shim_fake_stat): only X_OK is refused. */
static int node_access(int mode)
{
	return (mode & X_OK) ? fail(EACCES) : 0;
}

#define ACCESS_PATH(upath, mode, call) do {                                    \
	char pb_[SHIM_PATH_MAX], rb_[SHIM_PATH_MAX];                           \
	const char *p_;                                                        \
	shim_ensure();                                                         \
	p_ = path_in((upath), pb_);                                            \
	if (!p_)                                                               \
		return -1;                                                     \
	if (shim_path_node(p_) != SHIM_NODE_NONE)                              \
		return node_access(mode);                                      \
	p_ = shim_path_redirect(p_, rb_, sizeof(rb_));                         \
	return call;                                                           \
} while (0)

SHIM_EXPORT int access(const char *path, int mode)
{
	ACCESS_PATH(path, mode, shim_real.access(p_, mode));
}

SHIM_EXPORT int eaccess(const char *path, int mode)
{
	ACCESS_PATH(path, mode, shim_real.eaccess(p_, mode));
}

SHIM_EXPORT int euidaccess(const char *path, int mode)
{
	ACCESS_PATH(path, mode, shim_real.euidaccess(p_, mode));
}

SHIM_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	ACCESS_PATH(path, mode, shim_real.faccessat(dirfd, p_, mode, flags));
}

/* ---- readlink, realpath ------------------------------------------------- */

/*
 * readlink of a node: /proc/self/fd/N names it; /dev/dri/x is no link.
 * Return: true if @path concerns us (result in *@ret).
 */
static bool readlink_node(const char *path, char *ubuf, size_t size, ssize_t *ret)
{
	enum shim_node node = shim_path_node(path);
	const char *target;
	size_t n;

	if (node == SHIM_NODE_NONE)
		return false;
	if (path[1] != 'p') {
		*ret = fail(EINVAL);
		return true;
	}
	target = shim_node_path(node);
	n = u_min(strlen(target), size);
	*ret = u_copy_to_user(ubuf, target, n) ? fail(EFAULT) : (ssize_t)n;
	return true;
}

SHIM_EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	char pb[SHIM_PATH_MAX], rb[SHIM_PATH_MAX];
	const char *p;
	ssize_t ret;

	shim_ensure();
	p = path_in(path, pb);
	if (!p)
		return -1;
	if (readlink_node(p, buf, size, &ret))
		return ret;
	return shim_real.readlink(shim_path_redirect(p, rb, sizeof(rb)), buf, size);
}

SHIM_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	char pb[SHIM_PATH_MAX], rb[SHIM_PATH_MAX];
	const char *p;
	ssize_t ret;

	shim_ensure();
	p = path_in(path, pb);
	if (!p)
		return -1;
	if (readlink_node(p, buf, size, &ret))
		return ret;
	return shim_real.readlinkat(dirfd, shim_path_redirect(p, rb, sizeof(rb)), buf, size);
}

SHIM_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen)
{
	shim_ensure();
	if (size > buflen)	/* let the real one report the overflow */
		return shim_real.readlink_chk(path, buf, size, buflen);
	return readlink(path, buf, size);
}

SHIM_EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size,
				     size_t buflen)
{
	shim_ensure();
	if (size > buflen)
		return shim_real.readlinkat_chk(dirfd, path, buf, size, buflen);
	return readlinkat(dirfd, path, buf, size);
}

SHIM_EXPORT char *realpath(const char *path, char *resolved)
{
	char pb[SHIM_PATH_MAX], rb[SHIM_PATH_MAX];
	enum shim_node node;
	const char *p;
	char *r;

	shim_ensure();
	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	p = path_in(path, pb);
	if (!p)
		return NULL;
	node = shim_path_node(p);
	if (node != SHIM_NODE_NONE) {
		const char *target = shim_node_path(node);

		if (!resolved)
			return strdup(target);	/* the caller frees it with free() */
		if (u_copy_to_user(resolved, target, strlen(target) + 1)) {
			errno = EFAULT;
			return NULL;
		}
		return resolved;
	}
	r = shim_real.realpath(shim_path_redirect(p, rb, sizeof(rb)), resolved);
	if (r)
		shim_path_unredirect(r);
	return r;
}

SHIM_EXPORT char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	shim_ensure();
	if (resolvedlen < PATH_MAX)	/* the real one reports it */
		return shim_real.realpath_chk(path, resolved, resolvedlen);
	return realpath(path, resolved);
}

SHIM_EXPORT char *canonicalize_file_name(const char *path)
{
	return realpath(path, NULL);
}

/* ---- directories, fopen -------------------------------------------------- */

SHIM_EXPORT DIR *opendir(const char *path)
{
	char pb[SHIM_PATH_MAX], rb[SHIM_PATH_MAX];
	const char *p;

	shim_ensure();
	p = path_in(path, pb);
	if (!p)
		return NULL;
	if (shim_dir_is_dev_dri(p))
		return shim_dir_open_dev_dri();
	return shim_real.opendir(shim_path_redirect(p, rb, sizeof(rb)));
}

SHIM_EXPORT struct dirent *readdir(DIR *d)
{
	bool handled;
	void *e;

	shim_ensure();
	e = shim_dir_read(d, false, &handled);
	return handled ? e : shim_real.readdir(d);
}

SHIM_EXPORT struct dirent64 *readdir64(DIR *d)
{
	bool handled;
	void *e;

	shim_ensure();
	e = shim_dir_read(d, true, &handled);
	return handled ? e : shim_real.readdir64(d);
}

SHIM_EXPORT void rewinddir(DIR *d)
{
	shim_ensure();
	shim_dir_rewind(d);
	shim_real.rewinddir(d);
}

SHIM_EXPORT int closedir(DIR *d)
{
	shim_ensure();
	shim_dir_forget(d);
	return shim_real.closedir(d);
}

SHIM_EXPORT FILE *fopen(const char *path, const char *mode)
{
	char pb[SHIM_PATH_MAX], rb[SHIM_PATH_MAX];
	const char *p;

	shim_ensure();
	p = path_in(path, pb);
	if (!p)
		return NULL;
	return shim_real.fopen(shim_path_redirect(p, rb, sizeof(rb)), mode);
}

SHIM_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	char pb[SHIM_PATH_MAX], rb[SHIM_PATH_MAX];
	const char *p;

	shim_ensure();
	p = path_in(path, pb);
	if (!p)
		return NULL;
	return (shim_real.fopen64 ? shim_real.fopen64 : shim_real.fopen)(
		shim_path_redirect(p, rb, sizeof(rb)), mode);
}

/* ---- signals: keep the uaccess handler in front -------------------------- */

/*
 * Sanitizer runtimes install their own handlers through sigaction() while
 * they initialise, before our constructor and before their instrumentation
 * works: these two entry points are not instrumented, and until the shim is
 * initialised they only forward (an action set then is one we chain to).
 */
#define SHIM_NO_SANITIZE __attribute__((no_sanitize("address", "thread", "undefined")))

SHIM_EXPORT SHIM_NO_SANITIZE int sigaction(int sig, const struct sigaction *act,
					   struct sigaction *old)
{
	static int (*early)(int, const struct sigaction *, struct sigaction *);

	if (unlikely(!__atomic_load_n(&shim__resolved, __ATOMIC_ACQUIRE))) {
		if (!early)
			*(void **)&early = dlsym(RTLD_NEXT, "sigaction");
		return early(sig, act, old);
	}
	if (u_uaccess_sigaction(sig, act, old) == 1)
		return 0;
	return shim_real.sigaction(sig, act, old);
}

SHIM_EXPORT SHIM_NO_SANITIZE sighandler_t signal(int sig, sighandler_t handler)
{
	static sighandler_t (*early)(int, sighandler_t);
	struct sigaction act, old;

	if (unlikely(!__atomic_load_n(&shim__resolved, __ATOMIC_ACQUIRE))) {
		if (!early)
			*(void **)&early = dlsym(RTLD_NEXT, "signal");
		return early(sig, handler);
	}
	if (sig == SIGSEGV || sig == SIGBUS) {
		/* glibc's signal(): BSD semantics, the signal blocked in its handler. */
		memset(&act, 0, sizeof(act));
		act.sa_handler = handler;
		act.sa_flags = SA_RESTART;
		sigemptyset(&act.sa_mask);
		sigaddset(&act.sa_mask, sig);
		if (u_uaccess_sigaction(sig, &act, &old) == 1)
			return (old.sa_flags & SA_SIGINFO) ? (sighandler_t)(void *)old.sa_sigaction :
							     old.sa_handler;
	}
	return shim_real.signal(sig, handler);
}
