// SPDX-License-Identifier: MIT
/*
 * DOC: pantomime stress
 *
 * The default job. One model device with a DRAM budget smaller than the
 * working set and a swap area, so the shrinker evicts and restores all the
 * time. Several client threads, each with its own DRM file and VM, run a
 * seeded mix of operations through pantomime_ioctl()/pantomime_mmap():
 *
 *  - BO create (4 KiB to 64 MiB) and close; CPU mmap and pattern writes;
 *  - VM_BIND map, unmap and remap (one ioctl, two ops), sync or async; an
 *    async bind signals the client's bind syncobj, which the next sync
 *    bind, GPU job and check waits for (a syncobj chain);
 *  - a sparse resource: a 32 MiB range bound MAP_SPARSE whose 64 KiB
 *    chunks are replaced by pages of backing BOs and back by dummy pages;
 *  - GPU jobs (GROUP_SUBMIT): a stream that LOAD_MULTIPLEs a range (sparse
 *    chunks or a BO) and STORE_MULTIPLEs it into a readback BO while the
 *    client goes on replacing other chunks; the copy is checked when the
 *    job's syncobj signals. A timed run keeps one job per client in flight
 *    all the time (GPU agents reading continuously).
 *
 * Each BO's content is a function of (seed, offset), so every byte can be
 * checked. At the end every client checks all its data through the CPU
 * (mmap) and through the GPU (copies into the readback BO).
 *
 * Reproducibility: each client draws its operations from its own
 * generator seeded by --seed and the client number; the sequence depends
 * only on that and the results the operations return.
 *
 * With --fault, allocations fail as the spec says: an operation that
 * fails with -ENOMEM is an expected fault; a VM made unusable by a failed
 * bind is destroyed and recreated (counted). Anything else that fails is
 * unexpected.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>

#include "cs.h"
#include "pm.h"
#include "uapi/drm/panthor_drm.h"

const char *const pm_op_names[PM_OP_KINDS] = {
	[PM_OP_BO_CREATE] = "bo_create",
	[PM_OP_BO_CLOSE] = "bo_close",
	[PM_OP_CPU_WRITE] = "cpu_write",
	[PM_OP_VM_MAP] = "vm_map",
	[PM_OP_VM_UNMAP] = "vm_unmap",
	[PM_OP_VM_REMAP] = "vm_remap",
	[PM_OP_SPARSE_BIND] = "sparse_bind",
	[PM_OP_SYNCOBJ_WAIT] = "syncobj_wait",
	[PM_OP_GPU_SUBMIT] = "gpu_submit",
	[PM_OP_VM_RECREATE] = "vm_recreate",
	[PM_OP_GROUP_RECREATE] = "group_recreate",
};

#define SZ_4K		0x1000ull
#define SZ_64K		0x10000ull
#define SZ_2M		0x200000ull
#define SZ_64M		0x4000000ull

/* VA layout of every client VM. */
#define SLOT_BASE	0x100000000ull		/* 4 GiB */
#define SLOT_SIZE	SZ_64M
#define NR_SLOTS	256
#define SPARSE_VA	0x1000000000ull		/* 64 GiB */
#define SPARSE_SIZE	(32ull << 20)
#define CHUNK		SZ_64K
#define NR_CHUNKS	(SPARSE_SIZE / CHUNK)
#define NR_BACKING	4
#define BACKING_SIZE	SZ_2M
#define CS_VA		0x1800000000ull		/* 96 GiB */
#define CS_SIZE		SZ_64K
#define RB_VA		0x1900000000ull
#define RB_SIZE		(4ull << 20)

#define MAX_BOS		256
#define MAX_PENDING	32	/* async bind ops a client queues before it waits for them */
#define MAX_LAT		(1u << 20)
#define JOB_TIMEOUT_NS	(10ull * 1000000000ull)

struct stress;

/* One BO of a client; content word i is pat(seed, i). */
struct sbo {
	bool live;
	uint32_t handle;
	uint64_t size;
	uint64_t mmo;
	uint64_t seed;
	int slot;		/* VM slot it is mapped at, or -1 */
};

/* What a GPU job in flight copies: @len bytes from @src_va into the readback BO. */
struct job {
	bool pending;
	uint64_t t0;
	int bo;			/* BO being read, or -1 */
	unsigned int chunk0, nchunks;	/* sparse chunks being read (nchunks 0: none) */
	uint64_t len;
};

struct client {
	struct stress *s;
	unsigned int id;
	pthread_t thread;
	struct pantomime_file *file;
	uint64_t rng;
	uint64_t gpu_rng;	/* the GPU jobs' choices: their timing cannot shift the op sequence */
	uint32_t vm;
	uint32_t group;
	uint32_t bind_sync, job_sync;
	bool async_pending;
	/* VA ranges of the async binds queued since the last wait (sync binds wait only on overlap) */
	struct { uint64_t va, last; } pend[MAX_PENDING];
	unsigned int nr_pend;
	struct job job;

	struct sbo bos[MAX_BOS];
	unsigned int nr_live;
	uint64_t live_bytes, cap_bytes;
	uint64_t max_bo;		/* largest BO: the CPU pins it whole while writing */
	uint64_t mapped_bytes, map_cap;	/* BOs mapped in the VM: a job makes them resident */
	int slot_bo[NR_SLOTS];

	struct sbo backing[NR_BACKING];
	int16_t chunk_bo[NR_CHUNKS];	/* backing index, -1 = sparse dummy */
	uint16_t chunk_off[NR_CHUNKS];	/* 64 KiB index inside the backing BO */

	struct sbo cs, rb;
	uint64_t *cs_cpu;
	uint8_t *rb_cpu;
	char track[24];

	/* results */
	uint64_t ops[PM_OP_KINDS];
	uint64_t binds;
	uint32_t *lat;
	size_t nr_lat;
	/* the same at the end of the timed run (the final check comes after) */
	uint64_t run_ops[PM_OP_KINDS];
	uint64_t run_binds;
	uint64_t fill_binds;	/* binds of the initial fill (unmaps before closes) */
	uint64_t fill_ops[PM_OP_KINDS];
	bool checking;		/* in the final check: nothing is recorded as the run's */
	uint64_t lat_seen;
	uint64_t expected, unexpected, corrupted, verified_cpu, verified_gpu;
	char first_error[160];
};

struct stress {
	struct pantomime_device *dev;
	struct pantomime_config cfg;
	uint64_t seconds;
	unsigned int nr_clients;
	uint64_t seed;
	bool faulting;
	bool stop;
	bool gpu;			/* GROUP_* works */
	const char *gpu_note;
	uint64_t shader_present;
	struct client *clients;
	/* live bind latency for the time series */
	uint64_t bind_count, bind_ns, bind_max_ns;
	unsigned int verifying;
	uint64_t max_ops;		/* --ops: steps per client instead of a time limit */
	unsigned int finished;		/* clients done with their steps */
	unsigned int filled;		/* clients done with their initial fill */
	bool go;			/* the timed run has begun */
};

/* ---- helpers ------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *x, uint64_t n)
{
	return n ? rng_next(x) % n : 0;
}

static inline uint64_t pat(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + i * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ull;
	return z ^ (z >> 29);
}

static int ioc(struct client *c, unsigned long req, void *arg)
{
	return pantomime_ioctl(c->file, req, arg);
}

static void client_error(struct client *c, const char *what, int err)
{
	c->unexpected++;
	if (!c->first_error[0])
		snprintf(c->first_error, sizeof(c->first_error), "client %u: %s: %s", c->id, what,
			 strerror(-err));
}

/*
 * An operation failed with @err: -ENOMEM under fault injection is expected,
 * anything else is not. Return: true if expected.
 */
static bool note_failure(struct client *c, const char *what, int err)
{
	if (err == -ENOMEM && c->s->faulting) {
		c->expected++;
		return true;
	}
	client_error(c, what, err);
	return false;
}

