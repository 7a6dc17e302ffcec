/* jansson's allocations during a web request come from the request's arena:
 * a page's document is thousands of small values that all die with the
 * request, and malloc and free of each one was a fifth of a worker's time.
 * Values made outside a request (the message catalogs) still use malloc; a
 * header on every block says which is which, so either kind can be freed. */
#ifndef PARLEY_JSONMEM_H
#define PARLEY_JSONMEM_H
#include "arena.h"

#include <stdbool.h>

void jsonmem_install(void);   /* once per process, before any jansson value */
void jsonmem_use(arena *a);   /* this thread's new values from a until jsonmem_use(NULL) */
bool jsonmem_in_arena(void);  /* whether new values die with the arena */
void jsonmem_free(void *p);   /* for json_dumps' strings, whatever made them */

#endif
