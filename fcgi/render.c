/* Templates and message catalogs: compiled/loaded once per process, then
 * every page is the api document rendered through its template. */
#include "markdown.h"
#include "mustache.h"
#include "password.h"
#include "util.h"
#include "web.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_TEMPLATES = 64 };

static struct {
    char name[64];
    mst_template *t;
} templates[MAX_TEMPLATES];
static int ntemplates;
static json_t *catalogs; /* {"en": {...}, "zh-CN": {...}} */
static json_t *err_keys; /* English text of each "err." message → its key: messages stored as text */
static const char *const supported[] = {"en", "zh-CN", NULL};

static const mst_template *lookup(void *ud, const char *name)
{
    (void)ud;
    for (int i = 0; i < ntemplates; i++)
        if (!strcmp(templates[i].name, name))
            return templates[i].t;
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return b.data ? b.data : calloc(1, 1);
}

static int load_templates(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "parley: cannot open templates in %s\n", dir);
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && rc == 0) {
        size_t n = strlen(e->d_name);
        if (n < 10 || strcmp(e->d_name + n - 9, ".mustache"))
            continue;
        if (ntemplates == MAX_TEMPLATES || n - 9 >= sizeof templates[0].name) {
            fprintf(stderr, "parley: too many templates or name too long: %s\n", e->d_name);
            rc = -1;
            break;
        }
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) {
            rc = -1;
            break;
        }
        size_t len;
        char *src = slurp(path, &len);
        char *err = NULL;
        mst_template *t = src ? mst_compile(src, len, &err) : NULL;
        free(src);
        if (!t) {
            fprintf(stderr, "parley: template %s: %s\n", path, err ? err : "unreadable");
            free(err);
            rc = -1;
            break;
        }
        snprintf(templates[ntemplates].name, sizeof templates[0].name, "%.*s", (int)(n - 9), e->d_name);
        templates[ntemplates++].t = t;
    }
    closedir(d);
    return rc;
}

int render_init(const char *root)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/templates", root);
    if (load_templates(path) != 0)
        return -1;
    catalogs = json_object();
    for (const char *const *l = supported; *l; l++) {
        json_error_t err;
        snprintf(path, sizeof path, "%s/templates/i18n/%s.json", root, *l);
        json_t *c = json_load_file(path, 0, &err);
        if (!json_is_object(c)) {
            fprintf(stderr, "parley: message catalog %s: %s (line %d)\n", path, err.text, err.line);
            return -1;
        }
        json_object_set_new(catalogs, *l, c);
    }
    err_keys = json_object();
    const char *key;
    json_t *text;
    json_object_foreach(json_object_get(catalogs, "en"), key, text)
        if (!strncmp(key, "err.", 4) && json_is_string(text))
            json_object_set_new(err_keys, json_string_value(text), json_string(key));
    return 0;
}

const char *render_pick_lang(request *r)
{
    json_t *user = r->viewer ? json_object_get(r->viewer, "user") : NULL;
    const char *pref = json_string_value(json_object_get(user, "lang"));
    const char *cookie = get_cookie(r, "parley_lang");
    for (const char *const *l = supported; *l; l++)
        if (pref && !strcmp(pref, *l))
            return *l;
    for (const char *const *l = supported; *l; l++)
        if (cookie && !strcmp(cookie, *l))
            return *l;
    const char *best = hin_pick_language(r->accept_lang, supported);
    return best ? best : "en";
}

/* A catalog's words in the page's language, else English, else NULL. */
static const char *catalog_get(request *r, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(catalogs, r->lang), key));
    return s ? s : json_string_value(json_object_get(json_object_get(catalogs, "en"), key));
}

const char *render_text_en(const char *key)
{
    return json_string_value(json_object_get(json_object_get(catalogs, "en"), key));
}

const char *render_text(request *r, const char *key)
{
    const char *s = catalog_get(r, key);
    return s ? s : key;
}

/* Fields whose values are codes (a case's state, a post's kind, ...), and
 * the catalog prefix their words go by ("to": the state a case moved to).
 * Some are codes only sometimes (a "label" is also a chart point or a
 * rule's name, a "category" a KB category's or a canned reply's own name):
 * a value the catalog does not know is its own text. */
