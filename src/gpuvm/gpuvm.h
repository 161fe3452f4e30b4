/* SPDX-License-Identifier: MIT */
/*
 * gpuvm: a generic GPU VA space manager, the user-space counterpart of the
 * kernel's drm_gpuvm. It knows nothing about panthor: it keeps the VA ranges
 * of one address space in an interval tree, turns a map or unmap request into
 * the map / remap / unmap steps a driver must apply to its page tables, and
 * tracks which buffer objects each VM maps (vm_bo), which of them are
 * external (they do not share the VM's reservation object) and which are
 * evicted. gpuvm.c starts with the design overview and the drawings of every
 * split/merge case.
 *
 * Drivers embed struct gpuvm, struct gpuvm_gem, struct gpuva and (through the
 * vm_bo_alloc op) struct gpuvm_bo in their own objects and get back to them
 * with container_of(). The library never allocates a driver object; the only
 * allocations it makes are vm_bos when the driver does not provide
 * vm_bo_alloc, and the op lists of the *_ops_create() functions.
 */
#ifndef PANTOMIME_GPUVM_H
#define PANTOMIME_GPUVM_H

#include <stdbool.h>
#include <stdint.h>

#include "util/u_itree.h"
#include "util/u_list.h"
#include "util/u_lock.h"
#include "util/u_refcount.h"

struct gpuvm;
struct gpuvm_bo;
struct gpuva_op;

/**
 * enum gpuva_flags - flags of a struct gpuva (and of a struct gpuva_op_map).
 * @GPUVA_INVALIDATED: the backing of the mapping changed and the driver has
 *                     not re-validated it yet (gpuva_invalidate()).
 * @GPUVA_SPARSE: a sparse mapping; the library attaches no meaning to it
 *                beyond comparing flags in the keep test.
 * @GPUVA_USERBITS: first bit free for the driver; the library copies the
 *                  flags word from the request to the new VA and from an
 *                  old VA to its split pieces.
 */
enum gpuva_flags {
	GPUVA_INVALIDATED = 1u << 0,
	GPUVA_SPARSE = 1u << 1,
	GPUVA_USERBITS = 1u << 2,
};

/**
 * struct gpuvm_gem - the part of a driver buffer object that gpuvm uses;
 * embedded in the driver's BO.
 * @resv: the BO's reservation object, opaque to the library: only compared
 *        with struct gpuvm.resv to tell private BOs (same resv as the VM)
 *        from external ones. Set once by gpuvm_gem_init().
 * @vm_bos: the struct gpuvm_bo of every VM that maps this BO, linked by
 *          gpuvm_bo.gem_link. Protected by @gpuva_lock.
 * @gpuva_lock: protects @vm_bos and the VA list (gpuvm_bo.vas) of each of
 *              those vm_bos. A mutex that may be taken on the
 *              fence-signalling path (the kernel's "immediate mode"), so VAs
 *              can be linked and unlinked from an asynchronous bind. The
 *              library takes it itself; a driver takes it (gpuvm_gem_lock())
 *              only to walk @vm_bos. Lock order: this lock, then a VM's evict
 *              lock, then a VM's extobj lock.
 */
struct gpuvm_gem {
	void *resv;
	struct u_list vm_bos;
	struct u_mutex gpuva_lock;
};

/**
 * struct gpuva_va - a GPU virtual address range.
 * @addr: first address.
 * @range: size in bytes; never 0 for a VA in a tree.
 */
struct gpuva_va {
	uint64_t addr;
	uint64_t range;
};

/**
 * struct gpuva_gem - what backs a VA range.
 * @obj: the buffer object, or NULL for a mapping without one (a driver's
 *       NULL/sparse mapping); a VA without an object is never linked to a
 *       vm_bo and never "kept".
 * @offset: object offset backing the first address of the range. For a
 *          repeated mapping, the phase in the window: 0 <= @offset < @range.
 * @range: 0 for a linear mapping, where address addr + d is backed by object
 *         offset @offset + d. Otherwise a *repeated* mapping of the object
 *         window [0, @range): address addr + d is backed by object offset
 *         (@offset + d) mod @range, whatever the VA size (panthor maps its
 *         sparse dummy BO this way).
 */
struct gpuva_gem {
	struct gpuvm_gem *obj;
	uint64_t offset;
	uint64_t range;
};

/**
 * struct gpuva - one mapping of a VA range; embedded in the driver's VMA.
 * @vm: the VM whose tree holds the VA; set by gpuva_insert(). Protected by
 *      the driver's VM lock, like every field below except @vm_bo_link.
 * @vm_bo: the vm_bo this VA is linked to (gpuva_link()), NULL when unlinked.
 * @flags: enum gpuva_flags.
 * @va: the VA range.
 * @gem: what backs it.
 * @node: the tree node, keyed by [va.addr, va.addr + va.range - 1]. Owned by
 *        the library.
 * @vm_bo_link: entry in vm_bo->vas. Protected by the object's gpuva_lock.
 * @inserted: true while the VA is in @vm's tree. Owned by the library.
 */
