/* Mustache compiler and renderer; see mustache.h for the data semantics.
 *
 * Compilation makes passes over a flat token list:
 *   lex -> match sections -> split lines -> standalone rules ->
 *   strip block indentation -> build the node tree.
 * The whitespace rules are those of the spec tests and of the spec's
 * non-normative specs/whitespace.md (for parents and blocks).
 *
 * Indentation of standalone partials, parents and blocks is applied at render
 * time: the compiler puts an INDENT node at the start of every source line
 * that survives, and the renderer writes the indentation in effect there.
 * That way one compiled partial serves every indentation level.
 */
#include "mustache.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MST_MAX_SRC    (1u << 20)       /* template source bytes */
#define MST_MAX_NEST   256              /* open sections/blocks/parents in one template */
#define MST_MAX_EXPAND 64               /* partial, parent and override expansions */
#define MST_MAX_DEPTH  1024             /* expansions plus section bodies: C stack bound */
#define MST_MAX_STEPS  (1u << 24)       /* nodes + lookups per render: stops exponential fan-out */
#define MST_MAX_OUT    ((size_t)64 << 20) /* bytes appended per render */

typedef uint32_t u32; /* offsets: the source is at most MST_MAX_SRC bytes */

enum kind {
    K_TEXT, K_NL, K_VAR, K_RAW, K_SECTION, K_INVERTED, K_CLOSE,
    K_COMMENT, K_PARTIAL, K_DELIM, K_PARENT, K_BLOCK,
    K_INDENT /* node only: write the current indentation */
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t'; }
static bool is_space(char ch) { return ch && strchr(" \t\r\n\v\f", ch); }

static bool is_open(int k)
{
    return k == K_SECTION || k == K_INVERTED || k == K_PARENT || k == K_BLOCK;
}

/* ---------------------------------------------------------------- tokens */

typedef struct {
    unsigned char kind;
    bool skip;       /* text dropped by a standalone rule */
    bool standalone; /* tag alone on its line */
    bool pair;       /* parent/block whose start+end tags are one standalone element */
    bool arg;        /* block directly inside a parent: an argument */
    bool eol;        /* argument block whose start tag ends its line */
    bool wsb, wsa;   /* only whitespace before / after it on its line */
    u32 start, end;  /* the text, or the whole tag */
    u32 name, nlen;  /* tag content, trimmed */
    u32 match;       /* open <-> close partner */
    u32 line;
    u32 intr, ilen;  /* block: intrinsic indentation, stripped from its lines */
} tok;

typedef struct {
    u32 first, last; /* tokens; last is the K_NL unless at the end */
    bool lead_cut;   /* leading whitespace removed: no INDENT node */
} line;

typedef struct {
    char *src; /* private copy; becomes the template's */
    u32 len;
    tok *t;
    u32 n, cap;
    line *l;
    u32 nl;
    char *err;
} comp;

typedef struct {
    const char *open, *close;
    size_t olen, clen;
} delims;

#define NAME_ARG(c, t) (int)((t)->nlen > 40 ? 40 : (t)->nlen), (c)->src + (t)->name

static size_t line_of(const comp *c, size_t pos)
{
    size_t n = 1;
    for (size_t i = 0; i < pos && i < c->len; i++)
        n += c->src[i] == '\n';
    return n;
}

/* Records the first error as "line N: message"; returns false for chaining. */
__attribute__((format(printf, 3, 4)))
static bool fail(comp *c, size_t pos, const char *fmt, ...)
{
    if (c->err)
        return false;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    buf b = BUF_INIT;
    buf_printf(&b, "line %zu: %s", line_of(c, pos), msg);
    c->err = b.data;
    return false;
}

static tok *push_tok(comp *c, enum kind k, size_t start, size_t end)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->t = xrealloc(c->t, c->cap * sizeof *c->t);
    }
    tok *t = &c->t[c->n++];
    memset(t, 0, sizeof *t);
    t->kind = (unsigned char)k;
    t->start = (u32)start;
    t->end = (u32)end;
    return t;
}

