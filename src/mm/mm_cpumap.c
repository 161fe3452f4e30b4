// SPDX-License-Identifier: MIT
/*
 * DOC: userfaultfd-backed CPU mappings
 *
 * A CPU mapping (struct mm_cpumap) is a range of the process's address space
 * whose pages show an owner's arena frames. The kernel builds the same thing
 * for a GEM mmap with a VM_PFNMAP VMA and a .fault handler; in user space
 * the fault is caught with userfaultfd and resolved by the one fault thread
 * of the process, which maps the frames from the arena memfd.
 *
 * Layout of one mapping while in use (one VMA per box):
 *
 *   addr                                                         addr + size
 *   |  reservation  | arena run  |  reservation  | arena run | reservation |
 *   |  (registered) | pages 3..6 |  (registered) | page 9    | (registered)|
 *                     MAP_SHARED of the arena memfd at pa - MM_PA_BASE
 *
 * - The reservation is a MAP_SHARED | MAP_ANONYMOUS mapping registered with
 *   userfaultfd for MISSING and MINOR faults. Shared anonymous memory is
 *   shmem, like the arena runs, so one UFFDIO_REGISTER can cover any mix of
 *   reservation and runs (MINOR mode is refused on private anonymous VMAs);
 *   and as nothing is ever resolved into it, it never holds a page.
 * - A touch of an unmapped page blocks the touching thread in the kernel and
 *   queues a message. The fault thread finds the mapping (an interval tree
 *   of live mappings), asks the owner for the run of contiguous frames
 *   containing the page (struct mm_cpumap_ops, two phases as
 *   panthor_gem_any_fault), maps the run with mmap(MAP_FIXED | MAP_SHARED)
 *   of the arena over the reservation (one mmap per run, not per page), and
 *   wakes the range with UFFDIO_WAKE. The woken thread retries its access
 *   and takes an ordinary shmem fault on the new VMA. The new VMA replaces
 *   the registered one, so the run is no longer watched by userfaultfd.
 *   UFFDIO_COPY is not an option: it copies into the reservation, so CPU
 *   and GPU would see different memory.
 *
 * Eviction (the owner's unmap_mapping_range) has to turn present pages back
 * into watched holes atomically: a reader must see either the old frame or
 * a fault, never a zero page, because the owner frees the frames right
 * after. DESIGN.md asks for a fresh registered reservation prepared
 * elsewhere and moved over the range with mremap(MREMAP_FIXED). That does
 * not work, measured on Linux 6.18 (mremap_userfaultfd_prep() in
 * mm/userfaultfd.c):
 *   - without UFFD_FEATURE_EVENT_REMAP, mremap() drops the registration of
 *     the moved VMA: the next touch reads a zero page;
 *   - with it, the registration survives, but mremap() does not return
 *     until the fault thread has read the REMAP event. The evicting thread
 *     holds the owner's lock (the BO resv), which the fault thread may be
 *     waiting for in a blocking fault, and reclaim may even run on the
 *     fault thread itself (a blocking fault allocates): a deadlock.
 * So zap does this instead, under the mapping's lock:
 *   1. UFFDIO_REGISTER the range for MISSING | MINOR faults. The arena runs
 *      become watched; their page-table entries are still there, so
 *      readers keep reading the old frames.
 *   2. madvise(MADV_DONTNEED) the range: the entries go. The arena pages
 *      are still in the memfd's page cache, so the next touch is a MINOR
 *      fault, which userfaultfd reports instead of mapping the page (and
 *      fault-around is disabled on such VMAs). The stale arena VMAs stay
 *      until a fault maps a new run over them.
 * No window shows a zero page, and the old frames are unreachable when the
 * call returns. Rejected as well: MADV_DONTNEED alone (the page cache would
 * silently map the old, freed frame again) and punching holes in the arena
 * (the frame may already belong to someone else).
 *
 * The fault/zap race. The owner's contract: frames returned by ->fault stay
 * allocated until the owner zaps those pages; it frees them after the zap.
 * The fault thread asks the owner without holding the mapping's lock (the
 * owner takes its own locks in ->fault, and the owner calls zap with those
 * locks held), so a zap, and the free after it, can happen between
 * ->fault returning a run and the mmap of that run. A per-mapping
 * generation closes that window:
 *
 *   fault thread                             owner (evicting)
 *   gen0 = load(map->gen)
 *   run = ->fault(page)    [owner lock taken and dropped inside]
 *                                            lock(owner)
 *                                            zap: lock(map->lock)
 *                                                 map->gen++
 *                                                 register + DONTNEED
 *                                                 unlock(map->lock)
 *                                            free frames; unlock(owner)
 *   lock(map->lock)
 *   gen0 != map->gen: drop run, ask again    <- the run may name freed frames
 *   (else mmap the run; the zap comes after and removes it)
 *   unlock(map->lock)
 *
 * The check and the mmap happen under map->lock, which zap holds across the
 * increment and the removal, so every zap is either entirely before the
 * check (then the snapshot taken before ->fault differs, or ->fault ran
 * after the zap and returned frames valid after it) or entirely after the
 * mmap (then it removes the run). Frames returned by ->fault were valid
 * when returned; only a zap can end that, and a zap after the snapshot
 * always changes the generation. A page's "mapped" bit is likewise only
 * changed under map->lock.
 *
 * Errors. A blocking ->fault that fails is retried once (panthor retries
 * the fault after a failed blocking setup and gives SIGBUS the second time).
 * A fault that still fails sends SIGBUS to the faulting thread (its id comes
 * with the message, UFFD_FEATURE_THREAD_ID) with rt_tgsigqueueinfo(), then
 * wakes it. The kernel refuses a kernel si_code from another thread, so the
 * siginfo says SI_QUEUE, with the faulting address in both si_addr (where
 * SIGBUS handlers look) and si_value.sival_ptr. Without a handler the
 * process dies of SIGBUS, as it would on a BO whose pages cannot be
 * allocated; with one that returns, the access is retried and faults again,
 * as after a kernel SIGBUS. Mapping nothing and resolving with a zero page
 * was rejected: it would hide the failure and hand out wrong data.
 *
 * Without userfaultfd (refused by the kernel, or PANTOMIME_NO_UFFD=1): the
 * library says so once, mm_cpumap_create() maps every page up front by
 * running the handler (may_block true) for each unmapped page, and
 * mm_cpumap_zap_range() returns -EOPNOTSUPP: the owner must not evict
 * mmapped objects. mm_cpumap_handle_fault() runs the same handler directly
 * in both modes, so its logic is tested either way.
 *
 * Locks, in order (the lockdep classes are named after them):
 *   cpumap_service  (svc.lock)      start/stop of the fault thread, users
 *   cpumap_registry (registry_lock) the interval tree of live mappings
 *   cpumap_fault    (map->fault_lock) one handler run of a mapping at a time;
 *                   held across ->fault, so the owner's locks come after it;
 *                   destroy takes it to wait for a run in progress
 *   [the owner's locks]
 *   cpumap_map      (map->lock)      generation, mapped bits, mmap of a run,
 *                   zap; taken by zap under the owner's locks. A leaf.
 * The fault thread takes registry_lock then fault_lock (nested, so a
 * mapping found in the tree cannot be freed before its fault lock is held);
 * destroy takes them one after the other.
 *
 * Limits. One fault thread serves the process: a ->fault that sleeps on a
 * contended owner lock stalls every other fault meanwhile (the kernel runs
 * each fault in its own thread). Hence the kernel's rule is a hard rule
 * here: never touch a mapped BO while holding a lock ->fault takes. Each run
 * is a VMA, so a heavily fragmented object can hit vm.max_map_count (the
 * fault then fails with SIGBUS, logged). Mappings do not survive fork():
 * the reservation and every run are MADV_DONTFORK, so the child has nothing
 * mapped there (a touch is SIGSEGV) and can never reach frames the parent
 * later zaps and reuses; the only valid call on an inherited mapping is
 * mm_cpumap_destroy() (the others return -ENODEV), and the child can create
 * mappings of its own (a fresh fault thread and userfaultfd).
 */
