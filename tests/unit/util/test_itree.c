// SPDX-License-Identifier: MIT
/*
 * Tests of the interval tree (src/util/u_itree.c): the public operations,
 * the edges of the overlap rule (single-address ranges, touching ranges,
 * ranges ending at UINT64_MAX), u_itree_validate() catching each kind of
 * corruption, and a long randomized run checked against an array model
 * with u_itree_validate() after every mutation.
 */
#include "t_harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/u_alloc.h"
#include "util/u_compiler.h"
#include "util/u_itree.h"
#include "util/u_log.h"


/* A caller's object embedding a node, as the VA manager will. */
struct range {
	uint64_t seq;		/* insertion number: the tie order for equal starts */
	bool in_tree;
	struct u_itree_node node;
};

static uint64_t next_seq;

static struct range *to_range(struct u_itree_node *n)
{
	return n ? container_of(n, struct range, node) : NULL;
}

static void range_insert(struct u_itree *t, struct range *r, uint64_t start, uint64_t last)
{
	r->node.start = start;
	r->node.last = last;
	r->seq = next_seq++;
	r->in_tree = true;
	u_itree_insert(t, &r->node);
}

static void range_remove(struct u_itree *t, struct range *r)
{
	u_itree_remove(t, &r->node);
	r->in_tree = false;
}

static bool overlaps(const struct range *r, uint64_t start, uint64_t last)
{
	return r->node.start <= last && r->node.last >= start;
}

