/* SPDX-License-Identifier: MIT */
/*
 * Register map of the Mali GPU model: byte offsets from the start of the
 * device's MMIO window and the bit fields the model implements, in our own
 * names. Offsets and encodings are those of reference/panthor-uapi-mmu.md
 * §2.1 and reference/mmu-pgtable.md §3 (GPU_CONTROL block: panthor's
 * register header, facts only). Every register is 32 bits wide; a 64-bit
 * register is a LO word at its offset and a HI word 4 bytes above.
 *
 * Both the model (src/hw) and the driver use this file: it is the hardware
 * contract, not model internals.
 */
#ifndef PANTOMIME_HW_REGS_H
#define PANTOMIME_HW_REGS_H

#include <stdint.h>

/* ---------------------------------------------------------------------
 * GPU_CONTROL block (0x0000-0x0fff)
 * ------------------------------------------------------------------- */

/** HW_GPU_ID - product and revision: ARCH_MAJOR [31:28], ARCH_MINOR [27:24], ARCH_REV [23:20], PROD_MAJOR [19:16], VER_MAJOR [15:12], VER_MINOR [11:4], VER_STATUS [3:0]. */
#define HW_GPU_ID			0x000
/** HW_GPU_L2_FEATURES - L2 cache geometry (line size log2 in [7:0]). */
#define HW_GPU_L2_FEATURES		0x004
/** HW_GPU_CORE_FEATURES - core variant. */
#define HW_GPU_CORE_FEATURES		0x008
/** HW_GPU_TILER_FEATURES - tiler geometry. */
#define HW_GPU_TILER_FEATURES		0x00c
/** HW_GPU_MEM_FEATURES - memory system features (bit 0: L2 groups coherent). */
#define HW_GPU_MEM_FEATURES		0x010
/** HW_GPU_MMU_FEATURES - VA bits in [7:0], PA bits in [15:8]. */
#define HW_GPU_MMU_FEATURES		0x014
/** HW_GPU_AS_PRESENT - one bit per implemented address space. */
#define HW_GPU_AS_PRESENT		0x018
/** HW_GPU_CSF_ID - command-stream frontend identity. */
#define HW_GPU_CSF_ID			0x01c
/** HW_GPU_INT_RAWSTAT - GPU interrupt sources, before masking (read-only). */
#define HW_GPU_INT_RAWSTAT		0x020
/** HW_GPU_INT_CLEAR - write 1 to clear a RAWSTAT bit (write-only). */
#define HW_GPU_INT_CLEAR		0x024
/** HW_GPU_INT_MASK - enabled GPU interrupt sources. */
#define HW_GPU_INT_MASK			0x028
/** HW_GPU_INT_STAT - RAWSTAT & MASK (read-only). */
#define HW_GPU_INT_STAT			0x02c
/** HW_GPU_CMD - GPU command: type in [7:0], payload from bit 8 (write-only). */
#define HW_GPU_CMD			0x030
/** HW_GPU_STATUS - GPU status (read-only; the model reports 0). */
#define HW_GPU_STATUS			0x034
/** HW_GPU_FAULTSTATUS - last GPU (bus) fault: exception [7:0], access type [9:8]. */
#define HW_GPU_FAULTSTATUS		0x03c
/** HW_GPU_FAULTADDRESS_LO - physical address of the last GPU fault (64-bit). */
#define HW_GPU_FAULTADDRESS_LO		0x040
/** HW_GPU_FAULTADDRESS_HI - high word of GPU_FAULTADDRESS. */
#define HW_GPU_FAULTADDRESS_HI		0x044
/** HW_GPU_L2_CONFIG - L2 configuration (stored, no effect in the model). */
#define HW_GPU_L2_CONFIG		0x048
/** HW_GPU_PWR_KEY - power override key (stored, no effect). */
#define HW_GPU_PWR_KEY			0x050
/** HW_GPU_PWR_OVERRIDE0 - power override 0 (stored, no effect). */
#define HW_GPU_PWR_OVERRIDE0		0x054
/** HW_GPU_PWR_OVERRIDE1 - power override 1 (stored, no effect). */
#define HW_GPU_PWR_OVERRIDE1		0x058
/** HW_GPU_FEATURES_LO - GPU_FEATURES, low word (64-bit, read-only). */
#define HW_GPU_FEATURES_LO		0x060
/** HW_GPU_FEATURES_HI - GPU_FEATURES, high word. */
#define HW_GPU_FEATURES_HI		0x064
/** HW_GPU_TIMESTAMP_OFFSET_LO - added to the timestamp counter (64-bit, read-write). */
#define HW_GPU_TIMESTAMP_OFFSET_LO	0x088
/** HW_GPU_TIMESTAMP_OFFSET_HI - high word of TIMESTAMP_OFFSET. */
#define HW_GPU_TIMESTAMP_OFFSET_HI	0x08c
/** HW_GPU_CYCLE_COUNT_LO - cycle counter (model: nanoseconds of model time). */
#define HW_GPU_CYCLE_COUNT_LO		0x090
/** HW_GPU_CYCLE_COUNT_HI - high word of CYCLE_COUNT. */
#define HW_GPU_CYCLE_COUNT_HI		0x094
/** HW_GPU_TIMESTAMP_LO - timestamp (model time in ns + TIMESTAMP_OFFSET). */
#define HW_GPU_TIMESTAMP_LO		0x098
/** HW_GPU_TIMESTAMP_HI - high word of TIMESTAMP. */
#define HW_GPU_TIMESTAMP_HI		0x09c
/** HW_GPU_THREAD_MAX_THREADS - most threads per core. */
#define HW_GPU_THREAD_MAX_THREADS	0x0a0
/** HW_GPU_THREAD_MAX_WORKGROUP_SIZE - most threads per workgroup. */
#define HW_GPU_THREAD_MAX_WORKGROUP_SIZE 0x0a4
/** HW_GPU_THREAD_MAX_BARRIER_SIZE - most threads per barrier. */
#define HW_GPU_THREAD_MAX_BARRIER_SIZE	0x0a8
/** HW_GPU_THREAD_FEATURES - thread features. */
#define HW_GPU_THREAD_FEATURES		0x0ac
/** HW_GPU_TEXTURE_FEATURES() - TEXTURE_FEATURES_@n, n = 0..3. */
#define HW_GPU_TEXTURE_FEATURES(n)	(0x0b0 + (n) * 4)
/** HW_GPU_SHADER_PRESENT_LO - shader cores present (64-bit). */
#define HW_GPU_SHADER_PRESENT_LO	0x100
/** HW_GPU_SHADER_PRESENT_HI - high word of SHADER_PRESENT. */
#define HW_GPU_SHADER_PRESENT_HI	0x104
/** HW_GPU_TILER_PRESENT_LO - tilers present (64-bit). */
#define HW_GPU_TILER_PRESENT_LO		0x110
/** HW_GPU_TILER_PRESENT_HI - high word of TILER_PRESENT. */
#define HW_GPU_TILER_PRESENT_HI		0x114
/** HW_GPU_L2_PRESENT_LO - L2 slices present (64-bit). */
#define HW_GPU_L2_PRESENT_LO		0x120
/** HW_GPU_L2_PRESENT_HI - high word of L2_PRESENT. */
#define HW_GPU_L2_PRESENT_HI		0x124
/** HW_GPU_SHADER_READY_LO - powered shader cores (64-bit; LO/HI at +0/+4). */
#define HW_GPU_SHADER_READY_LO		0x140
/** HW_GPU_TILER_READY_LO - powered tilers (64-bit). */
#define HW_GPU_TILER_READY_LO		0x150
/** HW_GPU_L2_READY_LO - powered L2 slices (64-bit). */
#define HW_GPU_L2_READY_LO		0x160
/** HW_GPU_SHADER_PWRON_LO - write 1s to power shader cores on (64-bit, write-only). */
#define HW_GPU_SHADER_PWRON_LO		0x180
/** HW_GPU_TILER_PWRON_LO - write 1s to power tilers on. */
#define HW_GPU_TILER_PWRON_LO		0x190
/** HW_GPU_L2_PWRON_LO - write 1s to power L2 slices on. */
#define HW_GPU_L2_PWRON_LO		0x1a0
/** HW_GPU_SHADER_PWROFF_LO - write 1s to power shader cores off (64-bit, write-only). */
#define HW_GPU_SHADER_PWROFF_LO		0x1c0
/** HW_GPU_TILER_PWROFF_LO - write 1s to power tilers off. */
#define HW_GPU_TILER_PWROFF_LO		0x1d0
/** HW_GPU_L2_PWROFF_LO - write 1s to power L2 slices off. */
#define HW_GPU_L2_PWROFF_LO		0x1e0
/** HW_GPU_SHADER_PWRTRANS_LO - shader cores in a power transition (model: always 0). */
#define HW_GPU_SHADER_PWRTRANS_LO	0x200
/** HW_GPU_TILER_PWRTRANS_LO - tilers in a power transition (always 0). */
#define HW_GPU_TILER_PWRTRANS_LO	0x210
/** HW_GPU_L2_PWRTRANS_LO - L2 slices in a power transition (always 0). */
#define HW_GPU_L2_PWRTRANS_LO		0x220
/** HW_GPU_SHADER_PWRACTIVE_LO - busy shader cores (always 0). */
#define HW_GPU_SHADER_PWRACTIVE_LO	0x240
/** HW_GPU_TILER_PWRACTIVE_LO - busy tilers (always 0). */
#define HW_GPU_TILER_PWRACTIVE_LO	0x250
/** HW_GPU_L2_PWRACTIVE_LO - busy L2 slices (always 0). */
#define HW_GPU_L2_PWRACTIVE_LO		0x260
/** HW_GPU_REVID - revision id (model: 0). */
#define HW_GPU_REVID			0x280
/** HW_GPU_COHERENCY_FEATURES - supported coherency protocols (bit 0 ACE-Lite, bit 1 ACE). */
#define HW_GPU_COHERENCY_FEATURES	0x300
/** HW_GPU_COHERENCY_ENABLE - selected protocol (0 ACE-Lite, 1 ACE, 31 none; read-write). */
#define HW_GPU_COHERENCY_ENABLE		0x304
/** HW_GPU_MCU_CONTROL - MCU enable (0 disable, 1 enable, 2 auto; read-write). */
#define HW_GPU_MCU_CONTROL		0x700
/** HW_GPU_MCU_STATUS - MCU state (0 disabled, 1 enabled; mirrors MCU_CONTROL in the model). */
#define HW_GPU_MCU_STATUS		0x704

