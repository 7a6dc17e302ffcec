/* `parley hooks`: the webhook intake pool (DESIGN.md "Data flow" 2).
 * A delivery: route /hooks/{platform}/{account} → the account's secrets
 * (cached per worker, forgotten on NOTIFY) → the platform's signature check
 * (hook_schemes.c) → one call to hooks.accept, committed before the 2xx.
 * Anything else is refused with a status and a sentence, and counted through
 * hooks.reject. Processing is the harvester's job, never done here.
 * `parley hooks replay` queues stored deliveries for processing again. */
#include "commands.h"
#include "db.h"
#include "hook_commit.h"
#include "jsonfast.h"
#include "jsonmem.h"
#include "hooks.h"
#include "pool.h"
#include "util.h"
#include "wxml.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CACHE_SLOTS = 256, CACHE_TTL_SECONDS = 60, QUERY_MAX = 4096, PARAMS_MAX = 16 };

typedef struct {
    PGconn *db;
    arena *a;
    int backend_pid; /* statements are prepared per server connection */
    hook_account cache[CACHE_SLOTS];
} hooks_worker;

static const char *cgi(FCGX_Request *fr, const char *name)
{
    const char *v = FCGX_GetParam(name, fr->envp);
    return v ? v : "";
}

const char *hook_header(const delivery *d, const char *cgi_name)
{
    const char *v = FCGX_GetParam(cgi_name, d->fr->envp);
    return v && *v ? v : NULL;
}

/* ---------- database ---------- */

static void clear_slot(hook_account *c)
{
    for (int j = 0; j < c->nsecrets; j++) {
        free(c->secrets[j].secret);
        free(c->secrets[j].verify_token);
        free(c->secrets[j].aes_key);
        free(c->secrets[j].app_id);
    }
    memset(c, 0, sizeof *c);
}

static void forget_all(hooks_worker *w)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        clear_slot(&w->cache[i]);
}

/* Reconnect if needed; on a new server connection prepare the statements and
 * listen for secret changes. Then drop the cache if a change was announced. */
static bool db_ready(hooks_worker *w)
{
    if (PQstatus(w->db) != CONNECTION_OK)
        PQreset(w->db);
    if (PQstatus(w->db) != CONNECTION_OK)
        return false;
    if (w->backend_pid != PQbackendPID(w->db)) {
        static const struct { const char *name, *sql; } stmts[] = {
            {"account", "SELECT platform, secrets FROM hooks.account($1)"},
            {"accept", "SELECT hooks.accept($1, $2, $3, $4, $5)"},
            {"accept_all", "SELECT hooks.accept_all($1, $2, $3, $4, $5)"},
            {"reject", "SELECT hooks.reject($1, $2, $3, $4, $5)"},
            {"claim_nonce", "SELECT hooks.claim_nonce($1, $2, $3)"},
        };
        for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
            PGresult *r = PQprepare(w->db, stmts[i].name, stmts[i].sql, 0, NULL);
            bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
            if (!ok) {
                fprintf(stderr, "hooks: cannot prepare %s: %s", stmts[i].name, PQerrorMessage(w->db));
                return false;
            }
        }
        PQclear(PQexec(w->db, "LISTEN parley_hook_secrets"));
        forget_all(w); /* changes while we were disconnected were not announced */
        w->backend_pid = PQbackendPID(w->db);
    }
    bool changed = false;
    if (PQconsumeInput(w->db)) {
        PGnotify *n;
        while ((n = PQnotifies(w->db))) {
            changed = true;
            PQfreemem(n);
        }
    }
    if (changed)
        forget_all(w);
    return true;
}

static char *dup_or_null(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        return NULL;
    char *c = strdup(s);
    if (!c)
        die("out of memory");
    return c;
}

/* The account with its current secrets, from the cache or the database.
 * NULL with *db_down false: no such account. Cache-owned. */
