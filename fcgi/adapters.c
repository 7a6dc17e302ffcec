/* The adapter table and what adapters share. */
#include "adapters.h"
#include "util.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <time.h>

extern const adapter mastodon_adapter, bluesky_adapter, x_adapter, facebook_adapter, instagram_adapter,
    weibo_adapter, wechat_adapter;

static const adapter *const adapters[] = {&mastodon_adapter,  &bluesky_adapter, &x_adapter,     &facebook_adapter,
                                          &instagram_adapter, &weibo_adapter,   &wechat_adapter};

const adapter *adapter_for(const char *platform)
{
    for (size_t i = 0; i < sizeof adapters / sizeof adapters[0]; i++)
        if (!strcmp(adapters[i]->platform, platform))
            return adapters[i];
    return NULL;
}

const char *failure_kind(arena *a, const adapter *ad, long status, json_t *body, const char **message)
{
    *message = NULL;
    const char *kind = ad->failure ? ad->failure(a, status, body, message) : NULL;
    if (!*message)
        *message = platform_error(a, body, status);
    /* A platform code the adapter does not know is a refusal, unless the
     * status says the platform is throttling or failing. */
    if (kind && !(!strcmp(kind, "client") && (status == 429 || status >= 500)))
        return kind;
    if (status == 401 || status == 403)
        return "auth";
    if (status == 429)
        return "throttled";
    return status >= 500 || status < 200 ? "server" : "client";
}

bool throttled(const char *kind)
{
    return !strcmp(kind, "throttled") || !strcmp(kind, "throttled_api");
}

const char *authorization_header(arena *a, const adapter *ad, const char *token)
{
    return ad->authorization ? ad->authorization(a, token) : arena_printf(a, "Authorization: Bearer %s", token);
}

const char *state_text(const stream *s, const char *key)
{
    return json_string_value(json_object_get(s->state, key));
}

bool state_is_thread(const stream *s, const char *key)
{
    return json_integer_value(json_object_get(s->state, key)) == s->target_id;
}

/* Decimal ids as text (Mastodon's and X's are strings): longer is larger,
 * else compare as text. */
int decimal_id_cmp(const char *x, const char *y)
{
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

const char *header(json_t *headers, const char *name)
{
    return json_string_value(json_object_get(headers, name));
}

/* From a Link header (RFC 8288), the value of a query parameter of the URL
 * with the given rel, e.g. max_id of rel="next". */
const char *link_param(arena *a, const char *link, const char *rel, const char *param)
{
    if (!link)
        return NULL;
    const char *want = arena_printf(a, "rel=\"%s\"", rel);
    for (const char *p = link; (p = strchr(p, '<'));) {
        const char *end = strchr(p, '>');
        if (!end)
            return NULL;
        const char *next = strchr(end, ',');
        const char *attrs_end = next ? next : end + strlen(end);
        const char *found = strstr(end, want);
        if (found && found < attrs_end) {
            const char *url = arena_strndup(a, p + 1, (size_t)(end - p - 1));
            const char *q = strchr(url, '?');
            size_t plen = strlen(param);
            for (const char *k = q ? q + 1 : NULL; k && *k;) {
                size_t len = strcspn(k, "&");
                if (len > plen && !strncmp(k, param, plen) && k[plen] == '=')
                    return arena_strndup(a, k + plen + 1, len - plen - 1);
                k += len;
                if (*k == '&')
                    k++;
            }
            return NULL;
        }
        p = end;
    }
    return NULL;
}

const char *epoch_to_iso(arena *a, long long epoch)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    char *out = arena_alloc(a, 32);
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return NULL;
    return out;
}

const char *wait_until(arena *a, long long epoch)
{
    long long now = (long long)time(NULL);
    return epoch_to_iso(a, epoch > now + MAX_WAIT ? now + MAX_WAIT : epoch < 0 ? 0 : epoch);
}

const char *wait_for(arena *a, long long seconds)
{
    return wait_until(a, (long long)time(NULL) + (seconds > MAX_WAIT ? MAX_WAIT : seconds < 0 ? 0 : seconds));
}

