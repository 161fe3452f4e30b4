/* SPDX-License-Identifier: MIT */
/*
 * The test harness: registered tests with hierarchical names, typed asserts
 * that print both sides, TAP output (so meson and .ci/run count every case),
 * exit code 77 for "everything skipped", and the fault-injection loop.
 *
 * A test binary is a set of T_TEST() functions; `binary [FILTER...]` runs
 * those whose name contains one of the filters (all by default).
 */
#ifndef PANTOMIME_T_HARNESS_H
#define PANTOMIME_T_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef void (*t_test_fn)(void);

/** t_register() - add test @fn under @name (T_TEST() calls it from a constructor). */
void t_register(const char *name, t_test_fn fn);

/** typedef t_test_arg_fn - a test function that takes the argument it was registered with. */
typedef void (*t_test_arg_fn)(const void *arg);

/**
 * t_register_arg() - add test @fn under @name, called with @arg: how a
 * table-driven file registers one case per row (from a constructor).
 * @name: the case's name; must outlive the run (a string literal or table field).
 * @fn: the test function.
 * @arg: passed to @fn.
 */
void t_register_arg(const char *name, t_test_arg_fn fn, const void *arg);

/**
 * T_TEST() - define test function @fn registered under @name ("mm/buddy/merge").
 */
#define T_TEST(fn, name)                                                     \
	static void fn(void);                                                \
	__attribute__((constructor)) static void t__reg_##fn(void)           \
	{ t_register(name, fn); }                                            \
	static void fn(void)

/** t_fail() - print the location and message, mark the current test failed, and leave it. */
void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
/** t_skip() - end the current test as skipped with @why. */
void t_skip(const char *why) __attribute__((noreturn));
/** t_note() - print a diagnostic line ("# ...") in the TAP stream. */
void t_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define T_ASSERT(cond) do {                                                    \
	if (!(cond))                                                           \
		t_fail(__FILE__, __LINE__, "assertion failed: %s", #cond);     \
} while (0)

#define T_ASSERT_MSG(cond, ...) do {                                           \
	if (!(cond))                                                           \
		t_fail(__FILE__, __LINE__, __VA_ARGS__);                       \
} while (0)

#define T__CMP(a, op, b, T, fmt) do {                                          \
	T _a = (T)(a);                                                         \
	T _b = (T)(b);                                                         \
	if (!(_a op _b))                                                       \
		t_fail(__FILE__, __LINE__, "%s %s %s: " fmt " vs " fmt,        \
		       #a, #op, #b, _a, _b);                                   \
} while (0)

#define T_ASSERT_EQ_INT(a, b)  T__CMP(a, ==, b, long long, "%lld")
#define T_ASSERT_NE_INT(a, b)  T__CMP(a, !=, b, long long, "%lld")
#define T_ASSERT_LT_INT(a, b)  T__CMP(a, <, b, long long, "%lld")
#define T_ASSERT_LE_INT(a, b)  T__CMP(a, <=, b, long long, "%lld")
#define T_ASSERT_GT_INT(a, b)  T__CMP(a, >, b, long long, "%lld")
#define T_ASSERT_GE_INT(a, b)  T__CMP(a, >=, b, long long, "%lld")
#define T_ASSERT_EQ_U64(a, b)  T__CMP(a, ==, b, uint64_t, "0x%" PRIx64)
#define T_ASSERT_NE_U64(a, b)  T__CMP(a, !=, b, uint64_t, "0x%" PRIx64)
#define T_ASSERT_LE_U64(a, b)  T__CMP(a, <=, b, uint64_t, "0x%" PRIx64)
#define T_ASSERT_EQ_PTR(a, b)  T__CMP(a, ==, b, const void *, "%p")
#define T_ASSERT_NULL(a)       T__CMP(a, ==, NULL, const void *, "%p")
#define T_ASSERT_NOT_NULL(a)   T__CMP(a, !=, NULL, const void *, "%p")
#define T_ASSERT_EQ_STR(a, b) do {                                             \
	const char *_a = (a), *_b = (b);                                       \
	if (!_a || !_b || strcmp(_a, _b))                                      \
		t_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"",       \
		       #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");        \
} while (0)
/** T_ASSERT_ERRNO() - @ret must be exactly -@err (e.g. T_ASSERT_ERRNO(r, ENOMEM)). */
#define T_ASSERT_ERRNO(ret, err) do {                                          \
	long long _r = (ret);                                                  \
	if (_r != -(long long)(err))                                           \
		t_fail(__FILE__, __LINE__, "%s: expected -%s (%d), got %lld (%s)", \
		       #ret, #err, (int)(err), _r, t_errname((int)-_r));       \
} while (0)
#define T_ASSERT_OK(ret) do {                                                  \
	long long _r = (ret);                                                  \
	if (_r != 0)                                                           \
		t_fail(__FILE__, __LINE__, "%s: expected 0, got %lld (%s)",    \
		       #ret, _r, t_errname((int)-_r));                         \
} while (0)

/**
 * t_expect_abort() - run @fn(@arg) in a forked child with stderr silenced.
 * Return: true if the child died of SIGABRT (a u_panic()), false otherwise.
 */
bool t_expect_abort(void (*fn)(void *arg), void *arg);

/**
 * t_exec_self() - execute this test binary again as @argv0, with the same
 * environment. When PANTOMIME_TEST_EXEC_WRAPPER names an emulator
 * ("qemu-aarch64 -L /usr/aarch64-linux-gnu", as the aarch64 cross check
 * sets) the binary runs through it, since an emulated process cannot exec a
 * foreign binary itself; LD_PRELOAD then goes to the emulated program (the
 * emulator's -E), not to the emulator. Returns only on failure.
 * @argv0: the new process's argv[0] (without an emulator).
 */
void t_exec_self(const char *argv0);

/** t_errname() - Return: "ENOMEM" etc. for a positive errno (or "?"). */
const char *t_errname(int err);

/** t_seed() - Return: the seed for randomized tests (PANTOMIME_TEST_SEED or a fixed default); printed once. */
uint64_t t_seed(void);
/** t_rand() - Return: the next number of a simple per-test xorshift generator seeded by t_seed(). */
uint64_t t_rand(void);

/**
 * struct t_fault_loop_ops - an operation swept by t_fault_loop().
 * @run: perform the operation once. Return: 0 or a negative errno.
 * @undo: after a successful @run, return to the starting state (may be NULL).
 * @check: after every run, success or failure, check invariants (validate()); may be NULL.
 * @resources: count resources beyond heap blocks (frames, tables) that must
 *             return to their starting value after a failure; may be NULL.
 */
struct t_fault_loop_ops {
	int (*run)(void *ctx);
	void (*undo)(void *ctx);
	void (*check)(void *ctx);
	long (*resources)(void *ctx);
};

/**
 * t_fault_loop() - fail allocation point 1, 2, 3, ... of @ops->run in turn.
 * @persistent: fail the point and every later one (else only that one).
 *
 * Each failing run must return -ENOMEM, leave the heap block count and
 * @resources at their starting values, and pass @check. A run that succeeds
 * although a failure was injected (a retry absorbed it) is undone and the
 * sweep goes on. The sweep ends at the first run where no failure was
 * injected, which must succeed; that run is undone too, so the caller gets
 * its starting state back.
 *
 * Return: the number of allocation points swept.
 */
unsigned long t_fault_loop(const struct t_fault_loop_ops *ops, void *ctx, bool persistent);

#endif
