// SPDX-License-Identifier: MIT
/*
 * vm suite, synchronous VM_BIND: every validation rule with its errno, the
 * synchronous semantics (order, failing index, size 0, no poisoning),
 * remaps, holes, page-size choice, and the partial unmaps of 2 MiB blocks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pt_test.h"
#include "t_harness.h"
#include "util/u_log.h"

#define BASE (1ull << 32)	/* 2 MiB aligned, far from everything */

T_TEST(validation, "vm/bind/validation-errno")
{
	struct pt t;
	uint32_t vm, vm2, bo, excl_other;
	uint64_t kva;
	struct panthor_vm *v;
	const struct panthor_sync_op_args sync = { .handle = 1 };
	struct panthor_vm_bind_op_args op;
	uint32_t count;
	struct {
		const char *what;
		uint32_t flags, bo;
		uint64_t bo_offset, va, size;
		int err;
	} cases[] = {
		{ "va not page aligned", PT_MAP, 0, 0, BASE + 8, 4096, EINVAL },
		{ "size not page aligned", PT_MAP, 0, 0, BASE, 4097, EINVAL },
		{ "bo_offset not page aligned", PT_MAP, 0, 1, BASE, 4096, EINVAL },
		{ "unknown map flag", PT_MAP | (1u << 4), 0, 0, BASE, 4096, EINVAL },
		{ "unknown op type 3", 3u << 28, 0, 0, BASE, 4096, EINVAL },
		{ "unknown op type 15", 15u << 28, 0, 0, BASE, 4096, EINVAL },
		{ "unknown BO handle", PT_MAP, 99, 0, BASE, 4096, EINVAL },
		{ "BO handle 0", PT_MAP, (uint32_t)-1, 0, BASE, 4096, EINVAL },
		{ "size beyond the BO", PT_MAP, 0, 0, BASE, 8 * MiB, EINVAL },
		{ "offset beyond the BO", PT_MAP, 0, 4 * MiB, BASE, 4096, EINVAL },
		{ "offset + size beyond the BO", PT_MAP, 0, 2 * MiB, BASE, 2 * MiB + 4096, EINVAL },
		{ "exclusive BO of another VM", PT_MAP, (uint32_t)-2, 0, BASE, 4096, EINVAL },
		{ "unmap with a map flag", PT_UNMAP | DRM_PANTHOR_VM_BIND_OP_MAP_READONLY, 0, 0, BASE, 4096, EINVAL },
		{ "unmap with a BO handle", PT_UNMAP, 0, 0, BASE, 4096, EINVAL },
		{ "unmap with a BO offset", PT_UNMAP, (uint32_t)-3, 4096, BASE, 4096, EINVAL },
		{ "va + size overflows", PT_MAP, 0, 0, ~0ull - 4095, 8192, EINVAL },
		{ "unmap va + size overflows", PT_UNMAP, (uint32_t)-3, 0, ~0ull - 4095, 8192, EINVAL },
		{ "beyond the VA space", PT_MAP, 0, 0, 1ull << 48, 4096, EINVAL },
		{ "map into the kernel VA range", PT_MAP, 0, 0, (uint64_t)-4, 4096, EINVAL },
		{ "map straddling into the kernel VA range", PT_MAP, 0, 0, (uint64_t)-5, 8192, EINVAL },
		{ "unmap in the kernel VA range", PT_UNMAP, (uint32_t)-3, 0, (uint64_t)-4, 4096, EINVAL },
		{ "sync only, synchronous, with a size", PT_SYNC_ONLY, (uint32_t)-3, 0, 0, 4096, EINVAL },
	};

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	vm2 = pt_vm_create(&t);
	bo = pt_bo_create(&t, 4 * MiB, 0);
	excl_other = pt_bo_create(&t, 4 * MiB, vm2);
	v = pt_vm(&t, vm);
	kva = panthor_vm_kernel_va_start(v);
	T_ASSERT_EQ_U64(kva, 1ull << 47);
	panthor_vm_put(v);

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t h = cases[i].bo;
		uint64_t va = cases[i].va;
		int ret;

		if (h == 0)
			h = bo;
		else if (h == (uint32_t)-1)
			h = 0;
		else if (h == (uint32_t)-2)
			h = excl_other;
		else if (h == (uint32_t)-3)
			h = 0;
		if (va == (uint64_t)-4)
			va = kva;
		else if (va == (uint64_t)-5)
			va = kva - 4096;
		ret = pt_op(&t, vm, cases[i].flags, h, cases[i].bo_offset, va, cases[i].size);
		T_ASSERT_MSG(ret == -cases[i].err, "%s: got %d, expected -%s", cases[i].what, ret,
			     t_errname(cases[i].err));
	}

	/* Syncs on a synchronous op. */
	op = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = bo, .va = BASE,
					       .size = 4096, .syncs_count = 1, .syncs = &sync };
	count = 1;
	T_ASSERT_ERRNO(panthor_vm_bind(t.pfile, vm, 0, &op, &count), EINVAL);
	T_ASSERT_EQ_INT(count, 0);
	op.flags = PT_SYNC_ONLY;
	op.bo_handle = 0;
	op.va = op.size = 0;
	count = 1;
	T_ASSERT_ERRNO(panthor_vm_bind(t.pfile, vm, 0, &op, &count), EINVAL);
	/* Bad call flags, unknown VM. */
	op = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = bo, .va = BASE, .size = 4096 };
	count = 1;
	T_ASSERT_ERRNO(panthor_vm_bind(t.pfile, vm, 2, &op, &count), EINVAL);
	T_ASSERT_ERRNO(panthor_vm_bind(t.pfile, 9, 0, &op, &count), EINVAL);
	T_ASSERT_ERRNO(panthor_vm_bind(t.pfile, 0, 0, &op, &count), EINVAL);

	/* Size 0 is a no-op, whatever the rest says. */
	T_ASSERT_OK(pt_op(&t, vm, PT_MAP | (1u << 5), 12345, 7, 3, 0));
	T_ASSERT_OK(pt_op(&t, vm, PT_SYNC_ONLY, 0, 0, 0, 0));
	T_ASSERT_OK(pt_op(&t, vm, PT_UNMAP, 0, 0, BASE, 0));

	/* Nothing above changed the VM, nor made it unusable. */
	v = pt_vm(&t, vm);
	T_ASSERT(!panthor_vm_is_unusable(v));
	T_ASSERT_EQ_U64(panthor_vm_lookup_pa(v, BASE, NULL), 0);
	panthor_vm_put(v);
	/* The exclusive BO maps fine in its own VM; the last page of the user range too. */
	T_ASSERT_OK(pt_map(&t, vm2, excl_other, 0, BASE, 4 * MiB));
	T_ASSERT_OK(pt_map(&t, vm, bo, 0, kva - 4096, 4096));
	pt_validate(&t, vm);
	pt_validate(&t, vm2);
	pt_fini(&t);
}