#include "mm_cpumap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/u_alloc.h"
#include "util/u_compiler.h"
#include "util/u_itree.h"
#include "util/u_lock.h"
#include "util/u_log.h"
#include "util/u_thread.h"

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

/* A handler run gives the fault back to its thread after this many rounds. */
#define CPUMAP_MAX_ROUNDS 16
/* Failed blocking ->fault calls before the fault fails (panthor: retry once). */
#define CPUMAP_BLOCKING_TRIES 2
/* Messages read at once by the fault thread. */
#define CPUMAP_MSG_BATCH 16

#define UFFD_FEATURES (UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_MINOR_SHMEM)
#define UFFD_MODES (UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR)

/**
 * struct mm_cpumap - one CPU mapping.
 * @addr: first address (set once at creation, like the five below).
 * @size: bytes.
 * @npages: pages.
 * @prot: PROT_* of every run mapped.
 * @eager: populated at creation, no userfaultfd: cannot be zapped.
 * @fork_gen: svc.fork_gen at creation: a mapping inherited through fork()
 *            has an older one, and its locks, fault thread and userfaultfd
 *            stayed in the parent (it can only be destroyed).
 * @ops: the owner's callbacks.
 * @cookie: their argument.
 * @node: in the registry (registry_lock).
 * @fault_lock: serialises handler runs on this mapping; held across
 *              ->fault. Taken by the fault thread (under registry_lock),
 *              mm_cpumap_handle_fault(), eager population, and destroy (to
 *              wait for a run in progress).
 * @lock: protects @gen, @mapped and @pages_mapped, and is held across the
 *        mmap of a run and across a zap, so the two never interleave.
 * @gen: zap generation: incremented by every zap (under @lock; read
 *       without it, as an acquire load, for the snapshot).
 * @mapped: one bit per page, set while the page's run is mapped (written
 *          under @lock with atomic stores, read racily as a hint).
 * @released: one bit per page the owner gave back (mm_cpumap_release_range():
 *            the user unmapped it and may map something else there).
 *            Allocated with the mapping, so a partial munmap cannot fail
 *            for memory. Written under @lock; read by destroy and
 *            validate, which run alone.
 * @pages_mapped: bits set in @mapped (under @lock; read racily).
 * @error_logged: a failed fault has been logged for this mapping (fault_lock).
 * @st: counters, relaxed atomics.
 */
struct mm_cpumap {
	uint8_t *addr;
	uint64_t size;
	uint64_t npages;
	int prot;
	bool eager;
	unsigned int fork_gen;
	const struct mm_cpumap_ops *ops;
	void *cookie;

	struct u_itree_node node;

	struct u_mutex fault_lock;
	struct u_mutex lock;
	uint64_t gen;
	uint64_t *mapped;
	uint64_t *released;
	uint64_t pages_mapped;
	bool error_logged;

	struct mm_cpumap_stats st;
};

static U_LOCK_CLASS(cpumap_service_class, "cpumap_service");
static U_LOCK_CLASS(cpumap_registry_class, "cpumap_registry");
static U_LOCK_CLASS(cpumap_fault_class, "cpumap_fault");
static U_LOCK_CLASS(cpumap_map_class, "cpumap_map");

