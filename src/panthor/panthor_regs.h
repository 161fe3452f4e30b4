/* SPDX-License-Identifier: MIT */
/*
 * The driver's register map: panthor's names for the registers and fields
 * it programs, with the offsets and encodings of
 * reference/panthor-uapi-mmu.md §2.1 and §2.3.
 *
 * The driver does not include src/hw/hw_regs.h: the model and the driver
 * each write down the hardware contract from the reference, so a mistake on
 * either side shows up as a behaviour difference instead of being shared.
 */
#ifndef PANTOMIME_PANTHOR_REGS_H
#define PANTOMIME_PANTHOR_REGS_H

#include <stdint.h>

/* ---- GPU_CONTROL ---------------------------------------------------------- */

#define GPU_ID				0x0
#define   GPU_ARCH_MAJOR(x)		((x) >> 28)
#define   GPU_ARCH_MINOR(x)		(((x) >> 24) & 0xf)
#define   GPU_ARCH_REV(x)		(((x) >> 20) & 0xf)
#define   GPU_PROD_MAJOR(x)		(((x) >> 16) & 0xf)
#define   GPU_VER_MAJOR(x)		(((x) >> 12) & 0xf)
#define   GPU_VER_MINOR(x)		(((x) >> 4) & 0xff)
#define   GPU_VER_STATUS(x)		((x) & 0xf)
#define GPU_L2_FEATURES			0x4
#define GPU_CORE_FEATURES		0x8
#define GPU_TILER_FEATURES		0xc
#define GPU_MEM_FEATURES		0x10
#define GPU_MMU_FEATURES		0x14
#define   GPU_MMU_FEATURES_VA_BITS(x)	((x) & 0xff)
#define   GPU_MMU_FEATURES_PA_BITS(x)	(((x) >> 8) & 0xff)
#define GPU_AS_PRESENT			0x18
#define GPU_CSF_ID			0x1c

#define GPU_INT_RAWSTAT			0x20
#define GPU_INT_CLEAR			0x24
#define GPU_INT_MASK			0x28
#define GPU_INT_STAT			0x2c
#define   GPU_IRQ_FAULT			(1u << 0)
#define   GPU_IRQ_PROTM_FAULT		(1u << 1)
#define   GPU_IRQ_RESET_COMPLETED	(1u << 8)
#define   GPU_IRQ_POWER_CHANGED		(1u << 9)
#define   GPU_IRQ_POWER_CHANGED_ALL	(1u << 10)
#define   GPU_IRQ_CLEAN_CACHES_COMPLETED (1u << 17)
#define   GPU_IRQ_DOORBELL_MIRROR	(1u << 18)
#define   GPU_IRQ_MCU_STATUS_CHANGED	(1u << 19)

#define GPU_CMD				0x30
#define   GPU_CMD_DEF(type, payload)	((uint32_t)(type) | ((uint32_t)(payload) << 8))
#define   GPU_SOFT_RESET		GPU_CMD_DEF(1, 1)
#define   GPU_HARD_RESET		GPU_CMD_DEF(1, 2)
#define   CACHE_CLEAN			(1u << 0)
#define   CACHE_INV			(1u << 1)
#define   GPU_FLUSH_CACHES(l2, lsc, oth) \
	  GPU_CMD_DEF(4, ((l2) << 0) | ((lsc) << 4) | ((oth) << 8))

#define GPU_FAULT_STATUS		0x3c
#define GPU_FAULT_ADDR_LO		0x40

#define GPU_THREAD_MAX_THREADS		0xa0
#define GPU_THREAD_MAX_WORKGROUP_SIZE	0xa4
#define GPU_THREAD_MAX_BARRIER_SIZE	0xa8
#define GPU_THREAD_FEATURES		0xac
#define GPU_TEXTURE_FEATURES(n)		(0xb0 + ((n) * 4))
#define GPU_SHADER_PRESENT_LO		0x100
#define GPU_TILER_PRESENT_LO		0x110
#define GPU_L2_PRESENT_LO		0x120
#define GPU_COHERENCY_FEATURES		0x300

/* ---- MMU ------------------------------------------------------------------ */

/* MMU_INT bits 0..15: page fault on AS n; 16..31 are never enabled. */
#define MMU_INT_RAWSTAT			0x2000
#define MMU_INT_CLEAR			0x2004
#define MMU_INT_MASK			0x2008
#define MMU_INT_STAT			0x200c

#define MAX_AS_SLOTS			32
#define MMU_BASE			0x2400
#define MMU_AS_SHIFT			6
#define MMU_AS(as)			(MMU_BASE + ((as) << MMU_AS_SHIFT))

