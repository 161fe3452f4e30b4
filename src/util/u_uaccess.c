// SPDX-License-Identifier: MIT
/*
 * DOC: fault-recovering user copies (u_uaccess)
 *
 * The driver reads and writes "user" memory (ioctl argument structs, the
 * arrays and strings they point to) through u_copy_from_user() and friends,
 * which must turn a bad pointer into -EFAULT as the kernel does — never a
 * crash — and must cost no more than a memcpy on the good path, because the
 * shim's cheapest ioctl is budgeted at the price of one real ioctl syscall.
 *
 * The design is the kernel's exception table, moved to user space:
 *
 *   u_copy_from_user(dst, usrc, n)                 u_uaccess_<arch>.S
 *     └─ u_uaccess__copy_from(dst, usrc, n) ──►  100: ldr (user)   ─┐ extable:
 *          returns bytes NOT copied            101: str (driver)   │ (100 → byte loop)
 *                                              byte loop:           │ (1xx → done)
 *                                              1xx: ldrb (user)  ───┘
 *                                              done: return remaining
 *
 *   fault in a listed instruction ─► SIGSEGV/SIGBUS ─► u_uaccess__handler():
 *       PC found in the table   → ucontext PC := fixup, return (sigreturn
 *                                 resumes at the fixup with the registers
 *                                 of the fault; the loop returns "n left")
 *       PC not in the table     → chain to the handler installed before us
 *                                 (or the program's, see below); with no
 *                                 handler: restore SIG_DFL and return, so
 *                                 the access faults again and the process
 *                                 dies exactly as it would have (core dump,
 *                                 same si_addr). A SIGSEGV sent by kill()
 *                                 is re-raised instead.
 *
 * The copy loops are hand-written assembly (one .S per architecture, picked
 * by meson from host_machine.cpu_family()) because only there is the
 * faulting instruction's address known and the state at the fixup defined:
 * compiled C could be reordered or vectorised across the fault. Only the
 * user side of each copy is listed, so a bad driver-side pointer still
 * crashes. Each entry is a pair of 32-bit self-relative offsets, so the
 * table needs no dynamic relocation in a shared object. A fault in an 8- or
 * 32-byte step restarts that step byte by byte, which makes the reported
 * progress exact: a copy stops at the first bad byte, having written every
 * byte before it and none after.
 *
 * The good path is the loop itself: no syscall, no sigsetjmp, no TLS, one
 * predictable branch on "initialised". Rejected alternatives:
 *  - process_vm_readv()/process_vm_writev() on our own pid: EFAULT for
 *    free, but one syscall per copy (two for an ioctl), more than the
 *    budget of the whole ioctl.
 *  - sigsetjmp()/siglongjmp() around a memcpy: sigsetjmp(env, 1) saves the
 *    signal mask with a sigprocmask syscall on every copy (and without it a
 *    longjmp out of the handler leaves SIGSEGV blocked); the jump also
 *    loses the progress count needed for partial-copy semantics.
 *  - mincore()/msync() probing before the copy: a syscall per page, racy
 *    against munmap by another thread, and blind to PROT_NONE/read-only.
 *  - write() to a pipe as the probe: a syscall, and a copy through the kernel.
 *
 * The handler is installed once (u_uaccess_init(), a constructor in the
 * shim, lazily otherwise) with SA_SIGINFO | SA_ONSTACK | SA_RESTART. It is
 * deliberately NOT SA_NODEFER: the handler never needs a nested SIGSEGV, and
 * with the signal blocked a bug inside the handler is a plain kernel kill
 * rather than a recursion. SA_ONSTACK lets a program's sigaltstack take a
 * stack-overflow fault, which we chain.
 *
 * Programs install their own SIGSEGV handlers after start-up (IGT prints
 * crash backtraces from one); installed directly, theirs would replace ours
 * and turn every EFAULT into a crash. So an LD_PRELOAD user (the shim)
 * interposes sigaction()/signal() and passes SIGSEGV/SIGBUS requests to
 * u_uaccess_sigaction(), which stores them as the handler to chain to and
 * shows the program the action it set, while ours stays with the kernel.
 * The chained handler runs with its own sa_mask (computed from the mask at
 * the fault) and SA_RESETHAND is honoured.
 *
 * Sanitizers: the loops are not instrumented, so the driver side of each
 * copy is reported to ASan (__asan_storeN/__asan_loadN) and TSan
 * (__tsan_write_range/__tsan_read_range) by hand; user memory is not (the
 * kernel does not check it either). ASan and TSan install their own SEGV
 * handlers at start-up; we install after them and chain to them, so a real
 * crash still gets their report. Both let a program install a SEGV handler
 * by default (allow_user_segv_handler=1); TSan runs a synchronous signal's
 * handler at once with the real ucontext, so the PC rewrite works there too.
 * Nothing in the sanitizer options needs changing (tested in .ci/run).
 *
 * Limits: a thread that blocks SIGSEGV with sigprocmask() and then passes a
 * bad pointer dies (the kernel forces a blocked synchronous fault to the
 * default action); a fault taken while the handler runs on an exhausted
 * stack without sigaltstack kills the process, as any handler would.
 */
