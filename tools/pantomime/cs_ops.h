/* SPDX-License-Identifier: MIT */
/*
 * CSF command-stream opcodes and BRANCH conditions the stress job's streams
 * use (Mesa's genxml values, also in reference/clients.md §1.6). Only the
 * public headers are visible to tools/, so the numbers are repeated here.
 */
#ifndef PANTOMIME_TOOLS_CS_OPS_H
#define PANTOMIME_TOOLS_CS_OPS_H

#define HW_CS_OP_NOP			0x00
#define HW_CS_OP_MOVE48			0x01
#define HW_CS_OP_MOVE32			0x02
#define HW_CS_OP_WAIT			0x03
#define HW_CS_OP_ADD_IMMEDIATE32	0x10
#define HW_CS_OP_ADD_IMMEDIATE64	0x11
#define HW_CS_OP_LOAD_MULTIPLE		0x14
#define HW_CS_OP_STORE_MULTIPLE		0x15
#define HW_CS_OP_BRANCH			0x16
#define HW_CS_OP_CALL			0x20
#define HW_CS_OP_JUMP			0x21
#define HW_CS_OP_FLUSH_CACHE2		0x24
#define HW_CS_OP_SYNC_ADD32		0x25
#define HW_CS_OP_SYNC_SET32		0x26
#define HW_CS_OP_SYNC_WAIT32		0x27
#define HW_CS_OP_SYNC_ADD64		0x33
#define HW_CS_OP_SYNC_SET64		0x34
#define HW_CS_OP_SYNC_WAIT64		0x35

/* BRANCH conditions against 0. */
#define CS_COND_LEQUAL	0
#define CS_COND_GREATER	1
#define CS_COND_EQUAL	2
#define CS_COND_NEQUAL	3

#endif
