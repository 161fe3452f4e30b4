// SPDX-License-Identifier: MIT
/*
 * DOC: the ioctl fuzzer
 *
 * A libFuzzer target: each input is decoded into a sequence of operations
 * on one device with two open files — every ioctl of the uAPI with
 * arbitrary arguments, mmap/munmap of BOs, CPU touches of the mappings, GPU
 * reads and writes through a job on a VM (the driver's access port), groups
 * and their submits (command streams read from the fuzzed BOs, so GPU work
 * through the public API too; a looping stream ends at a 20 ms job
 * timeout), tiler heaps, PRIME export and import between the files, shrinker runs, and
 * allocation failures injected into the next operation.
 *
 * Decoding: one byte picks the file (bit 0) and the operation; the
 * operation's fields come from the following bytes, mostly through tables
 * of interesting values (sizes around page and block boundaries, VAs in
 * and around the user/kernel split, small handles) with an escape to raw
 * 32/64-bit values. User pointers are NULL, a wild address, or the
 * fuzzer's own scratch buffer; in raw argument bytes any 64-bit word that
 * could be a user address is made wild, so the "kernel" never writes into
 * the fuzzer's own memory.
 *
 * After each input, with both files still open: panthor_vm_validate() of
 * every VM, the isolation walk of both files (tests/reliability/rel_leaves.h),
 * mm_validate(), no checker violation, no WARN_ON hit, no lockdep report;
 * then both files are closed and the frames and heap blocks in use must be
 * back at their values before the input. Any failure aborts (libFuzzer
 * keeps the input as a crash). The device lives across inputs (files do
 * not), which keeps an execution around a tenth of a millisecond.
 *
 * The same file builds with gcc into the reliability suite's replay test
 * (LLVMFuzzerTestOneInput() over fuzz/corpus/ and fuzz/regressions/).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>

#include "pantomime/pantomime.h"
#include "uapi/drm/panthor_drm.h"

#include "dma/dma_buf.h"
#include "dma/sync_file.h"
#include "hw/hw.h"
#include "mm/mm.h"
#include "panthor/panthor_debug.h"
#include "panthor/panthor_device.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_mmu.h"
#include "panthor/panthor_sched.h"
#include "util/u_alloc.h"
#include "util/u_fault.h"
#include "util/u_lockdep.h"
#include "util/u_log.h"
#include "../tests/reliability/rel_leaves.h"

#include "fuzz_ioctl.h"

#define WILD 0xdead000000000ull
#define MAX_OPS 96
#define MAX_MAPS 16
#define MAX_FDS 16

struct in {
	const uint8_t *p;
	size_t n;
};

struct cpu_map {
	uint8_t *addr;
	size_t len;
};

struct fz {
	struct pantomime_file *f[2];
	struct cpu_map maps[MAX_MAPS];
	unsigned int nmaps;
	int fds[MAX_FDS];
	unsigned int nfds;
	bool fault_armed;
	_Alignas(16) uint8_t scratch[4096];
};

static struct pantomime_device *dev;
static long base_frames, base_allocs;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pantomime-fuzz: invariant violated: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ------------------------------------------------------------ decoding */

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t u32(struct in *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)u8(in) << (8 * i);
	return v;
}

static uint64_t u64(struct in *in)
{
	return u32(in) | (uint64_t)u32(in) << 32;
}

static const uint64_t sizes[] = {
	0, 4096, 8192, 12288, 65536, 1ull << 20, 2ull << 20, (2ull << 20) + 4096,
	4ull << 20, 1, 4095, 1ull << 30, 1ull << 47, UINT64_MAX, UINT64_MAX - 4095, 0x800,
};

static uint64_t pick_size(struct in *in)
{
	uint8_t b = u8(in);

	if (b < 224)
		return sizes[b % 16] + (b >= 128 ? (uint64_t)(b & 7) * 4096 : 0);
	return u64(in);
}