/* Text between tags; line endings (\n or \r\n) become tokens of their own. */
static void lex_text(comp *c, size_t p, size_t end)
{
    while (p < end) {
        const char *nl = memchr(c->src + p, '\n', end - p);
        if (!nl) {
            push_tok(c, K_TEXT, p, end);
            return;
        }
        size_t i = (size_t)(nl - c->src), eol = i;
        if (eol > p && c->src[eol - 1] == '\r')
            eol--;
        if (eol > p)
            push_tok(c, K_TEXT, p, eol);
        push_tok(c, K_NL, eol, i + 1);
        p = i + 1;
    }
}

/* Where the tag content starting at p ends: the closing delimiter, or for
 * {{{x}}} and {{=a b=}} the `tail` character right before it. */
static size_t find_close(const comp *c, size_t p, char tail, const delims *d)
{
    size_t from = tail ? p + 1 : p;
    while (from <= c->len) {
        const char *hit = memmem(c->src + from, c->len - from, d->close, d->clen);
        if (!hit)
            return SIZE_MAX;
        size_t at = (size_t)(hit - c->src);
        if (!tail)
            return at;
        if (c->src[at - 1] == tail)
            return at - 1;
        from = at + 1;
    }
    return SIZE_MAX;
}

static bool set_delims(comp *c, const tok *t, delims *d)
{
    const char *s = c->src + t->name;
    size_t n = t->nlen, i = 0;
    while (i < n && !is_space(s[i]))
        i++;
    size_t olen = i;
    while (i < n && is_space(s[i]))
        i++;
    size_t b = i;
    while (i < n && !is_space(s[i]))
        i++;
    if (!olen || b == n || i != n)
        return fail(c, t->start, "invalid set-delimiter tag");
    d->open = s;
    d->olen = olen;
    d->close = s + b;
    d->clen = n - b;
    return true;
}

static bool check_name(comp *c, const tok *t)
{
    const char *s = c->src + t->name;
    if (!t->nlen)
        return fail(c, t->start, "empty tag");
    for (u32 k = 0; k < t->nlen; k++)
        if (!s[k] || is_space(s[k]))
            return fail(c, t->start, "invalid tag name '%.*s'", NAME_ARG(c, t));
    bool dotted = t->kind == K_VAR || t->kind == K_RAW || t->kind == K_SECTION ||
                  t->kind == K_INVERTED;
    if (dotted && !(t->nlen == 1 && s[0] == '.') &&
        (s[0] == '.' || s[t->nlen - 1] == '.' || memmem(s, t->nlen, "..", 2)))
        return fail(c, t->start, "invalid dotted name '%.*s'", NAME_ARG(c, t));
    return true;
}

/* One tag starting at `at`; sets *next past it. Set-delimiter tags change d. */
static bool lex_tag(comp *c, size_t at, delims *d, size_t *next)
{
    size_t q = at + d->olen;
    char sigil = q < c->len ? c->src[q] : 0, tail = 0;
    enum kind k;
    switch (sigil) {
    case '#': k = K_SECTION; break;
    case '^': k = K_INVERTED; break;
    case '/': k = K_CLOSE; break;
    case '!': k = K_COMMENT; break;
    case '>': k = K_PARTIAL; break;
    case '<': k = K_PARENT; break;
    case '$': k = K_BLOCK; break;
    case '&': k = K_RAW; break;
    case '{': k = K_RAW; tail = '}'; break;
    case '=': k = K_DELIM; tail = '='; break;
    default: k = K_VAR; break;
    }
    if (k != K_VAR)
        q++;
    size_t e = find_close(c, q, tail, d);
    if (e == SIZE_MAX)
        return fail(c, at, "unclosed tag");
    size_t end = e + (tail != 0) + d->clen;
    while (q < e && is_space(c->src[q]))
        q++;
    while (e > q && is_space(c->src[e - 1]))
        e--;
    tok *t = push_tok(c, k, at, end);
    t->name = (u32)q;
    t->nlen = (u32)(e - q);
    *next = end;
    if (k == K_COMMENT)
        return true;
    if (k == K_DELIM)
        return set_delims(c, t, d);
    return check_name(c, t);
}