/* Tree order: by start, then by insertion. */
static int range_cmp(const void *a, const void *b)
{
	const struct range *x = *(const struct range *const *)a;
	const struct range *y = *(const struct range *const *)b;

	if (x->node.start != y->node.start)
		return x->node.start < y->node.start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The array model's answer: the ranges of @pool in the tree that overlap
 * [start, last], in tree order, into @out. Return: how many.
 */
static size_t model_query(struct range *pool, size_t n, uint64_t start, uint64_t last,
			  struct range **out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (pool[i].in_tree && overlaps(&pool[i], start, last))
			out[k++] = &pool[i];
	qsort(out, k, sizeof(*out), range_cmp);
	return k;
}

/* The tree's overlap walk must return exactly @expect[0..k) in that order. */
static void check_query(struct u_itree *t, uint64_t start, uint64_t last,
			struct range **expect, size_t k)
{
	struct u_itree_node *n;
	size_t i = 0;

	for (n = u_itree_iter_first(t, start, last); n; n = u_itree_iter_next(n, start, last)) {
		T_ASSERT_MSG(i < k, "query [0x%" PRIx64 ", 0x%" PRIx64 "]: extra node [0x%" PRIx64
			     ", 0x%" PRIx64 "] after %zu expected ones",
			     start, last, n->start, n->last, k);
		T_ASSERT_MSG(to_range(n) == expect[i],
			     "query [0x%" PRIx64 ", 0x%" PRIx64 "]: answer %zu is [0x%" PRIx64
			     ", 0x%" PRIx64 "] seq %" PRIu64 ", expected [0x%" PRIx64 ", 0x%" PRIx64
			     "] seq %" PRIu64,
			     start, last, i, n->start, n->last, to_range(n)->seq,
			     expect[i]->node.start, expect[i]->node.last, expect[i]->seq);
		i++;
	}
	T_ASSERT_MSG(i == k, "query [0x%" PRIx64 ", 0x%" PRIx64 "]: %zu answers, expected %zu",
		     start, last, i, k);
}

/* Query @t and compare with the model over @pool. */
static void check_query_model(struct u_itree *t, struct range *pool, size_t n,
			      uint64_t start, uint64_t last)
{
	struct range *expect[n ? n : 1];
	size_t k = model_query(pool, n, start, last, expect);

	check_query(t, start, last, expect, k);
}

/* Forward and backward in-order walks must list the model's ranges in tree order. */
static void check_order(struct u_itree *t, struct range *pool, size_t n)
{
	struct range *expect[n ? n : 1];
	struct u_itree_node *node;
	size_t k = 0, i;

	for (i = 0; i < n; i++)
		if (pool[i].in_tree)
			expect[k++] = &pool[i];
	qsort(expect, k, sizeof(*expect), range_cmp);
	T_ASSERT_EQ_INT(u_itree_count(t), k);

	i = 0;
	for (node = u_itree_first(t); node; node = u_itree_next(node)) {
		T_ASSERT_MSG(i < k, "forward walk longer than %zu", k);
		T_ASSERT_EQ_PTR(to_range(node), expect[i]);
		i++;
	}
	T_ASSERT_EQ_INT(i, k);
	for (node = u_itree_last(t); node; node = u_itree_prev(node)) {
		T_ASSERT_MSG(i > 0, "backward walk longer than %zu", k);
		i--;
		T_ASSERT_EQ_PTR(to_range(node), expect[i]);
	}
	T_ASSERT_EQ_INT(i, 0);
}

static unsigned int height(const struct u_itree_node *n)
{
	if (!n)
		return 0;
	return 1 + u_max(height(n->left), height(n->right));
}

/* Log capture, so tests can check what u_itree_validate() reports. */
static char last_log[1024];
static unsigned int nr_logs;

static void capture_sink(void *cookie, enum u_log_level level, const char *line)
{
	snprintf(last_log, sizeof(last_log), "%s", line);
	nr_logs++;
}

T_TEST(itree_empty, "util/itree/empty")
{
	struct u_itree t = U_ITREE_INIT;
	struct u_itree t2;

	u_itree_init(&t2);
	T_ASSERT_EQ_INT(u_itree_count(&t), 0);
	T_ASSERT_NULL(u_itree_first(&t));
	T_ASSERT_NULL(u_itree_last(&t));
	T_ASSERT_NULL(u_itree_iter_first(&t, 0, UINT64_MAX));
	T_ASSERT_NULL(u_itree_lookup_start(&t, 0));
	T_ASSERT_OK(u_itree_validate(&t));
	T_ASSERT_EQ_INT(u_itree_count(&t2), 0);
	T_ASSERT_NULL(u_itree_first(&t2));
	T_ASSERT_OK(u_itree_validate(&t2));
}

T_TEST(itree_insert_remove, "util/itree/insert-remove")
{
	static const uint64_t starts[] = { 50, 20, 80, 10, 30, 70, 90, 60, 40, 0 };
	struct range r[ARRAY_SIZE(starts)] = { 0 };
	struct u_itree t = U_ITREE_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(starts); i++) {
		range_insert(&t, &r[i], starts[i], starts[i] + 9);
		T_ASSERT_OK(u_itree_validate(&t));
		T_ASSERT_EQ_INT(u_itree_count(&t), i + 1);
	}
	check_order(&t, r, ARRAY_SIZE(r));
	T_ASSERT_EQ_PTR(to_range(u_itree_first(&t)), &r[9]);
	T_ASSERT_EQ_PTR(to_range(u_itree_last(&t)), &r[6]);
	T_ASSERT_EQ_PTR(to_range(u_itree_lookup_start(&t, 70)), &r[5]);
	T_ASSERT_NULL(u_itree_lookup_start(&t, 71));
	T_ASSERT_NULL(u_itree_lookup_start(&t, 100));

	/* The root (two children), a leaf, the first and the last. */
	range_remove(&t, to_range(t.root));
	T_ASSERT_OK(u_itree_validate(&t));
	check_order(&t, r, ARRAY_SIZE(r));
	range_remove(&t, &r[8]);
	T_ASSERT_OK(u_itree_validate(&t));
	check_order(&t, r, ARRAY_SIZE(r));
	range_remove(&t, &r[9]);
	T_ASSERT_OK(u_itree_validate(&t));
	range_remove(&t, &r[6]);
	T_ASSERT_OK(u_itree_validate(&t));
	check_order(&t, r, ARRAY_SIZE(r));
	T_ASSERT_NULL(u_itree_lookup_start(&t, 90));
	T_ASSERT_NULL(r[6].node.parent);
	T_ASSERT_NULL(r[6].node.left);
	T_ASSERT_NULL(r[6].node.right);

	/* A removed node can go back in. */
	range_insert(&t, &r[6], 90, 99);
	T_ASSERT_OK(u_itree_validate(&t));
	T_ASSERT_EQ_PTR(to_range(u_itree_last(&t)), &r[6]);

	for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
		if (!r[i].in_tree)
			continue;
		range_remove(&t, &r[i]);
		T_ASSERT_OK(u_itree_validate(&t));
		check_order(&t, r, ARRAY_SIZE(r));
	}
	T_ASSERT_EQ_INT(u_itree_count(&t), 0);
	T_ASSERT_NULL(t.root);
}

