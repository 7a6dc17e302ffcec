/* `parley harvest`: leases due streams from PostgreSQL, fetches their pages
 * concurrently with libcurl's multi interface, and records each page in one
 * transaction (ingest.record_page: raw page, normalization or quarantine,
 * cursor). Kill it at any moment: a page is either recorded with its cursor
 * or not at all, so a restart loses nothing and duplicates nothing. */
#include "adapters.h"
#include "buf.h"
#include "commands.h"
#include "db.h"
#include "netguard.h"
#include "publish.h"
#include "util.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum { MAX_BODY = 32 * 1024 * 1024, MAX_PARALLEL = 64 };

static volatile sig_atomic_t stopping;
static void on_stop(int sig) { (void)sig; stopping = 1; }

typedef struct transfer {
    struct transfer *next;
    arena *a;    /* the stream's run: its leased fields */
    arena *page; /* the page in flight: reset for each, so a long run does not keep them all */
    stream s;
    const adapter *ad;
    page_plan plan;
    CURL *easy;
    struct curl_slist *req_headers;
    buf body;
    json_t *headers;
    bool too_big;
    bool refused; /* its address was not public (netguard.h) */
    int pages;
} transfer;

typedef struct {
    PGconn *db;
    CURLM *multi;
    const char *owner;
    int parallel, lease_seconds;
    transfer *active;
    int nactive;
    arena *a; /* scratch for the loop */
    double maintained_at, sla_at, kpi_at, kpi_full_at, pruned_at; /* now_ms() of the last maintenance runs */
    double leased_at;                /* now_ms() of the last look for due streams */
    bool jobs_woken;                 /* a NOTIFY or a finished run: look for due streams now */
    const char *keep_raw;                     /* how long raw pages are kept (an interval) */
    publisher *pub;                  /* replies from the outbox, on the same multi handle */
    bool outbox_woken;               /* a NOTIFY said a reply was queued */
    bool sends_held;                 /* no new sends: a long maintenance step waits for those in flight */
} harvester;

/* ---------- HTTP ---------- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    transfer *t = ud;
    if (t->body.len + size * n > MAX_BODY) {
        t->too_big = true;
        return 0; /* aborts the transfer */
    }
    buf_append(&t->body, p, size * n);
    return size * n;
}

/* Response headers, lower-cased, into a JSON object (kept with the raw page). */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    transfer *t = ud;
    keep_header(t->headers, p, size * n);
    return size * n;
}

/* A page that could not be had: the database schedules the retry (ingest.record_failure). */
static void record_failure(harvester *h, transfer *t, const char *kind, const char *message, const char *retry_at)
{
    bool run_done = false;
    json_t *next = !strcmp(kind, "client") && t->ad && t->ad->refused ? t->ad->refused(&t->s, &run_done) : NULL;
    const char *p[] = {arena_printf(t->page, "%lld", t->s.id), h->owner, kind, message, retry_at,
                       next ? json_text(t->page, next) : NULL, run_done ? "true" : "false"};
    json_decref(next);
    PGresult *r = PQexecParams(h->db, "SELECT ingest.record_failure($1, $2, $3, $4, $5, $6::jsonb, $7)", 7, NULL, p,
                               NULL, NULL, 0);
    fprintf(stderr, "harvest: stream %lld (%s %s %s) %s: %s; next try %s\n", t->s.id, t->s.platform, t->s.handle,
            t->s.kind, kind, message, PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "?");
    PQclear(r);
}

/* Seconds a page's transfer may take: three quarters of the lease, at most a minute. */
static long page_timeout(int lease_seconds)
{
    long t = lease_seconds * 3L / 4;
    return t > 60 ? 60 : t < 1 ? 1 : t;
}