/*
 * The service: the userfaultfd and its thread, alive while a mapping is.
 * Protected by svc.lock, except @uffd, @uffd_mode and @stop_fd, which are
 * written only while no mapping exists and read by users of a live mapping.
 */
static struct {
	struct u_mutex lock;
	unsigned int users;	/* live mappings (atomic: validate reads it without the lock) */
	bool running;		/* @uffd_mode decided, thread started if needed */
	bool uffd_mode;		/* new mappings use userfaultfd */
	bool fallback_logged;	/* the fallback message was printed */
	int uffd;
	int stop_fd;		/* eventfd: tells the fault thread to exit */
	pthread_t thread;
	unsigned int fork_gen;	/* fork() children this process is (written at fork) */
} svc = { .uffd = -1, .stop_fd = -1 };

static struct u_mutex registry_lock;
static struct u_itree registry = U_ITREE_INIT;	/* live mappings, by range (registry_lock) */
static struct mm_cpumap_stats global_st;	/* relaxed atomics */
static pthread_once_t svc_once = PTHREAD_ONCE_INIT;

/*
 * In a fork() child: the fault thread did not come along, the userfaultfd
 * belongs to the parent's address space (its registrations were dropped
 * from the child's copies, as without UFFD_FEATURE_EVENT_FORK), and a lock
 * may have been held by a thread that no longer exists. Start from scratch,
 * so the child can create mappings of its own; inherited ones are orphans.
 */
static void svc_atfork_child(void)
{
	if (svc.uffd >= 0)
		close(svc.uffd);
	if (svc.stop_fd >= 0)
		close(svc.stop_fd);
	svc.uffd = svc.stop_fd = -1;
	svc.users = 0;
	svc.running = false;
	svc.fork_gen++;
	u_mutex_init(&svc.lock, &cpumap_service_class);
	u_mutex_init(&registry_lock, &cpumap_registry_class);
	u_itree_init(&registry);
}

static void svc_init_once(void)
{
	u_mutex_init(&svc.lock, &cpumap_service_class);
	u_mutex_init(&registry_lock, &cpumap_registry_class);
	if (pthread_atfork(NULL, NULL, svc_atfork_child))
		u_panic("cpumap: pthread_atfork failed");
}

static bool orphaned(const struct mm_cpumap *map)
{
	return map->fork_gen != svc.fork_gen;
}

#define STAT_ADD(map, field, n) do {                                           \
	__atomic_fetch_add(&(map)->st.field, (n), __ATOMIC_RELAXED);           \
	__atomic_fetch_add(&global_st.field, (n), __ATOMIC_RELAXED);           \
} while (0)

/* ---- userfaultfd -------------------------------------------------------- */

/* A new userfaultfd: the syscall, else /dev/userfaultfd (Linux 6.1; its file mode decides). */
static int uffd_open_fd(int *sys_err, int *dev_err)
{
	int fd, devfd;

	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	*sys_err = fd < 0 ? errno : 0;
	*dev_err = 0;
	if (fd >= 0)
		return fd;
	devfd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (devfd >= 0) {
		fd = ioctl(devfd, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
		*dev_err = fd < 0 ? errno : 0;
		close(devfd);
		if (fd >= 0)
			return fd;
	} else {
		*dev_err = errno;
	}
#ifdef UFFD_USER_MODE_ONLY
	/*
	 * Unprivileged processes with vm.unprivileged_userfaultfd=0 (Debian's
	 * default) may still handle faults of user-mode accesses (Linux 5.11).
	 * The price: a system call that touches a not-yet-faulted page of a
	 * mapping (read(2) into a BO, say) gets EFAULT instead of waiting.
	 */
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd >= 0) {
		u_info("mm", "userfaultfd: user-mode faults only (vm.unprivileged_userfaultfd=0); "
		       "system calls touching unfaulted pages of CPU mappings get EFAULT");
		return fd;
	}
#endif
	return -1;
}

/* Open and configure a userfaultfd; on failure say why in @why. */
static int uffd_open(char *why, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURES };
	const char *env = getenv("PANTOMIME_NO_UFFD");
	int fd, sys_err, dev_err;

	if (env && *env && strcmp(env, "0")) {
		snprintf(why, len, "PANTOMIME_NO_UFFD=%s", env);
		return -EPERM;
	}
	fd = uffd_open_fd(&sys_err, &dev_err);
	if (fd < 0) {
		snprintf(why, len, "userfaultfd(): %s; /dev/userfaultfd: %s",
			 strerror(sys_err), strerror(dev_err));
		return -EPERM;
	}
	/*
	 * EXACT_ADDRESS (Linux 5.18) only makes si_addr of a SIGBUS exact
	 * instead of page aligned. UFFDIO_API may be called once per fd, so
	 * asking for it and failing costs a fresh fd.
	 */
	api.features |= UFFD_FEATURE_EXACT_ADDRESS;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		fd = uffd_open_fd(&sys_err, &dev_err);
		api = (struct uffdio_api){ .api = UFFD_API, .features = UFFD_FEATURES };
		if (fd < 0 || ioctl(fd, UFFDIO_API, &api)) {
			snprintf(why, len, "UFFDIO_API with THREAD_ID and MINOR_SHMEM: %s",
				 strerror(fd < 0 ? sys_err : errno));
			if (fd >= 0)
				close(fd);
			return -EPERM;
		}
	}
	if ((api.ioctls & (1ull << _UFFDIO_REGISTER)) == 0) {
		snprintf(why, len, "UFFDIO_REGISTER not offered");
		close(fd);
		return -EPERM;
	}
	return fd;
}

