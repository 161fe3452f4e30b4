// SPDX-License-Identifier: MIT
/*
 * DOC: gpuvm - VA space, split/merge, vm_bo
 *
 * The model. A VM manages one span [start, start + range) of GPU virtual
 * addresses. What is mapped there is a set of non-overlapping VAs (struct
 * gpuva), each a range backed by a buffer object from some offset, or by
 * nothing (a NULL/sparse mapping). The VAs live in an interval tree
 * (u_itree), so "every VA overlapping [A, E)" costs O(log n + k). The tree is
 * the driver's record of what it asked the page tables to contain; the
 * library never touches page tables.
 *
 * Requests, steps, and why the driver applies them. A driver does not edit
 * the tree directly. It hands a map request ([A, E) backed by object O from
 * offset F) or an unmap request ([A, E)) to gpuvm_sm_map() / gpuvm_sm_unmap(),
 * which compute what has to happen to every VA the request overlaps and call
 * the driver once per step, in address order:
 *
 *   UNMAP(v, keep)          v disappears entirely;
 *   REMAP(v, prev, next)    v disappears, but the part of it before the
 *                           request (prev) and/or after it (next) stays;
 *   MAP(r)                  the requested range appears (map requests only,
 *                           always last, always exactly once).
 *
 * The driver's step callbacks change the page tables and then apply the step
 * to the tree with gpuva_map() / gpuva_remap() / gpuva_unmap(), using VAs it
 * allocated beforehand: the walk itself allocates nothing, so an asynchronous
 * bind can run it on the fence-signalling path. A step that fails stops the
 * walk and its error is returned; an invalid request fails with -EINVAL before
 * any callback. The same walk can instead record the steps in a list
 * (gpuvm_sm_map_ops_create()), which a driver uses to count what it must
 * preallocate, and the tests use to compare sequences.
 *
 * The rule. Take a map request R = [A, E) with object O at offset F, and an
 * overlapping VA v = [a, e) with object o at offset f. Then
 *
 *   prev = [a, A) backed as v was        exists iff a < A
 *   next = [E, e) backed as v was at E   exists iff e > E
 *   the step is REMAP(v, prev, next) if either exists, UNMAP(v) otherwise,
 *   and "keep" says that on the overlap [max(a, A), min(e, E)) v is backed
 *   exactly as R asks: v has an object, it is O, the flags and the repeat
 *   window are the same, and the offsets agree at max(a, A) -- for a == A
 *   that is f == F; for a < A, f + (A - a) == F; for a > A, f == F + (a - A)
 *   (with the window arithmetic below for repeated mappings).
 *
 * Written out per position of v this is a 3 x 3 table (a before / at / after
 * A, e before / at / after E). Since VAs do not overlap, only the first VA
 * can start before A and only the last can end after E, so a request gives
 * any number of UNMAPs, at most two REMAPs, then one MAP. An unmap request is
 * the same walk with keep always false and no MAP. "keep" is advice: a driver
 * may leave the PTEs of a kept overlap alone instead of rewriting them
 * (panthor rewrites them anyway). Adjacent VAs are never merged: the tree
 * holds what was requested, one VA per surviving piece.
 *
 * Repeated mappings. A VA whose gem.range W is non-zero maps the object
 * window [0, W) over and over: address a + d is backed by offset
 * (f + d) mod W, and 0 <= f < W. Our panthor uses this for MAP_SPARSE, where
 * one small dummy BO backs a resource of any size (2 MiB here; upstream's
 * size is unconfirmed, reference §1.8). When such a VA is split at any
 * address x, the piece that starts at x gets offset (f + (x - a)) mod W: it
 * keeps the phase, so every address is still backed by the same offset as
 * before the split. The keep test compares offsets the same way, modulo W,
 * and requires equal windows.
 *
 * The unmerged drm_gpuvm REPEAT proposal (reference §3.4) gave every split
 * piece the *same* offset as the original. That is only correct when the
 * split happens a multiple of W after the VA's start; anywhere else the rest
 * of the VA shifts phase (an unmap of one page in the middle of a sparse
 * resource would change what every later page reads). Keeping the phase
 * needs nothing from the request (no "size is a multiple of W" rule): any
 * VA size and any split point work.
 *
 * Notation for the cases below: addresses are in pages; each page is four
 * columns, "[a--]" is a VA from its first page to its last; "A@2" means
 * object A from offset 2 (pages), "r4" a repeated window of 4 pages, "-" no
 * object. x' is the prev piece of VA x, x" its next piece, R the new mapping.
 * Each case is a unit test of the same name (tests/unit/gpuvm/test_gpuvm.c,
 * "gpuvm/sm-map/case-01-identical" for M01, sm-unmap for Unn, sm-repeat for
 * Rnn) asserting the exact steps and the resulting tree.
 *
 * The table cells: a == A: e == E M01-M03, e < E M06, e > E M04-M05;
 * a < A: e == E M07-M08, e < E M10, e > E M12; a > A: e == E M09, e < E M13,
 * e > E M11. Several VAs: M14-M16; no VA: M17-M18; keep rules: M19-M20.
 *
 * M01 identical: same range, object and offset
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   map     [R-------------]                               R: A@0
 *   new     [R-------------]
 *   steps   UNMAP(a, keep)  MAP(R)
 *
 * M02 different-object: same range, another object
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   map     [R-------------]                               R: B@0
 *   new     [R-------------]
 *   steps   UNMAP(a)  MAP(R)
 *
 * M03 different-offset: same range and object, another offset
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   map     [R-------------]                               R: A@1
 *   new     [R-------------]
 *   steps   UNMAP(a)  MAP(R)
 *
 * M04 left-aligned-subset: same start, ends earlier, same object and offset
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   map     [R-----]                                       R: A@0
 *   new     [R-----][a"----]                               a": A@2
 *   steps   REMAP(a: prev -, next a", keep)  MAP(R)
 *
 * M05 left-aligned-subset-different-object: same start, ends earlier, another object
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   map     [R-----]                                       R: B@0
 *   new     [R-----][a"----]                               a": A@2
 *   steps   REMAP(a: prev -, next a")  MAP(R)
 *
 * M06 left-aligned-superset: same start, ends later
 *
 *           0   1   2   3   4   5   6
 *   old     [a-------------]                               a: A@0
 *   map     [R---------------------]                       R: A@0
 *   new     [R---------------------]
 *   steps   UNMAP(a, keep)  MAP(R)
 *
 * M07 right-aligned-subset: starts later, same end, offsets agree
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   map             [R-----]                               R: A@2
 *   new     [a'----][R-----]                               a': A@0
 *   steps   REMAP(a: prev a', next -, keep)  MAP(R)
 *
 * M08 right-aligned-subset-different-offset: starts later, same end, offsets disagree
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   map             [R-----]                               R: A@5
 *   new     [a'----][R-----]                               a': A@0
 *   steps   REMAP(a: prev a', next -)  MAP(R)
 *
 * M09 right-aligned-superset: starts earlier, same end
 *
 *           0   1   2   3   4
 *   old             [a-----]                               a: A@2
 *   map     [R-------------]                               R: A@0
 *   new     [R-------------]
 *   steps   UNMAP(a, keep)  MAP(R)
 *
 * M10 overlaps-end: starts inside, ends after
 *
 *           0   1   2   3   4   5   6
 *   old     [a-------------]                               a: A@0
 *   map             [R-------------]                       R: A@2
 *   new     [a'----][R-------------]                       a': A@0
 *   steps   REMAP(a: prev a', next -, keep)  MAP(R)
 *
 * M11 overlaps-start: starts before, ends inside
 *
 *           0   1   2   3   4   5   6
 *   old             [a-------------]                       a: A@2
 *   map     [R-------------]                               R: A@0
 *   new     [R-------------][a"----]                       a": A@4
 *   steps   REMAP(a: prev -, next a", keep)  MAP(R)
 *
 * M12 centred-subset: strictly inside one VA
 *
 *           0   1   2   3   4   5   6
 *   old     [a---------------------]                       a: A@0
 *   map             [R-----]                               R: A@2
 *   new     [a'----][R-----][a"----]                       a': A@0, a": A@4
 *   steps   REMAP(a: prev a', next a", keep)  MAP(R)
 *
 * M13 centred-superset: strictly around one VA
 *
 *           0   1   2   3   4   5   6
 *   old             [a-----]                               a: B@0
 *   map     [R---------------------]                       R: A@0
 *   new     [R---------------------]
 *   steps   UNMAP(a)  MAP(R)
 *
 * M14 spans-two: ends of two adjacent VAs
 *
 *           0   1   2   3   4   5   6   7   8
 *   old     [a-------------][b-------------]               a: A@0, b: B@0
 *   map             [R-------------]                       R: A@2
 *   new     [a'----][R-------------][b"----]               a': A@0, b": B@2
 *   steps   REMAP(a: prev a', next -, keep)  REMAP(b: prev -, next b")  MAP(R)
 *
 * M15 spans-three: end of one, all of one, start of one
 *
 *           0   1   2   3   4   5   6   7   8   9   10
 *   old     [a-------------][b-----][c-------------]       a: A@0, b: B@0, c: A@6
 *   map             [R---------------------]               R: A@2
 *   new     [a'----][R---------------------][c"----]       a': A@0, c": A@8
 *   steps   REMAP(a: prev a', next -, keep)  UNMAP(b)  REMAP(c: prev -, next c", keep)  MAP(R)
 *
 * M16 covers-several: several whole VAs with gaps between them
 *
 *           0   1   2   3   4   5   6   7   8
 *   old         [a-]    [b-----]    [c-]                   a: A@1, b: B@3, c: A@0
 *   map     [R-----------------------------]               R: A@0
 *   new     [R-----------------------------]
 *   steps   UNMAP(a, keep)  UNMAP(b)  UNMAP(c)  MAP(R)
 *
 * M17 fills-gap: a gap whose neighbours touch it
 *
 *           0   1   2   3   4   5   6
 *   old     [a-----]        [b-----]                       a: A@0, b: A@4
 *   map             [R-----]                               R: A@2
 *   new     [a-----][R-----][b-----]
 *   steps   MAP(R)
 *
 * M18 empty-vm: nothing mapped
 *
 *           0   1   2   3   4
 *   old     (empty)
 *   map             [R-----]                               R: B@7
 *   new             [R-----]
 *   steps   MAP(R)
 *
 * M19 no-object-never-kept: identical mappings without an object
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: - sparse
 *   map     [R-------------]                               R: - sparse
 *   new     [R-------------]
 *   steps   UNMAP(a)  MAP(R)
 *
 * M20 different-flags: identical but for the flags
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   map     [R-------------]                               R: A@0 user
 *   new     [R-------------]
 *   steps   UNMAP(a)  MAP(R)
 *
 * U01 exact: exactly one VA
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   unmap   [U-------------]
 *   new     (empty)
 *   steps   UNMAP(a)
 *
 * U02 left-part: the start of a VA
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   unmap   [U-----]
 *   new             [a"----]                               a": A@2
 *   steps   REMAP(a: prev -, next a")
 *
 * U03 right-part: the end of a VA
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: A@0
 *   unmap           [U-----]
 *   new     [a'----]                                       a': A@0
 *   steps   REMAP(a: prev a', next -)
 *
 * U04 middle: the middle of a VA
 *
 *           0   1   2   3   4   5   6
 *   old     [a---------------------]                       a: A@0
 *   unmap           [U-----]
 *   new     [a'----]        [a"----]                       a': A@0, a": A@4
 *   steps   REMAP(a: prev a', next a")
 *
 * U05 superset: around one VA
 *
 *           0   1   2   3   4   5   6
 *   old             [a-----]                               a: A@2
 *   unmap   [U---------------------]
 *   new     (empty)
 *   steps   UNMAP(a)
 *
 * U06 spans-three: end of one, all of one, start of one
 *
 *           0   1   2   3   4   5   6   7   8   9   10
 *   old     [a-------------][b-----][c-------------]       a: A@0, b: B@0, c: A@6
 *   unmap           [U---------------------]
 *   new     [a'----]                        [c"----]       a': A@0, c": A@8
 *   steps   REMAP(a: prev a', next -)  UNMAP(b)  REMAP(c: prev -, next c")
 *
 * U07 gap: nothing in the range, neighbours touch it
 *
 *           0   1   2   3   4   5   6
 *   old     [a-----]        [b-----]                       a: A@0, b: B@0
 *   unmap           [U-----]
 *   new     [a-----]        [b-----]
 *   steps   (none)
 *
 * U08 several-whole: several whole VAs with gaps between them
 *
 *           0   1   2   3   4   5   6   7   8
 *   old         [a-]    [b-----]    [c-]                   a: A@1, b: B@3, c: A@0
 *   unmap   [U-----------------------------]
 *   new     (empty)
 *   steps   UNMAP(a)  UNMAP(b)  UNMAP(c)
 *
 * U09 no-object: the middle of a VA without an object
 *
 *           0   1   2   3   4
 *   old     [a-------------]                               a: - sparse
 *   unmap       [U-----]
 *   new     [a']        [a"]                               a': - sparse, a": - sparse
 *   steps   REMAP(a: prev a', next a")
 *
 * R01 map-splits-mid-window: map inside a repeated VA, split points off the window grid
 *
 *           0   1   2   3   4   5   6   7   8   9   10
 *   old     [a-------------------------------------]       a: A@1 r4
 *   map                 [R-----]                           R: B@0
 *   new     [a'--------][R-----][a"----------------]       a': A@1 r4, a": A@2 r4
 *   steps   REMAP(a: prev a', next a")  MAP(R)
 *
 * R02 same-phase-kept: repeated request in phase with a repeated VA
 *
 *           0   1   2   3   4   5   6   7   8
 *   old     [a-----------------------------]               a: A@1 r4
 *   map             [R-------------]                       R: A@3 r4
 *   new     [a'----][R-------------][a"----]               a': A@1 r4, a": A@3 r4
 *   steps   REMAP(a: prev a', next a", keep)  MAP(R)
 *
 * R03 other-phase-not-kept: repeated request out of phase
 *
 *           0   1   2   3   4   5   6   7   8
 *   old     [a-----------------------------]               a: A@1 r4
 *   map             [R-------------]                       R: A@2 r4
 *   new     [a'----][R-------------][a"----]               a': A@1 r4, a": A@3 r4
 *   steps   REMAP(a: prev a', next a")  MAP(R)
 *
 * R04 linear-over-repeated-not-kept: linear request over a repeated VA, offsets agreeing at the start
 *
 *           0   1   2   3   4   5   6   7   8
 *   old     [a-----------------------------]               a: A@1 r4
 *   map             [R-------------]                       R: A@3
 *   new     [a'----][R-------------][a"----]               a': A@1 r4, a": A@3 r4
 *   steps   REMAP(a: prev a', next a")  MAP(R)
 *
 * R05 phase-wraps: the next piece wraps around the window
 *
 *           0   1   2   3   4   5   6   7   8   9
 *   old     [a---------------------------------]           a: A@3 r4
 *   map                     [R-]                           R: B@0
 *   new     [a'------------][R-][a"------------]           a': A@3 r4, a": A@0 r4
 *   steps   REMAP(a: prev a', next a")  MAP(R)
 *
 * R06 unmap-middle: unmap inside a repeated VA
 *
 *           0   1   2   3   4   5   6   7   8   9   10
 *   old     [a-------------------------------------]       a: A@1 r4
 *   unmap               [U---------]
 *   new     [a'--------]            [a"------------]       a': A@1 r4, a": A@3 r4
 *   steps   REMAP(a: prev a', next a")
 *
 * R07 kept-from-later-start: repeated VA starting inside the request, in phase
 *
 *           0   1   2   3   4   5   6
 *   old             [a-------------]                       a: A@0 r4
 *   map     [R-------------]                               R: A@2 r4
 *   new     [R-------------][a"----]                       a": A@2 r4
 *   steps   REMAP(a: prev -, next a", keep)  MAP(R)
 *
 * R08 odd-window: a window of 3 pages
 *
 *           0   1   2   3   4   5   6   7   8   9   10
 *   old     [a-------------------------------------]       a: A@2 r3
 *   unmap                   [U-]
 *   new     [a'------------]    [a"----------------]       a': A@2 r3, a": A@1 r3
 *   steps   REMAP(a: prev a', next a")
 *
 * vm_bo. A struct gpuvm_bo records that one VM maps one object: the object
 * lists its vm_bos (one per VM), a vm_bo lists its VAs. It holds a reference
 * on the VM and on the object, and every linked VA holds one on it, so the
 * pairing lives exactly as long as some VA or some operation in flight uses
 * it. gpuvm_bo_obtain() finds it or creates it; the prepare half of a bind,
 * which may allocate, uses gpuvm_bo_create() + gpuvm_bo_obtain_prealloc(),
 * and the execute half only links and unlinks. Dropping the last reference
 * frees the vm_bo and puts the object, which may free it, so on the
 * fence-signalling path gpuvm_bo_put_deferred() instead unpublishes the
 * vm_bo at once (nobody can find it any more) and queues it on the VM;
 * gpuvm_bo_deferred_cleanup() finishes it later from a safe context.
 *
 * External objects and eviction. An object whose resv is not the VM's is
 * external: a job on the VM must lock its resv too, so the VM keeps those
 * vm_bos on its extobj list. A vm_bo whose object lost its backing is
 * flagged evicted and kept on the VM's evict list; before the next job,
 * gpuvm_validate_evicted() asks the driver to bring each one back. The extobj
 * list is filled only by gpuvm_bo_extobj_add() (the driver decides when, as in
 * the kernel), but gpuvm_validate() insists that every external vm_bo it can
 * reach is on it: add a vm_bo before linking its first VA.
 *
 * Locking. The tree and the VA fields belong to the driver's VM lock
 * (panthor's op lock): the library takes no lock for them and the driver
 * serialises every walk and change. Each object has a gpuva mutex for its
 * vm_bo list and those vm_bos' VA lists; the VM has one mutex per list
 * (extobj, evict, defer). All are taken inside the library, briefly, never
 * around a driver callback, in the order object gpuva lock -> VM evict lock
 * -> VM extobj lock (the defer lock nests under nothing). Mutexes rather than
 * the kernel's resv/spinlock split because there is a single mode here: the
 * kernel's "immediate mode", where links change from the signalling path.
 *
 * Deviations from drm_gpuvm, and why:
 *  - repeated mappings (gem.range) with the phase-keeping split rule above;
 *    the map step carries flags, and the keep test compares them;
 *  - gpuva_map() returns the insert error instead of only warning;
 *  - the library takes the object and list locks itself (link, unlink,
 *    find, obtain, put) instead of asserting that the caller holds them;
 *  - no reserved kernel node, no drm_exec helpers (the resv is opaque here):
 *    gpuvm_extobj_for_each() walks the extobj list for the driver to lock;
 *    vm_bo_validate gets the caller's cookie instead of a drm_exec;
 *  - a zero-sized range is never valid;
 *  - no address-ordered VA list beside the tree: in-order walks step through
 *    the tree (O(1) amortised per step);
 *  - the prealloc'd vm_bo of gpuvm_bo_obtain_prealloc() is freed outside the
 *    object's lock, and gpuvm_bo_obtain() allocates with no lock held;
 *  - gpuvm_validate() checks the invariants (the kernel has no such helper).
 */
