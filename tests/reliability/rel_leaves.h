/* SPDX-License-Identifier: MIT */
/*
 * The isolation walk shared by the reliability suite and the fuzzer (no
 * test-harness dependency): every leaf of every VM's page tables, found by
 * walking the tables, must point at the frame the covering VA's backing has
 * there, owned by that VA's BO; sparse leaves at the file's own dummy, and
 * no leaf at the other file's dummy or where no VA is.
 */
#ifndef PANTOMIME_TESTS_REL_LEAVES_H
#define PANTOMIME_TESTS_REL_LEAVES_H

#include <stddef.h>

struct pantomime_file;

/**
 * struct rel_leaf_stats - what rel_check_leaves() walked.
 * @leaves: leaves seen.
 * @sparse: of which sparse ones.
 */
struct rel_leaf_stats {
	unsigned long leaves;
	unsigned long sparse;
};

/**
 * rel_check_leaves() - walk every VM of @file.
 * @file: the file checked.
 * @other: another file on the same device (its dummy must never appear), or NULL.
 * @st: if not NULL, counts are added to it.
 * @why: receives the first problem found.
 * @len: size of @why.
 * Return: 0, or -1 with @why filled.
 */
int rel_check_leaves(struct pantomime_file *file, struct pantomime_file *other,
		     struct rel_leaf_stats *st, char *why, size_t len);

#endif
