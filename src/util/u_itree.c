// SPDX-License-Identifier: MIT
/*
 * DOC: interval tree
 *
 * The VA manager needs three things from its range index: ordered walks
 * (first/next, for dumps and for finding the gap after a mapping), exact
 * lookup by start (unmap of a known range) and "every range overlapping
 * [a, b]" (map/unmap split and merge). All of them must be O(log n) in the
 * worst case, since a VM may hold many thousands of mappings and an
 * adversarial bind pattern must not degrade them.
 *
 * Design: a red-black tree ordered by start (the textbook one: CLRS ch. 13,
 * with NULL leaves and parent pointers), augmented as in CLRS ch. 14.3: each
 * node caches subtree_last, the largest inclusive end in its subtree. An
 * overlap search then descends left only when the left subtree can still
 * reach the query (left->subtree_last >= query start), and stops as soon as
 * node starts pass the query's end:
 *
 *                    [40,49] sl=99
 *                   /             \
 *          [10,99] sl=99        [60,69] sl=79
 *          /                    /
 *     [5,7] sl=7          [50,79] sl=79
 *
 *   query [80, 85]: root's left has sl=99 >= 80, go left; [5,7] has
 *   sl=7 < 80, skip it; [10,99] overlaps -> first answer. The right side
 *   of the root (sl=79 < 80) is never entered by iter_next.
 *
 * Keeping subtree_last right:
 *  - insert raises subtree_last on the way down (the new node is below
 *    every node it passes), so only rotations change anything after that;
 *  - a rotation moves two nodes; the one that goes up now roots exactly the
 *    set of nodes the one that went down used to root, so it inherits that
 *    value, and the one that went down is recomputed from its children:
 *
 *          x                 y           y.subtree_last = old x.subtree_last
 *         / \   rotate      / \          x.subtree_last = max(x.last,
 *        a   y  left(x)    x   c                             a.sl, b.sl)
 *           / \   --->    / \
 *          b   c         a   b
 *
 *  - remove recomputes from the lowest node whose subtree changed up to the
 *    root, before the colour fix-up (whose rotations then keep it right).
 *    It walks all the way up rather than stopping at the first unchanged
 *    value: when the removed node had two children its successor moves into
 *    its place, and that node's value changes even if the ones below it do
 *    not. The walk is O(log n) either way.
 *
 * Equal starts are allowed (the tree stores overlapping ranges; the VA
 * manager forbids them one layer up). A new node goes right of every equal
 * start, and neither rotations nor removal reorder nodes, so equal starts
 * iterate in insertion order. Ordering them by last instead was rejected:
 * it costs a second comparison on every step and still needs a tie rule for
 * identical ranges.
 *
 * Rejected alternatives: a sorted array (O(n) insert and remove), an AVL
 * tree (stricter balance buys nothing for a write-heavy index and needs
 * more rotations on insert), a skip list (allocates per level and gives
 * only expected bounds), and a plain tree scanned for overlaps (O(n) per
 * query).
 *
 * The tree never allocates and never locks; the embedding object's owner
 * serialises every call.
 */
#include "u_itree.h"
#include "u_compiler.h"
#include "u_log.h"

#include <errno.h>

/*
 * A valid red-black tree of n nodes is at most 2 * log2(n + 1) deep, and n
 * cannot exceed the address space, so anything deeper is a corrupt (likely
 * cyclic) tree. validate() stops there instead of recursing forever.
 */
#define ITREE_MAX_DEPTH 130

static bool is_red(const struct u_itree_node *n)
{
	return n && n->red;
}

static uint64_t subtree_last_of(const struct u_itree_node *n)
{
	uint64_t m = n->last;

	if (n->left && n->left->subtree_last > m)
		m = n->left->subtree_last;
	if (n->right && n->right->subtree_last > m)
		m = n->right->subtree_last;
	return m;
}