#include "gpuvm/gpuvm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "util/u_alloc.h"
#include "util/u_compiler.h"
#include "util/u_err.h"
#include "util/u_log.h"

static U_LOCK_CLASS(gpuvm_gem_gpuva_class, "gpuvm_gem_gpuva");
static U_LOCK_CLASS(gpuvm_evict_class, "gpuvm_evict");
static U_LOCK_CLASS(gpuvm_extobj_class, "gpuvm_extobj");
static U_LOCK_CLASS(gpuvm_defer_class, "gpuvm_defer");

/* ---- arithmetic ------------------------------------------------------------ */

/* (off + delta) mod win for 0 <= off < win, without overflowing. */
static uint64_t window_add(uint64_t off, uint64_t delta, uint64_t win)
{
	delta %= win;
	return off >= win - delta ? off - (win - delta) : off + delta;
}

/* The object offset @delta bytes into a range backed by @gem. */
static uint64_t backing_offset(const struct gpuva_gem *gem, uint64_t delta)
{
	if (!gem->range)
		return gem->offset + delta;	/* wraps like the kernel's u64 arithmetic */
	return window_add(gem->offset, delta, gem->range);
}

/* A range must be non-empty, must not wrap, and must lie in the span. */
static bool range_in_span(uint64_t start, uint64_t span, uint64_t addr, uint64_t range)
{
	uint64_t end;

	if (!range || __builtin_add_overflow(addr, range, &end))
		return false;
	return addr >= start && end <= start + span;
}