static const hook_account *account(hooks_worker *w, long long id, bool *db_down)
{
    double now = (double)time(NULL);
    hook_account *c = &w->cache[id % CACHE_SLOTS];
    *db_down = false;
    if (c->id == id && c->valid_until > now)
        return c;
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", id);
    const char *p[] = {idtext};
    PGresult *r = PQexecPrepared(w->db, "account", 1, p, NULL, NULL, 0);
    arena_defer(w->a, (void (*)(void *))PQclear, r);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "hooks: account lookup failed: %s", PQerrorMessage(w->db));
        *db_down = true;
        return NULL;
    }
    if (PQntuples(r) == 0)
        return NULL;
    json_t *secrets = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
    if (!secrets) {
        *db_down = true;
        return NULL;
    }
    /* Replace the slot's occupant. */
    hook_account *slot = c;
    clear_slot(slot);
    slot->id = id;
    snprintf(slot->platform, sizeof slot->platform, "%s", PQgetvalue(r, 0, 0));
    slot->valid_until = now + CACHE_TTL_SECONDS;
    size_t i;
    json_t *s;
    json_array_foreach(secrets, i, s) {
        if (slot->nsecrets == HOOK_MAX_SECRETS)
            break;
        hook_secret *hs = &slot->secrets[slot->nsecrets++];
        hs->secret = dup_or_null(s, "secret");
        hs->verify_token = dup_or_null(s, "verify_token");
        hs->aes_key = dup_or_null(s, "aes_key");
        hs->app_id = dup_or_null(s, "app_id");
        double exp = json_number_value(json_object_get(s, "expires_at"));
        if (exp > 0 && exp < slot->valid_until)
            slot->valid_until = exp; /* an overlap ends: stop accepting that secret on time */
    }
    json_decref(secrets);
    return slot;
}

/* ---------- responses ---------- */

typedef struct {
    hooks_worker *w;
    delivery d;
    const char *request_id, *platform, *account_ref;
    const hook_scheme *scheme;
    int status;
    const char *outcome;
    int batch; /* deliveries in the commit that stored this one */
    double started;
} intake;

static void respond(intake *in, int status, const char *type, const char *body, const char *extra_headers)
{
    in->status = status;
    int len = body ? (int)strlen(body) : 0;
    /* With its length given, nginx sends the answer as it is, not chunked. */
    FCGX_FPrintF(in->d.fr->out,
                 "Status: %d\r\nContent-Type: %s; charset=utf-8\r\nContent-Length: %d\r\n"
                 "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nX-Request-Id: %s\r\n%s\r\n",
                 status, type, len, in->request_id, extra_headers ? extra_headers : "");
    if (len && strcmp(in->d.method, "HEAD"))
        FCGX_PutStr(body, len, in->d.fr->out);
}

/* Refuse a delivery: tell the sender why, and count it. Nothing else is written. */
/* reason: a fixed sentence (recorded, counted and translated as such);
 * detail: what only the sender is told besides (where its body went wrong). */