/** HW_GPU_IRQ_FAULT - GPU_INT: a GPU (bus) fault was latched in GPU_FAULTSTATUS. */
#define HW_GPU_IRQ_FAULT			(1u << 0)
/** HW_GPU_IRQ_PROTM_FAULT - GPU_INT: protected-mode fault (never raised by the model). */
#define HW_GPU_IRQ_PROTM_FAULT			(1u << 1)
/** HW_GPU_IRQ_RESET_COMPLETED - GPU_INT: a soft or hard reset finished. */
#define HW_GPU_IRQ_RESET_COMPLETED		(1u << 8)
/** HW_GPU_IRQ_POWER_CHANGED - GPU_INT: a power domain changed state. */
#define HW_GPU_IRQ_POWER_CHANGED		(1u << 9)
/** HW_GPU_IRQ_POWER_CHANGED_ALL - GPU_INT: all requested power transitions are done. */
#define HW_GPU_IRQ_POWER_CHANGED_ALL		(1u << 10)
/** HW_GPU_IRQ_CLEAN_CACHES_COMPLETED - GPU_INT: a GPU_CMD cache flush finished. */
#define HW_GPU_IRQ_CLEAN_CACHES_COMPLETED	(1u << 17)
/** HW_GPU_IRQ_DOORBELL_MIRROR - GPU_INT: doorbell mirror (never raised by the model). */
#define HW_GPU_IRQ_DOORBELL_MIRROR		(1u << 18)
/** HW_GPU_IRQ_MCU_STATUS_CHANGED - GPU_INT: MCU_STATUS changed. */
#define HW_GPU_IRQ_MCU_STATUS_CHANGED		(1u << 19)

