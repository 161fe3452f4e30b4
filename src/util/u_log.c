// SPDX-License-Identifier: MIT
/*
 * DOC: logging
 *
 * One line per call, formatted on the stack and emitted with a single
 * write(2) so that lines from concurrent threads do not interleave and so
 * that logging is safe in sections that may not allocate. The level is read
 * once from PANTOMIME_LOG at start-up.
 */
#include "u_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum u_log_level log_level = U_LOG_WARN;
/*
 * The sink and its cookie change together under sink_lock (writers) and are
 * used under it (readers), so a line never reaches one sink with another's
 * cookie, and u_log_set_sink() returns only once no line is in the old sink.
 * Without a sink (the normal case) no lock is taken.
 */
static pthread_rwlock_t sink_lock = PTHREAD_RWLOCK_INITIALIZER;
static u_log_sink_fn log_sink;
static void *log_sink_cookie;
static unsigned long warn_hits;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int u_log_parse_level(const char *s, enum u_log_level *out)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (!strcmp(s, level_names[i])) {
			*out = (enum u_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

__attribute__((constructor)) static void u_log_init_from_env(void)
{
	const char *env = getenv("PANTOMIME_LOG");
	enum u_log_level lvl;

	if (!env || !*env)
		return;
	if (u_log_parse_level(env, &lvl)) {
		u_log(U_LOG_ERROR, "log", "PANTOMIME_LOG=%s: expected error, warn, info or debug", env);
		return;
	}
	log_level = lvl;
}

void u_log_set_level(enum u_log_level level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

enum u_log_level u_log_get_level(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

void u_log_set_sink(u_log_sink_fn fn, void *cookie)
{
	pthread_rwlock_wrlock(&sink_lock);
	log_sink_cookie = cookie;
	__atomic_store_n(&log_sink, fn, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&sink_lock);
}

void u_vlog(enum u_log_level level, const char *module, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;
	u_log_sink_fn sink;

	if (level > u_log_get_level())
		return;
	n = snprintf(buf, sizeof(buf), "pantomime: %s: [%s] ", level_names[level], module);
	if (n < 0)
		return;
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);

	if (__atomic_load_n(&log_sink, __ATOMIC_ACQUIRE)) {
		pthread_rwlock_rdlock(&sink_lock);
		sink = log_sink;
		if (sink) {
			sink(log_sink_cookie, level, buf);
			pthread_rwlock_unlock(&sink_lock);
			return;
		}
		pthread_rwlock_unlock(&sink_lock);
	}
	n = (int)strlen(buf);
	if (n < (int)sizeof(buf) - 1)
		buf[n++] = '\n';
	else
		buf[n - 1] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

void u_log(enum u_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	u_vlog(level, module, fmt, ap);
	va_end(ap);
}

void u_panic(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, "pantomime: panic: ", 18) < 0 ||
	    write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nothing more can be done */
	}
	abort();
}

unsigned long u_warn_count(void)
{
	return __atomic_load_n(&warn_hits, __ATOMIC_RELAXED);
}

void u_log__warn_hit(const char *file, int line, const char *cond)
{
	__atomic_fetch_add(&warn_hits, 1, __ATOMIC_RELAXED);
	u_log(U_LOG_WARN, "warn", "%s:%d: WARN_ON(%s)", file, line, cond);
}
