// SPDX-License-Identifier: MIT
/*
 * TEMPORARY: no-op lockdep so the util tests link until src/util/u_lockdep.c
 * lands from the wt-lockdep branch. Removed again before this branch merges.
 */
#include "u_lockdep.h"

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
void u_lockdep_set_enabled(bool on) {}
bool u_lockdep_enabled(void) { return false; }
void u_lockdep_set_abort(bool on) {}
unsigned long u_lockdep_reports(void) { return 0; }
void u_lockdep_reset(void) {}
