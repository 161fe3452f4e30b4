/* SPDX-License-Identifier: MIT */
/*
 * Project-wide convention for functions that return a pointer or an error:
 * the error is a negative errno encoded in the top 4095 values of the pointer
 * space, as in the kernel's ERR_PTR(). A function documented as returning
 * "a pointer or ERR_PTR(-errno)" never returns NULL.
 */
#ifndef PANTOMIME_U_ERR_H
#define PANTOMIME_U_ERR_H

#include <stdint.h>
#include <stdbool.h>

#define U_MAX_ERRNO 4095

static inline void *ERR_PTR(long err)
{
	return (void *)(intptr_t)err;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)(intptr_t)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return (uintptr_t)ptr >= (uintptr_t)-U_MAX_ERRNO;
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

#endif
