// SPDX-License-Identifier: MIT
/*
 * DOC: the fake device tree
 *
 * Two kinds of fake path:
 *
 * - The device nodes /dev/dri/card0 (char 226:0) and /dev/dri/renderD128
 *   (char 226:128) are synthesised: stat() answers from shim_fake_stat(),
 *   open() creates a device file (shim_fd.c), access() says yes. A real
 *   char device cannot be created without privileges, so nothing on disk
 *   stands for them.
 *
 * - The sysfs files libdrm reads are real files in a private directory made
 *   with mkdtemp() at start-up, laid out like the kernel's sysfs for a
 *   platform device (relative symlinks, so they resolve inside it):
 *
 *     sys/dev/char/226:0    -> ../../devices/platform/fb000000.gpu/drm/card0
 *     sys/dev/char/226:128  -> ../../devices/platform/fb000000.gpu/drm/renderD128
 *     sys/class/drm/{card0,renderD128} -> the same
 *     sys/devices/platform/fb000000.gpu/
 *         uevent      DRIVER=panthor, OF_FULLNAME, OF_COMPATIBLE_0=arm,mali-valhall-csf,
 *                     OF_COMPATIBLE_N=1, MODALIAS (reference/clients.md §2.7)
 *         subsystem   -> ../../../bus/platform     driver -> .../drivers/panthor
 *         drm/card0/, drm/renderD128/   dev, uevent, device -> ../.., subsystem
 *     dev/dri/{card0,renderD128}   empty files: /dev/dri when the machine has none
 *
 *   Every path-taking interposer passes the caller's path through
 *   shim_path_redirect(): a path under one of the fake sysfs prefixes is
 *   rewritten into the private directory and handed to the real function,
 *   so open, fopen, stat, access, opendir/readdir, readlink and realpath
 *   all behave exactly as on real files, whichever of them a libdrm version
 *   uses (2.4.114 uses realpath() on .../device/subsystem, newer ones
 *   readlink()); realpath() results are mapped back out of the directory.
 *   Synthesising each call instead was rejected: every libc entry point
 *   (and getline() buffering, d_type, symlink semantics) would need its own
 *   fake, and a missed one fails deep inside libdrm.
 *
 * /dev/dri itself is listed by the real opendir() of /dev/dri (or of the
 * private dev/dri when the machine has none); readdir() on that DIR first
 * returns card0 and renderD128 as DT_CHR entries, then the real entries
 * minus any of the same name. Real GPUs' other nodes stay visible, and a
 * real card0/renderD128 is shadowed by ours. Paths are matched literally
 * (absolute, no "..", no doubled slashes); relative paths pass through.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "util/u_log.h"

#define DRM_MAJOR 226
#define GPU_DIR "/sys/devices/platform/fb000000.gpu"

static const char *const node_names[] = { "card0", "renderD128" };
static const char *const node_paths[] = { "/dev/dri/card0", "/dev/dri/renderD128" };

/* The private directory, set once by shim_tree_init(); empty if it failed. */
static char tree_root[256];
static size_t tree_root_len;
static pid_t tree_owner;
static bool real_dev_dri;
static struct timespec tree_time;

/* Paths served from the private directory (each with everything below it). */
static const char *const redirected[] = {
	"/sys/dev/char/226:0",
	"/sys/dev/char/226:128",
	"/sys/class/drm/card0",
	"/sys/class/drm/renderD128",
	GPU_DIR,
	"/sys/bus/platform/drivers/panthor",
};

const char *shim_node_path(enum shim_node node)
{
	return node_paths[node];
}

const char *shim_node_name(enum shim_node node)
{
	return node_names[node];
}

unsigned int shim_node_minor(enum shim_node node)
{
	return node == SHIM_NODE_RENDER ? 128 : 0;
}

/* Does @path equal @prefix or continue it with a '/'? */
static bool path_under(const char *path, const char *prefix, size_t plen)
{
	return !strncmp(path, prefix, plen) && (path[plen] == '\0' || path[plen] == '/');
}

/* /proc/self/fd/N, /proc/thread-self/fd/N or /proc/<our pid>/fd/N: N, else -1. */
static int proc_fd(const char *path)
{
	const char *p;
	char *end;
	long fd;

	if (strncmp(path, "/proc/", 6))
		return -1;
	p = path + 6;
	if (!strncmp(p, "self/fd/", 8)) {
		p += 8;
	} else if (!strncmp(p, "thread-self/fd/", 15)) {
		p += 15;
	} else if (*p >= '1' && *p <= '9') {
		long pid = strtol(p, &end, 10);

		if (strncmp(end, "/fd/", 4) || pid != (long)getpid())
			return -1;
		p = end + 4;
	} else {
		return -1;
	}
	if (*p < '0' || *p > '9')
		return -1;
	fd = strtol(p, &end, 10);
	if (*end != '\0' || fd < 0 || fd >= SHIM_MAX_FD)
		return -1;
	return (int)fd;
}

