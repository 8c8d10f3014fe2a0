/*
 * queue.h - intrusive doubly linked lists (internal).
 *
 * A struct wqi_list is embedded in the object that sits on the list, so
 * adding and removing never allocates and an object can be removed in O(1)
 * knowing only itself. A list head is a wqi_list whose prev/next point to
 * itself when the list is empty. A node that is on no list also points to
 * itself (wqi_list_remove leaves it that way), so wqi_list_linked() tells
 * whether it is on a list.
 */
#ifndef WQI_QUEUE_H
#define WQI_QUEUE_H

#include <stddef.h>

struct wqi_list {
	struct wqi_list *prev;  /* previous node, or the head */
	struct wqi_list *next;  /* next node, or the head */
};

#define wqi_container_of(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

static inline void wqi_list_init(struct wqi_list *l) { l->prev = l->next = l; }
static inline int wqi_list_empty(const struct wqi_list *head) { return head->next == head; }
static inline int wqi_list_linked(const struct wqi_list *n) { return n->next != n; }

static inline void wqi_list_insert_between_(struct wqi_list *n, struct wqi_list *a, struct wqi_list *b)
{
	n->prev = a;
	n->next = b;
	a->next = n;
	b->prev = n;
}
static inline void wqi_list_push_back(struct wqi_list *head, struct wqi_list *n) { wqi_list_insert_between_(n, head->prev, head); }
static inline void wqi_list_push_front(struct wqi_list *head, struct wqi_list *n) { wqi_list_insert_between_(n, head, head->next); }
static inline void wqi_list_remove(struct wqi_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}
/* Iterate safely (the current node may be removed): for (n = head->next; n != head; n = nx) with nx saved. */
#define wqi_list_foreach_safe(n, nx, head) for ((n) = (head)->next, (nx) = (n)->next; (n) != (head); (n) = (nx), (nx) = (n)->next)

#endif
