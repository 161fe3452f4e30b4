// SPDX-License-Identifier: MIT
/*
 * DOC: the GPU access port: units, the fast path, stalls, drains
 *
 * Any host thread may issue GPU accesses by (AS, VA). The first access a
 * thread makes on a device turns it into a *GPU unit* (an agent): it gets
 * one of HW_MAX_AGENTS slots, found again through a thread-local cache
 * (device pointer and unique id -> slot) and given back by a thread-exit
 * destructor or when the device is destroyed. A unit has its own TLB per
 * AS, like the micro-TLBs of a GPU's cores, touched only by its own thread:
 * the fast path needs no atomic read-modify-write and no lock.
 *
 * The fast path of an access (a TLB hit on an AS with nothing special):
 *
 *   the access's AS and VA range, then seq = odd (release stores, plain
 *   moves on x86)                        -- "an access is in flight"
 *   compiler barrier (or a full fence, see below)
 *   state = AS state word (relaxed load)
 *   state == (my generation << 8 | ENABLED)?   (or the same | LOCKED, and
 *     the access outside the locked region)   else: slow path
 *   TLB entry for va matches and allows the access?   else: slow path
 *   frame of the PA allocated to a BO/dummy/firmware?  else: slow path
 *   data access (relaxed atomic or memcpy)
 *   seq = even (release store)
 *
 * Draining without atomics on that path. LOCK and UPDATE must not complete
 * (AS_ACTIVE must stay set) while an access that started under the old
 * state is still in flight. The command side, under the device lock:
 * publishes the new state word, then runs membarrier(PRIVATE_EXPEDITED),
 * which executes a full memory barrier on every thread of the process that
 * is running, then reads every unit's seq; the odd ones are recorded and
 * AS_ACTIVE stays set until each has moved on. This is the asymmetric-fence
 * argument of userspace RCU: a unit's "seq odd" store and its state load
 * are separated by a compiler barrier only, and the membarrier supplies the
 * missing hardware fence on the unit's side at the moment it matters, so
 * either the command sees the odd seq (and waits for it) or the unit's
 * state load comes after the barrier and sees the new state (and takes the
 * slow path, which stalls inside a locked region). Where membarrier is
 * unavailable (checked once at first use), both sides use seq_cst fences.
 * The drain is skipped when no unit was ever registered on the device. It
 * is scoped by what each access in flight recorded: a LOCK waits only for
 * the accesses on its AS that may touch its region (the others cannot meet
 * the page tables it protects), an UPDATE or FLUSH_MEM for every access on
 * its AS.
 *
 * The rejected alternative, a reader count incremented and decremented
 * with atomic RMWs per access (or a per-AS rwlock), costs two contended
 * cache-line bounces per access between units; it would cap the stress
 * job well below its 10M accesses/s.
 *
 * The locked region is read without the device lock, under its own
 * sequence count (hw__lock_region_read()): while a bind holds a region
 * locked, the other accesses of the AS neither leave the fast path nor
 * queue on the device lock behind the bind's MMIO polls. A LOCK that comes
 * next drains them like any fast-path access.
 *
 * Slow path: apply TLB invalidations published by commands since the
 * unit's last look (generation ring, hw_mmu.c); then, under the device
 * lock when any flag is set (but LOCKED alone with the access outside the
 * region): a translation that is disabled or stopped
 * returns -EIO; an injected fault fires; an access overlapping the locked
 * region marks itself not in flight (seq even) and sleeps on the AS's
 * condition until UNLOCK (the stall is counted and timed); a VA the checker
 * holds dirty is judged, (b) if the TLB hit disagrees with a fresh walk,
 * else (a). Then the TLB or a walk (hw_walk.c), permissions, faults, and
 * the frame check (d).
 *
 * Counters are per unit per AS, written by the owner with relaxed stores
 * and summed with relaxed loads by hw_as_stats(); a unit that leaves adds
 * its counts to the AS's retired totals.
 */
#include "hw_internal.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/u_alloc.h"
#include "util/u_log.h"
#include "util/u_trace.h"

#define MOD "hw"

/* ---------------------------------------------------------------------
 * Unit registration: thread-local cache, registry of live devices
 * ------------------------------------------------------------------- */

#define HW_TLS_ENTS 4

/*
 * One thread's GPU-unit slots, most recently used first. Entries name a
 * device by pointer and uid: a destroyed device's memory may be reused by
 * a new one, and the uid tells them apart without touching freed memory.
 */
struct hw_tls_ent {
	struct hw_device *dev;
	uint64_t uid;
	struct hw_agent *agent;
};

struct hw_tls {
	struct hw_tls_ent ent[HW_TLS_ENTS];
	bool key_set;
};

static __thread struct hw_tls tls __attribute__((tls_model("initial-exec")));

/* Live devices, so thread-exit destructors never touch a destroyed one. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct u_list registry = U_LIST_INIT(registry);
static pthread_key_t tls_key;
static pthread_once_t tls_key_once = PTHREAD_ONCE_INIT;

/* membarrier: 1 usable, -1 unusable, 0 not decided yet (under registry_lock). */
static int membarrier_state;

static bool registry_live(struct hw_device *dev, uint64_t uid)
{
	struct hw_device *d;

	u_list_for_each_entry(d, &registry, registry_link)
		if (d == dev && d->uid == uid)
			return true;
	return false;
}

static void counters_fold(struct hw_device *dev, struct hw_agent *ag)
{
	for (unsigned int i = 0; i < HW_MAX_AS; i++) {
		struct hw_agent_as *aa = &ag->as[i];
		struct hw_as_stats *r = &dev->as[i].retired;

		if (!dev->as[i].present)
			continue;
		r->accesses += aa->hits + aa->slow;
		r->tlb_hits += aa->hits + aa->slow_hits;
		r->tlb_misses += aa->misses;
		r->walks += aa->walks;
		r->stalls += aa->stalls;
		r->stall_ns += aa->stall_ns;
		r->max_stall_ns = u_max(r->max_stall_ns, aa->max_stall_ns);
		r->faults += aa->faults;
	}
}