static bool start_page(harvester *h, transfer *t)
{
    arena_reset(t->page);
    const char *why = t->ad->plan(t->page, &t->s, &t->plan);
    if (why) {
        record_failure(h, t, "client", why, NULL);
        return false;
    }
    buf_clear(&t->body);
    json_object_clear(t->headers);
    t->too_big = false;
    curl_easy_reset(t->easy);
    curl_slist_free_all(t->req_headers);
    t->req_headers = NULL;
    if (t->s.token && *t->s.token)
        t->req_headers = curl_slist_append(NULL, authorization_header(t->page, t->ad, t->s.token));
    t->req_headers = curl_slist_append(t->req_headers, "Accept: application/json");
    curl_easy_setopt(t->easy, CURLOPT_URL, t->plan.url);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->req_headers);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT, 10L);
    /* A page must be had and recorded within the lease, or another
     * harvester could lease the stream and ask for the same page. */
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT, page_timeout(h->lease_seconds));
    curl_easy_setopt(t->easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "Parley-harvester/1");
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    net_guard(t->easy, &t->refused);
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    CURLMcode mc = curl_multi_add_handle(h->multi, t->easy);
    if (mc != CURLM_OK) { /* never started: it would never finish either */
        record_failure(h, t, "network", arena_printf(t->page, "the transfer could not be started (%s)",
                                                     curl_multi_strerror(mc)), NULL);
        return false;
    }
    return true;
}

/* ---------- recording ---------- */

/* Returns true when the stream has another page to fetch now. */
static bool finish_page(harvester *h, transfer *t, CURLcode rc)
{
    arena *a = t->page;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        record_failure(h, t, "network", t->too_big ? "response larger than 32 MiB" : net_error(rc, t->refused), NULL);
        return false;
    }
    int remaining;
    const char *reset_at;
    read_quota(a, t->ad, t->headers, &remaining, &reset_at);
    json_t *body = json_loadb(t->body.data ? t->body.data : "", t->body.len, JSON_DECODE_ANY, NULL);
    arena_defer(a, (void (*)(void *))json_decref, body);
    if (status < 200 || status >= 300) {
        const char *message, *kind = failure_kind(a, t->ad, status, body, &message);
        record_failure(h, t, kind, message,
                       throttled(kind) ? retry_time(a, t->headers, reset_at) : NULL);
        return false;
    }
    if (!utf8_valid(t->body.data ? t->body.data : "", t->body.len)) {
        record_failure(h, t, "server", "response body is not UTF-8 text", NULL);
        return false;
    }
    bool done = true;
    json_t *state = body ? t->ad->advance(&t->s, body, t->headers, &done) : json_incref(t->s.state);
    arena_defer(a, (void (*)(void *))json_decref, state);
    char *state_text = json_dumps(state, JSON_COMPACT);
    char *headers_text = json_dumps(t->headers, JSON_COMPACT);
    arena_defer(a, free, state_text);
    arena_defer(a, free, headers_text);
    const char *p[] = {arena_printf(a, "%lld", t->s.id), h->owner, t->plan.endpoint, t->plan.url,
                       arena_printf(a, "%ld", status), headers_text, t->body.data ? t->body.data : "", state_text,
                       done ? "true" : "false", remaining >= 0 ? arena_printf(a, "%d", remaining) : NULL,
                       reset_at, arena_printf(a, "%d", h->lease_seconds)};
    PGresult *r = PQexecParams(h->db,
                               "SELECT ingest.record_page($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, $9, $10, "
                               "$11::timestamptz, $12)::text",
                               12, NULL, p, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    fprintf(stderr, "harvest: stream %lld (%s %s %s) page %d: %s\n", t->s.id, t->s.platform, t->s.handle, t->s.kind,
            t->pages + 1, ok ? PQgetvalue(r, 0, 0) : PQresultErrorMessage(r));
    if (ok) {
        json_t *res = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
        json_t *next = json_object_get(res, "next_target");
        if (json_is_true(json_object_get(res, "released"))) {
            done = true; /* the database let the lease go: caught up, stuck, no progress, quota spent */
        } else if (!strcmp(t->s.kind, "replies")) {
            /* The database names the next thread, or ends the walk. */
            done = !json_is_object(next);
            if (!done) {
                t->s.target_id = json_integer_value(json_object_get(next, "target_id"));
                t->s.target = arena_strdup(t->a, json_string_value(json_object_get(next, "target_external_id")));
            }
        }
        json_decref(res);
    }
    PQclear(r);
    if (!ok)
        return false; /* lease lost or database trouble: the stream will be leased again */
    t->pages++;
    json_decref(t->s.state);
    t->s.state = json_incref(state);
    return !done && (remaining < 0 || remaining > 1);
}