struct gpuva {
	struct gpuvm *vm;
	struct gpuvm_bo *vm_bo;
	uint32_t flags;
	struct gpuva_va va;
	struct gpuva_gem gem;
	struct u_itree_node node;
	struct u_list vm_bo_link;
	bool inserted;
};

/**
 * struct gpuvm_bo - the link between one VM and one buffer object it maps.
 *
 * Unique per (VM, object) pair among live vm_bos: gpuvm_bo_obtain() finds
 * the existing one before creating another. Holds a reference on the VM and
 * (through ops->gem_get) on the object. Each VA linked to it holds a
 * reference on it.
 *
 * @vm: the VM. Set once at creation.
 * @obj: the object. Set once at creation.
 * @refcount: references: the creator's, one per linked VA, and any taken
 *            with gpuvm_bo_get().
 * @evicted: the object's backing was evicted for this VM and the mappings
 *           must be restored before the GPU uses them. Protected by the VM's
 *           evict lock; true exactly while on the evict list.
 * @vas: the VAs of @vm mapping @obj (gpuva.vm_bo_link). Protected by the
 *       object's gpuva_lock.
 * @gem_link: entry in obj->vm_bos while live. Protected by the object's
 *            gpuva_lock.
 * @extobj_link: entry in the VM's extobj list. Protected by the VM's extobj
 *               lock.
 * @evict_link: entry in the VM's evict list. Protected by the VM's evict
 *              lock.
 * @defer_link: entry in the VM's deferred-free list once the last reference
 *              was dropped with gpuvm_bo_put_deferred(). Protected by the VM's
 *              defer lock.
 */
struct gpuvm_bo {
	struct gpuvm *vm;
	struct gpuvm_gem *obj;
	struct u_refcount refcount;
	bool evicted;
	struct u_list vas;
	struct u_list gem_link;
	struct u_list extobj_link;
	struct u_list evict_link;
	struct u_list defer_link;
};

/**
 * enum gpuva_op_type - kinds of split/merge steps.
 * @GPUVA_OP_MAP: map a new range (struct gpuva_op_map).
 * @GPUVA_OP_REMAP: replace an existing VA by what is left of it on either
 *                  side of the request (struct gpuva_op_remap).
 * @GPUVA_OP_UNMAP: remove an existing VA entirely (struct gpuva_op_unmap).
 */
enum gpuva_op_type {
	GPUVA_OP_MAP = 0,
	GPUVA_OP_REMAP = 1,
	GPUVA_OP_UNMAP = 2,
};

/**
 * struct gpuva_op_map - a range to map.
 * @va: the VA range.
 * @gem: what backs it (offset already advanced to @va.addr for split pieces).
 * @flags: enum gpuva_flags for the new VA.
 */
struct gpuva_op_map {
	struct gpuva_va va;
	struct gpuva_gem gem;
	uint32_t flags;
};

/**
 * struct gpuva_op_unmap - an existing VA to remove.
 * @va: the VA.
 * @keep: the part of @va the request covers is backed exactly as the request
 *        asks (same object, flags and repeat window, agreeing offsets), so a
 *        driver may keep those page-table entries. Always false for unmap
 *        requests.
 */
struct gpuva_op_unmap {
	struct gpuva *va;
	bool keep;
};

/**
 * struct gpuva_op_remap - split an existing VA.
 * @prev: the part of the old VA before the request, or NULL.
 * @next: the part of the old VA after the request, or NULL. At least one of
 *        @prev and @next is set.
 * @unmap: the old VA (removed and replaced by @prev and @next).
 */
struct gpuva_op_remap {
	struct gpuva_op_map *prev;
	struct gpuva_op_map *next;
	struct gpuva_op_unmap *unmap;
};

/**
 * struct gpuva_op - one split/merge step.
 * @entry: link in struct gpuva_ops (unused for steps passed to callbacks).
 * @op: which member of the union is valid.
 * @map: for GPUVA_OP_MAP.
 * @remap: for GPUVA_OP_REMAP.
 * @unmap: for GPUVA_OP_UNMAP.
 */
struct gpuva_op {
	struct u_list entry;
	enum gpuva_op_type op;
	union {
		struct gpuva_op_map map;
		struct gpuva_op_remap remap;
		struct gpuva_op_unmap unmap;
	};
};

/**
 * struct gpuva_ops - a list of steps from gpuvm_sm_map_ops_create() or
 * gpuvm_sm_unmap_ops_create(), in the order the callbacks would have run.
 * @list: the struct gpuva_op entries.
 */
