/* `parley web`: the FastCGI request pipeline. One request = parse and
 * validate input → one statement calling one api function (its own
 * transaction) → JSON or a rendered template. */
#include "commands.h"
#include "db.h"
#include "jsonfast.h"
#include "jsonmem.h"
#include "password.h"
#include "pool.h"
#include "util.h"
#include "web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char security_headers[] =
    "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: same-origin\r\n"
    "Cache-Control: no-store\r\n";

/* SQLSTATE (exact, or a two-character class) → HTTP status. */
static const struct {
    const char *state;
    int status;
} sqlstate_map[] = {
    {"PR400", 400}, {"PR401", 401}, {"PR403", 403}, {"PR404", 404}, {"PR409", 409},
    {"PR422", 422}, {"PR429", 429}, {"23505", 409}, {"23503", 422}, {"23514", 422},
    {"23502", 422}, {"42501", 403}, {"40001", 503}, {"40P01", 503}, {"57014", 503},
    {"22", 400},    {"08", 503},    {"53", 503},
};

static int status_for_sqlstate(const char *st)
{
    if (!st)
        return 500;
    for (size_t i = 0; i < sizeof sqlstate_map / sizeof sqlstate_map[0]; i++)
        if (!strncmp(st, sqlstate_map[i].state, strlen(sqlstate_map[i].state)))
            return sqlstate_map[i].status;
    return 500;
}

static const char *generic_key(int status)
{
    switch (status) {
    case 400: return "err.400";
    case 401: return "err.sign_in";
    case 403: return "err.403";
    case 404: return "err.404";
    case 405: return "err.405";
    case 409: return "err.409";
    case 413: return "err.413";
    case 415: return "err.415";
    case 422: return "err.422";
    case 429: return "err.429";
    case 503: return "err.503";
    default: return "err.500";
    }
}

static const char *env(request *r, const char *name)
{
    const char *v = FCGX_GetParam(name, r->fr->envp);
    return v ? v : "";
}

/* ---------- database ---------- */

void json_release(void *j) { json_decref(j); }

static json_t *parse_json(request *r, const char *text)
{
    json_t *j = json_parse_fast(text, strlen(text));
    if (j && !jsonmem_in_arena()) /* values in the arena go with it */
        arena_defer(r->a, json_release, j);
    return j;
}

/* The worker's statements are prepared once per server connection; a
 * reconnect (PQreset keeps the PGconn) is seen by the backend pid changing. */
static const char *statement_for(request *r, const char *fn, api_call kind)
{
    static char prepared[256][80]; /* more than routes × kinds (a full cache would re-prepare a name: 503) */
    static int nprepared;
    static int prepared_pid;
    if (prepared_pid != PQbackendPID(r->w->db)) {
        nprepared = 0;
        prepared_pid = PQbackendPID(r->w->db);
    }
    const char *name = arena_printf(r->a, "%c_%s", "gpf"[kind], fn ? fn : "viewer");
    for (int i = 0; i < nprepared; i++)
        if (!strcmp(prepared[i], name))
            return name;
    /* fn comes from the static route table, never from input. The columns
     * are text whatever an api function returns (jsonb or json), so a
     * deploy that changes one re-plans the statement instead of failing it. */
    const char *call = fn ? arena_printf(r->a, "api.%s($4::jsonb)::text", fn) : "NULL::text";
    if (kind == API_FORM)
        call = arena_printf(r->a, "coalesce(api.form_replay($7, '%s', $4::jsonb), api.form_record(%s))", fn, call);
    const char *sql = arena_printf(r->a,
        "SELECT api.viewer()::text, %s FROM (SELECT set_config('parley.session', $1, true),"
        " set_config('parley.ip', $2, true), set_config('parley.request_id', $3, true)%s) s",
        call, kind != API_READ ? ", api.csrf_check($5, $6)" : "");
    PGresult *res = PQprepare(r->w->db, name, sql, 0, NULL);
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "parley: cannot prepare %s: %s", name, PQerrorMessage(r->w->db));
    PQclear(res);
    if (!ok)
        return NULL;
    if (nprepared < 256)
        snprintf(prepared[nprepared++], sizeof prepared[0], "%s", name);
    return name;
}

