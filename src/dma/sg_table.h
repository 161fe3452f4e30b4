/* SPDX-License-Identifier: MIT */
/*
 * sg_table: the device view of a buffer's memory, as the kernel's struct
 * sg_table after dma_map_sgtable(): an ordered list of physically contiguous
 * segments. There is no IOMMU between the GPU and DRAM here, so a segment's
 * DMA address is its physical address, and building the table is the whole
 * "mapping".
 *
 * Appending coalesces: a segment that starts where the previous one ends is
 * merged into it, so a buffer backed by consecutive 2 MiB chunks becomes one
 * segment, and a page-table mapper can use 2 MiB blocks across it.
 */
#ifndef PANTOMIME_SG_TABLE_H
#define PANTOMIME_SG_TABLE_H

#include <stdint.h>

#include "mm/mm.h"

/**
 * struct sg_segment - one physically contiguous run.
 * @pa: physical (= DMA) address of its first byte.
 * @len: length in bytes, never 0.
 */
struct sg_segment {
	phys_addr_t pa;
	uint64_t len;
};

/**
 * struct sg_table - a list of segments.
 * @nents: segments in use.
 * @max_nents: capacity of @segs, fixed at creation.
 * @size: sum of the segments' lengths.
 * @segs: the segments, in buffer order.
 */
struct sg_table {
	uint32_t nents;
	uint32_t max_nents;
	uint64_t size;
	struct sg_segment segs[];
};

/**
 * sg_table_create() - an empty table with room for @max_nents segments.
 * @max_nents: capacity (at least 1); appends that coalesce use no new slot.
 *
 * Return: the table, or ERR_PTR(-EINVAL) for a zero capacity,
 * ERR_PTR(-ENOMEM).
 */
struct sg_table *sg_table_create(uint32_t max_nents);

/**
 * sg_table_append() - add [@pa, @pa + @len) after the last segment,
 * merging it into that segment when it starts where it ends.
 * @sgt: the table.
 * @pa: physical address.
 * @len: length in bytes (> 0).
 *
 * Return: 0, or -ENOSPC when a new segment is needed and the table is full.
 */
int sg_table_append(struct sg_table *sgt, phys_addr_t pa, uint64_t len);

/**
 * sg_table_free() - free a table from sg_table_create().
 * @sgt: the table, NULL or an ERR_PTR (no-op).
 */
void sg_table_free(struct sg_table *sgt);

/**
 * sg_table_validate() - check @sgt: non-empty segments, no two consecutive
 * ones that should have been merged, lengths adding up to &sg_table.size.
 * @sgt: the table.
 *
 * Return: 0, or -EUCLEAN after logging the first broken invariant.
 */
int sg_table_validate(const struct sg_table *sgt);

#endif