#include "u_uaccess.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "u_compiler.h"

/* The assembly side (u_uaccess_<arch>.S). */
size_t u_uaccess__copy_from(void *dst, const void *usrc, size_t n);
size_t u_uaccess__copy_to(void *udst, const void *src, size_t n);
size_t u_uaccess__clear(void *udst, size_t n);
long u_uaccess__strncpy(char *dst, const char *usrc, size_t max);

struct u_uaccess__ex_entry {
	int32_t insn;	/* faulting instruction, relative to this field */
	int32_t fixup;	/* where to resume, relative to this field */
};
extern const struct u_uaccess__ex_entry u_uaccess__extable_start[];
extern const struct u_uaccess__ex_entry u_uaccess__extable_end[];

/* GCC declares the sanitizer entry points itself when they are enabled. */
#if defined(__SANITIZE_ADDRESS__)
#define U_SAN_DRIVER_READ(p, n)  __asan_loadN((void *)(p), (long)(n))
#define U_SAN_DRIVER_WRITE(p, n) __asan_storeN((void *)(p), (long)(n))
#elif defined(__SANITIZE_THREAD__)
#define U_SAN_DRIVER_READ(p, n)  __tsan_read_range((void *)(p), (long)(n))
#define U_SAN_DRIVER_WRITE(p, n) __tsan_write_range((void *)(p), (long)(n))
#else
#define U_SAN_DRIVER_READ(p, n)  ((void)(p), (void)(n))
#define U_SAN_DRIVER_WRITE(p, n) ((void)(p), (void)(n))
#endif

#if defined(__x86_64__)
#define U_UC_PC(uc) ((uc)->uc_mcontext.gregs[REG_RIP])
#elif defined(__aarch64__)
#define U_UC_PC(uc) ((uc)->uc_mcontext.pc)
#else
#error "u_uaccess: no copy loops for this architecture"
#endif

/* Set once by u_uaccess_init(); read (acquire) on every copy. */
static int u_uaccess__ready;
static pthread_once_t u_uaccess__once = PTHREAD_ONCE_INIT;
static int u_uaccess__init_err;
static u_sigaction_fn u_uaccess__real_sigaction;
static unsigned long u_uaccess__nr_faults;

/*
 * The action to chain to, per signal (0: SIGSEGV, 1: SIGBUS). Double-
 * buffered so the handler reads a whole struct while a writer (sigaction()
 * from another thread) fills the other one; writers serialise on the mutex.
 */
static struct sigaction u_uaccess__chain[2][2];
static int u_uaccess__chain_cur[2];
static pthread_mutex_t u_uaccess__chain_lock = PTHREAD_MUTEX_INITIALIZER;

static int sig_slot(int sig)
{
	return sig == SIGSEGV ? 0 : sig == SIGBUS ? 1 : -1;
}

static uintptr_t find_fixup(uintptr_t pc)
{
	for (const struct u_uaccess__ex_entry *e = u_uaccess__extable_start;
	     e < u_uaccess__extable_end; e++) {
		if ((uintptr_t)&e->insn + (intptr_t)e->insn == pc)
			return (uintptr_t)&e->fixup + (intptr_t)e->fixup;
	}
	return 0;
}

static void chain_store(int slot, const struct sigaction *act)
{
	int w = !__atomic_load_n(&u_uaccess__chain_cur[slot], __ATOMIC_RELAXED);

	u_uaccess__chain[slot][w] = *act;
	__atomic_store_n(&u_uaccess__chain_cur[slot], w, __ATOMIC_RELEASE);
}

static void chain_load(int slot, struct sigaction *out)
{
	int r = __atomic_load_n(&u_uaccess__chain_cur[slot], __ATOMIC_ACQUIRE);

	*out = u_uaccess__chain[slot][r];
}

/* The fault is not ours: do what would have happened without us. */
static void chain(int sig, siginfo_t *si, ucontext_t *uc)
{
	int slot = sig_slot(sig);
	struct sigaction prev;
	bool sent = si->si_code <= 0;	/* kill(), tgkill(), sigqueue() */

	chain_load(slot, &prev);
	if (!(prev.sa_flags & SA_SIGINFO) &&
	    (prev.sa_handler == SIG_DFL || prev.sa_handler == SIG_IGN)) {
		struct sigaction dfl;

		/* A sent, ignored signal is just dropped. */
		if (prev.sa_handler == SIG_IGN && sent)
			return;
		/*
		 * Default action: remove ourselves and let the instruction fault
		 * again (the kernel also forces SIG_DFL for an ignored
		 * synchronous fault). A sent signal does not recur: re-send it;
		 * it stays blocked until the handler returns.
		 */
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigemptyset(&dfl.sa_mask);
		u_uaccess__real_sigaction(sig, &dfl, NULL);
		if (sent)
			raise(sig);
		return;
	}

	/* The chained handler gets its own mask on top of the one at the fault. */
	sigset_t mask = uc->uc_sigmask;

	for (int s = 1; s < NSIG; s++)
		if (sigismember(&prev.sa_mask, s) == 1)
			sigaddset(&mask, s);
	if (prev.sa_flags & SA_NODEFER)
		sigdelset(&mask, sig);
	else
		sigaddset(&mask, sig);
	/* Only a trylock in a handler: the interrupted thread may hold the lock. */
	if ((prev.sa_flags & SA_RESETHAND) && !pthread_mutex_trylock(&u_uaccess__chain_lock)) {
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		chain_store(slot, &dfl);
		pthread_mutex_unlock(&u_uaccess__chain_lock);
	}
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (prev.sa_flags & SA_SIGINFO)
		prev.sa_sigaction(sig, si, uc);
	else
		prev.sa_handler(sig);
}