/** HW_GPU_CMD_DEF() - a GPU_CMD value of @type with @payload. */
#define HW_GPU_CMD_DEF(type, payload)	((uint32_t)(type) | ((uint32_t)(payload) << 8))
/** HW_GPU_CMD_TYPE() - the command type of GPU_CMD value @v. */
#define HW_GPU_CMD_TYPE(v)		((v) & 0xffu)
/** HW_GPU_CMD_PAYLOAD() - the payload of GPU_CMD value @v. */
#define HW_GPU_CMD_PAYLOAD(v)		((v) >> 8)
/** HW_GPU_CMD_TYPE_NOP - GPU_CMD type: nothing. */
#define HW_GPU_CMD_TYPE_NOP		0
/** HW_GPU_CMD_TYPE_RESET - GPU_CMD type: reset (payload 1 soft, 2 hard). */
#define HW_GPU_CMD_TYPE_RESET		1
/** HW_GPU_CMD_TYPE_FLUSH_CACHES - GPU_CMD type: cache maintenance (payload: L2 op [3:0], LSC op [7:4], other op [11:8]). */
#define HW_GPU_CMD_TYPE_FLUSH_CACHES	4
/** HW_GPU_CMD_SOFT_RESET - GPU_CMD: soft reset. */
#define HW_GPU_CMD_SOFT_RESET		HW_GPU_CMD_DEF(HW_GPU_CMD_TYPE_RESET, 1)
/** HW_GPU_CMD_HARD_RESET - GPU_CMD: hard reset. */
#define HW_GPU_CMD_HARD_RESET		HW_GPU_CMD_DEF(HW_GPU_CMD_TYPE_RESET, 2)
/** HW_CACHE_CLEAN - cache op bit: write back dirty lines. */
#define HW_CACHE_CLEAN			(1u << 0)
/** HW_CACHE_INV - cache op bit: invalidate lines. */
#define HW_CACHE_INV			(1u << 1)
/** HW_GPU_FLUSH_CACHES() - GPU_CMD value flushing L2 with op @l2, the load/store caches with @lsc, other caches with @oth. */
#define HW_GPU_FLUSH_CACHES(l2, lsc, oth) \
	HW_GPU_CMD_DEF(HW_GPU_CMD_TYPE_FLUSH_CACHES, (l2) | ((lsc) << 4) | ((oth) << 8))

/** HW_GPU_MMU_FEATURES_VA_BITS() - VA bits of an MMU_FEATURES value. */
#define HW_GPU_MMU_FEATURES_VA_BITS(x)	((x) & 0xffu)
/** HW_GPU_MMU_FEATURES_PA_BITS() - PA bits of an MMU_FEATURES value. */
#define HW_GPU_MMU_FEATURES_PA_BITS(x)	(((x) >> 8) & 0xffu)

/* ---------------------------------------------------------------------
 * JOB_CONTROL block: the job interrupt line (0x1000) and the model-only
 * queue interface (0x1100-0x15ff), docs/model-deviations.md "Queue interface"
 * ------------------------------------------------------------------- */

/** HW_JOB_INT_RAWSTAT - job interrupt sources (read-only): HW_JOB_INT_DONE() and friends. */
#define HW_JOB_INT_RAWSTAT		0x1000
/** HW_JOB_INT_CLEAR - write 1 to clear (write-only). */
#define HW_JOB_INT_CLEAR		0x1004
/** HW_JOB_INT_MASK - enabled job interrupt sources. */
#define HW_JOB_INT_MASK			0x1008
/** HW_JOB_INT_STAT - RAWSTAT & MASK (read-only). */
#define HW_JOB_INT_STAT			0x100c

/*
 * There is no firmware in the model, so there is no CSF shared-memory
 * interface: the model offers a small queue interface of its own instead
 * (DESIGN.md, "GPU work"). Nothing here exists on a real Mali; the window
 * 0x1100-0x17ff is unused by every register map of panthor and kbase.
 * Each hardware queue slot runs one command stream (Valhall CSF
 * instructions, HW_CS_OP_*) in one address space.
 */