/* ---------- the loop ---------- */

static void drop_transfer(harvester *h, transfer *t)
{
    transfer **pp = &h->active;
    while (*pp && *pp != t)
        pp = &(*pp)->next;
    if (*pp)
        *pp = t->next;
    h->nactive--;
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->req_headers);
    buf_free(&t->body);
    json_decref(t->headers);
    json_decref(t->s.state);
    arena_free(t->page);
    arena_free(t->a);
    free(t);
}

static const char *col(PGresult *r, int row, int c, arena *a)
{
    return PQgetisnull(r, row, c) ? NULL : arena_strdup(a, PQgetvalue(r, row, c));
}

static void lease_more(harvester *h)
{
    int want = h->parallel - h->nactive;
    double now = now_ms();
    /* The loop wakes on every transfer's progress: look once a second, or
     * at once when a stream was queued or a run ended. */
    if (want <= 0 || stopping || (!h->jobs_woken && now - h->leased_at < 1000))
        return;
    h->leased_at = now;
    h->jobs_woken = false;
    const char *p[] = {h->owner, arena_printf(h->a, "%d", want), arena_printf(h->a, "%d", h->lease_seconds)};
    PGresult *r = PQexecParams(h->db, "SELECT * FROM ingest.lease_streams($1, $2, $3)", 3, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "harvest: cannot lease streams: %s", PQresultErrorMessage(r));
        PQclear(r);
        return;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        transfer *t = calloc(1, sizeof *t);
        if (!t)
            die("out of memory");
        t->a = arena_new();
        t->page = arena_new();
        t->s.id = atoll(PQgetvalue(r, i, 0));
        t->s.platform = col(r, i, 1, t->a);
        t->s.kind = col(r, i, 2, t->a);
        t->s.query = col(r, i, 3, t->a);
        t->s.state = json_loads(PQgetvalue(r, i, 4), 0, NULL);
        if (!t->s.state)
            t->s.state = json_object();
        t->s.handle = col(r, i, 6, t->a);
        t->s.account_external_id = col(r, i, 7, t->a);
        t->s.base_url = col(r, i, 8, t->a);
        t->s.token = col(r, i, 9, t->a);
        t->s.target_id = PQgetisnull(r, i, 10) ? 0 : atoll(PQgetvalue(r, i, 10));
        t->s.target = col(r, i, 11, t->a);
        t->headers = json_object();
        t->easy = curl_easy_init();
        t->next = h->active;
        h->active = t;
        h->nactive++;
        t->ad = adapter_for(t->s.platform);
        if (!t->ad || !t->s.base_url) {
            record_failure(h, t, "client",
                           !t->ad ? "no harvester adapter for this platform yet" : "the account has no API base URL",
                           NULL);
            drop_transfer(h, t);
            continue;
        }
        if (!strcmp(t->s.kind, "replies") && !t->s.target) {
            /* no recent own posts: nothing to walk this time */
            const char *q[] = {arena_printf(t->page, "%lld", t->s.id), h->owner};
            PQclear(PQexecParams(h->db, "SELECT ingest.finish_run($1, $2)", 2, NULL, q, NULL, NULL, 0));
            drop_transfer(h, t);
            continue;
        }
        if (!start_page(h, t))
            drop_transfer(h, t);
    }
    PQclear(r);
}