api_result call_api(request *r, const char *fn, json_t *args, api_call kind)
{
    api_result out = {.status = 500};
    if (!fn)
        kind = API_READ; /* viewer-only statements are for rendering, never for changes */
    char *argtext = args ? json_dumps(args, JSON_COMPACT) : NULL;
    if (argtext)
        arena_defer(r->a, jsonmem_free, argtext);
    else
        argtext = "{}";
    const char *csrf = hin_get(&r->params, "csrf"), *form_key = hin_get(&r->params, "form_key");
    const char *params[] = {r->session, r->remote_addr, r->request_id, argtext,
                            csrf ? csrf : "", r->anon_csrf, form_key ? form_key : ""};
    static const int nparams[] = {[API_READ] = 4, [API_CHANGE] = 6, [API_FORM] = 7};
    /* A connection the server dropped while the worker was idle (a restart,
     * a terminated backend) is only seen when used: then once more on a new
     * one. The statement did not run on the dead one; and should it have
     * committed just before the drop, a form's repeat is answered by
     * api.form_replay, and the other changes (sign-in, sign-out, language)
     * may run twice. */
    PGresult *res = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (PQstatus(r->w->db) != CONNECTION_OK)
            PQreset(r->w->db);
        const char *stmt = statement_for(r, fn, kind);
        PQclear(res);
        res = stmt ? PQexecPrepared(r->w->db, stmt, fn ? nparams[kind] : 3, params, NULL, NULL, 0) : NULL;
        if (PQstatus(r->w->db) == CONNECTION_OK)
            break;
    }
    if (!res) {
        out.status = 503;
        return out;
    }
    arena_defer(r->a, (void (*)(void *))PQclear, res);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        out.status = PQstatus(r->w->db) != CONNECTION_OK ? 503 : status_for_sqlstate(st);
        if (st && st[0] == 'P' && st[1] == 'R') {
            out.message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            out.message_key = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
            out.message_args = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL); /* our refusals: their values */
        } else {
            /* the SQLSTATE and primary message only: a DETAIL may quote a
             * row ("Failing row contains ...") with a token in it */
            const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            fprintf(stderr, "parley: rid=%s api.%s failed: %s %s\n", r->request_id, fn ? fn : "viewer",
                    st ? st : "-----", msg ? msg : "(no message: the connection was lost)");
        }
        return out;
    }
    if (!PQgetisnull(res, 0, 0))
        r->viewer = parse_json(r, PQgetvalue(res, 0, 0));
    if (!PQgetisnull(res, 0, 1)) {
        out.doc_text = PQgetvalue(res, 0, 1);
        /* JSON clients get PostgreSQL's text as is; only pages need it parsed. */
        if (!r->json)
            out.doc = parse_json(r, out.doc_text);
    }
    out.status = 200;
    return out;
}

/* ---------- responses ---------- */

/* Behind TLS every cookie is "__Host-" prefixed: browsers then take it only
 * from this host, over TLS, for the whole site, so a sibling subdomain cannot
 * plant a session or a sign-in form's token; one without the prefix is not
 * read there. */
static const char *cookie_name(request *r, const char *name)
{
    return r->https ? arena_printf(r->a, "__Host-%s", name) : name;
}

const char *get_cookie(request *r, const char *name)
{
    return hin_cookie(r->a, r->cookie, cookie_name(r, name));
}

void set_cookie(request *r, const char *name, const char *value, int max_age)
{
    buf_printf(&r->headers, "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s\r\n",
               cookie_name(r, name), value, max_age, r->https ? "; Secure" : "");
}

