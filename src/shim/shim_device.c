// SPDX-License-Identifier: MIT
/*
 * DOC: the shim's device, ioctl forwarding, the fork rule, the exit report
 *
 * One pantomime_device per process, created by the first open() of a fake
 * node from pantomime_config_default() + pantomime_config_from_env()
 * (PANTOMIME_MEMORY, PANTOMIME_SWAP, PANTOMIME_TLB, PANTOMIME_CHECKER,
 * PANTOMIME_FAULT, PANTOMIME_COHERENT, PANTOMIME_JOB_TIMEOUT_MS). A bad
 * variable makes every open of the device fail with the same errno (EINVAL),
 * after one message naming it.
 *
 * ioctl: the kernel's drm_ioctl() copies the top-level argument struct in
 * (_IOC_WRITE: _IOC_SIZE bytes from the user; otherwise zeroes), runs the
 * handler on the copy, and copies it back (_IOC_READ) whatever the handler
 * returned, turning a failed copy into -EFAULT. shim_ioctl() does the same
 * with u_copy_from_user()/u_copy_to_user(), so a wild or read-only argument
 * pointer is EFAULT, never a crash, and nothing past _IOC_SIZE is written.
 * Structs up to 256 bytes use a stack buffer: the trivial ioctl makes no
 * allocation and no syscall.
 *
 * Fork: the device lives in this process's memory and threads (IRQ
 * threads, bind workers, the userfaultfd thread), none of which a child
 * has. A pthread_atfork child handler marks the process forked: every ioctl
 * and mmap on an inherited device fd, and every new open of a node, fails
 * with EIO and prints once
 *     pantomime: the device cannot be shared with a forked child; exec first
 * EIO rather than EBADF because the fd is valid (close, fstat, dup work)
 * and EIO is what DRM returns for a device that is gone. The child's
 * closes never call into the driver and its exit prints no report. After
 * exec the shim starts afresh; inherited device fds are plain files there.
 *
 * Trace: with PANTOMIME_TRACE_FILE (`pantomime run --trace` sets it), the
 * device's creation starts the Chrome trace writer of src/ctrace (its
 * writer thread is the only thread the shim adds, and only then), which
 * also samples the memory counters every 100 ms; the exit destructor
 * finishes the file. A file another process is writing is left to it.
 *
 * Exit report (a destructor, which runs after the program's atexit
 * handlers): with PANTOMIME_REPORT=1, or when the checker reported a
 * violation, pantomime_dump() of the statistics and the checker reports
 * goes to stderr; with violations a last line
 *     pantomime: N protocol violations — see above
 * follows. PANTOMIME_STRICT=1 then also ends the process with _exit(3), so
 * CI notices even when the program itself passed; without it the exit
 * status is the program's own (IGT's 77 for skip must survive).
 */
#include "shim.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctrace/ctrace.h"
#include "util/u_alloc.h"
#include "util/u_log.h"
#include "util/u_uaccess.h"

bool shim__forked;

/* The device: created once under dev_lock, then read with an acquire load. */
static struct pantomime_device *shim_dev;
static int shim_dev_err;
static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;

static int fork_msg_done;

/* The DRAM budget of the device, for the "free MiB" counter of the trace. */
static uint64_t shim_dev_memory;

/* The trace writer's sampler: the memory counters, every 100 ms while tracing. */
static void shim_trace_sample(void *cookie, uint64_t now)
{
	struct pantomime_device *dev = __atomic_load_n(&shim_dev, __ATOMIC_ACQUIRE);
	struct pantomime_stats st;
	uint64_t used;

	if (!dev)
		return;
	pantomime_get_stats(dev, &st);
	used = st.resident_bytes < shim_dev_memory ? st.resident_bytes : shim_dev_memory;
	ctrace_counter("resident MiB", now, (double)st.resident_bytes / 1048576.0);
	ctrace_counter("free MiB", now, (double)(shim_dev_memory - used) / 1048576.0);
	ctrace_counter("swap used MiB", now, (double)st.swap_used_bytes / 1048576.0);
}

/*
 * PANTOMIME_TRACE_FILE: start the trace writer before the device exists, so
 * that its creation is traced too. Another process of the same run holding
 * the file is not an error (this one is not traced); any other failure is.
 */
static int shim_trace_start(void)
{
	const char *path = getenv("PANTOMIME_TRACE_FILE");
	int err;

	if (!path || !*path)
		return 0;
	err = ctrace_open(path, shim_trace_sample, NULL, 100000000ull);
	if (err == -EBUSY) {
		u_warn("shim", "PANTOMIME_TRACE_FILE: '%s' is being written by another process; "
		       "this one (pid %d) is not traced", path, (int)getpid());
		return 0;
	}
	if (err)
		u_err("shim", "PANTOMIME_TRACE_FILE: cannot write '%s': %s", path, strerror(-err));
	return err;
}

int shim_device_get(struct pantomime_device **out)
{
	struct pantomime_device *dev = __atomic_load_n(&shim_dev, __ATOMIC_ACQUIRE);
	struct pantomime_config cfg;
	int err;

	if (likely(dev)) {
		*out = dev;
		return 0;
	}
	pthread_mutex_lock(&dev_lock);
	if (!shim_dev && !shim_dev_err) {
		pantomime_config_default(&cfg);
		err = pantomime_config_from_env(&cfg);
		shim_dev_memory = cfg.memory_bytes;
		if (!err)
			err = shim_trace_start();
		if (!err) {
			err = pantomime_device_create(&cfg, &dev);
			if (err)
				ctrace_close();
		}
		if (err) {
			u_err("shim", "cannot create the device (%s): every open of "
			      "/dev/dri/card0 and renderD128 fails", strerror(-err));
			shim_dev_err = err;
		} else {
			__atomic_store_n(&shim_dev, dev, __ATOMIC_RELEASE);
		}
	}
	dev = shim_dev;
	err = shim_dev_err;
	pthread_mutex_unlock(&dev_lock);
	if (err)
		return err;
	*out = dev;
	return 0;
}