static const uint64_t vas[] = {
	0, 4096, 2ull << 20, 16ull << 20, 32ull << 20, 64ull << 20, 1ull << 32,
	(1ull << 47) - (2ull << 20), 1ull << 47, 1ull << 48, UINT64_MAX - 4095, 0x800,
	512ull << 20, 30ull << 20, 256ull << 20, (1ull << 32) - 4096,
};

static uint64_t pick_va(struct in *in)
{
	uint8_t b = u8(in);

	if (b < 240)
		return vas[b % 16] + (uint64_t)(u8(in) & 0x3f) * 4096;
	return u64(in);
}

static uint32_t pick_handle(struct in *in)
{
	uint8_t b = u8(in);

	return b < 248 ? b % 7 : u32(in);
}

static uint64_t pick_ptr(struct fz *z, struct in *in)
{
	switch (u8(in) % 8) {
	case 0:
		return 0;
	case 1:
		return WILD;
	default:
		return (uintptr_t)z->scratch;
	}
}

/* The scratch buffer as @count handles (array arguments). */
static void fill_handles(struct in *in, struct fz *z, uint32_t count)
{
	uint32_t *h = (uint32_t *)z->scratch;

	for (uint32_t i = 0; i < count && i < 64; i++)
		h[i] = pick_handle(in);
}

/* Raw argument bytes: any word that could be a user address becomes wild. */
static void defang(uint8_t *arg, size_t len)
{
	for (size_t off = 0; off + 8 <= len; off += 8) {
		uint64_t v;

		memcpy(&v, arg + off, 8);
		if (v >= 0x10000 && !(v >> 47)) {
			v = WILD | (v & 0xfff);
			memcpy(arg + off, &v, 8);
		}
	}
}

/* ------------------------------------------------------------ operations */

static int ioc(struct fz *z, int fi, unsigned long req, void *arg)
{
	return pantomime_ioctl(z->f[fi], req, arg);
}

static void op_vm_bind(struct fz *z, int fi, struct in *in)
{
	static const uint32_t types[] = {
		DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP,
		DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY,
		DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE |
			DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC,
		DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_READONLY,
		DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC |
			DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED,
		DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE,
	};
	static const uint32_t sync_flags[] = {
		DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		DRM_PANTHOR_SYNC_OP_WAIT | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ,
		DRM_PANTHOR_SYNC_OP_WAIT | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ,
	};
	struct drm_panthor_vm_bind_op ops[4];
	struct drm_panthor_sync_op syncs[4][2];
	struct drm_panthor_vm_bind b = { 0 };
	uint8_t sel = u8(in);
	uint32_t count = sel % 5;

	memset(ops, 0, sizeof(ops));
	memset(syncs, 0, sizeof(syncs));
	b.vm_id = pick_handle(in);
	b.flags = (sel & 0x80) ? DRM_PANTHOR_VM_BIND_ASYNC : 0;
	if ((sel & 0x70) == 0x70)
		b.flags = u32(in);
	for (uint32_t i = 0; i < count; i++) {
		uint8_t t = u8(in);

		ops[i].flags = t < 240 ? types[t % 7] : u32(in);
		ops[i].bo_handle = ops[i].flags == DRM_PANTHOR_VM_BIND_OP_TYPE_MAP ||
				   (t & 0x80) ? pick_handle(in) : 0;
		ops[i].bo_offset = (t & 0x40) ? pick_size(in) & ~0xfffull : 0;
		ops[i].va = pick_va(in);
		ops[i].size = pick_size(in);
		if (b.flags & DRM_PANTHOR_VM_BIND_ASYNC) {
			uint8_t s = u8(in);
			uint32_t n = s % 3;

			for (uint32_t k = 0; k < n; k++) {
				uint8_t f = u8(in);

				syncs[i][k].flags = f < 248 ? sync_flags[f % 4] : u32(in);
				syncs[i][k].handle = pick_handle(in);
				syncs[i][k].timeline_value = (f & 0x4) ? u8(in) % 8 : 0;
			}
			ops[i].syncs.stride = (s & 0x80) ? u8(in) % 40 : sizeof(syncs[i][0]);
			ops[i].syncs.count = n;
			ops[i].syncs.array = (s & 0x40) && (s & 0x20) ? WILD : (uintptr_t)syncs[i];
		}
	}
	b.ops.stride = (sel & 0x08) && (sel & 0x04) ? u8(in) % 72 : sizeof(ops[0]);
	b.ops.count = count;
	b.ops.array = (sel & 0x60) == 0x60 ? WILD : (uintptr_t)ops;
	(void)ioc(z, fi, DRM_IOCTL_PANTHOR_VM_BIND, &b);
}