T_TEST(sync_order, "vm/bind/sync-order-and-failing-index")
{
	struct panthor_vm_bind_op_args ops[4];
	uint32_t vm, a, b, count, state;
	struct panthor_vm *v;
	struct pt t;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	a = pt_bo_create(&t, 64 * 1024, 0);
	b = pt_bo_create(&t, 64 * 1024, 0);
	pt_bo_fill(&t, a, 0xa);
	pt_bo_fill(&t, b, 0xb);
	ops[0] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = a, .va = BASE, .size = 64 * 1024 };
	ops[1] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = b, .va = BASE + 4096, .size = 4096 };
	ops[2] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = 77, .va = BASE, .size = 4096 };
	ops[3] = (struct panthor_vm_bind_op_args){ .flags = PT_MAP, .bo_handle = b, .va = BASE, .size = 4096 };
	count = 4;
	T_ASSERT_ERRNO(panthor_vm_bind(t.pfile, vm, 0, ops, &count), EINVAL);
	T_ASSERT_EQ_INT(count, 2);
	/* Ops 0 and 1 applied in order (1 over 0), op 3 never ran. */
	pt_expect_word(&t, vm, BASE, pt_word(0xa, 0));
	pt_expect_word(&t, vm, BASE + 4096, pt_word(0xb, 0));
	pt_expect_word(&t, vm, BASE + 8192, pt_word(0xa, 8192));
	/* A synchronous failure does not poison the VM. */
	T_ASSERT_OK(panthor_vm_get_state(t.pfile, vm, &state));
	T_ASSERT_EQ_INT(state, DRM_PANTHOR_VM_STATE_USABLE);
	v = pt_vm(&t, vm);
	T_ASSERT(!panthor_vm_is_unusable(v));
	panthor_vm_put(v);
	count = 0;
	T_ASSERT_OK(panthor_vm_bind(t.pfile, vm, 0, ops, &count));
	pt_validate(&t, vm);
	pt_fini(&t);
}

