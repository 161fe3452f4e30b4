/* SPDX-License-Identifier: MIT */
/*
 * x86-64 user-copy loops for u_uaccess.c (see its DOC comment).
 *
 * Every instruction that touches user memory is emitted through UA_EX,
 * which records (instruction, fixup) as two 32-bit self-relative offsets in
 * the exception table section. The SIGSEGV/SIGBUS handler moves the PC of a
 * faulting listed instruction to its fixup; the rest of the register state
 * is the one at the fault, so the fixup code simply carries on. Driver-side
 * accesses are not listed: a bad driver pointer still crashes.
 *
 * A fault in a wide (8- or 32-byte) step falls back to the byte loop from
 * the start of that step, so the copy stops exactly at the first bad byte
 * and returns the number of bytes not copied. Bytes a faulting step had
 * already stored are stored again with the same values.
 *
 * Arguments (System V): rdi, rsi, rdx; result in rax.
 */

/*
 * Control-flow protection: when the C code is built with -fcf-protection,
 * mark this object IBT/SHSTK compatible (endbr64 at the entries), or the
 * linker would drop the marking of the whole library. A fixup is reached
 * by sigreturn, not by a branch, so it needs no landing pad.
 */
#if defined(__CET__)
#define UA_ENDBR endbr64
	.pushsection .note.gnu.property, "a"
	.balign 8
	.long 4, 16, 5		/* namesz, descsz, NT_GNU_PROPERTY_TYPE_0 */
	.asciz "GNU"
	.long 0xc0000002, 4	/* GNU_PROPERTY_X86_FEATURE_1_AND */
	.long __CET__		/* 1 IBT, 2 SHSTK: as the compiler was told */
	.long 0
	.popsection
#else
#define UA_ENDBR
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

/* LD/ST - a load or store, listed only when it is the user side (@user = 1). */
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
	.type \name, @function
	.p2align 4
\name:
	.cfi_startproc
	UA_ENDBR
	cmp	$32, %rdx
	jb	.L\name\()_8
.L\name\()_32:
	LD \usrc, .L\name\()_1, mov 0(%rsi), %r8
	LD \usrc, .L\name\()_1, mov 8(%rsi), %r9
	LD \usrc, .L\name\()_1, mov 16(%rsi), %r10
	LD \usrc, .L\name\()_1, mov 24(%rsi), %r11
	LD \udst, .L\name\()_1, mov %r8, 0(%rdi)
	LD \udst, .L\name\()_1, mov %r9, 8(%rdi)
	LD \udst, .L\name\()_1, mov %r10, 16(%rdi)
	LD \udst, .L\name\()_1, mov %r11, 24(%rdi)
	add	$32, %rsi
	add	$32, %rdi
	sub	$32, %rdx
	cmp	$32, %rdx
	jae	.L\name\()_32
.L\name\()_8:
	cmp	$8, %rdx
	jb	.L\name\()_1
	LD \usrc, .L\name\()_1, mov (%rsi), %r8
	LD \udst, .L\name\()_1, mov %r8, (%rdi)
	add	$8, %rsi
	add	$8, %rdi
	sub	$8, %rdx
	jmp	.L\name\()_8
.L\name\()_1:
	test	%rdx, %rdx
	jz	.L\name\()_done
	LD \usrc, .L\name\()_done, movzbl (%rsi), %r8d
	LD \udst, .L\name\()_done, movb %r8b, (%rdi)
	inc	%rsi
	inc	%rdi
	dec	%rdx
	jmp	.L\name\()_1
.L\name\()_done:
	mov	%rdx, %rax
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
	.type u_uaccess__clear, @function
	.p2align 4
u_uaccess__clear:
	.cfi_startproc
	UA_ENDBR
	mov	%rsi, %rdx
	xor	%eax, %eax
.Lclear_8:
	cmp	$8, %rdx
	jb	.Lclear_1
	UA_EX .Lclear_1, mov %rax, (%rdi)
	add	$8, %rdi
	sub	$8, %rdx
	jmp	.Lclear_8
.Lclear_1:
	test	%rdx, %rdx
	jz	.Lclear_done
	UA_EX .Lclear_done, movb %al, (%rdi)
	inc	%rdi
	dec	%rdx
	jmp	.Lclear_1
.Lclear_done:
	mov	%rdx, %rax
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
	.type u_uaccess__strncpy, @function
	.p2align 4
u_uaccess__strncpy:
	.cfi_startproc
	UA_ENDBR
	xor	%ecx, %ecx
.Lstr_loop:
	cmp	%rdx, %rcx
	jae	.Lstr_nonul
	UA_EX .Lstr_fault, movzbl (%rsi,%rcx), %eax
	movb	%al, (%rdi,%rcx)
	test	%al, %al
	jz	.Lstr_found
	inc	%rcx
	jmp	.Lstr_loop
.Lstr_found:
	mov	%rcx, %rax
	ret
.Lstr_nonul:
	mov	%rdx, %rax
	ret
.Lstr_fault:
	mov	%rcx, %rax
	not	%rax
	ret
	.cfi_endproc
	.size u_uaccess__strncpy, . - u_uaccess__strncpy

	.section .rodata.u_uaccess_extable, "a"
	.balign 4
	.globl u_uaccess__extable_end
	.hidden u_uaccess__extable_end
u_uaccess__extable_end:

	.section .note.GNU-stack, "", @progbits