static void op_mmap(struct fz *z, int fi, struct in *in)
{
	struct drm_panthor_bo_mmap_offset mo = { .handle = pick_handle(in) };
	size_t len = (size_t)(u8(in) % 8 + 1) * 4096;
	uint64_t skip = (uint64_t)(u8(in) % 4) * 4096;
	void *p;

	if (ioc(z, fi, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo) || z->nmaps == MAX_MAPS)
		return;
	if (pantomime_mmap(z->f[fi], NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			   mo.offset + skip, &p))
		return;
	z->maps[z->nmaps++] = (struct cpu_map){ p, len };
}

static void op_munmap(struct fz *z, struct in *in)
{
	struct cpu_map *m;
	size_t pages;

	if (!z->nmaps)
		return;
	m = &z->maps[u8(in) % z->nmaps];
	pages = u8(in) % (m->len / 4096) + 1;
	if (pantomime_munmap(m->addr, pages * 4096))
		die("munmap of a live mapping failed");
	m->addr += pages * 4096;
	m->len -= pages * 4096;
	if (!m->len)
		*m = z->maps[--z->nmaps];
}

/*
 * A CPU fault that cannot allocate (memory exhausted, or an injected
 * failure) is a SIGBUS to the faulting thread, as for a GEM mapping on
 * Linux: the touch is abandoned; the mapping stays usable.
 */
static sigjmp_buf touch_jmp;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	siglongjmp(touch_jmp, 1);
}

static void op_touch(struct fz *z, struct in *in)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO }, old;
	struct cpu_map *m;
	size_t off;
	volatile bool write;

	if (!z->nmaps)
		return;
	m = &z->maps[u8(in) % z->nmaps];
	off = (size_t)u32(in) % m->len;
	write = u8(in) & 1;
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(touch_jmp, 1) == 0) {
		if (write)
			m->addr[off] = (uint8_t)(m->addr[off] + 1);
		else
			(void)*(volatile uint8_t *)&m->addr[off];
	}
	sigaction(SIGBUS, &old, NULL);
}

static void keep_fd(struct fz *z, int fd)
{
	if (fd < 0)
		return;
	if (z->nfds == MAX_FDS) {
		close(fd);
		return;
	}
	z->fds[z->nfds++] = fd;
}