static void uffd_wake(uint64_t start, uint64_t len)
{
	struct uffdio_range r = { .start = start, .len = len };

	if (ioctl(svc.uffd, UFFDIO_WAKE, &r))
		u_warn("mm", "cpumap: UFFDIO_WAKE [0x%llx +0x%llx]: %s",
		       (unsigned long long)start, (unsigned long long)len, strerror(errno));
}

static int uffd_register(void *addr, uint64_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (uint64_t)(uintptr_t)addr, .len = len },
		.mode = UFFD_MODES,
	};

	if (ioctl(svc.uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

/* ---- mapped bits -------------------------------------------------------- */

static bool released(const struct mm_cpumap *map, uint64_t idx)
{
	return map->released[idx / 64] & (1ull << (idx % 64));
}

static bool page_mapped(const struct mm_cpumap *map, uint64_t idx)
{
	return (__atomic_load_n(&map->mapped[idx / 64], __ATOMIC_RELAXED) >> (idx % 64)) & 1;
}

/* Set or clear the bits of [first, first + n); return how many changed. Under map->lock. */
static uint64_t bits_update(struct mm_cpumap *map, uint64_t first, uint64_t n, bool set)
{
	uint64_t changed = 0;

	u_mutex_assert_held(&map->lock);
	while (n) {
		unsigned int shift = (unsigned int)(first % 64);
		uint64_t take = u_min(n, (uint64_t)(64 - shift));
		uint64_t mask = (take == 64 ? ~0ull : ((1ull << take) - 1)) << shift;
		uint64_t *w = &map->mapped[first / 64];
		uint64_t old = *w;
		uint64_t new = set ? old | mask : old & ~mask;

		changed += (uint64_t)__builtin_popcountll(old ^ new);
		__atomic_store_n(w, new, __ATOMIC_RELAXED);
		first += take;
		n -= take;
	}
	return changed;
}

static uint64_t bits_count(const struct mm_cpumap *map, uint64_t first, uint64_t n)
{
	uint64_t count = 0;

	for (uint64_t i = first; i < first + n; i++)
		count += page_mapped(map, i);
	return count;
}

/* ---- the handler -------------------------------------------------------- */

static int check_run(struct mm_cpumap *map, uint64_t idx, const struct mm_cpumap_run *run)
{
	/* Bounded by the mapping's size first, so the last frame's address cannot wrap. */
	if (run->npages && run->first <= idx && idx - run->first < run->npages &&
	    run->npages <= map->npages - run->first && (run->pa & (MM_PAGE_SIZE - 1)) == 0 &&
	    mm_pa_valid(run->pa) && mm_pa_valid(run->pa + (run->npages - 1) * MM_PAGE_SIZE))
		return 0;
	u_err("mm", "cpumap %p: ->fault(page %llu) returned a bad run: pages %llu+%llu at "
	      "PA 0x%llx (mapping of %llu pages)", (void *)map->addr, (unsigned long long)idx,
	      (unsigned long long)run->first, (unsigned long long)run->npages,
	      (unsigned long long)run->pa, (unsigned long long)map->npages);
	return -EINVAL;
}

/*
 * Map @run unless the mapping was zapped since @gen was read (then -ESTALE:
 * the frames may be gone). The only place a run is mapped.
 */
static int install_run(struct mm_cpumap *map, const struct mm_cpumap_run *run, uint64_t gen)
{
	uint64_t off = run->pa - MM_PA_BASE;
	void *want = map->addr + run->first * MM_PAGE_SIZE;
	uint64_t newly;
	void *p;
	int err;

	u_mutex_lock(&map->lock);
	if (map->gen != gen) {
		u_mutex_unlock(&map->lock);
		return -ESTALE;
	}
	/*
	 * The raw system call, not libc's mmap(): ThreadSanitizer intercepts
	 * mmap() and counts it as a write of the whole range by this thread,
	 * and the faulting thread's access is ordered after it only by the
	 * kernel's wake-up, which TSan cannot see: every first touch would be
	 * reported as a race. The mapping changes no byte the program can see.
	 */
	p = (void *)syscall(SYS_mmap, want, run->npages * MM_PAGE_SIZE, map->prot,
			    MAP_SHARED | MAP_FIXED, mm_arena_fd(), (off_t)off);
	if (p == MAP_FAILED) {
		err = errno;
		u_mutex_unlock(&map->lock);
		u_err("mm", "cpumap %p: mapping pages %llu+%llu failed: %s%s", (void *)map->addr,
		      (unsigned long long)run->first, (unsigned long long)run->npages,
		      strerror(err), err == ENOMEM ? " (vm.max_map_count?)" : "");
		return -ENOMEM;
	}
	U_ASSERT(p == want);
	/* MAP_FIXED gave the run a fresh VMA: keep it out of fork() children too (DOC). */
	madvise(p, run->npages * MM_PAGE_SIZE, MADV_DONTFORK);
	newly = bits_update(map, run->first, run->npages, true);
	__atomic_store_n(&map->pages_mapped, map->pages_mapped + newly, __ATOMIC_RELAXED);
	u_mutex_unlock(&map->lock);
	STAT_ADD(map, runs_mapped, 1);
	STAT_ADD(map, pages_mapped, newly);
	return 0;
}

/*
 * The two-phase handler for page @idx, shared by the fault thread,
 * mm_cpumap_handle_fault() and eager population. On success *@done is the
 * run now mapped (just the page when it was mapped already).
 *
 * Return: 0; -EAGAIN when !@may_block and the owner would sleep, or after
 * CPUMAP_MAX_ROUNDS rounds without success (the caller tries again later);
 * another negative errno when the fault failed.
 */
static int cpumap_fault_locked(struct mm_cpumap *map, uint64_t idx, bool may_block,
			       struct mm_cpumap_run *done)
{
	unsigned int blocking_failures = 0;
	int ret;

	u_mutex_assert_held(&map->fault_lock);
	STAT_ADD(map, faults, 1);
	for (unsigned int round = 0;; round++) {
		struct mm_cpumap_run run = { 0 };
		bool blocked = false;
		uint64_t gen;

		if (round == CPUMAP_MAX_ROUNDS) {
			STAT_ADD(map, yields, 1);
			return -EAGAIN;
		}
		if (round)
			STAT_ADD(map, retries, 1);
		if (page_mapped(map, idx)) {
			STAT_ADD(map, already_mapped, 1);
			*done = (struct mm_cpumap_run){ .first = idx, .npages = 1 };
			return 0;
		}
		/* The snapshot: any zap after this point changes it (see the DOC). */
		gen = __atomic_load_n(&map->gen, __ATOMIC_ACQUIRE);
		ret = map->ops->fault(map->cookie, idx, false, &run);
		if (ret == -EAGAIN) {
			if (!may_block)
				return -EAGAIN;
			STAT_ADD(map, blocking_calls, 1);
			run = (struct mm_cpumap_run){ 0 };
			ret = map->ops->fault(map->cookie, idx, true, &run);
			if (ret == -EAGAIN)
				continue;
			if (ret) {
				if (++blocking_failures < CPUMAP_BLOCKING_TRIES)
					continue;
				goto fail;
			}
			if (!run.npages)
				continue;	/* set up: retry the non-blocking path */
			blocked = true;
		} else if (ret) {
			goto fail;
		}
		ret = check_run(map, idx, &run);
		if (ret)
			goto fail;
		ret = install_run(map, &run, gen);
		if (ret == -ESTALE) {
			STAT_ADD(map, stale, 1);
			continue;
		}
		if (ret)
			goto fail;
		if (round == 0 && !blocked)
			STAT_ADD(map, nonblocking_hits, 1);
		*done = run;
		return 0;
	}
fail:
	STAT_ADD(map, errors, 1);
	return ret;
}

/* ---- the fault thread --------------------------------------------------- */

/* SIGBUS for thread @tid of this process, about @addr (see the DOC on errors). */
static void send_sigbus(pid_t tid, void *addr)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGBUS;
	si.si_code = SI_QUEUE;
	si.si_addr = addr;
	si.si_value.sival_ptr = addr;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, SIGBUS, &si) && errno != ESRCH)
		u_err("mm", "cpumap: cannot send SIGBUS to thread %d: %s", (int)tid,
		      strerror(errno));
}

