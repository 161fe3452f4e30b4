// SPDX-License-Identifier: MIT
/*
 * DOC: the CS front-end: an interpreter of CSF command-stream instructions
 *
 * A hardware command-stream interface fetches 64-bit instructions from
 * GPU memory and executes them on its own register file; work that needs
 * shader cores or the tiler (RUN_COMPUTE, RUN_FRAGMENT, ...) is handed to
 * them. The model has no shader cores: it runs the instructions that move
 * data and synchronise on the front-end alone, and stops the queue with
 * UNSUPPORTED at any other one.
 *
 * Encodings are those of Mesa's CSF genxml (src/panfrost/genxml/v10.xml,
 * "CS Opcode" and the "CS <name>" structs; facts only, our own code).
 * Bit ranges, opcode in [63:56] everywhere; rN a 32-bit register, dN the
 * pair rN (low word), rN+1 (high word):
 *
 *   NOP             00  -
 *   MOVE48          01  dst [55:48], immediate [47:0]          dst = imm (pair)
 *   MOVE32          02  dst [55:48], immediate [31:0]          rdst = imm
 *   WAIT            03  wait mask [31:16], progress inc [32]   (scoreboard)
 *   ADD_IMMEDIATE32 10  dst [55:48], src [47:40], imm s32 [31:0]
 *   ADD_IMMEDIATE64 11  dst [55:48], src [47:40], imm s32 [31:0] (sign-extended)
 *   LOAD_MULTIPLE   14  base [55:48], addr [47:40], mask [31:16], offset s16 [15:0]
 *   STORE_MULTIPLE  15  same: register base+i <-> word at daddr + offset + 4i
 *   BRANCH          16  value [47:40], condition [30:28], offset s16 [15:0]
 *   CALL            20  addr [47:40] (pair), length [39:32] (bytes, 32-bit reg)
 *   JUMP            21  same
 *   FLUSH_CACHE2    24  signal slot [51:48], flush id [47:40], wait mask
 *                       [31:16], other [11:8], LSC [7:4], L2 [3:0]
 *   SYNC_ADD32/SET32    25/26  signal slot [51:48], addr [47:40], data [39:32],
 *   SYNC_ADD64/SET64    33/34  wait mask [31:16], scope [2:1], error propagate [0]
 *   SYNC_WAIT32/64      27/35  addr [47:40], data [39:32], condition [31:28],
 *                              error reject [0]
 *
 * Semantics (each also in docs/model-deviations.md):
 * - The program counter walks [start, end) of the current buffer; reaching
 *   end returns from a CALL (the caller's buffer resumes after the CALL),
 *   or ends the run (DONE) at the root. JUMP replaces the current buffer
 *   (allowed at the root too); CALL pushes a frame, at most HW_CS_CALL_DEPTH
 *   of them (CS_CALL_STACK_OVERFLOW beyond). Addresses and lengths of
 *   CALL/JUMP must be multiples of 8.
 * - BRANCH compares the register, as a signed 32-bit value, with 0, and if
 *   the condition holds continues at (the next instruction + offset); the
 *   target must lie in [start, end] of the current buffer
 *   (INSTR_INVALID_PC otherwise).
 * - LOAD/STORE_MULTIPLE move register base+i to or from the 32-bit word at
 *   address + offset + 4i, for each bit i of the mask; the address must be
 *   4-byte aligned. A run of consecutive mask bits is one access (8 bytes at
 *   an 8-byte aligned address take the access port's fast path).
 * - SYNC_ADD adds and SYNC_SET stores the data register(s) atomically
 *   (hw_atomic: ADD, XCHG). Scope, error propagation, wait mask and signal
 *   slot are decoded and ignored: everything in the model is synchronous
 *   and system-coherent, and a stream never continues past an error, so
 *   there is no error state to propagate.
 * - SYNC_WAIT blocks until the word at the address, unsigned, is <= the
 *   data register(s) (LEQUAL) or > them (GREATER), the two conditions the
 *   hardware and panthor support; others are INSTR_INVALID. It re-reads the
 *   word when any slot of the device signals (SYNC_ADD/SET), when the
 *   slot's doorbell is rung, and at least every millisecond; after the
 *   slot's timeout it stops with TIMEOUT.
 * - WAIT completes at once: every operation of the model completes before
 *   the next instruction, so no scoreboard slot is ever pending.
 * - FLUSH_CACHE2 takes no time (the model has no caches) and bumps
 *   LATEST_FLUSH_ID when it asks for any flush; its flush-id register is
 *   ignored (the flush is always "done").
 *
 * Every fetch is a data read (HW_ACCESS_READ) through the access port:
 * user space maps command buffers NOEXEC, so an execute-type fetch would
 * fault on every real stream. One fetch per instruction, no prefetch
 * buffer: a change to the stream's memory is seen at the next fetch.
 *
 * Trace (when a tracer is attached; hw_queue.c "Tracing"): each run is a
 * "stream" span on the slot's track "gpu-cs<n>", begun with the AS, the
 * stream base and size, ended with STATUS and the run's instruction,
 * access and stall counts; an MMU fault of one of its accesses is a
 * "fault" instant there (AS, VA, MMU exception type, access type).
 *
 * Errors stop the run at the failing instruction (PC = its VA):
 *   fetch or data access faults      FAULT, CS_BUS_FAULT, MMU code in the detail
 *   bad register, alignment, cond.   FAULT, CS_INSTR_INVALID, opcode in the detail
 *   BRANCH outside the buffer        FAULT, INSTR_INVALID_PC
 *   too many nested CALLs            FAULT, CS_CALL_STACK_OVERFLOW
 *   any other opcode                 UNSUPPORTED, CS_INSTR_INVALID, opcode
 *   SYNC_WAIT beyond the timeout     TIMEOUT (model-only code 0x4F)
 */
