#include "wxml.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

enum { LOOKING, CAPTURING, FOUND };

typedef struct {
    const char *p, *end;
    const char *tag;
    size_t tag_len;
    int state;
    char *out; /* capture buffer: decoded text never outgrows its source */
    size_t out_len, out_cap;
    int depth;
    struct {
        const char *name;
        size_t len;
    } open[WX_MAX_DEPTH];
} scanner;

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool name_char(unsigned char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80)
        return true;
    return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
}

static bool starts(const scanner *s, const char *lit)
{
    size_t k = strlen(lit);
    return (size_t)(s->end - s->p) >= k && !memcmp(s->p, lit, k);
}

static const char *find(const char *from, const char *end, const char *lit)
{
    return memmem(from, (size_t)(end - from), lit, strlen(lit));
}

static size_t skip_ws(scanner *s)
{
    const char *start = s->p;
    while (s->p < s->end && is_ws(*s->p))
        s->p++;
    return (size_t)(s->p - start);
}

static size_t scan_name(scanner *s)
{
    const char *start = s->p;
    while (s->p < s->end && name_char((unsigned char)*s->p, s->p == start))
        s->p++;
    return (size_t)(s->p - start);
}

/* Text belongs to the field only when it is directly inside it. */
static void emit(scanner *s, const char *b, size_t k)
{
    if (s->state != CAPTURING || s->depth != 2)
        return;
    if (s->out_len + k > s->out_cap)
        die("wxml: capture overflow"); /* cannot happen: see out */
    memcpy(s->out + s->out_len, b, k);
    s->out_len += k;
}

/* XML 1.0 Char: strict UTF-8, no NUL, no C0 control but tab, LF, CR. */
static bool chars_ok(const char *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)x[i] < 0x20 && !is_ws(x[i]))
            return false;
    return utf8_valid(x, n);
}

/* At '&': one reference, decoded to UTF-8 in buf. Returns its byte count
 * (1..4) and moves past the ';', or -1. */