static void handle_pagefault(const struct uffd_msg *msg)
{
	/* Exact with UFFD_FEATURE_EXACT_ADDRESS (for si_addr), else page aligned. */
	uint64_t addr = msg->arg.pagefault.address & ~(MM_PAGE_SIZE - 1);
	pid_t tid = (pid_t)msg->arg.pagefault.feat.ptid;
	struct mm_cpumap_run done;
	struct u_itree_node *node;
	struct mm_cpumap *map;
	uint64_t idx;
	int ret;

	u_mutex_lock(&registry_lock);
	node = u_itree_iter_first(&registry, addr, addr);
	if (!node) {
		/* Destroyed since (it woke its range), or not ours: let the thread retry. */
		u_mutex_unlock(&registry_lock);
		uffd_wake(addr, MM_PAGE_SIZE);
		return;
	}
	map = container_of(node, struct mm_cpumap, node);
	u_mutex_lock(&map->fault_lock);
	u_mutex_unlock(&registry_lock);

	idx = (addr - (uint64_t)(uintptr_t)map->addr) / MM_PAGE_SIZE;
	ret = cpumap_fault_locked(map, idx, true, &done);
	if (ret == 0) {
		uffd_wake((uint64_t)(uintptr_t)map->addr + done.first * MM_PAGE_SIZE,
			  done.npages * MM_PAGE_SIZE);
	} else if (ret == -EAGAIN) {
		uffd_wake(addr, MM_PAGE_SIZE);	/* it touches the page again: a new message */
	} else {
		if (!map->error_logged) {
			map->error_logged = true;
			u_err("mm", "cpumap %p: fault on page %llu failed (%s): SIGBUS to thread %d "
			      "(logged once per mapping)", (void *)map->addr,
			      (unsigned long long)idx, strerror(-ret), (int)tid);
		}
		send_sigbus(tid, (void *)(uintptr_t)msg->arg.pagefault.address);
		uffd_wake(addr, MM_PAGE_SIZE);
	}
	u_mutex_unlock(&map->fault_lock);
}

static void *fault_thread(void *arg)
{
	struct uffd_msg msgs[CPUMAP_MSG_BATCH];
	struct pollfd pfd[2] = {
		{ .fd = svc.uffd, .events = POLLIN },
		{ .fd = svc.stop_fd, .events = POLLIN },
	};

	for (;;) {
		ssize_t n = read(svc.uffd, msgs, sizeof(msgs));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				u_err("mm", "cpumap: reading the userfaultfd: %s; the fault thread stops",
				      strerror(errno));
				break;
			}
			if (poll(pfd, 2, -1) < 0 && errno != EINTR)
				u_panic("cpumap: poll: %s", strerror(errno));
			if (pfd[1].revents)
				break;
			continue;
		}
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(msgs[0]); i++) {
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT)
				handle_pagefault(&msgs[i]);
			else
				u_warn("mm", "cpumap: unexpected userfaultfd event %u",
				       (unsigned int)msgs[i].event);
		}
	}
	return NULL;
}

/* ---- the service -------------------------------------------------------- */

static void log_fallback(const char *why, bool forced)
{
	if (svc.fallback_logged)
		return;
	svc.fallback_logged = true;
	u_log(forced ? U_LOG_INFO : U_LOG_WARN, "mm",
	      "userfaultfd unavailable (%s): CPU mappings are populated eagerly and "
	      "mmapped objects cannot be evicted", why);
}