struct gpuva_ops {
	struct u_list list;
};

/**
 * struct gpuvm_map_req - a map request.
 * @map: the range, what backs it, and the flags of the new VA.
 */
struct gpuvm_map_req {
	struct gpuva_op_map map;
};

/**
 * struct gpuvm_ops - driver callbacks; the table is const and shared by all
 * the driver's VMs.
 * @vm_free: called by the last gpuvm_put() after the library has finished
 *           with the VM, to free the driver object embedding it. May be NULL
 *           (the VM is not heap-allocated).
 * @gem_get: take a reference on an object; called when a vm_bo is created.
 *           May be NULL (the driver keeps objects alive by other means).
 * @gem_put: drop the reference taken by @gem_get when the vm_bo is freed;
 *           never called with a gpuvm lock held. NULL iff @gem_get is.
 * @vm_bo_alloc: allocate a driver object embedding a struct gpuvm_bo and
 *               return the embedded struct (the library initialises it), or
 *               NULL on allocation failure. May be NULL: the library
 *               allocates plain struct gpuvm_bo. Not called on the
 *               fence-signalling path by the library.
 * @vm_bo_free: free what @vm_bo_alloc returned; never called with a gpuvm
 *              lock held. NULL iff @vm_bo_alloc is.
 * @vm_bo_validate: called by gpuvm_validate_evicted() for each evicted vm_bo
 *                  with the caller's cookie; restores the object's backing
 *                  and mappings and, on success, calls
 *                  gpuvm_bo_evict(vm_bo, false). Return: 0 or a negative
 *                  errno that stops the walk. May be NULL if
 *                  gpuvm_validate_evicted() is never used.
 * @sm_step_map: apply a GPUVA_OP_MAP step (typically: map the pages, then
 *               gpuva_map() and gpuva_link() a pre-allocated VA). Return: 0,
 *               or a negative errno that stops the walk and is returned.
 *               Required by gpuvm_sm_map().
 * @sm_step_remap: apply a GPUVA_OP_REMAP step (gpuva_remap(), link the
 *                 pieces, unlink the old VA). Same return rule. Required by
 *                 both walks.
 * @sm_step_unmap: apply a GPUVA_OP_UNMAP step (gpuva_unmap(), unlink).
 *                 Same return rule. Required by both walks.
 *
 * The step callbacks run with the driver's VM lock held (the library takes
 * none), get the step on the stack (valid only during the call) and the
 * cookie given to gpuvm_sm_map() / gpuvm_sm_unmap(). They must apply or
 * ignore the step as a whole; the walk has fetched the next VA before the
 * call, so a step may remove the VA it names and insert pieces outside the
 * request, nothing else.
 */
struct gpuvm_ops {
	void (*vm_free)(struct gpuvm *vm);
	void (*gem_get)(struct gpuvm_gem *obj);
	void (*gem_put)(struct gpuvm_gem *obj);
	struct gpuvm_bo *(*vm_bo_alloc)(void);
	void (*vm_bo_free)(struct gpuvm_bo *vm_bo);
	int (*vm_bo_validate)(struct gpuvm_bo *vm_bo, void *priv);
	int (*sm_step_map)(struct gpuva_op *op, void *priv);
	int (*sm_step_remap)(struct gpuva_op *op, void *priv);
	int (*sm_step_unmap)(struct gpuva_op *op, void *priv);
};

/**
 * struct gpuvm_bo_list - a list of vm_bos of one VM with its own lock.
 * @list: the vm_bos.
 * @lock: protects @list and the corresponding link of each vm_bo on it (and,
 *        for the evict list, gpuvm_bo.evicted). A leaf lock: nothing else is
 *        taken under it, except the extobj lock under the evict lock.
 */
struct gpuvm_bo_list {
	struct u_list list;
	struct u_mutex lock;
};

/**
 * struct gpuvm - one GPU VA space; embedded in the driver's VM object.
 *
 * Set once by gpuvm_init():
 * @name: for messages.
 * @start: first address the VM manages.
 * @range: size of the managed span [@start, @start + @range).
 * @resv: the reservation object the VM shares with its private BOs (opaque;
 *        only compared with gpuvm_gem.resv).
 * @ops: the driver's callbacks.
 *
 * @refcount: references: the creator's, one per VA in the tree, one per
 *            vm_bo, and any taken with gpuvm_get().
 * @tree: the VAs, keyed by range. Protected by the driver's VM lock: the
 *        driver serialises every change to the tree and every walk of it
 *        (gpuvm_sm_map(), gpuvm_sm_unmap(), gpuva_insert(), the find and
 *        iteration helpers, gpuvm_validate()).
 * @extobj: vm_bos whose object's resv differs from @resv (external objects),
 *          added by gpuvm_bo_extobj_add(), linked by gpuvm_bo.extobj_link.
 * @evict: vm_bos marked evicted (gpuvm_bo_evict()), linked by
 *         gpuvm_bo.evict_link.
 * @defer: vm_bos whose last reference went with gpuvm_bo_put_deferred() and
 *         that gpuvm_bo_deferred_cleanup() has not freed yet, linked by
 *         gpuvm_bo.defer_link.
 */