static const struct coded_field {
    const char *field, *prefix;
} coded_fields[] = {{"state", "state"},       {"status", "status"}, {"kind", "kind"}, {"priority", "priority"},
                    {"platform", "platform"}, {"to", "state"},      {"label", "label"}, {"category", "cat"},
                    {"action", "rule_action"}, {"event", "event"}, {"lang", "language"},
                    {"detail_name", "audit_detail"}, /* what an audit event's detail is about */
                    /* messages: a key ("err.forbidden_role"), or English as stored (an account's
                     * warning, a stream's or reply's error, a webhook refusal's reason) */
                    {"said", ""}, {"status_message", ""}, {"last_error", ""}, {"error", ""}, {"reason", ""},
                    {NULL, NULL}};

/* The catalog's "<prefix>_<code>" in the page's language, else English, else
 * the value itself (so a template never falls through to an outer _text). */
static const char *code_text(request *r, const struct coded_field *f, const char *code)
{
    if ((*code < 'a' || *code > 'z') && *f->prefix) /* dates, numbers, names */
        return code;
    if (!*f->prefix) { /* a message key, a message's English (stored as text), or any other value as it is */
        const char *key = strncmp(code, "err.", 4) ? json_string_value(json_object_get(err_keys, code)) : code;
        const char *s = key ? catalog_get(r, key) : NULL;
        return s ? s : code;
    }
    const char *s = catalog_get(r, arena_printf(r->a, "%s_%s", f->prefix, code));
    return s ? s : code;
}

/* The coded field named key, or NULL. */
static const struct coded_field *coded_field(const char *key)
{
    for (int i = 0; coded_fields[i].field; i++)
        if (!strcmp(key, coded_fields[i].field))
            return &coded_fields[i];
    return NULL;
}

const char *render_fill(request *r, const char *text, json_t *args)
{
    if (!text || !json_is_object(args) || !strchr(text, '{'))
        return NULL;
    buf out = BUF_INIT;
    bool filled = false;
    for (const char *p = text; *p;) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!close) {
            buf_puts(&out, p);
            break;
        }
        buf_printf(&out, "%.*s", (int)(open - p), p);
        const char *name = arena_strndup(r->a, open + 1, (size_t)(close - open - 1));
        char *bar = strchr(name, '|');
        if (bar)
            *bar++ = '\0';
        json_t *v = json_object_get(args, name);
        const struct coded_field *coded = bar ? coded_field(bar) : NULL;
        if (json_is_string(v) && bar && !strcmp(bar, "field"))
            buf_puts(&out, field_label(r, json_string_value(v)));
        else if (json_is_string(v))
            buf_puts(&out, coded ? code_text(r, coded, json_string_value(v)) : json_string_value(v));
        else if (json_is_integer(v))
            buf_printf(&out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
            buf_printf(&out, "%g", json_real_value(v));
        else
            buf_printf(&out, "%.*s", (int)(close - open + 1), open);
        filled |= v != NULL;
        p = close + 1;
    }
    const char *result = filled ? arena_strdup(r->a, out.data ? out.data : "") : NULL;
    buf_free(&out);
    return result;
}

/* Make zone the one localtime_r answers in. A worker serves one request at a
 * time, so TZ is process state it may switch; tzset reads the zone's file,
 * so only when the zone changes. The name was checked against the tz
 * database when it was set (api.set_time_zone); anything else is UTC. */