/* Decide the mode (first user) and start the fault thread. svc.lock held. */
static int svc_get_locked(void)
{
	char why[160];
	int fd, err;

	u_mutex_assert_held(&svc.lock);
	if (__atomic_fetch_add(&svc.users, 1, __ATOMIC_RELAXED))
		return 0;
	fd = uffd_open(why, sizeof(why));
	if (fd < 0) {
		const char *env = getenv("PANTOMIME_NO_UFFD");

		log_fallback(why, env && *env && strcmp(env, "0"));
		svc.uffd_mode = false;
		svc.running = true;
		return 0;
	}
	svc.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (svc.stop_fd < 0) {
		err = -ENOMEM;
		goto err_close;
	}
	svc.uffd = fd;
	err = u_thread_create(&svc.thread, fault_thread, NULL, "pm-cpufault");
	if (err) {
		u_err("mm", "cpumap: cannot start the fault thread: %s", strerror(-err));
		err = -ENOMEM;
		goto err_stop_fd;
	}
	svc.uffd_mode = true;
	svc.running = true;
	return 0;

err_stop_fd:
	close(svc.stop_fd);
	svc.stop_fd = -1;
	svc.uffd = -1;
err_close:
	close(fd);
	__atomic_fetch_sub(&svc.users, 1, __ATOMIC_RELAXED);
	return err;
}

static void svc_put(void)
{
	u_mutex_lock(&svc.lock);
	U_ASSERT(svc.users > 0);
	if (__atomic_sub_fetch(&svc.users, 1, __ATOMIC_RELAXED) == 0) {
		if (svc.uffd_mode) {
			uint64_t one = 1;

			if (write(svc.stop_fd, &one, sizeof(one)) != sizeof(one))
				u_panic("cpumap: cannot stop the fault thread: %s", strerror(errno));
			pthread_join(svc.thread, NULL);
			/* Closing it also wakes and unregisters anything left (nothing is). */
			close(svc.uffd);
			close(svc.stop_fd);
			svc.uffd = svc.stop_fd = -1;
		}
		svc.running = false;
	}
	u_mutex_unlock(&svc.lock);
}

bool mm_cpumap_uffd_available(void)
{
	char why[160];
	bool ok;
	int fd;

	pthread_once(&svc_once, svc_init_once);
	u_mutex_lock(&svc.lock);
	if (svc.running) {
		ok = svc.uffd_mode;
	} else {
		fd = uffd_open(why, sizeof(why));
		ok = fd >= 0;
		if (ok) {
			close(fd);
		} else {
			const char *env = getenv("PANTOMIME_NO_UFFD");

			log_fallback(why, env && *env && strcmp(env, "0"));
		}
	}
	u_mutex_unlock(&svc.lock);
	return ok;
}

/* ---- mappings ----------------------------------------------------------- */

static int populate(struct mm_cpumap *map)
{
	unsigned int tries = 0;
	uint64_t idx = 0;

	while (idx < map->npages) {
		struct mm_cpumap_run done;
		int ret;

		if (page_mapped(map, idx)) {
			idx++;
			continue;
		}
		u_mutex_lock(&map->fault_lock);
		ret = cpumap_fault_locked(map, idx, true, &done);
		u_mutex_unlock(&map->fault_lock);
		if (ret == -EAGAIN && ++tries < CPUMAP_MAX_ROUNDS)
			continue;
		if (ret)
			return ret;
		tries = 0;
	}
	return 0;
}

int mm_cpumap_create(uint64_t size, int prot, const struct mm_cpumap_ops *ops, void *cookie,
		     struct mm_cpumap **out)
{
	struct mm_cpumap *map;
	void *addr;
	int ret;

	if (!size || (size & (MM_PAGE_SIZE - 1)) || size > (1ull << 46) || !ops || !ops->fault ||
	    (prot != PROT_READ && prot != (PROT_READ | PROT_WRITE)))
		return -EINVAL;
	ret = mm_arena_init(0);
	if (ret)
		return ret;
	pthread_once(&svc_once, svc_init_once);

	map = u_zalloc(sizeof(*map));
	if (!map)
		return -ENOMEM;
	map->size = size;
	map->npages = size / MM_PAGE_SIZE;
	map->prot = prot;
	map->ops = ops;
	map->cookie = cookie;
	map->fork_gen = svc.fork_gen;
	map->mapped = u_calloc((map->npages + 63) / 64, sizeof(uint64_t));
	map->released = u_calloc((map->npages + 63) / 64, sizeof(uint64_t));
	if (!map->mapped || !map->released) {
		ret = -ENOMEM;
		goto err_free;
	}
	u_mutex_init(&map->fault_lock, &cpumap_fault_class);
	u_mutex_init(&map->lock, &cpumap_map_class);

	u_mutex_lock(&svc.lock);
	ret = svc_get_locked();
	map->eager = !svc.uffd_mode;
	u_mutex_unlock(&svc.lock);
	if (ret)
		goto err_fini;

