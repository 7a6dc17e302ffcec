#include "markdown.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* cmark 0.29+ is safe unless CMARK_OPT_UNSAFE; CMARK_OPT_SAFE keeps older
 * versions safe too. CMARK_OPT_SMART is deliberately absent. */
#define MD_OPTIONS (CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8)

static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_scheme_char(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

bool md_url_allowed(const char *url, bool image)
{
    if (!url)
        return true;
    /* Browsers drop tabs and newlines inside URLs and trim spaces and
     * controls: refuse them rather than guess what a browser would see. */
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7F)
            return false;
    size_t i = 0;
    while (is_scheme_char((unsigned char)url[i]))
        i++;
    if (url[i] != ':' || !is_alpha((unsigned char)url[0]))
        return true; /* no scheme: a path, query or fragment of this site */
    static const struct {
        const char *name;
        bool image;
    } ok[] = {{"http", true}, {"https", true}, {"mailto", false}, {"tel", false}};
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
        if (strlen(ok[k].name) == i && strncasecmp(url, ok[k].name, i) == 0)
            return ok[k].image || !image;
    return false;
}

/* Blank every link or image URL that md_url_allowed refuses (cmark itself
 * blanks javascript:, vbscript:, file: and most data: URLs). */
static void sanitize_urls(cmark_node *root)
{
    cmark_iter *it = cmark_iter_new(root);
    if (!it)
        die("out of memory");
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        if (ev != CMARK_EVENT_ENTER)
            continue;
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(n);
        if ((t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE) &&
            !md_url_allowed(cmark_node_get_url(n), t == CMARK_NODE_IMAGE))
            cmark_node_set_url(n, "");
    }
    cmark_iter_free(it);
}

static const char JS[] = "javascript:";
enum { JS_LEN = sizeof JS - 1 };

static bool js_at(const char *s) { return strncasecmp(s, JS, JS_LEN) == 0; }

/* Copy html into the arena, writing the colon of each "javascript:" as &#58;
 * (the same text to a reader; such text can only be content here, since
 * URLs with that scheme were blanked). */
static char *copy_defused(arena *a, const char *html)
{
    size_t len = strlen(html), hits = 0;
    for (const char *p = html; (p = strpbrk(p, "jJ")) != NULL; p++)
        if (js_at(p))
            hits++;
    char *out = arena_alloc(a, len + hits * 4 + 1), *o = out;
    for (const char *p = html; *p;) {
        if ((*p == 'j' || *p == 'J') && js_at(p)) {
            memcpy(o, p, JS_LEN - 1);
            memcpy(o + JS_LEN - 1, "&#58;", 5);
            o += JS_LEN - 1 + 5;
            p += JS_LEN;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

char *md_to_html(arena *a, const char *md, size_t n)
{
    if (n > MD_MAX_INPUT || (!md && n > 0))
        return NULL;
    cmark_node *doc = cmark_parse_document(md ? md : "", n, MD_OPTIONS);
    if (!doc)
        die("out of memory");
    sanitize_urls(doc);
    char *html = cmark_render_html(doc, MD_OPTIONS);
    cmark_node_free(doc);
    if (!html)
        die("out of memory");
    char *out = copy_defused(a, html);
    free(html);
    return out;
}
