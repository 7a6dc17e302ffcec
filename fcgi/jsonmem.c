#include "jsonmem.h"

#include <jansson.h>
#include <stdlib.h>

/* 16 bytes keep the blocks as aligned as malloc's; byte 0 is the owner. */
enum { HEADER = 16, FROM_MALLOC = 0, FROM_ARENA = 1 };

static bool installed;
static _Thread_local arena *current; /* each thread its own (the hooks workers run several) */

static void *jm_malloc(size_t n)
{
    unsigned char *p;
    if (current) {
        p = arena_alloc_uninit(current, n + HEADER);
        p[0] = FROM_ARENA;
    } else {
        p = malloc(n + HEADER);
        if (!p)
            return NULL;
        p[0] = FROM_MALLOC;
    }
    return p + HEADER;
}

static void jm_free(void *q)
{
    if (!q)
        return;
    unsigned char *p = (unsigned char *)q - HEADER;
    if (p[0] == FROM_MALLOC)
        free(p);
    /* arena blocks go when the arena is reset */
}

void jsonmem_install(void)
{
    json_set_alloc_funcs(jm_malloc, jm_free);
    installed = true;
}

void jsonmem_use(arena *a) { current = installed ? a : NULL; }

bool jsonmem_in_arena(void) { return current != NULL; }

void jsonmem_free(void *p)
{
    if (installed)
        jm_free(p);
    else
        free(p);
}