static int reference(scanner *s, char buf[4])
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    const char *p = s->p + 1;
    size_t room = (size_t)(s->end - p);
    const char *semi = memchr(p, ';', room < 32 ? room : 32);
    if (!semi)
        return -1;
    size_t len = (size_t)(semi - p);
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (len == strlen(named[i].name) && !memcmp(p, named[i].name, len)) {
            buf[0] = named[i].c;
            s->p = semi + 1;
            return 1;
        }
    if (len < 2 || p[0] != '#')
        return -1;
    unsigned long cp = 0, base = p[1] == 'x' ? 16 : 10;
    size_t i = base == 16 ? 2 : 1;
    if (i == len)
        return -1;
    for (; i < len; i++) {
        char c = p[i];
        unsigned long d;
        if (c >= '0' && c <= '9')
            d = (unsigned long)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned long)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (unsigned long)(c - 'A' + 10);
        else
            return -1;
        cp = cp * base + d;
        if (cp > 0x10FFFF)
            return -1;
    }
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp == 0xFFFE || cp == 0xFFFF)
        return -1;
    s->p = semi + 1;
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | cp >> 6);
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | cp >> 12);
        buf[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | cp >> 18);
    buf[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    buf[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Character data up to the next '<'. */
static wx_status text(scanner *s)
{
    while (s->p < s->end && *s->p != '<') {
        char buf[4];
        if (*s->p == '&') {
            int k = reference(s, buf);
            if (k < 0)
                return WX_MALFORMED;
            emit(s, buf, (size_t)k);
        } else if (starts(s, "]]>")) {
            return WX_MALFORMED;
        } else {
            emit(s, s->p++, 1);
        }
    }
    return WX_OK;
}

/* <!-- ... -->, with no "--" inside (XML's rule). */
static wx_status comment(scanner *s)
{
    const char *body = s->p + 4, *close = find(body, s->end, "-->");
    if (!close || find(body, s->end, "--") != close)
        return WX_MALFORMED;
    s->p = close + 3;
    return WX_OK;
}

static wx_status cdata(scanner *s)
{
    const char *body = s->p + 9, *close = find(body, s->end, "]]>");
    if (!close)
        return WX_MALFORMED;
    emit(s, body, (size_t)(close - body));
    s->p = close + 3;
    return WX_OK;
}

/* Name S? = S? "value" or 'value'; the value is checked, not kept. */
static wx_status attribute(scanner *s)
{
    if (!scan_name(s))
        return WX_MALFORMED;
    skip_ws(s);
    if (s->p == s->end || *s->p++ != '=')
        return WX_MALFORMED;
    skip_ws(s);
    if (s->p == s->end || (*s->p != '"' && *s->p != '\''))
        return WX_MALFORMED;
    char quote = *s->p++;
    while (s->p < s->end && *s->p != quote) {
        char buf[4];
        if (*s->p == '<')
            return WX_MALFORMED;
        if (*s->p != '&')
            s->p++;
        else if (reference(s, buf) < 0)
            return WX_MALFORMED;
    }
    if (s->p == s->end)
        return WX_MALFORMED;
    s->p++;
    return WX_OK;
}

static wx_status start_tag(scanner *s, bool *root_done)
{
    s->p++;
    const char *name = s->p;
    size_t len = scan_name(s);
    bool self = false;
    if (!len)
        return WX_MALFORMED;
    for (;;) {
        size_t ws = skip_ws(s);
        if (s->p == s->end)
            return WX_MALFORMED;
        if (*s->p == '>') {
            s->p++;
            break;
        }
        if (starts(s, "/>")) {
            s->p += 2;
            self = true;
            break;
        }
        if (!ws || attribute(s) != WX_OK)
            return WX_MALFORMED;
    }
    if (s->depth == 0 && (*root_done || len != 3 || memcmp(name, "xml", 3)))
        return WX_MALFORMED;
    if (s->depth == 1 && s->state == LOOKING && len == s->tag_len && !memcmp(name, s->tag, len)) {
        s->out_cap = (size_t)(s->end - s->p);
        s->out = malloc(s->out_cap + 1);
        if (!s->out)
            die("out of memory");
        s->state = self ? FOUND : CAPTURING;
    }
    if (self) {
        *root_done |= s->depth == 0;
        return WX_OK;
    }
    if (s->depth == WX_MAX_DEPTH)
        return WX_TOO_DEEP;
    s->open[s->depth].name = name;
    s->open[s->depth].len = len;
    s->depth++;
    return WX_OK;
}

static wx_status end_tag(scanner *s, bool *root_done)
{
    s->p += 2;
    const char *name = s->p;
    size_t len = scan_name(s);
    skip_ws(s);
    if (!len || s->p == s->end || *s->p++ != '>' || s->depth == 0)
        return WX_MALFORMED;
    s->depth--;
    if (len != s->open[s->depth].len || memcmp(name, s->open[s->depth].name, len))
        return WX_MALFORMED;
    if (s->state == CAPTURING && s->depth == 1)
        s->state = FOUND;
    *root_done |= s->depth == 0;
    return WX_OK;
}

static wx_status document(scanner *s)
{
    bool root_done = false;
    wx_status rc = WX_OK;

    skip_ws(s);
    if (starts(s, "<?xml") && (s->end - s->p == 5 || is_ws(s->p[5]) || s->p[5] == '?')) {
        const char *close = find(s->p + 5, s->end, "?>");
        if (!close || memchr(s->p + 5, '<', (size_t)(close - s->p - 5)))
            return WX_MALFORMED;
        s->p = close + 2;
    }
    while (rc == WX_OK) {
        if (s->depth == 0) {
            skip_ws(s); /* outside the root: whitespace and comments only */
            if (s->p == s->end)
                break;
            if (*s->p != '<')
                return WX_MALFORMED;
        }
        if (s->p == s->end)
            return WX_MALFORMED; /* elements left open */
        if (*s->p != '<')
            rc = text(s);
        else if (starts(s, "<!--"))
            rc = comment(s);
        else if (starts(s, "<![CDATA["))
            rc = s->depth ? cdata(s) : WX_MALFORMED;
        else if (starts(s, "<!"))
            rc = WX_DECLARATION;
        else if (starts(s, "<?"))
            rc = WX_MALFORMED;
        else if (starts(s, "</"))
            rc = end_tag(s, &root_done);
        else
            rc = start_tag(s, &root_done);
    }
    return rc == WX_OK && !root_done ? WX_MALFORMED : rc;
}

wx_status wx_field(const char *xml, size_t n, const char *tag, char **out)
{
    if (out)
        *out = NULL;
    if (!xml)
        return WX_MALFORMED;
    if (n > WX_MAX_INPUT)
        return WX_TOO_BIG;
    if (!chars_ok(xml, n))
        return WX_MALFORMED;
    scanner s = {.p = xml, .end = xml + n, .tag = tag, .tag_len = tag ? strlen(tag) : 0};
    wx_status rc = document(&s);
    if (rc == WX_OK && s.state != FOUND)
        rc = WX_ABSENT;
    if (rc == WX_OK && out) {
        s.out[s.out_len] = '\0';
        *out = s.out;
        s.out = NULL;
    }
    free(s.out);
    return rc;
}

bool wx_well_formed(const char *xml, size_t n)
{
    return wx_field(xml, n, NULL, NULL) >= 0;
}