static void collect(harvester *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        transfer *t;
        CURL *easy = m->easy_handle;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(h->multi, easy);
        if (publish_finished(h->pub, easy, rc))
            continue;
        bool more = finish_page(h, t, rc);
        if (!more || stopping || !start_page(h, t)) {
            if (more) /* stopping with pages left: let another run continue */
                PQclear(PQexecParams(h->db, "SELECT ingest.release_stream($1, $2)", 2, NULL,
                                     (const char *[]){arena_printf(t->page, "%lld", t->s.id), h->owner}, NULL, NULL,
                                     0));
            drop_transfer(h, t);
            h->jobs_woken = true;
        }
    }
}

/* Maintenance between transfers: process stored webhook deliveries (a
 * bounded number per second, so transfers keep moving), record SLA breaches
 * every minute, refresh the KPI rollups every five, and hourly prune old
 * rejection records, nonces, ended sessions and raw pages, fold the row-count
 * deltas and add the coming months' interaction partitions. */
static void maintain(harvester *h)
{
    double now = now_ms();
    if (now - h->maintained_at < 1000)
        return;
    h->maintained_at = now;
    for (int batch = 0; batch < 10 && !stopping; batch++) {
        PGresult *r = PQexec(h->db, "SELECT ingest.process_webhooks(200)");
        bool full = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) == 200;
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fprintf(stderr, "harvest: processing webhook deliveries failed: %s", PQresultErrorMessage(r));
        PQclear(r);
        if (!full)
            break;
    }
    if (now - h->sla_at >= 60 * 1000.0) {
        h->sla_at = now;
        PGresult *r = PQexec(h->db, "SELECT crm.mark_sla_breaches()");
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fprintf(stderr, "harvest: marking SLA breaches failed: %s", PQresultErrorMessage(r));
        PQclear(r);
    }
    /* The steps below may take minutes on a large database, and a reply's
     * answer cannot be read meanwhile: it could outlive its lease and be sent
     * again by another harvester. They wait until no send is in flight, and
     * no new send starts until they have run. */
    bool long_due = now - h->kpi_at >= 300 * 1000.0 || now - h->pruned_at >= 3600 * 1000.0;
    h->sends_held = long_due && publish_active(h->pub) > 0;
    if (h->sends_held)
        return;
    if (now - h->kpi_at >= 300 * 1000.0) { /* the KPI rollups: the days that changed, all of them daily */
        bool full = now - h->kpi_full_at >= 24 * 3600 * 1000.0;
        h->kpi_at = now;
        if (full)
            h->kpi_full_at = now;
        PGresult *r = PQexec(h->db, full ? "SELECT kpi.refresh(true)" : "SELECT kpi.refresh()");
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fprintf(stderr, "harvest: refreshing the KPIs failed: %s", PQresultErrorMessage(r));
        PQclear(r);
    }
    if (now - h->pruned_at >= 3600 * 1000.0) {
        h->pruned_at = now;
        PQclear(PQexec(h->db, "SELECT ingest.prune_webhook_rejections('14 days')"));
        PQclear(PQexec(h->db, "SELECT ingest.prune_webhook_nonces()"));
        PQclear(PQexec(h->db, "SELECT auth.prune_form_submissions()"));
        PQclear(PQexec(h->db, "SELECT auth.prune_sessions()"));
        PQclear(PQexec(h->db, "SELECT social.fold_tally()"));
        PGresult *parts = PQexec(h->db, "SELECT social.add_interaction_partitions()");
        if (PQresultStatus(parts) != PGRES_TUPLES_OK)
            fprintf(stderr, "harvest: adding interaction partitions failed: %s", PQresultErrorMessage(parts));
        PQclear(parts);
        const char *p[] = {h->keep_raw};
        PGresult *r;
        do { /* in batches, each its own transaction */
            r = PQexecParams(h->db, "SELECT ingest.prune_raw_pages($1::interval)", 1, NULL, p, NULL, NULL, 0);
            bool more = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) > 0;
            if (PQresultStatus(r) != PGRES_TUPLES_OK)
                fprintf(stderr, "harvest: pruning raw pages failed: %s", PQresultErrorMessage(r));
            PQclear(r);
            if (!more)
                break;
        } while (!stopping);
    }
}