static void reject_said(intake *in, int status, const char *reason, const char *detail, const char *extra_headers)
{
    respond(in, status, "text/plain",
            detail ? arena_printf(in->d.a, "%d %s (%s)\n", status, reason, detail)
                   : arena_printf(in->d.a, "%d %s\n", status, reason),
            extra_headers);
    in->outcome = reason;
    char st[8];
    snprintf(st, sizeof st, "%d", status);
    const char *p[] = {in->platform, in->account_ref, st, reason, in->d.remote_addr};
    if (PQstatus(in->w->db) == CONNECTION_OK) {
        PGresult *r = PQexecPrepared(in->w->db, "reject", 5, p, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fprintf(stderr, "hooks: rid=%s cannot record the rejection: %s", in->request_id,
                    PQresultErrorMessage(r));
        PQclear(r);
    }
}

static void reject(intake *in, int status, const char *reason, const char *extra_headers)
{
    reject_said(in, status, reason, NULL, extra_headers);
}

/* ---------- the pipeline ---------- */

/* The body, NUL-terminated, or a status: 413 over the limit, 400 when fewer
 * bytes arrive than announced. */
static int read_body(intake *in)
{
    const char *cl = cgi(in->d.fr, "CONTENT_LENGTH");
    char *end;
    long long want = *cl ? strtoll(cl, &end, 10) : -1;
    if (*cl && (*end || want < 0))
        return 400;
    if (want > HOOK_MAX_BYTES)
        return 413;
    size_t cap = want >= 0 ? (size_t)want : HOOK_MAX_BYTES + 1;
    char *body = arena_alloc(in->d.a, cap + 1);
    size_t got = 0;
    while (got < cap) {
        int n = FCGX_GetStr(body + got, (int)(cap - got < 65536 ? cap - got : 65536), in->d.fr->in);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (want < 0 && got > HOOK_MAX_BYTES)
        return 413;
    if (want >= 0 && got != (size_t)want)
        return 400;
    body[got] = '\0';
    in->d.body = body;
    in->d.len = got;
    return 0;
}

/* Shape checks after the signature: text, and JSON or XML as the platform sends. */
static const char *malformed(intake *in, const char **detail)
{
    if (memchr(in->d.body, '\0', in->d.len) || !utf8_valid(in->d.body, in->d.len))
        return "body is not UTF-8 text";
    if (in->scheme->format == BODY_XML)
        return NULL; /* checked by the scheme, which had to parse it */
    jsonmem_use(in->d.a); /* the parsed body dies with the request */
    json_t *j = json_parse_fast(in->d.body, in->d.len);
    bool object = json_is_object(j);
    json_decref(j);
    const char *why = NULL;
    if (!object) { /* rare: jansson's own parser says what is wrong, and where */
        json_error_t err;
        j = json_loadb(in->d.body, in->d.len, 0, &err);
        if (!json_is_object(j)) {
            why = "body is not a JSON object";
            *detail = arena_printf(in->d.a, "%s at byte %d", j ? "not an object" : err.text, j ? 0 : err.position);
        }
        json_decref(j);
    }
    jsonmem_use(NULL);
    return why;
}

/* The SHA-256 of the body, in hex (arena). */
static char *body_sha256(const delivery *d)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)d->body, d->len);
    char *hex = arena_alloc(d->a, sizeof h * 2 + 1);
    sodium_bin2hex(hex, sizeof h * 2 + 1, h, sizeof h);
    return hex;
}

static void service_unavailable(intake *in, const char *what)
{
    respond(in, 503, "text/plain", arena_printf(in->d.a, "503 %s; please deliver it again\n", what),
            "Retry-After: 5\r\n");
}

/* A signature that covers no body may come with one body only: true when
 * this body may go on; otherwise the request has been answered. */
static bool claim_signature(intake *in)
{
    delivery *d = &in->d;
    char acc[24];
    snprintf(acc, sizeof acc, "%lld", d->acct->id);
    const char *p[] = {acc, d->replay_key, body_sha256(d)};
    PGresult *r = PQexecPrepared(in->w->db, "claim_nonce", 3, p, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    bool fresh = ok && !strcmp(PQgetvalue(r, 0, 0), "t");
    if (!ok)
        fprintf(stderr, "hooks: rid=%s cannot check the nonce: %s", in->request_id, PQresultErrorMessage(r));
    PQclear(r);
    if (!ok) {
        in->outcome = "not stored";
        service_unavailable(in, "the delivery could not be checked");
    } else if (!fresh) {
        reject(in, 401, "this timestamp and nonce were already used with another message (a replayed URL)", NULL);
    }
    return fresh;
}

static void store(intake *in)
{
    delivery *d = &in->d;
    /* no delivery id from the platform: the body's digest (a redelivery is byte-identical) */
    const char *id = d->delivery_id ? d->delivery_id : arena_printf(d->a, "sha256:%s", body_sha256(d));
    char acc[24];
    snprintf(acc, sizeof acc, "%lld", d->acct->id);
    hook_row row = {.account = acc, .platform = d->acct->platform, .delivery_id = id, .body = d->body,
                    .body_len = d->len, .payload = d->payload};
    hook_commit(in->w->db, &row);
    if (!row.outcome) {
        fprintf(stderr, "hooks: rid=%s cannot store delivery: %s", in->request_id,
                row.error ? row.error : "out of memory\n");
        free(row.error);
        in->outcome = "not stored";
        service_unavailable(in, "the delivery could not be stored");
        return;
    }
    in->outcome = row.outcome;
    in->batch = row.batch;
    respond(in, 200, "text/plain", in->scheme->accepted_reply, NULL);
}

/* A copy of the n bytes at s (a path part) that is safe to log: anything
 * but visible ASCII (a decoded %0A, a quote) becomes '?'. */
static char *loggable(arena *a, const char *s, size_t n)
{
    char *out = arena_strndup(a, s, n);
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e || *c == '"')
            *c = '?';
    return out;
}

