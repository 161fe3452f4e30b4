/* SPDX-License-Identifier: MIT */
/*
 * The hw and sched suites assemble their command streams with the stress
 * job's assembler (tools/pantomime/cs.h): Mesa's CSF genxml field layouts
 * with its own opcode table (tools/pantomime/cs_ops.h), written apart from
 * the model's decoder (src/hw/hw_cs.c, hw_regs.h), so that a test of one
 * checks the other. test_hw_cs.c also checks it against the words
 * reference/clients.md §1.6 computed for IGT's group_submit stream.
 */
#ifndef PANTOMIME_TESTS_HW_CS_ASM_H
#define PANTOMIME_TESTS_HW_CS_ASM_H

#include "../../tools/pantomime/cs.h"
#include "hw/hw_regs.h"	/* the model's names, for what tests check against */

#endif
