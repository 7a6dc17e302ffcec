/* HTTP input parsing for the web workers: form data, cookies and the
 * content-negotiation headers. Every input is treated as hostile; nothing
 * reads past the given length, and all results live in the caller's arena. */
#ifndef PARLEY_HTTPIN_H
#define PARLEY_HTTPIN_H
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

typedef struct {
    const char *name;  /* NUL-terminated, valid UTF-8 */
    const char *value; /* NUL-terminated, valid UTF-8 */
    size_t value_len;
} kv;

typedef struct {
    kv *items;
    size_t n;
} kvlist;

typedef enum {
    HIN_OK = 0,
    HIN_MALFORMED, /* bad %-escape (or NULL input with n > 0) */
    HIN_BAD_UTF8,  /* decoded name/value not strict UTF-8, or contains NUL */
    HIN_TOO_MANY,  /* more than max_params pairs */
    HIN_TOO_LONG,  /* a decoded name or value longer than max_field bytes */
} hin_status;

/* Parse application/x-www-form-urlencoded data (query string or POST body).
 * Pairs are separated by '&' only; '+' is a space; %XX is decoded. Empty
 * segments are skipped, a name without '=' gets value "", "=v" gives the
 * empty name, repeated names are kept in order. The pair count is checked
 * before any decoding, so HIN_TOO_MANY wins over the other errors; otherwise
 * the first bad field decides. On error *out is empty. */
hin_status hin_parse_form(arena *a, const char *s, size_t n, size_t max_params,
                          size_t max_field, kvlist *out);

/* First value for name, or NULL. */
const char *hin_get(const kvlist *l, const char *name);

/* s percent-encoded for a URL's query or path segment: every byte but the
 * unreserved A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex). In arena a. */
const char *url_escape(arena *a, const char *s);

/* Value of cookie `name` in a Cookie header ("a=1; b=2"), or NULL. Names are
 * case-sensitive, the first well-formed match wins, one pair of surrounding
 * double quotes is stripped, no percent-decoding. Pieces without '=' or
 * whose value is not RFC 6265 cookie-octets are skipped. */
const char *hin_cookie(arena *a, const char *header, const char *name);

/* Best entry of the NULL-terminated `supported` list for an Accept-Language
 * header, or NULL. Each supported tag takes its q from the most specific
 * matching range (exact > prefix > same primary subtag > "*"), so q=0
 * excludes; ties go to the range listed first, then to list order.
 * Returns an element of `supported`. Invalid entries are ignored. */
const char *hin_pick_language(const char *header, const char *const *supported);

/* True when the Accept header names application/json with q > 0 and ranks it
 * above text/html (q first, then specificity: an explicit type beats a
 * wildcard, then header order). */
bool hin_wants_json(const char *accept);

/* True for application/x-www-form-urlencoded, any case, with optional
 * ";"-parameters. */
bool hin_is_form(const char *content_type);

/* True for a redirect target on this site: a path, not //host or a scheme,
 * without control characters or backslashes (browsers drop those or fold
 * them into '/', making "/\t/evil" an other site's "//evil"). */
bool hin_local_path(const char *p);

#endif