	/* Shared anonymous: shmem, so one registration covers it and the runs (DOC). */
	addr = mmap(NULL, size, prot, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (addr == MAP_FAILED) {
		ret = -ENOMEM;
		goto err_put;
	}
	map->addr = addr;
	/*
	 * Not inherited by fork(): a child would otherwise keep the frames
	 * mapped at the fork, and could read or write them after the parent
	 * zapped and reused them (as page tables, say).
	 */
	madvise(addr, size, MADV_DONTFORK);
	if (!map->eager) {
		ret = uffd_register(addr, size);
		if (ret) {
			u_err("mm", "cpumap: UFFDIO_REGISTER of %llu bytes: %s",
			      (unsigned long long)size, strerror(-ret));
			ret = -ENOMEM;
			goto err_unmap;
		}
	}
	map->node.start = (uint64_t)(uintptr_t)addr;
	map->node.last = map->node.start + size - 1;
	u_mutex_lock(&registry_lock);
	u_itree_insert(&registry, &map->node);
	u_mutex_unlock(&registry_lock);

	if (map->eager) {
		ret = populate(map);
		if (ret)
			goto err_unregister;
	}
	*out = map;
	return 0;

err_unregister:
	u_mutex_lock(&registry_lock);
	u_itree_remove(&registry, &map->node);
	u_mutex_unlock(&registry_lock);
err_unmap:
	munmap(addr, size);
err_put:
	svc_put();
err_fini:
	u_mutex_fini(&map->lock);
	u_mutex_fini(&map->fault_lock);
err_free:
	u_free(map->mapped);
	u_free(map->released);
	u_free(map);
	return ret;
}

void mm_cpumap_destroy(struct mm_cpumap *map)
{
	if (!map)
		return;
	if (orphaned(map)) {
		/* Inherited through fork(): its locks may be held by a thread left behind. */
		munmap(map->addr, map->size);
		u_free(map->mapped);
		u_free(map->released);
		u_free(map);
		return;
	}
	u_mutex_lock(&registry_lock);
	u_itree_remove(&registry, &map->node);
	u_mutex_unlock(&registry_lock);
	/* Wait for a handler run in progress; none can start now. */
	u_mutex_lock(&map->fault_lock);
	u_mutex_unlock(&map->fault_lock);

	/* Pages released to the user are not ours to unmap any more. */
	for (uint64_t i = 0; i < map->npages;) {
		uint64_t n = 0;

		while (i + n < map->npages && !released(map, i + n))
			n++;
		if (n && munmap(map->addr + i * MM_PAGE_SIZE, n * MM_PAGE_SIZE))
			u_panic("cpumap: munmap(%p, %llu): %s", (void *)(map->addr + i * MM_PAGE_SIZE),
				(unsigned long long)(n * MM_PAGE_SIZE), strerror(errno));
		i += n;
		while (i < map->npages && released(map, i))
			i++;
	}
	if (!map->eager)
		uffd_wake((uint64_t)(uintptr_t)map->addr, map->size);	/* -> SIGSEGV, as munmap */
	svc_put();

	u_mutex_fini(&map->lock);
	u_mutex_fini(&map->fault_lock);
	u_free(map->mapped);
	u_free(map->released);
	u_free(map);
}

int mm_cpumap_release_range(struct mm_cpumap *map, uint64_t first_page, uint64_t npages)
{
	uint64_t count;

	if (orphaned(map))
		return -ENODEV;
	if (!npages || first_page >= map->npages || npages > map->npages - first_page)
		return -EINVAL;
	u_mutex_lock(&map->lock);
	/* A run fetched before this must not be installed over the released pages. */
	__atomic_store_n(&map->gen, map->gen + 1, __ATOMIC_RELEASE);
	count = bits_count(map, first_page, npages);
	bits_update(map, first_page, npages, false);
	__atomic_store_n(&map->pages_mapped, map->pages_mapped - count, __ATOMIC_RELAXED);
	for (uint64_t p = first_page; p < first_page + npages; p++)
		map->released[p / 64] |= 1ull << (p % 64);
	munmap(map->addr + first_page * MM_PAGE_SIZE, npages * MM_PAGE_SIZE);
	u_mutex_unlock(&map->lock);
	return 0;
}

void *mm_cpumap_addr(const struct mm_cpumap *map)
{
	return map->addr;
}

uint64_t mm_cpumap_size(const struct mm_cpumap *map)
{
	return map->size;
}

bool mm_cpumap_can_zap(const struct mm_cpumap *map)
{
	return !map->eager;
}

int mm_cpumap_zap_range(struct mm_cpumap *map, uint64_t first_page, uint64_t npages)
{
	uint8_t *start = map->addr + first_page * MM_PAGE_SIZE;
	uint64_t len = npages * MM_PAGE_SIZE;
	uint64_t count;
	int ret;

	if (orphaned(map))
		return -ENODEV;
	if (map->eager)
		return -EOPNOTSUPP;
	if (!npages || first_page >= map->npages || npages > map->npages - first_page)
		return -EINVAL;

	u_mutex_lock(&map->lock);
	/* Before anything else: a run fetched from the owner before this is stale. */
	__atomic_store_n(&map->gen, map->gen + 1, __ATOMIC_RELEASE);
	count = bits_count(map, first_page, npages);
	if (count) {
		/* 1. Watch the range: present entries still show the old frames. */
		ret = uffd_register(start, len);
		if (ret) {
			u_mutex_unlock(&map->lock);
			u_err("mm", "cpumap %p: zap of pages %llu+%llu: UFFDIO_REGISTER: %s; "
			      "the pages stay mapped", (void *)map->addr,
			      (unsigned long long)first_page, (unsigned long long)npages,
			      strerror(-ret));
			return -ENOMEM;
		}
		/* 2. Drop the entries: the next touch is a MINOR fault we handle. */
		if (madvise(start, len, MADV_DONTNEED))
			u_panic("cpumap: madvise(DONTNEED) of a registered range: %s",
				strerror(errno));
		bits_update(map, first_page, npages, false);
		__atomic_store_n(&map->pages_mapped, map->pages_mapped - count, __ATOMIC_RELAXED);
		STAT_ADD(map, zaps, 1);
		STAT_ADD(map, pages_zapped, count);
	}
	u_mutex_unlock(&map->lock);
	return 0;
}

int mm_cpumap_zap(struct mm_cpumap *map)
{
	return mm_cpumap_zap_range(map, 0, map->npages);
}

int mm_cpumap_handle_fault(struct mm_cpumap *map, void *addr, bool may_block)
{
	uint64_t a = (uint64_t)(uintptr_t)addr, base = (uint64_t)(uintptr_t)map->addr;
	struct mm_cpumap_run done;
	int ret;

	if (orphaned(map))
		return -ENODEV;
	if (a < base || a - base >= map->size)
		return -EINVAL;
	u_mutex_lock(&map->fault_lock);
	ret = cpumap_fault_locked(map, (a - base) / MM_PAGE_SIZE, may_block, &done);
	/* A thread may be blocked on a page of the run. */
	if (!ret && !map->eager)
		uffd_wake(base + done.first * MM_PAGE_SIZE, done.npages * MM_PAGE_SIZE);
	u_mutex_unlock(&map->fault_lock);
	return ret;
}

static void stats_copy(struct mm_cpumap_stats *dst, const struct mm_cpumap_stats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void mm_cpumap_stats(const struct mm_cpumap *map, struct mm_cpumap_stats *st)
{
	stats_copy(st, &map->st);
}

void mm_cpumap_global_stats(struct mm_cpumap_stats *st)
{
	stats_copy(st, &global_st);
}

uint64_t mm_cpumap_pages_mapped(struct mm_cpumap *map)
{
	return __atomic_load_n(&map->pages_mapped, __ATOMIC_RELAXED);
}

/* ---- validation --------------------------------------------------------- */

static int validate_registry(struct mm_cpumap *map)
{
	struct u_itree_node *n, *prev = NULL;
	bool found = false;
	size_t count = 0;
	unsigned int users;
	int ret;

	u_mutex_lock(&registry_lock);
	/*
	 * Every mapping in the tree holds a service reference: create takes it
	 * before inserting, destroy drops it after removing, so under this lock
	 * the tree never holds more mappings than there are users.
	 */
	users = __atomic_load_n(&svc.users, __ATOMIC_RELAXED);
	ret = u_itree_validate(&registry);
	for (n = u_itree_first(&registry); !ret && n; prev = n, n = u_itree_next(n)) {
		count++;
		found |= n == &map->node;
		if (prev && prev->last >= n->start) {
			u_err("mm", "cpumap: registry: [0x%llx, 0x%llx] overlaps [0x%llx, 0x%llx]",
			      (unsigned long long)prev->start, (unsigned long long)prev->last,
			      (unsigned long long)n->start, (unsigned long long)n->last);
			ret = -EUCLEAN;
		}
	}
	u_mutex_unlock(&registry_lock);
	if (!ret && !found) {
		u_err("mm", "cpumap %p: not in the registry", (void *)map->addr);
		ret = -EUCLEAN;
	}
	if (!ret && count > users) {
		u_err("mm", "cpumap: registry holds %zu mappings, only %u hold the service",
		      count, users);
		ret = -EUCLEAN;
	}
	return ret;
}

/* No entry in the page tables for a page the mapping considers unmapped. */
static int validate_pagemap_locked(struct mm_cpumap *map)
{
	uint64_t vpn = (uint64_t)(uintptr_t)map->addr / MM_PAGE_SIZE;
	uint64_t ent[512];
	int fd, ret = 0;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* not available here: nothing to check against */
	for (uint64_t i = 0; i < map->npages && !ret; i += ARRAY_SIZE(ent)) {
		uint64_t n = u_min(map->npages - i, (uint64_t)ARRAY_SIZE(ent));
		ssize_t got = pread(fd, ent, n * sizeof(ent[0]), (off_t)((vpn + i) * sizeof(ent[0])));

		if (got != (ssize_t)(n * sizeof(ent[0])))
			break;
		for (uint64_t k = 0; k < n; k++) {
			bool present = (ent[k] >> 63) & 1, swapped = (ent[k] >> 62) & 1;

			if (!page_mapped(map, i + k) && !released(map, i + k) &&
			    (present || swapped)) {
				u_err("mm", "cpumap %p: page %llu is unmapped but has a page-table "
				      "entry (0x%llx): a stale frame is reachable", (void *)map->addr,
				      (unsigned long long)(i + k), (unsigned long long)ent[k]);
				ret = -EUCLEAN;
				break;
			}
		}
	}
	close(fd);
	return ret;
}

int mm_cpumap_validate(struct mm_cpumap *map)
{
	uint64_t count;
	int ret;

	ret = validate_registry(map);
	if (ret)
		return ret;
	u_mutex_lock(&map->lock);
	count = bits_count(map, 0, map->npages);
	if (count != map->pages_mapped) {
		u_err("mm", "cpumap %p: %llu pages marked mapped, counter says %llu",
		      (void *)map->addr, (unsigned long long)count,
		      (unsigned long long)map->pages_mapped);
		ret = -EUCLEAN;
	}
	for (uint64_t i = map->npages; !ret && i < (map->npages + 63) / 64 * 64; i++) {
		if (page_mapped(map, i)) {
			u_err("mm", "cpumap %p: bit %llu set beyond the mapping", (void *)map->addr,
			      (unsigned long long)i);
			ret = -EUCLEAN;
		}
	}
	if (!ret && map->eager && count != map->npages) {
		u_err("mm", "cpumap %p: eager mapping with %llu of %llu pages mapped",
		      (void *)map->addr, (unsigned long long)count,
		      (unsigned long long)map->npages);
		ret = -EUCLEAN;
	}
	if (!ret)
		ret = validate_pagemap_locked(map);
	u_mutex_unlock(&map->lock);
	return ret;
}