/** HW_MAX_QUEUE_SLOTS - most queue slots a device can have (four JOB_INT bits each). */
#define HW_MAX_QUEUE_SLOTS		8
/** HW_QUEUE_PRESENT - bit n: queue slot n exists (read-only; model-only). */
#define HW_QUEUE_PRESENT		0x1100
/** HW_QUEUE_BASE - offset of queue slot 0's register window (model-only). */
#define HW_QUEUE_BASE			0x1400
/** HW_QUEUE_STRIDE - bytes between two queue slot windows. */
#define HW_QUEUE_STRIDE			0x40
/** HW_QUEUE() - offset of queue slot @n's register window. */
#define HW_QUEUE(n)			(HW_QUEUE_BASE + (n) * HW_QUEUE_STRIDE)

/* Register offsets inside a queue slot window. */
/** HW_QUEUE_STREAM_BASE_LO - GPU VA of the stream, 8-byte aligned (64-bit, read-write; latched by DOORBELL). */
#define HW_QUEUE_STREAM_BASE_LO		0x00
/** HW_QUEUE_STREAM_BASE_HI - high word of STREAM_BASE. */
#define HW_QUEUE_STREAM_BASE_HI		0x04
/** HW_QUEUE_STREAM_SIZE - stream length in bytes, a multiple of 8 (read-write; latched by DOORBELL). */
#define HW_QUEUE_STREAM_SIZE		0x08
/** HW_QUEUE_AS - address space the stream runs in (read-write; latched by DOORBELL). */
#define HW_QUEUE_AS			0x0c
/** HW_QUEUE_CONFIG - [15:0] SYNC_WAIT timeout in ms, 0 = the device default (read-write; latched by DOORBELL). */
#define HW_QUEUE_CONFIG			0x10
/** HW_QUEUE_DOORBELL - write 1: run the stream from STREAM_BASE (ignored while RUNNING; write-only). */
#define HW_QUEUE_DOORBELL		0x14
/** HW_QUEUE_STOP - write 1: stop a RUNNING stream before its next instruction (write-only). */
#define HW_QUEUE_STOP			0x18
/** HW_QUEUE_STATUS - state in [3:0] (HW_QUEUE_STATUS_*), HW_QUEUE_STATUS_WAITING (read-only). */
#define HW_QUEUE_STATUS			0x1c
/** HW_QUEUE_FAULT_INFO - why the stream stopped: exception [7:0], detail [15:8], access type [17:16] (read-only). */
#define HW_QUEUE_FAULT_INFO		0x20
/** HW_QUEUE_FAULT_ADDRESS_LO - GPU VA the fault concerns (64-bit, read-only). */
#define HW_QUEUE_FAULT_ADDRESS_LO	0x28
/** HW_QUEUE_FAULT_ADDRESS_HI - high word of FAULT_ADDRESS. */
#define HW_QUEUE_FAULT_ADDRESS_HI	0x2c
/** HW_QUEUE_PC_LO - VA of the instruction the stream stopped at (64-bit, read-only; see the docs). */
#define HW_QUEUE_PC_LO			0x30
/** HW_QUEUE_PC_HI - high word of PC. */
#define HW_QUEUE_PC_HI			0x34

/** HW_QUEUE_STATUS_IDLE - STATUS: never run since creation or reset. */
#define HW_QUEUE_STATUS_IDLE		0
/** HW_QUEUE_STATUS_RUNNING - STATUS: a doorbell started the stream and it has not ended. */
#define HW_QUEUE_STATUS_RUNNING		1
/** HW_QUEUE_STATUS_DONE - STATUS: the stream ran to its end (JOB_INT DONE). */
#define HW_QUEUE_STATUS_DONE		2
/** HW_QUEUE_STATUS_FAULT - STATUS: a memory fault or an invalid instruction stopped it (JOB_INT FAULT). */
#define HW_QUEUE_STATUS_FAULT		3
/** HW_QUEUE_STATUS_TIMEOUT - STATUS: a SYNC_WAIT waited longer than the timeout (JOB_INT TIMEOUT). */
#define HW_QUEUE_STATUS_TIMEOUT		4
/** HW_QUEUE_STATUS_STOPPED - STATUS: STOP took effect (JOB_INT STOPPED). */
#define HW_QUEUE_STATUS_STOPPED		5
/** HW_QUEUE_STATUS_UNSUPPORTED - STATUS: an instruction the model does not run (shader-core work) stopped it (JOB_INT FAULT). */
#define HW_QUEUE_STATUS_UNSUPPORTED	6
/** HW_QUEUE_STATUS_STATE() - the state field of a STATUS value. */
#define HW_QUEUE_STATUS_STATE(v)	((v) & 0xfu)
/** HW_QUEUE_STATUS_WAITING - STATUS flag: RUNNING, blocked in a SYNC_WAIT whose condition does not hold. */
#define HW_QUEUE_STATUS_WAITING		(1u << 8)

/** HW_QUEUE_FAULT_EXCEPTION() - exception code (HW_CS_EXC_*) of a FAULT_INFO value. */
#define HW_QUEUE_FAULT_EXCEPTION(v)	((v) & 0xffu)
/** HW_QUEUE_FAULT_DETAIL() - detail of a FAULT_INFO value: the opcode (INSTR_INVALID), the MMU exception (BUS_FAULT; 0 if none was latched). */
#define HW_QUEUE_FAULT_DETAIL(v)	(((v) >> 8) & 0xffu)
/** HW_QUEUE_FAULT_ACCESS() - access type (enum hw_access_type) of a BUS_FAULT's FAULT_INFO. */
#define HW_QUEUE_FAULT_ACCESS(v)	(((v) >> 16) & 0x3u)