#define AS_TRANSTAB(as)			(MMU_AS(as) + 0x0)
#define AS_MEMATTR(as)			(MMU_AS(as) + 0x8)
#define AS_LOCKADDR(as)			(MMU_AS(as) + 0x10)
#define AS_COMMAND(as)			(MMU_AS(as) + 0x18)
#define   AS_COMMAND_NOP		0
#define   AS_COMMAND_UPDATE		1
#define   AS_COMMAND_LOCK		2
#define   AS_COMMAND_UNLOCK		3
#define   AS_COMMAND_FLUSH_PT		4
#define   AS_COMMAND_FLUSH_MEM		5
#define   AS_LOCK_REGION_MIN_SIZE	(1ull << 15)
#define AS_FAULTSTATUS(as)		(MMU_AS(as) + 0x1c)
#define   AS_FAULTSTATUS_EXCEPTION_TYPE(x)	((x) & 0xff)
#define   AS_FAULTSTATUS_ACCESS_TYPE(x)		(((x) >> 8) & 0x3)
#define   AS_FAULTSTATUS_ACCESS_TYPE_ATOMIC	0
#define   AS_FAULTSTATUS_ACCESS_TYPE_EX		1
#define   AS_FAULTSTATUS_ACCESS_TYPE_READ	2
#define   AS_FAULTSTATUS_ACCESS_TYPE_WRITE	3
#define   AS_FAULTSTATUS_DECODER_FAULT	(1u << 10)
#define   AS_FAULTSTATUS_SOURCE_ID(x)	((x) >> 16)
#define AS_FAULTADDRESS(as)		(MMU_AS(as) + 0x20)
#define AS_STATUS(as)			(MMU_AS(as) + 0x28)
#define   AS_STATUS_AS_ACTIVE		(1u << 0)
#define AS_TRANSCFG(as)			(MMU_AS(as) + 0x30)
#define   AS_TRANSCFG_ADRMODE_UNMAPPED	(1ull << 0)
#define   AS_TRANSCFG_ADRMODE_IDENTITY	(2ull << 0)
#define   AS_TRANSCFG_ADRMODE_AARCH64_4K (6ull << 0)
#define   AS_TRANSCFG_ADRMODE_AARCH64_64K (8ull << 0)
#define   AS_TRANSCFG_INA_BITS(x)	((uint64_t)(x) << 6)
#define   AS_TRANSCFG_OUTA_BITS(x)	((uint64_t)(x) << 14)
#define   AS_TRANSCFG_SL_CONCAT		(1ull << 22)
#define   AS_TRANSCFG_PTW_MEMATTR_NC	(1ull << 24)
#define   AS_TRANSCFG_PTW_MEMATTR_WB	(2ull << 24)
#define   AS_TRANSCFG_PTW_SH_NS		(0ull << 28)
#define   AS_TRANSCFG_PTW_SH_OS		(2ull << 28)
#define   AS_TRANSCFG_PTW_SH_IS		(3ull << 28)
#define   AS_TRANSCFG_PTW_RA		(1ull << 30)
#define   AS_TRANSCFG_DISABLE_HIER_AP	(1ull << 33)
#define   AS_TRANSCFG_DISABLE_AF_FAULT	(1ull << 34)
#define   AS_TRANSCFG_WXN		(1ull << 35)
#define   AS_TRANSCFG_XREADABLE		(1ull << 36)
#define AS_FAULTEXTRA(as)		(MMU_AS(as) + 0x38)

/* AS_MEMATTR bytes (one per AttrIndx). */
#define AS_MEMATTR_AARCH64_INNER_ALLOC_IMPL	(2u << 2)
#define AS_MEMATTR_AARCH64_INNER_ALLOC_EXPL(w, r) \
	((3u << 2) | ((w) ? 1u : 0u) | ((r) ? 2u : 0u))
#define AS_MEMATTR_AARCH64_SH_MIDGARD_INNER	(0u << 4)
#define AS_MEMATTR_AARCH64_SH_CPU_INNER		(1u << 4)
#define AS_MEMATTR_AARCH64_SH_CPU_INNER_SHADER_COH (2u << 4)
#define AS_MEMATTR_AARCH64_SHARED		(0u << 6)
#define AS_MEMATTR_AARCH64_INNER_OUTER_NC	(1u << 6)
#define AS_MEMATTR_AARCH64_INNER_OUTER_WB	(2u << 6)
#define AS_MEMATTR_AARCH64_FAULT		(3u << 6)

#endif
