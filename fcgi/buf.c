#include "buf.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        die("out of memory");
    b->data = d;
    b->cap = cap;
}

void buf_append(buf *b, const void *p, size_t n)
{
    reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(buf *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_putc(buf *b, char c) { buf_append(b, &c, 1); }

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("buf_printf: bad format");
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* U+202A-U+202E (embeddings, overrides) and U+2066-U+2069 (isolates) at s[i]
 * (E2 80 AA-AE, E2 81 A6-A9): characters that reorder the text around them. */
static bool reorders(const unsigned char *s, size_t i, size_t n)
{
    return i + 2 < n && s[i] == 0xE2 && ((s[i + 1] == 0x80 && s[i + 2] >= 0xAA && s[i + 2] <= 0xAE) ||
                                         (s[i + 1] == 0x81 && s[i + 2] >= 0xA6 && s[i + 2] <= 0xA9));
}

void buf_html_escape(buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        size_t skip = 1;
        switch (u[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\t': case '\n': case '\r': continue;
        case 0xE2: /* text from a platform may carry these: never let it reorder a page */
            if (!reorders(u, i, n))
                continue;
            rep = "";
            skip = 3;
            break;
        case 0xC2: /* U+0080-U+009F, the C1 controls */
            if (i + 1 >= n || u[i + 1] > 0x9F)
                continue;
            rep = "";
            skip = 2;
            break;
        default:
            if (u[i] >= 0x20 && u[i] != 0x7F)
                continue;
            rep = ""; /* other control characters show as nothing, not as boxes */
        }
        buf_append(b, s + start, i - start);
        buf_puts(b, rep);
        start = i + skip;
        i += skip - 1;
    }
    buf_append(b, s + start, n - start);
}

void buf_clear(buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_free(buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_free_cb(void *b) { buf_free(b); }
