/* SPDX-License-Identifier: MIT */
/*
 * Logging with levels. Messages are formatted into a stack buffer and written
 * with one write(2), so logging never allocates and may be used anywhere,
 * including inside fence-signalling sections and the hardware model.
 *
 * The level comes from PANTOMIME_LOG (error, warn, info, debug; default warn)
 * or u_log_set_level(). A sink can replace stderr (tests capture messages).
 */
#ifndef PANTOMIME_U_LOG_H
#define PANTOMIME_U_LOG_H

#include <stdarg.h>
#include "u_compiler.h"

/**
 * enum u_log_level - message severity, most severe first.
 * @U_LOG_ERROR: something failed and the caller is told.
 * @U_LOG_WARN: unexpected but handled (a WARN_ON in kernel terms).
 * @U_LOG_INFO: one-off facts a user may want (configuration, fallbacks).
 * @U_LOG_DEBUG: high-volume detail.
 */
enum u_log_level {
	U_LOG_ERROR = 0,
	U_LOG_WARN = 1,
	U_LOG_INFO = 2,
	U_LOG_DEBUG = 3,
};

/**
 * typedef u_log_sink_fn - replacement destination for log lines.
 * @cookie: the pointer given to u_log_set_sink().
 * @level: the message's level.
 * @line: the formatted line, NUL-terminated, without a trailing newline.
 */
typedef void (*u_log_sink_fn)(void *cookie, enum u_log_level level, const char *line);

/** u_log_set_level() - set the most verbose level printed. */
void u_log_set_level(enum u_log_level level);
/** u_log_get_level() - Return: the current level. */
enum u_log_level u_log_get_level(void);
/**
 * u_log_parse_level() - parse "error", "warn", "info" or "debug".
 * Return: 0 and *@out set, or -EINVAL for any other string.
 */
int u_log_parse_level(const char *s, enum u_log_level *out);
/** u_log_set_sink() - send lines to @fn instead of stderr; NULL restores stderr. */
void u_log_set_sink(u_log_sink_fn fn, void *cookie);

/**
 * u_log() - log one line if @level is enabled.
 * @level: severity.
 * @module: short module name printed in brackets ("mm", "pgtable").
 * @fmt: printf format.
 */
void u_log(enum u_log_level level, const char *module, const char *fmt, ...) U_PRINTF(3, 4);
/** u_vlog() - u_log() with a va_list. */
void u_vlog(enum u_log_level level, const char *module, const char *fmt, va_list ap);

/** u_panic() - print the message and abort: an internal impossibility, never a user error. */
U_NORETURN void u_panic(const char *fmt, ...) U_PRINTF(1, 2);

/** u_warn_count() - Return: the number of U_WARN_ON() conditions hit since start-up. */
unsigned long u_warn_count(void);
void u_log__warn_hit(const char *file, int line, const char *cond);

/**
 * U_WARN_ON() - log a warning with its location when @cond is true.
 * Return: the value of @cond, so it can guard an early return as in the kernel.
 */
#define U_WARN_ON(cond) ({                                              \
	bool _c = !!(cond);                                             \
	if (unlikely(_c))                                               \
		u_log__warn_hit(__FILE__, __LINE__, #cond);             \
	_c;                                                             \
})

#define u_err(mod, ...)   u_log(U_LOG_ERROR, mod, __VA_ARGS__)
#define u_warn(mod, ...)  u_log(U_LOG_WARN, mod, __VA_ARGS__)
#define u_info(mod, ...)  u_log(U_LOG_INFO, mod, __VA_ARGS__)
#define u_dbg(mod, ...)   u_log(U_LOG_DEBUG, mod, __VA_ARGS__)

/** U_ASSERT() - abort on an internal impossibility (kept in release builds). */
#define U_ASSERT(cond) do {                                                     \
	if (unlikely(!(cond)))                                                  \
		u_panic("%s:%d: assertion failed: %s", __FILE__, __LINE__, #cond); \
} while (0)

#endif
