// SPDX-License-Identifier: MIT
/*
 * DOC: fault injection
 *
 * The injector is global to the process, like the kernel's fail_page_alloc:
 * an allocation point anywhere (heap or physical frame) takes one tick of a
 * single atomic counter. Tests drive it in a loop (fail point 1, then 2, ...)
 * until the operation under test succeeds; each failing run must return
 * -ENOMEM and leave nothing behind.
 *
 * The fast path when the mode is OFF is one relaxed load and one atomic
 * increment. Site names are compared with strcmp only in SITE mode.
 *
 * Threads other than the configuring one (the background reclaimer, the
 * CPU-fault thread) allocate concurrently: the scalar settings are atomics
 * published by the release store of the mode. The site list is written
 * before that store too; changing it while another thread is comparing
 * against it (reconfiguring SITE mode under load) is not supported.
 */
#include "u_fault.h"
#include "u_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SITES 8
#define SITE_LEN 64

static struct {
	enum u_fault_mode mode;
	unsigned long nth;
	bool persistent;
	char sites[MAX_SITES][SITE_LEN];
	unsigned int nr_sites;
	uint64_t threshold;	/* random: fail when next() < threshold */
	uint64_t state;		/* random: generator state */
	unsigned long points;
	unsigned long injected;
} fi;

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void set_mode(enum u_fault_mode mode)
{
	__atomic_store_n(&fi.points, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fi.injected, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fi.mode, mode, __ATOMIC_RELEASE);
}

void u_fault_set_nth(unsigned long n, bool persistent)
{
	/*
	 * Relaxed stores, published by set_mode()'s release store of the mode:
	 * allocating threads (reclaimers, fault handlers) read them concurrently.
	 */
	__atomic_store_n(&fi.nth, n, __ATOMIC_RELAXED);
	__atomic_store_n(&fi.persistent, persistent, __ATOMIC_RELAXED);
	set_mode(n ? U_FAULT_NTH : U_FAULT_OFF);
}

void u_fault_set_site(const char *site)
{
	strncpy(fi.sites[0], site, SITE_LEN - 1);
	fi.sites[0][SITE_LEN - 1] = '\0';
	fi.nr_sites = 1;
	set_mode(U_FAULT_SITE);
}

static uint64_t prob_to_threshold(double p)
{
	if (p <= 0.0)
		return 0;
	if (p >= 1.0)
		return UINT64_MAX;
	return (uint64_t)(p * 18446744073709551616.0);
}

void u_fault_set_random(double p, uint64_t seed)
{
	__atomic_store_n(&fi.threshold, prob_to_threshold(p), __ATOMIC_RELAXED);
	__atomic_store_n(&fi.state, seed, __ATOMIC_RELAXED);
	set_mode(U_FAULT_RANDOM);
}

void u_fault_disable(void)
{
	set_mode(U_FAULT_OFF);
}

enum u_fault_mode u_fault_mode(void)
{
	return __atomic_load_n(&fi.mode, __ATOMIC_ACQUIRE);
}

unsigned long u_fault_points(void)
{
	return __atomic_load_n(&fi.points, __ATOMIC_RELAXED);
}

unsigned long u_fault_injected(void)
{
	return __atomic_load_n(&fi.injected, __ATOMIC_RELAXED);
}

void u_fault_reset_counters(void)
{
	__atomic_store_n(&fi.points, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fi.injected, 0, __ATOMIC_RELAXED);
}