/* A repeated window needs an object and an offset inside the window. */
static bool backing_valid(const struct gpuva_gem *gem)
{
	return !gem->range || (gem->obj && gem->offset < gem->range);
}

uint64_t gpuva_gem_offset(const struct gpuva *va, uint64_t addr)
{
	if (!va->gem.obj)
		return 0;
	return backing_offset(&va->gem, addr - va->va.addr);
}

uint64_t gpuva_op_map_offset(const struct gpuva_op_map *op, uint64_t addr)
{
	return backing_offset(&op->gem, addr - op->va.addr);
}

/* ---- objects ------------------------------------------------------------------ */

void gpuvm_gem_init(struct gpuvm_gem *obj, void *resv)
{
	obj->resv = resv;
	u_list_init(&obj->vm_bos);
	u_mutex_init(&obj->gpuva_lock, &gpuvm_gem_gpuva_class);
}

void gpuvm_gem_fini(struct gpuvm_gem *obj)
{
	U_WARN_ON(!u_list_empty(&obj->vm_bos));
	u_mutex_fini(&obj->gpuva_lock);
}

void gpuvm_gem_lock(struct gpuvm_gem *obj)
{
	u_mutex_lock(&obj->gpuva_lock);
}

void gpuvm_gem_unlock(struct gpuvm_gem *obj)
{
	u_mutex_unlock(&obj->gpuva_lock);
}