static void record_latency(struct client *c, uint64_t ns, unsigned int nops)
{
	struct stress *s = c->s;
	uint64_t per = ns / (nops ? nops : 1), m;

	if (c->checking || __atomic_load_n(&s->stop, __ATOMIC_RELAXED) ||
	    !__atomic_load_n(&s->go, __ATOMIC_RELAXED))
		return;		/* the fill or the final check: not part of the run's figures */
	c->lat_seen++;
	if (c->nr_lat < MAX_LAT)
		c->lat[c->nr_lat++] = per > UINT32_MAX ? UINT32_MAX : (uint32_t)per;
	else
		c->lat[rng_below(&c->rng, MAX_LAT)] = per > UINT32_MAX ? UINT32_MAX : (uint32_t)per;
	__atomic_add_fetch(&s->bind_count, nops, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->bind_ns, ns, __ATOMIC_RELAXED);
	m = __atomic_load_n(&s->bind_max_ns, __ATOMIC_RELAXED);
	while (per > m && !__atomic_compare_exchange_n(&s->bind_max_ns, &m, per, false,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* ---- BOs and CPU access ------------------------------------------------------------ */

static int bo_new(struct client *c, struct sbo *b, uint64_t size)
{
	struct drm_panthor_bo_create cr = { .size = size };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	struct drm_gem_close cl = { 0 };
	int err;

	err = ioc(c, DRM_IOCTL_PANTHOR_BO_CREATE, &cr);
	if (err)
		return err;
	mo.handle = cr.handle;
	err = ioc(c, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo);
	if (err) {
		cl.handle = cr.handle;
		ioc(c, DRM_IOCTL_GEM_CLOSE, &cl);
		return err;
	}
	memset(b, 0, sizeof(*b));
	b->live = true;
	b->handle = cr.handle;
	b->size = cr.size;
	b->mmo = mo.offset;
	b->slot = -1;
	return 0;
}

static void bo_free(struct client *c, struct sbo *b)
{
	struct drm_gem_close cl = { .handle = b->handle };
	int err = ioc(c, DRM_IOCTL_GEM_CLOSE, &cl);

	if (err)
		client_error(c, "GEM_CLOSE", err);
	b->live = false;
}

/*
 * CPU accesses to BO mappings. A BO's CPU mapping is filled on fault; a
 * fault that cannot allocate (an injected failure, or no memory at all)
 * raises SIGBUS, as the kernel does. The accesses run under a per-thread
 * jump buffer so that the job can count the failure and retry instead of
 * dying; a SIGBUS anywhere else is fatal as usual.
 */
static __thread sigjmp_buf *volatile cpu_jmp;	/* volatile: the stores around an access stay */

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (cpu_jmp)
		siglongjmp(*cpu_jmp, 1);
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

static void sigbus_install(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * After a jump back, the guarded helpers only return false: no variable
 * live across sigsetjmp() is used again, whatever -Wclobbered suspects.
 */
#pragma GCC diagnostic push
#ifndef __clang__	/* a GCC-only warning; clang has no such group (the fuzz build) */
#pragma GCC diagnostic ignored "-Wclobbered"
#endif

/* Return: false if a CPU access raised SIGBUS (the words may be partly written). */
static bool guarded_fill(uint64_t *p, uint64_t n, uint64_t seed)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		cpu_jmp = NULL;
		return false;
	}
	cpu_jmp = &jb;
	for (uint64_t i = 0; i < n; i++)
		p[i] = pat(seed, i);
	cpu_jmp = NULL;
	return true;
}

static uint64_t check_words(const uint64_t *p, uint64_t seed, uint64_t off, uint64_t n);

/* check_words() under the jump buffer. Return: false on SIGBUS. */
static bool guarded_check(const uint64_t *p, uint64_t seed, uint64_t off, uint64_t n,
			  uint64_t *bad)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		cpu_jmp = NULL;
		return false;
	}
	cpu_jmp = &jb;
	*bad = check_words(p, seed, off, n);
	cpu_jmp = NULL;
	return true;
}

/* memset() under the jump buffer. Return: false on SIGBUS. */
static bool guarded_memset(void *p, int v, size_t n)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		cpu_jmp = NULL;
		return false;
	}
	cpu_jmp = &jb;
	memset(p, v, n);
	cpu_jmp = NULL;
	return true;
}

#pragma GCC diagnostic pop

/* A CPU access raised SIGBUS: expected under fault injection. Return: true to retry. */
static bool note_sigbus(struct client *c, const char *what)
{
	if (c->s->faulting) {
		c->expected++;
		return true;
	}
	client_error(c, what, -EFAULT);
	return false;
}

/* Map @b for the CPU, retrying injected failures. */
static int cpu_map(struct client *c, struct sbo *b, int prot, void **p)
{
	int err;

	for (int tries = 0; tries < 1000; tries++) {
		err = pantomime_mmap(c->file, NULL, b->size, prot, MAP_SHARED, b->mmo, p);
		if (err != -ENOMEM || !c->s->faulting)
			break;
		c->expected++;
	}
	return err;
}

/* Fill @b with pattern @seed through a CPU mapping. */
static int cpu_fill(struct client *c, struct sbo *b, uint64_t seed)
{
	for (int tries = 0; tries < 100; tries++) {
		uint64_t *p;
		int err = cpu_map(c, b, PROT_READ | PROT_WRITE, (void **)&p);
		bool ok;

		if (err)
			return err;
		ok = guarded_fill(p, b->size / 8, seed);
		pantomime_munmap(p, b->size);
		if (ok) {
			b->seed = seed;
			return 0;
		}
		if (!note_sigbus(c, "SIGBUS writing a BO"))
			break;
	}
	return -EFAULT;		/* the BO's content is undefined now */
}

static uint64_t count_bad(const uint8_t *got, const uint8_t *want, size_t n)
{
	uint64_t bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += got[i] != want[i];
	return bad;
}

/* Compare @n bytes at @p with pattern @seed from byte @off (8-aligned). Return: bad bytes. */
static uint64_t check_words(const uint64_t *p, uint64_t seed, uint64_t off, uint64_t n)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < n / 8; i++) {
		uint64_t want = pat(seed, off / 8 + i);

		if (p[i] != want)
			bad += count_bad((const uint8_t *)&p[i], (const uint8_t *)&want, 8);
	}
	return bad;
}

static void cpu_verify(struct client *c, struct sbo *b, const char *what)
{
	uint64_t *p, bad = 0;
	int err, tries;

	for (tries = 0; tries < 100; tries++) {
		bool ok;

		err = cpu_map(c, b, PROT_READ, (void **)&p);
		if (err) {
			client_error(c, "mmap for the CPU check", err);
			return;
		}
		ok = guarded_check(p, b->seed, 0, b->size, &bad);
		pantomime_munmap(p, b->size);
		if (ok)
			break;
		if (!note_sigbus(c, "SIGBUS reading a BO"))
			return;
	}
	if (tries == 100)
		return;
	c->verified_cpu += b->size;
	if (bad) {
		c->corrupted += bad;
		if (!c->first_error[0])
			snprintf(c->first_error, sizeof(c->first_error),
				 "client %u: %s (%" PRIu64 " KiB): %" PRIu64 " bytes wrong (CPU)",
				 c->id, what, b->size >> 10, bad);
	}
}

/* ---- binds -------------------------------------------------------------------------- */

static int wait_syncobj(struct client *c, uint32_t h)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&h, .count_handles = 1,
		.timeout_nsec = (int64_t)(pm_now_ns() + JOB_TIMEOUT_NS),
	};
	int err;

	c->ops[PM_OP_SYNCOBJ_WAIT]++;
	for (int tries = 0; tries < 1000; tries++) {
		err = ioc(c, DRM_IOCTL_SYNCOBJ_WAIT, &w);
		if (err != -ENOMEM || !c->s->faulting)
			break;
		c->expected++;
	}
	return err;
}

static bool vm_usable(struct client *c)
{
	struct drm_panthor_vm_get_state gs = { .vm_id = c->vm };

	return !ioc(c, DRM_IOCTL_PANTHOR_VM_GET_STATE, &gs) &&
	       gs.state == DRM_PANTHOR_VM_STATE_USABLE;
}

static int vm_setup(struct client *c);
static void vm_teardown(struct client *c);

/* The VM became unusable: start again with a new one (expected only under fault injection). */
static void vm_recreate(struct client *c)
{
	if (!c->s->faulting)
		client_error(c, "VM became unusable", -EIO);
	else
		c->expected++;
	c->ops[PM_OP_VM_RECREATE]++;
	vm_teardown(c);
	for (int tries = 0; tries < 100; tries++) {
		int err = vm_setup(c);

		if (!err)
			return;
		if (!note_failure(c, "VM re-creation", err))
			break;
	}
	c->vm = 0;
}

/* Wait for the async binds queued so far; a failed one made the VM unusable. */
static void wait_binds(struct client *c)
{
	int err;

	if (!c->async_pending)
		return;
	err = wait_syncobj(c, c->bind_sync);
	c->async_pending = false;
	c->nr_pend = 0;
	if (err)
		client_error(c, "SYNCOBJ_WAIT on the bind syncobj", err);
	if (c->vm && !vm_usable(c))
		vm_recreate(c);
}

/* Does op @o touch a VA range of the async binds still queued? */
static bool overlaps_pending(const struct client *c, const struct drm_panthor_vm_bind_op *o)
{
	uint64_t last = o->va + o->size - 1;

	for (unsigned int i = 0; i < c->nr_pend; i++)
		if (o->va <= c->pend[i].last && c->pend[i].va <= last)
			return true;
	return false;
}

/*
 * VM_BIND @n ops. Async: the last op signals the bind syncobj; a client
 * waits for its queue once MAX_PENDING ops are in it. Sync: a sync bind is
 * not ordered behind the async queue, so the queued binds are waited for
 * first when one of its ops touches their VA ranges (otherwise the two may
 * run in either order with the same result). Return: 0 or the error, with
 * *@done the ops that took effect.
 */