T_TEST(remap, "vm/bind/map-over-existing-replaces")
{
	struct pt t;
	uint32_t vm, a, b;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	a = pt_bo_create(&t, 8 * MiB, 0);
	b = pt_bo_create(&t, 4 * MiB, 0);
	pt_bo_fill(&t, a, 0xa);
	pt_bo_fill(&t, b, 0xb);
	T_ASSERT_OK(pt_map(&t, vm, a, 0, BASE, 8 * MiB));
	/* In the middle, across a 2 MiB boundary, from an offset of b. */
	T_ASSERT_OK(pt_map(&t, vm, b, 1 * MiB, BASE + 2 * MiB - 8192, 16384));
	pt_expect_word(&t, vm, BASE + 2 * MiB - 8200, pt_word(0xa, 2 * MiB - 8200));
	pt_expect_word(&t, vm, BASE + 2 * MiB - 8192, pt_word(0xb, 1 * MiB));
	pt_expect_word(&t, vm, BASE + 2 * MiB + 8184, pt_word(0xb, 1 * MiB + 16376));
	pt_expect_word(&t, vm, BASE + 2 * MiB + 8192, pt_word(0xa, 2 * MiB + 8192));
	pt_validate(&t, vm);
	/* Over two VAs at once, the whole of b. */
	T_ASSERT_OK(pt_map(&t, vm, b, 0, BASE + 1 * MiB, 4 * MiB));
	pt_expect_word(&t, vm, BASE + 1 * MiB - 8, pt_word(0xa, 1 * MiB - 8));
	pt_expect_word(&t, vm, BASE + 1 * MiB, pt_word(0xb, 0));
	pt_expect_word(&t, vm, BASE + 5 * MiB - 8, pt_word(0xb, 4 * MiB - 8));
	pt_expect_word(&t, vm, BASE + 5 * MiB, pt_word(0xa, 5 * MiB));
	pt_validate(&t, vm);
	/* Exactly over itself with another offset. */
	T_ASSERT_OK(pt_map(&t, vm, a, 4096, BASE, 4096));
	pt_expect_word(&t, vm, BASE, pt_word(0xa, 4096));
	pt_validate(&t, vm);
	pt_fini(&t);
}

T_TEST(holes, "vm/bind/unmap-holes")
{
	struct pt t;
	uint32_t vm, a;

	pt_init(&t, NULL);
	vm = pt_vm_create(&t);
	a = pt_bo_create(&t, 2 * MiB, 0);
	pt_bo_fill(&t, a, 0xa);
	T_ASSERT_OK(pt_unmap(&t, vm, BASE, 1 * GiB));
	T_ASSERT_OK(pt_map(&t, vm, a, 0, BASE + 4 * MiB, 2 * MiB));
	T_ASSERT_OK(pt_map(&t, vm, a, 0, BASE + 12 * MiB, 4096));
	/* A range that holds holes and mappings. */
	T_ASSERT_OK(pt_unmap(&t, vm, BASE, 5 * MiB));
	pt_expect_word(&t, vm, BASE + 5 * MiB, pt_word(0xa, 1 * MiB));
	T_ASSERT_OK(pt_unmap(&t, vm, BASE, 1 * GiB));
	pt_validate(&t, vm);
	pt_fini(&t);
}

/* ---- page sizes and partial unmaps of 2 MiB blocks ---------------------------------- */

#define HP_SIZE  (8 * MiB)
#define HP_PAGES (HP_SIZE / 4096)

/* The expected BO offset of each page of [BASE, BASE + HP_SIZE), -1 when unmapped. */
struct hp {
	struct pt t;
	uint32_t vm, bo;
	int64_t off[HP_PAGES];
	struct panthor_gem_object *obj;
	struct panthor_vm *v;
};

static void hp_init(struct hp *h)
{
	pt_init(&h->t, NULL);
	h->vm = pt_vm_create(&h->t);
	h->bo = pt_bo_create(&h->t, HP_SIZE, 0);
	pt_bo_fill(&h->t, h->bo, 0x77);
	T_ASSERT_OK(pt_map(&h->t, h->vm, h->bo, 0, BASE, HP_SIZE));
	for (uint64_t p = 0; p < HP_PAGES; p++)
		h->off[p] = (int64_t)(p * 4096);
	h->obj = pt_bo(&h->t, h->bo);
	h->v = pt_vm(&h->t, h->vm);
}

static void hp_fini(struct hp *h)
{
	panthor_gem_put(h->obj);
	panthor_vm_put(h->v);
	pt_fini(&h->t);
}

static void hp_unmap(struct hp *h, uint64_t start, uint64_t size)
{
	T_ASSERT_OK(pt_unmap(&h->t, h->vm, BASE + start, size));
	for (uint64_t p = start / 4096; p < (start + size) / 4096 && p < HP_PAGES; p++)
		h->off[p] = -1;
}