/* Give @ag back; registry_lock held and @dev known live. */
static void agent_release(struct hw_device *dev, struct hw_agent *ag)
{
	pthread_mutex_lock(&dev->agents_lock);
	if (ag->in_use) {
		counters_fold(dev, ag);
		ag->in_use = false;
		__atomic_store_n(&dev->nr_agents, dev->nr_agents - 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&dev->agents_lock);
}

static void tls_destructor(void *arg)
{
	struct hw_tls *t = arg;

	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < HW_TLS_ENTS; i++) {
		struct hw_tls_ent *e = &t->ent[i];

		if (e->dev && registry_live(e->dev, e->uid))
			agent_release(e->dev, e->agent);
		e->dev = NULL;
	}
	t->key_set = false;
	pthread_mutex_unlock(&registry_lock);
}

static void tls_key_create(void)
{
	if (pthread_key_create(&tls_key, tls_destructor))
		u_panic("hw: cannot create the thread-exit key for GPU units");
}

static void membarrier_decide_locked(void)
{
	long mask;

	if (membarrier_state)
		return;
	membarrier_state = -1;
	mask = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (mask > 0 && (mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
		membarrier_state = 1;
	else
		u_info(MOD, "membarrier(PRIVATE_EXPEDITED) unavailable: GPU accesses use full fences");
}

void hw__registry_add(struct hw_device *dev)
{
	pthread_mutex_lock(&registry_lock);
	membarrier_decide_locked();
	dev->need_fence = membarrier_state < 0;
	if (dev->need_fence)
		__atomic_fetch_or(&dev->fast_flags, HW_FAST_FENCE, __ATOMIC_RELAXED);
	u_list_add_tail(&dev->registry_link, &registry);
	pthread_mutex_unlock(&registry_lock);
}

void hw__registry_del(struct hw_device *dev)
{
	pthread_mutex_lock(&registry_lock);
	u_list_del(&dev->registry_link);
	pthread_mutex_unlock(&registry_lock);
}

static void agent_reset_tlbs(struct hw_device *dev, struct hw_agent *ag)
{
	for (unsigned int i = 0; i < HW_MAX_AS; i++) {
		struct hw_agent_as *aa = &ag->as[i];

		if (!dev->as[i].present)
			continue;
		hw__tlb_invalidate(aa->tlb, aa->tlb_mask, 0, UINT64_MAX);
		aa->seen_gen = UINT64_MAX;	/* never synced: forces a full catch-up */
		aa->fast_state = 0;		/* never matches a state word with ENABLED */
		aa->hits = aa->slow = aa->slow_hits = aa->misses = aa->walks = 0;
		aa->stalls = aa->stall_ns = aa->max_stall_ns = aa->faults = 0;
	}
}

static struct hw_agent *agent_register(struct hw_device *dev)
{
	struct hw_agent *ag = NULL;

	pthread_once(&tls_key_once, tls_key_create);
	if (!tls.key_set) {
		if (pthread_setspecific(tls_key, &tls))
			return NULL;
		tls.key_set = true;
	}
	pthread_mutex_lock(&registry_lock);
	/* Make room: the least recently used entry gives its slot back. */
	if (tls.ent[HW_TLS_ENTS - 1].dev) {
		struct hw_tls_ent *e = &tls.ent[HW_TLS_ENTS - 1];

		if (registry_live(e->dev, e->uid))
			agent_release(e->dev, e->agent);
		e->dev = NULL;
	}
	pthread_mutex_lock(&dev->agents_lock);
	for (unsigned int i = 0; i < HW_MAX_AGENTS; i++) {
		if (!dev->agents[i].in_use) {
			ag = &dev->agents[i];
			ag->in_use = true;
			__atomic_store_n(&dev->nr_agents, dev->nr_agents + 1, __ATOMIC_RELAXED);
			agent_reset_tlbs(dev, ag);
			break;
		}
	}
	pthread_mutex_unlock(&dev->agents_lock);
	pthread_mutex_unlock(&registry_lock);
	if (!ag) {
		u_err(MOD, "device %llu: more than %d threads act as GPU units at once",
		      (unsigned long long)dev->uid, HW_MAX_AGENTS);
		return NULL;
	}
	memmove(&tls.ent[1], &tls.ent[0], sizeof(tls.ent[0]) * (HW_TLS_ENTS - 1));
	tls.ent[0].dev = dev;
	tls.ent[0].uid = dev->uid;
	tls.ent[0].agent = ag;
	return ag;
}

static struct hw_agent *agent_lookup_slow(struct hw_device *dev)
{
	for (int i = 1; i < HW_TLS_ENTS; i++) {
		struct hw_tls_ent e = tls.ent[i];

		if (e.dev == dev && e.uid == dev->uid) {
			memmove(&tls.ent[1], &tls.ent[0], sizeof(tls.ent[0]) * (size_t)i);
			tls.ent[0] = e;
			return e.agent;
		}
	}
	return agent_register(dev);
}

static inline struct hw_agent *agent_get(struct hw_device *dev)
{
	if (likely(tls.ent[0].dev == dev && tls.ent[0].uid == dev->uid))
		return tls.ent[0].agent;
	return agent_lookup_slow(dev);
}

uint64_t hw__self_stalls(struct hw_device *dev, unsigned int as)
{
	for (int i = 0; i < HW_TLS_ENTS; i++)
		if (tls.ent[i].dev == dev && tls.ent[i].uid == dev->uid)
			return __atomic_load_n(&tls.ent[i].agent->as[as].stalls, __ATOMIC_RELAXED);
	return 0;
}

_Static_assert(sizeof(struct hw_agent_as) == 128, "one shift from a unit to its AS state");

int hw__agents_init(struct hw_device *dev)
{
	unsigned int nr_as = (unsigned int)__builtin_popcount(dev->cfg.as_present & ((1u << HW_MAX_AS) - 1));
	size_t per_agent = (size_t)nr_as * dev->cfg.tlb_entries;
	uintptr_t p;

	dev->agents_raw = u_zalloc(sizeof(struct hw_agent) * HW_MAX_AGENTS + 63);
	if (!dev->agents_raw)
		return -ENOMEM;
	p = ((uintptr_t)dev->agents_raw + 63) & ~(uintptr_t)63;
	dev->agents = (struct hw_agent *)p;
	if (per_agent) {
		dev->tlb_store = u_calloc(per_agent * HW_MAX_AGENTS, sizeof(struct hw_tlb_entry));
		if (!dev->tlb_store) {
			u_free(dev->agents_raw);
			dev->agents_raw = NULL;
			dev->agents = NULL;
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < per_agent * HW_MAX_AGENTS; i++) {
		dev->tlb_store[i].tag = HW_TLB_EMPTY_TAG;
		dev->tlb_store[i].mask = 0;
	}
	for (unsigned int i = 0; i < HW_MAX_AGENTS; i++) {
		struct hw_agent *ag = &dev->agents[i];
		unsigned int k = 0;

		ag->index = i;
		ag->dummy.tag = HW_TLB_EMPTY_TAG;
		ag->dummy.mask = 0;
		for (unsigned int a = 0; a < HW_MAX_AS; a++) {
			struct hw_agent_as *aa = &ag->as[a];

			if (dev->cfg.tlb_entries && dev->as[a].present) {
				aa->tlb = &dev->tlb_store[i * per_agent + (size_t)k * dev->cfg.tlb_entries];
				aa->tlb_mask = dev->cfg.tlb_entries - 1;
				aa->tlb_shift = u_min((unsigned int)__builtin_ctz(dev->cfg.tlb_entries),
						      15u);
				k++;
			} else {
				aa->tlb = &ag->dummy;
				aa->tlb_mask = 0;
				aa->tlb_shift = 0;
			}
		}
	}
	return 0;
}

void hw__agents_fini(struct hw_device *dev)
{
	u_free(dev->tlb_store);
	dev->tlb_store = NULL;
	u_free(dev->agents_raw);
	dev->agents_raw = NULL;
	dev->agents = NULL;
}

/* ---------------------------------------------------------------------
 * Drain
 * ------------------------------------------------------------------- */

/*
 * What the access about to start may touch, for the drain; then @seq goes
 * odd (a release store: the command side that sees it odd sees these).
 */
static inline void access_mark(struct hw_agent *ag, uint64_t s, unsigned int as, uint64_t va,
			       uint64_t last)
{
	/*
	 * Release stores (plain moves on x86): a command that reads these
	 * with acquire also sees the previous access's seq going even, so it
	 * never pairs the previous access's odd seq with this access's range.
	 */
	__atomic_store_n(&ag->cur_as, as, __ATOMIC_RELEASE);
	__atomic_store_n(&ag->cur_va, va, __ATOMIC_RELEASE);
	__atomic_store_n(&ag->cur_last, last, __ATOMIC_RELEASE);
	__atomic_store_n(&ag->seq, s, __ATOMIC_RELEASE);
}

/* Only the owner writes @seq, so it may read it back with a plain relaxed load. */
static inline uint64_t access_begin(const struct hw_device *dev, struct hw_agent *ag,
				    unsigned int as, uint64_t va, uint64_t last)
{
	uint64_t s = __atomic_load_n(&ag->seq, __ATOMIC_RELAXED) + 1;

	access_mark(ag, s, as, va, last);
	if (unlikely(__atomic_load_n(&dev->fast_flags, __ATOMIC_RELAXED) & HW_FAST_FENCE))
		hw__full_fence();
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return s;
}

static inline void access_end(struct hw_agent *ag)
{
	__atomic_store_n(&ag->seq, __atomic_load_n(&ag->seq, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}

void hw__drain_snapshot_locked(struct hw_device *dev, unsigned int as, uint64_t start,
			       uint64_t last)
{
	struct hw_as *a = &dev->as[as];

	a->drain_mask = 0;
	if (!__atomic_load_n(&dev->nr_agents, __ATOMIC_RELAXED))
		return;
	if (dev->need_fence)
		hw__full_fence();
	else if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		u_panic("hw: membarrier(PRIVATE_EXPEDITED) failed after registration");
	for (unsigned int i = 0; i < HW_MAX_AGENTS; i++) {
		const struct hw_agent *ag = &dev->agents[i];
		uint64_t s = __atomic_load_n(&ag->seq, __ATOMIC_ACQUIRE), va, end;
		unsigned int on;

		if (!(s & 1))
			continue;
		/*
		 * What that access may touch. If @seq moved meanwhile the access
		 * is over, and the next one started after the barrier above:
		 * it sees the new state and needs no waiting for.
		 */
		on = __atomic_load_n(&ag->cur_as, __ATOMIC_ACQUIRE);
		va = __atomic_load_n(&ag->cur_va, __ATOMIC_ACQUIRE);
		end = __atomic_load_n(&ag->cur_last, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&ag->seq, __ATOMIC_ACQUIRE) != s || on != as ||
		    va > last || end < start)
			continue;
		a->drain_mask |= 1ull << i;
		a->drain_seq[i] = s;
	}
}

bool hw__drained_locked(struct hw_device *dev, unsigned int as)
{
	struct hw_as *a = &dev->as[as];
	uint64_t m = a->drain_mask;

	while (m) {
		unsigned int i = u_ffs64(m);

		m &= m - 1;
		if (__atomic_load_n(&dev->agents[i].seq, __ATOMIC_ACQUIRE) != a->drain_seq[i])
			a->drain_mask &= ~(1ull << i);
	}
	return a->drain_mask == 0;
}

/* ---------------------------------------------------------------------
 * Translation
 * ------------------------------------------------------------------- */

static inline void count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* (d): the frame an access lands in must belong to a BO, a dummy or firmware. */
static inline bool frame_ok(const struct hw_device *dev, phys_addr_t pa)
{
	const struct mm_frame *f = &dev->frames[(pa - MM_PA_BASE) >> MM_PAGE_SHIFT];
	unsigned int owner = __atomic_load_n(&f->owner_kind, __ATOMIC_RELAXED);

	return __atomic_load_n(&f->state, __ATOMIC_RELAXED) == MM_FRAME_ALLOCATED &&
	       owner - MM_OWNER_BO <= MM_OWNER_FIRMWARE - MM_OWNER_BO;
}

/*
 * frame_ok() for the fast path: state (byte 0) and owner kind (byte 2) of
 * the frame metadata in one 32-bit load: after subtracting "allocated,
 * BO", exactly "allocated" with owner BO, dummy or firmware leave 0,
 * 0x10000 or 0x20000.
 */
_Static_assert(offsetof(struct mm_frame, state) == 0 && offsetof(struct mm_frame, owner_kind) == 2,
	       "frame metadata layout the fast path reads");
_Static_assert(MM_OWNER_BO == 2 && MM_OWNER_DUMMY == 3 && MM_OWNER_FIRMWARE == 4,
	       "owner kinds the fast path accepts");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the fast frame check is little-endian");
static inline bool frame_ok_fast(const struct hw_tlb_entry *e, uint64_t va)
{
	const uint32_t *w = (const uint32_t *)(uintptr_t)(e->fbase +
							  (va >> MM_PAGE_SHIFT) * sizeof(struct mm_frame));
	uint32_t x = (__atomic_load_n(w, __ATOMIC_RELAXED) & 0x00ff00ffu) -
		     ((MM_OWNER_BO << 16) | MM_FRAME_ALLOCATED);

	return !(x & ~0x30000u) && x != 0x30000u;
}

static inline uint32_t perm_needed(enum hw_access_type type)
{
	switch (type) {
	case HW_ACCESS_READ: return HW_PERM_R;
	case HW_ACCESS_EXECUTE: return HW_PERM_X;
	default: return HW_PERM_R | HW_PERM_W;
	}
}

/*
 * The page number's low bits, XORed with the 1 GiB region number folded
 * onto the index bits. Inside one 1 GiB region this is the plain
 * direct-mapped index (consecutive pages get consecutive entries); buffers
 * in different regions at the same offset (a copy from a BO at 64 GiB into
 * one at 100 GiB, a stream and its data) no longer share every entry.
 * Indexing by the low bits alone made such a copy miss on every access,
 * each load evicting the store's entry.
 */
static inline struct hw_tlb_entry *tlb_slot(struct hw_agent_as *aa, uint64_t va)
{
	uint64_t g = va >> 30;
	unsigned int b = (unsigned int)aa->tlb_shift;

	g ^= g >> b;
	g ^= g >> (2 * b);
	return &aa->tlb[((va >> MM_PAGE_SHIFT) ^ g) & aa->tlb_mask];
}

/* Any VA; the 8-byte paths compare (va & mask) directly. */
static inline bool tlb_match(const struct hw_tlb_entry *e, uint64_t va)
{
	return (va & e->mask & ~HW_TLB_PERM_MASK) == e->tag;
}

static inline uint32_t tlb_perm(const struct hw_tlb_entry *e)
{
	return (uint32_t)(e->mask & HW_TLB_PERM_MASK);
}

/* Level of a cached leaf, from its block size. */
static unsigned int tlb_level(const struct hw_tlb_entry *e)
{
	unsigned int log2 = (unsigned int)__builtin_ctzll(e->mask & ~HW_TLB_PERM_MASK);

	return 3 - (log2 - 12) / 9;
}

static const char *const access_names[] = { "atomic", "execute", "read", "write" };

/* Catch up with the invalidations @as published since this unit last looked; dev->lock held. */
static void agent_sync_as(struct hw_device *dev, struct hw_agent *ag, unsigned int as)
{
	struct hw_as *a = &dev->as[as];
	struct hw_agent_as *aa = &ag->as[as];
	uint64_t g = a->gen;

	if (aa->seen_gen == UINT64_MAX || g - aa->seen_gen > HW_INVAL_RING) {
		hw__tlb_invalidate(aa->tlb, aa->tlb_mask, 0, UINT64_MAX);
	} else {
		for (uint64_t x = aa->seen_gen + 1; x <= g; x++) {
			const struct hw_inval *rec = &a->inval[x % HW_INVAL_RING];

			U_ASSERT(rec->gen == x);
			hw__tlb_invalidate(aa->tlb, aa->tlb_mask, rec->start, rec->last);
		}
	}
	aa->seen_gen = g;
	aa->fast_state = (g << HW_AS_STATE_GEN_SHIFT) | HW_ASF_ENABLED;
	ag->ctx[as] = a->ctx;
}

static bool overlaps(uint64_t s1, uint64_t l1, uint64_t s2, uint64_t l2)
{
	return s1 <= l2 && s2 <= l1;
}

/* Sleep until [@va, @last] is no longer locked; dev->lock held. */
static void stall(struct hw_device *dev, struct hw_agent *ag, unsigned int as, uint64_t va,
		  uint64_t last)
{
	struct hw_as *a = &dev->as[as];
	struct hw_agent_as *aa = &ag->as[as];
	uint64_t t0 = hw__now_ns(), gen = a->gen, dt;
	char track[16] = "";

	if (u_trace_enabled()) {
		snprintf(track, sizeof(track), "gpu-as%u", as);
		U_TRACE("gpu", "stall", track, 'B', "va", va);
		if (hw__unit_track)	/* a queue executor: on its own track too */
			U_TRACE("gpu", "stall", hw__unit_track, 'B', "as", as, "va", va);
	}
	access_end(ag);		/* not in flight while asleep: LOCK need not wait for us */
	while (!dev->stopping) {
		uint32_t flags = (uint32_t)(__atomic_load_n(a->state, __ATOMIC_RELAXED) & 0xff);

		if (a->gen != gen || !(flags & HW_ASF_LOCKED) || (flags & HW_ASF_STOPPED) ||
		    !(flags & (HW_ASF_ENABLED | HW_ASF_IDENTITY)) ||
		    !overlaps(va, last, a->lock_start, a->lock_last))
			break;
		pthread_cond_wait(&a->cond, &dev->lock);
	}
	/* In flight again, over the same range as before (the whole access, not this page). */
	access_begin(dev, ag, ag->cur_as, ag->cur_va, ag->cur_last);
	dt = hw__now_ns() - t0;
	count(&aa->stalls, 1);
	count(&aa->stall_ns, dt);
	if (dt > aa->max_stall_ns)
		__atomic_store_n(&aa->max_stall_ns, dt, __ATOMIC_RELAXED);
	if (track[0]) {
		U_TRACE("gpu", "stall", track, 'E', "ns", dt);
		if (hw__unit_track)
			U_TRACE("gpu", "stall", hw__unit_track, 'E', "ns", dt);
	}
}

static int raise_fault(struct hw_device *dev, struct hw_agent *ag, unsigned int as, uint64_t va,
		       uint32_t exc, enum hw_access_type type, struct hw_fault *fault)
{
	pthread_mutex_lock(&dev->lock);
	hw__as_fault_locked(dev, as, va, exc, type, ag->index);
	pthread_mutex_unlock(&dev->lock);
	count(&ag->as[as].faults, 1);
	if (fault) {
		fault->as = as;
		fault->va = va;
		fault->exception_type = exc;
		fault->access_type = type;
	}
	return -EFAULT;
}

/* A TLB hit on a VA the checker holds dirty: (b) if the entry is stale, else (a). */
static void judge_dirty_hit(struct hw_device *dev, struct hw_agent *ag, unsigned int as,
			    uint64_t va, const struct hw_tlb_entry *e, enum hw_access_type type)
{
	struct hw_walk w;
	uint64_t tlb_pa = va + e->delta;
	uint64_t fresh_pa;

	hw__walk(dev, &ag->ctx[as], va, false, as, &w);
	fresh_pa = w.pa | (va & ~w.mask);
	if (w.exc || fresh_pa != tlb_pa || w.perm != tlb_perm(e))
		hw__report(dev, HW_VIOL_STALE_TLB, (int)as, va, tlb_pa,
			   w.exc ? w.exc : fresh_pa, tlb_pa,
			   "GPU %s hit a stale TLB entry (PA 0x%llx perm 0x%x); the tables say %s "
			   "0x%llx perm 0x%x: changed outside the lock, never invalidated",
			   access_names[type], (unsigned long long)tlb_pa, tlb_perm(e),
			   w.exc ? "fault" : "PA", (unsigned long long)(w.exc ? w.exc : fresh_pa),
			   w.perm);
	else
		hw__report(dev, HW_VIOL_UNLOCKED_CHANGE, (int)as, va, tlb_pa, fresh_pa, tlb_pa,
			   "GPU %s of a VA whose translation changed outside the locked region, "
			   "with no covering UNLOCK/FLUSH or UPDATE since", access_names[type]);
}

/*
 * A region is locked and nothing else is special (@state was read by the
 * caller), and [@va, @last] lies outside it: the access translates as
 * usual, without the device lock. While a bind holds a region locked, the
 * other accesses of its AS would otherwise all queue on the device lock
 * (and on the bind's own MMIO polls). Whatever LOCK comes next drains this
 * access, as it drains the fast path's.
 */
static inline bool outside_locked_region(const struct hw_as *a, uint64_t state, uint64_t va,
					 uint64_t last)
{
	uint64_t start, end;

	if ((uint32_t)(state & 0xff) != (HW_ASF_ENABLED | HW_ASF_LOCKED))
		return false;
	if (!hw__lock_region_read(a, &start, &end) || overlaps(va, last, start, end))
		return false;
	return __atomic_load_n(a->state, __ATOMIC_RELAXED) == state;
}

/*
 * The fast paths' state test: the AS is as this unit last saw it, or only
 * a region is locked and [@va, @last] lies outside it.
 */
static inline bool fast_state_ok(struct hw_device *dev, const struct hw_agent_as *aa,
				 unsigned int as, uint64_t va, uint64_t last)
{
	uint64_t state = __atomic_load_n(&dev->as_state[as], __ATOMIC_RELAXED);

	if (likely(state == aa->fast_state))
		return true;
	return state == (aa->fast_state | HW_ASF_LOCKED) &&
	       outside_locked_region(&dev->as[as], state, va, last);
}

/*
 * Translate [@va, @va + @len) (inside one page) for an access of @type.
 * The unit is in flight (seq odd). Return: 0 with *@pa, -EFAULT, -EIO.
 */
static int translate_slow(struct hw_device *dev, struct hw_agent *ag, unsigned int as,
			  uint64_t va, size_t len, enum hw_access_type type, phys_addr_t *pa,
			  struct hw_fault *fault)
{
	struct hw_as *a = &dev->as[as];
	struct hw_agent_as *aa = &ag->as[as];
	bool check = hw__checker_on(dev);
	uint64_t last = va + len - 1;
	struct hw_tlb_entry *e;
	bool dirty = false;
	uint32_t exc;

	count(&aa->slow, 1);
retry:
	{
		uint64_t state = __atomic_load_n(a->state, __ATOMIC_ACQUIRE);
		uint32_t flags = (uint32_t)(state & 0xff);

		if ((state >> HW_AS_STATE_GEN_SHIFT) != aa->seen_gen) {
			pthread_mutex_lock(&dev->lock);
			agent_sync_as(dev, ag, as);
			pthread_mutex_unlock(&dev->lock);
			goto retry;
		}
		if (flags != HW_ASF_ENABLED && !outside_locked_region(a, state, va, last)) {
			pthread_mutex_lock(&dev->lock);
			state = __atomic_load_n(a->state, __ATOMIC_RELAXED);
			flags = (uint32_t)(state & 0xff);
			if ((state >> HW_AS_STATE_GEN_SHIFT) != aa->seen_gen) {
				pthread_mutex_unlock(&dev->lock);
				goto retry;
			}
			if (!(flags & (HW_ASF_ENABLED | HW_ASF_IDENTITY)) || (flags & HW_ASF_STOPPED)) {
				pthread_mutex_unlock(&dev->lock);
				return -EIO;
			}
			if (flags & HW_ASF_KNOB_FAULT) {
				exc = a->knob_fault_exc;
				a->knob_fault_exc = 0;
				hw__as_set_flags_locked(dev, as, 0, HW_ASF_KNOB_FAULT);
				pthread_mutex_unlock(&dev->lock);
				return raise_fault(dev, ag, as, va, exc, type, fault);
			}
			if ((flags & HW_ASF_LOCKED) && overlaps(va, last, a->lock_start, a->lock_last)) {
				bool stopping;

				stall(dev, ag, as, va, last);
				stopping = dev->stopping;
				pthread_mutex_unlock(&dev->lock);
				if (stopping)
					return -EIO;	/* the device is going away */
				goto retry;
			}
			if (flags & HW_ASF_DIRTY)
				dirty = hw__checker_dirty_locked(dev, as, va, last);
			pthread_mutex_unlock(&dev->lock);
			if (flags & HW_ASF_IDENTITY) {
				*pa = va;
				goto data;
			}
		}
	}

	e = tlb_slot(aa, va);
	if (tlb_match(e, va)) {
		count(&aa->slow_hits, 1);
		if (dirty && check)
			judge_dirty_hit(dev, ag, as, va, e, type);
		*pa = va + e->delta;
		exc = hw__perm_exc(tlb_perm(e), type, tlb_level(e));
		if (exc)
			return raise_fault(dev, ag, as, va, exc, type, fault);
	} else {
		struct hw_walk w;

		if (dev->cfg.tlb_entries)
			count(&aa->misses, 1);
		count(&aa->walks, 1);
		hw__walk(dev, &ag->ctx[as], va, check, as, &w);
		if (dirty && check)
			hw__report(dev, HW_VIOL_UNLOCKED_CHANGE, (int)as, va, w.exc ? 0 : w.pa,
				   0, w.exc ? w.exc : w.pa,
				   "GPU %s walked a VA whose translation changed outside the locked "
				   "region, with no covering UNLOCK/FLUSH or UPDATE since",
				   access_names[type]);
		if (w.exc)
			return raise_fault(dev, ag, as, va, w.exc, type, fault);
		/* Cached only if readable and entirely in DRAM: the fast path
		 * then never meets a bus fault or a frame without metadata. */
		if (dev->cfg.tlb_entries && (w.perm & HW_PERM_R) && mm_pa_valid(w.pa) &&
		    mm_pa_valid(w.pa | ~w.mask)) {
			uint64_t delta = w.pa - w.va;
			int64_t fidx = (int64_t)(delta - MM_PA_BASE) >> MM_PAGE_SHIFT;

			e->tag = w.va;
			e->mask = w.mask | w.perm;
			e->delta = delta;
			e->fbase = (uint64_t)(uintptr_t)dev->frames +
				   (uint64_t)fidx * sizeof(struct mm_frame);
		}
		exc = hw__perm_exc(w.perm, type, w.level);
		if (exc)
			return raise_fault(dev, ag, as, va, exc, type, fault);
		*pa = w.pa | (va & ~w.mask);
	}

data:
	if (!mm_pa_valid(*pa) || !mm_pa_valid(*pa + len - 1)) {
		hw__gpu_bus_fault(dev, *pa, type);
		return -EIO;
	}
	if (check && !frame_ok(dev, *pa)) {
		const struct mm_frame *f = mm_frame(*pa);

		hw__report(dev, HW_VIOL_BAD_FRAME, (int)as, va, *pa & ~0xfffull,
			   MM_OWNER_BO, __atomic_load_n(&f->owner_kind, __ATOMIC_RELAXED),
			   "GPU %s landed in frame 0x%llx, %s with owner kind %u (id %u): not a "
			   "BO, dummy or firmware frame", access_names[type],
			   (unsigned long long)(*pa & ~0xfffull),
			   __atomic_load_n(&f->state, __ATOMIC_RELAXED) == MM_FRAME_ALLOCATED ?
			   "allocated" : "not allocated",
			   __atomic_load_n(&f->owner_kind, __ATOMIC_RELAXED),
			   __atomic_load_n(&f->owner_id, __ATOMIC_RELAXED));
	}
	return 0;
}

static inline int translate(struct hw_device *dev, struct hw_agent *ag, unsigned int as,
			    uint64_t va, size_t len, enum hw_access_type type, phys_addr_t *pa,
			    struct hw_fault *fault)
{
	struct hw_agent_as *aa = &ag->as[as];

	if (likely(fast_state_ok(dev, aa, as, va, va + len - 1))) {
		const struct hw_tlb_entry *e = tlb_slot(aa, va);

		if (likely(tlb_match(e, va) && (tlb_perm(e) & perm_needed(type)) == perm_needed(type))) {
			phys_addr_t p = va + e->delta;

			if (likely(!(__atomic_load_n(&dev->fast_flags, __ATOMIC_RELAXED) & HW_FAST_CHECK) ||
				   frame_ok_fast(e, va))) {
				count(&aa->hits, 1);
				*pa = p;
				return 0;
			}
		}
	}
	return translate_slow(dev, ag, as, va, len, type, pa, fault);
}

/* ---------------------------------------------------------------------
 * Data movement
 * ------------------------------------------------------------------- */

static void data_read(void *dst, phys_addr_t pa, size_t len, bool single)
{
	const void *src = mm_pa_to_virt(pa);

	if (!single) {
		memcpy(dst, src, len);
		return;
	}
	switch (len) {
	case 1: *(uint8_t *)dst = __atomic_load_n((const uint8_t *)src, __ATOMIC_RELAXED); break;
	case 2: {
		uint16_t v = __atomic_load_n((const uint16_t *)src, __ATOMIC_RELAXED);

		memcpy(dst, &v, 2);
		break;
	}
	case 4: {
		uint32_t v = __atomic_load_n((const uint32_t *)src, __ATOMIC_RELAXED);

		memcpy(dst, &v, 4);
		break;
	}
	default: {
		uint64_t v = __atomic_load_n((const uint64_t *)src, __ATOMIC_RELAXED);

		memcpy(dst, &v, 8);
		break;
	}
	}
}

static void data_write(phys_addr_t pa, const void *src, size_t len, bool single)
{
	void *dst = mm_pa_to_virt(pa);

	if (!single) {
		memcpy(dst, src, len);
		return;
	}
	switch (len) {
	case 1: __atomic_store_n((uint8_t *)dst, *(const uint8_t *)src, __ATOMIC_RELAXED); break;
	case 2: {
		uint16_t v;

		memcpy(&v, src, 2);
		__atomic_store_n((uint16_t *)dst, v, __ATOMIC_RELAXED);
		break;
	}
	case 4: {
		uint32_t v;

		memcpy(&v, src, 4);
		__atomic_store_n((uint32_t *)dst, v, __ATOMIC_RELAXED);
		break;
	}
	default: {
		uint64_t v;

		memcpy(&v, src, 8);
		__atomic_store_n((uint64_t *)dst, v, __ATOMIC_RELAXED);
		break;
	}
	}
}

/* The unit is in flight. Page by page; stops at the first page that fails. */
static int access_range(struct hw_device *dev, struct hw_agent *ag, unsigned int as, uint64_t va,
			enum hw_access_type type, void *buf, size_t len, struct hw_fault *fault)
{
	bool single = (len == 1 || len == 2 || len == 4 || len == 8) && !(va & (len - 1));
	uint8_t *p = buf;

	while (len) {
		size_t chunk = u_min(len, (size_t)(MM_PAGE_SIZE - (va & (MM_PAGE_SIZE - 1))));
		phys_addr_t pa;
		int ret;

		ret = translate(dev, ag, as, va, chunk, type, &pa, fault);
		if (ret)
			return ret;
		if (type == HW_ACCESS_WRITE)
			data_write(pa, p, chunk, single);
		else
			data_read(p, pa, chunk, single);
		p += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

static int check_args(struct hw_device *dev, unsigned int as, uint64_t va, size_t len)
{
	if (as >= HW_MAX_AS || !dev->as[as].present)
		return -ENODEV;
	if (!len || va + (len - 1) < va)
		return -EINVAL;
	return 0;
}

int hw_access(struct hw_device *dev, unsigned int as, uint64_t va, enum hw_access_type type,
	      void *buf, size_t len, struct hw_fault *fault)
{
	struct hw_agent *ag;
	int ret;

	ret = check_args(dev, as, va, len);
	if (ret)
		return ret;
	if (type != HW_ACCESS_READ && type != HW_ACCESS_WRITE && type != HW_ACCESS_EXECUTE)
		return -EINVAL;
	ag = agent_get(dev);
	if (!ag)
		return -EBUSY;
	access_begin(dev, ag, as, va, va + (len - 1));
	ret = access_range(dev, ag, as, va, type, buf, len, fault);
	access_end(ag);
	return ret;
}

int hw_read(struct hw_device *dev, unsigned int as, uint64_t va, void *buf, size_t len,
	    struct hw_fault *fault)
{
	return hw_access(dev, as, va, HW_ACCESS_READ, buf, len, fault);
}

int hw_write(struct hw_device *dev, unsigned int as, uint64_t va, const void *buf, size_t len,
	     struct hw_fault *fault)
{
	return hw_access(dev, as, va, HW_ACCESS_WRITE, (void *)buf, len, fault);
}

/*
 * The rest of an 8-byte access after the fast path missed: the unit is in
 * flight. Kept out of line so that the fast path needs no stack frame.
 */
static __attribute__((noinline)) int rw64_slow(struct hw_device *dev, struct hw_agent *ag,
					       unsigned int as, uint64_t va, uint64_t *val,
					       bool write, struct hw_fault *fault)
{
	enum hw_access_type type = write ? HW_ACCESS_WRITE : HW_ACCESS_READ;
	phys_addr_t pa;
	int ret;

	ret = translate_slow(dev, ag, as, va, 8, type, &pa, fault);
	if (!ret) {
		uint64_t *p = (uint64_t *)(dev->direct_map + (pa - MM_PA_BASE));

		if (write)
			__atomic_store_n(p, *val, __ATOMIC_RELAXED);
		else
			*val = __atomic_load_n(p, __ATOMIC_RELAXED);
	}
	access_end(ag);
	return ret;
}

/* First access of this thread on @dev, or a bad argument: the general path. */
static __attribute__((noinline)) int rw64_cold(struct hw_device *dev, unsigned int as, uint64_t va,
					       uint64_t *val, bool write, struct hw_fault *fault)
{
	return hw_access(dev, as, va, write ? HW_ACCESS_WRITE : HW_ACCESS_READ, val, 8, fault);
}

/*
 * The hot path, written out by hand: one TLS check, seq odd, the state
 * word, one TLB entry, one frame-metadata check, the data, seq even.
 */
int hw_read64(struct hw_device *dev, unsigned int as, uint64_t va, uint64_t *val,
	      struct hw_fault *fault)
{
	const struct hw_tlb_entry *e;
	struct hw_agent_as *aa;
	struct hw_agent *ag;
	uint64_t s, pa;
	uint8_t flags;

	/* as < HW_MAX_AS and va 8-byte aligned, in one compare. */
	if (unlikely((as | ((unsigned int)va & 7) * HW_MAX_AS) >= HW_MAX_AS ||
		     tls.ent[0].dev != dev || tls.ent[0].uid != dev->uid))
		return rw64_cold(dev, as, va, val, false, fault);
	ag = tls.ent[0].agent;
	aa = &ag->as[as];
	s = __atomic_load_n(&ag->seq, __ATOMIC_RELAXED) + 1;
	access_mark(ag, s, as, va, va + 7);
	flags = __atomic_load_n(&dev->fast_flags, __ATOMIC_RELAXED);
	if (unlikely(flags & HW_FAST_FENCE))
		hw__full_fence();
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (unlikely(!fast_state_ok(dev, aa, as, va, va + 7)))
		goto slow;
	e = tlb_slot(aa, va);
	if (unlikely((va & e->mask) != e->tag))
		goto slow;
	pa = va + e->delta;
	if ((flags & HW_FAST_CHECK) && unlikely(!frame_ok_fast(e, va)))
		goto slow;
	count(&aa->hits, 1);
	*val = __atomic_load_n((const uint64_t *)(dev->direct_map + (pa - MM_PA_BASE)),
			       __ATOMIC_RELAXED);
	__atomic_store_n(&ag->seq, s + 1, __ATOMIC_RELEASE);
	return 0;
slow:
	if (unlikely(!dev->as[as].present)) {
		access_end(ag);
		return -ENODEV;
	}
	return rw64_slow(dev, ag, as, va, val, false, fault);
}

int hw_write64(struct hw_device *dev, unsigned int as, uint64_t va, uint64_t val,
	       struct hw_fault *fault)
{
	const struct hw_tlb_entry *e;
	struct hw_agent_as *aa;
	struct hw_agent *ag;
	uint64_t s, pa;
	uint8_t flags;

	if (unlikely((as | ((unsigned int)va & 7) * HW_MAX_AS) >= HW_MAX_AS ||
		     tls.ent[0].dev != dev || tls.ent[0].uid != dev->uid))
		return rw64_cold(dev, as, va, &val, true, fault);
	ag = tls.ent[0].agent;
	aa = &ag->as[as];
	s = __atomic_load_n(&ag->seq, __ATOMIC_RELAXED) + 1;
	access_mark(ag, s, as, va, va + 7);
	flags = __atomic_load_n(&dev->fast_flags, __ATOMIC_RELAXED);
	if (unlikely(flags & HW_FAST_FENCE))
		hw__full_fence();
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (unlikely(!fast_state_ok(dev, aa, as, va, va + 7)))
		goto slow;
	e = tlb_slot(aa, va);
	if (unlikely((va & e->mask) != e->tag || !(e->mask & HW_PERM_W)))
		goto slow;
	pa = va + e->delta;
	if ((flags & HW_FAST_CHECK) && unlikely(!frame_ok_fast(e, va)))
		goto slow;
	count(&aa->hits, 1);
	__atomic_store_n((uint64_t *)(dev->direct_map + (pa - MM_PA_BASE)), val, __ATOMIC_RELAXED);
	__atomic_store_n(&ag->seq, s + 1, __ATOMIC_RELEASE);
	return 0;
slow:
	if (unlikely(!dev->as[as].present)) {
		access_end(ag);
		return -ENODEV;
	}
	return rw64_slow(dev, ag, as, va, &val, true, fault);
}

static uint64_t atomic_op(void *p, unsigned int size, enum hw_atomic_op op, uint64_t operand,
			  uint64_t compare)
{
	if (size == 4) {
		uint32_t *q = p, v = (uint32_t)operand, c = (uint32_t)compare;

		switch (op) {
		case HW_ATOMIC_ADD: return __atomic_fetch_add(q, v, __ATOMIC_SEQ_CST);
		case HW_ATOMIC_AND: return __atomic_fetch_and(q, v, __ATOMIC_SEQ_CST);
		case HW_ATOMIC_OR: return __atomic_fetch_or(q, v, __ATOMIC_SEQ_CST);
		case HW_ATOMIC_XCHG: return __atomic_exchange_n(q, v, __ATOMIC_SEQ_CST);
		default:
			__atomic_compare_exchange_n(q, &c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			return c;
		}
	} else {
		uint64_t *q = p, c = compare;

		switch (op) {
		case HW_ATOMIC_ADD: return __atomic_fetch_add(q, operand, __ATOMIC_SEQ_CST);
		case HW_ATOMIC_AND: return __atomic_fetch_and(q, operand, __ATOMIC_SEQ_CST);
		case HW_ATOMIC_OR: return __atomic_fetch_or(q, operand, __ATOMIC_SEQ_CST);
		case HW_ATOMIC_XCHG: return __atomic_exchange_n(q, operand, __ATOMIC_SEQ_CST);
		default:
			__atomic_compare_exchange_n(q, &c, operand, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			return c;
		}
	}
}

int hw_atomic(struct hw_device *dev, unsigned int as, uint64_t va, enum hw_atomic_op op,
	      unsigned int size, uint64_t operand, uint64_t compare, uint64_t *old,
	      struct hw_fault *fault)
{
	struct hw_agent *ag;
	phys_addr_t pa;
	uint64_t prev;
	int ret;

	ret = check_args(dev, as, va, size);
	if (ret)
		return ret;
	if ((size != 4 && size != 8) || (va & (size - 1)) || (unsigned int)op > HW_ATOMIC_CMPXCHG)
		return -EINVAL;
	ag = agent_get(dev);
	if (!ag)
		return -EBUSY;
	access_begin(dev, ag, as, va, va + (size - 1));
	ret = translate(dev, ag, as, va, size, HW_ACCESS_ATOMIC, &pa, fault);
	if (!ret) {
		prev = atomic_op(mm_pa_to_virt(pa), size, op, operand, compare);
		if (old)
			*old = prev;
	}
	access_end(ag);
	return ret;
}

/* ---------------------------------------------------------------------
 * Statistics
 * ------------------------------------------------------------------- */

int hw_as_stats(struct hw_device *dev, unsigned int as, struct hw_as_stats *st)
{
	if (as >= HW_MAX_AS || !dev->as[as].present)
		return -ENODEV;
	pthread_mutex_lock(&dev->agents_lock);
	*st = dev->as[as].retired;
	for (unsigned int i = 0; i < HW_MAX_AGENTS; i++) {
		struct hw_agent *ag = &dev->agents[i];
		const struct hw_agent_as *aa = &ag->as[as];
		uint64_t hits, slow;

		if (!ag->in_use)
			continue;
		hits = __atomic_load_n(&aa->hits, __ATOMIC_RELAXED);
		slow = __atomic_load_n(&aa->slow, __ATOMIC_RELAXED);
		st->accesses += hits + slow;
		st->tlb_hits += hits + __atomic_load_n(&aa->slow_hits, __ATOMIC_RELAXED);
		st->tlb_misses += __atomic_load_n(&aa->misses, __ATOMIC_RELAXED);
		st->walks += __atomic_load_n(&aa->walks, __ATOMIC_RELAXED);
		st->stalls += __atomic_load_n(&aa->stalls, __ATOMIC_RELAXED);
		st->stall_ns += __atomic_load_n(&aa->stall_ns, __ATOMIC_RELAXED);
		st->max_stall_ns = u_max(st->max_stall_ns,
					 __atomic_load_n(&aa->max_stall_ns, __ATOMIC_RELAXED));
		st->faults += __atomic_load_n(&aa->faults, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&dev->agents_lock);
	return 0;
}
