// SPDX-License-Identifier: MIT
/*
 * DOC: the arena and its buddy allocator
 *
 * The arena is one memfd, sized once (64 GiB of address space by default;
 * only frames that have been used cost memory) and mapped once: that mapping
 * is the direct map through which the driver writes page tables and the GPU
 * model reads them. Being one file, any frame can also be mapped into a user
 * address range (CPU mmap of a BO), and every device instance in the process
 * sees the same frames, which is what lets a dma-buf cross devices.
 *
 * Frames are handed out by a binary buddy allocator, orders 0..9. Blocks are
 * naturally aligned, so an order-9 block is a 2 MiB aligned, physically
 * contiguous chunk: exactly what a 2 MiB block mapping needs.
 *
 * The arena is carved lazily, one 2 MiB block at a time, from its low end:
 * the free lists only ever hold blocks below the carve point. Populating the
 * free lists with the whole arena up front would touch the metadata of every
 * 2 MiB block (hundreds of MiB for a 64 GiB arena) before the first
 * allocation; carving keeps the footprint proportional to the peak use.
 *
 * Free lists are doubly linked through the frames' metadata (frame numbers,
 * not pointers), so they cost no memory of their own. Every frame of a
 * block, not only its head, carries the block's state, owner and budget:
 * the GPU model's checker asks "is the frame this access hit free, and who
 * owns it?" for any frame, in O(1).
 *
 * Locking: one mutex (arena_lock) protects the free lists, the carve point,
 * frame states and budgets' usage. It is a leaf: nothing is called with it
 * held. A single lock is enough here: allocations are per page-table page
 * or per BO backing chunk, never per byte.
 */
#include "mm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/u_log.h"
#include "util/u_parse.h"

#define NO_PFN UINT32_MAX
#define BLOCK_FRAMES (1u << MM_MAX_ORDER)

uint8_t *mm__direct_map;
struct mm_frame *mm__frames;
uint64_t mm__nr_frames;

static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static int arena_fd = -1;
static uint64_t carved;		/* frames below this have been handed to the buddy */
static uint64_t in_use;		/* allocated frames, all budgets */
static uint32_t free_head[MM_MAX_ORDER + 1];
static uint64_t free_count[MM_MAX_ORDER + 1];	/* blocks per order */
static struct mm_budget *budgets[MM_MAX_BUDGETS + 1];	/* index 0 unused */

static void free_list_push(uint32_t pfn, unsigned int order)
{
	struct mm_frame *f = &mm__frames[pfn];
	uint32_t head = free_head[order];

	f->free.prev = NO_PFN;
	f->free.next = head;
	if (head != NO_PFN)
		mm__frames[head].free.prev = pfn;
	free_head[order] = pfn;
	free_count[order]++;
}

static void free_list_remove(uint32_t pfn, unsigned int order)
{
	struct mm_frame *f = &mm__frames[pfn];

	if (f->free.prev != NO_PFN)
		mm__frames[f->free.prev].free.next = f->free.next;
	else
		free_head[order] = f->free.next;
	if (f->free.next != NO_PFN)
		mm__frames[f->free.next].free.prev = f->free.prev;
	free_count[order]--;
}

/* Mark the 2^@order frames at @pfn as one block in @state, headed at @pfn. */
static void mark_block(uint64_t pfn, unsigned int order, enum mm_frame_state state,
		       enum mm_owner_kind kind, uint32_t owner_id, uint8_t budget)
{
	uint64_t n = 1ull << order;

	for (uint64_t i = 0; i < n; i++) {
		struct mm_frame *f = &mm__frames[pfn + i];

		/* Relaxed stores: the GPU model's checker reads frames without the lock. */
		__atomic_store_n(&f->state, (uint8_t)state, __ATOMIC_RELAXED);
		__atomic_store_n(&f->order, i ? MM_ORDER_TAIL : (uint8_t)order, __ATOMIC_RELAXED);
		__atomic_store_n(&f->owner_kind, (uint8_t)kind, __ATOMIC_RELAXED);
		__atomic_store_n(&f->owner_id, owner_id, __ATOMIC_RELAXED);
		__atomic_store_n(&f->budget, budget, __ATOMIC_RELAXED);
		if (state == MM_FRAME_ALLOCATED)
			f->priv = 0;
	}
}