T_TEST(itree_equal_starts, "util/itree/order/equal-starts-insertion-order")
{
	struct range r[6] = { 0 };
	struct u_itree t = U_ITREE_INIT;
	struct u_itree_node *n;
	size_t i;

	range_insert(&t, &r[0], 100, 200);
	range_insert(&t, &r[1], 50, 60);
	range_insert(&t, &r[2], 100, 100);	/* shorter, inserted later: still after r[0] */
	range_insert(&t, &r[3], 100, 500);
	range_insert(&t, &r[4], 150, 151);
	range_insert(&t, &r[5], 100, 101);
	T_ASSERT_OK(u_itree_validate(&t));

	{
		struct range *expect[] = { &r[1], &r[0], &r[2], &r[3], &r[5], &r[4] };

		i = 0;
		for (n = u_itree_first(&t); n; n = u_itree_next(n))
			T_ASSERT_EQ_PTR(to_range(n), expect[i++]);
		T_ASSERT_EQ_INT(i, ARRAY_SIZE(expect));
	}
	/* Exact lookup returns the earliest inserted of the equal starts. */
	T_ASSERT_EQ_PTR(to_range(u_itree_lookup_start(&t, 100)), &r[0]);
	range_remove(&t, &r[0]);
	T_ASSERT_OK(u_itree_validate(&t));
	T_ASSERT_EQ_PTR(to_range(u_itree_lookup_start(&t, 100)), &r[2]);
	/* An overlap query over the equal starts keeps the same order. */
	{
		struct range *expect[] = { &r[2], &r[3], &r[5] };

		check_query(&t, 100, 100, expect, ARRAY_SIZE(expect));
	}
	for (i = 1; i < ARRAY_SIZE(r); i++)
		range_remove(&t, &r[i]);
	T_ASSERT_OK(u_itree_validate(&t));
}

T_TEST(itree_lookup_equal, "util/itree/lookup/earliest-of-equal-starts")
{
	enum { DUPS = 64 };
	struct range dup[DUPS] = { 0 }, other[DUPS] = { 0 };
	struct u_itree t = U_ITREE_INIT;
	size_t i;

	/* Interleave the duplicates with others so they spread over the tree. */
	for (i = 0; i < DUPS; i++) {
		range_insert(&t, &dup[i], 1000, 1000 + t_rand() % 50);
		range_insert(&t, &other[i], t_rand() % 2000, 2000 + t_rand() % 50);
	}
	T_ASSERT_OK(u_itree_validate(&t));
	/* Drop every third duplicate out of order, then consume the rest from the front. */
	for (int j = DUPS - 1; j >= 0; j -= 3) {
		range_remove(&t, &dup[j]);
		T_ASSERT_OK(u_itree_validate(&t));
	}
	for (i = 0; i < DUPS; i++) {
		if (!dup[i].in_tree)
			continue;
		T_ASSERT_EQ_PTR(to_range(u_itree_lookup_start(&t, 1000)), &dup[i]);
		range_remove(&t, &dup[i]);
		T_ASSERT_OK(u_itree_validate(&t));
	}
	for (i = 0; i < DUPS; i++)
		if (other[i].node.start == 1000)
			break;
	T_ASSERT_EQ_PTR(to_range(u_itree_lookup_start(&t, 1000)), i < DUPS ? &other[i] : NULL);
	for (i = 0; i < DUPS; i++)
		range_remove(&t, &other[i]);
	T_ASSERT_EQ_INT(u_itree_count(&t), 0);
}

T_TEST(itree_order_random, "util/itree/order/random")
{
	enum { N = 2000 };
	struct range *r = u_calloc(N, sizeof(*r));
	struct u_itree t = U_ITREE_INIT;

	T_ASSERT_NOT_NULL(r);
	/* Few distinct starts, so equal starts are common. */
	for (size_t i = 0; i < N; i++) {
		uint64_t start = t_rand() % 500;

		range_insert(&t, &r[i], start, start + t_rand() % 100);
	}
	T_ASSERT_OK(u_itree_validate(&t));
	check_order(&t, r, N);
	for (size_t i = 0; i < N; i += 2)
		range_remove(&t, &r[i]);
	T_ASSERT_OK(u_itree_validate(&t));
	check_order(&t, r, N);
	for (size_t i = 1; i < N; i += 2)
		range_remove(&t, &r[i]);
	T_ASSERT_OK(u_itree_validate(&t));
	T_ASSERT_EQ_INT(u_itree_count(&t), 0);
	u_free(r);
}

