#include "httpin.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

/* ---- small ASCII helpers (locale-independent on purpose) ---------------- */

static bool is_ows(char c) { return c == ' ' || c == '\t'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c; }

/* Case-insensitive compare of n bytes; both sides hold at least n bytes. */
static bool ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

/* Trim optional whitespace from both ends of the slice *s / *n. */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_ows(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_ows((*s)[*n - 1]))
        (*n)--;
}

/* ---- application/x-www-form-urlencoded ---------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Non-empty '&'-separated segments, counted before any work so that a flood
 * of pairs costs one cheap pass and no allocation. */
static size_t count_segments(const char *s, size_t n)
{
    size_t count = 0;
    bool in_segment = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '&')
            in_segment = false;
        else if (!in_segment) {
            in_segment = true;
            count++;
        }
    }
    return count;
}

/* Check every escape and compute the decoded length without allocating,
 * so an oversized field is rejected before we copy it. */
static hin_status scan_field(const char *s, size_t n, size_t *decoded)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++, len++) {
        if (s[i] != '%')
            continue;
        if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
            return HIN_MALFORMED;
        i += 2;
    }
    *decoded = len;
    return HIN_OK;
}

/* Decode a field already validated by scan_field into d (len + 1 bytes). */
static void decode_into(char *d, const char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+')
            c = ' ';
        else if (c == '%') {
            c = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
            i += 2;
        }
        d[j++] = c;
    }
    d[j] = '\0';
}

static hin_status decode_field(arena *a, const char *s, size_t n, size_t max_field,
                               const char **out, size_t *out_len)
{
    size_t len;
    hin_status st = scan_field(s, n, &len);
    if (st != HIN_OK)
        return st;
    if (len > max_field)
        return HIN_TOO_LONG;
    char *d = arena_alloc(a, len + 1);
    decode_into(d, s, n);
    /* utf8_valid also rejects NUL, so %00 cannot truncate a C string. */
    if (!utf8_valid(d, len))
        return HIN_BAD_UTF8;
    *out = d;
    *out_len = len;
    return HIN_OK;
}

/* One non-empty segment "name[=value]" into *item. */
static hin_status parse_pair(arena *a, const char *seg, size_t n, size_t max_field, kv *item)
{
    const char *eq = memchr(seg, '=', n);
    size_t name_n = eq ? (size_t)(eq - seg) : n;
    size_t name_len;
    hin_status st = decode_field(a, seg, name_n, max_field, &item->name, &name_len);
    if (st != HIN_OK)
        return st;
    if (!eq) {
        item->value = "";
        item->value_len = 0;
        return HIN_OK;
    }
    return decode_field(a, eq + 1, n - name_n - 1, max_field, &item->value, &item->value_len);
}

hin_status hin_parse_form(arena *a, const char *s, size_t n, size_t max_params,
                          size_t max_field, kvlist *out)
{
    out->items = NULL;
    out->n = 0;
    if (!s)
        return n == 0 ? HIN_OK : HIN_MALFORMED;

    size_t count = count_segments(s, n);
    if (count > max_params)
        return HIN_TOO_MANY;
    if (count == 0)
        return HIN_OK;
    if (count > SIZE_MAX / sizeof(kv))
        return HIN_TOO_MANY;

    kv *items = arena_alloc(a, count * sizeof(kv));
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - s) : n;
        if (end > i) {
            hin_status st = parse_pair(a, s + i, end - i, max_field, &items[k]);
            if (st != HIN_OK)
                return st;
            k++;
        }
        i = end + 1;
    }
    out->items = items;
    out->n = k;
    return HIN_OK;
}

const char *hin_get(const kvlist *l, const char *name)
{
    if (!l || !name)
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return l->items[i].value;
    return NULL;
}

/* ---- Cookie ------------------------------------------------------------- */