#include "hw_internal.h"

#include <errno.h>
#include <string.h>

#include "util/u_log.h"
#include "util/u_trace.h"

#define MOD "hw"

static const char *const op_names[64] = {
	[0x00] = "NOP", [0x01] = "MOVE48", [0x02] = "MOVE32", [0x03] = "WAIT",
	[0x04] = "RUN_COMPUTE", [0x05] = "RUN_TILING", [0x06] = "RUN_IDVS",
	[0x07] = "RUN_FRAGMENT", [0x08] = "RUN_FULLSCREEN", [0x09] = "FINISH_TILING",
	[0x0b] = "FINISH_FRAGMENT", [0x10] = "ADD_IMMEDIATE32", [0x11] = "ADD_IMMEDIATE64",
	[0x12] = "COMPARE_SELECT32", [0x14] = "LOAD_MULTIPLE", [0x15] = "STORE_MULTIPLE",
	[0x16] = "BRANCH", [0x17] = "SET_SB_ENTRY", [0x18] = "PROGRESS_WAIT",
	[0x19] = "SET_EXCEPTION_HANDLER", [0x20] = "CALL", [0x21] = "JUMP",
	[0x22] = "REQ_RESOURCE", [0x24] = "FLUSH_CACHE2", [0x25] = "SYNC_ADD32",
	[0x26] = "SYNC_SET32", [0x27] = "SYNC_WAIT32", [0x28] = "STORE_STATE",
	[0x29] = "PROT_REGION", [0x2a] = "PROGRESS_STORE", [0x2b] = "PROGRESS_LOAD",
	[0x2c] = "RUN_COMPUTE_INDIRECT", [0x2f] = "ERROR_BARRIER", [0x30] = "HEAP_SET",
	[0x31] = "HEAP_OPERATION", [0x32] = "TRACE_POINT", [0x33] = "SYNC_ADD64",
	[0x34] = "SYNC_SET64", [0x35] = "SYNC_WAIT64",
};