T_TEST(itree_balanced, "util/itree/balanced-sequential")
{
	enum { N = 1 << 14 };
	struct range *r = u_calloc(N, sizeof(*r));
	struct u_itree t = U_ITREE_INIT;
	unsigned int limit = 2 * u_fls64(N + 1);	/* 2 * log2(n + 1), rounded up */

	T_ASSERT_NOT_NULL(r);
	/* Ascending inserts degenerate an unbalanced tree into a list. */
	for (size_t i = 0; i < N; i++)
		range_insert(&t, &r[i], i * SZ_4K, i * SZ_4K + SZ_4K - 1);
	T_ASSERT_OK(u_itree_validate(&t));
	T_ASSERT_LE_INT(height(t.root), limit);
	T_ASSERT_EQ_PTR(to_range(u_itree_lookup_start(&t, 1234 * SZ_4K)), &r[1234]);
	{
		struct range *expect[] = { &r[99], &r[100] };

		check_query(&t, 100 * SZ_4K - 1, 100 * SZ_4K, expect, 2);
	}
	/* Descending removal from the front: the other degenerate pattern. */
	for (size_t i = 0; i < N / 2; i++)
		range_remove(&t, &r[i]);
	T_ASSERT_OK(u_itree_validate(&t));
	T_ASSERT_LE_INT(height(t.root), limit);
	for (size_t i = N / 2; i < N; i++)
		range_remove(&t, &r[i]);
	T_ASSERT_EQ_INT(u_itree_count(&t), 0);
	u_free(r);
}

T_TEST(itree_edge_point, "util/itree/overlap/single-address")
{
	struct range r = { 0 };
	struct u_itree t = U_ITREE_INIT;
	struct range *one[] = { &r };

	range_insert(&t, &r, 5, 5);
	check_query(&t, 5, 5, one, 1);
	check_query(&t, 4, 4, NULL, 0);
	check_query(&t, 6, 6, NULL, 0);
	check_query(&t, 0, 4, NULL, 0);
	check_query(&t, 6, UINT64_MAX, NULL, 0);
	check_query(&t, 0, 5, one, 1);
	check_query(&t, 5, UINT64_MAX, one, 1);
	check_query(&t, 0, UINT64_MAX, one, 1);
	/* An inverted query range is empty, not "everything outside". */
	check_query(&t, 6, 4, NULL, 0);
	T_ASSERT_NULL(u_itree_iter_first(&t, 5, 4));
	range_remove(&t, &r);
}

T_TEST(itree_edge_touching, "util/itree/overlap/touching")
{
	struct range a = { 0 }, b = { 0 }, c = { 0 };
	struct u_itree t = U_ITREE_INIT;

	range_insert(&t, &a, 0, 9);
	range_insert(&t, &b, 10, 19);
	range_insert(&t, &c, 20, 29);
	{
		struct range *ea[] = { &a }, *eb[] = { &b }, *eab[] = { &a, &b };
		struct range *eall[] = { &a, &b, &c };

		check_query(&t, 9, 9, ea, 1);
		check_query(&t, 10, 10, eb, 1);
		check_query(&t, 9, 10, eab, 2);
		check_query(&t, 10, 19, eb, 1);
		check_query(&t, 0, 29, eall, 3);
		check_query(&t, 19, 20, (struct range *[]){ &b, &c }, 2);
		check_query(&t, 30, 40, NULL, 0);
	}
	range_remove(&t, &a);
	range_remove(&t, &b);
	range_remove(&t, &c);
}

T_TEST(itree_edge_top, "util/itree/overlap/top-of-address-space")
{
	const uint64_t top_page = UINT64_MAX - SZ_4K + 1;
	struct range whole = { 0 }, page = { 0 }, last_byte = { 0 }, low = { 0 };
	struct u_itree t = U_ITREE_INIT;

	range_insert(&t, &page, top_page, UINT64_MAX);
	range_insert(&t, &low, 0, SZ_4K - 1);
	range_insert(&t, &last_byte, UINT64_MAX, UINT64_MAX);
	range_insert(&t, &whole, 0, UINT64_MAX);
	T_ASSERT_OK(u_itree_validate(&t));
	T_ASSERT_EQ_U64(t.root->subtree_last, UINT64_MAX);

	check_query(&t, UINT64_MAX, UINT64_MAX,
		    (struct range *[]){ &whole, &page, &last_byte }, 3);
	check_query(&t, 0, 0, (struct range *[]){ &low, &whole }, 2);
	check_query(&t, top_page - 1, top_page - 1, (struct range *[]){ &whole }, 1);
	check_query(&t, top_page, top_page, (struct range *[]){ &whole, &page }, 2);
	check_query(&t, 0, UINT64_MAX,
		    (struct range *[]){ &low, &whole, &page, &last_byte }, 4);
	T_ASSERT_EQ_PTR(to_range(u_itree_lookup_start(&t, UINT64_MAX)), &last_byte);
	T_ASSERT_EQ_PTR(to_range(u_itree_last(&t)), &last_byte);

	/* Dropping the whole-space range must shrink subtree_last back where due. */
	range_remove(&t, &whole);
	T_ASSERT_OK(u_itree_validate(&t));
	check_query(&t, SZ_4K, top_page - 1, NULL, 0);
	range_remove(&t, &page);
	range_remove(&t, &last_byte);
	T_ASSERT_OK(u_itree_validate(&t));
	T_ASSERT_EQ_U64(t.root->subtree_last, SZ_4K - 1);
	check_query(&t, SZ_4K, UINT64_MAX, NULL, 0);
	range_remove(&t, &low);
}