/*
 * Every page translates to its expected frame (or nothing); a 2 MiB slot
 * still wholly mapped from the original map keeps its block, any other
 * uses 4 KiB pages; the GPU reads the right word from a page of each slot
 * and from every page next to a change.
 */
static void hp_check(struct hp *h)
{
	unsigned long warns = u_warn_count();

	for (uint64_t slot = 0; slot < HP_SIZE / (2 * MiB); slot++) {
		bool whole = true;

		for (uint64_t p = slot * 512; p < slot * 512 + 512; p++)
			whole &= h->off[p] == (int64_t)(p * 4096);
		for (uint64_t p = slot * 512; p < slot * 512 + 512; p++) {
			unsigned int level = 0;
			phys_addr_t pa = panthor_vm_lookup_pa(h->v, BASE + p * 4096, &level);

			if (h->off[p] < 0) {
				T_ASSERT_MSG(!pa, "page %" PRIu64 " should be unmapped", p);
				continue;
			}
			T_ASSERT_MSG(pa == panthor_gem_offset_to_pa(h->obj, (uint64_t)h->off[p]),
				     "page %" PRIu64 " maps 0x%" PRIx64, p, pa);
			T_ASSERT_MSG(level == (whole ? 2u : 3u), "page %" PRIu64 ": level %u", p, level);
			if (p % 97 == 0 || (p && h->off[p - 1] < 0) ||
			    (p + 1 < HP_PAGES && h->off[p + 1] < 0))
				pt_expect_word(&h->t, h->vm, BASE + p * 4096 + 8,
					       pt_word(0x77, (uint64_t)h->off[p] + 8));
		}
	}
	pt_validate(&h->t, h->vm);
	pt_expect_no_violation(&h->t);
	T_ASSERT_EQ_INT(u_warn_count(), warns);
}

T_TEST(pgsize, "vm/bind/page-size-choice")
{
	struct hp h;
	unsigned int level;

	hp_init(&h);
	hp_check(&h);	/* 2 MiB aligned VA and BO: blocks everywhere */
	/* VA not 2 MiB aligned: pages. */
	T_ASSERT_OK(pt_map(&h.t, h.vm, h.bo, 0, BASE + 64 * MiB + 4096, 4 * MiB));
	T_ASSERT(panthor_vm_lookup_pa(h.v, BASE + 64 * MiB + 2 * MiB + 4096, &level));
	T_ASSERT_EQ_INT(level, 3);
	/* BO offset not 2 MiB aligned: pages. */
	T_ASSERT_OK(pt_map(&h.t, h.vm, h.bo, 4096, BASE + 128 * MiB, 4 * MiB));
	T_ASSERT(panthor_vm_lookup_pa(h.v, BASE + 128 * MiB + 2 * MiB, &level));
	T_ASSERT_EQ_INT(level, 3);
	/* Both aligned, inside the BO: a block. */
	T_ASSERT_OK(pt_map(&h.t, h.vm, h.bo, 2 * MiB, BASE + 256 * MiB, 4 * MiB));
	T_ASSERT(panthor_vm_lookup_pa(h.v, BASE + 256 * MiB + 2 * MiB, &level));
	T_ASSERT_EQ_INT(level, 2);
	pt_validate(&h.t, h.vm);
	hp_fini(&h);
}

T_TEST(hp_aligned, "vm/bind/huge-partial-unmap/aligned")
{
	struct hp h;

	hp_init(&h);
	hp_unmap(&h, 2 * MiB, 2 * MiB);
	hp_check(&h);
	hp_fini(&h);
}

T_TEST(hp_left, "vm/bind/huge-partial-unmap/left-aligned")
{
	struct hp h;

	hp_init(&h);
	hp_unmap(&h, 2 * MiB, 1 * MiB);
	hp_check(&h);
	hp_unmap(&h, 0, 4096);
	hp_check(&h);
	hp_fini(&h);
}

T_TEST(hp_right, "vm/bind/huge-partial-unmap/right-aligned")
{
	struct hp h;

	hp_init(&h);
	hp_unmap(&h, 4 * MiB - 1 * MiB, 1 * MiB);
	hp_check(&h);
	hp_unmap(&h, HP_SIZE - 4096, 4096);
	hp_check(&h);
	hp_fini(&h);
}

T_TEST(hp_middle, "vm/bind/huge-partial-unmap/middle-of-a-block")
{
	struct hp h;

	hp_init(&h);
	hp_unmap(&h, 6 * MiB + 64 * 1024, 4096);
	hp_check(&h);
	hp_fini(&h);
}

