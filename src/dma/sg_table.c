// SPDX-License-Identifier: MIT
/*
 * DOC: sg_table
 *
 * A flat array of segments sized once by its creator, who knows the number
 * of backing chunks: building a table costs one allocation, and walking it
 * (the page-table mapper does, for every map) is a linear scan of 16-byte
 * entries. The kernel's chained scatterlists exist to avoid large
 * contiguous allocations in atomic context; neither constraint applies here.
 */
#include "dma/sg_table.h"

#include <errno.h>
#include <inttypes.h>

#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_log.h"

struct sg_table *sg_table_create(uint32_t max_nents)
{
	struct sg_table *sgt;

	if (!max_nents)
		return ERR_PTR(-EINVAL);
	sgt = u_malloc(sizeof(*sgt) + (size_t)max_nents * sizeof(sgt->segs[0]));
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	sgt->nents = 0;
	sgt->max_nents = max_nents;
	sgt->size = 0;
	return sgt;
}

int sg_table_append(struct sg_table *sgt, phys_addr_t pa, uint64_t len)
{
	struct sg_segment *last = sgt->nents ? &sgt->segs[sgt->nents - 1] : NULL;

	if (U_WARN_ON(!len))
		return 0;
	if (last && last->pa + last->len == pa) {
		last->len += len;
	} else {
		if (sgt->nents == sgt->max_nents)
			return -ENOSPC;
		sgt->segs[sgt->nents].pa = pa;
		sgt->segs[sgt->nents].len = len;
		sgt->nents++;
	}
	sgt->size += len;
	return 0;
}

void sg_table_free(struct sg_table *sgt)
{
	if (IS_ERR_OR_NULL(sgt))
		return;
	u_free(sgt);
}

int sg_table_validate(const struct sg_table *sgt)
{
	uint64_t total = 0;

	if (sgt->nents > sgt->max_nents) {
		u_err("sg_table", "%u segments in a table of %u", sgt->nents, sgt->max_nents);
		return -EUCLEAN;
	}
	for (uint32_t i = 0; i < sgt->nents; i++) {
		const struct sg_segment *s = &sgt->segs[i];

		if (!s->len) {
			u_err("sg_table", "segment %u is empty", i);
			return -EUCLEAN;
		}
		if (i && sgt->segs[i - 1].pa + sgt->segs[i - 1].len == s->pa) {
			u_err("sg_table", "segments %u and %u are contiguous but not merged (pa 0x%" PRIx64 ")",
			      i - 1, i, s->pa);
			return -EUCLEAN;
		}
		total += s->len;
	}
	if (total != sgt->size) {
		u_err("sg_table", "segments add up to 0x%" PRIx64 ", size says 0x%" PRIx64,
		      total, sgt->size);
		return -EUCLEAN;
	}
	return 0;
}
