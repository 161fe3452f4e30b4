/* SPDX-License-Identifier: MIT */
/*
 * A tiny assembler for CSF command-stream instructions, for the stress
 * job's GPU streams; the hw and sched suites use it too (tests/hw/cs_asm.h).
 * Its opcodes come from cs_ops.h, not from the model's headers: tools may
 * include only the public ones, and the tests then check the model's
 * decoder against an encoder written apart from it.
 *
 * Each csa_*() returns one 64-bit instruction word with the field layout
 * of Mesa's CSF genxml (src/panfrost/genxml/v10.xml, "CS <name>" structs):
 * opcode in [63:56], the rest per instruction.
 *
 * rN is a 32-bit register, dN the pair rN:rN+1.
 */
#ifndef PANTOMIME_TOOLS_CS_H
#define PANTOMIME_TOOLS_CS_H

#include <stdint.h>

#include "cs_ops.h"

/** csa_insn() - opcode @op with the 56 payload bits @payload. */
static inline uint64_t csa_insn(unsigned int op, uint64_t payload)
{
	return ((uint64_t)op << 56) | (payload & ((1ull << 56) - 1));
}

/** csa_nop() - NOP. */
static inline uint64_t csa_nop(void)
{
	return csa_insn(HW_CS_OP_NOP, 0);
}

/** csa_move48() - MOVE48 d@dst = @imm (48 bits). */
static inline uint64_t csa_move48(unsigned int dst, uint64_t imm)
{
	return csa_insn(HW_CS_OP_MOVE48, ((uint64_t)dst << 48) | (imm & 0xffffffffffffull));
}

/** csa_move32() - MOVE32 r@dst = @imm. */
static inline uint64_t csa_move32(unsigned int dst, uint32_t imm)
{
	return csa_insn(HW_CS_OP_MOVE32, ((uint64_t)dst << 48) | imm);
}

/** csa_wait() - WAIT for scoreboard slots @mask. */
static inline uint64_t csa_wait(uint16_t mask)
{
	return csa_insn(HW_CS_OP_WAIT, (uint64_t)mask << 16);
}

/** csa_add32() - ADD_IMMEDIATE32 r@dst = r@src + @imm. */
static inline uint64_t csa_add32(unsigned int dst, unsigned int src, int32_t imm)
{
	return csa_insn(HW_CS_OP_ADD_IMMEDIATE32,
			((uint64_t)dst << 48) | ((uint64_t)src << 40) | (uint32_t)imm);
}

/** csa_add64() - ADD_IMMEDIATE64 d@dst = d@src + @imm (sign-extended). */
static inline uint64_t csa_add64(unsigned int dst, unsigned int src, int32_t imm)
{
	return csa_insn(HW_CS_OP_ADD_IMMEDIATE64,
			((uint64_t)dst << 48) | ((uint64_t)src << 40) | (uint32_t)imm);
}

/** csa_load() - LOAD_MULTIPLE r@base+i = [d@addr + @offset + 4i] for bits i of @mask. */
static inline uint64_t csa_load(unsigned int base, unsigned int addr, uint16_t mask, int16_t offset)
{
	return csa_insn(HW_CS_OP_LOAD_MULTIPLE, ((uint64_t)base << 48) | ((uint64_t)addr << 40) |
			((uint64_t)mask << 16) | (uint16_t)offset);
}

/** csa_store() - STORE_MULTIPLE [d@addr + @offset + 4i] = r@base+i for bits i of @mask. */
static inline uint64_t csa_store(unsigned int base, unsigned int addr, uint16_t mask, int16_t offset)
{
	return csa_insn(HW_CS_OP_STORE_MULTIPLE, ((uint64_t)base << 48) | ((uint64_t)addr << 40) |
			((uint64_t)mask << 16) | (uint16_t)offset);
}

/** csa_branch() - BRANCH by @offset instructions (from the next one) if r@reg meets @cond against 0. */
static inline uint64_t csa_branch(unsigned int cond, unsigned int reg, int16_t offset)
{
	return csa_insn(HW_CS_OP_BRANCH, ((uint64_t)reg << 40) | ((uint64_t)(cond & 7) << 28) |
			(uint16_t)offset);
}

/** csa_call() - CALL the buffer at d@addr, r@len bytes long. */
static inline uint64_t csa_call(unsigned int addr, unsigned int len)
{
	return csa_insn(HW_CS_OP_CALL, ((uint64_t)addr << 40) | ((uint64_t)len << 32));
}