T_TEST(hp_subset, "vm/bind/huge-partial-unmap/subset-across-2m-boundary")
{
	struct hp h;

	hp_init(&h);
	hp_unmap(&h, 2 * MiB - 64 * 1024, 128 * 1024);
	hp_check(&h);
	hp_fini(&h);
}

T_TEST(hp_superset, "vm/bind/huge-partial-unmap/superset")
{
	struct hp h;

	hp_init(&h);
	hp_unmap(&h, 2 * MiB - 64 * 1024, 2 * MiB + 128 * 1024);
	hp_check(&h);
	hp_fini(&h);
}

T_TEST(hp_successive, "vm/bind/huge-partial-unmap/successive-over-unmapped")
{
	struct hp h;

	hp_init(&h);
	hp_unmap(&h, 1 * MiB, 4096);
	hp_check(&h);
	hp_unmap(&h, 1 * MiB - 4096, 12288);		/* over the hole, wider */
	hp_check(&h);
	hp_unmap(&h, 1 * MiB - 4096, 12288);		/* exactly the hole */
	hp_check(&h);
	hp_unmap(&h, 512 * 1024, 2 * MiB);		/* from inside slot 0 into slot 1 */
	hp_check(&h);
	hp_unmap(&h, 0, 4 * MiB);			/* everything left of 4 MiB */
	hp_check(&h);
	hp_unmap(&h, 5 * MiB, 8192);
	hp_check(&h);
	hp_unmap(&h, 4 * MiB, HP_SIZE - 4 * MiB);
	hp_check(&h);
	hp_fini(&h);
}

T_TEST(hp_remap_over, "vm/bind/huge-partial-map-over-a-block")
{
	struct hp h;
	uint32_t other;

	hp_init(&h);
	other = pt_bo_create(&h.t, 64 * 1024, 0);
	pt_bo_fill(&h.t, other, 0x55);
	/* A map inside a block splits it too, and the rest keeps its content. */
	T_ASSERT_OK(pt_map(&h.t, h.vm, other, 0, BASE + 3 * MiB, 64 * 1024));
	for (uint64_t p = 3 * MiB / 4096; p < (3 * MiB + 64 * 1024) / 4096; p++)
		h.off[p] = -1;	/* not h.bo's any more: hp_check expects no translation... */
	pt_expect_word(&h.t, h.vm, BASE + 3 * MiB + 16, pt_word(0x55, 16));
	pt_expect_word(&h.t, h.vm, BASE + 3 * MiB - 8, pt_word(0x77, 3 * MiB - 8));
	pt_expect_word(&h.t, h.vm, BASE + 3 * MiB + 64 * 1024, pt_word(0x77, 3 * MiB + 64 * 1024));
	/* ...so unmap it before the full check. */
	T_ASSERT_OK(pt_unmap(&h.t, h.vm, BASE + 3 * MiB, 64 * 1024));
	hp_check(&h);
	hp_fini(&h);
}

/* Random maps and unmaps against a page-level model of the VM. */
T_TEST(random_model, "vm/bind/random-against-model")
{
	struct hp h;
	unsigned int rounds = 300;

	hp_init(&h);
	for (unsigned int i = 0; i < rounds; i++) {
		uint64_t start = (t_rand() % HP_PAGES) * 4096;
		uint64_t size = (1 + t_rand() % (HP_PAGES / 4)) * 4096;

		if (start + size > HP_SIZE)
			size = HP_SIZE - start;
		if (t_rand() % 2) {
			hp_unmap(&h, start, size);
		} else {
			/* Map h.bo back at the identity offsets: blocks can come back too. */
			T_ASSERT_OK(pt_map(&h.t, h.vm, h.bo, start, BASE + start, size));
			for (uint64_t p = start / 4096; p < (start + size) / 4096; p++)
				h.off[p] = (int64_t)(p * 4096);
		}
		if (i % 25 == 0 || i == rounds - 1) {
			/* Levels depend on history here; check translations and content only. */
			for (uint64_t p = 0; p < HP_PAGES; p++) {
				phys_addr_t pa = panthor_vm_lookup_pa(h.v, BASE + p * 4096, NULL);

				T_ASSERT_EQ_U64(pa, h.off[p] < 0 ? 0 :
					panthor_gem_offset_to_pa(h.obj, (uint64_t)h.off[p]));
			}
			pt_validate(&h.t, h.vm);
		}
	}
	pt_expect_no_violation(&h.t);
	hp_fini(&h);
}
