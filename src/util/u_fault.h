/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for every allocation point of the project: heap
 * allocations through u_alloc.h and physical frames through src/mm both ask
 * u_fault_should_fail() before they allocate, so one counter numbers every
 * allocation an operation makes.
 *
 * Modes (one at a time):
 *   - nth:    fail the Nth allocation point counted since the mode was set;
 *             "transient" fails only that one, "persistent" fails it and
 *             every later one.
 *   - site:   fail every allocation at the named site(s) (the allocating
 *             function's name, or the name src/mm gives a frame allocation).
 *   - random: fail each allocation with probability p, from a seeded
 *             generator, so a run is reproducible.
 *
 * PANTOMIME_FAULT configures it at start-up with the spec of
 * u_fault_configure(), e.g. "nth=5", "nth=5,persistent", "site=pgtable_alloc_table",
 * "random=0.01,seed=42", "random" (p = 0.001) or "off".
 */
#ifndef PANTOMIME_U_FAULT_H
#define PANTOMIME_U_FAULT_H

#include <stdbool.h>
#include <stdint.h>

/**
 * enum u_fault_mode - what the injector fails.
 * @U_FAULT_OFF: nothing (counting still happens).
 * @U_FAULT_NTH: the Nth allocation point (and all later ones when persistent).
 * @U_FAULT_SITE: every allocation at one of the configured sites.
 * @U_FAULT_RANDOM: each allocation with a fixed probability.
 */
enum u_fault_mode {
	U_FAULT_OFF,
	U_FAULT_NTH,
	U_FAULT_SITE,
	U_FAULT_RANDOM,
};

/**
 * u_fault_configure() - set the mode from a text spec (the PANTOMIME_FAULT syntax).
 * @spec: comma-separated terms: "off", "nth=N", "persistent", "transient",
 *        "site=NAME" (up to 8), "random[=P]", "seed=S".
 *
 * Return: 0, or -EINVAL with a logged message naming the bad term (the
 * previous configuration is kept).
 */
int u_fault_configure(const char *spec);

/** u_fault_set_nth() - fail allocation point @n (1-based) from now; @persistent fails every later one too. */
void u_fault_set_nth(unsigned long n, bool persistent);
/** u_fault_set_site() - fail every allocation at @site (replaces the site list). */
void u_fault_set_site(const char *site);
/** u_fault_set_random() - fail each allocation with probability @p using seed @seed. */
void u_fault_set_random(double p, uint64_t seed);
/** u_fault_disable() - stop injecting; counting continues. */
void u_fault_disable(void);

/**
 * u_fault_should_fail() - count one allocation point and decide its fate.
 * @site: the allocation site's name (not NULL).
 *
 * Return: true when this allocation must fail with -ENOMEM.
 */
bool u_fault_should_fail(const char *site);

/** u_fault_mode() - Return: the current mode. */
enum u_fault_mode u_fault_mode(void);
/** u_fault_points() - Return: allocation points counted since the last mode change or reset. */
unsigned long u_fault_points(void);
/** u_fault_injected() - Return: failures injected since the last mode change or reset. */
unsigned long u_fault_injected(void);
/** u_fault_reset_counters() - zero both counters (the mode stays). */
void u_fault_reset_counters(void);

#endif