/** csa_jump() - JUMP to the buffer at d@addr, r@len bytes long. */
static inline uint64_t csa_jump(unsigned int addr, unsigned int len)
{
	return csa_insn(HW_CS_OP_JUMP, ((uint64_t)addr << 40) | ((uint64_t)len << 32));
}

/** csa_flush() - FLUSH_CACHE2 with modes @l2, @lsc, @other, flush id r@flush_id, @wait_mask, @signal_slot. */
static inline uint64_t csa_flush(unsigned int l2, unsigned int lsc, unsigned int other,
				 unsigned int flush_id, uint16_t wait_mask, unsigned int signal_slot)
{
	return csa_insn(HW_CS_OP_FLUSH_CACHE2, ((uint64_t)(signal_slot & 0xf) << 48) |
			((uint64_t)flush_id << 40) | ((uint64_t)wait_mask << 16) |
			((other & 0xf) << 8) | ((lsc & 0xf) << 4) | (l2 & 0xf));
}

/* SYNC_ADD/SET: address d@addr, data r@data (d@data for 64), no wait, signal slot 0, system scope. */
static inline uint64_t csa__sync(unsigned int op, unsigned int addr, unsigned int data)
{
	return csa_insn(op, ((uint64_t)addr << 40) | ((uint64_t)data << 32));
}

/** csa_sync_add32() - SYNC_ADD32 [d@addr] += r@data. */
static inline uint64_t csa_sync_add32(unsigned int addr, unsigned int data)
{
	return csa__sync(HW_CS_OP_SYNC_ADD32, addr, data);
}

/** csa_sync_set32() - SYNC_SET32 [d@addr] = r@data. */
static inline uint64_t csa_sync_set32(unsigned int addr, unsigned int data)
{
	return csa__sync(HW_CS_OP_SYNC_SET32, addr, data);
}

/** csa_sync_add64() - SYNC_ADD64 [d@addr] += d@data. */
static inline uint64_t csa_sync_add64(unsigned int addr, unsigned int data)
{
	return csa__sync(HW_CS_OP_SYNC_ADD64, addr, data);
}

/** csa_sync_set64() - SYNC_SET64 [d@addr] = d@data. */
static inline uint64_t csa_sync_set64(unsigned int addr, unsigned int data)
{
	return csa__sync(HW_CS_OP_SYNC_SET64, addr, data);
}

/** csa_sync_wait32() - SYNC_WAIT32 until [d@addr] @cond r@data (LEQUAL or GREATER). */
static inline uint64_t csa_sync_wait32(unsigned int cond, unsigned int addr, unsigned int data)
{
	return csa_insn(HW_CS_OP_SYNC_WAIT32, ((uint64_t)addr << 40) | ((uint64_t)data << 32) |
			((uint64_t)(cond & 0xf) << 28));
}

/** csa_sync_wait64() - SYNC_WAIT64 until [d@addr] @cond d@data. */
static inline uint64_t csa_sync_wait64(unsigned int cond, unsigned int addr, unsigned int data)
{
	return csa_insn(HW_CS_OP_SYNC_WAIT64, ((uint64_t)addr << 40) | ((uint64_t)data << 32) |
			((uint64_t)(cond & 0xf) << 28));
}

/**
 * struct csa - a stream being written into CPU-visible memory.
 * @p: CPU address of the first instruction.
 * @va: its GPU VA.
 * @n: instructions written.
 */
struct csa {
	uint64_t *p;
	uint64_t va;
	unsigned int n;
};

/** csa_init() - start a stream at CPU address @p, GPU VA @va. */
static inline void csa_init(struct csa *a, void *p, uint64_t va)
{
	a->p = p;
	a->va = va;
	a->n = 0;
}

/** csa_emit() - append @insn. Return: its index (a label for csa_here()/branches). */
static inline unsigned int csa_emit(struct csa *a, uint64_t insn)
{
	__atomic_store_n(&a->p[a->n], insn, __ATOMIC_RELAXED);
	return a->n++;
}

/** csa_here() - Return: the VA of the next instruction to be emitted. */
static inline uint64_t csa_here(const struct csa *a)
{
	return a->va + 8ull * a->n;
}

/** csa_size() - Return: bytes emitted so far. */
static inline uint32_t csa_size(const struct csa *a)
{
	return 8u * a->n;
}

/** csa_to() - Return: the BRANCH offset from the next instruction to be emitted to label @target. */
static inline int16_t csa_to(const struct csa *a, unsigned int target)
{
	return (int16_t)((int)target - (int)(a->n + 1));
}

#endif