static void use_zone(const char *zone)
{
    static char current[65];
    /* a tz database name starts with a letter: never a path ("/dev/...") or a
     * POSIX rule (":...", "<+03>-3") */
    if (!zone || !isalpha((unsigned char)*zone) || strlen(zone) >= sizeof current || strstr(zone, "..") ||
        zone[strspn(zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-")])
        zone = "UTC";
    if (strcmp(current, zone)) {
        setenv("TZ", zone, 1);
        tzset();
        snprintf(current, sizeof current, "%s", zone);
    }
}

/* A time as PostgreSQL writes it in JSON ("2026-12-07T05:53:17.304722+00:00")
 * as people read it in the viewer's time zone ("2026-12-07 13:53 CST" in
 * Asia/Shanghai); NULL if the value is not one. */
static const char *time_text(request *r, const char *v)
{
    struct tm tm = {0};
    int off_h = 0, off_m = 0, used = 0;
    long offset = 0; /* seconds east of UTC */
    if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &used) != 6 || used != 19)
        return NULL;
    const char *zone = v + used; /* past the seconds: a fraction, then the offset */
    if (*zone == '.')
        for (zone++; isdigit((unsigned char)*zone); zone++)
            ;
    if (*zone == '+' || *zone == '-') {
        if (sscanf(zone + 1, "%2d:%2d", &off_h, &off_m) < 1)
            return NULL;
        offset = (*zone == '-' ? -1 : 1) * (off_h * 3600L + off_m * 60L);
    } else if (*zone && strcmp(zone, "Z")) {
        return NULL;
    }
    tm.tm_year -= 1900, tm.tm_mon -= 1;
    time_t t = timegm(&tm) - offset;
    use_zone(json_string_value(json_object_get(json_object_get(r->viewer, "user"), "time_zone")));
    struct tm local;
    char text[64];
    if (!localtime_r(&t, &local) || !strftime(text, sizeof text, "%Y-%m-%d %H:%M %Z", &local))
        return NULL;
    return arena_strdup(r->a, text);
}

/* What templates need beside the document: fields named "*_md" are Markdown,
 * rendered by cmark in safe mode as "*_html" (to put in with {{{...}}});
 * coded fields get "<field>_text", the code in words of the page's language;
 * times ("at", "*_at", "*_until") get "<field>_text" as people read them.
 * Documents are shallow; the depth bound only guards against a runaway one.
 * A "raw" value (a platform's record) is left as it is. */
static void add_derived(request *r, json_t *v, int depth)
{
    if (depth > 8)
        return;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) add_derived(r, e, depth + 1);
        return;
    }
    if (!json_is_object(v))
        return;
    const char *key;
    json_t *val;
    json_t *added = NULL; /* added after the walk: no insertion while iterating */
    json_object_foreach(v, key, val) { /* (the macro steps on from key: never assign it) */
        size_t n = strlen(key);
        const char *text = NULL, *suffix = NULL;
        const struct coded_field *coded = json_is_string(val) ? coded_field(key) : NULL;
        if (n > 3 && !strcmp(key + n - 3, "_md") && json_is_string(val)) {
            const char *html = md_to_html(r->a, json_string_value(val), json_string_length(val));
            text = html ? html : "";
            n -= 3, suffix = "_html";
        } else if (coded) {
            text = code_text(r, coded, json_string_value(val));
            suffix = "_text";
        } else if (json_is_string(val) &&
                   (!strcmp(key, "at") || (n > 3 && !strcmp(key + n - 3, "_at")) ||
                    (n > 6 && !strcmp(key + n - 6, "_until"))) &&
                   (text = time_text(r, json_string_value(val)))) {
            suffix = "_text";
        } else if (strcmp(key, "raw")) { /* (a platform's own record is shown as it came) */
            add_derived(r, val, depth + 1);
        }
        if (text) {
            if (!added)
                added = json_object();
            json_object_set_new(added, arena_printf(r->a, "%.*s%s", (int)n, key, suffix), json_string(text));
        }
    }
    if (added) {
        json_object_update(v, added);
        json_decref(added);
    }
}

/* The notices a page may show, by the name its cookie carries: a cookie is
 * the browser's to forge, so it names one of these, never the text. A
 * cookie rather than a query key: the notice is gone on the next load (a
 * reload, a bookmark, the language switch's way back) and the addresses
 * actions lead to (the inbox's "back", an api's "redirect") stay as they are. */
static const struct {
    const char *name;
    bool counted; /* its text has "{n}" */
} notices[] = {{"saved", false}, {"deleted", false}, {"reply_queued", false}, {"posts_updated", true}};
#define NOTICE_COOKIE "parley_notice"
enum { NOTICE_MAX_AGE = 60 }; /* for the page the redirect leads to, not for a later visit */