struct gpuvm {
	const char *name;
	uint64_t start;
	uint64_t range;
	void *resv;
	const struct gpuvm_ops *ops;

	struct u_refcount refcount;
	struct u_itree tree;
	struct gpuvm_bo_list extobj;
	struct gpuvm_bo_list evict;
	struct gpuvm_bo_list defer;
};

/* ---- objects ------------------------------------------------------------ */

/**
 * gpuvm_gem_init() - initialise the gpuvm part of a buffer object.
 * @obj: the embedded struct.
 * @resv: the object's reservation object (opaque; must not change later).
 */
void gpuvm_gem_init(struct gpuvm_gem *obj, void *resv);

/**
 * gpuvm_gem_fini() - tear down what gpuvm_gem_init() set up.
 * @obj: an object no VM maps any more (no live vm_bo; warns otherwise).
 */
void gpuvm_gem_fini(struct gpuvm_gem *obj);

/**
 * gpuvm_gem_lock() - take @obj's gpuva lock, to walk its vm_bos with
 * gpuvm_gem_for_each_vm_bo(). Library calls on @obj's vm_bos that take the
 * lock themselves (everything except gpuvm_bo_evict()) must not be made
 * while holding it.
 * @obj: the object.
 */
void gpuvm_gem_lock(struct gpuvm_gem *obj);

/**
 * gpuvm_gem_unlock() - release what gpuvm_gem_lock() took.
 * @obj: the object.
 */
void gpuvm_gem_unlock(struct gpuvm_gem *obj);

/** gpuvm_gem_for_each_vm_bo() - walk @obj's live vm_bos; the caller holds gpuvm_gem_lock(). */
#define gpuvm_gem_for_each_vm_bo(vm_bo, obj) \
	u_list_for_each_entry(vm_bo, &(obj)->vm_bos, gem_link)

/* ---- VM ------------------------------------------------------------------ */

/**
 * gpuvm_init() - initialise a VM with an empty tree and one reference.
 * @vm: the embedded struct.
 * @name: name for messages (kept, not copied).
 * @start: first managed address.
 * @range: size of the managed span; @start + @range must not overflow.
 * @resv: the VM's reservation object (opaque).
 * @ops: callbacks (not NULL; the alloc/free pairs set together).
 *
 * Return: 0, or -EINVAL for an empty or overflowing span or bad @ops.
 */
int gpuvm_init(struct gpuvm *vm, const char *name, uint64_t start, uint64_t range,
	       void *resv, const struct gpuvm_ops *ops);

/**
 * gpuvm_get() - take a reference on @vm.
 * @vm: a VM with at least one reference.
 *
 * Return: @vm.
 */
struct gpuvm *gpuvm_get(struct gpuvm *vm);

/**
 * gpuvm_put() - drop a reference on @vm; the last one finishes the VM
 * (warning if anything is still attached) and calls ops->vm_free.
 * @vm: the VM.
 */
void gpuvm_put(struct gpuvm *vm);

/**
 * gpuvm_range_valid() - whether [@addr, @addr + @range) is a non-empty range
 * inside the VM's managed span.
 * @vm: the VM.
 * @addr: first address.
 * @range: size.
 *
 * Return: true when @range != 0, @addr + @range does not overflow and the
 * range lies within [start, start + range) of @vm.
 */
bool gpuvm_range_valid(const struct gpuvm *vm, uint64_t addr, uint64_t range);

/**
 * gpuvm_interval_empty() - whether no VA overlaps [@addr, @addr + @range).
 * @vm: the VM (tree held stable by the caller).
 * @addr: first address.
 * @range: size (0 gives true).
 *
 * Return: true when nothing is mapped there.
 */
bool gpuvm_interval_empty(struct gpuvm *vm, uint64_t addr, uint64_t range);

/**
 * gpuvm_is_extobj() - whether @obj is external to @vm.
 * @vm: the VM.
 * @obj: the object.
 *
 * Return: true when @obj's resv is not @vm's resv.
 */
bool gpuvm_is_extobj(const struct gpuvm *vm, const struct gpuvm_gem *obj);

/* ---- VAs ------------------------------------------------------------------ */