int shim_forked_error(void)
{
	static const char msg[] =
		"pantomime: the device cannot be shared with a forked child; exec first\n";

	if (!__atomic_exchange_n(&fork_msg_done, 1, __ATOMIC_RELAXED)) {
		ssize_t U_UNUSED w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	}
	return -EIO;
}

long shim_ioctl(struct shim_file *sf, unsigned long request, void *arg)
{
	_Alignas(16) unsigned char stack[256];
	unsigned int size = _IOC_SIZE(request);
	unsigned int dir = _IOC_DIR(request);
	void *k = stack;
	long ret;

	if (unlikely(shim__forked))
		return shim_forked_error();
	if (unlikely(size > sizeof(stack))) {
		k = u_malloc(size);
		if (!k)
			return -ENOMEM;
	}
	if (dir & _IOC_WRITE) {
		if (unlikely(u_copy_from_user(k, arg, size))) {
			ret = -EFAULT;
			goto out;
		}
	} else if (size) {
		memset(k, 0, size);
	}
	ret = pantomime_ioctl(sf->file, request, k);
	if ((dir & _IOC_READ) && unlikely(u_copy_to_user(arg, k, size)))
		ret = -EFAULT;
out:
	if (k != stack)
		u_free(k);
	return ret;
}

void *shim_mmap(struct shim_file *sf, void *addr, size_t len, int prot, int flags, off_t off)
{
	void *out;
	int err;

	if (unlikely(shim__forked)) {
		errno = -shim_forked_error();
		return MAP_FAILED;
	}
	if ((flags & MAP_FIXED) && shim_maps_any())
		shim_maps_unmap(addr, len, false);
	err = pantomime_mmap(sf->file, addr, len, prot, flags, (uint64_t)off, &out);
	if (err) {
		errno = -err;
		return MAP_FAILED;
	}
	err = shim_maps_add(out, len);
	if (err) {
		pantomime_munmap(out, len);
		errno = -err;
		return MAP_FAILED;
	}
	return out;
}

static void atfork_prepare(void)
{
	shim_fd_atfork_prepare();
}

static void atfork_parent(void)
{
	shim_fd_atfork_parent();
}

static void atfork_child(void)
{
	shim__forked = true;
	__atomic_store_n(&fork_msg_done, 0, __ATOMIC_RELAXED);
	pthread_mutex_init(&dev_lock, NULL);
	shim_fd_atfork_child();
	shim_tree_atfork_child();
	shim_maps_atfork_child();
}

static bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

/*
 * Called from the first intercepted call, which can come from a sanitizer's
 * start-up before the environment is readable: read no variable here.
 */
void shim_device_init(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/*
 * For `pantomime run`: PANTOMIME_REPORT_FILE names a file that gets the
 * statistics view (one "name value" per line); PANTOMIME_DUMP lists views
 * (gems, vms, pgtables, comma-separated) printed to stderr.
 */
static void shim_exit_files(struct pantomime_device *dev)
{
	const char *path = getenv("PANTOMIME_REPORT_FILE");
	const char *views = getenv("PANTOMIME_DUMP");

	if (views) {
		if (strstr(views, "gems"))
			pantomime_dump(dev, PANTOMIME_VIEW_GEMS, stderr);
		if (strstr(views, "vms"))
			pantomime_dump(dev, PANTOMIME_VIEW_VMS, stderr);
		if (strstr(views, "pgtables"))
			pantomime_dump(dev, PANTOMIME_VIEW_PGTABLES, stderr);
	}
	if (path && *path) {
		FILE *f = fopen(path, "w");

		if (f) {
			pantomime_dump(dev, PANTOMIME_VIEW_STATS, f);
			fclose(f);
		}
	}
}

__attribute__((destructor)) static void shim_exit_report(void)
{
	struct pantomime_device *dev = __atomic_load_n(&shim_dev, __ATOMIC_ACQUIRE);
	struct pantomime_stats st;
	bool report_at_exit = env_flag("PANTOMIME_REPORT");
	bool strict_exit = env_flag("PANTOMIME_STRICT");

	if (shim__forked)
		return;
	shim_tree_fini();
	if (!dev)
		return;
	pantomime_get_stats(dev, &st);
	shim_exit_files(dev);
	ctrace_close();		/* the device's threads may still run: their events are dropped */
	if (report_at_exit || st.checker_violations) {
		fprintf(stderr, "pantomime: report at exit (pid %d)\n", (int)getpid());
		pantomime_dump(dev, PANTOMIME_VIEW_STATS, stderr);
		pantomime_dump(dev, PANTOMIME_VIEW_CHECKER, stderr);
		fprintf(stderr, "pantomime: %lu device fds open at exit, %lu user-copy faults recovered\n",
			shim_fd_count(), u_uaccess_faults());
	}
	if (st.checker_violations) {
		fprintf(stderr, "pantomime: %llu protocol violations \xe2\x80\x94 see above\n",
			(unsigned long long)st.checker_violations);
		if (strict_exit) {
			fflush(NULL);	/* the program's buffered output is not lost */
			_exit(3);
		}
	}
	fflush(stderr);
}