static bool random_hit(void)
{
	uint64_t old = __atomic_load_n(&fi.state, __ATOMIC_RELAXED);
	uint64_t s, v;

	/* A CAS loop keeps the sequence reproducible for one thread and race-free for many. */
	do {
		s = old;
		v = splitmix64(&s);
	} while (!__atomic_compare_exchange_n(&fi.state, &old, s, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return v < __atomic_load_n(&fi.threshold, __ATOMIC_RELAXED);
}

bool u_fault_should_fail(const char *site)
{
	enum u_fault_mode mode = __atomic_load_n(&fi.mode, __ATOMIC_ACQUIRE);
	unsigned long n = __atomic_add_fetch(&fi.points, 1, __ATOMIC_RELAXED);
	bool fail = false;

	switch (mode) {
	case U_FAULT_OFF:
		return false;
	case U_FAULT_NTH: {
		unsigned long nth = __atomic_load_n(&fi.nth, __ATOMIC_RELAXED);

		fail = n == nth || (__atomic_load_n(&fi.persistent, __ATOMIC_RELAXED) && n > nth);
		break;
	}
	case U_FAULT_SITE:
		for (unsigned int i = 0; i < fi.nr_sites && !fail; i++)
			fail = !strcmp(site, fi.sites[i]);
		break;
	case U_FAULT_RANDOM:
		fail = random_hit();
		break;
	}
	if (fail) {
		__atomic_fetch_add(&fi.injected, 1, __ATOMIC_RELAXED);
		u_dbg("fault", "injected allocation failure #%lu at %s (point %lu)",
		      u_fault_injected(), site, n);
	}
	return fail;
}

static int parse_ulong(const char *val, unsigned long *out)
{
	char *end;

	/* strtoul() would accept "-1" and wrap it to ULONG_MAX. */
	if (!val || !*val || *val == '-' || *val == '+' || *val == ' ')
		return -EINVAL;
	errno = 0;
	/* Decimal, or hex with 0x; never octal ("nth=010" is the tenth point). */
	if (val[0] == '0' && (val[1] == 'x' || val[1] == 'X'))
		*out = strtoul(val + 2, &end, 16);
	else
		*out = strtoul(val, &end, 10);
	return (errno || *end || end == val) ? -EINVAL : 0;
}

int u_fault_configure(const char *spec)
{
	char buf[512];
	char sites[MAX_SITES][SITE_LEN];
	unsigned int nr_sites = 0;
	enum u_fault_mode mode = U_FAULT_OFF;
	unsigned long nth = 0, seed = 1;
	bool persistent = false, any = false;
	double p = 0.001;
	char *save = NULL, *tok;

	if (!spec || strlen(spec) >= sizeof(buf)) {
		u_err("fault", "fault spec missing or longer than %zu bytes", sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *val = strchr(tok, '=');

		if (val)
			*val++ = '\0';
		any = true;
		if (!strcmp(tok, "off") && !val) {
			mode = U_FAULT_OFF;
		} else if (!strcmp(tok, "nth")) {
			if (parse_ulong(val, &nth) || nth == 0)
				goto bad;
			mode = U_FAULT_NTH;
		} else if (!strcmp(tok, "persistent") && !val) {
			persistent = true;
		} else if (!strcmp(tok, "transient") && !val) {
			persistent = false;
		} else if (!strcmp(tok, "site")) {
			if (!val || !*val || strlen(val) >= SITE_LEN || nr_sites == MAX_SITES)
				goto bad;
			strcpy(sites[nr_sites++], val);
			mode = U_FAULT_SITE;
		} else if (!strcmp(tok, "random")) {
			if (val) {
				char *end;

				p = strtod(val, &end);
				if (end == val || *end || !(p >= 0.0 && p <= 1.0))
					goto bad;
			}
			mode = U_FAULT_RANDOM;
		} else if (!strcmp(tok, "seed")) {
			if (parse_ulong(val, &seed))
				goto bad;
		} else {
			goto bad;
		}
		continue;
bad:
		u_err("fault", "bad fault spec term '%s%s%s' in '%s' (expected off, nth=N, persistent, transient, site=NAME, random[=P], seed=S)",
		      tok, val ? "=" : "", val ? val : "", spec);
		return -EINVAL;
	}
	if (!any) {
		u_err("fault", "empty fault spec");
		return -EINVAL;
	}

	switch (mode) {
	case U_FAULT_OFF:
		u_fault_disable();
		break;
	case U_FAULT_NTH:
		u_fault_set_nth(nth, persistent);
		break;
	case U_FAULT_SITE:
		memcpy(fi.sites, sites, sizeof(sites));
		fi.nr_sites = nr_sites;
		set_mode(U_FAULT_SITE);
		break;
	case U_FAULT_RANDOM:
		u_fault_set_random(p, seed);
		break;
	}
	return 0;
}

__attribute__((constructor)) static void u_fault_init_from_env(void)
{
	const char *env = getenv("PANTOMIME_FAULT");

	if (env && *env && u_fault_configure(env))
		u_err("fault", "ignoring PANTOMIME_FAULT");
}