/**
 * gpuva_insert() - add @va (whose va, gem and flags fields are set) to the
 * tree of @vm; takes a reference on @vm for it.
 * @vm: the VM.
 * @va: a VA not in any tree: zero-initialised, or initialised by gpuva_map(),
 *      or taken out by gpuva_remove(); its va, gem and flags fields set.
 *
 * Return: 0; -EINVAL when the range is not valid for @vm (gpuvm_range_valid())
 * or a repeated mapping has no object or an offset outside its window;
 * -EEXIST when it overlaps a VA already in the tree.
 */
int gpuva_insert(struct gpuvm *vm, struct gpuva *va);

/**
 * gpuva_remove() - take @va out of its VM's tree and drop the VM reference
 * gpuva_insert() took (never the last one: the driver holds its own). The
 * link to the vm_bo is untouched.
 * @va: a VA in a tree.
 */
void gpuva_remove(struct gpuva *va);

/**
 * gpuva_find() - the VA with exactly this range.
 * @vm: the VM.
 * @addr: first address.
 * @range: size.
 *
 * Return: the VA, or NULL.
 */
struct gpuva *gpuva_find(struct gpuvm *vm, uint64_t addr, uint64_t range);

/**
 * gpuva_find_first() - the lowest VA overlapping [@addr, @addr + @range).
 * @vm: the VM.
 * @addr: first address.
 * @range: size (0 gives NULL).
 *
 * Return: the VA, or NULL.
 */
struct gpuva *gpuva_find_first(struct gpuvm *vm, uint64_t addr, uint64_t range);

/**
 * gpuva_find_prev() - the VA that ends exactly at @start (its neighbour on
 * the left, for merge decisions).
 * @vm: the VM.
 * @start: an address.
 *
 * Return: the VA, or NULL.
 */
struct gpuva *gpuva_find_prev(struct gpuvm *vm, uint64_t start);

/**
 * gpuva_find_next() - the VA that starts exactly at @end.
 * @vm: the VM.
 * @end: an address.
 *
 * Return: the VA, or NULL.
 */
struct gpuva *gpuva_find_next(struct gpuvm *vm, uint64_t end);

/**
 * gpuva_gem_offset() - the object offset backing @addr in @va, with the
 * repeated-mapping rule applied.
 * @va: the VA.
 * @addr: an address inside @va.
 *
 * Return: the offset (0 for a VA without an object).
 */
uint64_t gpuva_gem_offset(const struct gpuva *va, uint64_t addr);

/**
 * gpuva_op_map_offset() - the object offset backing @addr in the range of a
 * map step, with the repeated-mapping rule applied.
 * @op: the step.
 * @addr: an address inside @op's range.
 *
 * Return: the offset.
 */
uint64_t gpuva_op_map_offset(const struct gpuva_op_map *op, uint64_t addr);

/**
 * gpuva_invalidate() - set or clear GPUVA_INVALIDATED on @va.
 * @va: the VA.
 * @invalidate: the new state.
 */
void gpuva_invalidate(struct gpuva *va, bool invalidate);

/**
 * gpuva_invalidated() - whether @va is flagged GPUVA_INVALIDATED.
 * @va: the VA.
 *
 * Return: the flag.
 */
bool gpuva_invalidated(const struct gpuva *va);

/**
 * gpuva_first() - the lowest VA of @vm (for gpuvm_for_each_va()).
 * @vm: the VM.
 *
 * Return: the VA, or NULL when the tree is empty.
 */
struct gpuva *gpuva_first(struct gpuvm *vm);

/**
 * gpuva_next() - the VA after @va in address order.
 * @va: a VA in a tree, or NULL.
 *
 * Return: the VA, or NULL.
 */
struct gpuva *gpuva_next(struct gpuva *va);

/**
 * gpuva_iter_first() - the lowest VA overlapping [@start, @end).
 * @vm: the VM.
 * @start: first address.
 * @end: one past the last address (@end <= @start gives NULL).
 *
 * Return: the VA, or NULL.
 */
struct gpuva *gpuva_iter_first(struct gpuvm *vm, uint64_t start, uint64_t end);

/**
 * gpuva_iter_next() - the next VA after @va overlapping [@start, @end).
 * @va: a VA still in the tree, or NULL (gives NULL).
 * @start: as given to gpuva_iter_first().
 * @end: as given to gpuva_iter_first().
 *
 * Return: the VA, or NULL.
 */
struct gpuva *gpuva_iter_next(struct gpuva *va, uint64_t start, uint64_t end);

/** gpuvm_for_each_va() - every VA of @vm in address order; the body must not remove @va. */
#define gpuvm_for_each_va(va, vm) \
	for (va = gpuva_first(vm); va; va = gpuva_next(va))

/** gpuvm_for_each_va_safe() - as gpuvm_for_each_va(); the body may remove @va (only). */
#define gpuvm_for_each_va_safe(va, next__, vm)                                 \
	for (va = gpuva_first(vm), next__ = gpuva_next(va); va;                \
	     va = next__, next__ = gpuva_next(va))

