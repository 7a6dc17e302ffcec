/* Parsing the api functions' JSON into jansson values in one pass over the
 * buffer. jansson's own json_loads reads character by character through a
 * callback and was half of a worker's time on the inbox and dashboard. */
#ifndef PARLEY_JSONFAST_H
#define PARLEY_JSONFAST_H
#include <jansson.h>
#include <stddef.h>

/* For text without NUL bytes (as PostgreSQL's is): the same value
 * json_loads(text, JSON_DECODE_ANY, NULL) gives (integers stay
 * integers, reals reals, later duplicate keys win), or NULL where it fails:
 * malformed JSON, invalid UTF-8, \u0000, numbers out of range, nesting
 * deeper than 2048. */
json_t *json_parse_fast(const char *text, size_t len);

#endif
