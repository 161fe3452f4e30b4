// SPDX-License-Identifier: MIT
/*
 * DOC: shim start-up
 *
 * Every interposer first calls shim_ensure(): the real functions are
 * resolved with dlsym(RTLD_NEXT) on the first intercepted call or in the
 * constructor, whichever comes first (another library's constructor may
 * open files before ours runs). Resolution touches nothing but dlsym, so it
 * cannot recurse into an interposer; it is guarded by a once-flag, and a
 * thread that arrives while another resolves waits for it.
 *
 * After resolution, once: the uaccess fault handler is installed with the
 * real sigaction() (so a program's later sigaction(SIGSEGV) goes through our
 * interposer and is chained rather than replacing it), the private sysfs
 * tree is built, and the fork handlers are registered.
 */
#include "shim.h"

#include <dlfcn.h>
#include <pthread.h>

#include "util/u_uaccess.h"

struct shim_real shim_real;
int shim__resolved;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;

#define RESOLVE(field, name) \
	(*(void **)&shim_real.field = dlsym(RTLD_NEXT, name))

static void shim_resolve_once(void)
{
	RESOLVE(open, "open");
	RESOLVE(open64, "open64");
	RESOLVE(openat, "openat");
	RESOLVE(openat64, "openat64");
	RESOLVE(open_2, "__open_2");
	RESOLVE(open64_2, "__open64_2");
	RESOLVE(openat_2, "__openat_2");
	RESOLVE(openat64_2, "__openat64_2");
	RESOLVE(close, "close");
	RESOLVE(close_range, "close_range");
	RESOLVE(closefrom, "closefrom");
	RESOLVE(dup, "dup");
	RESOLVE(dup2, "dup2");
	RESOLVE(dup3, "dup3");
	RESOLVE(fcntl, "fcntl");
	RESOLVE(fcntl64, "fcntl64");
	RESOLVE(ioctl, "ioctl");
	RESOLVE(mmap, "mmap");
	RESOLVE(mmap64, "mmap64");
	RESOLVE(munmap, "munmap");
	RESOLVE(stat, "stat");
	RESOLVE(stat64, "stat64");
	RESOLVE(lstat, "lstat");
	RESOLVE(lstat64, "lstat64");
	RESOLVE(fstat, "fstat");
	RESOLVE(fstat64, "fstat64");
	RESOLVE(fstatat, "fstatat");
	RESOLVE(fstatat64, "fstatat64");
	RESOLVE(statx, "statx");
	RESOLVE(xstat, "__xstat");
	RESOLVE(xstat64, "__xstat64");
	RESOLVE(lxstat, "__lxstat");
	RESOLVE(lxstat64, "__lxstat64");
	RESOLVE(fxstat, "__fxstat");
	RESOLVE(fxstat64, "__fxstat64");
	RESOLVE(fxstatat, "__fxstatat");
	RESOLVE(fxstatat64, "__fxstatat64");
	RESOLVE(access, "access");
	RESOLVE(faccessat, "faccessat");
	RESOLVE(eaccess, "eaccess");
	RESOLVE(euidaccess, "euidaccess");
	RESOLVE(readlink, "readlink");
	RESOLVE(readlinkat, "readlinkat");
	RESOLVE(readlink_chk, "__readlink_chk");
	RESOLVE(readlinkat_chk, "__readlinkat_chk");
	RESOLVE(realpath, "realpath");
	RESOLVE(realpath_chk, "__realpath_chk");
	RESOLVE(canonicalize_file_name, "canonicalize_file_name");
	RESOLVE(opendir, "opendir");
	RESOLVE(readdir, "readdir");
	RESOLVE(readdir64, "readdir64");
	RESOLVE(closedir, "closedir");
	RESOLVE(rewinddir, "rewinddir");
	RESOLVE(fopen, "fopen");
	RESOLVE(fopen64, "fopen64");
	RESOLVE(sigaction, "sigaction");
	RESOLVE(signal, "signal");
	__atomic_store_n(&shim__resolved, 1, __ATOMIC_RELEASE);

	/* Everything below may call interposed functions: they now work. */
	u_uaccess_set_real_sigaction(shim_real.sigaction);
	u_uaccess_init();
	shim_tree_init();
	shim_device_init();
}

void shim_resolve(void)
{
	pthread_once(&shim_once, shim_resolve_once);
}

/* Early, so the fault handler is in place before the program's constructors. */
__attribute__((constructor(101))) static void shim_constructor(void)
{
	shim_resolve();
}
