// SPDX-License-Identifier: MIT
/*
 * vm suite, atomicity: GPU units read every page of a 64 MiB sparse
 * resource in a loop while the client replaces dummy ranges with real BOs
 * and back, thousands of times, synchronously and through the async bind
 * queue. Every read must return the dummy's content or the real page's,
 * with no fault and no checker report.
 *
 * Built twice. The second binary (test-vm-atomic-nolock) links the driver
 * built with PANTOMIME_TEST_NO_LOCK_REGION, where panthor_vm_lock_region()
 * records the region without locking it: the same test must then make the
 * checker report violations. That is the proof that this test can fail.
 *
 * PANTOMIME_ATOMIC_SCALE multiplies the number of replacements (soak runs).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pt_test.h"
#include "t_harness.h"
#include "dma/syncobj.h"
#include "util/u_err.h"
#include "util/u_log.h"

#ifdef PANTOMIME_TEST_NO_LOCK_REGION
#define EXPECT_VIOLATIONS true
#define NAME(x) "vm/atomic-nolock/" x
#else
#define EXPECT_VIOLATIONS false
#define NAME(x) "vm/atomic/" x
#endif

#define RES_VA     (1ull << 30)		/* the sparse resource */
#define RES_SIZE   (64 * MiB)
#define RES_PAGES  (RES_SIZE / 4096)
#define SLOTS      (RES_SIZE / (2 * MiB))
#define NR_BIG     6			/* 2 MiB BOs, mapped on whole slots */
#define SMALL_SIZE (64 * 1024)		/* a BO mapped at any 4 KiB offset of a slot */
#define NR_READERS 2
#define BIG_TAG(i) (0x100u + (i))
#define SMALL_TAG  0x200u

struct reader {
	pthread_t thread;
	struct pt *t;
	struct panthor_vm *vm;
	bool stop;
	uint64_t reads;
	uint64_t bad;
	uint64_t errors;
	uint64_t first_bad_va;
	uint64_t first_bad_val;
};

/*
 * The content a GPU read may legally return at @va: 0 (the dummy, which
 * nobody writes), a 2 MiB BO's word for this slot offset, or the small
 * BO's word for this offset within its page.
 */
static bool value_ok(uint64_t va, uint64_t val)
{
	uint64_t off = va - RES_VA;
	uint32_t tag = (uint32_t)(val >> 40);
	uint64_t word = val & ((1ull << 40) - 1);

	if (!val)
		return true;
	if (tag >= BIG_TAG(0) && tag < BIG_TAG(NR_BIG))
		return word * 8 == off % (2 * MiB);
	if (tag == SMALL_TAG)
		return word * 8 < SMALL_SIZE && (word * 8) % 4096 == off % 4096;
	return false;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct hw_device *hw = r->t->ptdev->hw;
	uint64_t pass = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		int as = panthor_vm_job_begin(r->vm);

		if (as < 0) {
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
			sched_yield();
			continue;
		}
		pass++;
		for (uint64_t p = 0; p < RES_PAGES; p++) {
			/* A different word of each page on each pass. */
			uint64_t va = RES_VA + p * 4096 + ((p + pass) % 512) * 8;
			uint64_t val = 0;
			int ret = hw_read64(hw, (unsigned int)as, va, &val, NULL);

			if (ret) {
				__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
				break;	/* faulted or stopped: end the job, start another */
			}
			__atomic_add_fetch(&r->reads, 1, __ATOMIC_RELAXED);
			if (!value_ok(va, val) && !r->bad++) {
				r->first_bad_va = va;
				r->first_bad_val = val;
			}
			if ((p & 1023) == 0 && __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
				break;
		}
		panthor_vm_job_end(r->vm);
	}
	return NULL;
}

static unsigned int scale(void)
{
	const char *s = getenv("PANTOMIME_ATOMIC_SCALE");
	int v = s ? atoi(s) : 1;

	return v > 0 ? (unsigned int)v : 1;
}

/* The state of the resource, as the binder left it. */
struct binder {
	struct pt *t;
	uint32_t vm;
	uint32_t big[NR_BIG];
	uint32_t small;
	bool mapped[SLOTS];
	bool async;
	uint32_t syncobj;
	uint64_t point;
	struct panthor_vm_bind_op_args batch[8];
	uint32_t nr;
};

static void binder_flush(struct binder *b)
{
	struct panthor_sync_op_args sig = {
		.flags = (uint32_t)DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ |
			 (uint32_t)DRM_PANTHOR_SYNC_OP_SIGNAL,
		.handle = b->syncobj,
	};
	struct drm_syncobj *obj;
	uint32_t count = b->nr;

	if (!b->nr)
		return;
	sig.timeline_value = ++b->point;
	b->batch[b->nr - 1].syncs = &sig;
	b->batch[b->nr - 1].syncs_count = 1;
	T_ASSERT_OK(panthor_vm_bind(b->t->pfile, b->vm, DRM_PANTHOR_VM_BIND_ASYNC, b->batch, &count));
	b->nr = 0;

	/* Keep at most a couple of batches in flight. */
	if (b->point > 2) {
		obj = panthor_file_syncobj_lookup(b->t->pfile, b->syncobj);
		uint64_t wait = b->point - 2;

		T_ASSERT_OK(drm_syncobj_array_wait(&obj, &wait, 1, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
						   (int64_t)(panthor_now_ns() + 10000000000ull), NULL));
		drm_syncobj_put(obj);
	}
}