/** HW_JOB_INT_DONE() - JOB_INT bit: queue slot @n ran its stream to the end. */
#define HW_JOB_INT_DONE(n)		(1u << (n))
/** HW_JOB_INT_FAULT() - JOB_INT bit: queue slot @n stopped with FAULT or UNSUPPORTED. */
#define HW_JOB_INT_FAULT(n)		(1u << (8 + (n)))
/** HW_JOB_INT_TIMEOUT() - JOB_INT bit: queue slot @n stopped with TIMEOUT. */
#define HW_JOB_INT_TIMEOUT(n)		(1u << (16 + (n)))
/** HW_JOB_INT_STOPPED() - JOB_INT bit: queue slot @n stopped on STOP. */
#define HW_JOB_INT_STOPPED(n)		(1u << (24 + (n)))

/* CS exception codes in FAULT_INFO: panthor's drm_panthor_exception_type values (reference/panthor-uapi-mmu.md §2.10). */
/** HW_CS_EXC_CONFIG_FAULT - bad queue configuration at DOORBELL (AS absent, base or size misaligned). */
#define HW_CS_EXC_CONFIG_FAULT		0x40u
/** HW_CS_EXC_UNRECOVERABLE - the model could not run the stream (no GPU unit slot left, no thread). */
#define HW_CS_EXC_UNRECOVERABLE		0x41u
/** HW_CS_EXC_BUS_FAULT - a fetch or data access faulted (MMU fault in the detail, or the AS was stopped/disabled, or a GPU bus fault). */
#define HW_CS_EXC_BUS_FAULT		0x48u
/** HW_CS_EXC_INSTR_INVALID - an invalid or unsupported instruction (opcode in the detail). */
#define HW_CS_EXC_INSTR_INVALID		0x49u
/** HW_CS_EXC_CALL_STACK_OVERFLOW - a CALL beyond HW_CS_CALL_DEPTH nested calls. */
#define HW_CS_EXC_CALL_STACK_OVERFLOW	0x4au
/** HW_CS_EXC_INSTR_INVALID_PC - a BRANCH target outside the running buffer. */
#define HW_CS_EXC_INSTR_INVALID_PC	0x50u
/** HW_CS_EXC_TIMEOUT - model-only code (not panthor's): a SYNC_WAIT timed out. */
#define HW_CS_EXC_TIMEOUT		0x4fu

/* ---------------------------------------------------------------------
 * CS instructions (Valhall CSF, v10): one little-endian 64-bit word each,
 * opcode in [63:56]. Values of Mesa's genxml "CS Opcode" enum
 * (src/panfrost/genxml/v10.xml); field layouts in src/hw/hw_cs.c.
 * ------------------------------------------------------------------- */

/** HW_CS_REGS - 32-bit registers of a command stream (csif_info.cs_reg_count on v10). */
#define HW_CS_REGS			96
/** HW_CS_CALL_DEPTH - most nested CALLs (the root stream plus 7 frames: 8 on a G610). */
#define HW_CS_CALL_DEPTH		7
/** HW_CS_OPCODE() - opcode of instruction @insn. */
#define HW_CS_OPCODE(insn)		((unsigned int)((insn) >> 56))
/** HW_CS_OP_NOP - no operation. */
#define HW_CS_OP_NOP			0x00
/** HW_CS_OP_MOVE48 - d[55:48] = immediate [47:0] (register pair). */
#define HW_CS_OP_MOVE48			0x01
/** HW_CS_OP_MOVE32 - r[55:48] = immediate [31:0]. */
#define HW_CS_OP_MOVE32			0x02
/** HW_CS_OP_WAIT - wait for scoreboard slots [31:16]. */
#define HW_CS_OP_WAIT			0x03
/** HW_CS_OP_RUN_COMPUTE - compute job (needs shader cores: unsupported). */
#define HW_CS_OP_RUN_COMPUTE		0x04
/** HW_CS_OP_RUN_FRAGMENT - fragment job (needs shader cores: unsupported). */
#define HW_CS_OP_RUN_FRAGMENT		0x07
/** HW_CS_OP_ADD_IMMEDIATE32 - r[55:48] = r[47:40] + signed [31:0]. */
#define HW_CS_OP_ADD_IMMEDIATE32	0x10
/** HW_CS_OP_ADD_IMMEDIATE64 - d[55:48] = d[47:40] + signed [31:0]. */
#define HW_CS_OP_ADD_IMMEDIATE64	0x11
/** HW_CS_OP_LOAD_MULTIPLE - registers base [55:48] + i for mask [31:16] bits i = words at d[47:40] + signed [15:0] + 4i. */
#define HW_CS_OP_LOAD_MULTIPLE		0x14
/** HW_CS_OP_STORE_MULTIPLE - the reverse of LOAD_MULTIPLE. */
#define HW_CS_OP_STORE_MULTIPLE		0x15
/** HW_CS_OP_BRANCH - if r[47:40] (signed) meets condition [30:28] against 0, skip signed [15:0] instructions. */
#define HW_CS_OP_BRANCH			0x16
/** HW_CS_OP_CALL - run the buffer at d[47:40], r[39:32] bytes long, then come back. */
#define HW_CS_OP_CALL			0x20
/** HW_CS_OP_JUMP - continue in the buffer at d[47:40], r[39:32] bytes long. */
#define HW_CS_OP_JUMP			0x21
/** HW_CS_OP_FLUSH_CACHE2 - cache maintenance: L2 [3:0], LSC [7:4], other [11:8]. */
#define HW_CS_OP_FLUSH_CACHE2		0x24
/** HW_CS_OP_SYNC_ADD32 - atomically add r[39:32] to the 32-bit word at d[47:40]. */
#define HW_CS_OP_SYNC_ADD32		0x25
/** HW_CS_OP_SYNC_SET32 - store r[39:32] to the 32-bit word at d[47:40]. */
#define HW_CS_OP_SYNC_SET32		0x26
/** HW_CS_OP_SYNC_WAIT32 - wait until the 32-bit word at d[47:40] meets condition [31:28] against r[39:32]. */
#define HW_CS_OP_SYNC_WAIT32		0x27
/** HW_CS_OP_SYNC_ADD64 - SYNC_ADD32 on a 64-bit word with d[39:32]. */
#define HW_CS_OP_SYNC_ADD64		0x33
/** HW_CS_OP_SYNC_SET64 - SYNC_SET32 on a 64-bit word with d[39:32]. */
#define HW_CS_OP_SYNC_SET64		0x34
/** HW_CS_OP_SYNC_WAIT64 - SYNC_WAIT32 on a 64-bit word with d[39:32]. */
#define HW_CS_OP_SYNC_WAIT64		0x35