const char *hw__cs_op_name(unsigned int op)
{
	return op < ARRAY_SIZE(op_names) && op_names[op] ? op_names[op] : "unknown";
}

/*
 * One run. Everything but @dev and @q lives on the executor's stack; the
 * call stack and the register file live in @q (owned by the executor
 * while hw_queue.busy).
 */
struct cs_run {
	struct hw_device *dev;
	struct hw_queue *q;
	unsigned int as;
	uint64_t pc;		/* the instruction being executed */
	uint64_t next;		/* where execution continues after it */
	uint64_t start;		/* current buffer */
	uint64_t end;
	struct hw_cs_result *res;
};

static inline void count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------
 * Ends of a run
 * ------------------------------------------------------------------- */

static void finish(struct cs_run *r, uint32_t status, uint32_t info, uint64_t addr)
{
	r->res->status = status;
	r->res->fault_info = info;
	r->res->fault_address = addr;
	r->res->pc = r->pc;
}

static bool stopped(struct cs_run *r, int stop)
{
	finish(r, stop == HW_QSTOP_ABORT ? HW_QUEUE_STATUS_IDLE : HW_QUEUE_STATUS_STOPPED, 0, 0);
	return false;
}

static bool invalid(struct cs_run *r, uint64_t insn, const char *why)
{
	unsigned int op = HW_CS_OPCODE(insn);

	u_dbg(MOD, "queue %u: invalid %s (0x%016llx) at VA 0x%llx: %s", r->q->index,
	      hw__cs_op_name(op), (unsigned long long)insn, (unsigned long long)r->pc, why);
	finish(r, HW_QUEUE_STATUS_FAULT, HW_CS_EXC_INSTR_INVALID | op << 8, r->pc);
	return false;
}

static bool unsupported(struct cs_run *r, uint64_t insn)
{
	unsigned int op = HW_CS_OPCODE(insn);

	u_warn(MOD, "queue %u: unsupported instruction 0x%02x (%s) at VA 0x%llx: the model's "
	       "front-end runs data-movement and sync instructions only (no shader cores); "
	       "the queue stops", r->q->index, op, hw__cs_op_name(op), (unsigned long long)r->pc);
	finish(r, HW_QUEUE_STATUS_UNSUPPORTED, HW_CS_EXC_INSTR_INVALID | op << 8, r->pc);
	return false;
}

/* An access of @type at @va returned @ret (not 0). */
static bool mem_fault(struct cs_run *r, int ret, const struct hw_fault *f, uint64_t va,
		      enum hw_access_type type)
{
	int stop = __atomic_load_n(&r->q->stop_req, __ATOMIC_RELAXED);
	uint32_t mmu = ret == -EFAULT ? f->exception_type : 0;

	/* A reset or destroy that woke a stalled access: the run is abandoned. */
	if (stop == HW_QSTOP_ABORT)
		return stopped(r, stop);
	if (ret == -EBUSY) {
		u_err(MOD, "queue %u: no GPU unit slot left for the executor", r->q->index);
		finish(r, HW_QUEUE_STATUS_FAULT, HW_CS_EXC_UNRECOVERABLE, va);
		return false;
	}
	if (ret == -EFAULT)
		U_TRACE("gpu", "fault", r->q->track, 'i', "as", r->as, "va", va, "exception", mmu,
			"access", type);
	u_dbg(MOD, "queue %u: %s at VA 0x%llx failed (%d, MMU exception 0x%x), instruction at 0x%llx",
	      r->q->index, type == HW_ACCESS_WRITE ? "write" : type == HW_ACCESS_ATOMIC ?
	      "atomic" : "read", (unsigned long long)va, ret, mmu, (unsigned long long)r->pc);
	finish(r, HW_QUEUE_STATUS_FAULT, HW_CS_EXC_BUS_FAULT | mmu << 8 | (uint32_t)type << 16, va);
	return false;
}