/** gpuvm_for_each_va_range() - VAs overlapping [@start, @end) in address order; the body must not remove @va. */
#define gpuvm_for_each_va_range(va, vm, start, end) \
	for (va = gpuva_iter_first(vm, start, end); va; va = gpuva_iter_next(va, start, end))

/**
 * gpuvm_for_each_va_range_safe() - as gpuvm_for_each_va_range(); the body may
 * remove @va and insert VAs outside [@start, @end), but must not remove @next__.
 */
#define gpuvm_for_each_va_range_safe(va, next__, vm, start, end)                \
	for (va = gpuva_iter_first(vm, start, end),                            \
	     next__ = gpuva_iter_next(va, start, end);                         \
	     va; va = next__, next__ = gpuva_iter_next(va, start, end))

/* ---- applying steps ------------------------------------------------------ */

/**
 * gpuva_map() - initialise @va from a map step (range, backing, flags) and
 * insert it in @vm's tree.
 * @vm: the VM.
 * @va: a pre-allocated VA not in any tree.
 * @op: the step.
 *
 * Return: as gpuva_insert(); never fails for a step of a walk on the current tree.
 */
int gpuva_map(struct gpuvm *vm, struct gpuva *va, const struct gpuva_op_map *op);

/**
 * gpuva_remap() - apply a remap step to the tree: remove the old VA and
 * insert @prev and @next initialised from the step's pieces.
 * @prev: a pre-allocated VA for op->prev (ignored, may be NULL, when op->prev is NULL).
 * @next: the same for op->next.
 * @op: the step.
 *
 * The old VA stays linked to its vm_bo; link the pieces to the same vm_bo
 * and unlink the old VA afterwards.
 */
void gpuva_remap(struct gpuva *prev, struct gpuva *next, const struct gpuva_op_remap *op);

/**
 * gpuva_unmap() - apply an unmap step to the tree: remove op->va. It stays
 * linked to its vm_bo until gpuva_unlink().
 * @op: the step.
 */
void gpuva_unmap(const struct gpuva_op_unmap *op);

/**
 * gpuva_op_remap_to_unmap_range() - the part of a remap step's old VA that is
 * not kept: from the end of prev (or the old start) to the start of next (or
 * the old end).
 * @op: the step.
 * @start: where to store the first address.
 * @range: where to store the size.
 */
void gpuva_op_remap_to_unmap_range(const struct gpuva_op_remap *op, uint64_t *start,
				   uint64_t *range);

/**
 * gpuva_link() - add @va to @vm_bo's VA list and take a reference on @vm_bo.
 * Takes the object's gpuva lock; allowed on the fence-signalling path.
 * @va: a VA with an object and not linked (a VA without an object is left alone).
 * @vm_bo: the vm_bo of @va's VM and object.
 */
void gpuva_link(struct gpuva *va, struct gpuvm_bo *vm_bo);

/**
 * gpuva_unlink() - remove @va from its vm_bo's VA list and drop the
 * reference gpuva_link() took, which may free the vm_bo (not for the
 * fence-signalling path: use gpuva_unlink_defer() there).
 * @va: a linked VA (an unlinked one is left alone).
 */
void gpuva_unlink(struct gpuva *va);

/**
 * gpuva_unlink_defer() - as gpuva_unlink(), but the vm_bo reference is
 * dropped with gpuvm_bo_put_deferred(), so nothing is freed here.
 * @va: a linked VA (an unlinked one is left alone).
 */
void gpuva_unlink_defer(struct gpuva *va);

/* ---- split/merge walks --------------------------------------------------- */

/**
 * gpuvm_sm_map() - split/merge a map request into steps and run
 * ops->sm_step_unmap / sm_step_remap / sm_step_map for each, in address
 * order: any number of unmaps, at most two remaps (first and last VA
 * overlapped), then exactly one map (the rules are drawn in gpuvm.c).
 * @vm: the VM; the caller holds its VM lock.
 * @priv: cookie passed to every callback.
 * @req: the request; a repeated mapping (gem.range != 0) needs an object and
 *       gem.offset < gem.range.
 *
 * Allocates nothing.
 *
 * Return: 0 when every step returned 0; the first step error (no later step
 * runs); -EINVAL, before any callback, for an invalid range or request or a
 * missing step callback.
 */
int gpuvm_sm_map(struct gpuvm *vm, void *priv, const struct gpuvm_map_req *req);

/**
 * gpuvm_sm_unmap() - split an unmap request into steps: for each VA
 * overlapping the range, a remap (when part of it lies outside) or an unmap,
 * in address order, with keep false. A range with no VA gives no step.
 * @vm: the VM; the caller holds its VM lock.
 * @priv: cookie passed to every callback.
 * @addr: first address.
 * @range: size.
 *
 * Allocates nothing.
 *
 * Return: 0, the first step error, or -EINVAL before any callback for an
 * invalid range or a missing remap/unmap callback.
 */
