/* SPDX-License-Identifier: MIT */
/*
 * Small compiler and arithmetic helpers shared by every module.
 */
#ifndef PANTOMIME_U_COMPILER_H
#define PANTOMIME_U_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/**
 * container_of() - the structure that embeds @ptr as its member @member.
 */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define BIT(n)        (1u << (n))
#define BIT_ULL(n)    (1ull << (n))
/** GENMASK_ULL() - bits @h down to @l set (inclusive). */
#define GENMASK_ULL(h, l) \
	((~0ull >> (63 - (h))) & (~0ull << (l)))

#define SZ_4K   0x1000ull
#define SZ_32K  0x8000ull
#define SZ_2M   0x200000ull
#define SZ_1G   0x40000000ull

#define U_ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define U_ALIGN_UP(x, a)   U_ALIGN_DOWN((x) + (a) - 1, (a))
#define U_IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

#define u_min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a < _b ? _a : _b; })
#define u_max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a > _b ? _a : _b; })

#define U_UNUSED __attribute__((unused))
#define U_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define U_ALWAYS_INLINE inline __attribute__((always_inline))
#define U_NORETURN __attribute__((noreturn))

/** u_is_power_of_2() - true when @x is a non-zero power of two. */
static inline bool u_is_power_of_2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/** u_fls64() - index of the highest set bit plus one; 0 for 0 (as the kernel's fls64). */
static inline unsigned int u_fls64(uint64_t x)
{
	return x ? 64 - (unsigned int)__builtin_clzll(x) : 0;
}

/** u_ffs64() - index of the lowest set bit; undefined for 0. */
static inline unsigned int u_ffs64(uint64_t x)
{
	return (unsigned int)__builtin_ctzll(x);
}

/**
 * u_cpu_relax() - tell the CPU we are spinning (x86 PAUSE, arm64 YIELD), so
 * a busy-wait loop is cheaper for the sibling hyper-thread and leaves the
 * loop without a memory-order mis-speculation when the value changes.
 */
static inline void u_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif
