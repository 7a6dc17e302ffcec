/* Mustache templates, following the official spec (github.com/mustache/spec):
 * interpolation, sections, inverted sections, comments, partials, set
 * delimiters and template inheritance (parents and blocks). No lambdas.
 *
 * Compile once, render many: a compiled template is immutable, so one
 * template may be rendered any number of times (also as a partial of others).
 *
 * Data semantics (JSON via jansson):
 *   - {{x}} HTML-escapes & < > " and ' ; {{{x}}} and {{&x}} do not.
 *   - integers render as such, reals in the shortest form that reads back
 *     exactly (1.21), true/false as "true"/"false"; null, objects and arrays
 *     render as nothing.
 *   - falsy for sections: missing, null, false, "", 0, 0.0 and the empty
 *     array (the spec's `!!data`); a non-empty array iterates.
 *   - dotted names (a.b.c) resolve the first part up the context stack and
 *     the rest strictly inside it; "." is the current context.
 */
#ifndef PARLEY_MUSTACHE_H
#define PARLEY_MUSTACHE_H
#include <jansson.h>
#include <stddef.h>

#include "buf.h"

typedef struct mst_template mst_template;

/* Looks up a partial or parent template by name; returns NULL if unknown
 * (renders as empty). The returned template is owned by the loader and must
 * outlive the render call. */
typedef const mst_template *(*mst_loader)(void *ud, const char *name);

/* Compile src (len bytes, need not be NUL-terminated; the template keeps its
 * own copy, so src may be freed afterwards). On a syntax error (unclosed tag,
 * unbalanced section, empty tag name, bad delimiters, nesting deeper than 256,
 * source over 1 MiB) returns NULL and, if err != NULL, sets *err to a
 * malloc'd message starting with "line N: " (caller frees). The result is
 * owned by the caller; free it with mst_free. */
mst_template *mst_compile(const char *src, size_t len, char **err);

/* Frees t and everything it owns; NULL is fine. */
void mst_free(mst_template *t);

/* Render t with context ctx (jansson value, borrowed and not modified; may be
 * NULL) and append the result to out (owned by the caller). loader may be
 * NULL: every partial and parent is then unknown. Returns 0, or -1 when a
 * fixed limit is exceeded: 64 nested partial/parent/override expansions,
 * 1024 nested sections plus expansions, 16M steps (nodes rendered plus
 * context stack entries searched) or 64 MiB of output. So self-including
 * templates stop instead of crashing or running forever. On -1, out is
 * restored to its length before the call. */
int mst_render(const mst_template *t, json_t *ctx, mst_loader loader, void *ud, buf *out);

#endif
