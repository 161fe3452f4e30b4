// SPDX-License-Identifier: MIT
/*
 * DOC: budgets, watermarks and reclaim
 *
 * A budget is one device's share of the arena. Its limit is hard: an
 * allocation that would exceed it fails with -ENOMEM once reclaim could not
 * make room. Two watermarks steer reclaim, as the kernel's zone watermarks do:
 *
 *   limit ┬──────────────  free memory = limit - used
 *         │  used
 *   ......│.............  high watermark: the background reclaimer works
 *         │                until at least this much is free again
 *   ......│.............  low watermark: an allocation that would leave less
 *         │                free than this reclaims directly first
 *       0 ┴──────────────
 *
 * Direct reclaim runs in the allocating thread, so an allocation that may
 * reclaim must not hold a lock a shrinker takes. That rule is checked for
 * every such allocation, not only for those that happen to reclaim: each
 * one acquires and releases the lockdep pseudo-lock fs_reclaim
 * (u_might_reclaim()), and shrinkers run with it held. MM_GFP_NORECLAIM
 * opts out (the allocation fails instead), and code already inside reclaim
 * never recurses into it.
 *
 * Shrinkers are called in registration order, count then scan, until the
 * request is met or a full round frees nothing. The background reclaimer is
 * one thread per budget, woken when an allocation leaves free memory below
 * the high watermark.
 */
#include "mm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/u_alloc.h"
#include "util/u_err.h"
#include "util/u_fault.h"
#include "util/u_lockdep.h"
#include "util/u_log.h"
#include "util/u_thread.h"
#include "util/u_trace.h"

/* Smallest batch direct reclaim asks for, as the kernel's SWAP_CLUSTER_MAX. */
#define RECLAIM_BATCH 32

/*
 * The shrinker registry's rwlock as the lockdep sees it: reclaim holds it
 * while shrinkers run, unregister takes it, so unregistering while holding
 * a lock a shrinker takes is reported instead of deadlocking one day.
 */
static U_LOCK_CLASS(shrinker_rwsem_class, "shrinker_rwsem");

/* @a - @b, or 0 when @b >= @a: free memory is re-read racily, never let the difference wrap. */
static inline uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static inline uint64_t budget_free(const struct mm_budget *b)
{
	uint64_t used = __atomic_load_n(&b->used, __ATOMIC_RELAXED);

	return used < b->limit ? b->limit - used : 0;
}

static void *background_reclaimer(void *arg);

/* The last step of destroy and of a failed create: the budget's locks, then its memory. */
static void budget_release(struct mm_budget *b)
{
	pthread_mutex_destroy(&b->swap_lock);
	pthread_cond_destroy(&b->bg_idle_cond);
	pthread_cond_destroy(&b->bg_cond);
	pthread_mutex_destroy(&b->bg_lock);
	pthread_rwlock_destroy(&b->shrinker_rwlock);
	u_free(b);
}

struct mm_budget *mm_budget_create(const struct mm_budget_config *cfg)
{
	struct mm_budget *b;
	uint64_t limit = cfg->limit_bytes ? cfg->limit_bytes : (1ull << 30);
	int ret;

	ret = mm_arena_init(0);
	if (ret)
		return ERR_PTR(ret);
	if (limit % MM_PAGE_SIZE || limit / MM_PAGE_SIZE > mm__nr_frames) {
		u_err("mm", "budget %s: limit %llu must be a multiple of 4 KiB and fit the %llu MiB arena",
		      cfg->name ? cfg->name : "?", (unsigned long long)limit,
		      (unsigned long long)(mm__nr_frames >> 8));
		return ERR_PTR(-EINVAL);
	}
	if ((cfg->low_wmark_bytes && cfg->high_wmark_bytes &&
	     cfg->high_wmark_bytes < cfg->low_wmark_bytes) ||
	    cfg->high_wmark_bytes > limit || cfg->low_wmark_bytes > limit) {
		u_err("mm", "budget %s: watermarks must satisfy low <= high <= limit",
		      cfg->name ? cfg->name : "?");
		return ERR_PTR(-EINVAL);
	}
	if (cfg->swap_bytes % MM_PAGE_SIZE || cfg->swap_bytes / MM_PAGE_SIZE > UINT32_MAX - 64) {
		u_err("mm", "budget %s: swap size %llu must be a multiple of 4 KiB below 16 TiB",
		      cfg->name ? cfg->name : "?", (unsigned long long)cfg->swap_bytes);
		return ERR_PTR(-EINVAL);
	}