static bool carve_block(void)
{
	if (carved + BLOCK_FRAMES > mm__nr_frames)
		return false;
	mark_block(carved, MM_MAX_ORDER, MM_FRAME_FREE, MM_OWNER_NONE, 0, 0);
	free_list_push((uint32_t)carved, MM_MAX_ORDER);
	carved += BLOCK_FRAMES;
	return true;
}

static int parse_arena_env(uint64_t *bytes)
{
	const char *env = getenv("PANTOMIME_ARENA");

	if (!env || !*env)
		return 0;
	if (u_parse_size(env, bytes)) {
		u_err("mm", "PANTOMIME_ARENA=%s: expected a size such as 16G", env);
		return -EINVAL;
	}
	return 0;
}

int mm_arena_init(uint64_t bytes)
{
	uint64_t frames;
	void *map, *meta;
	int fd, ret = 0;

	pthread_mutex_lock(&arena_lock);
	if (mm__direct_map)
		goto out;

	if (!bytes) {
		bytes = MM_ARENA_DEFAULT_BYTES;
		ret = parse_arena_env(&bytes);
		if (ret)
			goto out;
	}
	if (!bytes || bytes % SZ_2M || bytes / MM_PAGE_SIZE >= NO_PFN) {
		u_err("mm", "arena size %llu: must be a non-zero multiple of 2 MiB below 16 TiB",
		      (unsigned long long)bytes);
		ret = -EINVAL;
		goto out;
	}
	frames = bytes / MM_PAGE_SIZE;

	fd = memfd_create("pantomime-dram", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		u_err("mm", "cannot create the %llu MiB DRAM arena: %s",
		      (unsigned long long)(bytes >> 20), strerror(errno));
		if (fd >= 0)
			close(fd);
		ret = -ENOMEM;
		goto out;
	}
	map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	meta = mmap(NULL, frames * sizeof(struct mm_frame), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED || meta == MAP_FAILED) {
		u_err("mm", "cannot map the DRAM arena: %s", strerror(errno));
		if (map != MAP_FAILED)
			munmap(map, bytes);
		if (meta != MAP_FAILED)
			munmap(meta, frames * sizeof(struct mm_frame));
		close(fd);
		ret = -ENOMEM;
		goto out;
	}

	for (unsigned int o = 0; o <= MM_MAX_ORDER; o++)
		free_head[o] = NO_PFN;
	arena_fd = fd;
	mm__frames = meta;
	mm__nr_frames = frames;
	/* Published last: mm__direct_map != NULL means "initialised". */
	__atomic_store_n(&mm__direct_map, (uint8_t *)map, __ATOMIC_RELEASE);
	u_info("mm", "DRAM arena: %llu MiB at PA 0x%llx",
	       (unsigned long long)(bytes >> 20), (unsigned long long)MM_PA_BASE);
out:
	pthread_mutex_unlock(&arena_lock);
	return ret;
}

int mm_arena_fd(void)
{
	return arena_fd;
}

uint64_t mm_arena_frames_in_use(void)
{
	return __atomic_load_n(&in_use, __ATOMIC_RELAXED);
}

int mm__arena_alloc(struct mm_budget *b, unsigned int order, enum mm_owner_kind kind,
		    uint32_t owner_id, uint64_t *pfn_out)
{
	uint64_t n = 1ull << order;
	unsigned int o;
	uint32_t pfn;

	pthread_mutex_lock(&arena_lock);
	if (b->used + n > b->limit)
		goto fail;
	for (o = order; o <= MM_MAX_ORDER && free_head[o] == NO_PFN; o++)
		;
	if (o > MM_MAX_ORDER) {
		if (!carve_block())
			goto fail;
		o = MM_MAX_ORDER;
	}
	pfn = free_head[o];
	free_list_remove(pfn, o);
	while (o > order) {
		o--;
		mark_block(pfn + (1u << o), o, MM_FRAME_FREE, MM_OWNER_NONE, 0, 0);
		free_list_push(pfn + (1u << o), o);
	}
	mark_block(pfn, order, MM_FRAME_ALLOCATED, kind, owner_id, b->index);
	/* Written under arena_lock, read without it (relaxed) for reclaim decisions. */
	__atomic_store_n(&b->used, b->used + n, __ATOMIC_RELAXED);
	if (b->used > b->peak)
		__atomic_store_n(&b->peak, b->used, __ATOMIC_RELAXED);
	__atomic_store_n(&in_use, in_use + n, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&arena_lock);
	*pfn_out = pfn;
	return 0;
fail:
	pthread_mutex_unlock(&arena_lock);
	return -ENOMEM;
}

