/* TEMPORARY: no-op lockdep and plain mutexes until src/util/u_lockdep.c lands; removed then. */
#include "u_lock.h"
#include <errno.h>
static __thread int in_reclaim;
void u_lockdep_acquire(struct u_lock_class *cls, const void *lock, int flags, struct u_ww_acquire_ctx *ctx) {}
void u_lockdep_check_acquire(struct u_lock_class *cls, const void *lock, int flags, struct u_ww_acquire_ctx *ctx) {}
void u_lockdep_release(struct u_lock_class *cls, const void *lock) {}
void u_lockdep_report_ww(const char *what, struct u_lock_class *cls, const void *lock) {}
int u_lockdep_held_count(void) { return 0; }
void u_lockdep_assert_none_held(const char *where) {}
void u_fs_reclaim_acquire(void) { in_reclaim++; }
void u_fs_reclaim_release(void) { in_reclaim--; }
void u_might_reclaim(void) {}
bool u_in_reclaim(void) { return in_reclaim; }
void u_lockdep_set_enabled(bool on) {}
bool u_lockdep_enabled(void) { return false; }
void u_lockdep_set_abort(bool on) {}
unsigned long u_lockdep_reports(void) { return 0; }
void u_lockdep_reset(void) {}
void u_mutex_init(struct u_mutex *m, struct u_lock_class *cls) { pthread_mutex_init(&m->m, NULL); }
void u_mutex_fini(struct u_mutex *m) { pthread_mutex_destroy(&m->m); }
void u_mutex_lock(struct u_mutex *m) { pthread_mutex_lock(&m->m); }
void u_mutex_unlock(struct u_mutex *m) { pthread_mutex_unlock(&m->m); }