static int do_bind(struct client *c, struct drm_panthor_vm_bind_op *ops, unsigned int n,
		   bool async, unsigned int *done)
{
	struct drm_panthor_sync_op sig = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		.handle = c->bind_sync,
	};
	struct drm_panthor_vm_bind b = {
		.vm_id = c->vm,
		.flags = async ? DRM_PANTHOR_VM_BIND_ASYNC : 0,
		.ops = { .stride = sizeof(*ops), .count = n, .array = (uintptr_t)ops },
	};
	uint64_t t0;
	int err;

	for (unsigned int i = 0; i < n && c->async_pending; i++)
		if (async ? c->nr_pend + n > MAX_PENDING : overlaps_pending(c, &ops[i]))
			wait_binds(c);
	if (c->vm != b.vm_id) {
		/* The wait found the VM unusable and made a new one: these ops were for the old. */
		*done = 0;
		return -ESTALE;
	}
	if (async)
		ops[n - 1].syncs = (struct drm_panthor_obj_array){
			.stride = sizeof(sig), .count = 1, .array = (uintptr_t)&sig };
	t0 = pm_now_ns();
	err = ioc(c, DRM_IOCTL_PANTHOR_VM_BIND, &b);
	record_latency(c, pm_now_ns() - t0, n);
	if (!err) {
		c->binds += n;
		*done = n;
		if (async) {
			c->async_pending = true;
			for (unsigned int i = 0; i < n; i++) {
				c->pend[c->nr_pend].va = ops[i].va;
				c->pend[c->nr_pend].last = ops[i].va + ops[i].size - 1;
				c->nr_pend++;
			}
		}
		return 0;
	}
	/*
	 * A failed op writes its index back to ops.count; a failure before
	 * the first op (copying the array in) leaves ops.count as it was:
	 * nothing took effect then.
	 */
	*done = async || b.ops.count >= n ? 0 : b.ops.count;
	c->binds += *done;
	return err;
}

static struct drm_panthor_vm_bind_op op_map(uint32_t handle, uint64_t off, uint64_t va,
					    uint64_t size)
{
	return (struct drm_panthor_vm_bind_op){
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC,
		.bo_handle = handle, .bo_offset = off, .va = va, .size = size,
	};
}

static struct drm_panthor_vm_bind_op op_unmap(uint64_t va, uint64_t size)
{
	return (struct drm_panthor_vm_bind_op){
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP, .va = va, .size = size,
	};
}

static struct drm_panthor_vm_bind_op op_sparse(uint64_t va, uint64_t size)
{
	return (struct drm_panthor_vm_bind_op){
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC |
			 DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE,
		.va = va, .size = size,
	};
}

static uint64_t slot_va(int slot)
{
	return SLOT_BASE + (uint64_t)slot * SLOT_SIZE;
}

/* Handle a failed bind: expected ENOMEM, or unexpected; an unusable VM is replaced. */
static void bind_failed(struct client *c, const char *what, int err)
{
	if (err == -ESTALE)
		return;		/* do_bind(): the VM was re-created first, nothing was tried */
	/* A VM made unusable by an earlier failure rejects binds with -EINVAL. */
	if (c->vm && !vm_usable(c)) {
		vm_recreate(c);
		return;
	}
	note_failure(c, what, err);
}

/* ---- GPU ---------------------------------------------------------------------------- */

static int group_create(struct client *c)
{
	struct drm_panthor_queue_create q = { .priority = 0, .ringbuf_size = 64 * 1024 };
	struct drm_panthor_group_create g = {
		.queues = { .stride = sizeof(q), .count = 1, .array = (uintptr_t)&q },
		.max_compute_cores = 1, .max_fragment_cores = 1, .max_tiler_cores = 1,
		.priority = PANTHOR_GROUP_PRIORITY_MEDIUM,
		.compute_core_mask = c->s->shader_present,
		.fragment_core_mask = c->s->shader_present,
		.tiler_core_mask = 1,
		.vm_id = c->vm,
	};
	int err = ioc(c, DRM_IOCTL_PANTHOR_GROUP_CREATE, &g);

	if (!err)
		c->group = g.group_handle;
	return err;
}

static void group_recreate(struct client *c)
{
	struct drm_panthor_group_destroy gd = { .group_handle = c->group };
	int err = 0;

	c->ops[PM_OP_GROUP_RECREATE]++;
	if (c->group)
		ioc(c, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &gd);
	c->group = 0;
	for (int tries = 0; tries < 1000; tries++) {
		err = group_create(c);
		if (!err || !note_failure(c, "GROUP_CREATE", err))
			break;
	}
}

/* Emit a copy of @len bytes (a multiple of 64) from @src to @dst at the start of the CS BO. */
static uint32_t emit_copy(struct client *c, uint64_t src, uint64_t dst, uint64_t len)
{
	struct csa a;
	unsigned int loop;

	csa_init(&a, c->cs_cpu, CS_VA);
	csa_emit(&a, csa_move32(6, 0));
	csa_emit(&a, csa_flush(3, 3, 0, 6, 0, 0));	/* see the CPU's writes */
	csa_emit(&a, csa_wait(0xff));
	csa_emit(&a, csa_move48(2, src));
	csa_emit(&a, csa_move48(4, dst));
	csa_emit(&a, csa_move32(0, (uint32_t)(len / 64)));
	loop = csa_emit(&a, csa_load(16, 2, 0xffff, 0));
	csa_emit(&a, csa_store(16, 4, 0xffff, 0));
	csa_emit(&a, csa_add64(2, 2, 64));
	csa_emit(&a, csa_add64(4, 4, 64));
	csa_emit(&a, csa_add32(0, 0, -1));
	csa_emit(&a, csa_branch(CS_COND_NEQUAL, 0, csa_to(&a, loop)));
	csa_emit(&a, csa_flush(3, 3, 0, 6, 0, 0));	/* results reach memory */
	csa_emit(&a, csa_wait(0xff));
	return csa_size(&a);
}

#pragma GCC diagnostic push
#ifndef __clang__	/* a GCC-only warning; clang has no such group (the fuzz build) */
#pragma GCC diagnostic ignored "-Wclobbered"
#endif
/* emit_copy() under the jump buffer. Return: false on SIGBUS. */
static bool guarded_emit(struct client *c, uint64_t src, uint64_t dst, uint64_t len,
			 uint32_t *size)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		cpu_jmp = NULL;
		return false;
	}
	cpu_jmp = &jb;
	*size = emit_copy(c, src, dst, len);
	cpu_jmp = NULL;
	return true;
}
#pragma GCC diagnostic pop

/* Submit a copy into the readback BO; it waits for queued binds and signals the job syncobj. */
static int gpu_submit_copy(struct client *c, uint64_t src, uint64_t len)
{
	struct drm_panthor_sync_op syncs[2];
	struct drm_panthor_queue_submit qs = { 0 };
	struct drm_panthor_group_submit gs = { 0 };
	unsigned int ns = 0;
	int err;

	qs.queue_index = 0;
	if (!guarded_emit(c, src, RB_VA, len, &qs.stream_size))
		return note_sigbus(c, "SIGBUS writing the command stream") ? -ENOMEM : -EFAULT;
	qs.stream_addr = CS_VA;
	if (c->async_pending)
		syncs[ns++] = (struct drm_panthor_sync_op){
			.flags = DRM_PANTHOR_SYNC_OP_WAIT | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
			.handle = c->bind_sync };
	syncs[ns++] = (struct drm_panthor_sync_op){
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		.handle = c->job_sync };
	qs.syncs = (struct drm_panthor_obj_array){ .stride = sizeof(syncs[0]), .count = ns,
						   .array = (uintptr_t)syncs };
	gs.group_handle = c->group;
	gs.queue_submits = (struct drm_panthor_obj_array){ .stride = sizeof(qs), .count = 1,
							   .array = (uintptr_t)&qs };
	/* Stale data cannot pass for a copy. */
	if (!guarded_memset(c->rb_cpu, 0xa5, len))
		return note_sigbus(c, "SIGBUS clearing the readback BO") ? -ENOMEM : -EFAULT;
	err = ioc(c, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs);
	if (!err) {
		c->ops[PM_OP_GPU_SUBMIT]++;
		c->job.pending = true;
		c->job.t0 = pm_now_ns();
		c->job.len = len;
	}
	return err;
}