/* "/hooks/PLATFORM/ACCOUNT" → its parts (arena); false when not that shape. */
static bool split_path(intake *in, const char *path, long long *account_id)
{
    static const char prefix[] = "/hooks/";
    if (strncmp(path, prefix, sizeof prefix - 1))
        return false;
    const char *p = path + sizeof prefix - 1, *slash = strchr(p, '/');
    if (!slash)
        return false;
    in->platform = loggable(in->d.a, p, (size_t)(slash - p) < 50 ? (size_t)(slash - p) : 50);
    const char *acc = slash + 1;
    in->account_ref = loggable(in->d.a, acc, strnlen(acc, 50));
    size_t n = strlen(acc);
    if (n == 0 || n > 18 || strspn(acc, "0123456789") != n)
        return false;
    *account_id = strtoll(acc, NULL, 10);
    return *account_id > 0;
}

static void handle(void *state, FCGX_Request *fr)
{
    hooks_worker *w = state;
    arena_reset(w->a);
    intake in = {.w = w, .started = now_ms(), .platform = "", .account_ref = "", .outcome = "-"};
    delivery *d = &in.d;
    d->a = w->a;
    d->fr = fr;
    d->method = cgi(fr, "REQUEST_METHOD");
    d->query = cgi(fr, "QUERY_STRING");
    d->remote_addr = cgi(fr, "REMOTE_ADDR");
    in.request_id = *cgi(fr, "REQUEST_ID") ? cgi(fr, "REQUEST_ID") : "-";
    const char *path = cgi(fr, "DOCUMENT_URI");
    long long account_id = 0;
    bool db_down = false;

    if (!db_ready(w)) {
        service_unavailable(&in, "the database is unavailable");
        goto out;
    }
    if (!utf8_valid(path, strlen(path))) {
        reject(&in, 404, "no such webhook endpoint", NULL);
        goto out;
    }
    bool shaped = split_path(&in, path, &account_id);
    /* nginx refused the body as too large and passes the request on only to count it. */
    if (*cgi(fr, "PARLEY_NGINX_STATUS")) {
        reject(&in, 413, "body larger than the 1 MiB limit", NULL);
        goto out;
    }
    in.scheme = shaped ? hook_scheme_for(in.platform) : NULL;
    if (!in.scheme) {
        reject(&in, 404, "no such webhook endpoint: expected /hooks/PLATFORM/ACCOUNT-ID", NULL);
        goto out;
    }
    bool get = !strcmp(d->method, "GET") || !strcmp(d->method, "HEAD");
    if (!(get && in.scheme->handshake) && strcmp(d->method, "POST")) {
        reject(&in, 405, "method not allowed", in.scheme->handshake ? "Allow: GET, POST\r\n" : "Allow: POST\r\n");
        goto out;
    }
    d->acct = account(w, account_id, &db_down);
    if (db_down) {
        service_unavailable(&in, "the database is unavailable");
        goto out;
    }
    if (!d->acct || strcmp(d->acct->platform, in.platform)) {
        reject(&in, 404, arena_printf(d->a, "no %s account with id %lld", in.platform, account_id), NULL);
        goto out;
    }
    if (strlen(d->query) > QUERY_MAX ||
        hin_parse_form(d->a, d->query, strlen(d->query), PARAMS_MAX, 1024, &d->params) != HIN_OK) {
        reject(&in, 400, "malformed query string", NULL);
        goto out;
    }
    if (get) {
        int st = in.scheme->handshake(d);
        if (st == 200) {
            in.outcome = "handshake";
            respond(&in, 200, d->reply_type, d->reply, NULL);
        } else {
            reject(&in, st, d->reason, NULL);
        }
        goto out;
    }
    int st = read_body(&in);
    if (st) {
        reject(&in, st, st == 413 ? "body larger than the 1 MiB limit" : "body shorter than its Content-Length", NULL);
        goto out;
    }
    if (memchr(d->body, '\0', d->len) || !utf8_valid(d->body, d->len)) {
        reject(&in, 400, "body is not UTF-8 text", NULL);
        goto out;
    }
    if (d->acct->nsecrets == 0) {
        reject(&in, 401, "no secret is set for this account: deliveries cannot be verified", NULL);
        goto out;
    }
    st = in.scheme->verify(d);
    if (st) {
        reject(&in, st, d->reason, NULL);
        goto out;
    }
    const char *detail = NULL;
    const char *bad = malformed(&in, &detail);
    if (bad) {
        reject_said(&in, 400, bad, detail, NULL);
        goto out;
    }
    if (d->replay_key && !claim_signature(&in))
        goto out;
    store(&in);
out:
    fprintf(stderr, "rid=%s hook=%s/%s method=%s status=%d outcome=\"%s\" batch=%d dur_ms=%.2f\n", in.request_id,
            in.platform, in.account_ref, d->method, in.status, in.outcome, in.batch, now_ms() - in.started);
}