/* Make @parent (or the root, when @parent is NULL) point at @new instead of @old. */
static void replace_child(struct u_itree *tree, struct u_itree_node *parent,
			  struct u_itree_node *old, struct u_itree_node *new)
{
	if (!parent)
		tree->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

static void rotate_left(struct u_itree *tree, struct u_itree_node *x)
{
	struct u_itree_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	replace_child(tree, x->parent, x, y);
	y->left = x;
	x->parent = y;

	y->subtree_last = x->subtree_last;
	x->subtree_last = subtree_last_of(x);
}

static void rotate_right(struct u_itree *tree, struct u_itree_node *x)
{
	struct u_itree_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	replace_child(tree, x->parent, x, y);
	y->right = x;
	x->parent = y;

	y->subtree_last = x->subtree_last;
	x->subtree_last = subtree_last_of(x);
}

void u_itree_init(struct u_itree *tree)
{
	tree->root = NULL;
	tree->count = 0;
}

size_t u_itree_count(const struct u_itree *tree)
{
	return tree->count;
}

/* Restore "no red node has a red child" after linking the red node @z. */
static void insert_fixup(struct u_itree *tree, struct u_itree_node *z)
{
	struct u_itree_node *p, *g, *uncle;

	while ((p = z->parent) && p->red) {
		g = p->parent;	/* p is red, so it is not the root */
		if (p == g->left) {
			uncle = g->right;
			if (is_red(uncle)) {
				p->red = false;
				uncle->red = false;
				g->red = true;
				z = g;
				continue;
			}
			if (z == p->right) {
				rotate_left(tree, p);
				z = p;
				p = z->parent;
			}
			p->red = false;
			g->red = true;
			rotate_right(tree, g);
		} else {
			uncle = g->left;
			if (is_red(uncle)) {
				p->red = false;
				uncle->red = false;
				g->red = true;
				z = g;
				continue;
			}
			if (z == p->left) {
				rotate_right(tree, p);
				z = p;
				p = z->parent;
			}
			p->red = false;
			g->red = true;
			rotate_left(tree, g);
		}
	}
	tree->root->red = false;
}

void u_itree_insert(struct u_itree *tree, struct u_itree_node *node)
{
	struct u_itree_node **link = &tree->root;
	struct u_itree_node *parent = NULL;

	while (*link) {
		parent = *link;
		if (parent->subtree_last < node->last)
			parent->subtree_last = node->last;
		/* ">=" goes right: equal starts keep insertion order. */
		link = node->start < parent->start ? &parent->left : &parent->right;
	}
	node->parent = parent;
	node->left = NULL;
	node->right = NULL;
	node->red = true;
	node->subtree_last = node->last;
	*link = node;
	tree->count++;

	insert_fixup(tree, node);
}

static struct u_itree_node *leftmost(struct u_itree_node *n)
{
	while (n->left)
		n = n->left;
	return n;
}

static struct u_itree_node *rightmost(struct u_itree_node *n)
{
	while (n->right)
		n = n->right;
	return n;
}

/*
 * Restore equal black heights after a black node was unlinked: @x (possibly
 * NULL) is the subtree one black short, @parent its parent.
 */
static void remove_fixup(struct u_itree *tree, struct u_itree_node *x,
			 struct u_itree_node *parent)
{
	struct u_itree_node *w;