T_TEST(itree_remove_while_iterating, "util/itree/overlap/remove-while-iterating")
{
	enum { N = 300 };
	struct range r[N] = { 0 };
	struct u_itree t = U_ITREE_INIT;
	struct u_itree_node *n, *next;
	unsigned int removed = 0;

	for (size_t i = 0; i < N; i++)
		range_insert(&t, &r[i], i * 10, i * 10 + 14);	/* each overlaps the next */
	/* The unmap pattern: fetch the successor, then drop the current node. */
	for (n = u_itree_iter_first(&t, 1000, 1999); n; n = next) {
		next = u_itree_iter_next(n, 1000, 1999);
		range_remove(&t, to_range(n));
		T_ASSERT_OK(u_itree_validate(&t));
		removed++;
	}
	/* [990, 1004] through [1990, 2004]. */
	T_ASSERT_EQ_INT(removed, 101);
	check_query(&t, 1000, 1999, NULL, 0);
	check_order(&t, r, N);
	for (size_t i = 0; i < N; i++)
		if (r[i].in_tree)
			range_remove(&t, &r[i]);
}

/* A tree of @n ranges at 16, 32, ...; every third one 80 long, for the corruption tests. */
static void build_small(struct u_itree *t, struct range *r, size_t n)
{
	u_itree_init(t);
	for (size_t i = 0; i < n; i++)
		range_insert(t, &r[i], (i + 1) * 16, (i + 1) * 16 + (i % 3) * 40);
}

static void expect_broken(struct u_itree *t, const char *what)
{
	unsigned int before = nr_logs;

	u_log_set_sink(capture_sink, NULL);
	T_ASSERT_ERRNO(u_itree_validate(t), EUCLEAN);
	u_log_set_sink(NULL, NULL);
	T_ASSERT_EQ_INT(nr_logs, before + 1);
	T_ASSERT_MSG(strstr(last_log, what), "validate logged \"%s\", expected it to name \"%s\"",
		     last_log, what);
}

T_TEST(itree_validate_detects, "util/itree/validate/detects-corruption")
{
	struct range r[15] = { 0 };
	struct u_itree t;
	struct u_itree_node *leaf = NULL, *n, *a, *b;
	enum u_log_level saved = u_log_get_level();
	uint64_t tmp;

	u_log_set_level(U_LOG_ERROR);
	build_small(&t, r, ARRAY_SIZE(r));
	T_ASSERT_OK(u_itree_validate(&t));

	t.count++;
	expect_broken(&t, "count");
	t.count--;

	t.root->red = true;
	expect_broken(&t, "root is red");
	t.root->red = false;

	a = u_itree_first(&t);
	a->subtree_last++;
	expect_broken(&t, "subtree_last");
	a->subtree_last--;

	/*
	 * Swapping the starts of neighbours [128, 168] and [144, 224] breaks
	 * the order and nothing else (both ranges stay start <= last).
	 */
	a = u_itree_lookup_start(&t, 8 * 16);
	b = u_itree_next(a);
	tmp = a->start;
	a->start = b->start;
	b->start = tmp;
	expect_broken(&t, "order");
	b->start = a->start;
	a->start = tmp;
	T_ASSERT_OK(u_itree_validate(&t));

	a = u_itree_last(&t);
	tmp = a->last;
	a->last = a->start - 1;
	expect_broken(&t, "start > last");
	a->last = tmp;

	a = u_itree_first(&t);
	tmp = (uint64_t)(uintptr_t)a->parent;
	a->parent = a;
	expect_broken(&t, "links");
	a->parent = (struct u_itree_node *)(uintptr_t)tmp;

	/* A black leaf under a black parent turned red: one path loses a black node. */
	for (n = u_itree_first(&t); n; n = u_itree_next(n))
		if (!n->left && !n->right && !n->red && n->parent && !n->parent->red)
			leaf = n;
	T_ASSERT_NOT_NULL(leaf);
	leaf->red = true;
	expect_broken(&t, "black height");
	leaf->red = false;

	/* A red node under a red parent (not the root: that is "root is red"). */
	for (n = u_itree_first(&t); n; n = u_itree_next(n))
		if (n->red && n->parent != t.root)
			break;
	T_ASSERT_NOT_NULL(n);
	n->parent->red = true;
	expect_broken(&t, "red child");
	n->parent->red = false;

	T_ASSERT_OK(u_itree_validate(&t));
	u_log_set_level(saved);
	for (size_t i = 0; i < ARRAY_SIZE(r); i++)
		range_remove(&t, &r[i]);
}