static void op_syncobj(struct fz *z, int fi, struct in *in)
{
	uint8_t sel = u8(in);

	switch (sel % 10) {
	case 0: {
		struct drm_syncobj_create c = { .flags = (sel & 0x10) ? DRM_SYNCOBJ_CREATE_SIGNALED :
							  (sel & 0x20) ? u32(in) : 0 };

		(void)ioc(z, fi, DRM_IOCTL_SYNCOBJ_CREATE, &c);
		break;
	}
	case 1: {
		struct drm_syncobj_destroy d = { .handle = pick_handle(in) };

		(void)ioc(z, fi, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
		break;
	}
	case 2:
	case 3: {
		struct drm_syncobj_array a = { .count_handles = u8(in) % 4 };

		fill_handles(in, z, a.count_handles);
		a.handles = pick_ptr(z, in);
		(void)ioc(z, fi, sel % 10 == 2 ? DRM_IOCTL_SYNCOBJ_SIGNAL : DRM_IOCTL_SYNCOBJ_RESET,
			  &a);
		break;
	}
	case 4: {
		/* Never blocks: an absolute timeout of 0. */
		struct drm_syncobj_wait w = { .count_handles = u8(in) % 4, .flags = u8(in) % 16 };

		fill_handles(in, z, w.count_handles);
		w.handles = pick_ptr(z, in);
		(void)ioc(z, fi, DRM_IOCTL_SYNCOBJ_WAIT, &w);
		break;
	}
	case 5: {
		struct drm_syncobj_timeline_array a = { .count_handles = u8(in) % 3,
							.flags = u8(in) % 4 };
		uint64_t *points = (uint64_t *)(z->scratch + 2048);

		fill_handles(in, z, a.count_handles);
		for (uint32_t i = 0; i < a.count_handles; i++)
			points[i] = u8(in) % 8;
		a.handles = pick_ptr(z, in);
		a.points = (sel & 0x10) ? WILD : (uintptr_t)points;
		(void)ioc(z, fi, (sel & 0x20) ? DRM_IOCTL_SYNCOBJ_QUERY :
			  DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &a);
		break;
	}
	case 6: {
		struct drm_syncobj_transfer t = {
			.src_handle = pick_handle(in), .dst_handle = pick_handle(in),
			.src_point = u8(in) % 8, .dst_point = u8(in) % 8, .flags = u8(in) % 4,
		};

		(void)ioc(z, fi, DRM_IOCTL_SYNCOBJ_TRANSFER, &t);
		break;
	}
	case 7: {
		struct drm_syncobj_handle h = { .handle = pick_handle(in), .flags = u8(in) % 4 };

		if (!ioc(z, fi, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h))
			keep_fd(z, h.fd);
		break;
	}
	case 8: {
		struct drm_syncobj_handle h = { .handle = pick_handle(in), .flags = u8(in) % 4 };
		uint8_t f = u8(in);

		h.fd = z->nfds && f < 200 ? z->fds[f % z->nfds] : (f & 1) ? -1 : 0;
		(void)ioc(z, fi, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &h);
		break;
	}
	default: {
		struct drm_syncobj_timeline_wait w = { .count_handles = u8(in) % 3,
						       .flags = u8(in) % 16 };
		uint64_t *points = (uint64_t *)(z->scratch + 2048);

		fill_handles(in, z, w.count_handles);
		for (uint32_t i = 0; i < w.count_handles; i++)
			points[i] = u8(in) % 8;
		w.handles = (uintptr_t)z->scratch;
		w.points = (uintptr_t)points;
		(void)ioc(z, fi, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
		break;
	}
	}
}

static void op_misc(struct fz *z, int fi, struct in *in)
{
	uint8_t sel = u8(in);

	switch (sel % 7) {
	case 0: {
		struct drm_panthor_bo_set_label l = { .handle = pick_handle(in) };
		uint8_t k = u8(in);

		memcpy(z->scratch + 3000, "fuzz-label", 11);
		l.label = k % 3 == 0 ? 0 : k % 3 == 1 ? WILD : (uintptr_t)(z->scratch + 3000);
		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &l);
		break;
	}
	case 1: {
		struct drm_panthor_bo_query_info q = { .handle = pick_handle(in) };

		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &q);
		break;
	}
	case 2: {
		struct drm_panthor_bo_sync_op op = {
			.handle = pick_handle(in), .type = u8(in) % 3, .offset = pick_size(in),
			.size = pick_size(in),
		};
		struct drm_panthor_bo_sync s = {
			.ops = { .stride = (sel & 0x80) ? u8(in) % 32 : sizeof(op), .count = u8(in) % 2,
				 .array = (sel & 0x40) ? WILD : (uintptr_t)&op },
		};

		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_BO_SYNC, &s);
		break;
	}
	case 3: {
		struct drm_panthor_dev_query q = { .type = u8(in) % 7, .size = u8(in) };

		q.pointer = pick_ptr(z, in);
		if (q.size > 256)
			q.size = 256;
		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_DEV_QUERY, &q);
		break;
	}
	case 4: {
		struct drm_panthor_vm_get_state s = { .vm_id = pick_handle(in) };

		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_VM_GET_STATE, &s);
		break;
	}
	case 5: {
		struct drm_get_cap c = { .capability = u8(in) % 24 };

		(void)ioc(z, fi, DRM_IOCTL_GET_CAP, &c);
		break;
	}
	default: {
		struct drm_version v = { 0 };

		v.name_len = u8(in) % 16;
		v.name = (char *)(uintptr_t)pick_ptr(z, in);
		(void)ioc(z, fi, DRM_IOCTL_VERSION, &v);
		break;
	}
	}
}