/* Wait for the job in flight and check what it copied. */
static void gpu_finish(struct client *c)
{
	struct job *j = &c->job;
	struct drm_panthor_group_get_state st = { .group_handle = c->group };
	uint64_t bad = 0;
	int err;

	if (!j->pending)
		return;
	j->pending = false;
	err = wait_syncobj(c, c->job_sync);
	if (ctrace_active())
		ctrace_span(c->track, j->nchunks ? "copy sparse" : "copy bo", j->t0, pm_now_ns(),
			    "bytes", (int64_t)j->len);
	if (err) {
		client_error(c, "waiting for a GPU job", err);
		return;
	}
	if (!ioc(c, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &st) && st.state) {
		/*
		 * The job failed (its VM could not be made resident: -ENOMEM
		 * under fault injection) and the group is dead: as a driver
		 * does with a guilty context, make a new one.
		 */
		if (!c->s->faulting)
			client_error(c, st.state & DRM_PANTHOR_GROUP_STATE_TIMEDOUT ?
				     "GPU job timed out" : "GPU job failed, its group is dead", -EIO);
		else
			c->expected++;
		group_recreate(c);
		return;
	}
	if (!vm_usable(c)) {
		/* A bind failed in the background: the VM's mappings are undefined now. */
		vm_recreate(c);
		return;
	}
	if (j->bo >= 0) {
		struct sbo *b = &c->bos[j->bo];

		if (!guarded_check((const uint64_t *)c->rb_cpu, b->seed, 0, j->len, &bad)) {
			note_sigbus(c, "SIGBUS reading the readback BO");
			return;
		}
	} else {
		for (unsigned int k = 0; k < j->nchunks; k++) {
			unsigned int ch = j->chunk0 + k;
			struct sbo *b = &c->backing[c->chunk_bo[ch]];
			uint64_t nb = 0;

			if (!guarded_check((const uint64_t *)(c->rb_cpu + (uint64_t)k * CHUNK),
					   b->seed, (uint64_t)c->chunk_off[ch] * CHUNK, CHUNK, &nb)) {
				note_sigbus(c, "SIGBUS reading the readback BO");
				return;
			}
			bad += nb;
		}
	}
	c->verified_gpu += j->len;
	if (bad) {
		uint64_t first = 0, got = 0, want = 0;

		for (uint64_t w = 0; w < j->len / 8; w++) {
			got = ((const uint64_t *)c->rb_cpu)[w];
			if (j->bo >= 0) {
				want = pat(c->bos[j->bo].seed, w);
			} else {
				unsigned int ch = j->chunk0 + (unsigned int)(w * 8 / CHUNK);

				want = pat(c->backing[c->chunk_bo[ch]].seed,
					   ((uint64_t)c->chunk_off[ch] * CHUNK + w * 8 % CHUNK) / 8);
			}
			if (got != want) {
				first = w * 8;
				break;
			}
		}
		c->corrupted += bad;
		if (!c->first_error[0])
			snprintf(c->first_error, sizeof(c->first_error),
				 "client %u: GPU copy of %s: %" PRIu64 " bytes wrong, the first at +0x%"
				 PRIx64 ": 0x%016" PRIx64 " instead of 0x%016" PRIx64, c->id,
				 j->bo >= 0 ? "a BO" : "sparse chunks", bad, first, got, want);
	}
}

/* ---- VM set-up ------------------------------------------------------------------------ */

static void vm_teardown(struct client *c)
{
	if (c->job.pending)
		gpu_finish(c);
	if (c->async_pending) {
		wait_syncobj(c, c->bind_sync);
		c->async_pending = false;
		c->nr_pend = 0;
	}
	if (c->group) {
		struct drm_panthor_group_destroy gd = { .group_handle = c->group };

		ioc(c, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &gd);
		c->group = 0;
	}
	if (c->vm) {
		struct drm_panthor_vm_destroy d = { .id = c->vm };

		ioc(c, DRM_IOCTL_PANTHOR_VM_DESTROY, &d);
		c->vm = 0;
	}
	for (unsigned int i = 0; i < MAX_BOS; i++)
		c->bos[i].slot = -1;
	for (unsigned int i = 0; i < NR_SLOTS; i++)
		c->slot_bo[i] = -1;
	for (unsigned int i = 0; i < NR_CHUNKS; i++)
		c->chunk_bo[i] = -1;
	c->mapped_bytes = 0;
}

static int vm_setup(struct client *c)
{
	struct drm_panthor_vm_create vc = { 0 };
	struct drm_panthor_vm_bind_op ops[3];
	unsigned int done;
	int err;

	err = ioc(c, DRM_IOCTL_PANTHOR_VM_CREATE, &vc);
	if (err)
		return err;
	c->vm = vc.id;
	ops[0] = op_sparse(SPARSE_VA, SPARSE_SIZE);
	ops[1] = op_map(c->cs.handle, 0, CS_VA, CS_SIZE);
	ops[2] = op_map(c->rb.handle, 0, RB_VA, RB_SIZE);
	err = do_bind(c, ops, 3, false, &done);
	if (err)
		goto fail;
	if (__atomic_load_n(&c->s->gpu, __ATOMIC_RELAXED)) {
		err = group_create(c);
		if (err == -EOPNOTSUPP) {
			__atomic_store_n(&c->s->gpu, false, __ATOMIC_RELAXED);
			c->s->gpu_note = "GROUP_CREATE is not supported by this build (EOPNOTSUPP): "
					 "no GPU jobs ran and the GPU check was skipped";
			err = 0;
		} else if (err) {
			goto fail;
		}
	}
	return 0;
fail:
	{
		struct drm_panthor_vm_destroy d = { .id = c->vm };

		ioc(c, DRM_IOCTL_PANTHOR_VM_DESTROY, &d);
		c->vm = 0;
	}
	return err;
}

static void op_create(struct client *c);

