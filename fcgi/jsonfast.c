#include "jsonfast.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 2048 }; /* jansson's limit */

typedef struct {
    const char *p, *end;
    char *scratch; /* strings with escapes, decoded */
    size_t cap;
} parser;

static json_t *value(parser *ps, int depth);

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t put_utf8(char *o, int u)
{
    if (u < 0x80) {
        o[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        o[0] = (char)(0xC0 | (u >> 6));
        o[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        o[0] = (char)(0xE0 | (u >> 12));
        o[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        o[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (u >> 18));
    o[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((u >> 6) & 0x3F));
    o[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

/* A string, ps->p just after its opening quote. Without escapes (the common
 * case) the result points into the input; otherwise into ps->scratch, which
 * the next string reuses. UTF-8 is checked by jansson when the value is made. */
static bool string(parser *ps, const char **out, size_t *len)
{
    const char *q = ps->p;
    while (q < ps->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
        q++;
    if (q < ps->end && *q == '"') {
        *out = ps->p;
        *len = (size_t)(q - ps->p);
        ps->p = q + 1;
        return true;
    }
    /* Decoded text is never longer than what is left of the input. */
    size_t need = (size_t)(ps->end - ps->p) + 1;
    if (need > ps->cap) {
        char *s = realloc(ps->scratch, need);
        if (!s)
            return false;
        ps->scratch = s;
        ps->cap = need;
    }
    size_t n = (size_t)(q - ps->p);
    memcpy(ps->scratch, ps->p, n);
    while (q < ps->end && *q != '"') {
        unsigned char c = (unsigned char)*q++;
        if (c < 0x20)
            return false;
        if (c != '\\') {
            ps->scratch[n++] = (char)c;
            continue;
        }
        if (q >= ps->end)
            return false;
        switch (*q++) {
        case '"': ps->scratch[n++] = '"'; break;
        case '\\': ps->scratch[n++] = '\\'; break;
        case '/': ps->scratch[n++] = '/'; break;
        case 'b': ps->scratch[n++] = '\b'; break;
        case 'f': ps->scratch[n++] = '\f'; break;
        case 'n': ps->scratch[n++] = '\n'; break;
        case 'r': ps->scratch[n++] = '\r'; break;
        case 't': ps->scratch[n++] = '\t'; break;
        case 'u': {
            int u = ps->end - q >= 4 ? hex4(q) : -1;
            if (u < 0)
                return false;
            q += 4;
            if (u >= 0xD800 && u <= 0xDBFF) { /* a pair, or nothing */
                int lo = ps->end - q >= 6 && q[0] == '\\' && q[1] == 'u' ? hex4(q + 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                q += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            } else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0) {
                return false;
            }
            n += put_utf8(ps->scratch + n, u);
            break;
        }
        default:
            return false;
        }
    }
    if (q >= ps->end)
        return false;
    *out = ps->scratch;
    *len = n;
    ps->p = q + 1;
    return true;
}

/* Digits as they are scanned: up to 18 significant digits fit exactly. */
typedef struct {
    uint64_t mant;
    int exp10;  /* value = mant × 10^exp10 when exact */
    bool exact; /* false once a nonzero digit did not fit */
} decimal;

static void digit(decimal *d, char c, bool fraction)
{
    if (d->mant < 100000000000000000ULL) {
        d->mant = d->mant * 10 + (uint64_t)(c - '0');
        d->exp10 -= fraction;
    } else if (fraction) {
        d->exact &= c == '0';
    } else {
        d->exact &= c == '0';
        d->exp10++;
    }
}

/* Exactly what strtod gives, without it, where the decimal is small: a
 * mantissa below 2^53 and a power of ten below 10^23 are both exact doubles,
 * so one IEEE multiplication or division rounds correctly (Clinger's fast
 * path). Most numbers in the api's documents are like that. */
static bool fast_real(const decimal *d, bool neg, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (!d->exact || d->mant > (1ULL << 53) || d->exp10 < -22 || d->exp10 > 22)
        return false;
    double v = (double)d->mant;
    v = d->exp10 < 0 ? v / pow10[-d->exp10] : v * pow10[d->exp10];
    *out = neg ? -v : v;
    return true;
}

static json_t *number(parser *ps)
{
    const char *s = ps->p, *q = s;
    bool real = false, neg = false;
    decimal d = {0, 0, true};
    if (q < ps->end && *q == '-') {
        neg = true;
        q++;
    }
    if (q < ps->end && *q == '0')
        q++;
    else if (q < ps->end && *q >= '1' && *q <= '9')
        while (q < ps->end && *q >= '0' && *q <= '9')
            digit(&d, *q++, false);
    else
        return NULL;
    if (q < ps->end && *q == '.') {
        real = true;
        if (++q >= ps->end || *q < '0' || *q > '9')
            return NULL;
        while (q < ps->end && *q >= '0' && *q <= '9')
            digit(&d, *q++, true);
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        real = true;
        bool eneg = false;
        if (++q < ps->end && (*q == '+' || *q == '-'))
            eneg = *q++ == '-';
        if (q >= ps->end || *q < '0' || *q > '9')
            return NULL;
        int e = 0;
        while (q < ps->end && *q >= '0' && *q <= '9') {
            if (e < 100000)
                e = e * 10 + (*q - '0');
            else
                d.exact = false; /* an exponent this long: strtod decides */
            q++;
        }
        d.exp10 += eneg ? -e : e;
    }
    ps->p = q;
    double fast;
    if (!real && d.exact && d.exp10 == 0)
        return json_integer(neg ? -(json_int_t)d.mant : (json_int_t)d.mant);
    if (real && fast_real(&d, neg, &fast))
        return json_real(fast);
    /* Long or extreme numbers: the C library decides, as in jansson. */
    size_t n = (size_t)(q - s);
    char small[64], *text = n < sizeof small ? small : malloc(n + 1);
    if (!text)
        return NULL;
    memcpy(text, s, n);
    text[n] = '\0';
    json_t *v = NULL;
    errno = 0;
    if (real) {
        double r = strtod(text, NULL);
        if (!((r == HUGE_VAL || r == -HUGE_VAL) && errno == ERANGE)) /* underflow is fine, as in jansson */
            v = json_real(r);
    } else {
        long long i = strtoll(text, NULL, 10);
        if (errno != ERANGE)
            v = json_integer(i);
    }
    if (text != small)
        free(text);
    return v;
}

static bool literal(parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return false;
    ps->p += n;
    return true;
}

/* Skips whitespace, then consumes c if it is next. */
static bool take(parser *ps, char c)
{
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return true;
    }
    return false;
}

static json_t *object(parser *ps, int depth)
{
    json_t *o = json_object();
    if (take(ps, '}'))
        return o;
    for (;;) {
        const char *k;
        size_t klen;
        if (!take(ps, '"') || !string(ps, &k, &klen))
            break;
        char *copy = NULL; /* the value's strings reuse the scratch buffer */
        if (k == ps->scratch) {
            if (!(copy = malloc(klen ? klen : 1)))
                break;
            memcpy(copy, k, klen);
            k = copy;
        }
        json_t *v = take(ps, ':') ? value(ps, depth) : NULL;
        int failed = !v || json_object_setn_new(o, k, klen, v); /* setn_new checks the key's UTF-8 */
        free(copy);
        if (failed)
            break;
        if (take(ps, ','))
            continue;
        if (take(ps, '}'))
            return o;
        break;
    }
    json_decref(o);
    return NULL;
}

static json_t *array(parser *ps, int depth)
{
    json_t *a = json_array();
    if (take(ps, ']'))
        return a;
    for (;;) {
        json_t *v = value(ps, depth);
        if (!v || json_array_append_new(a, v))
            break;
        if (take(ps, ','))
            continue;
        if (take(ps, ']'))
            return a;
        break;
    }
    json_decref(a);
    return NULL;
}

static json_t *value(parser *ps, int depth)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return NULL;
    switch (*ps->p) {
    case '{':
    case '[':
        if (depth + 1 > MAX_DEPTH)
            return NULL;
        return *ps->p++ == '{' ? object(ps, depth + 1) : array(ps, depth + 1);
    case '"': {
        const char *s;
        size_t n;
        ps->p++;
        return string(ps, &s, &n) ? json_stringn(s, n) : NULL; /* NULL if not UTF-8 */
    }
    case 't': return literal(ps, "true", 4) ? json_true() : NULL;
    case 'f': return literal(ps, "false", 5) ? json_false() : NULL;
    case 'n': return literal(ps, "null", 4) ? json_null() : NULL;
    default: return number(ps);
    }
}

json_t *json_parse_fast(const char *text, size_t len)
{
    parser ps = {.p = text, .end = text + len};
    json_t *v = value(&ps, 0);
    skip_ws(&ps);
    if (v && ps.p != ps.end) {
        json_decref(v);
        v = NULL;
    }
    free(ps.scratch);
    return v;
}