static bool lex(comp *c)
{
    delims d = {"{{", "}}", 2, 2};
    size_t p = 0;
    while (p < c->len) {
        const char *hit = memmem(c->src + p, c->len - p, d.open, d.olen);
        size_t at = hit ? (size_t)(hit - c->src) : c->len;
        lex_text(c, p, at);
        if (!hit)
            break;
        if (!lex_tag(c, at, &d, &p))
            return false;
    }
    return true;
}

/* Pairs every open tag with its close; finds argument blocks. */
static bool match_sections(comp *c)
{
    u32 stack[MST_MAX_NEST], depth = 0;
    for (u32 i = 0; i < c->n; i++) {
        tok *t = &c->t[i];
        if (is_open(t->kind)) {
            if (depth == MST_MAX_NEST)
                return fail(c, t->start, "sections nested deeper than %d", MST_MAX_NEST);
            t->arg = t->kind == K_BLOCK && depth && c->t[stack[depth - 1]].kind == K_PARENT;
            stack[depth++] = i;
        } else if (t->kind == K_CLOSE) {
            if (!depth)
                return fail(c, t->start, "closing tag '%.*s' without open section",
                            NAME_ARG(c, t));
            tok *o = &c->t[stack[--depth]];
            if (o->nlen != t->nlen || memcmp(c->src + o->name, c->src + t->name, t->nlen))
                return fail(c, t->start, "closing tag '%.*s' does not match '%.*s' (line %zu)",
                            NAME_ARG(c, t), NAME_ARG(c, o), line_of(c, o->start));
            o->match = i;
            t->match = stack[depth];
        }
    }
    if (depth) {
        const tok *o = &c->t[stack[depth - 1]];
        return fail(c, o->start, "section '%.*s' is not closed", NAME_ARG(c, o));
    }
    return true;
}

/* ----------------------------------------------------------- whitespace */

static bool is_ws_text(const comp *c, const tok *t)
{
    if (t->kind != K_TEXT)
        return false;
    for (u32 i = t->start; i < t->end; i++)
        if (!is_blank(c->src[i]))
            return false;
    return true;
}

/* Groups tokens into lines and notes which tokens have only whitespace
 * before/after them on their line (computed once: lines may be long). */
static void split_lines(comp *c)
{
    c->l = xrealloc(NULL, ((size_t)c->n + 1) * sizeof *c->l);
    u32 first = 0;
    for (u32 i = 0; i < c->n; i++) {
        c->t[i].line = c->nl;
        if (c->t[i].kind == K_NL || i + 1 == c->n) {
            c->l[c->nl++] = (line){first, i, false};
            first = i + 1;
        }
    }
    for (u32 k = 0; k < c->nl; k++) {
        const line *l = &c->l[k];
        bool ok = true;
        for (u32 i = l->first; i <= l->last; i++) {
            c->t[i].wsb = ok;
            ok = ok && is_ws_text(c, &c->t[i]);
        }
        ok = true;
        for (u32 i = l->last + 1; i-- > l->first;) {
            c->t[i].wsa = ok;
            ok = ok && (c->t[i].kind == K_NL || is_ws_text(c, &c->t[i]));
        }
    }
}

/* Drops the whitespace before token i (wsb must hold); the line then gets
 * no INDENT node. */
static void cut_lead(comp *c, u32 i)
{
    line *l = &c->l[c->t[i].line];
    for (u32 j = l->first; j < i; j++)
        c->t[j].skip = true;
    l->lead_cut = true;
}

/* Drops the whitespace after token i (wsa must hold), and the line end if nl. */
static void cut_trail(comp *c, u32 i, bool nl)
{
    const line *l = &c->l[c->t[i].line];
    for (u32 j = i + 1; j <= l->last; j++)
        if (nl || c->t[j].kind == K_TEXT)
            c->t[j].skip = true;
}