int gpuvm_sm_unmap(struct gpuvm *vm, void *priv, uint64_t addr, uint64_t range);

/**
 * gpuvm_sm_map_ops_create() - the steps gpuvm_sm_map() would run on the
 * current tree, as a list; the tree is not changed.
 * @vm: the VM; the caller holds its VM lock.
 * @req: the request.
 *
 * Return: the list (free with gpuva_ops_free()), or ERR_PTR(-EINVAL) for an
 * invalid request, or ERR_PTR(-ENOMEM).
 */
struct gpuva_ops *gpuvm_sm_map_ops_create(struct gpuvm *vm, const struct gpuvm_map_req *req);

/**
 * gpuvm_sm_unmap_ops_create() - the steps gpuvm_sm_unmap() would run, as a
 * list; the tree is not changed.
 * @vm: the VM; the caller holds its VM lock.
 * @addr: first address.
 * @range: size.
 *
 * Return: the list (possibly empty; free with gpuva_ops_free()), or
 * ERR_PTR(-EINVAL) for an invalid range, or ERR_PTR(-ENOMEM).
 */
struct gpuva_ops *gpuvm_sm_unmap_ops_create(struct gpuvm *vm, uint64_t addr, uint64_t range);

/**
 * gpuva_ops_free() - free a list from the *_ops_create() functions.
 * @ops: the list (NULL or an ERR_PTR is a no-op).
 */
void gpuva_ops_free(struct gpuva_ops *ops);

/** gpuva_for_each_op() - walk the steps of a struct gpuva_ops in order. */
#define gpuva_for_each_op(op__, ops) \
	u_list_for_each_entry(op__, &(ops)->list, entry)

/* ---- vm_bo ---------------------------------------------------------------- */

/**
 * gpuvm_bo_create() - allocate a vm_bo for (@vm, @obj) with one reference,
 * not yet published in @obj's list (see gpuvm_bo_obtain_prealloc()). Takes a
 * reference on @vm and on @obj.
 * @vm: the VM.
 * @obj: the object.
 *
 * Return: the vm_bo, or ERR_PTR(-ENOMEM).
 */
struct gpuvm_bo *gpuvm_bo_create(struct gpuvm *vm, struct gpuvm_gem *obj);

/**
 * gpuvm_bo_find() - the live vm_bo of (@vm, @obj), with a new reference.
 * Takes @obj's gpuva lock.
 * @vm: the VM.
 * @obj: the object.
 *
 * Return: the vm_bo, or NULL when @vm does not map @obj.
 */
struct gpuvm_bo *gpuvm_bo_find(struct gpuvm *vm, struct gpuvm_gem *obj);

/**
 * gpuvm_bo_obtain() - find the vm_bo of (@vm, @obj) or create and publish
 * one; either way the caller gets a reference. May allocate: not for the
 * fence-signalling path.
 * @vm: the VM.
 * @obj: the object.
 *
 * Return: the vm_bo, or ERR_PTR(-ENOMEM).
 */
struct gpuvm_bo *gpuvm_bo_obtain(struct gpuvm *vm, struct gpuvm_gem *obj);

/**
 * gpuvm_bo_obtain_prealloc() - publish a vm_bo from gpuvm_bo_create(), or,
 * when (VM, object) already has a live vm_bo, drop @vm_bo (freeing it) and
 * return the existing one with a new reference. Lets the prepare half of an
 * operation allocate before it knows whether it needs to.
 * @vm_bo: a vm_bo from gpuvm_bo_create(), not yet published; the caller's
 *         reference on it is consumed.
 *
 * Return: the vm_bo to use (@vm_bo or the existing one); never fails.
 */
struct gpuvm_bo *gpuvm_bo_obtain_prealloc(struct gpuvm_bo *vm_bo);

/**
 * gpuvm_bo_get() - take a reference on @vm_bo.
 * @vm_bo: a vm_bo with at least one reference.
 *
 * Return: @vm_bo.
 */
struct gpuvm_bo *gpuvm_bo_get(struct gpuvm_bo *vm_bo);

/**
 * gpuvm_bo_put() - drop a reference; the last one unpublishes the vm_bo
 * (object list, extobj and evict lists) and frees it, dropping its object
 * and VM references. Takes the object's gpuva lock: the caller must not
 * hold it. Not for the fence-signalling path (use gpuvm_bo_put_deferred()).
 * @vm_bo: the vm_bo, or NULL (no-op).
 *
 * Return: true when this was the last reference.
 */
bool gpuvm_bo_put(struct gpuvm_bo *vm_bo);

