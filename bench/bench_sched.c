// SPDX-License-Identifier: MIT
/*
 * DOC: benchmark suite "sched"
 *
 * Command streams run through the whole driver: GROUP_SUBMIT at driver
 * level (panthor_group_submit()), the queue thread, a hardware queue slot of
 * the default G610-like model (checker on), the JOB interrupt, the fence.
 *
 *  stream_copy   ns per translated 8-byte data access of a stream that
 *                copies 64 KiB of a BO to another 64 KiB of it, eight times
 *                per job: each inner iteration is eight LOAD_MULTIPLE of a register
 *                pair (one 8-byte read each) and eight STORE_MULTIPLE of it
 *                (one 8-byte write each), two ADD_IMMEDIATE64 moving the
 *                pointers on, an ADD_IMMEDIATE32 counter and a BRANCH back:
 *                16 data accesses and 20 instruction fetches (also 8-byte
 *                reads through the MMU) per 64 bytes copied. 16 jobs of
 *                8192 iterations back to back, from the first submit to
 *                the last fence. Source, destination and code pages sit in
 *                distinct sets of the executor's direct-mapped 64-entry
 *                TLB (source and destination 128 KiB apart, the code page
 *                at set 48), so the loop measures TLB hits. Baseline: the same 8-byte loads and stores
 *                by the host from a plain buffer (ns per access). The table
 *                output also prints the rates in millions of accesses per
 *                second (data only, and data + fetches).
 *
 * Every number is the best (lowest) of --repeat repetitions.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma/dma_fence.h"
#include "dma/syncobj.h"
#include "hw/hw_regs.h"
#include "panthor/panthor_device.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_mmu.h"
#include "panthor/panthor_sched.h"
#include "uapi/drm/panthor_drm.h"
#include "util/u_err.h"

#define SUITE "sched"

#define VA_CODE  ((1ull << 20) + 48 * 4096)
#define VA_DATA  (4ull << 20)
#define DATA_SIZE (256ull << 10)
#define WINDOW   (64ull << 10)
#define DST_OFF  (128ull << 10)
#define INNER    ((uint32_t)(WINDOW / 64))
#define OUTER    8u
#define ITERS    (INNER * OUTER)
#define JOBS     16u
#define DATA_PER_ITER 16u
#define FETCH_PER_ITER 20u

static void die(const char *what, long err)
{
	fprintf(stderr, "pantomime-bench: sched: %s failed (%ld)\n", what, err);
	exit(1);
}

static uint64_t insn(unsigned int op, uint64_t payload)
{
	return ((uint64_t)op << 56) | (payload & ((1ull << 56) - 1));
}

static uint64_t mv48(unsigned int d, uint64_t imm)
{
	return insn(HW_CS_OP_MOVE48, ((uint64_t)d << 48) | (imm & 0xffffffffffffull));
}

static uint64_t mv32(unsigned int r, uint32_t imm)
{
	return insn(HW_CS_OP_MOVE32, ((uint64_t)r << 48) | imm);
}

static uint64_t ldst(unsigned int op, unsigned int base, unsigned int addr, uint16_t mask,
		     int16_t off)
{
	return insn(op, ((uint64_t)base << 48) | ((uint64_t)addr << 40) | ((uint64_t)mask << 16) |
		    (uint16_t)off);
}

static uint64_t add(unsigned int op, unsigned int dst, unsigned int src, int32_t imm)
{
	return insn(op, ((uint64_t)dst << 48) | ((uint64_t)src << 40) | (uint32_t)imm);
}

/* The copy loop; Return: its size in bytes. */
static uint32_t build_stream(uint64_t *p)
{
	unsigned int n = 0;

	p[n++] = mv32(5, OUTER);		/* r5: passes left */
	p[n++] = mv48(0, VA_DATA);		/* 1: d0 = source */
	p[n++] = mv48(2, VA_DATA + DST_OFF);	/* d2: destination */
	p[n++] = mv32(4, INNER);		/* r4: iterations left */
	for (int i = 0; i < 8; i++) {		/* 4: the inner loop */
		p[n++] = ldst(HW_CS_OP_LOAD_MULTIPLE, 8, 0, 3, (int16_t)(8 * i));
		p[n++] = ldst(HW_CS_OP_STORE_MULTIPLE, 8, 2, 3, (int16_t)(8 * i));
	}
	p[n++] = add(HW_CS_OP_ADD_IMMEDIATE64, 0, 0, 64);
	p[n++] = add(HW_CS_OP_ADD_IMMEDIATE64, 2, 2, 64);
	p[n++] = add(HW_CS_OP_ADD_IMMEDIATE32, 4, 4, -1);
	/* 23: back to 4 while r4 != 0 (offsets count from the next instruction). */
	p[n++] = insn(HW_CS_OP_BRANCH, ((uint64_t)4 << 40) | ((uint64_t)HW_CS_COND_NEQUAL << 28) |
		      (uint16_t)(int16_t)-20);
	p[n++] = add(HW_CS_OP_ADD_IMMEDIATE32, 5, 5, -1);
	/* 25: back to 1 while r5 != 0. */
	p[n++] = insn(HW_CS_OP_BRANCH, ((uint64_t)5 << 40) | ((uint64_t)HW_CS_COND_NEQUAL << 28) |
		      (uint16_t)(int16_t)-25);
	return n * 8;
}

