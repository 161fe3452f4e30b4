// SPDX-License-Identifier: MIT
/*
 * DOC: swap area
 *
 * A budget's swap is a second memfd, mapped once, divided into page-sized
 * slots handed out from a bitmap (first free slot from a rotating hint).
 * Without a swap area, mm_has_swap() is false and shrinkers are told so:
 * as in panthor, no swap means no eviction of pages that hold data.
 */
#include "mm_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/u_alloc.h"
#include "util/u_fault.h"
#include "util/u_log.h"

int mm__swap_init(struct mm_budget *b, uint64_t bytes)
{
	uint32_t slots = (uint32_t)(bytes / MM_PAGE_SIZE);
	void *map;
	int fd;

	if (!slots)
		return 0;
	b->swap_bitmap = u_calloc((slots + 63) / 64, sizeof(uint64_t));
	if (!b->swap_bitmap)
		return -ENOMEM;
	fd = memfd_create("pantomime-swap", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		u_err("mm", "budget %s: cannot create a %llu MiB swap area: %s", b->name,
		      (unsigned long long)(bytes >> 20), strerror(errno));
		goto err;
	}
	map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (map == MAP_FAILED) {
		u_err("mm", "budget %s: cannot map the swap area: %s", b->name, strerror(errno));
		goto err;
	}
	b->swap_fd = fd;
	b->swap_map = map;
	b->swap_slots = slots;
	return 0;
err:
	if (fd >= 0)
		close(fd);
	u_free(b->swap_bitmap);
	b->swap_bitmap = NULL;
	return -ENOMEM;
}

void mm__swap_fini(struct mm_budget *b)
{
	if (!b->swap_slots)
		return;
	munmap(b->swap_map, (size_t)b->swap_slots * MM_PAGE_SIZE);
	close(b->swap_fd);
	u_free(b->swap_bitmap);
	b->swap_slots = 0;
	b->swap_bitmap = NULL;
}

bool mm_has_swap(struct mm_budget *b)
{
	return b->swap_slots && __atomic_load_n(&b->swap_used, __ATOMIC_RELAXED) < b->swap_slots;
}

int mm_swap_alloc_site(struct mm_budget *b, uint32_t *slot, const char *site)
{
	uint32_t words = (b->swap_slots + 63) / 64;
	int ret = -ENOSPC;

	if (unlikely(u_alloc_forbidden()))
		u_panic("mm: swap slot allocation at %s inside a no-allocation section", site);
	if (u_fault_should_fail(site))
		return -ENOMEM;
	if (!b->swap_slots)
		return -ENOSPC;
	pthread_mutex_lock(&b->swap_lock);
	for (uint32_t k = 0; k < words && b->swap_used < b->swap_slots; k++) {
		uint32_t w = (b->swap_hint / 64 + k) % words;
		uint64_t free_bits = ~b->swap_bitmap[w];
		uint32_t s;

		if (w == words - 1 && b->swap_slots % 64)
			free_bits &= (1ull << (b->swap_slots % 64)) - 1;
		if (!free_bits)
			continue;
		s = w * 64 + u_ffs64(free_bits);
		b->swap_bitmap[w] |= 1ull << (s % 64);
		__atomic_store_n(&b->swap_used, b->swap_used + 1, __ATOMIC_RELAXED);
		b->swap_hint = s + 1 < b->swap_slots ? s + 1 : 0;
		*slot = s;
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&b->swap_lock);
	return ret;
}

void mm_swap_free(struct mm_budget *b, uint32_t slot)
{
	pthread_mutex_lock(&b->swap_lock);
	if (slot >= b->swap_slots || !(b->swap_bitmap[slot / 64] & (1ull << (slot % 64))))
		u_panic("mm: budget %s: free of swap slot %u that is not allocated", b->name, slot);
	b->swap_bitmap[slot / 64] &= ~(1ull << (slot % 64));
	__atomic_store_n(&b->swap_used, b->swap_used - 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&b->swap_lock);
}

static uint8_t *slot_ptr(struct mm_budget *b, uint32_t slot)
{
	if (slot >= b->swap_slots)
		u_panic("mm: budget %s: swap slot %u out of range", b->name, slot);
	return b->swap_map + (size_t)slot * MM_PAGE_SIZE;
}

void mm_swap_write(struct mm_budget *b, uint32_t slot, phys_addr_t pa)
{
	memcpy(slot_ptr(b, slot), mm_pa_to_virt(pa), MM_PAGE_SIZE);
}

void mm_swap_read(struct mm_budget *b, uint32_t slot, phys_addr_t pa)
{
	memcpy(mm_pa_to_virt(pa), slot_ptr(b, slot), MM_PAGE_SIZE);
}

void mm_swap_write_pages(struct mm_budget *b, uint32_t slot, phys_addr_t pa, uint32_t n)
{
	if (!n || (uint64_t)slot + n > b->swap_slots)
		u_panic("mm: budget %s: swap slots %u+%u out of range", b->name, slot, n);
	memcpy(slot_ptr(b, slot), mm_pa_to_virt(pa), (size_t)n * MM_PAGE_SIZE);
}

void mm_swap_read_pages(struct mm_budget *b, uint32_t slot, phys_addr_t pa, uint32_t n)
{
	if (!n || (uint64_t)slot + n > b->swap_slots)
		u_panic("mm: budget %s: swap slots %u+%u out of range", b->name, slot, n);
	memcpy(mm_pa_to_virt(pa), slot_ptr(b, slot), (size_t)n * MM_PAGE_SIZE);
}

int mm__swap_validate(struct mm_budget *b)
{
	uint32_t words = (b->swap_slots + 63) / 64, bits = 0;
	int ret = 0;

	pthread_mutex_lock(&b->swap_lock);
	for (uint32_t w = 0; w < words; w++)
		bits += (uint32_t)__builtin_popcountll(b->swap_bitmap[w]);
	if (bits != b->swap_used) {
		u_err("mm", "validate: budget %s: %u swap slots marked, swap_used says %u",
		      b->name, bits, b->swap_used);
		ret = -EUCLEAN;
	} else if (b->swap_slots % 64 && words &&
		   (b->swap_bitmap[words - 1] >> (b->swap_slots % 64))) {
		u_err("mm", "validate: budget %s: swap slots beyond the area are marked", b->name);
		ret = -EUCLEAN;
	}
	pthread_mutex_unlock(&b->swap_lock);
	return ret;
}
