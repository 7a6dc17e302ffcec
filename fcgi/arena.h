/* Per-request memory: everything a request allocates lives in one arena and is
 * released at once by arena_reset() at the top of the FastCGI loop.
 * Allocation failure aborts the process (the worker pool restarts it). */
#ifndef PARLEY_ARENA_H
#define PARLEY_ARENA_H
#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena;

arena *arena_new(void);                 /* caller owns; free with arena_free */
void arena_free(arena *a);
void arena_reset(arena *a);             /* runs deferred cleanups, keeps first chunk */

void *arena_alloc(arena *a, size_t n);  /* 16-byte aligned, zeroed */
void *arena_alloc_uninit(arena *a, size_t n); /* the same, not zeroed */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Register fn(p) to run at the next reset/free: how library objects
 * (PGresult, json_t) are tied to the request lifetime. */
void arena_defer(arena *a, void (*fn)(void *), void *p);

#endif