static void u_uaccess__handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uintptr_t fixup = find_fixup((uintptr_t)U_UC_PC(uc));

	if (likely(fixup)) {
		U_UC_PC(uc) = fixup;
		__atomic_fetch_add(&u_uaccess__nr_faults, 1, __ATOMIC_RELAXED);
		return;
	}
	int saved_errno = errno;

	chain(sig, si, uc);
	errno = saved_errno;
}

/* A child must not inherit the chain lock held by a thread it does not have. */
static void atfork_prepare(void)
{
	pthread_mutex_lock(&u_uaccess__chain_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&u_uaccess__chain_lock);
}

static void atfork_child(void)
{
	pthread_mutex_init(&u_uaccess__chain_lock, NULL);
}

static void u_uaccess__install(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS };
	struct sigaction sa;

	if (!u_uaccess__real_sigaction)
		u_uaccess__real_sigaction = sigaction;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = u_uaccess__handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);

	pthread_mutex_lock(&u_uaccess__chain_lock);
	for (unsigned int i = 0; i < ARRAY_SIZE(sigs); i++) {
		struct sigaction old;

		if (u_uaccess__real_sigaction(sigs[i], &sa, &old)) {
			u_uaccess__init_err = -errno;
			break;
		}
		chain_store(sig_slot(sigs[i]), &old);
	}
	pthread_mutex_unlock(&u_uaccess__chain_lock);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	__atomic_store_n(&u_uaccess__ready, 1, __ATOMIC_RELEASE);
}

int u_uaccess_init(void)
{
	pthread_once(&u_uaccess__once, u_uaccess__install);
	return u_uaccess__init_err;
}

void u_uaccess_set_real_sigaction(u_sigaction_fn fn)
{
	u_uaccess__real_sigaction = fn;
}

int u_uaccess_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	int slot = sig_slot(sig);

	if (slot < 0 || !__atomic_load_n(&u_uaccess__ready, __ATOMIC_ACQUIRE) ||
	    u_uaccess__init_err)
		return 0;
	pthread_mutex_lock(&u_uaccess__chain_lock);
	if (old)
		chain_load(slot, old);
	if (act)
		chain_store(slot, act);
	pthread_mutex_unlock(&u_uaccess__chain_lock);
	return 1;
}

unsigned long u_uaccess_faults(void)
{
	return __atomic_load_n(&u_uaccess__nr_faults, __ATOMIC_RELAXED);
}

static inline void u_uaccess__ensure(void)
{
	if (unlikely(!__atomic_load_n(&u_uaccess__ready, __ATOMIC_ACQUIRE)))
		u_uaccess_init();
}

static inline bool range_wraps(const void *p, size_t n)
{
	return (uintptr_t)p + n < (uintptr_t)p;
}

int u_copy_from_user(void *dst, const void *usrc, size_t n)
{
	u_uaccess__ensure();
	U_SAN_DRIVER_WRITE(dst, n);
	if (unlikely(range_wraps(usrc, n)))
		return -EFAULT;
	return likely(u_uaccess__copy_from(dst, usrc, n) == 0) ? 0 : -EFAULT;
}

int u_copy_to_user(void *udst, const void *src, size_t n)
{
	u_uaccess__ensure();
	U_SAN_DRIVER_READ(src, n);
	if (unlikely(range_wraps(udst, n)))
		return -EFAULT;
	return likely(u_uaccess__copy_to(udst, src, n) == 0) ? 0 : -EFAULT;
}

int u_clear_user(void *udst, size_t n)
{
	u_uaccess__ensure();
	if (unlikely(range_wraps(udst, n)))
		return -EFAULT;
	return u_uaccess__clear(udst, n) == 0 ? 0 : -EFAULT;
}

long u_strncpy_from_user(char *dst, const char *usrc, size_t max)
{
	long r;

	u_uaccess__ensure();
	if (max == 0)
		return -E2BIG;
	U_SAN_DRIVER_WRITE(dst, max);
	r = u_uaccess__strncpy(dst, usrc, max);
	if (likely(r >= 0 && (size_t)r < max))
		return r;
	if (r < 0) {
		size_t done = (size_t)(-(r + 1));

		dst[done < max ? done : max - 1] = '\0';
		return -EFAULT;
	}
	dst[max - 1] = '\0';
	return -E2BIG;
}
