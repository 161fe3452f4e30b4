/* SPDX-License-Identifier: MIT */
/*
 * TEMPORARY no-op lockdep, so that the test harness links while the real
 * u_lockdep.c is being written on another branch. Every check passes, no
 * report is ever made. Delete this file (and its line in meson.build) once
 * u_lockdep.c lands.
 */
#include "u_lockdep.h"

static bool stub_enabled;

void u_lockdep_acquire(struct u_lock_class *cls, const void *lock, int flags,
		       struct u_ww_acquire_ctx *ctx) {}
void u_lockdep_check_acquire(struct u_lock_class *cls, const void *lock, int flags,
			     struct u_ww_acquire_ctx *ctx) {}
void u_lockdep_release(struct u_lock_class *cls, const void *lock) {}
void u_lockdep_report_ww(const char *what, struct u_lock_class *cls, const void *lock) {}
int u_lockdep_held_count(void) { return 0; }
void u_lockdep_assert_none_held(const char *where) {}
void u_fs_reclaim_acquire(void) {}
void u_fs_reclaim_release(void) {}
void u_might_reclaim(void) {}
bool u_in_reclaim(void) { return false; }
void u_lockdep_set_enabled(bool on) { stub_enabled = on; }
bool u_lockdep_enabled(void) { return stub_enabled; }
void u_lockdep_set_abort(bool on) {}
unsigned long u_lockdep_reports(void) { return 0; }
void u_lockdep_reset(void) {}