/* Conditions of BRANCH and SYNC_WAIT (genxml "CS Condition"). */
/** HW_CS_COND_LEQUAL - value <= 0 (BRANCH), memory <= reference (SYNC_WAIT). */
#define HW_CS_COND_LEQUAL		0
/** HW_CS_COND_GREATER - value > 0 (BRANCH), memory > reference (SYNC_WAIT). */
#define HW_CS_COND_GREATER		1
/** HW_CS_COND_EQUAL - value == 0 (BRANCH only). */
#define HW_CS_COND_EQUAL		2
/** HW_CS_COND_NEQUAL - value != 0 (BRANCH only). */
#define HW_CS_COND_NEQUAL		3
/** HW_CS_COND_LESS - value < 0 (BRANCH only). */
#define HW_CS_COND_LESS			4
/** HW_CS_COND_GEQUAL - value >= 0 (BRANCH only). */
#define HW_CS_COND_GEQUAL		5
/** HW_CS_COND_ALWAYS - always (BRANCH only). */
#define HW_CS_COND_ALWAYS		6

/* ---------------------------------------------------------------------
 * MMU block: interrupts (0x2000) and one 0x40-byte window per AS (0x2400)
 * ------------------------------------------------------------------- */

/** HW_MMU_INT_RAWSTAT - bit n: page fault on AS n (bits 16..31 are never raised; read-only). */
#define HW_MMU_INT_RAWSTAT		0x2000
/** HW_MMU_INT_CLEAR - write 1 to clear a RAWSTAT bit (write-only). */
#define HW_MMU_INT_CLEAR		0x2004
/** HW_MMU_INT_MASK - enabled MMU interrupt sources. */
#define HW_MMU_INT_MASK			0x2008
/** HW_MMU_INT_STAT - RAWSTAT & MASK (read-only). */
#define HW_MMU_INT_STAT			0x200c
/** HW_MMU_PAGE_FAULT() - MMU_INT bit of a page fault on AS @as. */
#define HW_MMU_PAGE_FAULT(as)		(1u << (as))

/** HW_MMU_AS_BASE - offset of AS 0's register window. */
#define HW_MMU_AS_BASE			0x2400
/** HW_MMU_AS_STRIDE - bytes between two AS windows. */
#define HW_MMU_AS_STRIDE		0x40
/** HW_MMU_AS() - offset of AS @as's register window. */
#define HW_MMU_AS(as)			(HW_MMU_AS_BASE + (as) * HW_MMU_AS_STRIDE)

/* Register offsets inside an AS window. */
/** HW_AS_TRANSTAB_LO - root table PA (64-bit, read-write; latched by UPDATE). */
#define HW_AS_TRANSTAB_LO		0x00
/** HW_AS_TRANSTAB_HI - high word of TRANSTAB. */
#define HW_AS_TRANSTAB_HI		0x04
/** HW_AS_MEMATTR_LO - 8 memory-attribute bytes, one per AttrIndx (64-bit; latched by UPDATE). */
#define HW_AS_MEMATTR_LO		0x08
/** HW_AS_MEMATTR_HI - high word of MEMATTR. */
#define HW_AS_MEMATTR_HI		0x0c
/** HW_AS_LOCKADDR_LO - lock region: width in [5:0], base from bit 12 (64-bit; read by LOCK). */
#define HW_AS_LOCKADDR_LO		0x10
/** HW_AS_LOCKADDR_HI - high word of LOCKADDR. */
#define HW_AS_LOCKADDR_HI		0x14
/** HW_AS_COMMAND - AS command (write-only; HW_AS_COMMAND_*). */
#define HW_AS_COMMAND			0x18
/** HW_AS_FAULTSTATUS - exception [7:0], access type [9:8], source id [31:16] (read-only). */
#define HW_AS_FAULTSTATUS		0x1c
/** HW_AS_FAULTADDRESS_LO - faulting GPU VA (64-bit, read-only). */
#define HW_AS_FAULTADDRESS_LO		0x20
/** HW_AS_FAULTADDRESS_HI - high word of FAULTADDRESS. */
#define HW_AS_FAULTADDRESS_HI		0x24
/** HW_AS_STATUS - bit 0: AS_ACTIVE, a command is in progress (read-only). */
#define HW_AS_STATUS			0x28
/** HW_AS_TRANSCFG_LO - translation configuration (64-bit, read-write; latched by UPDATE). */
#define HW_AS_TRANSCFG_LO		0x30
/** HW_AS_TRANSCFG_HI - high word of TRANSCFG. */
#define HW_AS_TRANSCFG_HI		0x34
/** HW_AS_FAULTEXTRA_LO - secondary fault information (64-bit, read-only; model: 0). */
#define HW_AS_FAULTEXTRA_LO		0x38
/** HW_AS_FAULTEXTRA_HI - high word of FAULTEXTRA. */
#define HW_AS_FAULTEXTRA_HI		0x3c

