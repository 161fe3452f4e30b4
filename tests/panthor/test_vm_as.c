// SPDX-License-Identifier: MIT
/*
 * vm suite, address spaces: slot assignment with AS 0 reserved, the LRU of
 * idle VMs, stealing, -EBUSY, jobs, faults, the reset path through the
 * model's failure knobs, and 20 VMs on 7 user slots with jobs and binds in
 * flight.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "pt_test.h"
#include "t_harness.h"
#include "dma/syncobj.h"
#include "util/u_err.h"
#include "util/u_log.h"

#define BASE (1ull << 35)
#define T_AS_TRANSCFG(as) (0x2400u + ((as) << 6) + 0x30)
#define T_MMU_INT_MASK 0x2008u

T_TEST(slots, "vm/as/first-free-slot-then-lru")
{
	struct panthor_vm *vms[9];
	uint32_t ids[9];
	struct pt t;

	pt_init(&t, NULL);
	for (int i = 0; i < 9; i++) {
		ids[i] = pt_vm_create(&t);
		vms[i] = pt_vm(&t, ids[i]);
	}
	/* VMs 0..6 get AS 1..7 in order; none gets AS 0. */
	for (int i = 0; i < 7; i++) {
		T_ASSERT_EQ_INT(panthor_vm_job_begin(vms[i]), i + 1);
		panthor_vm_job_end(vms[i]);
	}
	/* Re-activating an idle VM that kept its slot reuses it. */
	T_ASSERT_EQ_INT(panthor_vm_job_begin(vms[2]), 3);
	panthor_vm_job_end(vms[2]);
	/* LRU now: 0 1 3 4 5 6 2. VM 7 steals the least recently idle: VM 0's AS 1. */
	T_ASSERT_EQ_INT(panthor_vm_job_begin(vms[7]), 1);
	T_ASSERT_EQ_INT(panthor_vm_as(vms[0]), -1);
	/* VM 8 next: VM 1's AS 2. */
	T_ASSERT_EQ_INT(panthor_vm_job_begin(vms[8]), 2);
	T_ASSERT_EQ_INT(panthor_vm_as(vms[1]), -1);
	panthor_vm_job_end(vms[8]);
	panthor_vm_job_end(vms[7]);
	/* VM 0 comes back in VM 3's slot (3 is now the oldest idle). */
	T_ASSERT_EQ_INT(panthor_vm_job_begin(vms[0]), 4);
	T_ASSERT_EQ_INT(panthor_vm_as(vms[3]), -1);
	panthor_vm_job_end(vms[0]);
	/* The MCU VM never moved. */
	T_ASSERT_EQ_INT(panthor_vm_as(panthor_mmu_mcu_vm(t.ptdev)), 0);
	for (int i = 0; i < 9; i++)
		panthor_vm_put(vms[i]);
	pt_fini(&t);
}

T_TEST(ebusy, "vm/as/ebusy-when-every-slot-is-active")
{
	struct panthor_vm *vms[8];
	struct pt t;

	pt_init(&t, NULL);
	for (int i = 0; i < 8; i++)
		vms[i] = pt_vm(&t, pt_vm_create(&t));
	for (int i = 0; i < 7; i++)
		T_ASSERT(panthor_vm_job_begin(vms[i]) > 0);
	T_ASSERT_ERRNO(panthor_vm_job_begin(vms[7]), EBUSY);
	/* A second job on an active VM needs no slot. */
	T_ASSERT_EQ_INT(panthor_vm_job_begin(vms[3]), 4);
	panthor_vm_job_end(vms[3]);
	T_ASSERT_ERRNO(panthor_vm_job_begin(vms[7]), EBUSY);
	/* One slot freed up: now it works. */
	panthor_vm_job_end(vms[5]);
	T_ASSERT_EQ_INT(panthor_vm_job_begin(vms[7]), 6);
	panthor_vm_job_end(vms[7]);
	for (int i = 0; i < 7; i++)
		if (i != 5)
			panthor_vm_job_end(vms[i]);
	for (int i = 0; i < 8; i++)
		panthor_vm_put(vms[i]);
	pt_fini(&t);
}