static const unsigned long raw_requests[] = {
	DRM_IOCTL_VERSION, DRM_IOCTL_GET_CAP, DRM_IOCTL_SET_CLIENT_CAP, DRM_IOCTL_GEM_CLOSE,
	DRM_IOCTL_SYNCOBJ_CREATE, DRM_IOCTL_SYNCOBJ_DESTROY, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
	DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, DRM_IOCTL_SYNCOBJ_RESET, DRM_IOCTL_SYNCOBJ_SIGNAL,
	DRM_IOCTL_SYNCOBJ_QUERY, DRM_IOCTL_SYNCOBJ_TRANSFER, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
	DRM_IOCTL_PANTHOR_DEV_QUERY, DRM_IOCTL_PANTHOR_VM_CREATE, DRM_IOCTL_PANTHOR_VM_DESTROY,
	DRM_IOCTL_PANTHOR_VM_BIND, DRM_IOCTL_PANTHOR_VM_GET_STATE, DRM_IOCTL_PANTHOR_BO_CREATE,
	DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, DRM_IOCTL_PANTHOR_GROUP_CREATE,
	DRM_IOCTL_PANTHOR_GROUP_DESTROY, DRM_IOCTL_PANTHOR_GROUP_SUBMIT,
	DRM_IOCTL_PANTHOR_GROUP_GET_STATE, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE,
	DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, DRM_IOCTL_PANTHOR_BO_SET_LABEL,
	DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, DRM_IOCTL_PANTHOR_BO_SYNC,
	DRM_IOCTL_PANTHOR_BO_QUERY_INFO, DRM_IOCTL_PRIME_HANDLE_TO_FD, DRM_IOCTL_PRIME_FD_TO_HANDLE,
};

/* An arbitrary argument (waits excluded: they could block). */
static void op_raw(struct fz *z, int fi, struct in *in)
{
	_Alignas(16) uint8_t arg[160];
	uint8_t sel = u8(in);
	unsigned long req;
	size_t len = u8(in) % sizeof(arg);

	if (sel < 240) {
		req = raw_requests[sel % (sizeof(raw_requests) / sizeof(raw_requests[0]))];
	} else {
		req = u32(in);
		/* Any number, size and direction; but a wait must not block (SYNCOBJ_WAIT, TIMELINE_WAIT). */
		if ((_IOC_NR(req) == 0xc3 || _IOC_NR(req) == 0xca) && _IOC_TYPE(req) == 'd')
			return;
	}
	memset(arg, 0, sizeof(arg));
	for (size_t i = 0; i < len; i++)
		arg[i] = u8(in);
	defang(arg, sizeof(arg));
	if (req == DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD || req == DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE ||
	    req == DRM_IOCTL_PRIME_HANDLE_TO_FD || req == DRM_IOCTL_PRIME_FD_TO_HANDLE) {
		/* The fd field (offset 8 in both structs): ours or none, never the fuzzer's own. */
		int32_t *fd = (int32_t *)(arg + 8);

		*fd = z->nfds ? z->fds[(uint32_t)*fd % z->nfds] : -1;
		if (!ioc(z, fi, req, arg) && (req == DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD ||
					       req == DRM_IOCTL_PRIME_HANDLE_TO_FD))
			keep_fd(z, *fd);
		return;
	}
	if (req == DRM_IOCTL_PANTHOR_BO_SET_LABEL)
		((struct drm_panthor_bo_set_label *)arg)->label = WILD;
	(void)ioc(z, fi, req, arg);
}