void notice_set(request *r, const char *name, long long n)
{
    set_cookie(r, NOTICE_COOKIE, n >= 0 ? arena_printf(r->a, "%s.%lld", name, n) : name, NOTICE_MAX_AGE);
}

/* The notice this browser was left, in the page's language (NULL: none, or
 * not one of ours); it is cleared as the page shows it. */
static const char *notice_take(request *r)
{
    const char *v = get_cookie(r, NOTICE_COOKIE);
    if (!v || !*v)
        return NULL;
    set_cookie(r, NOTICE_COOKIE, "", 0);
    size_t len = strcspn(v, ".");
    const char *count = v[len] ? v + len + 1 : NULL;
    if (count && (!*count || strlen(count) > 9 || strspn(count, "0123456789") != strlen(count)))
        return NULL;
    for (size_t i = 0; i < sizeof notices / sizeof notices[0]; i++) {
        if (strlen(notices[i].name) != len || strncmp(notices[i].name, v, len) || notices[i].counted != (count != NULL))
            continue;
        const char *text = render_text(r, arena_printf(r->a, "notice_%s", notices[i].name));
        if (!count)
            return text;
        json_t *args = json_pack("{s:I}", "n", (json_int_t)strtoll(count, NULL, 10));
        arena_defer(r->a, json_release, args);
        return render_fill(r, text, args);
    }
    return NULL;
}

void render_page(request *r, buf *out, const char *tmpl, json_t *doc, json_t *extra)
{
    r->lang = render_pick_lang(r);
    add_derived(r, doc, 0);
    json_t *csrf = json_object_get(r->viewer, "csrf");
    char form_key[TOKEN_HEX + 1]; /* the forms' key against double submits (api.form_replay) */
    token_new(form_key);
    /* this page's address, its query too (a thread's id, the inbox's filters):
     * where the language switch comes back to. A page answering a POST (a
     * form's errors) has none to come back to: the form's page instead. */
    const char *here = r->path;
    if (strcmp(r->method, "GET")) {
        const char *from = referer_path(r);
        here = from && strlen(from) < 2000 ? from : "/dashboard";
    } else if (*r->query && strlen(r->query) < 2000) {
        here = arena_printf(r->a, "%s?%s", r->path, r->query);
    }
    json_t *ctx = json_pack("{s:O?,s:O?,s:O,s:s,s:b,s:b,s:s,s:s,s:s,s:s,s:s,s:s?}",
                            "data", doc, "viewer", r->viewer,
                            "t", json_object_get(catalogs, r->lang), "lang", r->lang,
                            "lang_en", !strcmp(r->lang, "en"), "lang_zh", !strcmp(r->lang, "zh-CN"),
                            "csrf", csrf ? json_string_value(csrf) : r->anon_csrf,
                            "form_key", form_key, "path", r->path, "here", here, "request_id", r->request_id,
                            "notice", notice_take(r));
    if (!ctx) { /* only if a value is not UTF-8 text, which input checks prevent */
        fprintf(stderr, "parley: rid=%s cannot build the context of %s\n", r->request_id, tmpl);
        buf_puts(out, "<!doctype html><title>Error</title><p>This page could not be shown.");
        return;
    }
    arena_defer(r->a, json_release, ctx);
    const char *role = json_string_value(json_object_get(json_object_get(r->viewer, "user"), "role"));
    if (role) /* catalogs name the roles; the database knows only their codes */
        json_object_set_new(ctx, "role_label", json_string(render_text(r, arena_printf(r->a, "role_%s", role))));
    if (extra)
        json_object_update(ctx, extra);
    const mst_template *t = lookup(NULL, tmpl);
    if (!t || mst_render(t, ctx, lookup, NULL, out) != 0) {
        fprintf(stderr, "parley: rid=%s template %s failed to render\n", r->request_id, tmpl);
        buf_clear(out);
        buf_puts(out, "<!doctype html><title>Error</title><p>This page could not be shown.");
    }
}