T_TEST(steal_keeps_data, "vm/as/stolen-slot-comes-back-with-the-same-mappings")
{
	struct pt_config cfg = { 0 };
	struct hw_config hw;
	uint32_t ids[3], bo;
	struct pt t;

	/* Two address spaces: AS 0 for the MCU, one for three VMs. */
	hw_config_default(&hw);
	hw.as_present = 0x3;
	cfg.hw = &hw;
	pt_init(&t, &cfg);
	bo = pt_bo_create(&t, 3 * 4096, 0);
	pt_bo_fill(&t, bo, 0x5);
	for (int i = 0; i < 3; i++) {
		ids[i] = pt_vm_create(&t);
		T_ASSERT_OK(pt_map(&t, ids[i], bo, (uint64_t)i * 4096, BASE, 4096));
	}
	for (int round = 0; round < 20; round++)
		for (int i = 0; i < 3; i++)
			pt_expect_word(&t, ids[i], BASE + 8, pt_word(0x5, (uint64_t)i * 4096 + 8));
	/* Binds while the VM has no AS are seen when it gets one again. */
	T_ASSERT_OK(pt_map(&t, ids[0], bo, 2 * 4096, BASE, 4096));
	pt_expect_word(&t, ids[1], BASE, pt_word(0x5, 4096));
	pt_expect_word(&t, ids[0], BASE, pt_word(0x5, 2 * 4096));
	pt_fini(&t);
}

T_TEST(fault, "vm/as/fault-disables-the-as-and-is-kept")
{
	struct panthor_vm_fault_info info;
	struct hw_fault hf;
	struct panthor_vm *vm;
	uint64_t val;
	char line[160];
	uint32_t id, bo;
	struct pt t;
	int as;

	pt_init(&t, NULL);
	id = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	pt_bo_fill(&t, bo, 0xf);
	T_ASSERT_OK(pt_map(&t, id, bo, 0, BASE, 4096));
	vm = pt_vm(&t, id);
	panthor_vm_get_fault_info(vm, &info);
	T_ASSERT(!info.valid);

	as = panthor_vm_job_begin(vm);
	T_ASSERT(as > 0);
	T_ASSERT_ERRNO(hw_read64(t.ptdev->hw, (unsigned int)as, BASE + 4096 + 24, &val, &hf), EFAULT);
	/* The handler runs on the MMU interrupt thread. */
	for (int i = 0; i < 2000 && !panthor_vm_has_unhandled_faults(vm); i++)
		usleep(1000);
	T_ASSERT(panthor_vm_has_unhandled_faults(vm));
	panthor_vm_get_fault_info(vm, &info);
	T_ASSERT(info.valid);
	T_ASSERT_EQ_INT(info.as, as);
	T_ASSERT_EQ_U64(info.addr, BASE + 4096 + 24);
	T_ASSERT_EQ_INT(info.access_type, 2);
	T_ASSERT_EQ_INT(info.exception_type, hf.exception_type);
	T_ASSERT((info.exception_type & 0xf8) == 0xc0);
	t_note("%s", panthor_vm_format_fault(&info, line, sizeof(line)));
	/* The AS is disabled to kill the job: translation off, its event masked. */
	for (int i = 0; i < 2000 && hw_mmio_read32(t.ptdev->hw, T_AS_TRANSCFG(as)) != 1; i++)
		usleep(1000);
	T_ASSERT_EQ_U64(hw_mmio_read32(t.ptdev->hw, T_AS_TRANSCFG(as)), 1);
	T_ASSERT(!(hw_mmio_read32(t.ptdev->hw, T_MMU_INT_MASK) & (1u << as)));
	T_ASSERT(hw_read64(t.ptdev->hw, (unsigned int)as, BASE, &val, NULL) < 0);
	panthor_vm_job_end(vm);
	/* Not unusable: the next activation re-programs the AS and forgets the fault. */
	T_ASSERT(!panthor_vm_is_unusable(vm));
	pt_expect_word(&t, id, BASE + 8, pt_word(0xf, 8));
	T_ASSERT(!panthor_vm_has_unhandled_faults(vm));
	/* The event is back once the handler thread has restored the line's mask. */
	for (int i = 0; i < 2000 && !(hw_mmio_read32(t.ptdev->hw, T_MMU_INT_MASK) & (1u << as)); i++)
		usleep(1000);
	T_ASSERT(hw_mmio_read32(t.ptdev->hw, T_MMU_INT_MASK) & (1u << as));
	/* The details stay for the debug view. */
	panthor_vm_get_fault_info(vm, &info);
	T_ASSERT(info.valid);
	panthor_vm_put(vm);
	pt_fini(&t);
}