void mm__arena_free(struct mm_budget *b, uint64_t pfn, unsigned int order)
{
	struct mm_frame *f;

	pthread_mutex_lock(&arena_lock);
	if (pfn >= carved)
		u_panic("mm: free of PA 0x%llx: not an allocated frame",
			(unsigned long long)mm_pfn_to_pa(pfn));
	f = &mm__frames[pfn];
	if (f->state != MM_FRAME_ALLOCATED || f->order != order || f->budget != b->index) {
		u_panic("mm: bad free of PA 0x%llx order %u by budget %s: frame is %s, order %u, budget %u",
			(unsigned long long)mm_pfn_to_pa(pfn), order, b->name,
			f->state == MM_FRAME_FREE ? "free (double free)" :
			f->state == MM_FRAME_ALLOCATED ? "allocated" : "unused",
			f->order, f->budget);
	}
	__atomic_store_n(&b->used, b->used - (1ull << order), __ATOMIC_RELAXED);
	__atomic_store_n(&in_use, in_use - (1ull << order), __ATOMIC_RELAXED);
	mark_block(pfn, order, MM_FRAME_FREE, MM_OWNER_NONE, 0, 0);
	while (order < MM_MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ull << order);
		struct mm_frame *bf = &mm__frames[buddy];

		if (bf->state != MM_FRAME_FREE || bf->order != order)
			break;
		free_list_remove((uint32_t)buddy, order);
		if (buddy < pfn) {
			__atomic_store_n(&mm__frames[pfn].order, MM_ORDER_TAIL, __ATOMIC_RELAXED);
			pfn = buddy;
		} else {
			__atomic_store_n(&bf->order, MM_ORDER_TAIL, __ATOMIC_RELAXED);
		}
		order++;
		__atomic_store_n(&mm__frames[pfn].order, (uint8_t)order, __ATOMIC_RELAXED);
	}
	free_list_push((uint32_t)pfn, order);
	pthread_mutex_unlock(&arena_lock);
}

void mm_set_owner(phys_addr_t pa, unsigned int order, enum mm_owner_kind kind, uint32_t owner_id)
{
	struct mm_frame *f = mm_frame(pa);
	uint64_t n = 1ull << order;

	U_ASSERT(f->state == MM_FRAME_ALLOCATED);
	for (uint64_t i = 0; i < n; i++) {
		__atomic_store_n(&f[i].owner_kind, (uint8_t)kind, __ATOMIC_RELAXED);
		__atomic_store_n(&f[i].owner_id, owner_id, __ATOMIC_RELAXED);
	}
}

int mm__budget_register(struct mm_budget *b)
{
	int ret = -EMFILE;

	pthread_mutex_lock(&arena_lock);
	for (unsigned int i = 1; i <= MM_MAX_BUDGETS; i++) {
		if (!budgets[i]) {
			budgets[i] = b;
			b->index = (uint8_t)i;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&arena_lock);
	return ret;
}

void mm__budget_unregister(struct mm_budget *b)
{
	pthread_mutex_lock(&arena_lock);
	budgets[b->index] = NULL;
	pthread_mutex_unlock(&arena_lock);
}

#define CHECK(cond, ...) do {                           \
	if (!(cond)) {                                  \
		u_err("mm", "validate: " __VA_ARGS__);  \
		ret = -EUCLEAN;                         \
		goto out;                               \
	}                                               \
} while (0)

