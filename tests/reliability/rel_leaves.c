// SPDX-License-Identifier: MIT
/*
 * The isolation walk (rel_leaves.h).
 */
#include "rel_leaves.h"

#include <inttypes.h>
#include <stdio.h>

#include "mm/mm.h"
#include "panthor/panthor_debug.h"
#include "panthor/panthor_file.h"
#include "panthor/panthor_gem.h"
#include "panthor/panthor_mmu.h"

struct leaf_walk {
	uint32_t dummy_id;
	uint32_t other_dummy_id;
	struct rel_leaf_stats st;
	char *why;
	size_t len;
};

static int check_leaf(void *arg, const struct panthor_vm_leaf *l)
{
	struct leaf_walk *lw = arg;
	const struct mm_frame *f;

	lw->st.leaves++;
	if (!mm_pa_valid(l->pa)) {
		snprintf(lw->why, lw->len, "leaf 0x%" PRIx64 " -> 0x%" PRIx64 " outside the arena",
			 l->iova, (uint64_t)l->pa);
		return -1;
	}
	f = mm_frame(l->pa);
	if (!l->va_bo_id) {
		snprintf(lw->why, lw->len, "leaf 0x%" PRIx64 " with no VA over it", l->iova);
		return -1;
	}
	if (f->state != MM_FRAME_ALLOCATED || f->owner_id != l->va_bo_id) {
		snprintf(lw->why, lw->len, "leaf 0x%" PRIx64 " -> frame of owner %u (state %u), the "
			 "VA's BO is %u", l->iova, f->owner_id, f->state, l->va_bo_id);
		return -1;
	}
	if (l->pa != l->va_pa) {
		snprintf(lw->why, lw->len, "leaf 0x%" PRIx64 " -> 0x%" PRIx64 ", the VA's backing is "
			 "at 0x%" PRIx64, l->iova, (uint64_t)l->pa, (uint64_t)l->va_pa);
		return -1;
	}
	if (l->va_sparse) {
		lw->st.sparse++;
		if (f->owner_kind != MM_OWNER_DUMMY || l->va_bo_id != lw->dummy_id) {
			snprintf(lw->why, lw->len, "sparse leaf 0x%" PRIx64 " -> dummy %u, the file's "
				 "is %u", l->iova, l->va_bo_id, lw->dummy_id);
			return -1;
		}
	} else if (f->owner_kind != MM_OWNER_BO) {
		snprintf(lw->why, lw->len, "leaf 0x%" PRIx64 " -> frame of kind %u", l->iova,
			 f->owner_kind);
		return -1;
	}
	if (lw->other_dummy_id && l->va_bo_id == lw->other_dummy_id) {
		snprintf(lw->why, lw->len, "leaf 0x%" PRIx64 " -> the other file's dummy", l->iova);
		return -1;
	}
	return 0;
}

static uint32_t dummy_id(struct pantomime_file *file)
{
	struct panthor_file *pfile = file ? pantomime_debug_pfile(file) : NULL;

	return pfile && pfile->dummy ? pfile->dummy->id : 0;
}

int rel_check_leaves(struct pantomime_file *file, struct pantomime_file *other,
		     struct rel_leaf_stats *st, char *why, size_t len)
{
	struct panthor_file *pfile = pantomime_debug_pfile(file);
	struct leaf_walk lw = {
		.dummy_id = dummy_id(file), .other_dummy_id = dummy_id(other), .why = why, .len = len,
	};
	int ret = 0;

	for (uint32_t id = 1; id <= PANTHOR_MAX_VMS_PER_FILE && !ret; id++) {
		struct panthor_vm *vm = panthor_vm_pool_get_vm(&pfile->vms, id);

		if (!vm)
			continue;
		ret = panthor_vm_walk_leaves(vm, check_leaf, &lw);
		if (ret) {
			char buf[160];

			snprintf(buf, sizeof(buf), "VM %u: %s", id, why);
			snprintf(why, len, "%s", buf);
		}
		panthor_vm_put(vm);
	}
	if (st) {
		st->leaves += lw.st.leaves;
		st->sparse += lw.st.sparse;
	}
	return ret ? -1 : 0;
}