enum shim_node shim_path_node(const char *path)
{
	if (!path || path[0] != '/')
		return SHIM_NODE_NONE;
	if (!strncmp(path, "/dev/dri/", 9)) {
		if (!strcmp(path + 9, node_names[SHIM_NODE_CARD]))
			return SHIM_NODE_CARD;
		if (!strcmp(path + 9, node_names[SHIM_NODE_RENDER]))
			return SHIM_NODE_RENDER;
		return SHIM_NODE_NONE;
	}
	if (path[1] == 'p') {
		int fd = proc_fd(path);

		if (fd >= 0)
			return shim_fd_node(fd);
	}
	return SHIM_NODE_NONE;
}

bool shim_dir_is_dev_dri(const char *path)
{
	return path && (!strcmp(path, "/dev/dri") || !strcmp(path, "/dev/dri/"));
}

const char *shim_path_redirect(const char *path, char *buf, size_t len)
{
	bool hit = false;

	if (!path || path[0] != '/' || !tree_root_len)
		return path;
	if (path[1] == 's' && !strncmp(path, "/sys/", 5)) {
		for (unsigned int i = 0; i < ARRAY_SIZE(redirected) && !hit; i++)
			hit = path_under(path, redirected[i], strlen(redirected[i]));
	} else if (!real_dev_dri && path[1] == 'd' && path_under(path, "/dev/dri", 8)) {
		hit = true;
	}
	if (!hit || tree_root_len + strlen(path) + 1 > len)
		return path;
	memcpy(buf, tree_root, tree_root_len);
	strcpy(buf + tree_root_len, path);
	return buf;
}

bool shim_path_unredirect(char *path)
{
	if (!tree_root_len || strncmp(path, tree_root, tree_root_len) ||
	    (path[tree_root_len] != '/' && path[tree_root_len] != '\0'))
		return false;
	memmove(path, path + tree_root_len, strlen(path + tree_root_len) + 1);
	if (!path[0])
		strcpy(path, "/");
	return true;
}

void shim_fake_stat(enum shim_node node, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(0, 5);	/* devtmpfs-like */
	st->st_ino = 1000 + shim_node_minor(node);
	/* Readable and writable by all, so access() agrees with stat(). */
	st->st_mode = S_IFCHR | 0666;
	st->st_nlink = 1;
	st->st_rdev = makedev(DRM_MAJOR, shim_node_minor(node));
	st->st_blksize = 4096;
	st->st_atim = tree_time;
	st->st_mtim = tree_time;
	st->st_ctim = tree_time;
}

void shim_fake_statx(enum shim_node node, struct statx *stx)
{
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = 4096;
	stx->stx_nlink = 1;
	stx->stx_mode = S_IFCHR | 0666;
	stx->stx_ino = 1000 + shim_node_minor(node);
	stx->stx_rdev_major = DRM_MAJOR;
	stx->stx_rdev_minor = shim_node_minor(node);
	stx->stx_dev_major = 0;
	stx->stx_dev_minor = 5;
	stx->stx_atime.tv_sec = tree_time.tv_sec;
	stx->stx_atime.tv_nsec = (uint32_t)tree_time.tv_nsec;
	stx->stx_mtime = stx->stx_atime;
	stx->stx_ctime = stx->stx_atime;
}

/* ---- building the private directory ------------------------------------- */

static int tree_mkdir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tree_root, rel);
	/* mkdir -p: create every missing component. */
	for (char *p = path + tree_root_len + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, 0755) && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int tree_file(const char *rel, const char *text)
{
	char path[512];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tree_root, rel);
	fd = shim_real.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len) {
		shim_real.close(fd);
		return -EIO;
	}
	shim_real.close(fd);
	return 0;
}

static int tree_link(const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tree_root, rel);
	return symlink(target, path) ? -errno : 0;
}

