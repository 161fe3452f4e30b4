// SPDX-License-Identifier: MIT
/*
 * DOC: allocator table
 *
 * Every block carries a 16-byte header holding its size, so live bytes can
 * be counted without a side table and without asking the allocator. The
 * header keeps the returned pointer 16-byte aligned. Counting uses relaxed
 * atomics: the counters are read by tests after the threads they care about
 * have been joined.
 */
#include "u_alloc.h"
#include "u_fault.h"
#include "u_log.h"

#include <stdlib.h>
#include <string.h>

struct u_alloc_hdr {
	size_t size;
	size_t magic;
};

#define HDR_MAGIC 0x70616e746f6d696dull	/* "pantomim" */
#define HDR_DEAD  0xdeadbeefdeadbeefull

static void *libc_alloc(void *cookie, size_t size)
{
	(void)cookie;
	return malloc(size);
}

static void libc_free(void *cookie, void *ptr)
{
	(void)cookie;
	free(ptr);
}

static const struct u_allocator_ops libc_ops = {
	.alloc = libc_alloc,
	.free = libc_free,
};

static const struct u_allocator_ops *ops = &libc_ops;
static long live_blocks;
static long live_bytes;

static __thread int forbid_depth;
static __thread const char *forbid_why;

void u_alloc_set_ops(const struct u_allocator_ops *new_ops)
{
	/* A block from the old table freed through the new one would corrupt both. */
	if (u_alloc_live())
		u_panic("u_alloc_set_ops with %ld blocks still live", u_alloc_live());
	__atomic_store_n(&ops, new_ops ? new_ops : &libc_ops, __ATOMIC_RELEASE);
}

void u_alloc_forbid_begin(const char *why)
{
	if (forbid_depth++ == 0)
		forbid_why = why;
}

void u_alloc_forbid_end(void)
{
	U_ASSERT(forbid_depth > 0);
	forbid_depth--;
}

int u_alloc_forbidden(void)
{
	return forbid_depth;
}

void *u_malloc_site(size_t size, const char *site)
{
	const struct u_allocator_ops *o;
	struct u_alloc_hdr *h;

	if (unlikely(forbid_depth))
		u_panic("allocation of %zu bytes at %s inside a no-allocation section (%s)",
			size, site, forbid_why);
	if (u_fault_should_fail(site))
		return NULL;
	if (size > SIZE_MAX - sizeof(*h))
		return NULL;
	o = __atomic_load_n(&ops, __ATOMIC_ACQUIRE);
	h = o->alloc(o->cookie, sizeof(*h) + size);
	if (!h)
		return NULL;
	h->size = size;
	h->magic = HDR_MAGIC;
	__atomic_fetch_add(&live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&live_bytes, (long)size, __ATOMIC_RELAXED);
	return h + 1;
}

void *u_calloc_site(size_t n, size_t size, const char *site)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = u_malloc_site(n * size, site);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static struct u_alloc_hdr *hdr_of(void *ptr)
{
	struct u_alloc_hdr *h = (struct u_alloc_hdr *)ptr - 1;

	if (h->magic != HDR_MAGIC)
		u_panic("u_free/u_realloc of %p: not a live u_malloc block", ptr);
	return h;
}

void *u_realloc_site(void *ptr, size_t size, const char *site)
{
	struct u_alloc_hdr *h;
	void *n;

	if (!ptr)
		return u_malloc_site(size, site);
	h = hdr_of(ptr);
	n = u_malloc_site(size, site);
	if (!n)
		return NULL;
	memcpy(n, ptr, u_min(h->size, size));
	u_free(ptr);
	return n;
}

char *u_strdup_site(const char *s, const char *site)
{
	size_t len = strlen(s) + 1;
	char *d = u_malloc_site(len, site);

	if (d)
		memcpy(d, s, len);
	return d;
}

void u_free(void *ptr)
{
	const struct u_allocator_ops *o;
	struct u_alloc_hdr *h;

	if (!ptr)
		return;
	h = hdr_of(ptr);
	__atomic_fetch_sub(&live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&live_bytes, (long)h->size, __ATOMIC_RELAXED);
	h->magic = HDR_DEAD;
	o = __atomic_load_n(&ops, __ATOMIC_ACQUIRE);
	o->free(o->cookie, h);
}

long u_alloc_live(void)
{
	return __atomic_load_n(&live_blocks, __ATOMIC_RELAXED);
}

long u_alloc_live_bytes(void)
{
	return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED);
}
