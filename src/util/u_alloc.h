/* SPDX-License-Identifier: MIT */
/*
 * The one allocator table every heap allocation in pantomime goes through.
 *
 * Each allocation is an allocation point for the fault injector (u_fault.h)
 * and is counted, so a test can assert that an operation left nothing behind
 * (u_alloc_live()). The table itself can be replaced (a test allocator, a
 * pool), and a thread can forbid allocation for a section of code: the
 * execute half of a fence-signalling operation must consume what its prepare
 * half reserved, and any allocation inside such a section aborts.
 */
#ifndef PANTOMIME_U_ALLOC_H
#define PANTOMIME_U_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct u_allocator_ops - the replaceable allocator behind u_malloc().
 * @alloc: return @size bytes aligned to 16, or NULL. Called from any thread.
 * @free: release a block returned by @alloc (never NULL).
 * @cookie: passed back to both.
 */
struct u_allocator_ops {
	void *(*alloc)(void *cookie, size_t size);
	void (*free)(void *cookie, void *ptr);
	void *cookie;
};

/**
 * u_alloc_set_ops() - install @ops (NULL restores libc). Only while nothing
 * allocated through the previous table is still live.
 */
void u_alloc_set_ops(const struct u_allocator_ops *ops);

/**
 * u_malloc_site() - allocate @size bytes.
 * @size: bytes; 0 is allowed and returns a unique pointer.
 * @site: allocation site name for the fault injector and diagnostics.
 *
 * Return: the block (16-byte aligned), or NULL when the allocator or the
 * fault injector refused. Callers turn NULL into -ENOMEM.
 */
void *u_malloc_site(size_t size, const char *site);
/** u_calloc_site() - as u_malloc_site() for @n * @size zeroed bytes; NULL on overflow too. */
void *u_calloc_site(size_t n, size_t size, const char *site);
/**
 * u_realloc_site() - resize @ptr to @size bytes, preserving contents.
 * Return: the new block, or NULL with @ptr untouched and still owned by the caller.
 */
void *u_realloc_site(void *ptr, size_t size, const char *site);
/** u_strdup_site() - copy of the NUL-terminated @s, or NULL. */
char *u_strdup_site(const char *s, const char *site);
/** u_free() - release a block from this table; NULL is a no-op. */
void u_free(void *ptr);

#define u_malloc(size)       u_malloc_site((size), __func__)
#define u_calloc(n, size)    u_calloc_site((n), (size), __func__)
#define u_zalloc(size)       u_calloc_site(1, (size), __func__)
#define u_realloc(ptr, size) u_realloc_site((ptr), (size), __func__)
#define u_strdup(s)          u_strdup_site((s), __func__)

/** u_alloc_live() - Return: blocks allocated and not yet freed, process-wide. */
long u_alloc_live(void);
/** u_alloc_live_bytes() - Return: bytes in those blocks. */
long u_alloc_live_bytes(void);

/**
 * u_alloc_forbid_begin() - from now until the matching end, any allocation
 * on this thread aborts with @why and the site. Sections nest.
 */
void u_alloc_forbid_begin(const char *why);
/** u_alloc_forbid_end() - close the innermost forbidden section. */
void u_alloc_forbid_end(void);
/** u_alloc_forbidden() - Return: non-zero while this thread is inside a forbidden section. */
int u_alloc_forbidden(void);

#endif