T_TEST(fault_knob, "vm/as/injected-fault")
{
	struct panthor_vm_fault_info info;
	struct panthor_vm *vm;
	uint64_t val;
	uint32_t id, bo;
	struct pt t;
	int as;

	pt_init(&t, NULL);
	id = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	T_ASSERT_OK(pt_map(&t, id, bo, 0, BASE, 4096));
	vm = pt_vm(&t, id);
	as = panthor_vm_job_begin(vm);
	hw_knob_fault_next_access(t.ptdev->hw, (unsigned int)as, 0xc3);
	T_ASSERT_ERRNO(hw_read64(t.ptdev->hw, (unsigned int)as, BASE, &val, NULL), EFAULT);
	for (int i = 0; i < 2000 && !panthor_vm_has_unhandled_faults(vm); i++)
		usleep(1000);
	panthor_vm_get_fault_info(vm, &info);
	T_ASSERT_EQ_INT(info.exception_type, 0xc3);
	panthor_vm_job_end(vm);
	pt_expect_word(&t, id, BASE, 0);
	panthor_vm_put(vm);
	pt_fini(&t);
}

/* ---- the reset path ----------------------------------------------------------------- */

T_TEST(reset_stuck_lock, "vm/reset/stuck-as-active-on-lock")
{
	struct pt_config cfg = { .timeout_us = 10000 };
	struct panthor_kernel_bo *kbo;
	struct panthor_vm *a, *b, *c, *mcu;
	uint32_t ia, ib, ic, bo, state;
	uint64_t word = 42, got = 0;
	struct pt t;
	int as_a;

	pt_init(&t, &cfg);
	ia = pt_vm_create(&t);
	ib = pt_vm_create(&t);
	ic = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	pt_bo_fill(&t, bo, 0x1);
	a = pt_vm(&t, ia);
	b = pt_vm(&t, ib);
	c = pt_vm(&t, ic);
	mcu = panthor_mmu_mcu_vm(t.ptdev);
	kbo = panthor_kernel_bo_create(t.ptdev, mcu, 4096, 0, 0, PANTHOR_VM_KERNEL_AUTO_VA);
	T_ASSERT(!IS_ERR(kbo));
	T_ASSERT_OK(panthor_gem_cpu_access(kbo->obj, 0, &word, 8, true));

	as_a = panthor_vm_job_begin(a);
	T_ASSERT(as_a > 0);
	T_ASSERT(panthor_vm_job_begin(b) > 0);	/* b stays active, idle after */
	panthor_vm_job_end(b);
	hw_knob_stuck_as_active(t.ptdev->hw, (unsigned int)as_a, true);
	T_ASSERT_ERRNO(pt_map(&t, ia, bo, 0, BASE, 4096), ETIMEDOUT);
	T_ASSERT_EQ_INT(panthor_device_reset_count(t.ptdev), 1);

	/* Every user VM that had an AS is unusable; a's slot stays while its job runs. */
	T_ASSERT(panthor_vm_is_unusable(a));
	T_ASSERT(panthor_vm_is_unusable(b));
	T_ASSERT(!panthor_vm_is_unusable(c));
	T_ASSERT_EQ_INT(panthor_vm_as(a), as_a);
	T_ASSERT_EQ_INT(panthor_vm_as(b), -1);
	T_ASSERT_OK(panthor_vm_get_state(t.pfile, ib, &state));
	T_ASSERT_EQ_INT(state, DRM_PANTHOR_VM_STATE_UNUSABLE);
	T_ASSERT_ERRNO(panthor_vm_job_begin(b), EINVAL);
	panthor_vm_job_end(a);

	/* The MCU VM is back on AS 0; other VMs work normally. */
	T_ASSERT_EQ_INT(panthor_vm_as(mcu), 0);
	T_ASSERT_OK(panthor_vm_gpu_read(mcu, kbo->va_node.start, &got, 8, NULL));
	T_ASSERT_EQ_U64(got, 42);
	T_ASSERT_OK(pt_map(&t, ic, bo, 0, BASE, 4096));
	pt_expect_word(&t, ic, BASE, pt_word(0x1, 0));
	/* Teardown of unusable VMs works (UNMAP is allowed). */
	T_ASSERT_OK(pt_unmap(&t, ia, BASE, 4096));
	panthor_kernel_bo_destroy(kbo);
	panthor_vm_put(a);
	panthor_vm_put(b);
	panthor_vm_put(c);
	pt_fini(&t);
}