static struct panthor_vm *lookup_vm(struct fz *z, int fi, uint32_t id)
{
	return panthor_vm_pool_get_vm(&pantomime_debug_pfile(z->f[fi])->vms, id);
}

static void op_gpu(struct fz *z, int fi, struct in *in)
{
	struct panthor_vm *vm = lookup_vm(z, fi, pick_handle(in));
	uint64_t va = pick_va(in) + (u8(in) & 0xf8);
	uint64_t v = u64(in);

	if (!vm)
		return;
	if (v & 1)
		(void)panthor_vm_gpu_write(vm, va, &v, 8, NULL);
	else
		(void)panthor_vm_gpu_read(vm, va, &v, 8, NULL);
	panthor_vm_put(vm);
}

static void op_group(struct fz *z, int fi, struct in *in)
{
	uint8_t sel = u8(in);

	switch (sel % 6) {
	case 0: {
		struct drm_panthor_queue_create qc[2] = { { .ringbuf_size = 4096 },
							  { .ringbuf_size = 4096 } };
		struct drm_panthor_group_create c = {
			.queues = { .stride = sizeof(qc[0]), .count = u8(in) % 3,
				    .array = (uintptr_t)qc },
			.max_compute_cores = 1, .max_fragment_cores = 1, .max_tiler_cores = 1,
			.priority = u8(in) % 4, .vm_id = pick_handle(in),
		};
		struct panthor_device *ptdev = pantomime_debug_ptdev(dev);

		c.compute_core_mask = c.fragment_core_mask = ptdev->gpu_info.shader_present;
		c.tiler_core_mask = ptdev->gpu_info.tiler_present;
		if (sel & 0x80)
			c.queues.stride = u8(in) % 16;
		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_GROUP_CREATE, &c);
		break;
	}
	case 1: {
		struct drm_panthor_sync_op sync = {
			.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		};
		struct drm_panthor_queue_submit qs = {
			.queue_index = u8(in) % 2, .stream_addr = pick_va(in) & ~7ull,
			.stream_size = (u8(in) % 9) * 8,
		};
		struct drm_panthor_group_submit s = {
			.group_handle = pick_handle(in),
			.queue_submits = { .stride = sizeof(qs), .count = u8(in) % 2,
					   .array = (uintptr_t)&qs },
		};
		uint8_t f = u8(in);

		if (f & 1) {
			sync.flags = f & 2 ? sync.flags : DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ;
			sync.handle = pick_handle(in);
			qs.syncs = (struct drm_panthor_obj_array){ .stride = sizeof(sync), .count = 1,
								   .array = (uintptr_t)&sync };
		}
		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &s);
		break;
	}
	case 2: {
		struct drm_panthor_group_destroy d = { .group_handle = pick_handle(in) };

		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &d);
		break;
	}
	case 3: {
		struct drm_panthor_group_get_state g = { .group_handle = pick_handle(in) };

		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &g);
		break;
	}
	case 4: {
		struct drm_panthor_tiler_heap_create h = {
			.vm_id = pick_handle(in), .initial_chunk_count = u8(in) % 4,
			.chunk_size = (sel & 0x40) ? u32(in) : 128u << 10, .max_chunks = u8(in) % 8,
			.target_in_flight = u8(in) % 4,
		};

		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &h);
		break;
	}
	default: {
		struct drm_panthor_tiler_heap_destroy d = { .handle = pick_handle(in) };

		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, &d);
		break;
	}
	}
}

