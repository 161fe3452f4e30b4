/* SPDX-License-Identifier: MIT */
/*
 * Atomic reference counts. An increment from zero or a decrement below zero
 * is a use-after-free in the caller and aborts with a message. So does an
 * increment past INT32_MAX: the kernel's refcount_t saturates there (leaking
 * the object rather than freeing it early); a model used to find bugs stops
 * and says so instead, since such a count can only come from a leak loop.
 */
#ifndef PANTOMIME_U_REFCOUNT_H
#define PANTOMIME_U_REFCOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include "u_log.h"

/**
 * struct u_refcount - an atomic reference count.
 * @v: the count; accessed only through the helpers below.
 */
struct u_refcount {
	int32_t v;
};

/** u_refcount_init() - set the count of a new object to @v. */
static inline void u_refcount_init(struct u_refcount *r, int32_t v)
{
	__atomic_store_n(&r->v, v, __ATOMIC_RELAXED);
}

/** u_refcount_read() - Return: the current count (a snapshot). */
static inline int32_t u_refcount_read(const struct u_refcount *r)
{
	return __atomic_load_n(&r->v, __ATOMIC_RELAXED);
}

/** u_refcount_get() - take a reference; the object must already hold one. */
static inline void u_refcount_get(struct u_refcount *r)
{
	int32_t old = __atomic_fetch_add(&r->v, 1, __ATOMIC_RELAXED);

	if (old <= 0)
		u_panic("refcount: get on a dead object (count was %d)", old);
	if (old == INT32_MAX)
		u_panic("refcount: overflow (count was %d)", old);
}

/** u_refcount_get_unless_zero() - take a reference unless the count already dropped to 0. Return: true if taken. */
static inline bool u_refcount_get_unless_zero(struct u_refcount *r)
{
	int32_t old = __atomic_load_n(&r->v, __ATOMIC_RELAXED);

	do {
		if (old == 0)
			return false;
		if (old < 0 || old == INT32_MAX)
			u_panic("refcount: get_unless_zero on a corrupt count (%d)", old);
	} while (!__atomic_compare_exchange_n(&r->v, &old, old + 1, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

/** u_refcount_put() - drop a reference. Return: true when it was the last one. */
static inline bool u_refcount_put(struct u_refcount *r)
{
	int32_t old = __atomic_fetch_sub(&r->v, 1, __ATOMIC_ACQ_REL);

	if (old <= 0)
		u_panic("refcount: put below zero (count was %d)", old);
	return old == 1;
}

#endif
