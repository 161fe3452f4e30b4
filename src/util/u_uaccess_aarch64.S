/* SPDX-License-Identifier: MIT */
/*
 * AArch64 user-copy loops for u_uaccess.c (see its DOC comment).
 *
 * Same scheme as u_uaccess_x86_64.S: every user-memory access is emitted
 * through UA_EX, which records (instruction, fixup) as 32-bit self-relative
 * offsets in the exception table; the SIGSEGV/SIGBUS handler moves the PC
 * of a faulting listed instruction to its fixup and the code carries on
 * with the registers of the fault. A fault in a wide step (ldp/stp of 32
 * bytes, or 8 bytes) restarts that step byte by byte, so the copy stops
 * exactly at the first bad byte. (An unaligned store that straddles into a
 * read-only page may have written its first part before faulting; the byte
 * loop writes those bytes again with the same values.)
 *
 * Arguments (AAPCS64): x0, x1, x2; result in x0. Only caller-saved
 * scratch registers (x3-x6) are used.
 */

/*
 * Branch protection: when the C code is built with -mbranch-protection, mark
 * this object compatible (BTI landing pads at the entries), or the linker
 * would drop the marking of the whole library.
 */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define UA_BTI_C hint 34
#define UA_FEATURE_BTI 1
#else
#define UA_BTI_C
#define UA_FEATURE_BTI 0
#endif
#if defined(__ARM_FEATURE_PAC_DEFAULT) && __ARM_FEATURE_PAC_DEFAULT
#define UA_FEATURE_PAC 2
#else
#define UA_FEATURE_PAC 0
#endif
#if UA_FEATURE_BTI || UA_FEATURE_PAC
	.pushsection .note.gnu.property, "a"
	.balign 8
	.long 4, 16, 5		/* namesz, descsz, NT_GNU_PROPERTY_TYPE_0 */
	.asciz "GNU"
	.long 0xc0000000, 4	/* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
	.long UA_FEATURE_BTI | UA_FEATURE_PAC
	.long 0
	.popsection
#endif

	.section .rodata.u_uaccess_extable, "a"
	.balign 4
	.globl u_uaccess__extable_start
	.hidden u_uaccess__extable_start
u_uaccess__extable_start:
	.text

/* UA_EX fixup, insn - emit @insn and its exception table entry. */
.macro UA_EX fixup, insn:vararg
99:	\insn
	.pushsection .rodata.u_uaccess_extable, "a"
	.balign 4
	.long 99b - ., \fixup - .
	.popsection
.endm

/* LD - a user-memory access, listed only when @user = 1. */
.macro LD user, fixup, insn:vararg
	.if \user
	UA_EX \fixup, \insn
	.else
	\insn
	.endif
.endm

/*
 * UA_COPY name, user_src, user_dst - size_t name(void *dst, const void *src, size_t n)
 * returning the number of bytes not copied.
 */
.macro UA_COPY name, usrc, udst
	.globl \name
	.hidden \name
	.type \name, %function
	.p2align 4
\name:
	.cfi_startproc
	UA_BTI_C
	cmp	x2, #32
	b.lo	.L\name\()_8
.L\name\()_32:
	LD \usrc, .L\name\()_1, ldp x3, x4, [x1]
	LD \usrc, .L\name\()_1, ldp x5, x6, [x1, #16]
	LD \udst, .L\name\()_1, stp x3, x4, [x0]
	LD \udst, .L\name\()_1, stp x5, x6, [x0, #16]
	add	x1, x1, #32
	add	x0, x0, #32
	sub	x2, x2, #32
	cmp	x2, #32
	b.hs	.L\name\()_32
.L\name\()_8:
	cmp	x2, #8
	b.lo	.L\name\()_1
	LD \usrc, .L\name\()_1, ldr x3, [x1]
	LD \udst, .L\name\()_1, str x3, [x0]
	add	x1, x1, #8
	add	x0, x0, #8
	sub	x2, x2, #8
	b	.L\name\()_8
.L\name\()_1:
	cbz	x2, .L\name\()_done
	LD \usrc, .L\name\()_done, ldrb w3, [x1]
	LD \udst, .L\name\()_done, strb w3, [x0]
	add	x1, x1, #1
	add	x0, x0, #1
	sub	x2, x2, #1
	b	.L\name\()_1
.L\name\()_done:
	mov	x0, x2
	ret
	.cfi_endproc
	.size \name, . - \name
.endm

	.text
	UA_COPY u_uaccess__copy_from, 1, 0
	UA_COPY u_uaccess__copy_to, 0, 1

/* size_t u_uaccess__clear(void *udst, size_t n): bytes not cleared. */
	.globl u_uaccess__clear
	.hidden u_uaccess__clear
	.type u_uaccess__clear, %function
	.p2align 4
u_uaccess__clear:
	.cfi_startproc
	UA_BTI_C
.Lclear_8:
	cmp	x1, #8
	b.lo	.Lclear_1
	UA_EX .Lclear_1, str xzr, [x0]
	add	x0, x0, #8
	sub	x1, x1, #8
	b	.Lclear_8
.Lclear_1:
	cbz	x1, .Lclear_done
	UA_EX .Lclear_done, strb wzr, [x0]
	add	x0, x0, #1
	sub	x1, x1, #1
	b	.Lclear_1
.Lclear_done:
	mov	x0, x1
	ret
	.cfi_endproc
	.size u_uaccess__clear, . - u_uaccess__clear

/*
 * long u_uaccess__strncpy(char *dst, const char *usrc, size_t max):
 * the index of the NUL (copied too) if one is within @max bytes, @max if
 * none is, or -(i + 1) when reading byte i faulted.
 */
	.globl u_uaccess__strncpy
	.hidden u_uaccess__strncpy
	.type u_uaccess__strncpy, %function
	.p2align 4
u_uaccess__strncpy:
	.cfi_startproc
	UA_BTI_C
	mov	x3, #0
.Lstr_loop:
	cmp	x3, x2
	b.hs	.Lstr_nonul
	UA_EX .Lstr_fault, ldrb w4, [x1, x3]
	strb	w4, [x0, x3]
	cbz	w4, .Lstr_found
	add	x3, x3, #1
	b	.Lstr_loop
.Lstr_found:
	mov	x0, x3
	ret
.Lstr_nonul:
	mov	x0, x2
	ret
.Lstr_fault:
	mvn	x0, x3
	ret
	.cfi_endproc
	.size u_uaccess__strncpy, . - u_uaccess__strncpy

	.section .rodata.u_uaccess_extable, "a"
	.balign 4
	.globl u_uaccess__extable_end
	.hidden u_uaccess__extable_end
u_uaccess__extable_end:

	.section .note.GNU-stack, "", %progbits