/**
 * gpuvm_bo_put_deferred() - drop a reference; the last one unpublishes the
 * vm_bo as gpuvm_bo_put() does, but queues it on its VM's defer list instead
 * of freeing it, so nothing is freed and no driver op runs. Allowed on the
 * fence-signalling path.
 * @vm_bo: the vm_bo, or NULL (no-op).
 *
 * Return: true when this was the last reference (the vm_bo is queued).
 */
bool gpuvm_bo_put_deferred(struct gpuvm_bo *vm_bo);

/**
 * gpuvm_bo_deferred_cleanup() - free the vm_bos queued by
 * gpuvm_bo_put_deferred() (ops->vm_bo_free, ops->gem_put, VM reference).
 * @vm: the VM; the caller must hold a reference on it.
 */
void gpuvm_bo_deferred_cleanup(struct gpuvm *vm);

/**
 * gpuvm_bo_extobj_add() - put @vm_bo on its VM's extobj list if its object is
 * external to the VM and it is not there yet; a private object is left alone.
 * @vm_bo: a live vm_bo.
 */
void gpuvm_bo_extobj_add(struct gpuvm_bo *vm_bo);

/**
 * gpuvm_bo_evict() - set @vm_bo's evicted flag and put it on, or take it off,
 * its VM's evict list accordingly. Takes the VM's evict lock only, so it may
 * be called with the object's gpuva lock held.
 * @vm_bo: a live vm_bo.
 * @evict: true when the object's backing is gone, false once restored.
 */
void gpuvm_bo_evict(struct gpuvm_bo *vm_bo, bool evict);

/**
 * gpuvm_bo_is_evicted() - Return: @vm_bo's evicted flag (read under the VM's
 * evict lock, so callable with the object's gpuva lock held).
 * @vm_bo: a live vm_bo.
 */
bool gpuvm_bo_is_evicted(struct gpuvm_bo *vm_bo);

/**
 * gpuvm_gem_evict() - gpuvm_bo_evict() on every live vm_bo of @obj (every VM
 * mapping it). Takes @obj's gpuva lock.
 * @obj: the object.
 * @evict: as for gpuvm_bo_evict().
 */
void gpuvm_gem_evict(struct gpuvm_gem *obj, bool evict);

/**
 * gpuvm_validate_evicted() - call ops->vm_bo_validate(vm_bo, @priv) for each
 * vm_bo on @vm's evict list, in list order, holding a reference on it and no
 * gpuvm lock. The callback takes the vm_bo off the list with
 * gpuvm_bo_evict(vm_bo, false) once restored. One walker per VM at a time
 * (the driver's VM lock or resv serialises them).
 * @vm: the VM.
 * @priv: cookie for the callback.
 *
 * Return: 0; the first callback error (the walk stops there, the remaining
 * vm_bos stay on the list); -EINVAL when ops->vm_bo_validate is NULL.
 */
int gpuvm_validate_evicted(struct gpuvm *vm, void *priv);

/**
 * gpuvm_extobj_for_each() - call @fn(vm_bo, @priv) for each vm_bo on @vm's
 * extobj list, holding a reference on it and no gpuvm lock (so @fn may lock
 * the object's resv or sleep). One walker per VM at a time.
 * @vm: the VM.
 * @fn: the callback. Return: 0 to continue, or a negative errno that stops
 *      the walk.
 * @priv: cookie for @fn.
 *
 * Return: 0, or @fn's first error.
 */
int gpuvm_extobj_for_each(struct gpuvm *vm, int (*fn)(struct gpuvm_bo *vm_bo, void *priv),
			  void *priv);

/* ---- checking --------------------------------------------------------------- */

/**
 * gpuvm_validate() - check every invariant of @vm and what hangs off it.
 * @vm: the VM; the caller holds its VM lock and no gpuvm lock (this takes
 *      the object, evict, extobj and defer locks in the documented order).
 *
 * Checks: the tree (u_itree_validate()); each VA inserted in @vm, non-empty,
 * inside the managed span, keyed by its range, not overlapping its
 * predecessor, with a well-formed repeated window; each VA with an object
 * linked to a vm_bo of @vm and the same object, each VA without one not
 * linked; each such vm_bo's VA list holding only VAs of this tree with its
 * object, the lists together holding exactly the tree's VAs with objects,
 * its refcount at least its VA count, and it being the only vm_bo of @vm on
 * its object's list; for every vm_bo reachable from @vm (through a VA or a
 * list): evicted exactly when on the evict list, on the extobj list exactly
 * when its object is external; defer-list entries dead and unpublished; and
 * @vm's refcount at least its VAs plus its vm_bos.
 *
 * Return: 0, or -EUCLEAN after logging (u_err()) the first broken invariant.
 */
int gpuvm_validate(const struct gpuvm *vm);

#endif