	while (x != tree->root && !is_red(x)) {
		/*
		 * x's side lost a black node, so the sibling's side has a black
		 * height of at least one: w is never NULL here.
		 */
		if (x == parent->left) {
			w = parent->right;
			if (w->red) {
				w->red = false;
				parent->red = true;
				rotate_left(tree, parent);
				w = parent->right;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->red = true;
				x = parent;
				parent = x->parent;
				continue;
			}
			if (!is_red(w->right)) {
				w->left->red = false;
				w->red = true;
				rotate_right(tree, w);
				w = parent->right;
			}
			w->red = parent->red;
			parent->red = false;
			w->right->red = false;
			rotate_left(tree, parent);
		} else {
			w = parent->left;
			if (w->red) {
				w->red = false;
				parent->red = true;
				rotate_right(tree, parent);
				w = parent->left;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->red = true;
				x = parent;
				parent = x->parent;
				continue;
			}
			if (!is_red(w->left)) {
				w->right->red = false;
				w->red = true;
				rotate_left(tree, w);
				w = parent->left;
			}
			w->red = parent->red;
			parent->red = false;
			w->left->red = false;
			rotate_right(tree, parent);
		}
		x = tree->root;
		break;
	}
	if (x)
		x->red = false;
}

void u_itree_remove(struct u_itree *tree, struct u_itree_node *node)
{
	struct u_itree_node *x, *x_parent, *succ;
	bool removed_red;

	if (!node->left || !node->right) {
		/* At most one child: splice it into node's place. */
		x = node->left ? node->left : node->right;
		x_parent = node->parent;
		removed_red = node->red;
		if (x)
			x->parent = x_parent;
		replace_child(tree, x_parent, node, x);
	} else {
		/*
		 * Two children: the in-order successor (leftmost of the right
		 * subtree, so it has no left child) takes node's place and
		 * colour; the colour that disappears from the tree is the
		 * successor's, at the successor's old position.
		 */
		succ = leftmost(node->right);
		removed_red = succ->red;
		x = succ->right;
		if (succ->parent == node) {
			x_parent = succ;
		} else {
			x_parent = succ->parent;
			x_parent->left = x;
			if (x)
				x->parent = x_parent;
			succ->right = node->right;
			succ->right->parent = succ;
		}
		succ->left = node->left;
		succ->left->parent = succ;
		succ->parent = node->parent;
		succ->red = node->red;
		replace_child(tree, node->parent, node, succ);
	}

	/* Every subtree that lost a node lies on the path x_parent -> root. */
	for (struct u_itree_node *n = x_parent; n; n = n->parent)
		n->subtree_last = subtree_last_of(n);

	if (!removed_red)
		remove_fixup(tree, x, x_parent);

	tree->count--;
	node->parent = NULL;
	node->left = NULL;
	node->right = NULL;
}

struct u_itree_node *u_itree_first(struct u_itree *tree)
{
	return tree->root ? leftmost(tree->root) : NULL;
}

struct u_itree_node *u_itree_last(struct u_itree *tree)
{
	return tree->root ? rightmost(tree->root) : NULL;
}

struct u_itree_node *u_itree_next(struct u_itree_node *node)
{
	struct u_itree_node *p;

	if (node->right)
		return leftmost(node->right);
	/* Climb until we leave a left subtree; that parent comes next. */
	while ((p = node->parent) && node == p->right)
		node = p;
	return p;
}

struct u_itree_node *u_itree_prev(struct u_itree_node *node)
{
	struct u_itree_node *p;

	if (node->left)
		return rightmost(node->left);
	while ((p = node->parent) && node == p->left)
		node = p;
	return p;
}

/*
 * The first node in order of the subtree rooted at @n that overlaps
 * [start, last], or NULL.
 *
 * Going left whenever the left subtree reaches @start is always right: that
 * subtree holds a node x with x.last >= start. If x.start <= last, x
 * overlaps and the answer is in the left subtree. If not, every node after
 * x in order (this node and the whole right subtree included) starts after
 * @last too, so the answer can only be in the left subtree, or nowhere.
 */
static struct u_itree_node *subtree_first_overlap(struct u_itree_node *n,
						  uint64_t start, uint64_t last)
{
	while (n) {
		if (n->left && n->left->subtree_last >= start) {
			n = n->left;
			continue;
		}
		/* Nothing on the left reaches start: n, then its right subtree. */
		if (n->start > last)
			return NULL;
		if (n->last >= start)
			return n;
		if (!n->right || n->right->subtree_last < start)
			return NULL;
		n = n->right;
	}
	return NULL;
}

struct u_itree_node *u_itree_iter_first(struct u_itree *tree, uint64_t start, uint64_t last)
{
	if (!tree->root || start > last || tree->root->subtree_last < start)
		return NULL;
	return subtree_first_overlap(tree->root, start, last);
}

struct u_itree_node *u_itree_iter_next(struct u_itree_node *node, uint64_t start, uint64_t last)
{
	struct u_itree_node *found, *p;