int mm_validate(void)
{
	static uint64_t charged[MM_MAX_BUDGETS + 1];
	uint64_t free_frames = 0, alloc_frames = 0;
	int ret = 0;

	if (!mm__direct_map)
		return 0;
	pthread_mutex_lock(&arena_lock);
	memset(charged, 0, sizeof(charged));

	/* Free lists: every entry heads a free, aligned, in-range block of its order. */
	for (unsigned int o = 0; o <= MM_MAX_ORDER; o++) {
		uint64_t count = 0;
		uint32_t prev = NO_PFN;

		for (uint32_t pfn = free_head[o]; pfn != NO_PFN; pfn = mm__frames[pfn].free.next) {
			const struct mm_frame *f = &mm__frames[pfn];

			CHECK(pfn < carved, "order-%u free block at pfn %u beyond the carve point", o, pfn);
			CHECK(pfn % (1u << o) == 0, "order-%u free block at pfn %u misaligned", o, pfn);
			CHECK(f->state == MM_FRAME_FREE && f->order == o,
			      "free list %u holds pfn %u with state %u order %u", o, pfn, f->state, f->order);
			CHECK(f->free.prev == prev, "free list %u broken back link at pfn %u", o, pfn);
			CHECK(++count <= free_count[o], "free list %u longer than its count %llu (cycle?)",
			      o, (unsigned long long)free_count[o]);
			prev = pfn;
		}
		CHECK(count == free_count[o], "free list %u has %llu blocks, count says %llu", o,
		      (unsigned long long)count, (unsigned long long)free_count[o]);
	}

	/* Every carved frame belongs to exactly one well-formed block. */
	for (uint64_t pfn = 0; pfn < carved;) {
		const struct mm_frame *f = &mm__frames[pfn];
		unsigned int o = f->order;
		uint64_t n;

		CHECK(o <= MM_MAX_ORDER, "pfn %llu: expected a block head, found order %u",
		      (unsigned long long)pfn, o);
		n = 1ull << o;
		CHECK(pfn % n == 0, "pfn %llu: block of order %u misaligned", (unsigned long long)pfn, o);
		CHECK(f->state == MM_FRAME_FREE || f->state == MM_FRAME_ALLOCATED,
		      "pfn %llu: carved frame in state %u", (unsigned long long)pfn, f->state);
		for (uint64_t i = 1; i < n; i++) {
			const struct mm_frame *t = &mm__frames[pfn + i];

			CHECK(t->order == MM_ORDER_TAIL && t->state == f->state && t->budget == f->budget,
			      "pfn %llu: tail of the order-%u block at %llu disagrees with its head",
			      (unsigned long long)(pfn + i), o, (unsigned long long)pfn);
		}
		if (f->state == MM_FRAME_FREE) {
			for (uint64_t i = 0; i < n; i++) {
				const struct mm_frame *t = &mm__frames[pfn + i];

				CHECK(t->owner_kind == MM_OWNER_NONE && t->budget == 0,
				      "pfn %llu: free frame still names owner kind %u, budget %u",
				      (unsigned long long)(pfn + i), t->owner_kind, t->budget);
			}
			CHECK(o == MM_MAX_ORDER || mm__frames[pfn ^ n].state != MM_FRAME_FREE ||
			      mm__frames[pfn ^ n].order != o,
			      "pfn %llu: free order-%u block and its free buddy were not merged",
			      (unsigned long long)pfn, o);
			free_frames += n;
		} else {
			CHECK(f->budget && budgets[f->budget], "pfn %llu: allocated to unknown budget %u",
			      (unsigned long long)pfn, f->budget);
			charged[f->budget] += n;
			alloc_frames += n;
		}
		pfn += n;
	}
	{
		uint64_t listed = 0;

		for (unsigned int o = 0; o <= MM_MAX_ORDER; o++)
			listed += free_count[o] << o;
		CHECK(listed == free_frames, "free lists hold %llu frames, the frames say %llu",
		      (unsigned long long)listed, (unsigned long long)free_frames);
	}
	CHECK(alloc_frames == in_use, "%llu frames allocated, in_use says %llu",
	      (unsigned long long)alloc_frames, (unsigned long long)in_use);
	for (unsigned int i = 1; i <= MM_MAX_BUDGETS; i++) {
		if (!budgets[i])
			continue;
		CHECK(charged[i] == budgets[i]->used, "budget %s: %llu frames charged, used says %llu",
		      budgets[i]->name, (unsigned long long)charged[i],
		      (unsigned long long)budgets[i]->used);
		CHECK(budgets[i]->used <= budgets[i]->limit, "budget %s over its limit",
		      budgets[i]->name);
		CHECK(budgets[i]->peak >= budgets[i]->used, "budget %s: peak below current use",
		      budgets[i]->name);
		/* Under arena_lock: a budget cannot be unregistered (and freed) meanwhile. */
		ret = mm__swap_validate(budgets[i]);
		if (ret)
			goto out;
	}
	for (uint64_t pfn = carved; pfn < carved + BLOCK_FRAMES && pfn < mm__nr_frames; pfn++)
		CHECK(mm__frames[pfn].state == MM_FRAME_UNUSED,
		      "pfn %llu beyond the carve point is not unused", (unsigned long long)pfn);
out:
	pthread_mutex_unlock(&arena_lock);
	return ret;
}