/* A range for the randomized test: mostly small and clustered, some huge or at the top. */
static void random_range(uint64_t *start, uint64_t *last)
{
	switch (t_rand() % 10) {
	case 0:		/* ends at the top of the address space */
		*start = UINT64_MAX - t_rand() % 4096;
		*last = UINT64_MAX;
		break;
	case 1:		/* from low to the top */
		*start = t_rand() % 4096;
		*last = UINT64_MAX;
		break;
	case 2:		/* single address */
		*start = t_rand() % 4096;
		*last = *start;
		break;
	default:
		*start = t_rand() % 4096;
		*last = *start + t_rand() % 128;
		break;
	}
}

T_TEST(itree_random, "util/itree/random/model")
{
	enum { POOL = 400, MUTATIONS = 8000, PHASE = 1200 };
	struct range *pool = u_calloc(POOL, sizeof(*pool));
	struct u_itree t = U_ITREE_INIT;
	size_t live = 0, peak = 0, inserts = 0, removes = 0;

	T_ASSERT_NOT_NULL(pool);
	for (unsigned int op = 0; inserts + removes < MUTATIONS; op++) {
		struct range *r = &pool[t_rand() % POOL];
		uint64_t start, last;
		/*
		 * Alternate phases that mostly insert and mostly remove, so the
		 * tree swings between nearly empty and nearly full.
		 */
		bool grow = ((inserts + removes) / PHASE) % 2 == 0;

		if (!r->in_tree && (grow || t_rand() % 4 == 0)) {
			random_range(&start, &last);
			range_insert(&t, r, start, last);
			live++;
			inserts++;
		} else if (r->in_tree && (!grow || t_rand() % 4 == 0)) {
			range_remove(&t, r);
			live--;
			removes++;
		} else {
			continue;
		}
		peak = u_max(peak, live);
		T_ASSERT_OK(u_itree_validate(&t));
		T_ASSERT_EQ_INT(u_itree_count(&t), live);

		random_range(&start, &last);
		check_query_model(&t, pool, POOL, start, last);
		if (op % 4 == 0) {
			struct u_itree_node *n;
			struct range *expect[POOL];
			size_t k;
			struct range *want = NULL;

			/* Mostly the start of a node in the tree, which may have equals. */
			if (pool[op % POOL].in_tree)
				start = pool[op % POOL].node.start;
			n = u_itree_lookup_start(&t, start);
			k = model_query(pool, POOL, start, start, expect);
			/* The earliest inserted range starting exactly at start, if any. */
			for (size_t i = 0; i < k && !want; i++)
				if (expect[i]->node.start == start)
					want = expect[i];
			T_ASSERT_EQ_PTR(to_range(n), want);
		}
		if (op % 64 == 0) {
			check_order(&t, pool, POOL);
			check_query_model(&t, pool, POOL, 0, UINT64_MAX);
		}
	}
	t_note("%zu inserts, %zu removes, peak %zu nodes", inserts, removes, peak);
	T_ASSERT_GT_INT(peak, POOL / 2);
	for (size_t i = 0; i < POOL; i++) {
		if (!pool[i].in_tree)
			continue;
		range_remove(&t, &pool[i]);
		T_ASSERT_OK(u_itree_validate(&t));
	}
	T_ASSERT_EQ_INT(u_itree_count(&t), 0);
	u_free(pool);
}