/* ---- VM ------------------------------------------------------------------------ */

static void bo_list_init(struct gpuvm_bo_list *l, struct u_lock_class *cls)
{
	u_list_init(&l->list);
	u_mutex_init(&l->lock, cls);
}

int gpuvm_init(struct gpuvm *vm, const char *name, uint64_t start, uint64_t range,
	       void *resv, const struct gpuvm_ops *ops)
{
	uint64_t end;

	if (!range || __builtin_add_overflow(start, range, &end) || !ops)
		return -EINVAL;
	if (!ops->vm_bo_alloc != !ops->vm_bo_free || !ops->gem_get != !ops->gem_put)
		return -EINVAL;

	vm->name = name ? name : "gpuvm";
	vm->start = start;
	vm->range = range;
	vm->resv = resv;
	vm->ops = ops;
	u_refcount_init(&vm->refcount, 1);
	u_itree_init(&vm->tree);
	bo_list_init(&vm->extobj, &gpuvm_extobj_class);
	bo_list_init(&vm->evict, &gpuvm_evict_class);
	bo_list_init(&vm->defer, &gpuvm_defer_class);
	return 0;
}

struct gpuvm *gpuvm_get(struct gpuvm *vm)
{
	u_refcount_get(&vm->refcount);
	return vm;
}

void gpuvm_put(struct gpuvm *vm)
{
	if (!vm || !u_refcount_put(&vm->refcount))
		return;

	/*
	 * VAs and vm_bos hold references, so these can only fire after a
	 * refcount bug; say so rather than free a VM something still points to.
	 */
	if (U_WARN_ON(u_itree_count(&vm->tree)) || U_WARN_ON(!u_list_empty(&vm->extobj.list)) ||
	    U_WARN_ON(!u_list_empty(&vm->evict.list)) || U_WARN_ON(!u_list_empty(&vm->defer.list)))
		u_err("gpuvm", "%s: last reference dropped with VAs or vm_bos attached", vm->name);

	u_mutex_fini(&vm->extobj.lock);
	u_mutex_fini(&vm->evict.lock);
	u_mutex_fini(&vm->defer.lock);
	if (vm->ops->vm_free)
		vm->ops->vm_free(vm);
}

bool gpuvm_range_valid(const struct gpuvm *vm, uint64_t addr, uint64_t range)
{
	return range_in_span(vm->start, vm->range, addr, range);
}

bool gpuvm_is_extobj(const struct gpuvm *vm, const struct gpuvm_gem *obj)
{
	return obj && obj->resv != vm->resv;
}

/* ---- VAs: tree ------------------------------------------------------------------- */

static struct gpuva *to_va(struct u_itree_node *node)
{
	return node ? container_of(node, struct gpuva, node) : NULL;
}

struct gpuva *gpuva_first(struct gpuvm *vm)
{
	return to_va(u_itree_first(&vm->tree));
}

struct gpuva *gpuva_next(struct gpuva *va)
{
	return va ? to_va(u_itree_next(&va->node)) : NULL;
}

struct gpuva *gpuva_iter_first(struct gpuvm *vm, uint64_t start, uint64_t end)
{
	if (end <= start)
		return NULL;
	return to_va(u_itree_iter_first(&vm->tree, start, end - 1));
}

struct gpuva *gpuva_iter_next(struct gpuva *va, uint64_t start, uint64_t end)
{
	if (!va || end <= start)
		return NULL;
	return to_va(u_itree_iter_next(&va->node, start, end - 1));
}

int gpuva_insert(struct gpuvm *vm, struct gpuva *va)
{
	uint64_t addr = va->va.addr, range = va->va.range;

	if (U_WARN_ON(va->inserted))
		return -EINVAL;
	if (!gpuvm_range_valid(vm, addr, range) || !backing_valid(&va->gem))
		return -EINVAL;
	if (gpuva_iter_first(vm, addr, addr + range))
		return -EEXIST;

	va->vm = vm;
	va->node.start = addr;
	va->node.last = addr + range - 1;
	u_itree_insert(&vm->tree, &va->node);
	va->inserted = true;
	gpuvm_get(vm);
	return 0;
}

void gpuva_remove(struct gpuva *va)
{
	struct gpuvm *vm = va->vm;

	if (U_WARN_ON(!va->inserted))
		return;
	u_itree_remove(&vm->tree, &va->node);
	va->inserted = false;
	gpuvm_put(vm);
}

struct gpuva *gpuva_find_first(struct gpuvm *vm, uint64_t addr, uint64_t range)
{
	uint64_t end;

	if (!range)
		return NULL;
	if (__builtin_add_overflow(addr, range, &end))
		end = UINT64_MAX;	/* the last address can never be mapped anyway */
	return gpuva_iter_first(vm, addr, end);
}

struct gpuva *gpuva_find(struct gpuvm *vm, uint64_t addr, uint64_t range)
{
	struct gpuva *va = to_va(u_itree_lookup_start(&vm->tree, addr));

	return va && va->va.range == range ? va : NULL;
}

struct gpuva *gpuva_find_prev(struct gpuvm *vm, uint64_t start)
{
	struct gpuva *va;

	if (start == 0)
		return NULL;
	va = gpuva_iter_first(vm, start - 1, start);
	return va && va->va.addr + va->va.range == start ? va : NULL;
}

struct gpuva *gpuva_find_next(struct gpuvm *vm, uint64_t end)
{
	return to_va(u_itree_lookup_start(&vm->tree, end));
}

bool gpuvm_interval_empty(struct gpuvm *vm, uint64_t addr, uint64_t range)
{
	return !gpuva_find_first(vm, addr, range);
}

void gpuva_invalidate(struct gpuva *va, bool invalidate)
{
	if (invalidate)
		va->flags |= GPUVA_INVALIDATED;
	else
		va->flags &= ~(uint32_t)GPUVA_INVALIDATED;
}

bool gpuva_invalidated(const struct gpuva *va)
{
	return va->flags & GPUVA_INVALIDATED;
}

/* ---- VAs: applying steps ------------------------------------------------------- */

static void va_init_from_op(struct gpuva *va, const struct gpuva_op_map *op)
{
	va->va = op->va;
	va->gem = op->gem;
	va->flags = op->flags;
	va->vm_bo = NULL;
	va->inserted = false;
	u_list_init(&va->vm_bo_link);
}

int gpuva_map(struct gpuvm *vm, struct gpuva *va, const struct gpuva_op_map *op)
{
	va_init_from_op(va, op);
	return gpuva_insert(vm, va);
}