static void finish(request *r, int status, const char *content_type, const char *body, size_t len)
{
    r->status = status;
    FCGX_FPrintF(r->fr->out, "Status: %d\r\n%sX-Request-Id: %s\r\n", status, security_headers,
                 r->request_id);
    if (content_type)
        FCGX_FPrintF(r->fr->out, "Content-Type: %s\r\n", content_type);
    if (r->headers.len)
        FCGX_PutStr(r->headers.data, (int)r->headers.len, r->fr->out);
    FCGX_PutS("\r\n", r->fr->out);
    if (len)
        FCGX_PutStr(body, (int)len, r->fr->out);
}

void send_body(request *r, int status, const char *content_type, const char *body, size_t len)
{
    finish(r, status, content_type, body, len);
}

void redirect(request *r, const char *location)
{
    /* a header is ASCII: bytes of UTF-8 text (a path typed in Chinese) go percent-encoded */
    buf_puts(&r->headers, "Location: ");
    for (const unsigned char *c = (const unsigned char *)location; *c; c++)
        if (*c >= 0x80)
            buf_printf(&r->headers, "%%%02X", *c);
        else
            buf_putc(&r->headers, (char)*c);
    buf_puts(&r->headers, "\r\n");
    finish(r, 303, NULL, NULL, 0);
}

void send_document(request *r, int status, json_t *doc, const char *tmpl)
{
    send_page(r, status, doc, tmpl, NULL);
}