T_TEST(reset_flush, "vm/reset/cache-flush-never-completes")
{
	struct pt_config cfg = { .timeout_us = 10000 };
	struct panthor_vm *vm;
	uint32_t id, bo;
	uint64_t t0;
	struct pt t;

	pt_init(&t, &cfg);
	id = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4096, 0);
	vm = pt_vm(&t, id);
	T_ASSERT(panthor_vm_job_begin(vm) > 0);
	hw_knob_flush_never_completes(t.ptdev->hw, true);
	t0 = panthor_now_ns();
	/* The page tables changed, the unlock's flush times out: reset, unusable, not hung. */
	T_ASSERT_ERRNO(pt_map(&t, id, bo, 0, BASE, 4096), ETIMEDOUT);
	T_ASSERT(panthor_now_ns() - t0 < 2000000000ull);
	T_ASSERT_EQ_INT(panthor_device_reset_count(t.ptdev), 1);
	T_ASSERT(panthor_vm_is_unusable(vm));
	panthor_vm_job_end(vm);
	/* The knob went with the reset: a new VM binds and reads fine. */
	id = pt_vm_create(&t);
	T_ASSERT_OK(pt_map(&t, id, bo, 0, BASE, 4096));
	pt_expect_word(&t, id, BASE, 0);
	panthor_vm_put(vm);
	pt_fini(&t);
}

T_TEST(reset_enable, "vm/reset/stuck-as-active-on-enable")
{
	struct pt_config cfg = { .timeout_us = 10000 };
	struct panthor_vm *vm;
	struct pt t;

	pt_init(&t, &cfg);
	vm = pt_vm(&t, pt_vm_create(&t));
	/* AS 1 is the slot the VM will get. */
	hw_knob_stuck_as_active(t.ptdev->hw, 1, true);
	T_ASSERT_ERRNO(panthor_vm_job_begin(vm), ETIMEDOUT);
	T_ASSERT_EQ_INT(panthor_device_reset_count(t.ptdev), 1);
	T_ASSERT(panthor_vm_is_unusable(vm));
	T_ASSERT_EQ_INT(panthor_vm_as(vm), -1);
	panthor_vm_put(vm);
	pt_fini(&t);
}

T_TEST(reset_async_idle, "vm/reset/flush-failure-on-slot-steal")
{
	struct pt_config cfg = { .timeout_us = 10000 };
	struct hw_config hw;
	struct panthor_vm *a, *b;
	struct pt t;

	hw_config_default(&hw);
	hw.as_present = 0x3;
	cfg.hw = &hw;
	pt_init(&t, &cfg);
	a = pt_vm(&t, pt_vm_create(&t));
	b = pt_vm(&t, pt_vm_create(&t));
	T_ASSERT_EQ_INT(panthor_vm_job_begin(a), 1);
	panthor_vm_job_end(a);
	hw_knob_flush_never_completes(t.ptdev->hw, true);
	/* Stealing a's slot flushes first: that fails, the reset path runs. */
	T_ASSERT_ERRNO(panthor_vm_job_begin(b), ETIMEDOUT);
	T_ASSERT(panthor_vm_is_unusable(a));
	T_ASSERT(!panthor_vm_is_unusable(b));
	T_ASSERT_EQ_INT(panthor_vm_job_begin(b), 1);
	panthor_vm_job_end(b);
	panthor_vm_put(a);
	panthor_vm_put(b);
	pt_fini(&t);
}

/* ---- 20 VMs on 7 user slots ---------------------------------------------------------- */

#define NR_VMS 20
#define NR_JOBBERS 3
#define SCRATCH (BASE + 64 * MiB)

struct pressure {
	struct pt t;
	uint32_t vm[NR_VMS];
	struct panthor_vm *v[NR_VMS];
	uint32_t bo[NR_VMS];
	bool stop;
	uint64_t jobs, reads, busy, bad;
};

struct jobber {
	pthread_t thread;
	struct pressure *p;
	uint64_t seed;
};