/* ---------------------------------------------------------------------
 * Fields and registers
 * ------------------------------------------------------------------- */

static inline unsigned int f8(uint64_t insn, unsigned int lsb)
{
	return (unsigned int)(insn >> lsb) & 0xffu;
}

static inline uint64_t rd64(const struct hw_queue *q, unsigned int reg)
{
	return q->regs[reg] | (uint64_t)q->regs[reg + 1] << 32;
}

static inline void wr64(struct hw_queue *q, unsigned int reg, uint64_t v)
{
	q->regs[reg] = (uint32_t)v;
	q->regs[reg + 1] = (uint32_t)(v >> 32);
}

/* Registers @reg .. @reg + @n - 1 exist. */
static inline bool regs_ok(unsigned int reg, unsigned int n)
{
	return reg + n <= HW_CS_REGS;
}

/* ---------------------------------------------------------------------
 * Instructions
 * ------------------------------------------------------------------- */

static bool exec_move(struct cs_run *r, uint64_t insn, bool wide)
{
	unsigned int dst = f8(insn, 48);

	if (!regs_ok(dst, wide ? 2 : 1))
		return invalid(r, insn, "destination register out of range");
	if (wide)
		wr64(r->q, dst, insn & 0xffffffffffffull);
	else
		r->q->regs[dst] = (uint32_t)insn;
	return true;
}

static bool exec_add_imm(struct cs_run *r, uint64_t insn, bool wide)
{
	unsigned int dst = f8(insn, 48), src = f8(insn, 40);
	int32_t imm = (int32_t)(uint32_t)insn;

	if (!regs_ok(dst, wide ? 2 : 1) || !regs_ok(src, wide ? 2 : 1))
		return invalid(r, insn, "register out of range");
	if (wide)
		wr64(r->q, dst, rd64(r->q, src) + (uint64_t)(int64_t)imm);
	else
		r->q->regs[dst] = r->q->regs[src] + (uint32_t)imm;
	return true;
}

static bool exec_multiple(struct cs_run *r, uint64_t insn, bool store)
{
	struct hw_queue *q = r->q;
	enum hw_access_type type = store ? HW_ACCESS_WRITE : HW_ACCESS_READ;
	unsigned int base = f8(insn, 48), areg = f8(insn, 40);
	uint32_t mask = (uint32_t)(insn >> 16) & 0xffffu;
	uint64_t addr;

	if (!regs_ok(areg, 2))
		return invalid(r, insn, "address register out of range");
	if (!mask)
		return true;
	if (!regs_ok(base, 32 - (unsigned int)__builtin_clz(mask)))
		return invalid(r, insn, "register mask reaches beyond the register file");
	addr = rd64(q, areg) + (uint64_t)(int64_t)(int16_t)(uint16_t)insn;
	if (addr & 3)
		return invalid(r, insn, "address not 4-byte aligned");

	while (mask) {
		unsigned int i = (unsigned int)__builtin_ctz(mask);
		unsigned int n = (unsigned int)__builtin_ctz(~(mask >> i));
		uint64_t va = addr + 4ull * i;
		uint32_t *regs = &q->regs[base + i];
		struct hw_fault f;
		int ret;

		if (n == 2 && !(va & 7)) {
			/* The common pair: the access port's 8-byte fast path. */
			uint64_t v;

			if (store) {
				ret = hw_write64(r->dev, r->as, va, regs[0] | (uint64_t)regs[1] << 32, &f);
			} else {
				ret = hw_read64(r->dev, r->as, va, &v, &f);
				if (!ret) {
					regs[0] = (uint32_t)v;
					regs[1] = (uint32_t)(v >> 32);
				}
			}
		} else {
			/* Registers base+i.. are contiguous words, in memory order (LE). */
			ret = hw_access(r->dev, r->as, va, type, regs, 4ull * n, &f);
		}
		count(&q->st.accesses, 1);
		if (ret)
			return mem_fault(r, ret, &f, ret == -EFAULT ? f.va : va, type);
		mask &= ~(((1u << n) - 1) << i);
	}
	return true;
}