static int client_init(struct client *c)
{
	struct drm_syncobj_create sc = { 0 };
	int err;

	err = pantomime_file_open(c->s->dev, true, &c->file);
	if (err)
		return err;
	err = ioc(c, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	if (err)
		return err;
	c->bind_sync = sc.handle;
	sc.handle = 0;
	err = ioc(c, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	if (err)
		return err;
	c->job_sync = sc.handle;
	for (unsigned int i = 0; i < NR_BACKING; i++) {
		err = bo_new(c, &c->backing[i], BACKING_SIZE);
		if (!err)
			err = cpu_fill(c, &c->backing[i], rng_next(&c->rng));
		if (err)
			return err;
	}
	err = bo_new(c, &c->cs, CS_SIZE);
	if (!err)
		err = bo_new(c, &c->rb, RB_SIZE);
	if (!err)
		err = cpu_map(c, &c->cs, PROT_READ | PROT_WRITE, (void **)&c->cs_cpu);
	if (!err)
		err = cpu_map(c, &c->rb, PROT_READ | PROT_WRITE, (void **)&c->rb_cpu);
	if (err)
		return err;
	for (unsigned int i = 0; i < MAX_BOS; i++)
		c->bos[i].slot = -1;
	for (unsigned int i = 0; i < NR_SLOTS; i++)
		c->slot_bo[i] = -1;
	for (unsigned int i = 0; i < NR_CHUNKS; i++)
		c->chunk_bo[i] = -1;
	return vm_setup(c);
}

/* Fill the working set to 90% of the client's cap, so the shrinker works from the start. */
static void client_fill(struct client *c)
{
	while (c->live_bytes < c->cap_bytes / 10 * 9 && c->nr_live < MAX_BOS &&
	       !__atomic_load_n(&c->s->stop, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&c->s->go, __ATOMIC_ACQUIRE))
		op_create(c);
}

/* ---- the operations -------------------------------------------------------------------- */

static uint64_t pick_size(struct client *c)
{
	uint64_t r = rng_below(&c->rng, 1000), lo, hi;

	if (r < 600)
		lo = SZ_4K, hi = SZ_64K;
	else if (r < 880)
		lo = SZ_64K, hi = 1ull << 20;
	else if (r < 985)
		lo = 1ull << 20, hi = 8ull << 20;
	else
		lo = 8ull << 20, hi = SZ_64M;
	return (lo + rng_below(&c->rng, hi - lo + 1)) & ~(SZ_4K - 1);
}

static int pick_bo(struct client *c, bool mapped, bool unmapped)
{
	unsigned int start = (unsigned int)rng_below(&c->rng, MAX_BOS);

	for (unsigned int k = 0; k < MAX_BOS; k++) {
		unsigned int i = (start + k) % MAX_BOS;
		struct sbo *b = &c->bos[i];

		if (!b->live || (c->job.pending && c->job.bo == (int)i))
			continue;
		if ((b->slot >= 0 && mapped) || (b->slot < 0 && unmapped))
			return (int)i;
	}
	return -1;
}

static int free_slot(struct client *c)
{
	unsigned int start = (unsigned int)rng_below(&c->rng, NR_SLOTS);

	for (unsigned int k = 0; k < NR_SLOTS; k++)
		if (c->slot_bo[(start + k) % NR_SLOTS] < 0)
			return (int)((start + k) % NR_SLOTS);
	return -1;
}

/* Record BO @i mapped at @slot / unmapped (the mapped bytes are what a job makes resident). */
static void slot_set(struct client *c, int i, int slot)
{
	c->bos[i].slot = slot;
	c->slot_bo[slot] = i;
	c->mapped_bytes += c->bos[i].size;
}

static void slot_clear(struct client *c, int i)
{
	c->slot_bo[c->bos[i].slot] = -1;
	c->bos[i].slot = -1;
	c->mapped_bytes -= c->bos[i].size;
}

static void do_close(struct client *c, int i)
{
	struct sbo *b = &c->bos[i];

	if (b->slot >= 0) {
		struct drm_panthor_vm_bind_op op = op_unmap(slot_va(b->slot), b->size);
		unsigned int done;
		int err = do_bind(c, &op, 1, rng_below(&c->rng, 2), &done);

		c->ops[PM_OP_VM_UNMAP]++;
		if (err)
			bind_failed(c, "VM_BIND unmap before close", err);
		else
			slot_clear(c, i);
	}
	bo_free(c, b);
	c->nr_live--;
	c->live_bytes -= b->size;
	c->ops[PM_OP_BO_CLOSE]++;
}

static void op_create(struct client *c)
{
	uint64_t size = pick_size(c);
	int slot = -1, err;

	if (size > c->max_bo)
		size = c->max_bo;
	while (c->nr_live && (c->live_bytes + size > c->cap_bytes || c->nr_live >= MAX_BOS)) {
		int i = pick_bo(c, true, true);

		if (i < 0)
			return;
		do_close(c, i);
	}
	for (unsigned int i = 0; i < MAX_BOS; i++)
		if (!c->bos[i].live) {
			slot = (int)i;
			break;
		}
	if (slot < 0)
		return;
	c->ops[PM_OP_BO_CREATE]++;
	err = bo_new(c, &c->bos[slot], size);
	if (err) {
		note_failure(c, "BO_CREATE", err);
		return;
	}
	c->nr_live++;
	c->live_bytes += c->bos[slot].size;
	c->ops[PM_OP_CPU_WRITE]++;
	err = cpu_fill(c, &c->bos[slot], rng_next(&c->rng));
	if (err) {
		if (err != -EFAULT)
			note_failure(c, "mmap of a new BO", err);
		do_close(c, slot);
	}
}

static void op_write(struct client *c)
{
	int i = pick_bo(c, true, true);
	int err;

	if (i < 0 || c->bos[i].size > (1ull << 20))
		return;
	c->ops[PM_OP_CPU_WRITE]++;
	err = cpu_fill(c, &c->bos[i], rng_next(&c->rng));
	if (err == -EFAULT) {
		do_close(c, i);		/* partly rewritten: its content is unknown */
	} else if (err) {
		note_failure(c, "mmap for a pattern write", err);
	}
}

static void op_map_bo(struct client *c)
{
	int i = pick_bo(c, false, true), slot = free_slot(c), err;
	struct drm_panthor_vm_bind_op op;
	unsigned int done;

	if (i < 0 || slot < 0 || c->mapped_bytes + c->bos[i].size > c->map_cap)
		return;
	op = op_map(c->bos[i].handle, 0, slot_va(slot), c->bos[i].size);
	c->ops[PM_OP_VM_MAP]++;
	err = do_bind(c, &op, 1, rng_below(&c->rng, 2), &done);
	if (err) {
		bind_failed(c, "VM_BIND map", err);
		return;
	}
	slot_set(c, i, slot);
}

static void op_unmap_bo(struct client *c)
{
	int i = pick_bo(c, true, false), err;
	struct drm_panthor_vm_bind_op op;
	unsigned int done;

	if (i < 0)
		return;
	op = op_unmap(slot_va(c->bos[i].slot), c->bos[i].size);
	c->ops[PM_OP_VM_UNMAP]++;
	err = do_bind(c, &op, 1, rng_below(&c->rng, 2), &done);
	if (err) {
		bind_failed(c, "VM_BIND unmap", err);
		return;
	}
	slot_clear(c, i);
}

/* Move a mapped BO to another slot: unmap and map in one ioctl. */
static void op_remap_bo(struct client *c)
{
	int i = pick_bo(c, true, false), slot = free_slot(c), err;
	struct drm_panthor_vm_bind_op ops[2];
	unsigned int done;

	if (i < 0 || slot < 0)
		return;
	ops[0] = op_unmap(slot_va(c->bos[i].slot), c->bos[i].size);
	ops[1] = op_map(c->bos[i].handle, 0, slot_va(slot), c->bos[i].size);
	c->ops[PM_OP_VM_REMAP]++;
	err = do_bind(c, ops, 2, rng_below(&c->rng, 2), &done);
	if (done >= 1)
		slot_clear(c, i);
	if (done == 2)
		slot_set(c, i, slot);
	if (err)
		bind_failed(c, "VM_BIND remap", err);
}

/*
 * One vkQueueBindSparse-like batch: 1 to 8 ops in one VM_BIND, each
 * replacing a run of sparse chunks with backing pages or giving it back to
 * the dummy. Chunks a GPU job in flight reads are left alone.
 */
static void op_sparse_bind(struct client *c)
{
	struct drm_panthor_vm_bind_op ops[8];
	struct { unsigned int ch, n, off; int16_t b; } st[8];
	unsigned int nops = 1 + (unsigned int)rng_below(&c->rng, 8), k = 0, done;
	int err;

	for (unsigned int i = 0; i < nops; i++) {
		unsigned int n = 1 + (unsigned int)rng_below(&c->rng, 4);
		unsigned int ch = (unsigned int)rng_below(&c->rng, NR_CHUNKS - n + 1);
		bool to_dummy = rng_below(&c->rng, 3) == 0;
		unsigned int b = (unsigned int)rng_below(&c->rng, NR_BACKING);
		unsigned int off = (unsigned int)rng_below(&c->rng, BACKING_SIZE / CHUNK - n + 1);

		if (c->job.pending && c->job.nchunks && ch < c->job.chunk0 + c->job.nchunks &&
		    ch + n > c->job.chunk0)
			continue;	/* the GPU is reading those */
		if (to_dummy)
			ops[k] = op_sparse(SPARSE_VA + ch * CHUNK, n * CHUNK);
		else
			ops[k] = op_map(c->backing[b].handle, off * CHUNK, SPARSE_VA + ch * CHUNK,
					n * CHUNK);
		st[k].ch = ch;
		st[k].n = n;
		st[k].off = off;
		st[k].b = to_dummy ? -1 : (int16_t)b;
		k++;
	}
	if (!k)
		return;
	c->ops[PM_OP_SPARSE_BIND]++;
	err = do_bind(c, ops, k, rng_below(&c->rng, 4) != 0, &done);
	/* Ops before a failed one took effect, in order. */
	for (unsigned int i = 0; i < done; i++) {
		for (unsigned int j = 0; j < st[i].n; j++) {
			c->chunk_bo[st[i].ch + j] = st[i].b;
			c->chunk_off[st[i].ch + j] = (uint16_t)(st[i].off + j);
		}
	}
	if (err)
		bind_failed(c, "VM_BIND sparse", err);
}

/* Start a GPU copy of backed sparse chunks or of a mapped BO (the previous one is checked first). */
static void op_gpu(struct client *c)
{
	struct job *j = &c->job;
	int err;

	if (j->pending && !c->s->max_ops) {
		/*
		 * The GPU is still copying: go on with other work rather than
		 * wait (not with --ops, whose sequence must not depend on timing).
		 */
		struct drm_syncobj_wait w = {
			.handles = (uintptr_t)&c->job_sync, .count_handles = 1, .timeout_nsec = 0,
		};

		if (ioc(c, DRM_IOCTL_SYNCOBJ_WAIT, &w))
			return;
	}
	gpu_finish(c);
	if (!c->vm || !c->group)
		return;
	j->bo = -1;
	j->nchunks = 0;
	if (rng_below(&c->gpu_rng, 2)) {
		unsigned int ch = (unsigned int)rng_below(&c->gpu_rng, NR_CHUNKS), n = 0;

		while (ch < NR_CHUNKS && c->chunk_bo[ch] < 0)
			ch++;
		while (ch + n < NR_CHUNKS && c->chunk_bo[ch + n] >= 0 &&
		       (n + 1) * CHUNK <= RB_SIZE)
			n++;
		if (!n)
			return;
		j->chunk0 = ch;
		j->nchunks = n;
		err = gpu_submit_copy(c, SPARSE_VA + ch * CHUNK, n * CHUNK);
	} else {
		int i = pick_bo(c, true, false);

		if (i < 0)
			return;
		j->bo = i;
		err = gpu_submit_copy(c, slot_va(c->bos[i].slot),
				      c->bos[i].size < RB_SIZE ? c->bos[i].size : RB_SIZE);
	}
	if (err) {
		j->bo = -1;
		j->nchunks = 0;
		note_failure(c, "GROUP_SUBMIT", err);
	}
}

/*
 * The mix, in per mille: mostly binds (a sparse-heavy client, as a Vulkan
 * driver with sparse residency is), with enough BO churn and CPU writes to
 * keep the working set above the DRAM budget so that the shrinker runs.
 */
static void client_step(struct client *c)
{
	uint64_t r = rng_below(&c->rng, 1000);

	if (!c->vm) {
		vm_recreate(c);
		if (!c->vm)
			return;
	}
	/*
	 * A timed run keeps a GPU job in flight all the time, as GPU agents
	 * reading continuously: op_gpu() returns at once while the job runs,
	 * else checks it and starts the next. (With --ops, jobs start only
	 * from the mix below, so that timing cannot change the sequence.)
	 */
	if (!c->s->max_ops && c->group)
		op_gpu(c);
	if (r < 15) {
		op_create(c);
	} else if (r < 25) {
		int i = pick_bo(c, true, true);

		if (i >= 0)
			do_close(c, i);
	} else if (r < 35) {
		op_write(c);
	} else if (r < 180) {
		op_map_bo(c);
	} else if (r < 290) {
		op_unmap_bo(c);
	} else if (r < 340) {
		op_remap_bo(c);
	} else if (r < 970 || !c->group || !c->s->max_ops) {
		op_sparse_bind(c);
	} else {
		op_gpu(c);
	}
}

/* ---- the final check -------------------------------------------------------------- */

/* GPU check of @len bytes of backed sparse chunks from @chunk0, in readback-sized pieces. */
static void gpu_verify_chunks(struct client *c, unsigned int chunk0, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += RB_SIZE) {
		uint64_t n = len - off < RB_SIZE ? len - off : RB_SIZE;
		int err = -EIO;

		for (int tries = 0; tries < 1000; tries++) {
			c->job.bo = -1;
			c->job.chunk0 = chunk0 + (unsigned int)(off / CHUNK);
			c->job.nchunks = (unsigned int)(n / CHUNK);
			err = gpu_submit_copy(c, SPARSE_VA + (uint64_t)chunk0 * CHUNK + off, n);
			if (!err || !note_failure(c, "GROUP_SUBMIT (check)", err))
				break;
		}
		if (err)
			return;
		gpu_finish(c);
	}
}

/*
 * Copy [@va, @va + @n) into the readback BO and wait. A failed job (its
 * group dead) is retried on a new group. Return: true when the readback BO
 * holds the copy.
 */
static bool gpu_check_window(struct client *c, uint64_t va, uint64_t n, int *tries)
{
	for (; *tries < 100 && c->group; (*tries)++) {
		struct drm_panthor_group_get_state st = { .group_handle = c->group };
		int err;

		c->job.bo = -1;
		c->job.nchunks = 0;
		err = gpu_submit_copy(c, va, n);
		if (err) {
			if (!note_failure(c, "GROUP_SUBMIT (check)", err))
				return false;
			continue;
		}
		c->job.pending = false;
		err = wait_syncobj(c, c->job_sync);
		if (err) {
			client_error(c, "waiting for a GPU check job", err);
			return false;
		}
		if (ioc(c, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &st) || !st.state)
			return true;
		if (!c->s->faulting)
			client_error(c, "GPU check job failed, its group is dead", -EIO);
		else
			c->expected++;
		group_recreate(c);
	}
	return false;
}

static void client_verify(struct client *c)
{
	gpu_finish(c);
	wait_binds(c);
	for (unsigned int i = 0; i < NR_BACKING; i++)
		cpu_verify(c, &c->backing[i], "sparse backing BO");
	for (unsigned int i = 0; i < MAX_BOS; i++)
		if (c->bos[i].live)
			cpu_verify(c, &c->bos[i], "BO");
	if (!c->group)
		return;
	/*
	 * GPU: every BO through a mapping (made for the check and removed
	 * after it if the BO was not mapped), then the backed sparse chunks.
	 */
	for (unsigned int i = 0; i < MAX_BOS && c->group; i++) {
		struct sbo *b = &c->bos[i];
		bool temp = false;
		unsigned int done;

		if (!b->live)
			continue;
		if (b->slot < 0) {
			int slot = free_slot(c), err = -ENOSPC;
			struct drm_panthor_vm_bind_op op;

			for (int tries = 0; slot >= 0 && tries < 1000; tries++) {
				op = op_map(b->handle, 0, slot_va(slot), b->size);
				err = do_bind(c, &op, 1, false, &done);
				if (!err || !note_failure(c, "VM_BIND (check)", err))
					break;
			}
			if (err)
				continue;
			slot_set(c, (int)i, slot);
			temp = true;
		}
		/* In readback-sized windows, each checked against the pattern at its offset. */
		for (uint64_t off = 0; off < b->size && c->group; off += RB_SIZE) {
			uint64_t n = b->size - off < RB_SIZE ? b->size - off : RB_SIZE, bad;
			int tries = 0;

			if (!gpu_check_window(c, slot_va(b->slot) + off, n, &tries))
				break;
			if (!guarded_check((const uint64_t *)c->rb_cpu, b->seed, off, n, &bad)) {
				if (!note_sigbus(c, "SIGBUS reading the readback BO"))
					break;
				off -= RB_SIZE;		/* this window again */
				continue;
			}
			c->verified_gpu += n;
			c->corrupted += bad;
			if (bad && !c->first_error[0])
				snprintf(c->first_error, sizeof(c->first_error),
					 "client %u: BO (%" PRIu64 " KiB) read through the GPU: %"
					 PRIu64 " bytes wrong", c->id, b->size >> 10, bad);
		}
		if (temp) {
			struct drm_panthor_vm_bind_op op = op_unmap(slot_va(b->slot), b->size);

			if (!do_bind(c, &op, 1, false, &done))
				slot_clear(c, (int)i);
		}
	}
	for (unsigned int ch = 0; ch < NR_CHUNKS;) {
		unsigned int n = 0;

		if (c->chunk_bo[ch] < 0) {
			ch++;
			continue;
		}
		while (ch + n < NR_CHUNKS && c->chunk_bo[ch + n] >= 0 && (n + 1) * CHUNK <= RB_SIZE)
			n++;
		gpu_verify_chunks(c, ch, n * CHUNK);
		ch += n;
	}
}

static void *client_main(void *arg)
{
	struct client *c = arg;

	/* The fill is set-up: the timed run starts once every client is done with it. */
	client_fill(c);
	c->fill_binds = c->binds;
	memcpy(c->fill_ops, c->ops, sizeof(c->ops));
	__atomic_add_fetch(&c->s->filled, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->s->go, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&c->s->stop, __ATOMIC_RELAXED))
		usleep(200);
	for (uint64_t n = 0; !__atomic_load_n(&c->s->stop, __ATOMIC_RELAXED); n++) {
		if (c->s->max_ops && n == c->s->max_ops)
			break;
		client_step(c);
	}
	for (int k = 0; k < PM_OP_KINDS; k++)
		c->run_ops[k] = c->ops[k] - c->fill_ops[k];
	c->run_binds = c->binds - c->fill_binds;
	c->checking = true;	/* (read by this thread only) */
	__atomic_add_fetch(&c->s->finished, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->s->verifying, 1, __ATOMIC_RELAXED);
	client_verify(c);
	return NULL;
}