static void binder_op(struct binder *b, uint32_t flags, uint32_t bo, uint64_t va, uint64_t size)
{
	if (!b->async) {
		T_ASSERT_OK(pt_op(b->t, b->vm, flags, bo, 0, va, size));
		return;
	}
	b->batch[b->nr++] = (struct panthor_vm_bind_op_args){
		.flags = flags, .bo_handle = bo, .va = va, .size = size,
	};
	if (b->nr == ARRAY_SIZE(b->batch))
		binder_flush(b);
}

static void run_atomicity(bool async)
{
	unsigned int replacements = 1500 * scale();
	unsigned long warns = u_warn_count();
	struct reader readers[NR_READERS];
	struct binder b = { .async = async };
	struct hw_as_stats st;
	struct panthor_vm *vm;
	struct pt t;
	uint64_t reads = 0, bad = 0, errors = 0;
	int as;

	pt_init(&t, NULL);
	b.t = &t;
	b.vm = pt_vm_create(&t);
	vm = pt_vm(&t, b.vm);
	for (unsigned int i = 0; i < NR_BIG; i++) {
		b.big[i] = pt_bo_create(&t, 2 * MiB, 0);
		pt_bo_fill(&t, b.big[i], BIG_TAG(i));
	}
	b.small = pt_bo_create(&t, SMALL_SIZE, 0);
	pt_bo_fill(&t, b.small, SMALL_TAG);
	T_ASSERT_OK(panthor_file_syncobj_create(t.pfile, 0, &b.syncobj));

	T_ASSERT_OK(pt_sparse(&t, b.vm, RES_VA, RES_SIZE));

	for (unsigned int i = 0; i < NR_READERS; i++) {
		readers[i] = (struct reader){ .t = &t, .vm = vm };
		T_ASSERT_OK(pthread_create(&readers[i].thread, NULL, reader_main, &readers[i]));
	}
	/* Let the readers bind the VM to an AS and fill their TLBs. */
	while (__atomic_load_n(&readers[0].reads, __ATOMIC_RELAXED) < RES_PAGES)
		sched_yield();

	for (unsigned int n = 0; n < replacements; n++) {
		unsigned int slot = (unsigned int)(t_rand() % SLOTS);
		uint64_t slot_va = RES_VA + slot * 2 * MiB;

		if (b.mapped[slot]) {
			/* Back to the dummy, over the whole slot. */
			binder_op(&b, PT_SPARSE, 0, slot_va, 2 * MiB);
			b.mapped[slot] = false;
		} else if (t_rand() % 3) {
			/* A whole real 2 MiB over the dummy block. */
			binder_op(&b, PT_MAP, b.big[t_rand() % NR_BIG], slot_va, 2 * MiB);
			b.mapped[slot] = true;
		} else {
			/* 64 KiB at any page of the slot: splits the dummy's 2 MiB block. */
			uint64_t page = t_rand() % (2 * MiB / 4096 - SMALL_SIZE / 4096 + 1);

			binder_op(&b, PT_MAP, b.small, slot_va + page * 4096, SMALL_SIZE);
			b.mapped[slot] = true;
		}
	}
	if (async) {
		binder_flush(&b);
		panthor_vm_wait_idle(vm);
	}

	for (unsigned int i = 0; i < NR_READERS; i++) {
		__atomic_store_n(&readers[i].stop, true, __ATOMIC_RELEASE);
		pthread_join(readers[i].thread, NULL);
		reads += readers[i].reads;
		bad += readers[i].bad;
		errors += readers[i].errors;
		if (readers[i].bad)
			t_note("reader %u: first bad read 0x%" PRIx64 " at 0x%" PRIx64, i,
			       readers[i].first_bad_val, readers[i].first_bad_va);
	}
	as = panthor_vm_as(vm);
	memset(&st, 0, sizeof(st));
	if (as >= 0)
		hw_as_stats(t.ptdev->hw, (unsigned int)as, &st);
	t_note("%u replacements, %" PRIu64 " reads, %" PRIu64 " stalls (%.1f us max), %" PRIu64
	       " faults, %" PRIu64 " errors, %lu violations", replacements, reads, st.stalls,
	       st.max_stall_ns / 1e3, st.faults, errors, hw_checker_violations(t.ptdev->hw));

	if (EXPECT_VIOLATIONS) {
		T_ASSERT_MSG(hw_checker_violations(t.ptdev->hw) > 0,
			     "without the region lock the checker must report violations");
	} else {
		T_ASSERT_EQ_INT(bad, 0);
		T_ASSERT_EQ_INT(errors, 0);
		T_ASSERT_EQ_INT(st.faults, 0);
		T_ASSERT(!panthor_vm_has_unhandled_faults(vm));
		T_ASSERT(!panthor_vm_is_unusable(vm));
		pt_expect_no_violation(&t);
		pt_validate(&t, b.vm);
		/* No reservation ran short, no unmap stopped early, no region escaped. */
		T_ASSERT_EQ_INT(u_warn_count(), warns);
	}
	T_ASSERT(reads > RES_PAGES);

	panthor_vm_put(vm);
	pt_fini_ex(&t, EXPECT_VIOLATIONS);
}

T_TEST(atomic_sync, NAME("sparse-replace-sync"))
{
	run_atomicity(false);
}

T_TEST(atomic_async, NAME("sparse-replace-async"))
{
	run_atomicity(true);
}