static int tree_node(enum shim_node node)
{
	char rel[128], text[256];
	const char *name = node_names[node];
	unsigned int minor = shim_node_minor(node);
	int err = 0;

	snprintf(rel, sizeof(rel), "sys/devices/platform/fb000000.gpu/drm/%s", name);
	err = err ?: tree_mkdir(rel);
	snprintf(rel, sizeof(rel), "sys/devices/platform/fb000000.gpu/drm/%s/dev", name);
	snprintf(text, sizeof(text), "%d:%u\n", DRM_MAJOR, minor);
	err = err ?: tree_file(rel, text);
	snprintf(rel, sizeof(rel), "sys/devices/platform/fb000000.gpu/drm/%s/uevent", name);
	snprintf(text, sizeof(text), "MAJOR=%d\nMINOR=%u\nDEVNAME=dri/%s\nDEVTYPE=drm_minor\n",
		 DRM_MAJOR, minor, name);
	err = err ?: tree_file(rel, text);
	snprintf(rel, sizeof(rel), "sys/devices/platform/fb000000.gpu/drm/%s/device", name);
	err = err ?: tree_link(rel, "../..");
	snprintf(rel, sizeof(rel), "sys/devices/platform/fb000000.gpu/drm/%s/subsystem", name);
	err = err ?: tree_link(rel, "../../../../../class/drm");
	snprintf(rel, sizeof(rel), "sys/dev/char/%d:%u", DRM_MAJOR, minor);
	snprintf(text, sizeof(text), "../../devices/platform/fb000000.gpu/drm/%s", name);
	err = err ?: tree_link(rel, text);
	snprintf(rel, sizeof(rel), "sys/class/drm/%s", name);
	snprintf(text, sizeof(text), "../../devices/platform/fb000000.gpu/drm/%s", name);
	err = err ?: tree_link(rel, text);
	snprintf(rel, sizeof(rel), "dev/dri/%s", name);
	err = err ?: tree_file(rel, "");
	return err;
}

static int tree_build(void)
{
	static const char uevent[] =
		"DRIVER=panthor\n"
		"OF_NAME=gpu\n"
		"OF_FULLNAME=/gpu@fb000000\n"
		"OF_COMPATIBLE_0=arm,mali-valhall-csf\n"
		"OF_COMPATIBLE_N=1\n"
		"MODALIAS=of:NgpuT(null)Carm,mali-valhall-csf\n";
	int err = 0;

	err = err ?: tree_mkdir("sys/dev/char");
	err = err ?: tree_mkdir("sys/class/drm");
	err = err ?: tree_mkdir("sys/bus/platform/drivers/panthor");
	err = err ?: tree_mkdir("sys/devices/platform/fb000000.gpu/drm");
	err = err ?: tree_mkdir("dev/dri");
	err = err ?: tree_file("sys/devices/platform/fb000000.gpu/uevent", uevent);
	err = err ?: tree_file("sys/devices/platform/fb000000.gpu/modalias",
			       "of:NgpuT(null)Carm,mali-valhall-csf\n");
	err = err ?: tree_link("sys/devices/platform/fb000000.gpu/subsystem",
			       "../../../bus/platform");
	err = err ?: tree_link("sys/devices/platform/fb000000.gpu/driver",
			       "../../../bus/platform/drivers/panthor");
	err = err ?: tree_node(SHIM_NODE_CARD);
	err = err ?: tree_node(SHIM_NODE_RENDER);
	return err;
}

/* rm -r of the private directory (only regular files, symlinks, directories). */
static void tree_remove(const char *path)
{
	DIR *d = shim_real.opendir(path);
	struct dirent *e;

	if (d) {
		while ((e = shim_real.readdir(d))) {
			char sub[512];
			struct stat st;

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			if (!shim_real.lstat(sub, &st) && S_ISDIR(st.st_mode))
				tree_remove(sub);
			else
				unlink(sub);
		}
		shim_real.closedir(d);
	}
	rmdir(path);
}

/*
 * A process that dies without running destructors (a crash, _exit()) leaves
 * its directory behind; the next shim to start removes those of our user
 * whose process is gone (the pid is in the name).
 */
static void tree_clean_stale(const char *tmp)
{
	DIR *d = shim_real.opendir(tmp);
	struct dirent *e;

	if (!d)
		return;
	while ((e = shim_real.readdir(d))) {
		char path[512], *end;
		struct stat st;
		long pid;

		if (strncmp(e->d_name, "pantomime-shim-", 15))
			continue;
		pid = strtol(e->d_name + 15, &end, 10);
		if (end == e->d_name + 15 || *end != '.' || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
		if (shim_real.lstat(path, &st) || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
			continue;
		tree_remove(path);
	}
	shim_real.closedir(d);
}

void shim_tree_init(void)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	int err;

	clock_gettime(CLOCK_REALTIME, &tree_time);
	real_dev_dri = shim_real.stat("/dev/dri", &st) == 0 && S_ISDIR(st.st_mode);
	if (!tmp || !*tmp || strlen(tmp) > 200)
		tmp = "/tmp";
	tree_clean_stale(tmp);
	snprintf(tree_root, sizeof(tree_root), "%s/pantomime-shim-%d.XXXXXX", tmp, (int)getpid());
	if (!mkdtemp(tree_root)) {
		u_err("shim", "cannot create the private sysfs directory in %s (%s): "
		      "libdrm device discovery will fail", tmp, strerror(errno));
		tree_root[0] = '\0';
		return;
	}
	tree_root_len = strlen(tree_root);
	tree_owner = getpid();
	err = tree_build();
	if (err) {
		u_err("shim", "cannot build the private sysfs tree in %s (%s)",
		      tree_root, strerror(-err));
		tree_remove(tree_root);
		tree_root[0] = '\0';
		tree_root_len = 0;
	}
}

void shim_tree_fini(void)
{
	/* A forked child shares the directory with its parent: leave it. */
	if (!tree_root_len || getpid() != tree_owner)
		return;
	tree_remove(tree_root);
}

/* ---- the /dev/dri listing ----------------------------------------------- */

_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64) &&
	       offsetof(struct dirent, d_name) == offsetof(struct dirent64, d_name),
	       "struct dirent and dirent64 share a layout on LP64");