void send_page(request *r, int status, json_t *doc, const char *tmpl, json_t *extra)
{
    if (r->json || !tmpl) {
        char *s = json_dumps(doc ? doc : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
        arena_defer(r->a, jsonmem_free, s);
        finish(r, status, "application/json; charset=utf-8", s, strlen(s));
        return;
    }
    buf *out = arena_alloc(r->a, sizeof *out);
    arena_defer(r->a, buf_free_cb, out);
    render_page(r, out, tmpl, doc, extra);
    finish(r, status, "text/html; charset=utf-8", out->data, out->len);
}

json_t *result_doc(request *r, api_result *res)
{
    if (!res->doc && res->doc_text)
        res->doc = parse_json(r, res->doc_text);
    return res->doc;
}

void send_result(request *r, const api_result *res, const char *tmpl)
{
    if (r->json && res->doc_text)
        finish(r, 200, "application/json; charset=utf-8", res->doc_text, strlen(res->doc_text));
    else
        send_document(r, 200, res->doc, tmpl);
}

/* A request refused for security's sake goes to the audit log (api.refused);
 * only refusals, so one statement more where nothing else was done. */
void audit_refusal(request *r, int status, const char *reason)
{
    if (PQstatus(r->w->db) != CONNECTION_OK) /* optional: never wait for a reconnect */
        return;
    json_t *args = json_pack("{s:i,s:s,s:s,s:s?,s:s?}", "status", status, "route", r->path, "method", r->method,
                             "reason", reason, "username", status == 429 ? hin_get(&r->params, "username") : NULL);
    if (!args)
        return;
    arena_defer(r->a, json_release, args);
    call_api(r, "refused", args, API_READ);
}

/* A form field as its form labels it, for the list of fields to correct:
 * the catalog's word for the field (most are named like their label; these
 * are not), else the field's own name. */
const char *field_label(request *r, const char *field)
{
    static const char *const labels[][2] = {
        {"body_md", "kb_body"},         {"expression", "rule_expression"},
        {"platforms", "rule_platforms"}, {"account_ids", "rule_accounts"},
        {"langs", "rule_langs"},         {"lang", "lang_filter"},
        {"body", "text"},                {"first_response_minutes", "sla_first_response"},
        {"resolution_minutes", "sla_resolution"}, {"tz", "sla_tz"},
        {"hours_text", "sla_hours"},     {"holidays_text", "sla_holidays"},
        {"is_default", "sla_default"},   {"member_ids", "team_members"},
        {"team_id", "team"},             {"position", "team_rule_position"},
        {"staff_id", "assignee"},        {"state", "status"},
        {"secret", "webhook_secret"},    {"ids", "select"},
        {"value", "lead_value"},         {"value_was", "lead_value"},
        {"emails", "contact_emails"},
        {"phones", "contact_phones"},    {"overlap_hours", "webhook_overlap"},
        {"verify_token", "webhook_verify_token"}, {"aes_key", "webhook_aes_key"},
        {"app_id", "webhook_app_id"},    {"category_id", "category"},
        {"action", "bulk_action"},       {"backapply", "rule_backapply"},
        {"enabled", "rule_enabled"},
        /* fields no form shows, typed into an address or sent by a client */
        {"id", "field_id"},              {"post_id", "field_id"},
        {"case_id", "field_id"},         {"contact_id", "field_id"},
        {"before", "field_before"},      {"after", "field_before"},
        {"mine", "field_mine"},          {"q", "search"},
        {"to", "field_to"},              {"chart", "field_chart"},
        {"use", "field_use"},            {"members", "team_members"},
        {"back", "field_back"},          {"next", "field_back"},
        {"why", "field_back"},           {"idempotency_key", "field_form_key"},
    };
    const char *key = field;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (!strcmp(labels[i][0], field))
            key = labels[i][1];
    const char *text = render_text(r, key);
    return strcmp(text, key) ? text : field;
}

/* Whether a catalog sentence has a "{name}" to fill ("{{case.number}}" is text). */
static bool has_placeholder(const char *text)
{
    for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{'))
        if (p[1] >= 'a' && p[1] <= 'z' && (p == text || p[-1] != '{'))
            return true;
    return false;
}

void send_error(request *r, int status, const char *key, const char *message)
{
    if (status == 403)
        audit_refusal(r, status, key);
    /* Refused before reaching the database (an unknown page, a wrong method,
     * bad input): still show who is signed in, in their language. */
    if (!r->viewer && r->session && *r->session && status != 503 && PQstatus(r->w->db) == CONNECTION_OK)
        call_api(r, NULL, NULL, API_READ);
    if (r->viewer)
        r->lang = render_pick_lang(r);
    if (!key && !message)
        key = generic_key(status);
    const char *text = key ? render_text(r, key) : NULL;
    if (!text || (key && !strcmp(text, key)))
        text = message ? message : render_text(r, generic_key(status));
    /* A message with values ("The reply is {n} characters long…"): the
     * catalog's sentence with the refusal's values says all of it. */
    json_t *args = r->error_args && *r->error_args == '{' ? parse_json(r, r->error_args) : NULL;
    const char *filled = key ? render_fill(r, text, args) : NULL;
    if (filled)
        text = filled;
    else if (message && has_placeholder(text)) /* values missing: the database's own words */
        text = message;
    json_t *doc = json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", text);
    arena_defer(r->a, json_release, doc);
    /* The database's own sentence often says exactly what to fix ("unbalanced
     * parenthesis at character 12"): keep it beside the translated one, unless
     * it is only the English of that (the catalog's own sentence). */
    const char *english = key ? render_text_en(key) : NULL;
    if (message && !filled && strcmp(message, text) && !(english && !strcmp(message, english)))
        json_object_set_new(json_object_get(doc, "error"), "detail", json_string(message));
    if (r->field_errors) {
        json_t *fields = json_array();
        const char *name;
        json_t *v;
        json_object_foreach(r->field_errors, name, v) {
            json_array_append_new(fields, json_pack("{s:s,s:s,s:s}", "field", name, "label", field_label(r, name),
                                                    "message", render_text(r, json_string_value(v))));
        }
        json_object_set_new(json_object_get(doc, "error"), "fields", fields);
    }
    /* a way back to the page the request came from (a form's: the
     * browser's Back keeps what was typed) */
    const char *back = referer_path(r);
    if (back && hin_local_path(back))
        json_object_set_new(json_object_get(doc, "error"), "back", json_string(back));
    send_document(r, status, doc, "error");
}

static const char *self_origin(request *r)
{
    return arena_printf(r->a, "%s://%s", r->https ? "https" : "http", r->host);
}

const char *referer_path(request *r)
{
    const char *self = self_origin(r);
    size_t n = strlen(self);
    return *r->referer && !strncmp(r->referer, self, n) && r->referer[n] == '/' ? r->referer + n : NULL;
}

/* Origin (or, failing that, Referer) must name this site on every POST. */
bool origin_ok(request *r)
{
    if (*r->origin)
        return !strcmp(r->origin, self_origin(r));
    return referer_path(r) != NULL;
}

/* ---------- the pipeline ---------- */

static bool read_body(request *r, buf *body, int *status)
{
    const char *cl = env(r, "CONTENT_LENGTH");
    long len = *cl ? strtol(cl, NULL, 10) : 0;
    if (len < 0) {
        *status = 400;
        return false;
    }
    if (len > FORM_MAX_BYTES) {
        *status = 413;
        return false;
    }
    char chunk[8192];
    while ((long)body->len < len) {
        int want = (int)((len - (long)body->len) < (long)sizeof chunk ? len - (long)body->len : (long)sizeof chunk);
        int got = FCGX_GetStr(chunk, want, r->fr->in);
        if (got <= 0)
            break;
        buf_append(body, chunk, (size_t)got);
    }
    if ((long)body->len != len) {
        *status = 400;
        return false;
    }
    if (!body->data)
        buf_append(body, "", 0);
    return true;
}

/* 200, or the status of what is wrong with the form or query string (and, for
 * a status that has more than one cause, *key says which). */
static int parse_input(request *r, const char **key)
{
    hin_status st;
    if (!strcmp(r->method, "POST")) {
        if (!hin_is_form(r->content_type) && strcmp(env(r, "CONTENT_LENGTH"), "0") && *env(r, "CONTENT_LENGTH"))
            return 415;
        buf *body = arena_alloc(r->a, sizeof *body);
        arena_defer(r->a, buf_free_cb, body);
        int status = 400;
        if (!read_body(r, body, &status))
            return status;
        st = hin_parse_form(r->a, body->data, body->len, MAX_PARAMS, MAX_FIELD, &r->params);
    } else {
        if (strlen(r->query) > QUERY_MAX_BYTES)
            return 414;
        st = hin_parse_form(r->a, r->query, strlen(r->query), MAX_PARAMS, MAX_FIELD, &r->params);
    }
    switch (st) {
    case HIN_OK: return 200;
    case HIN_TOO_MANY: *key = "err.too_many_fields"; return 413;
    case HIN_TOO_LONG: return 413;
    default: return 400;
    }
}

static const char *input_error_key(int status)
{
    switch (status) {
    case 400: return "err.bad_input";
    case 413: return "err.413";
    case 414: return "err.414";
    case 415: return "err.415";
    default: return NULL;
    }
}

static void handle(void *state, FCGX_Request *fr)
{
    worker *w = state;
    arena_reset(w->a);
    jsonmem_use(w->a);
    request *r = arena_alloc(w->a, sizeof *r);
    r->w = w;
    r->a = w->a;
    r->fr = fr;
    r->started = now_ms();
    arena_defer(r->a, buf_free_cb, &r->headers);
    r->method = env(r, "REQUEST_METHOD");
    r->path = env(r, "DOCUMENT_URI");
    r->query = env(r, "QUERY_STRING");
    r->content_type = env(r, "CONTENT_TYPE");
    r->cookie = env(r, "HTTP_COOKIE");
    r->accept = env(r, "HTTP_ACCEPT");
    r->accept_lang = env(r, "HTTP_ACCEPT_LANGUAGE");
    r->origin = env(r, "HTTP_ORIGIN");
    r->referer = env(r, "HTTP_REFERER");
    r->host = env(r, "HTTP_HOST");
    r->remote_addr = env(r, "REMOTE_ADDR");
    r->user_agent = env(r, "HTTP_USER_AGENT");
    if (!utf8_valid(r->user_agent, strlen(r->user_agent)))
        r->user_agent = ""; /* stored with the session: text only */
    r->request_id = *env(r, "REQUEST_ID") ? env(r, "REQUEST_ID") : "-";
    r->https = !strcmp(env(r, "HTTPS"), "on");
    r->session = "";
    r->status = 500;

    const char *tok = get_cookie(r, "parley_session");
    if (token_well_formed(tok))
        r->session = tok;
    const char *anon = get_cookie(r, "parley_csrf");
    if (token_well_formed(anon)) {
        r->anon_csrf = anon;
    } else {
        char *fresh = arena_alloc(r->a, TOKEN_HEX + 1);
        token_new(fresh);
        r->anon_csrf = fresh;
        set_cookie(r, "parley_csrf", fresh, 86400);
    }

    size_t plen = strlen(r->path);
    if (!utf8_valid(r->path, plen)) {
        r->path = "/"; /* the error page must not echo bytes that are not text */
        r->lang = render_pick_lang(r);
        send_error(r, 400, "err.bad_input", NULL);
        goto out;
    }
    if (plen > 5 && !strcmp(r->path + plen - 5, ".json")) {
        r->path = arena_strndup(r->a, r->path, plen - 5);
        r->json = true;
    } else {
        r->json = hin_wants_json(r->accept);
    }
    r->lang = render_pick_lang(r);

    int allowed = route_allowed_methods(r->path);
    if (!allowed) {
        send_error(r, 404, NULL, NULL);
        goto out;
    }
    /* HEAD is GET without a body; nginx drops the body for us. */
    int m = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD") ? M_GET
            : !strcmp(r->method, "POST")                             ? M_POST
                                                                     : 0;
    r->route = route_for_method(r->path, m);
    if (!r->route) {
        buf_printf(&r->headers, "Allow: %s\r\n",
                   allowed == (M_GET | M_POST) ? "GET, POST" : allowed == M_POST ? "POST" : "GET");
        send_error(r, 405, NULL, NULL);
        goto out;
    }
    const char *why = NULL;
    int st = parse_input(r, &why);
    if (st != 200) {
        send_error(r, st, why ? why : input_error_key(st), NULL);
        goto out;
    }
    if (m == M_POST && !origin_ok(r)) {
        send_error(r, 403, "err.origin", NULL);
        goto out;
    }
    st = route_validate(r);
    if (st != 200 && r->route->handler != h_login) {
        send_error(r, st, "err.422", NULL);
        goto out;
    }
    r->route->handler(r);
out:
    if (r->viewer)
        r->user_id = arena_printf(r->a, "%lld",
                                  json_integer_value(json_object_get(json_object_get(r->viewer, "user"), "id")));
    fprintf(stderr, "rid=%s method=%s route=%s status=%d dur_ms=%.2f user=%s\n", r->request_id, r->method,
            r->route ? r->route->path : "-", r->status, now_ms() - r->started, r->user_id ? r->user_id : "-");
    jsonmem_use(NULL);
}

static void *worker_init(void)
{
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->db = db_connect("parley_web");
    if (!w->db)
        return NULL;
    w->a = arena_new();
    char junk[TOKEN_HEX + 1];
    token_new(junk);
    if (pw_hash(junk, w->dummy_hash) != 0)
        return NULL;
    return w;
}

int cmd_web(int argc, char **argv)
{
    const char *socket_path;
    int workers = 4;
    pool_args(argc, argv, &socket_path, &workers, NULL, "usage: parley web --socket PATH [--workers N]");
    jsonmem_install();
    const char *root = getenv("PARLEY_ROOT") ? getenv("PARLEY_ROOT") : ".";
    if (render_init(root) != 0)
        return 1;
    /* Fail fast on a wrong connection string rather than in every worker. */
    PGconn *probe = db_connect("parley_web");
    if (!probe)
        return 1;
    PQfinish(probe);
    return pool_run(socket_path, workers, 1, worker_init, handle);
}