static bool branch_taken(int32_t v, unsigned int cond)
{
	switch (cond) {
	case HW_CS_COND_LEQUAL: return v <= 0;
	case HW_CS_COND_GREATER: return v > 0;
	case HW_CS_COND_EQUAL: return v == 0;
	case HW_CS_COND_NEQUAL: return v != 0;
	case HW_CS_COND_LESS: return v < 0;
	case HW_CS_COND_GEQUAL: return v >= 0;
	default: return true;	/* ALWAYS */
	}
}

static bool exec_branch(struct cs_run *r, uint64_t insn)
{
	unsigned int reg = f8(insn, 40), cond = (unsigned int)(insn >> 28) & 7;
	int64_t offset = (int16_t)(uint16_t)insn;
	uint64_t target;

	if (cond > HW_CS_COND_ALWAYS)
		return invalid(r, insn, "no such condition");
	if (!regs_ok(reg, 1))
		return invalid(r, insn, "register out of range");
	if (!branch_taken((int32_t)r->q->regs[reg], cond))
		return true;
	target = r->next + (uint64_t)(offset * 8);
	if (target < r->start || target > r->end) {
		u_dbg(MOD, "queue %u: BRANCH at 0x%llx to 0x%llx, outside [0x%llx, 0x%llx]",
		      r->q->index, (unsigned long long)r->pc, (unsigned long long)target,
		      (unsigned long long)r->start, (unsigned long long)r->end);
		finish(r, HW_QUEUE_STATUS_FAULT, HW_CS_EXC_INSTR_INVALID_PC | HW_CS_OP_BRANCH << 8,
		       target);
		return false;
	}
	r->next = target;
	return true;
}

static bool exec_call_jump(struct cs_run *r, uint64_t insn, bool call)
{
	struct hw_queue *q = r->q;
	unsigned int areg = f8(insn, 40), lreg = f8(insn, 32);
	uint64_t addr;
	uint32_t len;

	if (!regs_ok(areg, 2) || !regs_ok(lreg, 1))
		return invalid(r, insn, "register out of range");
	addr = rd64(q, areg);
	len = q->regs[lreg];
	if ((addr & 7) || (len & 7) || addr + len < addr)
		return invalid(r, insn, "buffer address or length not a multiple of 8");
	if (call) {
		if (q->depth == HW_CS_CALL_DEPTH) {
			u_dbg(MOD, "queue %u: CALL at 0x%llx: call stack full (%d frames)",
			      q->index, (unsigned long long)r->pc, HW_CS_CALL_DEPTH);
			finish(r, HW_QUEUE_STATUS_FAULT, HW_CS_EXC_CALL_STACK_OVERFLOW | HW_CS_OP_CALL << 8,
			       r->pc);
			return false;
		}
		q->stack[q->depth++] = (struct hw_cs_frame){ .ret = r->next, .start = r->start,
							     .end = r->end };
	}
	r->start = addr;
	r->end = addr + len;
	r->next = addr;
	return true;
}

static bool exec_flush(struct cs_run *r, uint64_t insn)
{
	if (!regs_ok(f8(insn, 40), 1))
		return invalid(r, insn, "flush id register out of range");
	/* No caches: the flush is done at once. Only a flush that flushes
	 * something moves LATEST_FLUSH_ID, as a GPU_CMD flush does. */
	if (insn & 0xfffu) {
		pthread_mutex_lock(&r->dev->lock);
		hw__flush_id_bump_locked(r->dev);
		pthread_mutex_unlock(&r->dev->lock);
	}
	return true;
}

