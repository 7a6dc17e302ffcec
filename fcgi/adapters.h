/* Platform adapters of the harvester: how to ask a platform for a stream's
 * next page, and what the answer means for the stream's position. Parsing
 * of the items themselves happens in PostgreSQL (ingest.normalize_*). */
#ifndef PARLEY_ADAPTERS_H
#define PARLEY_ADAPTERS_H
#include <jansson.h>
#include <stdbool.h>

#include "arena.h"
#include "httpin.h" /* url_escape */

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

/* A leased outbox entry: a reply to send (strings owned by the caller's arena).
 * target: the platform's id of the post answered, target_kind its kind (post,
 * reply, comment, direct...), target_root the id of its thread's root and
 * target_author its author's (either may be NULL), target_top, when the target
 * is a reply to a comment, the comment under its thread's root it is filed
 * under (else NULL); ref: Bluesky's {root, parent}
 * strong refs (borrowed, may be NULL); rkey: the record key the entry always uses;
 * created_at: when it was queued (ISO 8601); taken: the platform ids of the
 * replies other entries recorded in the thread with the same words (borrowed
 * array, may be NULL). */
typedef struct {
    long long id;
    const char *key, *platform, *base_url, *token, *repo, *body, *target, *visibility, *created_at, *rkey;
    const char *target_kind, *target_root, *target_author, *target_top;
    json_t *ref, *taken;
} reply_entry;

/* One request of a send: a POST of a JSON body, or a GET when body is NULL. */
typedef struct {
    const char *url;         /* arena-owned */
    const char *body;        /* arena-owned JSON, or NULL */
    const char *headers[4];  /* extra "Name: value" lines, NULL-terminated */
    const char *content_type; /* of body; NULL: application/json */
} reply_plan;

typedef struct {
    const char *platform;
    /* Plan the next page; returns NULL, or a message saying why it cannot be asked for. */
    const char *(*plan)(arena *a, const stream *s, page_plan *out);
    /* The stream's position after a page was received (new reference); *done when
     * this run has caught up. body may be NULL when it was not JSON. */
    json_t *(*advance)(const stream *s, json_t *body, json_t *headers, bool *done);
    /* Remaining requests (-1 unknown) and the reset time as ISO 8601 text (or NULL);
     * NULL for a platform that only pushes and sends (WeChat). */
    void (*quota)(arena *a, json_t *headers, int *remaining, const char **reset_at);
    /* Publishing (NULL: replies cannot be sent to this platform yet). Plan the
     * request that sends e, or with lookup the one that asks whether an earlier
     * attempt already made the reply (after an error answer: a send that must
     * not be repeated blindly); out->url NULL means there is no such lookup.
     * Returns NULL, or why the reply cannot be sent (a permanent failure). */
    const char *(*reply)(arena *a, const reply_entry *e, bool lookup, reply_plan *out);
    /* Where there is no lookup: true when sending again is safe because the
     * platform honours the entry's idempotency key; false (WeChat) when an
     * entry whose send got no answer, or died, must wait for staff instead. */
    bool resend_is_safe;
    /* From a 2xx answer to either request, the platform's id and URL of the
     * reply (arena-owned; url may be NULL). Returns NULL, or what is wrong. */
    const char *(*replied)(arena *a, const reply_entry *e, json_t *body, const char **external_id,
                           const char **url);
    /* Optional: whether a lookup's non-2xx answer says that the reply is not
     * there (Bluesky: RecordNotFound). Any other refusal learned nothing. */
    bool (*lookup_absent)(long status, json_t *body);
    /* Optional (NULL: the status code decides). What a failed answer (status not
     * 2xx) means, for platforms that report expired tokens or throttling inside
     * 400 bodies (Meta, Weibo): "auth", "throttled" (the token's budget is
     * spent), "throttled_api" (only this API's own limit: the token's other
     * calls may go on), "server" or "client", or NULL for the status code's
     * meaning; *message may be set to the platform's words. */
    const char *(*failure)(arena *a, long status, json_t *body, const char **message);
    /* Optional: the Authorization header line for a token (NULL: Bearer). Tokens
     * never go into URLs, which are stored and logged. */
    const char *(*authorization)(arena *a, const char *token);
    /* Optional: the position to go on from after the platform refused a page
     * (a client error), so that one part it will not give does not hold up
     * the rest (new reference; *run_done when that ends the run), or NULL:
     * the database decides (a replies stream passes over the thread, other
     * streams ask the same again). */
    json_t *(*refused)(const stream *s, bool *run_done);
} adapter;

