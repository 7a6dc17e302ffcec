/* Markdown (CommonMark, libcmark) to HTML that is safe to put in a page:
 * raw HTML is omitted, link and image URLs are limited to a few schemes,
 * smart punctuation is off. Used for document fields ending in "_md". */
#ifndef PARLEY_MARKDOWN_H
#define PARLEY_MARKDOWN_H
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

enum { MD_MAX_INPUT = 256 * 1024 }; /* bytes; the database allows as much */

/* Render n bytes of md (need not be NUL-terminated; NUL bytes and invalid
 * UTF-8 become U+FFFD). Returns NUL-terminated HTML owned by a, or NULL when
 * n > MD_MAX_INPUT or md is NULL with n > 0. Besides cmark's safe mode, any
 * "javascript:" left in text is written with &#58; for the colon, so the
 * output never contains that string. */
char *md_to_html(arena *a, const char *md, size_t n);

/* Whether a (decoded) link or image URL may be kept: relative URLs, and the
 * schemes http and https, plus mailto and tel for links. Anything with
 * control characters or spaces is refused. NULL (no URL) is allowed. */
bool md_url_allowed(const char *url, bool image);

#endif
