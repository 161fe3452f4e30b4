// SPDX-License-Identifier: MIT
/*
 * u_uaccess: good copies of every size and alignment, bad pointers of every
 * kind (NULL, wild, non-canonical, wrapping, unmapped hole, read-only,
 * PROT_NONE, SIGBUS beyond the end of a file), exact partial progress,
 * strings, real crashes still crashing (with and without other handlers),
 * and threads faulting at once.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "t_harness.h"
#include "util/u_uaccess.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* The sanitizer's own SEGV handler reports the crash and exits or aborts. */
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static size_t page;
/* An address that is never mapped, behind a volatile so the compiler keeps the store. */
static volatile int *volatile crash_ptr = (volatile int *)(uintptr_t)16;

/* Three pages; the middle one gets @mid_prot (PROT_NONE, PROT_READ) or is unmapped (-1). */
static uint8_t *three_pages(int mid_prot)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(p != MAP_FAILED);
	for (size_t i = 0; i < 3 * page; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	if (mid_prot < 0)
		T_ASSERT_EQ_INT(munmap(p + page, page), 0);
	else
		T_ASSERT_EQ_INT(mprotect(p + page, page, mid_prot), 0);
	return p;
}

static void release(uint8_t *p)
{
	munmap(p, 3 * page);
}

T_TEST(good_sizes_alignments, "util/uaccess/good-every-size-and-alignment")
{
	static uint8_t src[320 + 16], dst[320 + 16], ref[320 + 16];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13 + 5);
	for (size_t n = 0; n <= 300; n++) {
		for (size_t so = 0; so < 8; so++) {
			for (size_t dof = 0; dof < 8; dof++) {
				memset(dst, 0xee, sizeof(dst));
				memcpy(ref, dst, sizeof(ref));
				memcpy(ref + dof, src + so, n);
				T_ASSERT_EQ_INT(u_copy_from_user(dst + dof, src + so, n), 0);
				T_ASSERT_MSG(!memcmp(dst, ref, sizeof(dst)),
					     "from_user n=%zu so=%zu do=%zu", n, so, dof);
				memset(dst, 0xee, sizeof(dst));
				T_ASSERT_EQ_INT(u_copy_to_user(dst + dof, src + so, n), 0);
				T_ASSERT_MSG(!memcmp(dst, ref, sizeof(dst)),
					     "to_user n=%zu so=%zu do=%zu", n, so, dof);
				memset(dst, 0xee, sizeof(dst));
				memset(ref + dof, 0, n);
				T_ASSERT_EQ_INT(u_clear_user(dst + dof, n), 0);
				T_ASSERT_MSG(!memcmp(dst, ref, sizeof(dst)),
					     "clear_user n=%zu do=%zu", n, dof);
			}
		}
	}
}

/* An address that was mapped a moment ago and no longer is. */
static void *wild_address(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(p != MAP_FAILED);
	munmap(p, 4 * pg);
	return (char *)p + pg + 123;
}

T_TEST(null_and_wild, "util/uaccess/null-wild-wrapping")
{
	uint8_t buf[64];
	void *const bad[] = {
		NULL,
		(void *)16,
		wild_address(),
		(void *)(uintptr_t)0xffff800000001000ull, /* the kernel's half */
#if defined(__x86_64__)
		(void *)(uintptr_t)0x8000000000000000ull, /* non-canonical: #GP */
#endif
		(void *)(uintptr_t)-4096,
	};

	memset(buf, 0x5a, sizeof(buf));
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (size_t n = 1; n <= 64; n += 21) {
			T_ASSERT_ERRNO(u_copy_from_user(buf, bad[i], n), EFAULT);
			T_ASSERT_ERRNO(u_copy_to_user(bad[i], buf, n), EFAULT);
			T_ASSERT_ERRNO(u_clear_user(bad[i], n), EFAULT);
		}
		T_ASSERT_ERRNO(u_strncpy_from_user((char *)buf, bad[i], 32), EFAULT);
	}
	for (size_t i = 0; i < sizeof(buf); i++)
		T_ASSERT_EQ_INT(buf[i], i < 1 ? 0 : 0x5a);	/* strncpy terminates */
	/* Zero bytes never touch memory, whatever the pointer. */
	T_ASSERT_EQ_INT(u_copy_from_user(buf, NULL, 0), 0);
	T_ASSERT_EQ_INT(u_copy_to_user(NULL, buf, 0), 0);
	T_ASSERT_EQ_INT(u_clear_user((void *)16, 0), 0);
	/* A range that wraps around the address space. */
	T_ASSERT_ERRNO(u_copy_from_user(buf, (void *)(uintptr_t)-8, 16), EFAULT);
	T_ASSERT_ERRNO(u_copy_to_user((void *)(uintptr_t)-8, buf, 16), EFAULT);
	T_ASSERT(u_uaccess_faults() > 0);
}