/* RFC 6265 cookie-octet: visible ASCII except DQUOTE , ; and backslash. */
static bool cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
           (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

/* Validate a cookie value, stripping one pair of quotes; false if malformed. */
static bool cookie_value(const char **v, size_t *n)
{
    if (*n >= 2 && (*v)[0] == '"' && (*v)[*n - 1] == '"') {
        (*v)++;
        *n -= 2;
    }
    for (size_t i = 0; i < *n; i++)
        if (!cookie_octet((unsigned char)(*v)[i]))
            return false;
    return true;
}

const char *hin_cookie(arena *a, const char *header, const char *name)
{
    if (!header || !name || !*name)
        return NULL;
    size_t want = strlen(name);
    for (const char *p = header; *p;) {
        size_t piece_n = strcspn(p, ";");
        const char *piece = p;
        p += piece_n;
        if (*p == ';')
            p++;

        trim(&piece, &piece_n);
        const char *eq = memchr(piece, '=', piece_n);
        if (!eq)
            continue; /* RFC 6265: a pair without '=' is ignored */
        const char *k = piece, *v = eq + 1;
        size_t k_n = (size_t)(eq - piece), v_n = piece_n - k_n - 1;
        trim(&k, &k_n);
        trim(&v, &v_n);
        if (k_n == want && memcmp(k, name, want) == 0 && cookie_value(&v, &v_n))
            return arena_strndup(a, v, v_n);
    }
    return NULL;
}

/* ---- Accept / Accept-Language element lists ----------------------------- */

/* Index of the first c in s[0..n) outside a quoted-string, else n. Quoted
 * parameter values may contain ',' and ';', so plain splitting would let a
 * value smuggle in a fake element or q parameter. */
static size_t find_unquoted(const char *s, size_t n, char c)
{
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        if (quoted) {
            if (s[i] == '\\')
                i++; /* quoted-pair; the loop bound keeps us in range */
            else if (s[i] == '"')
                quoted = false;
        } else if (s[i] == '"')
            quoted = true;
        else if (s[i] == c)
            return i;
    }
    return n;
}

/* qvalue = "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"], as thousandths; -1 if bad. */
static int parse_q(const char *v, size_t n)
{
    if (n == 0 || (v[0] != '0' && v[0] != '1'))
        return -1;
    int q = (v[0] - '0') * 1000;
    if (n == 1)
        return q;
    if (v[1] != '.' || n > 5)
        return -1;
    int scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (!is_digit(v[i]))
            return -1;
        q += (v[i] - '0') * scale;
    }
    return q <= 1000 ? q : -1;
}

typedef struct {
    const char *range; /* media range or language range, trimmed */
    size_t range_n;
    int q;   /* 0..1000 */
    bool ok; /* false when a q parameter is malformed */
} element;

/* Apply one ";name=value" parameter to e; only q matters to us. */
static void parse_param(const char *s, size_t n, element *e)
{
    size_t eq = find_unquoted(s, n, '=');
    const char *name = s, *val = s + (eq < n ? eq + 1 : n);
    size_t name_n = eq, val_n = eq < n ? n - eq - 1 : 0;
    trim(&name, &name_n);
    trim(&val, &val_n);
    if (name_n == 1 && lower(name[0]) == 'q') {
        int q = parse_q(val, val_n);
        if (q < 0)
            e->ok = false;
        else
            e->q = q;
    }
}

static void parse_element(const char *s, size_t n, element *e)
{
    size_t semi = find_unquoted(s, n, ';');
    e->range = s;
    e->range_n = semi;
    e->q = 1000;
    e->ok = true;
    trim(&e->range, &e->range_n);
    while (semi < n) {
        s += semi + 1;
        n -= semi + 1;
        semi = find_unquoted(s, n, ';');
        parse_param(s, semi, e);
    }
}

/* How well one header element fits a candidate: the most specific matching
 * element decides q (RFC 9110 12.5), ties on specificity go to the higher q. */
typedef struct {
    int spec; /* 0 = no element matched */
    int q;
    size_t pos; /* element index, for "listed first wins" */
} rank;

static void rank_update(rank *r, int spec, int q, size_t pos)
{
    if (spec > r->spec || (spec > 0 && spec == r->spec && q > r->q)) {
        r->spec = spec;
        r->q = q;
        r->pos = pos;
    }
}

/* Is a better than b? q first, then specificity, then header order. */
static bool rank_beats(const rank *a, const rank *b)
{
    if (a->q != b->q)
        return a->q > b->q;
    if (a->spec != b->spec)
        return a->spec > b->spec;
    return a->pos < b->pos;
}

typedef int (*match_fn)(const char *range, size_t n, const void *target);

/* Rank `target` against every valid element of a comma-separated header. */
static rank rank_header(const char *h, match_fn match, const void *target)
{
    rank r = {0, 0, SIZE_MAX};
    size_t n = strlen(h), pos = 0;
    for (size_t i = 0; i < n; pos++) {
        size_t end = i + find_unquoted(h + i, n - i, ',');
        element e;
        parse_element(h + i, end - i, &e);
        if (e.ok)
            rank_update(&r, match(e.range, e.range_n, target), e.q, pos);
        i = end + 1;
    }
    return r;
}

/* ---- Accept-Language ---------------------------------------------------- */

