/* SPDX-License-Identifier: MIT */
/*
 * Fault-recovering copies between the driver and "user" memory, the
 * equivalent of the kernel's copy_from_user() family: a bad user pointer
 * (NULL, wild, unmapped, PROT_NONE, read-only for a write) gives -EFAULT
 * instead of a crash. The design (hand-written copy loops, an exception
 * table of faulting instruction -> fixup, one SIGSEGV/SIGBUS handler that
 * redirects the PC) is described in the DOC comment of u_uaccess.c.
 *
 * All functions are thread-safe and async-signal-safe once initialised;
 * the first call initialises (installs the handler) if u_uaccess_init()
 * was not called before.
 */
#ifndef PANTOMIME_U_UACCESS_H
#define PANTOMIME_U_UACCESS_H

#include <signal.h>
#include <stddef.h>

/**
 * u_copy_from_user() - copy @n bytes from user memory @usrc to @dst.
 * @dst: driver memory, at least @n bytes (always valid).
 * @usrc: user pointer; may be anything.
 * @n: byte count; 0 copies nothing and succeeds whatever @usrc is.
 *
 * On a fault, every byte before the first unreadable one has been copied to
 * @dst and nothing after it has been written.
 *
 * Return: 0 when all @n bytes were copied, -EFAULT otherwise (a partial copy
 * is never reported as success; a range that wraps the address space is
 * -EFAULT without touching anything).
 */
int u_copy_from_user(void *dst, const void *usrc, size_t n);

/**
 * u_copy_to_user() - copy @n bytes from @src to user memory @udst.
 * @udst: user pointer; may be anything, including a read-only page.
 * @src: driver memory, at least @n bytes.
 * @n: byte count; 0 succeeds whatever @udst is.
 *
 * On a fault, the user bytes before the first unwritable one have been
 * written; nothing after it has been.
 *
 * Return: 0 when all @n bytes were written, -EFAULT otherwise.
 */
int u_copy_to_user(void *udst, const void *src, size_t n);

/**
 * u_clear_user() - zero @n bytes of user memory at @udst.
 * @udst: user pointer.
 * @n: byte count.
 *
 * Return: 0, or -EFAULT if any byte could not be written (those before it were).
 */
int u_clear_user(void *udst, size_t n);

/**
 * u_strncpy_from_user() - copy a NUL-terminated user string into @dst.
 * @dst: driver buffer of at least @max bytes.
 * @usrc: user pointer to the string.
 * @max: size of @dst, counting the terminating NUL.
 *
 * Reads at most @max bytes of @usrc, stopping at the first NUL, so a string
 * that ends just before an unmapped page is fine.
 *
 * Return: the string's length (0..@max-1) with @dst holding it and its NUL;
 * -EFAULT if a byte before the NUL (within @max) could not be read;
 * -E2BIG if the first @max bytes hold no NUL (also for @max == 0).
 * On either error @dst holds the bytes read, truncated with a NUL at the
 * last position written (when @max > 0), never a valid-looking result.
 */
long u_strncpy_from_user(char *dst, const char *usrc, size_t max);

/**
 * u_uaccess_init() - install the fault handler now (idempotent, thread-safe).
 *
 * Calling it early (from a constructor) puts the handler in front of any
 * handler the program installs later through the libc sigaction() that
 * u_uaccess_set_real_sigaction() names; u_copy_*() call it themselves.
 *
 * Return: 0, or a negative errno if sigaction() failed (copies then crash on
 * a bad pointer as a plain memcpy would).
 */
int u_uaccess_init(void);

/**
 * typedef u_sigaction_fn - the signature of sigaction(2).
 * @sig: signal number.
 * @act: new action or NULL.
 * @old: where to store the previous action, or NULL.
 */
typedef int (*u_sigaction_fn)(int sig, const struct sigaction *act, struct sigaction *old);

/**
 * u_uaccess_set_real_sigaction() - the sigaction() to install the handler with.
 * @fn: the libc function (an LD_PRELOAD library that interposes sigaction()
 *      passes the next definition, so its own wrapper does not capture the
 *      install). NULL restores the default (the sigaction symbol).
 *
 * Only before u_uaccess_init() has run.
 */
void u_uaccess_set_real_sigaction(u_sigaction_fn fn);

/**
 * u_uaccess_sigaction() - virtualise the program's SIGSEGV/SIGBUS action.
 * @sig: signal number.
 * @act: the action the program asks for, or NULL to query.
 * @old: receives the action the program would see as current, or NULL.
 *
 * For an interposed sigaction(): once the handler is installed, SIGSEGV and
 * SIGBUS actions set by the program are not given to the kernel but stored
 * as the handler the uaccess handler chains to for faults that are not in a
 * user copy, so a program that installs its own crash handler after start-up
 * (IGT does) does not turn an EFAULT into a crash.
 *
 * Return: 1 if @sig was handled here (the result is in @old), 0 if the caller
 * must forward the call to the real sigaction(), -EINVAL for bad flags.
 */
int u_uaccess_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/**
 * u_uaccess_faults() - Return: the number of faults recovered so far (for tests and stats).
 */
unsigned long u_uaccess_faults(void);

#endif
