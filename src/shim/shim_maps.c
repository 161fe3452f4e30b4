// SPDX-License-Identifier: MIT
/*
 * DOC: BO mappings made through the shim
 *
 * munmap() must go to pantomime_munmap() for the BO mappings the program
 * made with mmap() on a device fd, and straight to the kernel for
 * everything else — including the driver's own munmap() calls (arena,
 * userfaultfd reservations), which reach this interposer too. So the shim
 * keeps its own record of the ranges pantomime_mmap() returned (an interval
 * tree under a leaf lock) and never asks the driver: a driver thread that
 * unmaps while holding its own locks cannot be called back into the driver.
 * With no BO mapping recorded, munmap() costs one load more than the libc
 * one.
 *
 * A munmap() that covers BO pieces and other memory unmaps the pieces
 * through the driver and the gaps through the kernel, in address order, as
 * one munmap() over mixed VMAs would. An mmap(MAP_FIXED) over a BO piece
 * first drops the piece through the driver (the kernel's MAP_FIXED would
 * have unmapped it). mremap() of a BO mapping is not seen (documented).
 */
#include "shim.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "util/u_alloc.h"
#include "util/u_itree.h"

struct shim_map {
	struct u_itree_node node;
};

/* The recorded BO mappings; protected by maps_lock, except maps_nr (atomic). */
static struct u_itree maps = U_ITREE_INIT;
static size_t maps_nr;
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

static uintptr_t page_size(void)
{
	static uintptr_t pg;

	if (!pg)
		pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	return pg;
}

int shim_maps_add(void *addr, size_t len)
{
	struct shim_map *m = u_zalloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->node.start = (uintptr_t)addr;
	m->node.last = (uintptr_t)addr + U_ALIGN_UP(len, page_size()) - 1;
	pthread_mutex_lock(&maps_lock);
	u_itree_insert(&maps, &m->node);
	__atomic_store_n(&maps_nr, u_itree_count(&maps), __ATOMIC_RELEASE);
	pthread_mutex_unlock(&maps_lock);
	return 0;
}

bool shim_maps_any(void)
{
	return __atomic_load_n(&maps_nr, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Cut the lowest recorded piece overlapping [start, last] out of the tree.
 * @spare: a node for the right-hand remainder when the cut splits a range
 * (consumed: set to NULL when used). Return: false when nothing overlaps.
 */
static bool cut_first_locked(uintptr_t start, uintptr_t last, uintptr_t *pstart,
			     uintptr_t *plast, struct shim_map **spare)
{
	struct u_itree_node *n = u_itree_iter_first(&maps, start, last);
	struct u_itree_node *lowest = n;

	/* The iterator follows start order; keep the lowest for address order. */
	for (; n; n = u_itree_iter_next(n, start, last))
		if (n->start < lowest->start)
			lowest = n;
	if (!lowest)
		return false;
	n = lowest;
	*pstart = n->start > start ? n->start : start;
	*plast = n->last < last ? n->last : last;
	u_itree_remove(&maps, n);
	if (n->start < *pstart && n->last > *plast) {
		/* A hole in the middle: two remainders. */
		struct shim_map *right = *spare;

		*spare = NULL;
		right->node.start = *plast + 1;
		right->node.last = n->last;
		n->last = *pstart - 1;
		u_itree_insert(&maps, n);
		u_itree_insert(&maps, &right->node);
	} else if (n->start < *pstart) {
		n->last = *pstart - 1;
		u_itree_insert(&maps, n);
	} else if (n->last > *plast) {
		n->start = *plast + 1;
		u_itree_insert(&maps, n);
	} else {
		u_free(container_of(n, struct shim_map, node));
	}
	__atomic_store_n(&maps_nr, u_itree_count(&maps), __ATOMIC_RELEASE);
	return true;
}

int shim_maps_unmap(void *addr, size_t len, bool real_gaps)
{
	uintptr_t start = (uintptr_t)addr, end, cursor, pstart, plast;
	int ret = 0;

	if (!len || (start & (page_size() - 1)))
		return -EINVAL;
	end = start + U_ALIGN_UP(len, page_size());
	if (end < start)
		return -EINVAL;
	cursor = start;
	for (;;) {
		struct shim_map *spare = u_zalloc(sizeof(*spare));
		bool found;
		int r;

		if (!spare)
			return -ENOMEM;
		pthread_mutex_lock(&maps_lock);
		found = cut_first_locked(cursor, end - 1, &pstart, &plast, &spare);
		pthread_mutex_unlock(&maps_lock);
		u_free(spare);
		if (!found)
			break;
		if (real_gaps && pstart > cursor && shim_real.munmap((void *)cursor, pstart - cursor))
			ret = ret ?: -errno;
		r = pantomime_munmap((void *)pstart, plast - pstart + 1);
		ret = ret ?: r;
		cursor = plast + 1;
		if (cursor >= end)
			break;
	}
	if (real_gaps && cursor < end && shim_real.munmap((void *)cursor, end - cursor))
		ret = ret ?: -errno;
	return ret;
}

void shim_maps_atfork_child(void)
{
	pthread_mutex_init(&maps_lock, NULL);
}