/* language-range = 1*8ALPHA *("-" 1*8alphanum) / "*" */
static bool lang_range_ok(const char *s, size_t n)
{
    if (n == 1 && s[0] == '*')
        return true;
    size_t i = 0;
    for (bool first = true;; first = false) {
        size_t start = i;
        for (; i < n && s[i] != '-'; i++)
            if (!is_alpha(s[i]) && (first || !is_digit(s[i])))
                return false;
        if (i - start == 0 || i - start > 8)
            return false;
        if (i == n)
            return true;
        i++; /* '-' */
    }
}

static size_t primary_len(const char *s, size_t n)
{
    const char *dash = memchr(s, '-', n);
    return dash ? (size_t)(dash - s) : n;
}

/* 4 exact, 3 one is a subtag prefix of the other ("zh" / "zh-CN", "en-GB" /
 * "en"), 2 same primary language ("zh-Hans" / "zh-CN"), 1 "*", 0 none. */
static int lang_match(const char *r, size_t rn, const void *target)
{
    if (!lang_range_ok(r, rn))
        return 0;
    if (rn == 1 && r[0] == '*')
        return 1;
    const char *t = target;
    size_t tn = strlen(t);
    if (rn == tn && ieq(r, t, tn))
        return 4;
    size_t m = rn < tn ? rn : tn;
    const char *longer = rn < tn ? t : r;
    if (rn != tn && ieq(r, t, m) && longer[m] == '-')
        return 3;
    size_t rp = primary_len(r, rn);
    if (rp == primary_len(t, tn) && ieq(r, t, rp))
        return 2;
    return 0;
}

const char *hin_pick_language(const char *header, const char *const *supported)
{
    if (!header || !supported)
        return NULL;
    const char *best = NULL;
    rank best_r = {0, 0, SIZE_MAX};
    for (size_t i = 0; supported[i]; i++) {
        rank r = rank_header(header, lang_match, supported[i]);
        if (r.spec == 0 || r.q == 0)
            continue;
        /* Specificity only picked each tag's q; between tags, q then header
         * order decide, and list order breaks the remaining ties. */
        if (!best || r.q > best_r.q || (r.q == best_r.q && r.pos < best_r.pos)) {
            best = supported[i];
            best_r = r;
        }
    }
    return best;
}

const char *url_escape(arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = arena_alloc(a, strlen(s) * 3 + 1), *o = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (is_alpha((char)*c) || is_digit((char)*c) || strchr("-._~", *c)) {
            *o++ = (char)*c;
        } else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* ---- Accept ------------------------------------------------------------- */

static bool is_tchar(char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar(s[i]))
            return false;
    return true;
}

/* 3 exact type/subtype, 2 "type/" wildcard, 1 full wildcard, 0 no match or
 * not a valid media range. */
static int media_match(const char *r, size_t rn, const void *target)
{
    const char *t = target;
    const char *slash = memchr(r, '/', rn);
    if (!slash)
        return 0;
    size_t type_n = (size_t)(slash - r), sub_n = rn - type_n - 1;
    const char *sub = slash + 1;
    if (!is_token(r, type_n) || !is_token(sub, sub_n))
        return 0;
    bool any_sub = sub_n == 1 && sub[0] == '*';
    if (type_n == 1 && r[0] == '*')
        return any_sub ? 1 : 0; /* a wildcard type needs a wildcard subtype */
    size_t tt = (size_t)(strchr(t, '/') - t);
    if (type_n != tt || !ieq(r, t, tt))
        return 0;
    if (any_sub)
        return 2;
    return sub_n == strlen(t + tt + 1) && ieq(sub, t + tt + 1, sub_n) ? 3 : 0;
}

bool hin_wants_json(const char *accept)
{
    if (!accept)
        return false;
    rank json = rank_header(accept, media_match, "application/json");
    rank html = rank_header(accept, media_match, "text/html");
    if (json.spec != 3 || json.q == 0) /* must be named explicitly */
        return false;
    return html.spec == 0 || rank_beats(&json, &html);
}

/* ---- Content-Type ------------------------------------------------------- */

bool hin_is_form(const char *content_type)
{
    static const char form[] = "application/x-www-form-urlencoded";
    if (!content_type)
        return false;
    const char *p = content_type;
    while (is_ows(*p))
        p++;
    /* strnlen bounds the compare: ieq must not run past a short string. */
    if (strnlen(p, sizeof form) < sizeof form - 1 || !ieq(p, form, sizeof form - 1))
        return false;
    p += sizeof form - 1;
    while (is_ows(*p))
        p++;
    return *p == '\0' || *p == ';';
}

bool hin_local_path(const char *p)
{
    if (!p || p[0] != '/' || p[1] == '/')
        return false;
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c < 0x21 || *c == 0x7f || *c == '\\')
            return false;
    return true;
}
