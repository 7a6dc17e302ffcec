/* Platform adapters of the harvester: how to ask a platform for a stream's
 * next page, and what the answer means for the stream's position. Parsing
 * of the items themselves happens in PostgreSQL (ingest.normalize_*). */
#ifndef PARLEY_ADAPTERS_H
#define PARLEY_ADAPTERS_H
#include <jansson.h>
#include <stdbool.h>

#include "arena.h"

/* A leased stream (strings owned by the caller's arena; state is a new reference).
 * target: for a replies stream, the own post whose thread is next (else NULL). */
typedef struct {
    long long id;
    const char *platform, *kind, *query, *handle, *account_external_id, *base_url, *token;
    json_t *state;
    long long target_id;
    const char *target;
} stream;

typedef struct {
    const char *endpoint; /* the normalizer's name for this kind of page (static) */
    const char *url;      /* arena-owned */
} page_plan;

typedef struct {
    const char *platform;
    /* Plan the next page; returns NULL, or a message saying why it cannot be asked for. */
    const char *(*plan)(arena *a, const stream *s, page_plan *out);
    /* The stream's position after a page was received (new reference); *done when
     * this run has caught up. body may be NULL when it was not JSON. */
    json_t *(*advance)(const stream *s, json_t *body, json_t *headers, bool *done);
    /* Remaining requests (-1 unknown) and the reset time as ISO 8601 text (or NULL). */
    void (*quota)(arena *a, json_t *headers, int *remaining, const char **reset_at);
} adapter;

const adapter *adapter_for(const char *platform); /* NULL when there is none */

/* Shared helpers for adapters (adapters.c). */
const char *url_escape(arena *a, const char *s);
const char *header(json_t *headers, const char *name);       /* lower-case name */
const char *link_param(arena *a, const char *link, const char *rel, const char *param);
const char *epoch_to_iso(arena *a, long long epoch);

#endif