int cmd_harvest(int argc, char **argv)
{
    harvester h = {.parallel = 8, .lease_seconds = 90, .keep_raw = "30 days"};
    char owner[128];
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(owner, sizeof owner, "%s:%d", host, (int)getpid());
    h.owner = owner;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc)
            h.owner = argv[++i];
        else if (!strcmp(argv[i], "--parallel") && i + 1 < argc)
            h.parallel = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--keep-raw") && i + 1 < argc)
            h.keep_raw = argv[++i];
        else if (!strcmp(argv[i], "--lease") && i + 1 < argc)
            h.lease_seconds = atoi(argv[++i]);
        else
            die("usage: parley harvest [--name NAME] [--parallel N] [--lease SECONDS] [--keep-raw INTERVAL]");
    }
    if (h.parallel < 1 || h.parallel > MAX_PARALLEL || h.lease_seconds < 2 || h.lease_seconds > 3600)
        die("--parallel must be 1..%d and --lease 2..3600 seconds", MAX_PARALLEL);
    h.db = db_connect("parley_harvest");
    if (!h.db)
        return 1;
    {
        const char *p[] = {h.keep_raw};
        PGresult *r = PQexecParams(h.db, "SELECT $1::interval >= '1 hour'", 1, NULL, p, NULL, NULL, 0);
        bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "t");
        PQclear(r);
        if (!ok)
            die("--keep-raw must be a PostgreSQL interval of at least an hour, e.g. '30 days'");
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h.multi = curl_multi_init();
    h.a = arena_new();
    PQclear(PQexec(h.db, "LISTEN parley_jobs"));
    const char *p[] = {h.owner};
    PQclear(PQexecParams(h.db, "SELECT ingest.release_owner($1)", 1, NULL, p, NULL, NULL, 0));
    h.pub = publish_open(h.db, h.multi, h.owner, h.lease_seconds);
    fprintf(stderr, "harvest: %s started (%d in parallel)\n", h.owner, h.parallel);

    /* On SIGTERM, transfers and sends in flight finish first. */
    while (!(stopping && h.nactive == 0 && publish_active(h.pub) == 0)) {
        arena_reset(h.a);
        if (PQstatus(h.db) != CONNECTION_OK) {
            PQreset(h.db);
            PQclear(PQexec(h.db, "LISTEN parley_jobs"));
        }
        lease_more(&h);
        if (!stopping && !h.sends_held)
            publish_lease(h.pub, h.outbox_woken);
        h.outbox_woken = false;
        int running;
        curl_multi_perform(h.multi, &running);
        collect(&h);
        maintain(&h);
        /* Sleep until a transfer moves, a NOTIFY arrives, or a second passes
         * (streams fall due with time). */
        struct curl_waitfd pg = {.fd = PQsocket(h.db), .events = CURL_WAIT_POLLIN};
        int n;
        curl_multi_poll(h.multi, &pg, pg.fd >= 0 ? 1 : 0, h.nactive || publish_active(h.pub) ? 200 : 1000, &n);
        if (PQconsumeInput(h.db)) {
            PGnotify *note;
            while ((note = PQnotifies(h.db))) {
                if (!strcmp(note->extra, "outbox"))
                    h.outbox_woken = true;
                else
                    h.jobs_woken = true;
                PQfreemem(note);
            }
        }
    }
    while (h.active)
        drop_transfer(&h, h.active);
    publish_close(h.pub);
    curl_multi_cleanup(h.multi);
    curl_global_cleanup();
    PQfinish(h.db);
    arena_free(h.a);
    fprintf(stderr, "harvest: %s stopped\n", h.owner);
    return 0;
}