static void standalone(comp *c)
{
    for (u32 i = 0; i < c->n; i++) {
        tok *t = &c->t[i];
        bool can = t->kind != K_TEXT && t->kind != K_NL && t->kind != K_VAR && t->kind != K_RAW;
        if (can && t->wsb && t->wsa) {
            t->standalone = true;
            cut_lead(c, i);
            cut_trail(c, i, true);
        }
    }
    for (u32 i = 0; i < c->n; i++) {
        tok *t = &c->t[i];
        if (t->kind == K_PARENT && t->wsb && c->t[t->match].wsa) {
            /* "  {{<p}}...{{/p}}\n" is standalone wherever the end tag is */
            t->pair = true;
            cut_lead(c, i);
            cut_trail(c, t->match, true);
        } else if (t->kind == K_BLOCK && t->arg) {
            /* argument content starts on the next line and ends before the
             * end tag's indentation */
            if (t->wsa) {
                t->eol = true;
                cut_trail(c, i, true);
            }
            if (c->t[t->match].wsb)
                cut_lead(c, t->match);
        } else if (t->kind == K_BLOCK && t->match == i + 1 && t->wsb && c->t[i + 1].wsa) {
            /* "  {{$b}}{{/b}}\n": the override gets the indentation; the
             * line end stays (spec PR 131) */
            t->pair = true;
            cut_lead(c, i);
            cut_trail(c, i + 1, false);
        }
    }
}

/* How much block indentation to strip from the line starting with token f,
 * given the enclosing blocks (outermost first). */
static u32 strip_len(const comp *c, u32 f, const u32 *stack, u32 depth)
{
    const tok *t = &c->t[f];
    u32 off = 0;
    if (t->kind != K_TEXT)
        return 0;
    for (u32 k = 0; k < depth; k++) {
        const tok *b = &c->t[stack[k]];
        if (b->ilen && t->end - t->start - off >= b->ilen &&
            !memcmp(c->src + t->start + off, c->src + b->intr, b->ilen))
            off += b->ilen;
    }
    return off;
}

/* A block whose start tag ends its line (argument, or standalone parameter)
 * has an intrinsic indentation: the leading whitespace of the next line.
 * It is removed from every line of its content and re-added on expansion. */
static void strip_blocks(comp *c)
{
    u32 stack[MST_MAX_NEST], depth = 0;
    for (u32 i = 0; i < c->n; i++) {
        tok *t = &c->t[i];
        if (i == c->l[t->line].first)
            t->start += strip_len(c, i, stack, depth);
        if (t->kind == K_BLOCK) {
            if ((t->arg ? t->eol : t->standalone) && t->line + 1 < c->nl) {
                u32 f = c->l[t->line + 1].first;
                u32 p = c->t[f].start + strip_len(c, f, stack, depth), e = p;
                while (c->t[f].kind == K_TEXT && e < c->t[f].end && is_blank(c->src[e]))
                    e++;
                t->intr = p;
                t->ilen = e - p;
            }
            stack[depth++] = i;
        } else if (t->kind == K_CLOSE && c->t[t->match].kind == K_BLOCK) {
            depth--;
        }
    }
}

/* ------------------------------------------------------------------ tree */

typedef struct node node;
typedef struct {
    node *v;
    size_t n, cap;
} nodes;

struct node {
    unsigned char kind;
    bool standalone;   /* partial/parent: add `s` to the indentation, else reset it */
    u32 nseg;          /* dotted name segments; 0 for "." */
    const char *s;     /* text, or indentation to add on expansion */
    size_t len;
    const char *name;  /* NUL-terminated segments, back to back */
    nodes kids;        /* body; for a parent, its argument blocks */
};

struct mst_template {
    char *src; /* names and texts point in here */
    nodes root;
};

static node *add_node(nodes *ns, enum kind k)
{
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 8;
        ns->v = xrealloc(ns->v, ns->cap * sizeof *ns->v);
    }
    node *n = &ns->v[ns->n++];
    memset(n, 0, sizeof *n);
    n->kind = (unsigned char)k;
    return n;
}

static void add_text(nodes *ns, const char *s, size_t len)
{
    node *last = ns->n ? &ns->v[ns->n - 1] : NULL;
    if (!len)
        return;
    if (last && last->kind == K_TEXT && last->s + last->len == s) {
        last->len += len;
        return;
    }
    node *n = add_node(ns, K_TEXT);
    n->s = s;
    n->len = len;
}

