/* SPDX-License-Identifier: MIT */
/*
 * Intrusive circular doubly linked lists, in the shape of the kernel's
 * list_head: embed a struct u_list in the object and get back to the object
 * with u_list_entry().
 */
#ifndef PANTOMIME_U_LIST_H
#define PANTOMIME_U_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include "u_compiler.h"

/**
 * struct u_list - a list head or a list node.
 * @next: following node (the head itself at the end).
 * @prev: preceding node.
 */
struct u_list {
	struct u_list *next;
	struct u_list *prev;
};

#define U_LIST_INIT(name) { &(name), &(name) }

/** u_list_init() - make @l an empty list (or a detached node). */
static inline void u_list_init(struct u_list *l)
{
	l->next = l;
	l->prev = l;
}

/** u_list_empty() - Return: true if the list headed by @l has no node. */
static inline bool u_list_empty(const struct u_list *l)
{
	return l->next == l;
}

static inline void u_list__insert(struct u_list *n, struct u_list *prev, struct u_list *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/** u_list_add() - insert @n right after @head (stack order). */
static inline void u_list_add(struct u_list *n, struct u_list *head)
{
	u_list__insert(n, head, head->next);
}

/** u_list_add_tail() - insert @n right before @head (queue order). */
static inline void u_list_add_tail(struct u_list *n, struct u_list *head)
{
	u_list__insert(n, head->prev, head);
}

/** u_list_del() - unlink @n and leave it self-linked, so u_list_empty(n) holds. */
static inline void u_list_del(struct u_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	u_list_init(n);
}

/** u_list_move_tail() - unlink @n and append it to @head. */
static inline void u_list_move_tail(struct u_list *n, struct u_list *head)
{
	u_list_del(n);
	u_list_add_tail(n, head);
}

/** u_list_length() - Return: the number of nodes on the list headed by @head (O(n)). */
static inline size_t u_list_length(const struct u_list *head)
{
	size_t n = 0;

	for (const struct u_list *p = head->next; p != head; p = p->next)
		n++;
	return n;
}

#define u_list_entry(ptr, type, member) container_of(ptr, type, member)
#define u_list_first_entry(head, type, member) u_list_entry((head)->next, type, member)
#define u_list_last_entry(head, type, member) u_list_entry((head)->prev, type, member)

#define u_list_for_each_entry(pos, head, member)                               \
	for (pos = u_list_entry((head)->next, __typeof__(*pos), member);       \
	     &pos->member != (head);                                           \
	     pos = u_list_entry(pos->member.next, __typeof__(*pos), member))

#define u_list_for_each_entry_safe(pos, tmp, head, member)                     \
	for (pos = u_list_entry((head)->next, __typeof__(*pos), member),       \
	     tmp = u_list_entry(pos->member.next, __typeof__(*pos), member);   \
	     &pos->member != (head);                                           \
	     pos = tmp, tmp = u_list_entry(tmp->member.next, __typeof__(*tmp), member))

#endif