static bool exec_sync_update(struct cs_run *r, uint64_t insn, bool wide, bool add)
{
	struct hw_queue *q = r->q;
	unsigned int areg = f8(insn, 40), dreg = f8(insn, 32);
	unsigned int size = wide ? 8 : 4;
	struct hw_fault f;
	uint64_t va, data;
	int ret;

	if (!regs_ok(areg, 2) || !regs_ok(dreg, wide ? 2 : 1))
		return invalid(r, insn, "register out of range");
	va = rd64(q, areg);
	if (va & (size - 1))
		return invalid(r, insn, "sync object not naturally aligned");
	data = wide ? rd64(q, dreg) : q->regs[dreg];
	ret = hw_atomic(r->dev, r->as, va, add ? HW_ATOMIC_ADD : HW_ATOMIC_XCHG, size, data, 0,
			NULL, &f);
	count(&q->st.accesses, 1);
	if (ret)
		return mem_fault(r, ret, &f, va, HW_ACCESS_ATOMIC);
	pthread_mutex_lock(&r->dev->lock);
	hw__queue_signal_locked(r->dev);
	pthread_mutex_unlock(&r->dev->lock);
	return true;
}

static bool exec_sync_wait(struct cs_run *r, uint64_t insn, bool wide)
{
	struct hw_queue *q = r->q;
	struct hw_device *dev = r->dev;
	unsigned int areg = f8(insn, 40), dreg = f8(insn, 32);
	unsigned int cond = (unsigned int)(insn >> 28) & 0xf;
	uint64_t va, ref, t0 = 0, deadline = 0;
	bool blocked = false, ok = true;

	if (cond != HW_CS_COND_LEQUAL && cond != HW_CS_COND_GREATER)
		return invalid(r, insn, "SYNC_WAIT supports only LEQUAL and GREATER");
	if (!regs_ok(areg, 2) || !regs_ok(dreg, wide ? 2 : 1))
		return invalid(r, insn, "register out of range");
	va = rd64(q, areg);
	if (va & (wide ? 7 : 3))
		return invalid(r, insn, "sync object not naturally aligned");
	ref = wide ? rd64(q, dreg) : q->regs[dreg];

	for (;;) {
		uint64_t seq = __atomic_load_n(&dev->sync_seq, __ATOMIC_ACQUIRE);
		uint64_t v = 0;
		uint32_t v32;
		struct hw_fault f;
		int ret, stop;

		if (wide) {
			ret = hw_read64(dev, r->as, va, &v, &f);
		} else {
			ret = hw_read(dev, r->as, va, &v32, 4, &f);
			v = v32;
		}
		count(&q->st.accesses, 1);
		if (ret) {
			ok = mem_fault(r, ret, &f, va, HW_ACCESS_READ);
			break;
		}
		if (cond == HW_CS_COND_LEQUAL ? v <= ref : v > ref)
			break;
		if (!blocked) {
			blocked = true;
			t0 = hw__now_ns();
			deadline = t0 + q->timeout_ns;
			count(&q->st.sync_waits, 1);
		}
		if (hw__now_ns() >= deadline) {
			u_dbg(MOD, "queue %u: SYNC_WAIT at 0x%llx on 0x%llx timed out (value 0x%llx, "
			      "reference 0x%llx)", q->index, (unsigned long long)r->pc,
			      (unsigned long long)va, (unsigned long long)v, (unsigned long long)ref);
			finish(r, HW_QUEUE_STATUS_TIMEOUT, HW_CS_EXC_TIMEOUT, va);
			ok = false;
			break;
		}
		pthread_mutex_lock(&dev->lock);
		stop = hw__queue_wait_locked(dev, q, seq, deadline);
		pthread_mutex_unlock(&dev->lock);
		if (stop) {
			ok = stopped(r, stop);
			break;
		}
	}
	if (blocked) {
		count(&q->st.sync_wait_ns, hw__now_ns() - t0);
		pthread_mutex_lock(&dev->lock);
		q->waiting = false;
		pthread_mutex_unlock(&dev->lock);
	}
	return ok;
}