/* Copy @n bytes that start @k bytes before a bad page: exactly @k land. */
T_TEST(hole_from_user, "util/uaccess/from-user-stops-at-hole")
{
	static const int prots[] = { -1, PROT_NONE };

	for (unsigned int pi = 0; pi < 2; pi++) {
		uint8_t *p = three_pages(prots[pi]);
		uint8_t dst[400];

		for (size_t k = 0; k <= 70; k++) {
			for (size_t n = k + 1; n <= k + 300; n += 37) {
				const uint8_t *src = p + page - k;

				memset(dst, 0xcc, sizeof(dst));
				T_ASSERT_ERRNO(u_copy_from_user(dst, src, n), EFAULT);
				T_ASSERT_MSG(!memcmp(dst, src, k), "k=%zu n=%zu: head", k, n);
				for (size_t i = k; i < sizeof(dst); i++)
					T_ASSERT_MSG(dst[i] == 0xcc,
						     "k=%zu n=%zu: byte %zu written", k, n, i);
			}
		}
		/* Starting inside the hole stops at once. */
		memset(dst, 0xcc, sizeof(dst));
		T_ASSERT_ERRNO(u_copy_from_user(dst, p + page + 8, 16), EFAULT);
		T_ASSERT_EQ_INT(dst[0], 0xcc);
		release(p);
	}
}

/* Write @n bytes starting @k before a read-only / PROT_NONE / unmapped page. */
T_TEST(hole_to_user, "util/uaccess/to-user-stops-at-readonly")
{
	static const int prots[] = { PROT_READ, PROT_NONE, -1 };
	uint8_t src[400];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(0x80 | i);
	for (unsigned int pi = 0; pi < 3; pi++) {
		uint8_t *p = three_pages(prots[pi]);
		uint8_t *orig = malloc(3 * page);

		T_ASSERT_NOT_NULL(orig);
		for (size_t k = 0; k <= 70; k += 3) {
			for (size_t n = k + 1; n <= k + 300; n += 41) {
				uint8_t *dst = p + page - k;

				/* Re-fill the writable pages, remember everything readable. */
				for (size_t i = 0; i < page; i++) {
					p[i] = (uint8_t)(i ^ 0x3c);
					p[2 * page + i] = (uint8_t)(i ^ 0xc3);
				}
				memcpy(orig, p, page);
				T_ASSERT_ERRNO(u_copy_to_user(dst, src, n), EFAULT);
				T_ASSERT_MSG(!memcmp(dst, src, k), "k=%zu n=%zu: head", k, n);
				T_ASSERT_MSG(!memcmp(p, orig, page - k), "k=%zu n=%zu: before", k, n);
				for (size_t i = 0; i < page; i++)
					T_ASSERT_MSG(p[2 * page + i] == (uint8_t)(i ^ 0xc3),
						     "k=%zu n=%zu: written beyond the hole", k, n);
				if (prots[pi] == PROT_READ)
					for (size_t i = 0; i < page; i++)
						T_ASSERT_EQ_INT(p[page + i],
								(uint8_t)((page + i) * 7 + 1));

				T_ASSERT_ERRNO(u_clear_user(dst, n), EFAULT);
				for (size_t i = 0; i < k; i++)
					T_ASSERT_EQ_INT(dst[i], 0);
			}
		}
		free(orig);
		release(p);
	}
}

T_TEST(sigbus, "util/uaccess/sigbus-beyond-end-of-file")
{
	int fd = memfd_create("uaccess-test", MFD_CLOEXEC);
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t buf[64];

	T_ASSERT(fd >= 0);
	T_ASSERT_EQ_INT(ftruncate(fd, (off_t)pg), 0);
	uint8_t *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	T_ASSERT(p != MAP_FAILED);
	memset(p, 0x11, pg);
	memset(buf, 0, sizeof(buf));
	/* The second page lies beyond the file: SIGBUS, not SIGSEGV. */
	T_ASSERT_ERRNO(u_copy_from_user(buf, p + pg - 10, 40), EFAULT);
	for (size_t i = 0; i < sizeof(buf); i++)
		T_ASSERT_EQ_INT(buf[i], i < 10 ? 0x11 : 0);
	T_ASSERT_ERRNO(u_copy_to_user(p + pg - 4, buf, 8), EFAULT);
	munmap(p, 2 * pg);
	close(fd);
}