	b = u_zalloc(sizeof(*b));
	if (!b)
		return ERR_PTR(-ENOMEM);
	snprintf(b->name, sizeof(b->name), "%s", cfg->name ? cfg->name : "budget");
	b->limit = limit / MM_PAGE_SIZE;
	b->low_wmark = cfg->low_wmark_bytes ? cfg->low_wmark_bytes / MM_PAGE_SIZE : b->limit / 32;
	b->high_wmark = cfg->high_wmark_bytes ? cfg->high_wmark_bytes / MM_PAGE_SIZE : b->limit / 16;
	if (b->high_wmark < b->low_wmark)
		b->high_wmark = b->low_wmark;
	u_list_init(&b->shrinkers);
	{
		/* Writer-preferring, so unregister is not starved by back-to-back reclaim. */
		pthread_rwlockattr_t attr;

		pthread_rwlockattr_init(&attr);
		pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&b->shrinker_rwlock, &attr);
		pthread_rwlockattr_destroy(&attr);
	}
	pthread_mutex_init(&b->bg_lock, NULL);
	pthread_cond_init(&b->bg_cond, NULL);
	pthread_cond_init(&b->bg_idle_cond, NULL);
	pthread_mutex_init(&b->swap_lock, NULL);
	b->swap_fd = -1;

	ret = mm__swap_init(b, cfg->swap_bytes);
	if (ret)
		goto err_free;
	ret = mm__budget_register(b);
	if (ret) {
		u_err("mm", "budget %s: too many budgets (at most %d)", b->name, MM_MAX_BUDGETS);
		goto err_swap;
	}
	if (!cfg->no_background_reclaim) {
		ret = u_thread_create(&b->bg_thread, background_reclaimer, b, "pm-reclaim");
		if (ret) {
			ret = -ENOMEM;
			goto err_unregister;
		}
		b->bg_started = true;
	}
	return b;

err_unregister:
	mm__budget_unregister(b);
err_swap:
	mm__swap_fini(b);
err_free:
	budget_release(b);
	return ERR_PTR(ret);
}

void mm_budget_destroy(struct mm_budget *b)
{
	if (!b)
		return;
	if (b->bg_started) {
		pthread_mutex_lock(&b->bg_lock);
		b->bg_stop = true;
		pthread_cond_signal(&b->bg_cond);
		pthread_mutex_unlock(&b->bg_lock);
		pthread_join(b->bg_thread, NULL);
	}
	if (b->used || b->swap_used || !u_list_empty(&b->shrinkers))
		u_panic("mm: budget %s destroyed with %llu frames, %u swap slots and %zu shrinkers still held",
			b->name, (unsigned long long)b->used, b->swap_used, u_list_length(&b->shrinkers));
	mm__budget_unregister(b);
	mm__swap_fini(b);
	budget_release(b);
}

uint64_t mm_budget_used(struct mm_budget *b)
{
	return __atomic_load_n(&b->used, __ATOMIC_RELAXED);
}

void mm_budget_stats(struct mm_budget *b, struct mm_budget_stats *st)
{
	st->limit = b->limit;
	st->low_wmark = b->low_wmark;
	st->high_wmark = b->high_wmark;
	st->used = __atomic_load_n(&b->used, __ATOMIC_RELAXED);
	st->peak = __atomic_load_n(&b->peak, __ATOMIC_RELAXED);
	st->allocs = __atomic_load_n(&b->allocs, __ATOMIC_RELAXED);
	st->frees = __atomic_load_n(&b->frees, __ATOMIC_RELAXED);
	st->failed_allocs = __atomic_load_n(&b->failed_allocs, __ATOMIC_RELAXED);
	st->direct_reclaims = __atomic_load_n(&b->direct_reclaims, __ATOMIC_RELAXED);
	st->background_reclaims = __atomic_load_n(&b->background_reclaims, __ATOMIC_RELAXED);
	st->reclaimed = __atomic_load_n(&b->reclaimed, __ATOMIC_RELAXED);
	st->swap_slots = b->swap_slots;
	pthread_mutex_lock(&b->swap_lock);
	st->swap_used = b->swap_used;
	pthread_mutex_unlock(&b->swap_lock);
}