static void mark_line(const comp *c, u32 i, nodes *ns)
{
    const line *l = &c->l[c->t[i].line];
    if (l->first == i && !l->lead_cut)
        add_node(ns, K_INDENT);
}

/* NUL-terminates the name in place (the byte after it is part of the tag,
 * never of a text) and splits dotted names into segments. */
static void set_name(comp *c, const tok *t, node *n, bool dotted)
{
    char *s = c->src + t->name;
    s[t->nlen] = '\0';
    n->name = s;
    n->nseg = 1;
    if (!dotted)
        return;
    if (t->nlen == 1 && s[0] == '.') {
        n->nseg = 0;
        return;
    }
    for (u32 k = 0; k < t->nlen; k++)
        if (s[k] == '.') {
            s[k] = '\0';
            n->nseg++;
        }
}

/* Indentation of a standalone tag: the whitespace before it on its line. */
static void set_lead(const comp *c, u32 i, node *n)
{
    const tok *f = &c->t[c->l[c->t[i].line].first];
    if (f != &c->t[i] && f->kind == K_TEXT) {
        n->s = c->src + f->start;
        n->len = f->end - f->start;
    }
}

static void build(comp *c, u32 from, u32 to, nodes *out);

/* Inside a parent only argument blocks count; other content is ignored. */
static void build_args(comp *c, u32 from, u32 to, nodes *out)
{
    for (u32 i = from; i < to; i++) {
        const tok *t = &c->t[i];
        if (t->kind == K_BLOCK) {
            nodes kids = {0};
            build(c, i + 1, t->match, &kids);
            node *n = add_node(out, K_BLOCK);
            n->kids = kids;
            set_name(c, t, n, false);
        }
        if (is_open(t->kind))
            i = t->match;
    }
}

static void build_open(comp *c, u32 i, nodes *out)
{
    const tok *t = &c->t[i];
    nodes kids = {0};
    if (t->kind == K_PARENT)
        build_args(c, i + 1, t->match, &kids);
    else
        build(c, i + 1, t->match, &kids);
    node *n = add_node(out, t->kind);
    n->kids = kids;
    set_name(c, t, n, t->kind == K_SECTION || t->kind == K_INVERTED);
    if (t->kind == K_PARENT) {
        n->standalone = t->standalone || t->pair;
        if (n->standalone)
            set_lead(c, i, n);
    } else if (t->kind == K_BLOCK && t->pair) {
        set_lead(c, i, n);
    } else if (t->kind == K_BLOCK && t->standalone) {
        n->s = c->src + t->intr;
        n->len = t->ilen;
    }
}

/* Nodes for tokens [from, to); `to` is the closing tag of a body, or c->n. */
static void build(comp *c, u32 from, u32 to, nodes *out)
{
    for (u32 i = from; i < to; i++) {
        const tok *t = &c->t[i];
        mark_line(c, i, out);
        switch (t->kind) {
        case K_TEXT:
        case K_NL:
            if (!t->skip)
                add_text(out, c->src + t->start, t->end - t->start);
            break;
        case K_VAR:
        case K_RAW:
            set_name(c, t, add_node(out, t->kind), true);
            break;
        case K_PARTIAL: {
            node *n = add_node(out, K_PARTIAL);
            set_name(c, t, n, false);
            n->standalone = t->standalone;
            if (t->standalone)
                set_lead(c, i, n);
            break;
        }
        case K_SECTION:
        case K_INVERTED:
        case K_PARENT:
        case K_BLOCK:
            build_open(c, i, out);
            i = t->match;
            break;
        default: /* comments, set delimiters */
            break;
        }
    }
    /* a line that starts with the closing tag begins inside the body */
    if (to < c->n)
        mark_line(c, to, out);
}