/* The failure kind of a non-2xx answer (the adapter's verdict, else the status
 * code's) and the message to record. */
const char *failure_kind(arena *a, const adapter *ad, long status, json_t *body, const char **message);
/* A kind failure_kind() gives for a throttle: wait for the retry time. */
bool throttled(const char *kind);
/* The Authorization header line for the adapter's platform. */
const char *authorization_header(arena *a, const adapter *ad, const char *token);

const adapter *adapter_for(const char *platform); /* NULL when there is none */

/* Shared helpers for adapters (adapters.c). */
const char *state_text(const stream *s, const char *key); /* a string in the stream's position, or NULL */
/* A replies stream paging within one thread keeps the thread's id under key
 * (and "after" just before it, so the database names the same target again):
 * whether the position is the current target's, not a thread left behind. */
bool state_is_thread(const stream *s, const char *key);
int decimal_id_cmp(const char *x, const char *y);          /* ids as decimal strings, compared as numbers */
const char *header(json_t *headers, const char *name);       /* lower-case name */
/* One response header line (as libcurl gives it) into headers, its name
 * lower-cased; a status line starts a new response and clears them. */
void keep_header(json_t *headers, const char *line, size_t len);
/* The adapter's reading of the rate-limit headers: -1 and NULL where it
 * names none (or has no reader, as WeChat). */
void read_quota(arena *a, const adapter *ad, json_t *headers, int *remaining, const char **reset_at);
const char *link_param(arena *a, const char *link, const char *rel, const char *param);
const char *epoch_to_iso(arena *a, long long epoch); /* NULL beyond the calendar */
/* A platform's reset or retry time as ISO 8601 text, at most MAX_WAIT ahead:
 * a header naming a later time (or one beyond any calendar) must not hold a
 * stream for ever, nor give a time the database refuses. */
enum { MAX_WAIT = 24 * 3600 };
const char *wait_until(arena *a, long long epoch);
const char *wait_for(arena *a, long long seconds); /* from now */
/* A header that is a plain decimal number (at most 18 digits): false otherwise. */
bool header_number(json_t *headers, const char *name, long long *out);
/* The same as a count (capped at INT_MAX), or -1. */
int header_count(json_t *headers, const char *name);
/* ISO 8601 with a zone ("2021-07-04T19:50:58+0000", "…Z", "…+00:00", fractions
 * allowed) as Unix seconds; false when it is not one. */
bool iso_time(const char *t, long long *out);
/* Whether a reply a lookup found (the brand's, with e's words, answering what
 * e answers) can be e's: made no earlier than e was queued (created: the
 * platform's time of it, ISO 8601), less LOOKUP_SKEW for the platform's clock
 * against Parley's, and not another entry's reply (e->taken). The same words
 * sent to the same post again are another reply: taking an earlier one for
 * it would show a reply sent that never was. */
enum { LOOKUP_SKEW = 120 };
bool lookup_may_take(const reply_entry *e, const char *id, const char *created);
const char *json_text(arena *a, json_t *v);                   /* compact JSON, arena-owned */
/* The platform's own words for an error answer, e.g. "HTTP 422: Validation failed". */
const char *platform_error(arena *a, json_t *body, long status);
/* When to try again after a 429: Retry-After (seconds or HTTP date) as ISO
 * 8601 text, else fallback. */
const char *retry_time(arena *a, json_t *headers, const char *fallback);

#endif