	for (;;) {
		/* Everything in node's right subtree comes next in order. */
		if (node->right && node->right->subtree_last >= start) {
			found = subtree_first_overlap(node->right, start, last);
			if (found)
				return found;
		}
		/* Then the first ancestor of which node is in the left subtree. */
		while ((p = node->parent) && node == p->right)
			node = p;
		if (!p || p->start > last)
			return NULL;
		node = p;
		if (node->last >= start)
			return node;
	}
}

struct u_itree_node *u_itree_lookup_start(struct u_itree *tree, uint64_t start)
{
	struct u_itree_node *n = tree->root, *found = NULL;

	/* Keep going left after a match: the earliest inserted equal start is leftmost. */
	while (n) {
		if (start < n->start) {
			n = n->left;
		} else if (start > n->start) {
			n = n->right;
		} else {
			found = n;
			n = n->left;
		}
	}
	return found;
}

struct itree_check {
	size_t nodes;
	const struct u_itree_node *prev;	/* previous node in order */
};

#define BROKEN(n, fmt, ...) do {                                                       \
	u_err("itree", "invariant broken at node %p [0x%llx, 0x%llx]: " fmt,            \
	      (const void *)(n), (unsigned long long)(n)->start,                        \
	      (unsigned long long)(n)->last, ##__VA_ARGS__);                            \
	return -EUCLEAN;                                                                \
} while (0)

/*
 * In-order walk of the subtree at @n, @depth nodes below the root. Return:
 * the subtree's black height (counting the NULL leaves as 1), or -EUCLEAN.
 */
static int check_subtree(const struct u_itree_node *n, unsigned int depth,
			 struct itree_check *c)
{
	int lh, rh;

	if (!n)
		return 1;
	if (depth > ITREE_MAX_DEPTH)
		BROKEN(n, "depth %u exceeds any valid tree of this size (cycle?)", depth);
	if (n->left && n->left == n->right)
		BROKEN(n, "links: left and right are the same node %p", (const void *)n->left);
	if (n->left && n->left->parent != n)
		BROKEN(n, "links: left child's parent is %p", (const void *)n->left->parent);
	if (n->right && n->right->parent != n)
		BROKEN(n, "links: right child's parent is %p", (const void *)n->right->parent);
	if (n->red && (is_red(n->left) || is_red(n->right)))
		BROKEN(n, "red-black: red node has a red child");

	lh = check_subtree(n->left, depth + 1, c);
	if (lh < 0)
		return lh;

	if (n->start > n->last)
		BROKEN(n, "range: start > last");
	if (c->prev && c->prev->start > n->start)
		BROKEN(n, "order: follows start 0x%llx in order",
		       (unsigned long long)c->prev->start);
	if (n->subtree_last != subtree_last_of(n))
		BROKEN(n, "subtree_last: cached 0x%llx, actual 0x%llx",
		       (unsigned long long)n->subtree_last,
		       (unsigned long long)subtree_last_of(n));
	c->prev = n;
	c->nodes++;

	rh = check_subtree(n->right, depth + 1, c);
	if (rh < 0)
		return rh;
	if (lh != rh)
		BROKEN(n, "red-black: black height %d on the left, %d on the right", lh, rh);
	return lh + !n->red;
}

int u_itree_validate(const struct u_itree *tree)
{
	struct itree_check c = { 0 };
	int ret;

	if (tree->root) {
		if (tree->root->parent)
			BROKEN(tree->root, "links: root has parent %p",
			       (const void *)tree->root->parent);
		if (tree->root->red)
			BROKEN(tree->root, "red-black: root is red");
	}
	ret = check_subtree(tree->root, 0, &c);
	if (ret < 0)
		return ret;
	if (c.nodes != tree->count) {
		u_err("itree", "invariant broken: count is %zu but the tree holds %zu nodes",
		      tree->count, c.nodes);
		return -EUCLEAN;
	}
	return 0;
}