static void op_prime(struct fz *z, int fi, struct in *in)
{
	uint8_t sel = u8(in);
	struct drm_prime_handle p = { .fd = -1 };

	if (sel & 1) {
		p.handle = pick_handle(in);
		p.flags = (sel & 2) ? DRM_CLOEXEC : (sel & 4) ? u32(in) : DRM_CLOEXEC | DRM_RDWR;
		if (!ioc(z, fi, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
			keep_fd(z, p.fd);
	} else {
		uint8_t f = u8(in);

		p.fd = z->nfds && f < 200 ? z->fds[f % z->nfds] : (f & 1) ? -1 : 0;
		(void)ioc(z, fi, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);
	}
}

static void run_op(struct fz *z, struct in *in)
{
	uint8_t b = u8(in);
	int fi = b & 1;
	bool was_armed = z->fault_armed;

	switch ((b >> 1) % 17) {
	case 0: {
		struct drm_panthor_bo_create c = { .size = pick_size(in) };
		uint8_t f = u8(in);

		c.flags = f % 8;
		c.exclusive_vm_id = (f & 0x10) ? pick_handle(in) : 0;
		c.pad = (f & 0xe0) == 0xe0;
		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_BO_CREATE, &c);
		break;
	}
	case 1: {
		struct drm_gem_close c = { .handle = pick_handle(in) };

		(void)ioc(z, fi, DRM_IOCTL_GEM_CLOSE, &c);
		break;
	}
	case 2: {
		struct drm_panthor_vm_create c = { 0 };
		uint8_t f = u8(in);

		c.flags = f >= 250 ? u32(in) : 0;
		c.user_va_range = f % 4 == 0 ? 0 : f % 4 == 1 ? 1ull << 32 :
				  f % 4 == 2 ? (1ull << 47) + 4096 : u64(in);
		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_VM_CREATE, &c);
		break;
	}
	case 3: {
		struct drm_panthor_vm_destroy d = { .id = pick_handle(in) };

		(void)ioc(z, fi, DRM_IOCTL_PANTHOR_VM_DESTROY, &d);
		break;
	}
	case 4:
	case 5:
		op_vm_bind(z, fi, in);
		break;
	case 6:
		op_mmap(z, fi, in);
		break;
	case 7:
		op_munmap(z, in);
		break;
	case 8:
		op_touch(z, in);
		break;
	case 9:
		op_syncobj(z, fi, in);
		break;
	case 10:
		op_misc(z, fi, in);
		break;
	case 11:
		op_raw(z, fi, in);
		break;
	case 12:
		op_gpu(z, fi, in);
		break;
	case 13:
		(void)panthor_gem_shrink(pantomime_debug_ptdev(dev), (unsigned long)u8(in) * 64,
					 u8(in) & 1);
		break;
	case 15:
		op_group(z, fi, in);
		break;
	case 16:
		op_prime(z, fi, in);
		break;
	case 14: {
		/* Fail an allocation point of the next operation (then stop injecting). */
		uint8_t f = u8(in);

		u_fault_set_nth(f % 24 + 1, f & 0x80);
		z->fault_armed = true;
		return;
	}
	}
	if (was_armed) {
		u_fault_disable();
		z->fault_armed = false;
	}
}

/* ------------------------------------------------------------ invariants */