mst_template *mst_compile(const char *src, size_t len, char **err)
{
    if (err)
        *err = NULL;
    if (len > MST_MAX_SRC) {
        if (err) {
            buf b = BUF_INIT;
            buf_printf(&b, "line 1: template larger than %u bytes", MST_MAX_SRC);
            *err = b.data;
        }
        return NULL;
    }
    comp c = {0};
    c.src = xrealloc(NULL, len + 1);
    if (len)
        memcpy(c.src, src, len);
    c.src[len] = '\0';
    c.len = (u32)len;

    mst_template *t = NULL;
    if (lex(&c) && match_sections(&c)) {
        split_lines(&c);
        standalone(&c);
        strip_blocks(&c);
        t = xrealloc(NULL, sizeof *t);
        t->src = c.src;
        t->root = (nodes){0};
        build(&c, 0, c.n, &t->root);
    }
    free(c.t);
    free(c.l);
    if (!t) {
        free(c.src);
        if (err)
            *err = c.err;
        else
            free(c.err);
    }
    return t;
}

static void free_nodes(nodes *ns)
{
    for (size_t k = 0; k < ns->n; k++)
        free_nodes(&ns->v[k].kids);
    free(ns->v);
}

void mst_free(mst_template *t)
{
    if (!t)
        return;
    free_nodes(&t->root);
    free(t->src);
    free(t);
}

/* ---------------------------------------------------------------- render */

typedef struct ctx {
    json_t *v;
    const struct ctx *up;
} ctx;

/* Argument blocks of a parent being rendered. */
typedef struct frame {
    const nodes *args;
    const struct frame *up;
} frame;

typedef struct {
    mst_loader loader;
    void *ud;
    buf *out;
    size_t out0;          /* out->len on entry: restored on failure */
    buf indent;           /* written at each line start */
    const frame *frames;  /* innermost parent first */
    unsigned expand, depth;
    size_t steps;
} rs;

static int render_nodes(rs *r, const nodes *ns, const ctx *c);

/* Every context visited counts as a step: deep stacks make lookups costly. */
static json_t *lookup(rs *r, const ctx *c, const node *n)
{
    if (n->nseg == 0)
        return c->v;
    const char *seg = n->name;
    json_t *v = NULL;
    for (; c && !v; c = c->up) {
        r->steps++;
        v = json_is_object(c->v) ? json_object_get(c->v, seg) : NULL;
    }
    /* later segments resolve only inside the first one's value */
    for (u32 k = 1; v && k < n->nseg; k++) {
        seg += strlen(seg) + 1;
        v = json_is_object(v) ? json_object_get(v, seg) : NULL;
    }
    return v;
}

static bool truthy(const json_t *v)
{
    if (!v)
        return false;
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE: return false;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0;
    case JSON_ARRAY: return json_array_size(v) > 0;
    default: return true;
    }
}

/* Shortest %g that reads back as the same double: 1.21, not 1.2100000000000000.
 * Values with at most one decimal (chart coordinates, rounded figures) are
 * written by hand: printf and strtod would dominate a chart's rendering. */
