#include "arena.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 64 * 1024 };

struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *p;
};

struct arena {
    struct chunk *head;
    struct cleanup *cleanups;
    struct chunk *spare; /* standard chunks kept by reset for the next request */
    int nspare;
};

/* Reset keeps this many standard chunks: freeing them made glibc consolidate
 * its heap on every request, and the next request needs them again. */
enum { MAX_SPARE = 16 };

static struct chunk *chunk_new(size_t min)
{
    size_t size = min > CHUNK ? min : CHUNK;
    struct chunk *c = malloc(sizeof *c + size);
    if (!c)
        die("out of memory");
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

/* A standard chunk, empty: a spare one when there is one. */
static struct chunk *standard_chunk(arena *a)
{
    struct chunk *c = a->spare;
    if (!c)
        return chunk_new(CHUNK);
    a->spare = c->next;
    a->nspare--;
    c->next = NULL;
    c->used = 0;
    return c;
}

arena *arena_new(void)
{
    arena *a = malloc(sizeof *a);
    if (!a)
        die("out of memory");
    a->head = chunk_new(CHUNK);
    a->cleanups = NULL;
    a->spare = NULL;
    a->nspare = 0;
    return a;
}

static void run_cleanups(arena *a)
{
    /* Cleanup records live in the arena itself, so run them before chunks go. */
    for (struct cleanup *c = a->cleanups; c; c = c->next)
        c->fn(c->p);
    a->cleanups = NULL;
}

void arena_reset(arena *a)
{
    run_cleanups(a);
    struct chunk *c = a->head;
    while (c->next) {
        struct chunk *next = c->next;
        if (c->size == CHUNK && a->nspare < MAX_SPARE) {
            c->next = a->spare;
            a->spare = c;
            a->nspare++;
        } else {
            free(c);
        }
        c = next;
    }
    if (c->size != CHUNK) { /* a big block ended up last: do not keep it for good */
        free(c);
        c = standard_chunk(a);
    }
    c->used = 0;
    a->head = c;
}

void arena_free(arena *a)
{
    if (!a)
        return;
    arena_reset(a);
    free(a->head);
    while (a->spare) {
        struct chunk *next = a->spare->next;
        free(a->spare);
        a->spare = next;
    }
    free(a);
}

void *arena_alloc_uninit(arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    struct chunk *c = a->head;
    if (c->size - c->used < n) {
        if (n > CHUNK / 4) {
            /* Big blocks get their own chunk behind the head so the head's
             * free space is not wasted. */
            struct chunk *big = chunk_new(n);
            big->next = c->next;
            c->next = big;
            big->used = n;
            return big->data;
        }
        struct chunk *fresh = standard_chunk(a);
        fresh->next = c;
        a->head = c = fresh;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

void *arena_alloc(arena *a, size_t n)
{
    void *p = arena_alloc_uninit(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *arena_strdup(arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("arena_printf: bad format");
    char *d = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void arena_defer(arena *a, void (*fn)(void *), void *p)
{
    struct cleanup *c = arena_alloc(a, sizeof *c);
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
}