static void check_files(struct fz *z)
{
	struct panthor_device *ptdev = pantomime_debug_ptdev(dev);
	char why[320];

	for (int fi = 0; fi < 2; fi++) {
		for (uint32_t id = 1; id <= PANTHOR_MAX_VMS_PER_FILE; id++) {
			struct panthor_vm *vm = lookup_vm(z, fi, id);
			int ret;

			if (!vm)
				continue;
			ret = panthor_vm_validate(vm);
			panthor_vm_put(vm);
			if (ret)
				die("file %d VM %u: panthor_vm_validate() %d", fi, id, ret);
		}
		if (rel_check_leaves(z->f[fi], z->f[!fi], NULL, why, sizeof(why)))
			die("file %d: isolation: %s", fi, why);
	}
	if (mm_validate())
		die("mm_validate()");
	if (hw_checker_violations(ptdev->hw)) {
		pantomime_dump(dev, PANTOMIME_VIEW_CHECKER, stderr);
		die("%lu checker violations", hw_checker_violations(ptdev->hw));
	}
}

static long frames_in_use(void)
{
	struct panthor_device *ptdev = pantomime_debug_ptdev(dev);

	return (long)mm_budget_used(ptdev->budget) - (long)panthor_mmu_pt_pool_frames(ptdev);
}

static void drop_log(void *cookie, enum u_log_level level, const char *line)
{
	(void)cookie;
	(void)level;
	(void)line;
}

static void setup(void)
{
	struct pantomime_config cfg;

	if (!getenv("PANTOMIME_FUZZ_LOG"))
		u_log_set_sink(drop_log, NULL);
	u_lockdep_set_enabled(true);
	pantomime_config_default(&cfg);
	cfg.memory_bytes = 64ull << 20;
	cfg.swap_bytes = 32ull << 20;
	if (pantomime_device_create(&cfg, &dev))
		die("device_create");
	/* The device's table of files keeps its capacity: grow it before the baseline. */
	{
		struct pantomime_file *f[2];

		for (int fi = 0; fi < 2; fi++)
			if (pantomime_file_open(dev, true, &f[fi]))
				die("file_open");
		for (int fi = 0; fi < 2; fi++)
			pantomime_file_close(f[fi]);
	}
	/* A stream that loops ends at the job timeout: keep it short. */
	panthor_sched_set_job_timeout_ms(pantomime_debug_ptdev(dev), 20);
	base_frames = frames_in_use();
	base_allocs = u_alloc_live();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	unsigned long warns, lockdep;
	struct fz *z;

	if (!dev)
		setup();
	warns = u_warn_count();
	lockdep = u_lockdep_reports();
	z = calloc(1, sizeof(*z));
	if (!z)
		abort();
	for (int fi = 0; fi < 2; fi++)
		if (pantomime_file_open(dev, true, &z->f[fi]))
			die("file_open");
	for (int n = 0; n < MAX_OPS && in.n; n++)
		run_op(z, &in);
	u_fault_disable();

	check_files(z);
	for (unsigned int i = 0; i < z->nmaps; i++)
		if (pantomime_munmap(z->maps[i].addr, z->maps[i].len))
			die("munmap at the end");
	for (unsigned int i = 0; i < z->nfds; i++)
		close(z->fds[i]);
	for (int fi = 0; fi < 2; fi++)
		pantomime_file_close(z->f[fi]);
	free(z);
	sync_file_gc();
	dma_buf_gc();
	panthor_mmu_wait_cleanup(pantomime_debug_ptdev(dev));
	if (frames_in_use() != base_frames)
		die("frames in use %ld after closing both files, %ld before", frames_in_use(),
		    base_frames);
	if (u_alloc_live() != base_allocs)
		die("heap blocks %ld after closing both files, %ld before", u_alloc_live(),
		    base_allocs);
	if (mm_validate())
		die("mm_validate() after closing the files");
	if (u_warn_count() != warns)
		die("%lu WARN_ON hit", u_warn_count() - warns);
	if (u_lockdep_reports() != lockdep)
		die("%lu lockdep reports", u_lockdep_reports() - lockdep);
	return 0;
}

void pantomime_fuzz_teardown(void)
{
	pantomime_device_destroy(dev);
	dev = NULL;
	u_log_set_sink(NULL, NULL);
}
