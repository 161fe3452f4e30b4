/* SPDX-License-Identifier: MIT */
/*
 * An interval tree of intrusive nodes: an augmented red-black tree keyed by
 * the start of a closed range [start, last], where every node also caches
 * the largest @last in its subtree so that "which ranges overlap [a, b]?"
 * costs O(log n) per answer instead of a scan.
 *
 * The tree never allocates: the caller embeds struct u_itree_node in its own
 * object (a VA range, a mapping) and gets back to it with container_of().
 * The tree does no locking either; the owner's lock protects it.
 */
#ifndef PANTOMIME_U_ITREE_H
#define PANTOMIME_U_ITREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct u_itree_node - a range stored in a struct u_itree, embedded in the
 * caller's object.
 * @parent: parent node, NULL for the root. Owned by the tree.
 * @left: subtree of nodes ordered before this one. Owned by the tree.
 * @right: subtree of nodes ordered after this one. Owned by the tree.
 * @red: red-black colour (true = red). Owned by the tree.
 * @start: first address of the range. Set by the caller before
 *         u_itree_insert() and not changed while the node is in a tree.
 * @last: last address of the range, inclusive, so a range may end at
 *        UINT64_MAX; must be >= @start. Same rules as @start.
 * @subtree_last: the largest @last of this node and all its descendants.
 *                Owned by the tree; this is the augmentation that lets
 *                overlap searches skip whole subtrees.
 */
struct u_itree_node {
	struct u_itree_node *parent;
	struct u_itree_node *left;
	struct u_itree_node *right;
	bool red;
	uint64_t start;
	uint64_t last;
	uint64_t subtree_last;
};

/**
 * struct u_itree - the root of an interval tree.
 * @root: the root node, NULL when the tree is empty.
 * @count: number of nodes in the tree.
 *
 * Both fields are owned by the tree functions; read them through
 * u_itree_count() and u_itree_first().
 */
struct u_itree {
	struct u_itree_node *root;
	size_t count;
};

/** U_ITREE_INIT - static initialiser for an empty struct u_itree. */
#define U_ITREE_INIT { .root = NULL, .count = 0 }

/**
 * u_itree_init() - make @tree empty.
 * @tree: the tree; anything it held before is forgotten, not touched.
 */
void u_itree_init(struct u_itree *tree);

/**
 * u_itree_insert() - add @node to @tree.
 * @tree: the tree.
 * @node: a node not in any tree, with @node->start <= @node->last set.
 *
 * Ranges may overlap and starts may repeat: this layer stores whatever it is
 * given (the VA manager above it forbids overlaps). A node whose start equals
 * existing starts is ordered after all of them, so nodes with equal starts
 * iterate in insertion order. O(log n); never fails, never allocates.
 */
void u_itree_insert(struct u_itree *tree, struct u_itree_node *node);

/**
 * u_itree_remove() - take @node out of @tree.
 * @tree: the tree.
 * @node: a node currently in @tree.
 *
 * The relative order of the remaining nodes is unchanged. On return @node's
 * links are cleared and its memory belongs to the caller again. O(log n).
 */
void u_itree_remove(struct u_itree *tree, struct u_itree_node *node);

/**
 * u_itree_count() - the number of nodes in @tree.
 * @tree: the tree.
 *
 * Return: the node count, 0 for an empty tree.
 */
size_t u_itree_count(const struct u_itree *tree);

/**
 * u_itree_first() - the first node in order (smallest start).
 * @tree: the tree.
 *
 * Return: the node, or NULL when @tree is empty.
 */
struct u_itree_node *u_itree_first(struct u_itree *tree);

/**
 * u_itree_last() - the last node in order (largest start; of equal starts,
 * the most recently inserted).
 * @tree: the tree.
 *
 * Return: the node, or NULL when @tree is empty.
 */
struct u_itree_node *u_itree_last(struct u_itree *tree);

/**
 * u_itree_next() - the node after @node in order.
 * @node: a node in a tree.
 *
 * Return: the next node, or NULL when @node is the last one.
 */
struct u_itree_node *u_itree_next(struct u_itree_node *node);

/**
 * u_itree_prev() - the node before @node in order.
 * @node: a node in a tree.
 *
 * Return: the previous node, or NULL when @node is the first one.
 */
struct u_itree_node *u_itree_prev(struct u_itree_node *node);

/**
 * u_itree_iter_first() - the first node, in order, whose range overlaps
 * [@start, @last].
 * @tree: the tree.
 * @start: first address of the query range.
 * @last: last address of the query range, inclusive (UINT64_MAX allowed).
 *
 * A node overlaps when node->start <= @last and node->last >= @start, so
 * ranges that merely touch ([0, 9] and [10, 19]) do not overlap. O(log n).
 *
 * Return: the node, or NULL when no node overlaps (or @start > @last).
 */
struct u_itree_node *u_itree_iter_first(struct u_itree *tree, uint64_t start, uint64_t last);

/**
 * u_itree_iter_next() - the next node after @node, in order, whose range
 * overlaps [@start, @last].
 * @node: a node returned by u_itree_iter_first() or u_itree_iter_next()
 *        with the same @start and @last.
 * @start: first address of the query range.
 * @last: last address of the query range, inclusive.
 *
 * @node must still be in the tree; other nodes may have been inserted or
 * removed since the previous call, and the walk follows the tree as it is
 * now. So removing every overlapping node is: fetch the next one, then
 * remove the current one. O(log n) per call.
 *
 * Return: the node, or NULL when no later node overlaps.
 */
struct u_itree_node *u_itree_iter_next(struct u_itree_node *node, uint64_t start, uint64_t last);

/**
 * u_itree_lookup_start() - a node whose start is exactly @start.
 * @tree: the tree.
 * @start: the start to look for.
 *
 * Return: the first such node in order (the earliest inserted one when
 * several share @start), or NULL when there is none. O(log n).
 */
struct u_itree_node *u_itree_lookup_start(struct u_itree *tree, uint64_t start);

/**
 * u_itree_validate() - check every invariant of @tree.
 * @tree: the tree.
 *
 * Checks the links (child->parent == parent, the root has no parent), the
 * order (in-order starts never decrease), each node's range (start <= last),
 * the red-black rules (the root is black, no red node has a red child, every
 * path from a node down to a leaf crosses the same number of black nodes),
 * the augmentation (subtree_last is the maximum of the node's own last and
 * its children's subtree_last) and @tree->count. O(n); meant for tests and
 * debug checks after each mutation.
 *
 * Return: 0 when every invariant holds, or -EUCLEAN after logging (u_err())
 * the first broken invariant and the node where it broke.
 */
int u_itree_validate(const struct u_itree *tree);

#endif