/** HW_AS_COMMAND_NOP - AS command: nothing. */
#define HW_AS_COMMAND_NOP		0
/** HW_AS_COMMAND_UPDATE - AS command: latch TRANSTAB/MEMATTR/TRANSCFG, invalidate the AS's TLB. */
#define HW_AS_COMMAND_UPDATE		1
/** HW_AS_COMMAND_LOCK - AS command: lock the LOCKADDR region. */
#define HW_AS_COMMAND_LOCK		2
/** HW_AS_COMMAND_UNLOCK - AS command: invalidate the region's TLB entries and release it. */
#define HW_AS_COMMAND_UNLOCK		3
/** HW_AS_COMMAND_FLUSH_PT - AS command: flush L2, then as UNLOCK. */
#define HW_AS_COMMAND_FLUSH_PT		4
/** HW_AS_COMMAND_FLUSH_MEM - AS command: drain accesses, flush L1 and L2, then as UNLOCK. */
#define HW_AS_COMMAND_FLUSH_MEM		5

/** HW_AS_STATUS_AS_ACTIVE - AS_STATUS: a command is still in progress. */
#define HW_AS_STATUS_AS_ACTIVE		(1u << 0)

/** HW_AS_LOCKADDR_WIDTH_MASK - LOCKADDR width field: log2(region bytes) - 1. */
#define HW_AS_LOCKADDR_WIDTH_MASK	0x3full
/** HW_AS_LOCKADDR_BASE_MASK - LOCKADDR base field (bits [63:12]). */
#define HW_AS_LOCKADDR_BASE_MASK	(~0xfffull)
/** HW_AS_LOCK_REGION_MIN_SIZE - smallest region a LOCK covers: 32 KiB. */
#define HW_AS_LOCK_REGION_MIN_SIZE	(1ull << 15)

/** HW_AS_FAULTSTATUS_EXCEPTION() - exception type of a FAULTSTATUS value. */
#define HW_AS_FAULTSTATUS_EXCEPTION(v)	((v) & 0xffu)
/** HW_AS_FAULTSTATUS_ACCESS() - access type (enum hw_access_type) of a FAULTSTATUS value. */
#define HW_AS_FAULTSTATUS_ACCESS(v)	(((v) >> 8) & 0x3u)
/** HW_AS_FAULTSTATUS_SOURCE() - source id of a FAULTSTATUS value. */
#define HW_AS_FAULTSTATUS_SOURCE(v)	((v) >> 16)

/** HW_AS_TRANSCFG_ADRMODE_MASK - TRANSCFG address mode field [3:0]. */
#define HW_AS_TRANSCFG_ADRMODE_MASK	0xfull
/** HW_AS_TRANSCFG_ADRMODE_UNMAPPED - address mode: no translation, every access is refused. */
#define HW_AS_TRANSCFG_ADRMODE_UNMAPPED	1
/** HW_AS_TRANSCFG_ADRMODE_IDENTITY - address mode: PA = VA. */
#define HW_AS_TRANSCFG_ADRMODE_IDENTITY	2
/** HW_AS_TRANSCFG_ADRMODE_AARCH64_4K - address mode: AArch64 tables, 4 KiB granule. */
#define HW_AS_TRANSCFG_ADRMODE_AARCH64_4K 6
/** HW_AS_TRANSCFG_ADRMODE_AARCH64_64K - address mode: AArch64 tables, 64 KiB granule (not modelled). */
#define HW_AS_TRANSCFG_ADRMODE_AARCH64_64K 8
/** HW_AS_TRANSCFG_INA_BITS() - TRANSCFG input-address field (panthor writes 55 - VA bits; latched, not interpreted). */
#define HW_AS_TRANSCFG_INA_BITS(x)	((uint64_t)(x) << 6)
/** HW_AS_TRANSCFG_OUTA_BITS() - TRANSCFG output-address field (latched, not interpreted). */
#define HW_AS_TRANSCFG_OUTA_BITS(x)	((uint64_t)(x) << 14)
/** HW_AS_TRANSCFG_PTW_MEMATTR_WB - table walks are write-back cacheable. */
#define HW_AS_TRANSCFG_PTW_MEMATTR_WB	(2ull << 24)
/** HW_AS_TRANSCFG_PTW_SH_OS - table walks are outer shareable (coherent walk). */
#define HW_AS_TRANSCFG_PTW_SH_OS	(2ull << 28)
/** HW_AS_TRANSCFG_PTW_RA - table walks read-allocate. */
#define HW_AS_TRANSCFG_PTW_RA		(1ull << 30)
/** HW_AS_TRANSCFG_DISABLE_AF_FAULT - a leaf with AF clear does not fault. */
#define HW_AS_TRANSCFG_DISABLE_AF_FAULT	(1ull << 34)