#define SHIM_MAX_DIRS 16

/*
 * Open /dev/dri listings. Protected by dir_lock; dir_count is read without
 * it as the fast "no listing open" test of every readdir().
 */
static struct shim_dir {
	DIR *d;
	unsigned int added;	/* how many of our entries were returned */
	struct dirent64 ent;
} dirs[SHIM_MAX_DIRS];
static unsigned int dir_count;
static pthread_mutex_t dir_lock = PTHREAD_MUTEX_INITIALIZER;

DIR *shim_dir_open_dev_dri(void)
{
	char path[SHIM_PATH_MAX];
	DIR *d = NULL;

	if (real_dev_dri)
		d = shim_real.opendir("/dev/dri");
	if (!d && tree_root_len) {
		snprintf(path, sizeof(path), "%s/dev/dri", tree_root);
		d = shim_real.opendir(path);
	}
	if (!d)
		return NULL;
	pthread_mutex_lock(&dir_lock);
	for (unsigned int i = 0; i < SHIM_MAX_DIRS; i++) {
		if (!dirs[i].d) {
			dirs[i].d = d;
			dirs[i].added = 0;
			__atomic_fetch_add(&dir_count, 1, __ATOMIC_RELEASE);
			pthread_mutex_unlock(&dir_lock);
			return d;
		}
	}
	pthread_mutex_unlock(&dir_lock);
	u_warn("shim", "more than %d /dev/dri listings open: this one lacks the fake nodes",
	       SHIM_MAX_DIRS);
	return d;
}

static struct shim_dir *dir_find_locked(DIR *d)
{
	for (unsigned int i = 0; i < SHIM_MAX_DIRS; i++)
		if (dirs[i].d == d)
			return &dirs[i];
	return NULL;
}

void *shim_dir_read(DIR *d, bool want64, bool *handled)
{
	struct shim_dir *sd;

	*handled = false;
	if (likely(!__atomic_load_n(&dir_count, __ATOMIC_ACQUIRE)) || !d)
		return NULL;
	pthread_mutex_lock(&dir_lock);
	sd = dir_find_locked(d);
	if (!sd) {
		pthread_mutex_unlock(&dir_lock);
		return NULL;
	}
	*handled = true;
	if (sd->added < ARRAY_SIZE(node_names)) {
		enum shim_node node = (enum shim_node)sd->added++;

		memset(&sd->ent, 0, sizeof(sd->ent));
		sd->ent.d_ino = 1000 + shim_node_minor(node);
		sd->ent.d_off = sd->added;
		sd->ent.d_reclen = sizeof(sd->ent);
		sd->ent.d_type = DT_CHR;
		strcpy(sd->ent.d_name, node_names[node]);
		pthread_mutex_unlock(&dir_lock);
		return &sd->ent;
	}
	pthread_mutex_unlock(&dir_lock);
	for (;;) {
		void *e = want64 ? (void *)shim_real.readdir64(d) : (void *)shim_real.readdir(d);
		const char *name;

		if (!e)
			return NULL;
		name = want64 ? ((struct dirent64 *)e)->d_name : ((struct dirent *)e)->d_name;
		if (strcmp(name, node_names[0]) && strcmp(name, node_names[1]))
			return e;
	}
}

void shim_dir_forget(DIR *d)
{
	if (!__atomic_load_n(&dir_count, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&dir_lock);
	struct shim_dir *sd = dir_find_locked(d);

	if (sd) {
		sd->d = NULL;
		__atomic_fetch_sub(&dir_count, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&dir_lock);
}

void shim_tree_atfork_child(void)
{
	pthread_mutex_init(&dir_lock, NULL);
}

void shim_dir_rewind(DIR *d)
{
	if (!__atomic_load_n(&dir_count, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&dir_lock);
	struct shim_dir *sd = dir_find_locked(d);

	if (sd)
		sd->added = 0;
	pthread_mutex_unlock(&dir_lock);
}
