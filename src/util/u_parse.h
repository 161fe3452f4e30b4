/* SPDX-License-Identifier: MIT */
/*
 * Parsing helpers for user-supplied configuration (environment, CLI).
 */
#ifndef PANTOMIME_U_PARSE_H
#define PANTOMIME_U_PARSE_H

#include <stdint.h>

/**
 * u_parse_size() - parse a byte count: decimal or 0x-hex (a leading zero is
 * not octal), with an optional
 * binary suffix K, M, G or T (KiB, MiB, GiB, TiB; a trailing "iB" or "B" is accepted).
 * @s: the text.
 * @out: the value on success.
 *
 * Return: 0, or -EINVAL for empty text, junk, or a value that overflows 64 bits.
 */
int u_parse_size(const char *s, uint64_t *out);

#endif