T_TEST(strings, "util/uaccess/strncpy-from-user")
{
	uint8_t *p = three_pages(-1);
	char dst[32];
	char *end = (char *)p + page;

	T_ASSERT_EQ_INT(u_strncpy_from_user(dst, "panthor", sizeof(dst)), 7);
	T_ASSERT_EQ_STR(dst, "panthor");
	T_ASSERT_EQ_INT(u_strncpy_from_user(dst, "", sizeof(dst)), 0);
	T_ASSERT_EQ_STR(dst, "");
	/* Length max-1 fits with its NUL; length max does not. */
	T_ASSERT_EQ_INT(u_strncpy_from_user(dst, "abcdefg", 8), 7);
	T_ASSERT_EQ_STR(dst, "abcdefg");
	memset(dst, 'x', sizeof(dst));
	T_ASSERT_ERRNO(u_strncpy_from_user(dst, "abcdefgh", 8), E2BIG);
	T_ASSERT_EQ_STR(dst, "abcdefg");	/* truncated, terminated */
	T_ASSERT_EQ_INT(dst[8], 'x');		/* never beyond max */
	T_ASSERT_ERRNO(u_strncpy_from_user(dst, "a", 0), E2BIG);
	T_ASSERT_EQ_INT(dst[0], 'a');

	/* A string whose NUL is the last byte before a hole is fine ... */
	memcpy(end - 4, "abc", 4);
	T_ASSERT_EQ_INT(u_strncpy_from_user(dst, end - 4, sizeof(dst)), 3);
	T_ASSERT_EQ_STR(dst, "abc");
	/* ... so is one cut short by max before the hole ... */
	memcpy(end - 4, "abcd", 4);
	T_ASSERT_ERRNO(u_strncpy_from_user(dst, end - 4, 4), E2BIG);
	T_ASSERT_EQ_STR(dst, "abc");
	/* ... but one that runs into it faults, with what was read kept. */
	T_ASSERT_ERRNO(u_strncpy_from_user(dst, end - 4, sizeof(dst)), EFAULT);
	T_ASSERT_EQ_STR(dst, "abcd");
	T_ASSERT_ERRNO(u_strncpy_from_user(dst, NULL, sizeof(dst)), EFAULT);
	T_ASSERT_EQ_STR(dst, "");
	release(p);
}

/*
 * The crash scenarios run in a fresh process (this binary re-executed with
 * UACCESS_SCENARIO=name), so "installed before the uaccess handler" really
 * is before it, and stderr can be silenced.
 */
struct scenario {
	const char *name;
	void (*fn)(void);
};
static const struct scenario scenarios[];

static int in_child(const char *name)
{
	fflush(stdout);
	pid_t pid = fork();
	int status;

	T_ASSERT(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, 2);
		setenv("UACCESS_SCENARIO", name, 1);
		t_exec_self("test-uaccess");
		_exit(127);
	}
	T_ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	return status;
}

static bool died_of_crash(int status, int sig)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
		return true;
	/*
	 * Under a sanitizer its handler reports and exits non-zero (ASan 1,
	 * TSan 66) or aborts; 40..60 and 126/127 are this file's own codes.
	 */
	if (!SANITIZED)
		return false;
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGABRT;
	int code = WEXITSTATUS(status);

	return code != 0 && (code < 40 || code > 60) && code != 126 && code != 127;
}

static void crash_plain(void)
{
	uint8_t b[8];

	if (u_copy_from_user(b, NULL, 8) != -EFAULT)
		_exit(56);
	*crash_ptr = 1;
	_exit(50);
}

static void crash_driver_side(void)
{
	/* Only the user side is in the exception table: a bad driver pointer crashes. */
	static const uint8_t src[8];

	u_copy_from_user((void *)(uintptr_t)16, src, 8);
	_exit(51);
}

static void crash_sent(void)
{
	u_uaccess_init();
	kill(getpid(), SIGSEGV);
	_exit(52);
}

static void crash_bus(void)
{
	int fd = memfd_create("crash", 0);
	uint8_t b[8];

	u_uaccess_init();
	if (fd < 0 || ftruncate(fd, 4096))
		_exit(53);
	volatile uint8_t *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);

	if (u_copy_from_user(b, (const void *)(p + 4096), 8) != -EFAULT)
		_exit(54);
	(void)p[4096];
	_exit(55);
}

static void chain_earlier(void);
static void chain_later(void);

static void asan_driver_overflow(void)
{
	static const uint8_t src[16];
	uint8_t *small = malloc(8);

	/* The loops are not instrumented; the driver side is checked by hand. */
	u_copy_from_user(small, src, 16);
	free(small);
	_exit(57);
}

static const struct scenario scenarios[] = {
	{ "crash-plain", crash_plain },
	{ "crash-driver-side", crash_driver_side },
	{ "crash-sent", crash_sent },
	{ "crash-bus", crash_bus },
	{ "chain-earlier", chain_earlier },
	{ "chain-later", chain_later },
	{ "asan-driver-overflow", asan_driver_overflow },
	{ NULL, NULL },
};

__attribute__((constructor)) static void run_scenario(void)
{
	const char *name = getenv("UACCESS_SCENARIO");

	if (!name)
		return;
	for (const struct scenario *s = scenarios; s->name; s++) {
		if (!strcmp(s->name, name)) {
			s->fn();
			_exit(0);
		}
	}
	_exit(126);
}

T_TEST(real_crash, "util/uaccess/real-crash-still-crashes")
{
	T_ASSERT_MSG(died_of_crash(in_child("crash-plain"), SIGSEGV), "plain");
	T_ASSERT_MSG(died_of_crash(in_child("crash-driver-side"), SIGSEGV), "driver side");
	T_ASSERT_MSG(died_of_crash(in_child("crash-bus"), SIGBUS), "SIGBUS");
	int st = in_child("crash-sent");

	T_ASSERT_MSG(died_of_crash(st, SIGSEGV), "kill(SIGSEGV): status 0x%x", st);
}

static void exit_42(int sig)
{
	_exit(42);
}

static void exit_43(int sig, siginfo_t *si, void *uc)
{
	_exit(si->si_addr == (void *)(uintptr_t)16 ? 43 : 44);
}

static void chain_earlier(void)
{
	uint8_t b[8];

	/* A handler installed before ours gets the real crash ... */
	signal(SIGSEGV, exit_42);
	u_uaccess_init();
	/* ... but not our faults. */
	if (u_copy_from_user(b, NULL, 8) != -EFAULT)
		_exit(45);
	*crash_ptr = 1;
	_exit(46);
}

static void chain_later(void)
{
	struct sigaction sa, old;
	uint8_t b[8];

	u_uaccess_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = exit_43;
	sa.sa_flags = SA_SIGINFO;
	/* What an interposed sigaction() does with the program's handler. */
	if (u_uaccess_sigaction(SIGSEGV, &sa, &old) != 1)
		_exit(47);
	if (u_uaccess_sigaction(SIGSEGV, NULL, &old) != 1 || old.sa_sigaction != exit_43)
		_exit(48);
	if (u_copy_to_user(NULL, b, 8) != -EFAULT)
		_exit(49);
	*crash_ptr = 1;
	_exit(46);
}

T_TEST(asan_driver_side, "util/uaccess/asan-checks-driver-side")
{
#if defined(__SANITIZE_ADDRESS__)
	int st = in_child("asan-driver-overflow");

	T_ASSERT_MSG(died_of_crash(st, SIGSEGV), "status 0x%x", st);
#else
	t_skip("not an ASan build");
#endif
}

T_TEST(chaining, "util/uaccess/chains-to-other-handlers")
{
	int st = in_child("chain-earlier");

	T_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 42, "earlier: status 0x%x", st);
	st = in_child("chain-later");
	T_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 43, "later: status 0x%x", st);
	/* Signals other than SEGV/BUS are not ours to virtualise. */
	T_ASSERT_EQ_INT(u_uaccess_sigaction(SIGINT, NULL, NULL), 0);
}

#define NR_THREADS 4
#define ITERS 20000

static uint8_t *mt_pages;
static int mt_errors;

static void *mt_worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uint8_t dst[128];

	for (unsigned int it = 0; it < ITERS; it++) {
		size_t k = (it * 7 + id) % 100;
		size_t n = 1 + (it * 13 + id * 5) % 127;
		const uint8_t *src = mt_pages + page - k;
		int r = u_copy_from_user(dst, src, n);

		if (n > k ? r != -EFAULT : r != 0)
			__atomic_fetch_add(&mt_errors, 1, __ATOMIC_RELAXED);
		else if (memcmp(dst, src, n < k ? n : k))
			__atomic_fetch_add(&mt_errors, 1, __ATOMIC_RELAXED);
		if (u_copy_to_user(mt_pages + 2 * page + id * 128, dst, n < k ? n : k))
			__atomic_fetch_add(&mt_errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

T_TEST(threads, "util/uaccess/threads-fault-at-once")
{
	pthread_t th[NR_THREADS];
	unsigned long before = u_uaccess_faults();

	mt_pages = three_pages(-1);
	mt_errors = 0;
	for (uintptr_t i = 0; i < NR_THREADS; i++)
		T_ASSERT_EQ_INT(pthread_create(&th[i], NULL, mt_worker, (void *)i), 0);
	for (unsigned int i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	T_ASSERT_EQ_INT(mt_errors, 0);
	T_ASSERT(u_uaccess_faults() - before >= NR_THREADS * ITERS / 2);
	release(mt_pages);
}