/* Execute @insn at r->pc; r->next is r->pc + 8 on entry. Return: false when the run ends. */
static bool exec(struct cs_run *r, uint64_t insn)
{
	switch (HW_CS_OPCODE(insn)) {
	case HW_CS_OP_NOP:
		return true;
	case HW_CS_OP_MOVE48:
		return exec_move(r, insn, true);
	case HW_CS_OP_MOVE32:
		return exec_move(r, insn, false);
	case HW_CS_OP_WAIT:
		return true;	/* nothing is ever pending on a scoreboard slot */
	case HW_CS_OP_ADD_IMMEDIATE32:
		return exec_add_imm(r, insn, false);
	case HW_CS_OP_ADD_IMMEDIATE64:
		return exec_add_imm(r, insn, true);
	case HW_CS_OP_LOAD_MULTIPLE:
		return exec_multiple(r, insn, false);
	case HW_CS_OP_STORE_MULTIPLE:
		return exec_multiple(r, insn, true);
	case HW_CS_OP_BRANCH:
		return exec_branch(r, insn);
	case HW_CS_OP_CALL:
		return exec_call_jump(r, insn, true);
	case HW_CS_OP_JUMP:
		return exec_call_jump(r, insn, false);
	case HW_CS_OP_FLUSH_CACHE2:
		return exec_flush(r, insn);
	case HW_CS_OP_SYNC_ADD32:
		return exec_sync_update(r, insn, false, true);
	case HW_CS_OP_SYNC_SET32:
		return exec_sync_update(r, insn, false, false);
	case HW_CS_OP_SYNC_ADD64:
		return exec_sync_update(r, insn, true, true);
	case HW_CS_OP_SYNC_SET64:
		return exec_sync_update(r, insn, true, false);
	case HW_CS_OP_SYNC_WAIT32:
		return exec_sync_wait(r, insn, false);
	case HW_CS_OP_SYNC_WAIT64:
		return exec_sync_wait(r, insn, true);
	default:
		return unsupported(r, insn);
	}
}

void hw__cs_run(struct hw_device *dev, struct hw_queue *q, struct hw_cs_result *res)
{
	struct cs_run r = {
		.dev = dev, .q = q, .as = q->as, .pc = q->base, .start = q->base, .end = q->end,
		.res = res,
	};
	uint64_t stalls0 = hw__self_stalls(dev, r.as), stalls;
	uint64_t insns0 = q->st.instructions, accesses0 = q->st.accesses;
	bool traced = u_trace_enabled();

	if (traced)
		U_TRACE("gpu", "stream", q->track, 'B', "as", r.as, "base", q->base,
			"size", q->end - q->base);
	q->depth = 0;
	for (;;) {
		int stop = __atomic_load_n(&q->stop_req, __ATOMIC_RELAXED);
		struct hw_fault f;
		uint64_t insn;
		int ret;

		if (unlikely(stop)) {
			stopped(&r, stop);
			break;
		}
		if (r.pc == r.end) {
			if (!q->depth) {
				finish(&r, HW_QUEUE_STATUS_DONE, 0, 0);
				break;
			}
			q->depth--;
			r.pc = q->stack[q->depth].ret;
			r.start = q->stack[q->depth].start;
			r.end = q->stack[q->depth].end;
			continue;
		}
		ret = hw_read64(dev, r.as, r.pc, &insn, &f);
		count(&q->st.accesses, 1);
		if (unlikely(ret)) {
			mem_fault(&r, ret, &f, r.pc, HW_ACCESS_READ);
			break;
		}
		count(&q->st.instructions, 1);
		r.next = r.pc + 8;
		if (!exec(&r, insn))
			break;
		r.pc = r.next;
	}
	stalls = hw__self_stalls(dev, r.as) - stalls0;
	count(&q->st.stalls, stalls);
	if (traced)
		U_TRACE("gpu", "stream", q->track, 'E', "status", res->status,
			"instructions", q->st.instructions - insns0,
			"accesses", q->st.accesses - accesses0, "stalls", stalls);
}