static void client_fini(struct client *c)
{
	if (!c->file)
		return;
	vm_teardown(c);
	for (unsigned int i = 0; i < MAX_BOS; i++)
		if (c->bos[i].live)
			bo_free(c, &c->bos[i]);
	if (c->cs_cpu)
		pantomime_munmap(c->cs_cpu, CS_SIZE);
	if (c->rb_cpu)
		pantomime_munmap(c->rb_cpu, RB_SIZE);
	pantomime_file_close(c->file);
	c->file = NULL;
}

/* ---- the command ----------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pantomime stress [OPTIONS]\n"
		"Run client threads that create, map, bind, write, evict and read memory on\n"
		"a model Mali GPU with less DRAM than their working set, then check every\n"
		"byte they wrote through the CPU and through the GPU.\n"
		"\n"
		"  --seconds N       how long the operations run (default 30)\n"
		"  --clients N       client threads, each with its own file and VM (default 2)\n"
		"  --memory SIZE     the device's DRAM budget (default 256M; K, M, G suffixes)\n"
		"  --swap SIZE       swap for eviction (default 1G)\n"
		"  --seed N          seed of the operation sequence (default: from the clock;\n"
		"                    the report prints it)\n"
		"  --ops N           each client runs N operations, then stops (instead of\n"
		"                    --seconds; with one client the run is repeatable exactly)\n"
		"  --fault SPEC      allocation fault injection, e.g. random=0.0005,seed=3\n"
		"                    (nth=N[,persistent], site=NAME, random[=P][,seed=S])\n"
		"  --checker MODE    the GPU model's protocol checker: off, count (default), abort\n"
		"  --gpu-nice N      nice value of the model's GPU threads, 0 to 19 (default 19:\n"
		"                    GPU jobs use the CPU the clients and the driver leave)\n"
		"  --trace FILE      write a Chrome/Perfetto trace (JSON) of the run\n"
		"  --report FILE     write a self-contained HTML report with charts\n"
		"  --dump VIEWS      at the end print gems, vms and/or pgtables (comma-separated)\n"
		"  --json            end with the report as one JSON object on one line\n"
		"  --quiet           no progress line\n"
		"  -h, --help        this text\n"
		"\n"
		"Exit status: 0 when no byte was wrong, nothing failed unexpectedly and the\n"
		"checker reported nothing; 1 otherwise; 2 for bad usage.\n");
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int pm_cmd_stress(int argc, char **argv)
{
	struct stress s = { 0 };
	struct pm_report r = { .title = "stress", .has_ops = true };
	const char *trace = NULL, *html = NULL, *fault = NULL;
	unsigned int dump = 0;
	bool json = false, quiet = false, tty = isatty(2);
	struct pm_sample *samples = NULL;
	size_t nr_samples = 0, cap_samples = 0;
	uint64_t t0, next_tick, next_progress, last_binds = 0, last_gpu = 0, gpu0 = 0;
	double last_t = 0;
	uint32_t *all_lat;
	size_t nr_all = 0;
	int ret = PM_EXIT_FAIL, err, html_err = 0;
	uint64_t v;

	s.seconds = 30;
	s.nr_clients = 2;
	s.seed = pm_now_ns() % 1000000;
	pantomime_config_default(&s.cfg);
	s.cfg.memory_bytes = 256ull << 20;
	s.cfg.swap_bytes = 1ull << 30;
	/*
	 * The job measures the driver: its GPU copies run at the lowest
	 * priority, on the CPU the clients and the driver leave (a real GPU
	 * takes none of the host's). The library's default is 10.
	 */
	s.cfg.gpu_nice = 19;
	/* The PANTOMIME_* variables apply too (the options below override them). */
	if (pantomime_config_from_env(&s.cfg)) {
		fprintf(stderr, "pantomime stress: a PANTOMIME_* variable is not valid (see above)\n");
		return PM_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '='), *val;
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		char name[32];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return PM_EXIT_OK;
		}
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			quiet = true;
			continue;
		}
		if (a[0] != '-' || a[1] != '-' || nlen >= sizeof(name))
			return pm_usage_error("stress", "unexpected argument '%s'", a);
		memcpy(name, a, nlen);
		name[nlen] = 0;
		if (strcmp(name, "--seconds") && strcmp(name, "--clients") &&
		    strcmp(name, "--memory") && strcmp(name, "--swap") && strcmp(name, "--seed") &&
		    strcmp(name, "--fault") && strcmp(name, "--checker") &&
		    strcmp(name, "--trace") && strcmp(name, "--report") && strcmp(name, "--dump") &&
		    strcmp(name, "--ops") && strcmp(name, "--gpu-nice"))
			return pm_usage_error("stress", "unknown option '%s'", a);
		val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!val)
			return pm_usage_error("stress", "option '%s' needs a value", name);
		if (!strcmp(name, "--seconds")) {
			if (pm_parse_uint(val, 1, 86400, &s.seconds))
				return pm_usage_error("stress", "--seconds: '%s' is not a number of seconds from 1 to 86400", val);
		} else if (!strcmp(name, "--clients")) {
			if (pm_parse_uint(val, 1, 64, &v))
				return pm_usage_error("stress", "--clients: '%s' is not a number from 1 to 64", val);
			s.nr_clients = (unsigned int)v;
		} else if (!strcmp(name, "--memory")) {
			if (pm_parse_size(val, &v) || v < (32ull << 20))
				return pm_usage_error("stress", "--memory: bad size '%s' (at least 32M)", val);
			s.cfg.memory_bytes = v;
		} else if (!strcmp(name, "--swap")) {
			if (pm_parse_size(val, &v))
				return pm_usage_error("stress", "--swap: bad size '%s'", val);
			s.cfg.swap_bytes = v;
		} else if (!strcmp(name, "--seed")) {
			if (pm_parse_uint(val, 0, UINT64_MAX, &s.seed))
				return pm_usage_error("stress", "--seed: '%s' is not a number", val);
		} else if (!strcmp(name, "--ops")) {
			if (pm_parse_uint(val, 1, UINT64_MAX, &s.max_ops))
				return pm_usage_error("stress", "--ops: '%s' is not a positive number", val);
			s.seconds = 86400;
		} else if (!strcmp(name, "--fault")) {
			fault = val;
		} else if (!strcmp(name, "--checker")) {
			if (!strcmp(val, "off"))
				s.cfg.checker = PANTOMIME_CHECKER_OFF;
			else if (!strcmp(val, "count"))
				s.cfg.checker = PANTOMIME_CHECKER_COUNT;
			else if (!strcmp(val, "abort"))
				s.cfg.checker = PANTOMIME_CHECKER_ABORT;
			else
				return pm_usage_error("stress", "--checker: '%s' is not off, count or abort", val);
		} else if (!strcmp(name, "--gpu-nice")) {
			if (pm_parse_uint(val, 0, 19, &v))
				return pm_usage_error("stress", "--gpu-nice: '%s' is not a number from 0 to 19", val);
			s.cfg.gpu_nice = (int)v;
		} else if (!strcmp(name, "--trace")) {
			trace = val;
		} else if (!strcmp(name, "--report")) {
			html = val;
		} else if (pm_parse_dump(val, &dump)) {
			return pm_usage_error("stress", "--dump: '%s' is not a list of gems, vms, pgtables", val);
		}
	}
	if (fault && strcmp(fault, "off")) {
		s.cfg.fault_spec = fault;
		s.faulting = true;
	}
	/* Before the device: the library's fault handler, installed later, chains to ours. */
	sigbus_install();
	err = pantomime_device_create(&s.cfg, &s.dev);
	if (err == -EINVAL && fault)
		return pm_usage_error("stress", "--fault: bad spec '%s'", fault);
	if (err) {
		fprintf(stderr, "pantomime stress: cannot create the device: %s\n", strerror(-err));
		return PM_EXIT_FAIL;
	}
	if (trace && (err = ctrace_open(trace, NULL, NULL, 0))) {
		fprintf(stderr, "pantomime stress: cannot write %s: %s\n", trace, strerror(-err));
		pantomime_device_destroy(s.dev);
		return PM_EXIT_FAIL;
	}
	s.gpu = true;
	s.clients = calloc(s.nr_clients, sizeof(*s.clients));
	if (!s.clients)
		goto out_dev;
	{
		/* GROUP_CREATE needs the shader cores present. */
		struct pantomime_file *f;
		struct drm_panthor_gpu_info gi = { 0 };
		struct drm_panthor_dev_query q = { .type = DRM_PANTHOR_DEV_QUERY_GPU_INFO,
						   .size = sizeof(gi), .pointer = (uintptr_t)&gi };

		if (!pantomime_file_open(s.dev, true, &f)) {
			if (!pantomime_ioctl(f, DRM_IOCTL_PANTHOR_DEV_QUERY, &q))
				s.shader_present = gi.shader_present;
			pantomime_file_close(f);
		}
	}
	for (unsigned int i = 0; i < s.nr_clients; i++) {
		struct client *c = &s.clients[i];

		c->s = &s;
		c->id = i;
		c->rng = s.seed * 0x100000001b3ull + i + 1;
		c->gpu_rng = ~c->rng * 0x9e3779b97f4a7c15ull;
		c->cap_bytes = (s.cfg.memory_bytes * 3 / 2) / s.nr_clients;
		if (c->cap_bytes > (s.cfg.memory_bytes + s.cfg.swap_bytes) * 7 / 10 / s.nr_clients)
			c->cap_bytes = (s.cfg.memory_bytes + s.cfg.swap_bytes) * 7 / 10 / s.nr_clients;
		/* Every client may pin its largest BO at once: keep that within half the DRAM. */
		c->max_bo = s.cfg.memory_bytes / 4 / s.nr_clients;
		if (c->max_bo > SZ_64M)
			c->max_bo = SZ_64M;
		c->max_bo &= ~(SZ_4K - 1);
		/*
		 * A GPU job needs every BO of its VM resident: the clients' mapped
		 * sets together stay within half the DRAM, the rest of the working
		 * set is evicted and restored around them.
		 */
		c->map_cap = s.cfg.memory_bytes / 2 / s.nr_clients;
		snprintf(c->track, sizeof(c->track), "gpu agent c%u", i);
		c->lat = malloc(MAX_LAT * sizeof(*c->lat));
		if (!c->lat)
			goto out_clients;
		/*
		 * With --fault, the set-up's allocations fail too: start the client
		 * again from a fresh file (closing it releases what was made).
		 */
		for (int tries = 0;; tries++) {
			err = client_init(c);
			if (!err || err != -ENOMEM || !s.faulting || tries == 100)
				break;
			c->expected++;
			client_fini(c);
			c->cs_cpu = NULL;
			c->rb_cpu = NULL;
		}
		if (err) {
			fprintf(stderr, "pantomime stress: client %u set-up failed: %s\n", i,
				strerror(-err));
			goto out_clients;
		}
	}
	if (!quiet)
		fprintf(stderr, "pantomime stress: %u clients, %" PRIu64 " s, memory %" PRIu64
			" MiB, swap %" PRIu64 " MiB, seed %" PRIu64 "%s%s\n", s.nr_clients,
			s.seconds, s.cfg.memory_bytes >> 20, s.cfg.swap_bytes >> 20, s.seed,
			fault ? ", fault " : "", fault ? fault : "");
	for (unsigned int i = 0; i < s.nr_clients; i++) {
		if (pthread_create(&s.clients[i].thread, NULL, client_main, &s.clients[i])) {
			fprintf(stderr, "pantomime stress: cannot start a thread\n");
			__atomic_store_n(&s.stop, true, __ATOMIC_RELAXED);
			for (unsigned int k = 0; k < i; k++)
				pthread_join(s.clients[k].thread, NULL);
			goto out_clients;
		}
	}
	/*
	 * Set-up: each client fills its working set (its BOs, written through
	 * the CPU). It takes about a second; a slow build (sanitizers) may take
	 * far longer, so the run starts after --seconds at most, the clients
	 * ending their fill where it is.
	 */
	if (!quiet)
		fprintf(stderr, "pantomime stress: filling the working sets...\n");
	t0 = pm_now_ns();
	while (__atomic_load_n(&s.filled, __ATOMIC_ACQUIRE) < s.nr_clients &&
	       pm_now_ns() - t0 < s.seconds * 1000000000ull)
		usleep(1000);
	{
		struct pantomime_stats st0;

		pantomime_get_stats(s.dev, &st0);
		gpu0 = last_gpu = st0.gpu_accesses;
	}
	__atomic_store_n(&s.bind_count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s.bind_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s.bind_max_ns, 0, __ATOMIC_RELAXED);
	t0 = pm_now_ns();
	__atomic_store_n(&s.go, true, __ATOMIC_RELEASE);
	/* Sample every 100 ms; progress every second; stop after --seconds. */
	next_tick = t0;
	next_progress = t0 + 1000000000ull;
	for (;;) {
		struct pantomime_stats st;
		uint64_t now = pm_now_ns(), nb, bns, bmax;
		double t = (double)(now - t0) / 1e9, dt = t - last_t;
		bool done = now - t0 >= s.seconds * 1000000000ull ||
			    __atomic_load_n(&s.finished, __ATOMIC_RELAXED) == s.nr_clients;

		pantomime_get_stats(s.dev, &st);
		nb = __atomic_exchange_n(&s.bind_count, 0, __ATOMIC_RELAXED);
		bns = __atomic_exchange_n(&s.bind_ns, 0, __ATOMIC_RELAXED);
		bmax = __atomic_exchange_n(&s.bind_max_ns, 0, __ATOMIC_RELAXED);
		if (nr_samples == cap_samples) {
			size_t ncap = cap_samples ? cap_samples * 2 : 1024;
			struct pm_sample *ns = realloc(samples, ncap * sizeof(*ns));

			if (ns) {
				samples = ns;
				cap_samples = ncap;
			}
		}
		if (nr_samples < cap_samples && dt > 0) {
			samples[nr_samples++] = (struct pm_sample){
				.t = t, .resident = (double)st.resident_bytes,
				.swap = (double)st.swap_used_bytes,
				.bind_avg_us = nb ? (double)bns / (double)nb / 1e3 : 0,
				.bind_max_us = (double)bmax / 1e3,
				.binds_per_s = (double)nb / dt,
				.gpu_per_s = (double)(st.gpu_accesses - last_gpu) / dt,
			};
		}
		last_binds += nb;
		last_gpu = st.gpu_accesses;
		last_t = t;
		if (ctrace_active()) {
			ctrace_counter("resident MiB", now, (double)st.resident_bytes / 1048576.0);
			ctrace_counter("free MiB", now, (double)(s.cfg.memory_bytes -
				       (st.resident_bytes < s.cfg.memory_bytes ? st.resident_bytes :
					s.cfg.memory_bytes)) / 1048576.0);
			ctrace_counter("swap used MiB", now, (double)st.swap_used_bytes / 1048576.0);
		}
		if (!quiet && (now >= next_progress || done)) {
			fprintf(stderr, "%s[%3.0f/%" PRIu64 " s] binds %" PRIu64 " (%.0f/s)  gpu accesses %"
				PRIu64 "  evictions %" PRIu64 "  restores %" PRIu64 "  resident %" PRIu64
				" MiB  swap %" PRIu64 " MiB%s", tty ? "\r" : "", t, s.seconds,
				last_binds, t > 0 ? (double)last_binds / t : 0.0, st.gpu_accesses,
				st.evictions, st.restores, st.resident_bytes >> 20,
				st.swap_used_bytes >> 20, tty ? "   " : "\n");
			next_progress += 1000000000ull;
		}
		if (done) {
			r.gpu_accesses = st.gpu_accesses - gpu0;
			break;
		}
		next_tick += 100000000ull;
		now = pm_now_ns();
		if (next_tick > now)
			usleep((useconds_t)((next_tick - now) / 1000));
	}
	r.seconds = (double)(pm_now_ns() - t0) / 1e9;
	__atomic_store_n(&s.stop, true, __ATOMIC_RELAXED);
	if (!quiet)
		fprintf(stderr, "%spantomime stress: checking every byte (CPU and GPU)...\n",
			tty ? "\n" : "");
	for (unsigned int i = 0; i < s.nr_clients; i++)
		pthread_join(s.clients[i].thread, NULL);

	/* Gather. */
	r.memory_bytes = s.cfg.memory_bytes;
	r.swap_bytes = s.cfg.swap_bytes;
	for (unsigned int i = 0; i < s.nr_clients; i++)
		nr_all += s.clients[i].nr_lat;
	all_lat = malloc((nr_all ? nr_all : 1) * sizeof(*all_lat));
	nr_all = 0;
	for (unsigned int i = 0; i < s.nr_clients; i++) {
		struct client *c = &s.clients[i];

		for (int k = 0; k < PM_OP_KINDS; k++)
			r.ops[k] += c->run_ops[k];
		r.binds += c->run_binds;
		r.check_binds += c->binds - c->fill_binds - c->run_binds;
		r.expected_faults += c->expected;
		r.unexpected_faults += c->unexpected;
		r.corrupted_bytes += c->corrupted;
		r.bytes_verified_cpu += c->verified_cpu;
		r.bytes_verified_gpu += c->verified_gpu;
		if (all_lat) {
			memcpy(all_lat + nr_all, c->lat, c->nr_lat * sizeof(*all_lat));
			nr_all += c->nr_lat;
		}
		if (c->first_error[0])
			fprintf(stderr, "pantomime stress: %s\n", c->first_error);
	}
	if (all_lat && nr_all) {
		qsort(all_lat, nr_all, sizeof(*all_lat), cmp_u32);
		r.bind_p50_us = all_lat[nr_all / 2] / 1e3;
		r.bind_p90_us = all_lat[nr_all * 9 / 10] / 1e3;
		r.bind_p99_us = all_lat[nr_all * 99 / 100] / 1e3;
		r.bind_max_us = all_lat[nr_all - 1] / 1e3;
	}
	free(all_lat);
	pantomime_get_stats(s.dev, &r.st);
	r.check_gpu_accesses = r.st.gpu_accesses - gpu0 - r.gpu_accesses;
	r.unexpected_faults += r.st.mmu_faults;
	r.gpu_note = s.gpu_note;
	r.samples = samples;
	r.nr_samples = nr_samples;
	for (int v2 = 0; v2 <= PANTOMIME_VIEW_PGTABLES; v2++)
		if (dump & (1u << v2))
			pantomime_dump(s.dev, (enum pantomime_view)v2, stdout);
	if (r.st.checker_violations)
		pantomime_dump(s.dev, PANTOMIME_VIEW_CHECKER, stderr);
	pm_report_print(&r, stdout);
	if (html && (html_err = pm_report_html(&r, html)))
		fprintf(stderr, "pantomime stress: cannot write %s: %s\n", html, strerror(-html_err));
	if (json)
		pm_report_json(&r, stdout);
	ret = pm_report_ok(&r) && !html_err ? PM_EXIT_OK : PM_EXIT_FAIL;
out_clients:
	for (unsigned int i = 0; i < s.nr_clients; i++) {
		client_fini(&s.clients[i]);
		free(s.clients[i].lat);
	}
	free(s.clients);
out_dev:
	if (trace && (err = ctrace_close())) {
		fprintf(stderr, "pantomime stress: writing %s failed: %s\n", trace, strerror(-err));
		ret = PM_EXIT_FAIL;
	}
	pantomime_device_destroy(s.dev);
	free(samples);
	return ret;
}