static double host_copy_ns(void)
{
	uint64_t *buf = calloc(1, DATA_SIZE);
	volatile uint64_t *src, *dst;
	uint64_t t0, t1;

	if (!buf)
		die("calloc", 0);
	src = buf;
	dst = buf + DST_OFF / 8;
	t0 = bench_now_ns();
	for (uint32_t j = 0; j < JOBS * OUTER; j++)
		for (uint64_t i = 0; i < WINDOW / 8; i++)
			dst[i] = src[i] + j;
	t1 = bench_now_ns();
	free(buf);
	return (double)(t1 - t0) / ((double)JOBS * ITERS * DATA_PER_ITER);
}

static double stream_ns(struct panthor_file *pfile, uint32_t group, uint32_t syncobj_handle)
{
	struct panthor_sync_op_args sig = {
		.flags = DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ | DRM_PANTHOR_SYNC_OP_SIGNAL,
		.handle = syncobj_handle,
	};
	struct panthor_queue_submit_args job = {
		.stream_addr = VA_CODE, .stream_size = 0,
	};
	static uint64_t code[64];
	struct drm_syncobj *obj;
	struct dma_fence *f = NULL;
	uint64_t t0, t1;
	int ret;

	job.stream_size = build_stream(code);
	t0 = bench_now_ns();
	for (uint32_t j = 0; j < JOBS; j++) {
		job.syncs = j == JOBS - 1 ? &sig : NULL;
		job.syncs_count = j == JOBS - 1;
		ret = panthor_group_submit(pfile, group, &job, 1);
		if (ret)
			die("GROUP_SUBMIT", ret);
	}
	obj = panthor_file_syncobj_lookup(pfile, syncobj_handle);
	if (!obj || drm_syncobj_find_fence(obj, 0, 0, 0, &f))
		die("syncobj", -1);
	dma_fence_wait(f, false);
	t1 = bench_now_ns();
	if (dma_fence_get_status(f) != 1)
		die("stream", dma_fence_get_status(f));
	dma_fence_put(f);
	drm_syncobj_put(obj);
	return (double)(t1 - t0) / ((double)JOBS * ITERS * DATA_PER_ITER);
}

static void run_sched(void)
{
	struct panthor_device_config cfg = { .memory_bytes = 256ull << 20 };
	struct panthor_vm_create_args vargs = { 0 };
	struct drm_panthor_queue_create q = { .ringbuf_size = 4096 };
	struct drm_panthor_group_create gc = { 0 };
	struct panthor_device *ptdev;
	struct panthor_file *pfile;
	struct panthor_gem_object *bo;
	uint64_t size, code[64];
	uint32_t vm, hcode, hdata, group, sync;
	double gpu = 1e9, host = 1e9;
	int ret;

	ptdev = panthor_device_create(&cfg);
	if (IS_ERR(ptdev))
		die("panthor_device_create", PTR_ERR(ptdev));
	pfile = panthor_file_open(ptdev);
	if (IS_ERR(pfile))
		die("panthor_file_open", PTR_ERR(pfile));
	ret = panthor_vm_pool_create_vm(ptdev, &pfile->vms, &vargs);
	if (ret < 0)
		die("VM_CREATE", ret);
	vm = (uint32_t)ret;
	size = 4096;
	if ((ret = panthor_file_bo_create(pfile, &size, 0, vm, &hcode)))
		die("BO_CREATE", ret);
	size = DATA_SIZE;
	if ((ret = panthor_file_bo_create(pfile, &size, 0, vm, &hdata)))
		die("BO_CREATE", ret);
	{
		struct panthor_vm_bind_op_args ops[2] = {
			{ .flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, .bo_handle = hcode,
			  .va = VA_CODE, .size = 4096 },
			{ .flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP, .bo_handle = hdata,
			  .va = VA_DATA, .size = DATA_SIZE },
		};
		uint32_t n = 2;

		if ((ret = panthor_vm_bind(pfile, vm, 0, ops, &n)))
			die("VM_BIND", ret);
	}
	bo = panthor_file_bo_lookup(pfile, hcode);
	build_stream(code);
	if ((ret = panthor_gem_cpu_access(bo, 0, code, sizeof(code), true)))
		die("stream write", ret);
	panthor_gem_put(bo);

	gc.queues.count = 1;
	gc.vm_id = vm;
	gc.compute_core_mask = ptdev->gpu_info.shader_present;
	gc.fragment_core_mask = ptdev->gpu_info.shader_present;
	gc.tiler_core_mask = ptdev->gpu_info.tiler_present;
	if ((ret = panthor_group_create(pfile, &gc, &q, false, &group)))
		die("GROUP_CREATE", ret);
	if ((ret = panthor_file_syncobj_create(pfile, 0, &sync)))
		die("SYNCOBJ_CREATE", ret);

	stream_ns(pfile, group, sync);		/* warm up: threads, TLB, backing */
	for (unsigned int rep = 0; rep < bench_opts.repeat; rep++) {
		host = bench_min(host, host_copy_ns());
		gpu = bench_min(gpu, stream_ns(pfile, group, sync));
	}
	bench_report(SUITE, "stream_copy", gpu, "ns/access", host);
	if (!bench_opts.json)
		printf("  (stream_copy: %.1f M data accesses/s, %.1f M translated accesses/s "
		       "with fetches)\n", 1e3 / gpu,
		       1e3 / gpu * (DATA_PER_ITER + FETCH_PER_ITER) / DATA_PER_ITER);
	if (hw_checker_violations(ptdev->hw))
		fprintf(stderr, "sched: the checker reported %lu violations\n",
			hw_checker_violations(ptdev->hw));
	panthor_file_close(pfile);
	panthor_device_destroy(ptdev);
}

BENCH_SUITE(sched_suite, "sched", "command streams through GROUP_SUBMIT", run_sched)