static uint64_t xs(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void *jobber_main(void *arg)
{
	struct jobber *j = arg;
	struct pressure *p = j->p;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		unsigned int i = (unsigned int)(xs(&j->seed) % NR_VMS);
		int as = panthor_vm_job_begin(p->v[i]);

		if (as == -EBUSY) {
			__atomic_add_fetch(&p->busy, 1, __ATOMIC_RELAXED);
			sched_yield();
			continue;
		}
		if (as < 0) {
			__atomic_add_fetch(&p->bad, 1, __ATOMIC_RELAXED);
			continue;
		}
		/* The fixed mapping of VM i holds its own pattern; the scratch range the dummy or it. */
		for (unsigned int k = 0; k < 64; k++) {
			uint64_t off = (xs(&j->seed) % (1 * MiB / 8)) * 8, val = 0;
			bool scratch = k & 1;
			int ret = hw_read64(p->t.ptdev->hw, (unsigned int)as,
					    (scratch ? SCRATCH : BASE) + off, &val, NULL);

			__atomic_add_fetch(&p->reads, 1, __ATOMIC_RELAXED);
			if (ret || (val != pt_word(0x100 + i, off) && !(scratch && val == 0)))
				__atomic_add_fetch(&p->bad, 1, __ATOMIC_RELAXED);
		}
		panthor_vm_job_end(p->v[i]);
		__atomic_add_fetch(&p->jobs, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

T_TEST(pressure, "vm/as/20-vms-7-slots-jobs-and-binds")
{
	struct jobber jobbers[NR_JOBBERS];
	struct pressure *p = calloc(1, sizeof(*p));
	uint32_t s;
	uint64_t point = 0, rounds = 1500;
	unsigned long warns = u_warn_count();

	T_ASSERT_NOT_NULL(p);
	pt_init(&p->t, NULL);
	T_ASSERT_OK(panthor_file_syncobj_create(p->t.pfile, 0, &s));
	for (int i = 0; i < NR_VMS; i++) {
		p->vm[i] = pt_vm_create(&p->t);
		p->v[i] = pt_vm(&p->t, p->vm[i]);
		p->bo[i] = pt_bo_create(&p->t, 1 * MiB, 0);
		pt_bo_fill(&p->t, p->bo[i], 0x100 + (uint32_t)i);
		T_ASSERT_OK(pt_map(&p->t, p->vm[i], p->bo[i], 0, BASE, 1 * MiB));
		T_ASSERT_OK(pt_sparse(&p->t, p->vm[i], SCRATCH, 1 * MiB));
	}
	for (int i = 0; i < NR_JOBBERS; i++) {
		jobbers[i] = (struct jobber){ .p = p, .seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) };
		T_ASSERT_OK(pthread_create(&jobbers[i].thread, NULL, jobber_main, &jobbers[i]));
	}

	/* Binds in flight meanwhile: the scratch range flips between the VM's BO and the dummy. */
	for (uint64_t n = 0; n < rounds; n++) {
		unsigned int i = (unsigned int)(t_rand() % NR_VMS);
		uint64_t off = (t_rand() % 256) * 4096, size = (1 + t_rand() % 16) * 4096;
		struct panthor_sync_op_args sig = {
			.flags = (uint32_t)DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ |
				 (uint32_t)DRM_PANTHOR_SYNC_OP_SIGNAL,
			.handle = s,
		};
		struct panthor_vm_bind_op_args op = { .va = SCRATCH + off, .size = size };
		uint32_t count = 1;

		if (off + size > 1 * MiB)
			size = 1 * MiB - off;
		op.size = size;
		if (t_rand() % 2) {
			op.flags = PT_MAP;
			op.bo_handle = p->bo[i];
			op.bo_offset = off;
		} else {
			op.flags = PT_SPARSE;
		}
		if (n % 3 == 0) {
			sig.timeline_value = ++point;
			op.syncs = &sig;
			op.syncs_count = 1;
			T_ASSERT_OK(panthor_vm_bind(p->t.pfile, p->vm[i], DRM_PANTHOR_VM_BIND_ASYNC, &op,
						    &count));
		} else {
			T_ASSERT_OK(panthor_vm_bind(p->t.pfile, p->vm[i], 0, &op, &count));
		}
	}
	for (int i = 0; i < NR_VMS; i++)
		panthor_vm_wait_idle(p->v[i]);
	__atomic_store_n(&p->stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < NR_JOBBERS; i++)
		pthread_join(jobbers[i].thread, NULL);

	t_note("%" PRIu64 " jobs, %" PRIu64 " reads, %" PRIu64 " EBUSY, %" PRIu64 " bad", p->jobs,
	       p->reads, p->busy, p->bad);
	T_ASSERT_EQ_INT(p->bad, 0);
	T_ASSERT(p->jobs > NR_VMS);
	for (int i = 0; i < NR_VMS; i++) {
		T_ASSERT(!panthor_vm_is_unusable(p->v[i]));
		T_ASSERT(!panthor_vm_has_unhandled_faults(p->v[i]));
		pt_validate(&p->t, p->vm[i]);
		panthor_vm_put(p->v[i]);
	}
	pt_expect_no_violation(&p->t);
	T_ASSERT_EQ_INT(u_warn_count(), warns);
	pt_fini(&p->t);
	free(p);
}