static void wake_background(struct mm_budget *b)
{
	/*
	 * Nothing to do if a wake-up is already pending, or if the last pass
	 * could free nothing: then only a free or a new shrinker can change
	 * that (they clear bg_stalled), and waking again would only spin.
	 */
	if (!b->bg_started || __atomic_load_n(&b->bg_wake, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&b->bg_stalled, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&b->bg_lock);
	if (!b->bg_wake) {
		__atomic_store_n(&b->bg_wake, true, __ATOMIC_RELAXED);
		pthread_cond_signal(&b->bg_cond);
	}
	pthread_mutex_unlock(&b->bg_lock);
}

int mm_alloc_pages_site(struct mm_budget *b, unsigned int order, unsigned int gfp,
			enum mm_owner_kind kind, uint32_t owner_id, phys_addr_t *pa,
			const char *site)
{
	bool may_reclaim = !(gfp & MM_GFP_NORECLAIM) && !u_in_reclaim();
	uint64_t n = 1ull << order;
	uint64_t pfn;
	int ret;

	if (order > MM_MAX_ORDER)
		return -EINVAL;
	if (unlikely(u_alloc_forbidden()))
		u_panic("mm: allocation of an order-%u block at %s inside a no-allocation section",
			order, site);
	if (!(gfp & MM_GFP_NORECLAIM))
		u_might_reclaim();
	if (u_fault_should_fail(site)) {
		ret = -ENOMEM;
		goto fail;
	}

	/* Direct reclaim: this allocation would leave less than the low watermark free. */
	if (may_reclaim) {
		for (int pass = 0; pass < 3; pass++) {
			uint64_t want = sub_sat(n + b->low_wmark, budget_free(b));

			if (!want)
				break;
			__atomic_fetch_add(&b->direct_reclaims, 1, __ATOMIC_RELAXED);
			if (!mm_reclaim(b, u_max(want, (uint64_t)RECLAIM_BATCH), true))
				break;
		}
	}

	ret = mm__arena_alloc(b, order, kind, owner_id, &pfn);
	if (ret)
		goto fail;
	__atomic_fetch_add(&b->allocs, 1, __ATOMIC_RELAXED);
	if (gfp & MM_GFP_ZERO)
		memset(mm__direct_map + (pfn << MM_PAGE_SHIFT), 0, n << MM_PAGE_SHIFT);
	if (budget_free(b) < b->high_wmark)
		wake_background(b);
	*pa = mm_pfn_to_pa(pfn);
	return 0;
fail:
	__atomic_fetch_add(&b->failed_allocs, 1, __ATOMIC_RELAXED);
	if (budget_free(b) < b->high_wmark)
		wake_background(b);
	return ret;
}

void mm_free_pages(struct mm_budget *b, phys_addr_t pa, unsigned int order)
{
	if (!mm_pa_valid(pa) || (pa & (MM_PAGE_SIZE - 1)) || order > MM_MAX_ORDER)
		u_panic("mm: free of bad PA 0x%llx order %u", (unsigned long long)pa, order);
	mm__arena_free(b, mm_pa_to_pfn(pa), order);
	__atomic_fetch_add(&b->frees, 1, __ATOMIC_RELAXED);
	if (unlikely(__atomic_load_n(&b->bg_stalled, __ATOMIC_RELAXED)))
		__atomic_store_n(&b->bg_stalled, false, __ATOMIC_RELAXED);
}

int mm_shrinker_register(struct mm_budget *b, struct mm_shrinker *s)
{
	U_ASSERT(s->ops && s->ops->count && s->ops->scan);
	s->scans = 0;
	s->freed = 0;
	pthread_rwlock_wrlock(&b->shrinker_rwlock);
	u_list_add_tail(&s->link, &b->shrinkers);
	pthread_rwlock_unlock(&b->shrinker_rwlock);
	__atomic_store_n(&b->bg_stalled, false, __ATOMIC_RELAXED);
	return 0;
}

void mm_shrinker_unregister(struct mm_budget *b, struct mm_shrinker *s)
{
	u_lockdep_check_acquire(&shrinker_rwsem_class, &b->shrinker_rwlock, 0, NULL);
	pthread_rwlock_wrlock(&b->shrinker_rwlock);
	u_lockdep_acquire(&shrinker_rwsem_class, &b->shrinker_rwlock, 0, NULL);
	u_list_del(&s->link);
	u_lockdep_release(&shrinker_rwsem_class, &b->shrinker_rwlock);
	pthread_rwlock_unlock(&b->shrinker_rwlock);
}

unsigned long mm_reclaim(struct mm_budget *b, unsigned long nr_pages, bool may_block)
{
	unsigned long freed = 0;
	bool progress = true;
	struct mm_shrinker *s;

	if (!nr_pages)
		return 0;
	u_fs_reclaim_acquire();
	u_lockdep_check_acquire(&shrinker_rwsem_class, &b->shrinker_rwlock, 0, NULL);
	pthread_rwlock_rdlock(&b->shrinker_rwlock);
	u_lockdep_acquire(&shrinker_rwsem_class, &b->shrinker_rwlock, 0, NULL);
	U_TRACE("shrinker", "reclaim", b->name, 'B', "want", nr_pages);
	while (freed < nr_pages && progress) {
		progress = false;
		u_list_for_each_entry(s, &b->shrinkers, link) {
			struct mm_shrink_control sc = {
				.nr_to_scan = nr_pages - freed,
				.may_block = may_block,
				.has_swap = mm_has_swap(b),
			};
			unsigned long avail, got;

			avail = s->ops->count(s->cookie, &sc);
			if (!avail)
				continue;
			sc.nr_to_scan = u_min(avail, nr_pages - freed);
			sc.nr_scanned = 0;
			got = s->ops->scan(s->cookie, &sc);
			__atomic_fetch_add(&s->scans, 1, __ATOMIC_RELAXED);
			if (got == MM_SHRINK_STOP || !got)
				continue;
			__atomic_fetch_add(&s->freed, got, __ATOMIC_RELAXED);
			freed += got;
			progress = true;
			if (freed >= nr_pages)
				break;
		}
	}
	U_TRACE("shrinker", "reclaim", b->name, 'E', "freed", freed);
	u_lockdep_release(&shrinker_rwsem_class, &b->shrinker_rwlock);
	pthread_rwlock_unlock(&b->shrinker_rwlock);
	u_fs_reclaim_release();
	__atomic_fetch_add(&b->reclaimed, freed, __ATOMIC_RELAXED);
	return freed;
}

static void *background_reclaimer(void *arg)
{
	struct mm_budget *b = arg;

	pthread_mutex_lock(&b->bg_lock);
	for (;;) {
		while (!b->bg_wake && !b->bg_stop)
			pthread_cond_wait(&b->bg_cond, &b->bg_lock);
		if (b->bg_stop)
			break;
		__atomic_store_n(&b->bg_wake, false, __ATOMIC_RELAXED);
		b->bg_busy = true;
		pthread_mutex_unlock(&b->bg_lock);

		for (;;) {
			uint64_t want = sub_sat(b->high_wmark, budget_free(b));

			if (!want)
				break;
			__atomic_fetch_add(&b->background_reclaims, 1, __ATOMIC_RELAXED);
			if (!mm_reclaim(b, u_max(want, (uint64_t)RECLAIM_BATCH), true)) {
				/* Nothing reclaimable now: sleep until a free or a new shrinker. */
				__atomic_store_n(&b->bg_stalled, true, __ATOMIC_RELAXED);
				break;
			}
		}

		pthread_mutex_lock(&b->bg_lock);
		b->bg_busy = false;
		pthread_cond_broadcast(&b->bg_idle_cond);
	}
	b->bg_busy = false;
	pthread_cond_broadcast(&b->bg_idle_cond);
	pthread_mutex_unlock(&b->bg_lock);
	return NULL;
}

void mm_wait_background_idle(struct mm_budget *b)
{
	if (!b->bg_started)
		return;
	pthread_mutex_lock(&b->bg_lock);
	while ((b->bg_wake || b->bg_busy) && !b->bg_stop)
		pthread_cond_wait(&b->bg_idle_cond, &b->bg_lock);
	pthread_mutex_unlock(&b->bg_lock);
}