void gpuva_remap(struct gpuva *prev, struct gpuva *next, const struct gpuva_op_remap *op)
{
	struct gpuva *old = op->unmap->va;
	struct gpuvm *vm = old->vm;

	/*
	 * Keep a VM reference across the swap: the old VA's may be the one
	 * that keeps the VM alive until the pieces are in.
	 */
	gpuvm_get(vm);
	gpuva_remove(old);
	/* The pieces lie inside the old range, which is now free: cannot fail. */
	if (op->prev)
		U_WARN_ON(gpuva_map(vm, prev, op->prev));
	if (op->next)
		U_WARN_ON(gpuva_map(vm, next, op->next));
	gpuvm_put(vm);
}

void gpuva_unmap(const struct gpuva_op_unmap *op)
{
	gpuva_remove(op->va);
}

void gpuva_op_remap_to_unmap_range(const struct gpuva_op_remap *op, uint64_t *start,
				   uint64_t *range)
{
	const struct gpuva *old = op->unmap->va;
	uint64_t s = op->prev ? op->prev->va.addr + op->prev->va.range : old->va.addr;
	uint64_t e = op->next ? op->next->va.addr : old->va.addr + old->va.range;

	*start = s;
	*range = e - s;
}

/* ---- split/merge walks ------------------------------------------------------------ */

/*
 * Is @va, on the part it shares with @req, backed exactly as @req asks?
 * @at is the first address of that shared part: max(va start, req start).
 */
static bool can_keep(const struct gpuva *va, const struct gpuva_op_map *req, uint64_t at)
{
	if (!va->gem.obj || va->gem.obj != req->gem.obj)
		return false;
	if (va->flags != req->flags || va->gem.range != req->gem.range)
		return false;
	return backing_offset(&va->gem, at - va->va.addr) ==
	       backing_offset(&req->gem, at - req->va.addr);
}

/* The part of @va from @from to @to, backed as @va is there. */
static void piece(struct gpuva_op_map *p, const struct gpuva *va, uint64_t from, uint64_t to)
{
	p->va.addr = from;
	p->va.range = to - from;
	p->gem.obj = va->gem.obj;
	p->gem.range = va->gem.range;
	p->gem.offset = va->gem.obj ? backing_offset(&va->gem, from - va->va.addr) : va->gem.offset;
	p->flags = va->flags;
}

/*
 * The walk shared by both requests: one UNMAP or REMAP per VA overlapping
 * [addr, addr + range), then the MAP of @req when there is one. @req is NULL
 * for an unmap request. The next VA is fetched before each step so the step
 * may take the current one out of the tree.
 */
static int sm_walk(struct gpuvm *vm, const struct gpuvm_ops *ops, void *priv,
		   uint64_t addr, uint64_t range, const struct gpuva_op_map *req)
{
	uint64_t end = addr + range;
	struct gpuva *va, *next;
	int ret;

	gpuvm_for_each_va_range_safe(va, next, vm, addr, end) {
		uint64_t a = va->va.addr, e = a + va->va.range;
		struct gpuva_op_map p, n;
		struct gpuva_op_unmap u = {
			.va = va,
			.keep = req && can_keep(va, req, u_max(a, addr)),
		};
		struct gpuva_op op;

		if (a < addr || e > end) {
			if (a < addr)
				piece(&p, va, a, addr);
			if (e > end)
				piece(&n, va, end, e);
			op.op = GPUVA_OP_REMAP;
			op.remap.prev = a < addr ? &p : NULL;
			op.remap.next = e > end ? &n : NULL;
			op.remap.unmap = &u;
			ret = ops->sm_step_remap(&op, priv);
		} else {
			op.op = GPUVA_OP_UNMAP;
			op.unmap = u;
			ret = ops->sm_step_unmap(&op, priv);
		}
		if (ret)
			return ret;
		if (e >= end)
			break;	/* nothing later can overlap */
	}

	if (req) {
		struct gpuva_op op = { .op = GPUVA_OP_MAP, .map = *req };

		return ops->sm_step_map(&op, priv);
	}
	return 0;
}

static bool map_req_valid(const struct gpuvm *vm, const struct gpuvm_map_req *req)
{
	return req && gpuvm_range_valid(vm, req->map.va.addr, req->map.va.range) &&
	       backing_valid(&req->map.gem);
}

int gpuvm_sm_map(struct gpuvm *vm, void *priv, const struct gpuvm_map_req *req)
{
	const struct gpuvm_ops *ops = vm->ops;

	if (!ops->sm_step_map || !ops->sm_step_remap || !ops->sm_step_unmap)
		return -EINVAL;
	if (!map_req_valid(vm, req))
		return -EINVAL;
	return sm_walk(vm, ops, priv, req->map.va.addr, req->map.va.range, &req->map);
}

int gpuvm_sm_unmap(struct gpuvm *vm, void *priv, uint64_t addr, uint64_t range)
{
	const struct gpuvm_ops *ops = vm->ops;

	if (!ops->sm_step_remap || !ops->sm_step_unmap)
		return -EINVAL;
	if (!gpuvm_range_valid(vm, addr, range))
		return -EINVAL;
	return sm_walk(vm, ops, priv, addr, range, NULL);
}

/* ---- split/merge as a list ----------------------------------------------------------- */

/* One allocation per listed step: the step and the pieces it points to. */
struct gpuva_op_storage {
	struct gpuva_op op;
	struct gpuva_op_map prev;
	struct gpuva_op_map next;
	struct gpuva_op_unmap unmap;
};