bool header_number(json_t *headers, const char *name, long long *out)
{
    const char *v = header(headers, name);
    if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 18)
        return false;
    *out = strtoll(v, NULL, 10);
    return true;
}

int header_count(json_t *headers, const char *name)
{
    long long n;
    return header_number(headers, name, &n) ? (n > INT_MAX ? INT_MAX : (int)n) : -1;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int two_digits(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

bool iso_time(const char *t, long long *out)
{
    int y, mo, d, h, mi, se, n = 0;
    if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || mo < 1 || mo > 12 ||
        d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || h < 0 || mi < 0 || se < 0)
        return false;
    const char *z = t + n;
    if (*z == '.')
        z += 1 + strspn(z + 1, "0123456789");
    long long off = 0;
    if (*z == '+' || *z == '-') { /* +HH, +HHMM or +HH:MM */
        const char *o = z + 1;
        size_t nh = strspn(o, "0123456789");
        int oh, om = 0;
        if (nh == 4 && !o[4]) {
            oh = two_digits(o);
            om = two_digits(o + 2);
        } else if (nh == 2 && !o[2]) {
            oh = two_digits(o);
        } else if (nh == 2 && o[2] == ':' && strspn(o + 3, "0123456789") == 2 && !o[5]) {
            oh = two_digits(o);
            om = two_digits(o + 3);
        } else {
            return false;
        }
        off = (oh * 3600LL + om * 60LL) * (*z == '-' ? -1 : 1);
    } else if ((*z == 'Z' && z[1]) || (*z != 'Z' && *z)) {
        return false;
    }
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600LL + mi * 60LL + se - off;
    return true;
}

bool lookup_may_take(const reply_entry *e, const char *id, const char *created)
{
    long long queued, made;
    if (e->created_at && iso_time(e->created_at, &queued) && !(iso_time(created, &made) && made >= queued - LOOKUP_SKEW))
        return false;
    size_t i;
    json_t *t;
    json_array_foreach(e->taken, i, t) {
        if (json_is_string(t) && !strcmp(json_string_value(t), id))
            return false;
    }
    return true;
}

const char *json_text(arena *a, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *out = arena_strdup(a, s ? s : "null");
    free(s);
    return out;
}

const char *platform_error(arena *a, json_t *body, long status)
{
    const char *msg = json_string_value(json_object_get(body, "message"));
    const char *err = json_string_value(json_object_get(body, "error"));
    if (msg && err)
        return arena_printf(a, "HTTP %ld %s: %s", status, err, msg);
    if (msg || err)
        return arena_printf(a, "HTTP %ld: %s", status, msg ? msg : err);
    return arena_printf(a, "HTTP %ld", status);
}

void read_quota(arena *a, const adapter *ad, json_t *headers, int *remaining, const char **reset_at)
{
    *remaining = -1;
    *reset_at = NULL;
    if (ad->quota)
        ad->quota(a, headers, remaining, reset_at);
}

void keep_header(json_t *headers, const char *p, size_t len)
{
    if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
        json_object_clear(headers); /* a new response (e.g. after 100 Continue) */
        return;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon)
        return;
    char name[128];
    size_t nlen = (size_t)(colon - p);
    if (nlen == 0 || nlen >= sizeof name)
        return;
    for (size_t i = 0; i < nlen; i++)
        name[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
    name[nlen] = '\0';
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    if (utf8_valid(v, (size_t)(end - v)))
        json_object_set_new(headers, name, json_stringn_nocheck(v, (size_t)(end - v)));
}

const char *retry_time(arena *a, json_t *headers, const char *fallback)
{
    const char *ra = header(headers, "retry-after");
    if (ra && *ra) {
        long long secs;
        if (header_number(headers, "retry-after", &secs))
            return wait_for(a, secs);
        time_t when = curl_getdate(ra, NULL);
        if (when > 0)
            return wait_until(a, (long long)when);
    }
    return fallback;
}