static void put_real(buf *out, double d)
{
    char tmp[40];
    if (d > -1e15 && d < 1e15 && d != 0) {
        long long tenths = llround(d * 10);
        if ((double)tenths / 10 == d) {
            unsigned long long a = (unsigned long long)(tenths < 0 ? -tenths : tenths);
            char *e = tmp + sizeof tmp, *p = e;
            if (a % 10)
                *--p = (char)('0' + a % 10), *--p = '.';
            a /= 10;
            do
                *--p = (char)('0' + a % 10);
            while (a /= 10);
            if (tenths < 0)
                *--p = '-';
            buf_append(out, p, (size_t)(e - p));
            return;
        }
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    buf_puts(out, tmp);
}

static void put_value(buf *out, const json_t *v, bool escape)
{
    if (!v)
        return;
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (escape)
            buf_html_escape(out, json_string_value(v), json_string_length(v));
        else
            buf_append(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: put_real(out, json_real_value(v)); break;
    case JSON_TRUE: buf_puts(out, "true"); break;
    case JSON_FALSE: buf_puts(out, "false"); break;
    default: break; /* null, objects, arrays */
    }
}

static int body(rs *r, const nodes *ns, const ctx *c)
{
    if (r->depth >= MST_MAX_DEPTH)
        return -1;
    r->depth++;
    int rc = render_nodes(r, ns, c);
    r->depth--;
    return rc;
}

static int section(rs *r, const node *n, const ctx *c)
{
    json_t *v = lookup(r, c, n);
    if (n->kind == K_INVERTED)
        return truthy(v) ? 0 : body(r, &n->kids, c);
    if (!truthy(v))
        return 0;
    if (!json_is_array(v)) {
        ctx sub = {v, c};
        return body(r, &n->kids, &sub);
    }
    for (size_t k = 0; k < json_array_size(v); k++) {
        ctx sub = {json_array_get(v, k), c};
        if (body(r, &n->kids, &sub))
            return -1;
    }
    return 0;
}

/* Renders ns with n's indentation added to the current one (keep) or
 * replacing it: an inline partial's lines are not the caller's lines. */
static int expand(rs *r, const nodes *ns, const node *n, bool keep, bool counted,
                  const ctx *c)
{
    if (r->expand >= MST_MAX_EXPAND || r->depth >= MST_MAX_DEPTH)
        return -1;
    buf saved = r->indent;
    if (!keep)
        r->indent = (buf)BUF_INIT;
    if (n->len)
        buf_append(&r->indent, n->s, n->len);
    r->expand += counted;
    r->depth++;
    int rc = render_nodes(r, ns, c);
    r->expand -= counted;
    r->depth--;
    if (keep) {
        r->indent.len = saved.len;
    } else {
        buf_free(&r->indent);
        r->indent = saved;
    }
    return rc;
}

/* The outermost override wins: a child's argument beats its parent's own. */
static const nodes *override(const rs *r, const char *name)
{
    const nodes *found = NULL;
    for (const frame *f = r->frames; f; f = f->up)
        for (size_t k = 0; k < f->args->n; k++)
            if (!strcmp(f->args->v[k].name, name))
                found = &f->args->v[k].kids;
    return found;
}

static int include(rs *r, const node *n, const ctx *c)
{
    const mst_template *t = r->loader ? r->loader(r->ud, n->name) : NULL;
    if (!t)
        return 0;
    if (n->kind == K_PARTIAL)
        return expand(r, &t->root, n, n->standalone, true, c);
    frame f = {&n->kids, r->frames};
    r->frames = &f;
    int rc = expand(r, &t->root, n, n->standalone, true, c);
    r->frames = f.up;
    return rc;
}

static int render_node(rs *r, const node *n, const ctx *c)
{
    switch (n->kind) {
    case K_TEXT:
        buf_append(r->out, n->s, n->len);
        return 0;
    case K_INDENT:
        if (r->indent.len)
            buf_append(r->out, r->indent.data, r->indent.len);
        return 0;
    case K_VAR:
    case K_RAW:
        put_value(r->out, lookup(r, c, n), n->kind == K_VAR);
        return 0;
    case K_SECTION:
    case K_INVERTED:
        return section(r, n, c);
    case K_PARTIAL:
    case K_PARENT:
        return include(r, n, c);
    case K_BLOCK: {
        const nodes *arg = override(r, n->name);
        return expand(r, arg ? arg : &n->kids, n, true, arg != NULL, c);
    }
    default:
        return 0;
    }
}

static int render_nodes(rs *r, const nodes *ns, const ctx *c)
{
    for (size_t k = 0; k < ns->n; k++) {
        if (++r->steps > MST_MAX_STEPS || r->out->len - r->out0 > MST_MAX_OUT)
            return -1;
        if (render_node(r, &ns->v[k], c))
            return -1;
    }
    return 0;
}

int mst_render(const mst_template *t, json_t *ctx_value, mst_loader loader, void *ud, buf *out)
{
    if (!t || !out)
        return -1;
    rs r = {.loader = loader, .ud = ud, .out = out, .out0 = out->len, .indent = BUF_INIT};
    ctx root = {ctx_value, NULL};
    int rc = render_nodes(&r, &t->root, &root);
    buf_free(&r.indent);
    if (rc) {
        out->len = r.out0;
        if (out->data)
            out->data[out->len] = '\0';
    }
    return rc;
}