static int list_step(struct gpuva_op *step, void *priv)
{
	struct gpuva_ops *ops = priv;
	struct gpuva_op_storage *s = u_zalloc(sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->op = *step;
	if (step->op == GPUVA_OP_REMAP) {
		if (step->remap.prev) {
			s->prev = *step->remap.prev;
			s->op.remap.prev = &s->prev;
		}
		if (step->remap.next) {
			s->next = *step->remap.next;
			s->op.remap.next = &s->next;
		}
		s->unmap = *step->remap.unmap;
		s->op.remap.unmap = &s->unmap;
	}
	u_list_add_tail(&s->op.entry, &ops->list);
	return 0;
}

static const struct gpuvm_ops list_ops = {
	.sm_step_map = list_step,
	.sm_step_remap = list_step,
	.sm_step_unmap = list_step,
};

static struct gpuva_ops *ops_create(struct gpuvm *vm, uint64_t addr, uint64_t range,
				    const struct gpuva_op_map *req)
{
	struct gpuva_ops *ops = u_malloc(sizeof(*ops));
	int ret;

	if (!ops)
		return ERR_PTR(-ENOMEM);
	u_list_init(&ops->list);
	ret = sm_walk(vm, &list_ops, ops, addr, range, req);
	if (ret) {
		gpuva_ops_free(ops);
		return ERR_PTR(ret);
	}
	return ops;
}

struct gpuva_ops *gpuvm_sm_map_ops_create(struct gpuvm *vm, const struct gpuvm_map_req *req)
{
	if (!map_req_valid(vm, req))
		return ERR_PTR(-EINVAL);
	return ops_create(vm, req->map.va.addr, req->map.va.range, &req->map);
}

struct gpuva_ops *gpuvm_sm_unmap_ops_create(struct gpuvm *vm, uint64_t addr, uint64_t range)
{
	if (!gpuvm_range_valid(vm, addr, range))
		return ERR_PTR(-EINVAL);
	return ops_create(vm, addr, range, NULL);
}

void gpuva_ops_free(struct gpuva_ops *ops)
{
	struct gpuva_op *op, *tmp;

	if (IS_ERR_OR_NULL(ops))
		return;
	u_list_for_each_entry_safe(op, tmp, &ops->list, entry)
		u_free(container_of(op, struct gpuva_op_storage, op));
	u_free(ops);
}

/* ---- vm_bo --------------------------------------------------------------------------- */

struct gpuvm_bo *gpuvm_bo_create(struct gpuvm *vm, struct gpuvm_gem *obj)
{
	const struct gpuvm_ops *ops = vm->ops;
	struct gpuvm_bo *vm_bo = ops->vm_bo_alloc ? ops->vm_bo_alloc() : u_zalloc(sizeof(*vm_bo));

	if (!vm_bo)
		return ERR_PTR(-ENOMEM);

	vm_bo->vm = gpuvm_get(vm);
	vm_bo->obj = obj;
	if (ops->gem_get)
		ops->gem_get(obj);
	u_refcount_init(&vm_bo->refcount, 1);
	vm_bo->evicted = false;
	u_list_init(&vm_bo->vas);
	u_list_init(&vm_bo->gem_link);
	u_list_init(&vm_bo->extobj_link);
	u_list_init(&vm_bo->evict_link);
	u_list_init(&vm_bo->defer_link);
	return vm_bo;
}

/* The live vm_bo of (@vm, @obj); the caller holds @obj's gpuva lock. */
static struct gpuvm_bo *bo_find_locked(struct gpuvm *vm, struct gpuvm_gem *obj)
{
	struct gpuvm_bo *vm_bo;

	u_mutex_assert_held(&obj->gpuva_lock);
	gpuvm_gem_for_each_vm_bo(vm_bo, obj)
		if (vm_bo->vm == vm)
			return vm_bo;
	return NULL;
}

struct gpuvm_bo *gpuvm_bo_find(struct gpuvm *vm, struct gpuvm_gem *obj)
{
	struct gpuvm_bo *vm_bo;

	gpuvm_gem_lock(obj);
	vm_bo = bo_find_locked(vm, obj);
	/* Live vm_bos are never at zero: the last put unpublishes under this lock. */
	if (vm_bo)
		gpuvm_bo_get(vm_bo);
	gpuvm_gem_unlock(obj);
	return vm_bo;
}

struct gpuvm_bo *gpuvm_bo_obtain_prealloc(struct gpuvm_bo *vm_bo)
{
	struct gpuvm_gem *obj = vm_bo->obj;
	struct gpuvm_bo *found;

	gpuvm_gem_lock(obj);
	found = bo_find_locked(vm_bo->vm, obj);
	if (found)
		gpuvm_bo_get(found);
	else
		u_list_add_tail(&vm_bo->gem_link, &obj->vm_bos);
	gpuvm_gem_unlock(obj);

	if (!found)
		return vm_bo;
	/* Never published, so this is its last reference: freed here, outside the lock. */
	gpuvm_bo_put(vm_bo);
	return found;
}

struct gpuvm_bo *gpuvm_bo_obtain(struct gpuvm *vm, struct gpuvm_gem *obj)
{
	struct gpuvm_bo *vm_bo = gpuvm_bo_find(vm, obj);

	if (vm_bo)
		return vm_bo;
	/*
	 * Allocate with no lock held (a shrinker may want the object's gpuva
	 * lock), then publish, unless another thread published first.
	 */
	vm_bo = gpuvm_bo_create(vm, obj);
	if (IS_ERR(vm_bo))
		return vm_bo;
	return gpuvm_bo_obtain_prealloc(vm_bo);
}

struct gpuvm_bo *gpuvm_bo_get(struct gpuvm_bo *vm_bo)
{
	u_refcount_get(&vm_bo->refcount);
	return vm_bo;
}

static void bo_list_del(struct gpuvm_bo_list *l, struct u_list *link)
{
	u_mutex_lock(&l->lock);
	u_list_del(link);
	u_mutex_unlock(&l->lock);
}

/*
 * Drop a reference; on the last one take the vm_bo off every list so that
 * nothing can find it any more. The count reaches zero under the object's
 * gpuva lock, which is what lets find/obtain take references without a
 * get-unless-zero: a vm_bo on the object's list is always alive.
 * Return: true when the caller now owns the dead vm_bo.
 */
static bool bo_put_unpublish(struct gpuvm_bo *vm_bo)
{
	struct gpuvm_gem *obj = vm_bo->obj;
	struct gpuvm *vm = vm_bo->vm;

	gpuvm_gem_lock(obj);
	if (!u_refcount_put(&vm_bo->refcount)) {
		gpuvm_gem_unlock(obj);
		return false;
	}
	U_WARN_ON(!u_list_empty(&vm_bo->vas));
	u_list_del(&vm_bo->gem_link);
	bo_list_del(&vm->evict, &vm_bo->evict_link);
	bo_list_del(&vm->extobj, &vm_bo->extobj_link);
	gpuvm_gem_unlock(obj);
	return true;
}

/* Free a dead, unpublished vm_bo and drop what it held. No gpuvm lock held. */
static void bo_free(struct gpuvm_bo *vm_bo)
{
	struct gpuvm *vm = vm_bo->vm;
	struct gpuvm_gem *obj = vm_bo->obj;
	const struct gpuvm_ops *ops = vm->ops;

	if (ops->vm_bo_free)
		ops->vm_bo_free(vm_bo);
	else
		u_free(vm_bo);
	if (ops->gem_put)
		ops->gem_put(obj);
	gpuvm_put(vm);
}

bool gpuvm_bo_put(struct gpuvm_bo *vm_bo)
{
	if (!vm_bo || !bo_put_unpublish(vm_bo))
		return false;
	bo_free(vm_bo);
	return true;
}

bool gpuvm_bo_put_deferred(struct gpuvm_bo *vm_bo)
{
	struct gpuvm *vm;

	if (!vm_bo || !bo_put_unpublish(vm_bo))
		return false;
	/*
	 * Queued only now that the object's lock is released: once it is on
	 * the list a concurrent cleanup may drop the object, and its lock with
	 * it, at any moment.
	 */
	vm = vm_bo->vm;
	u_mutex_lock(&vm->defer.lock);
	u_list_add_tail(&vm_bo->defer_link, &vm->defer.list);
	u_mutex_unlock(&vm->defer.lock);
	return true;
}

/* Move every entry of @from to the end of @to (both heads of lists). */
static void list_splice_tail(struct u_list *from, struct u_list *to)
{
	if (u_list_empty(from))
		return;
	from->next->prev = to->prev;
	to->prev->next = from->next;
	from->prev->next = to;
	to->prev = from->prev;
	u_list_init(from);
}

void gpuvm_bo_deferred_cleanup(struct gpuvm *vm)
{
	struct gpuvm_bo *vm_bo, *tmp;
	struct u_list dead;

	u_list_init(&dead);
	u_mutex_lock(&vm->defer.lock);
	list_splice_tail(&vm->defer.list, &dead);
	u_mutex_unlock(&vm->defer.lock);

	u_list_for_each_entry_safe(vm_bo, tmp, &dead, defer_link) {
		u_list_del(&vm_bo->defer_link);
		bo_free(vm_bo);
	}
}

void gpuvm_bo_extobj_add(struct gpuvm_bo *vm_bo)
{
	struct gpuvm *vm = vm_bo->vm;

	if (!gpuvm_is_extobj(vm, vm_bo->obj))
		return;
	u_mutex_lock(&vm->extobj.lock);
	if (u_list_empty(&vm_bo->extobj_link))
		u_list_add_tail(&vm_bo->extobj_link, &vm->extobj.list);
	u_mutex_unlock(&vm->extobj.lock);
}

void gpuvm_bo_evict(struct gpuvm_bo *vm_bo, bool evict)
{
	struct gpuvm *vm = vm_bo->vm;

	u_mutex_lock(&vm->evict.lock);
	vm_bo->evicted = evict;
	if (!evict)
		u_list_del(&vm_bo->evict_link);
	else if (u_list_empty(&vm_bo->evict_link))
		u_list_add_tail(&vm_bo->evict_link, &vm->evict.list);
	u_mutex_unlock(&vm->evict.lock);
}

bool gpuvm_bo_is_evicted(struct gpuvm_bo *vm_bo)
{
	struct gpuvm *vm = vm_bo->vm;
	bool evicted;

	u_mutex_lock(&vm->evict.lock);
	evicted = vm_bo->evicted;
	u_mutex_unlock(&vm->evict.lock);
	return evicted;
}

void gpuvm_gem_evict(struct gpuvm_gem *obj, bool evict)
{
	struct gpuvm_bo *vm_bo;

	gpuvm_gem_lock(obj);
	gpuvm_gem_for_each_vm_bo(vm_bo, obj)
		gpuvm_bo_evict(vm_bo, evict);
	gpuvm_gem_unlock(obj);
}

/*
 * Call @fn on each vm_bo of list @l (whose entries are linked by the member
 * at @link_off) with a reference held and no lock. The entries are first
 * moved to a private list, then put back one at a time just before their
 * call, so @fn may take its vm_bo off the list (gpuvm_bo_evict(false)), the
 * list may gain entries meanwhile, and each entry present at the start is
 * visited once. What is left when @fn fails goes back in order.
 */
static int bo_list_walk(struct gpuvm_bo_list *l, size_t link_off,
			int (*fn)(struct gpuvm_bo *vm_bo, void *priv), void *priv)
{
	struct u_list todo;
	int ret = 0;

	u_list_init(&todo);
	u_mutex_lock(&l->lock);
	list_splice_tail(&l->list, &todo);
	u_mutex_unlock(&l->lock);

	while (!ret) {
		struct gpuvm_bo *vm_bo;
		struct u_list *link;
		bool alive;

		u_mutex_lock(&l->lock);
		if (u_list_empty(&todo)) {
			u_mutex_unlock(&l->lock);
			break;
		}
		link = todo.next;
		u_list_move_tail(link, &l->list);
		vm_bo = (struct gpuvm_bo *)((char *)link - link_off);
		/* A vm_bo whose last put is unpublishing it is skipped. */
		alive = u_refcount_get_unless_zero(&vm_bo->refcount);
		u_mutex_unlock(&l->lock);

		if (!alive)
			continue;
		ret = fn(vm_bo, priv);
		gpuvm_bo_put(vm_bo);
	}

	/* Entries not visited (after an error) go back, at the end. */
	u_mutex_lock(&l->lock);
	list_splice_tail(&todo, &l->list);
	u_mutex_unlock(&l->lock);
	return ret;
}

int gpuvm_validate_evicted(struct gpuvm *vm, void *priv)
{
	if (!vm->ops->vm_bo_validate)
		return -EINVAL;
	return bo_list_walk(&vm->evict, offsetof(struct gpuvm_bo, evict_link),
			    vm->ops->vm_bo_validate, priv);
}

int gpuvm_extobj_for_each(struct gpuvm *vm, int (*fn)(struct gpuvm_bo *vm_bo, void *priv),
			  void *priv)
{
	return bo_list_walk(&vm->extobj, offsetof(struct gpuvm_bo, extobj_link), fn, priv);
}

/* ---- links ------------------------------------------------------------------------------ */

void gpuva_link(struct gpuva *va, struct gpuvm_bo *vm_bo)
{
	struct gpuvm_gem *obj = va->gem.obj;

	if (!obj)
		return;
	if (U_WARN_ON(!vm_bo || vm_bo->obj != obj || va->vm_bo))
		return;

	gpuvm_bo_get(vm_bo);
	gpuvm_gem_lock(obj);
	u_list_add_tail(&va->vm_bo_link, &vm_bo->vas);
	va->vm_bo = vm_bo;
	gpuvm_gem_unlock(obj);
}

/* Take @va off its vm_bo's list. Return: the vm_bo whose reference the caller now drops. */
static struct gpuvm_bo *va_unlink(struct gpuva *va)
{
	struct gpuvm_bo *vm_bo = va->vm_bo;

	if (!vm_bo)
		return NULL;
	gpuvm_gem_lock(vm_bo->obj);
	u_list_del(&va->vm_bo_link);
	va->vm_bo = NULL;
	gpuvm_gem_unlock(vm_bo->obj);
	return vm_bo;
}

void gpuva_unlink(struct gpuva *va)
{
	gpuvm_bo_put(va_unlink(va));
}

void gpuva_unlink_defer(struct gpuva *va)
{
	gpuvm_bo_put_deferred(va_unlink(va));
}

/* ---- invariants ------------------------------------------------------------------------ */

static int U_PRINTF(2, 3) broken(const struct gpuvm *vm, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	u_err("gpuvm", "%s: invariant broken: %s", vm->name, msg);
	return -EUCLEAN;
}

#define VA_FMT "VA [0x%" PRIx64 ", 0x%" PRIx64 ")"
#define VA_ARG(x) (x)->va.addr, (x)->va.addr + (x)->va.range

/* The VA's own fields, its place in the tree, and that it follows @prev_end. */
static int check_va(const struct gpuvm *vm, const struct gpuva *va, uint64_t prev_end, bool first)
{
	if (va->vm != vm || !va->inserted)
		return broken(vm, VA_FMT " in the tree does not say it belongs to this VM", VA_ARG(va));
	if (!range_in_span(vm->start, vm->range, va->va.addr, va->va.range))
		return broken(vm, VA_FMT " (size 0x%" PRIx64 ") is empty, wraps or leaves the span "
			      "[0x%" PRIx64 ", 0x%" PRIx64 ")", VA_ARG(va), va->va.range,
			      vm->start, vm->start + vm->range);
	if (va->node.start != va->va.addr || va->node.last != va->va.addr + va->va.range - 1)
		return broken(vm, VA_FMT " is keyed in the tree as [0x%" PRIx64 ", 0x%" PRIx64 "]",
			      VA_ARG(va), va->node.start, va->node.last);
	if (!first && va->va.addr < prev_end)
		return broken(vm, VA_FMT " overlaps the VA before it, which ends at 0x%" PRIx64,
			      VA_ARG(va), prev_end);
	if (!backing_valid(&va->gem))
		return broken(vm, VA_FMT " is repeated with window 0x%" PRIx64 " but offset 0x%" PRIx64
			      " or no object", VA_ARG(va), va->gem.range, va->gem.offset);
	if (!va->gem.obj && va->vm_bo)
		return broken(vm, VA_FMT " has no object but is linked to a vm_bo", VA_ARG(va));
	if (va->gem.obj && !va->vm_bo)
		return broken(vm, VA_FMT " maps an object but is not linked to a vm_bo", VA_ARG(va));
	if (va->vm_bo && (va->vm_bo->vm != vm || va->vm_bo->obj != va->gem.obj))
		return broken(vm, VA_FMT " is linked to the vm_bo of another VM or object", VA_ARG(va));
	return 0;
}

/* Whether @vm_bo's list flags agree with its state. Caller holds nothing. */
static int check_bo_lists(const struct gpuvm *vm, struct gpuvm_bo *vm_bo)
{
	struct gpuvm *mvm = (struct gpuvm *)vm;
	bool evicted, on_evict, on_extobj, ext = gpuvm_is_extobj(vm, vm_bo->obj);

	u_mutex_lock(&mvm->evict.lock);
	u_mutex_lock(&mvm->extobj.lock);
	evicted = vm_bo->evicted;
	on_evict = !u_list_empty(&vm_bo->evict_link);
	on_extobj = !u_list_empty(&vm_bo->extobj_link);
	u_mutex_unlock(&mvm->extobj.lock);
	u_mutex_unlock(&mvm->evict.lock);

	if (evicted != on_evict)
		return broken(vm, "vm_bo %p is %sevicted but %son the evict list", (void *)vm_bo,
			      evicted ? "" : "not ", on_evict ? "" : "not ");
	if (ext != on_extobj)
		return broken(vm, "vm_bo %p maps a%s object but is %son the extobj list", (void *)vm_bo,
			      ext ? "n external" : " private", on_extobj ? "" : "not ");
	return 0;
}

/*
 * The vm_bo of @va, checked once: when @va heads its VA list. Adds the
 * length of that list to *@linked.
 */
static int check_bo_of_va(const struct gpuvm *vm, const struct gpuva *va, size_t *linked,
			  size_t *bos)
{
	struct gpuvm_bo *vm_bo = va->vm_bo, *it;
	struct gpuvm_gem *obj = vm_bo->obj;
	const struct gpuva *v;
	size_t n = 0, mine = 0;
	bool on_gem = false;
	int ret = 0;

	gpuvm_gem_lock(obj);
	if (u_list_empty(&vm_bo->vas) || u_list_first_entry(&vm_bo->vas, struct gpuva, vm_bo_link) != va) {
		gpuvm_gem_unlock(obj);
		return 0;
	}
	u_list_for_each_entry(v, &vm_bo->vas, vm_bo_link) {
		if (v->vm_bo != vm_bo || v->vm != vm || !v->inserted || v->gem.obj != obj) {
			ret = broken(vm, "vm_bo %p lists " VA_FMT ", which is not one of its VAs in this tree",
				     (void *)vm_bo, VA_ARG(v));
			break;
		}
		n++;
	}
	gpuvm_gem_for_each_vm_bo(it, obj) {
		mine += it->vm == vm;
		on_gem |= it == vm_bo;
	}
	gpuvm_gem_unlock(obj);
	if (ret)
		return ret;

	if (!on_gem || mine != 1)
		return broken(vm, "vm_bo %p is %son its object's list, which holds %zu vm_bos of this VM",
			      (void *)vm_bo, on_gem ? "" : "not ", mine);
	if ((size_t)u_refcount_read(&vm_bo->refcount) < n)
		return broken(vm, "vm_bo %p has %d references for %zu linked VAs", (void *)vm_bo,
			      u_refcount_read(&vm_bo->refcount), n);
	*linked += n;
	(*bos)++;
	return check_bo_lists(vm, vm_bo);
}

/* The extobj, evict and defer lists. Adds the vm_bos not reached through a VA to *@bos. */
static int check_lists(const struct gpuvm *vm, size_t *bos)
{
	struct gpuvm *mvm = (struct gpuvm *)vm;
	struct gpuvm_bo *vm_bo;
	int ret = 0;

	u_mutex_lock(&mvm->evict.lock);
	u_mutex_lock(&mvm->extobj.lock);
	u_list_for_each_entry(vm_bo, &mvm->extobj.list, extobj_link) {
		if (vm_bo->vm != vm || !gpuvm_is_extobj(vm, vm_bo->obj) ||
		    u_refcount_read(&vm_bo->refcount) <= 0) {
			ret = broken(vm, "extobj list holds vm_bo %p of another VM, of a private object, "
				     "or dead", (void *)vm_bo);
			goto out;
		}
		*bos += u_list_empty(&vm_bo->vas);
	}
	u_list_for_each_entry(vm_bo, &mvm->evict.list, evict_link) {
		if (vm_bo->vm != vm || !vm_bo->evicted || u_refcount_read(&vm_bo->refcount) <= 0) {
			ret = broken(vm, "evict list holds vm_bo %p of another VM, not evicted, or dead",
				     (void *)vm_bo);
			goto out;
		}
		if (gpuvm_is_extobj(vm, vm_bo->obj) == u_list_empty(&vm_bo->extobj_link)) {
			ret = broken(vm, "evicted vm_bo %p is %son the extobj list", (void *)vm_bo,
				     u_list_empty(&vm_bo->extobj_link) ? "not " : "");
			goto out;
		}
		*bos += u_list_empty(&vm_bo->vas) && u_list_empty(&vm_bo->extobj_link);
	}
out:
	u_mutex_unlock(&mvm->extobj.lock);
	u_mutex_unlock(&mvm->evict.lock);
	if (ret)
		return ret;

	u_mutex_lock(&mvm->defer.lock);
	u_list_for_each_entry(vm_bo, &mvm->defer.list, defer_link) {
		if (vm_bo->vm != vm || u_refcount_read(&vm_bo->refcount) != 0 ||
		    !u_list_empty(&vm_bo->vas) || !u_list_empty(&vm_bo->gem_link) ||
		    !u_list_empty(&vm_bo->evict_link) || !u_list_empty(&vm_bo->extobj_link)) {
			ret = broken(vm, "deferred vm_bo %p is alive, linked or still published",
				     (void *)vm_bo);
			break;
		}
		(*bos)++;
	}
	u_mutex_unlock(&mvm->defer.lock);
	return ret;
}

int gpuvm_validate(const struct gpuvm *vm)
{
	struct gpuvm *mvm = (struct gpuvm *)vm;
	size_t nva = 0, with_obj = 0, linked = 0, bos = 0;
	uint64_t prev_end = 0;
	struct gpuva *va;
	int ret;

	if (u_itree_validate(&vm->tree))
		return broken(vm, "the interval tree is corrupt (see above)");

	gpuvm_for_each_va(va, mvm) {
		ret = check_va(vm, va, prev_end, nva == 0);
		if (ret)
			return ret;
		prev_end = va->va.addr + va->va.range;
		nva++;
		if (!va->gem.obj)
			continue;
		with_obj++;
		ret = check_bo_of_va(vm, va, &linked, &bos);
		if (ret)
			return ret;
	}
	if (linked != with_obj)
		return broken(vm, "the vm_bo VA lists hold %zu VAs, the tree %zu VAs with an object",
			      linked, with_obj);

	ret = check_lists(vm, &bos);
	if (ret)
		return ret;

	if ((size_t)u_refcount_read(&vm->refcount) < nva + bos)
		return broken(vm, "%d references for %zu VAs and %zu vm_bos",
			      u_refcount_read(&vm->refcount), nva, bos);
	return 0;
}