static void *worker_init(void)
{
    hooks_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->db = db_connect("parley_hooks");
    if (!w->db)
        return NULL;
    w->a = arena_new();
    return w;
}

/* ---------- parley hooks replay ---------- */

static int replay(int argc, char **argv)
{
    const char *since = NULL, *until = NULL, *acc = NULL, *failed = "false";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--since") && i + 1 < argc)
            since = argv[++i];
        else if (!strcmp(argv[i], "--until") && i + 1 < argc)
            until = argv[++i];
        else if (!strcmp(argv[i], "--account") && i + 1 < argc)
            acc = argv[++i];
        else if (!strcmp(argv[i], "--failed"))
            failed = "true";
        else
            die("usage: parley hooks replay [--since TIME] [--until TIME] [--account ID] [--failed]");
    }
    PGconn *c = db_connect("parley_harvest");
    if (!c)
        return 1;
    arena *a = arena_new();
    const char *p[] = {since, until, acc, failed};
    PGresult *r = db_must(a, c, "SELECT ingest.replay_webhooks($1, $2, $3, $4)", 4, p);
    printf("replay: %s stored deliveries queued again\n", PQgetvalue(r, 0, 0));
    long total = 0;
    for (;;) {
        arena_reset(a);
        r = db_must(a, c, "SELECT ingest.process_webhooks(500)", 0, NULL);
        long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        total += n;
        if (n == 0)
            break;
    }
    printf("replay: %ld deliveries processed; failures are listed on the quarantine page\n", total);
    arena_free(a);
    PQfinish(c);
    return 0;
}

int cmd_hooks(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "replay"))
        return replay(argc - 1, argv + 1);
    const char *socket_path;
    int workers = 2, threads = 8;
    pool_args(argc, argv, &socket_path, &workers, &threads,
              "usage: parley hooks --socket PATH [--workers N] [--threads T] | parley hooks replay [options]");
    PGconn *probe = db_connect("parley_hooks");
    if (!probe)
        return 1;
    PQfinish(probe);
    jsonmem_install();
    return pool_run(socket_path, workers, threads, worker_init, handle);
}