/* ---------------------------------------------------------------------
 * AArch64 stage-1 descriptors, 4 KiB granule (reference/mmu-pgtable.md §1)
 * ------------------------------------------------------------------- */

/** HW_PTE_VALID - descriptor bit 0: valid. */
#define HW_PTE_VALID			(1ull << 0)
/** HW_PTE_TYPE_MASK - descriptor type bits [1:0]. */
#define HW_PTE_TYPE_MASK		3ull
/** HW_PTE_TYPE_BLOCK - type 01: a block at levels 1-2 (reserved at levels 0 and 3). */
#define HW_PTE_TYPE_BLOCK		1ull
/** HW_PTE_TYPE_TABLE - type 11: a table pointer at levels 0-2, a page at level 3. */
#define HW_PTE_TYPE_TABLE		3ull
/** HW_PTE_TYPE_PAGE - type 11 at level 3: a 4 KiB page. */
#define HW_PTE_TYPE_PAGE		3ull
/** HW_PTE_ATTRINDX() - AttrIndx field [4:2]: index into MEMATTR. */
#define HW_PTE_ATTRINDX(i)		((uint64_t)(i) << 2)
/** HW_PTE_AP_UNPRIV - AP[1] (bit 6): unprivileged (GPU) access allowed. */
#define HW_PTE_AP_UNPRIV		(1ull << 6)
/** HW_PTE_AP_RDONLY - AP[2] (bit 7): read-only. */
#define HW_PTE_AP_RDONLY		(1ull << 7)
/** HW_PTE_SH_IS - shareability field [9:8] = inner shareable. */
#define HW_PTE_SH_IS			(3ull << 8)
/** HW_PTE_SH_OS - shareability field [9:8] = outer shareable. */
#define HW_PTE_SH_OS			(2ull << 8)
/** HW_PTE_AF - access flag (bit 10). */
#define HW_PTE_AF			(1ull << 10)
/** HW_PTE_NG - not-global (bit 11). */
#define HW_PTE_NG			(1ull << 11)
/** HW_PTE_PXN - privileged execute-never (bit 53; ignored: GPU accesses are unprivileged). */
#define HW_PTE_PXN			(1ull << 53)
/** HW_PTE_UXN - (unprivileged) execute-never (bit 54): an instruction fetch faults. */
#define HW_PTE_UXN			(1ull << 54)
/** HW_PTE_SW_MASK - bits 55..58, reserved for software (io-pgtable's SW_SYNC marker): never interpreted. */
#define HW_PTE_SW_MASK			(0xfull << 55)
/** HW_PTE_ADDR_MASK - output/next-table address field [47:12]. */
#define HW_PTE_ADDR_MASK		0x0000fffffffff000ull

/* Exception types latched in AS_FAULTSTATUS (reference/mmu-pgtable.md §3.9). */
/** HW_EXC_TRANSLATION_FAULT() - translation fault at @level (0..3): 0xC0 + level. */
#define HW_EXC_TRANSLATION_FAULT(level)	(0xc0u + (level))
/** HW_EXC_PERMISSION_FAULT() - permission fault at @level: 0xC8 + level. */
#define HW_EXC_PERMISSION_FAULT(level)	(0xc8u + (level))
/** HW_EXC_TRANSTAB_BUS_FAULT() - table read outside memory at @level: 0xD0 + level. */
#define HW_EXC_TRANSTAB_BUS_FAULT(level) (0xd0u + (level))
/** HW_EXC_ACCESS_FLAG_FAULT() - access-flag fault at @level: 0xD8 + level. */
#define HW_EXC_ACCESS_FLAG_FAULT(level)	(0xd8u + (level))
/** HW_EXC_ADDR_SIZE_FAULT_IN - input address beyond the VA size: 0xE0. */
#define HW_EXC_ADDR_SIZE_FAULT_IN	0xe0u
/** HW_EXC_ADDR_SIZE_FAULT_OUT() - output address beyond the PA size at @level: 0xE4 + level. */
#define HW_EXC_ADDR_SIZE_FAULT_OUT(level) (0xe4u + (level))
/** HW_EXC_MEM_ATTR_FAULT() - the leaf's MEMATTR byte has type FAULT, at @level: 0xE8 + level. */
#define HW_EXC_MEM_ATTR_FAULT(level)	(0xe8u + (level))
/** HW_MEMATTR_TYPE_FAULT - MEMATTR byte type field [7:6] value that makes accesses fault. */
#define HW_MEMATTR_TYPE_FAULT		3u
/** HW_EXC_GPU_BUS_FAULT - GPU_FAULTSTATUS: an access to a physical address outside memory. */
#define HW_EXC_GPU_BUS_FAULT		0x80u

/* ---------------------------------------------------------------------
 * USER / doorbell pages
 * ------------------------------------------------------------------- */

/** HW_LATEST_FLUSH_ID - id of the last completed cache flush (read-only; bumped by every flush). */
#define HW_LATEST_FLUSH_ID		0x10000

#endif
