/* Growable byte buffer (heap-backed, NUL-terminated). The owner calls
 * buf_free, or ties it to a request with arena_defer(a, buf_free_cb, b). */
#ifndef PARLEY_BUF_H
#define PARLEY_BUF_H
#include <stddef.h>

typedef struct {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len, cap;
} buf;

#define BUF_INIT {NULL, 0, 0}

void buf_append(buf *b, const void *p, size_t n);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* & < > " ' escaped; control characters but tab and line breaks, and the
 * text-direction overrides, embeddings and isolates, left out */
void buf_html_escape(buf *b, const char *s, size_t n);
void buf_clear(buf *b);                                /* len = 0, keeps memory */
void buf_free(buf *b);
void buf_free_cb(void *b);                             /* for arena_defer */

#endif
