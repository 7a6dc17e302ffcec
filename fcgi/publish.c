/* Sending replies from the outbox. Where the platform takes an idempotency
 * key (Mastodon's Idempotency-Key, Bluesky's record key) every attempt
 * carries the entry's, so a repeat is recognised by the platform. Where it
 * takes none (X, Meta, Weibo), an entry tried before without a recorded
 * answer (a crash, a timeout, a lost answer) first looks on the platform for
 * the reply an earlier attempt may have made, and is sent only when there is
 * none; an error answer to a send is followed by the same look. Where there
 * is neither (WeChat), a send that got no answer, or whose harvester died,
 * fails and waits for staff to retry it (better asked once than sent twice);
 * one that was answered with an error is tried again. */
#include "netguard.h"
#include "publish.h"

#include "adapters.h"
#include "buf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_SENDS = 4, SEND_TIMEOUT = 30, MAX_ANSWER = 1024 * 1024 };

static const char resend_needs_staff[] =
    "An attempt to send this got no answer, so the reply may have reached the customer already, and "
    "there is no way to ask the platform. Look at the conversation, and retry only if the reply is not there.";

typedef struct outgoing {
    struct outgoing *next;
    arena *a;
    reply_entry e;
    const adapter *ad;
    CURL *easy;
    struct curl_slist *req_headers;
    buf body;
    json_t *headers;         /* response headers (retry-after, rate limits) */
    bool lookup;             /* this request asks whether an earlier send made the reply */
    bool look_first;         /* ... before any send of this attempt (the entry was tried before) */
    bool interrupted;        /* the last attempt ended with nothing recorded (its harvester died) */
    const char *send_error;  /* with lookup after a send: what the send was answered */
    bool send_permanent;
    bool refused;            /* its address was not public (netguard.h) */
} outgoing;

struct publisher {
    PGconn *db;
    CURLM *multi;
    const char *owner;
    int lease_seconds, nactive;
    outgoing *active;
    double leased_at;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    outgoing *s = ud;
    if (s->body.len + size * n > MAX_ANSWER)
        return 0;
    buf_append(&s->body, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    outgoing *s = ud;
    keep_header(s->headers, p, size * n);
    return size * n;
}

static void drop(publisher *p, outgoing *s)
{
    outgoing **pp = &p->active;
    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (*pp)
        *pp = s->next;
    p->nactive--;
    curl_easy_cleanup(s->easy);
    curl_slist_free_all(s->req_headers);
    buf_free(&s->body);
    json_decref(s->headers);
    json_decref(s->e.ref);
    json_decref(s->e.taken);
    arena_free(s->a);
    free(s);
}

/* ---------- recording ---------- */

/* token_wide: a throttle (retry_at) spent the token's whole budget, not only
 * the reply API's own limit (ingest.hold_replies). */
static void record_failed_scope(publisher *p, outgoing *s, const char *message, bool permanent, const char *retry_at,
                                bool token_wide)
{
    const char *v[] = {arena_printf(s->a, "%lld", s->e.id), p->owner, message, permanent ? "true" : "false",
                       retry_at, token_wide ? "true" : "false"};
    PGresult *r = PQexecParams(p->db, "SELECT ingest.outbox_failed($1, $2, $3, $4, $5, $6)", 6, NULL, v, NULL, NULL, 0);
    fprintf(stderr, "harvest: reply %lld (%s) not sent: %s; %s\n", s->e.id, s->e.platform, message,
            PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : PQresultErrorMessage(r));
    PQclear(r);
}

static void record_failed(publisher *p, outgoing *s, const char *message, bool permanent, const char *retry_at)
{
    record_failed_scope(p, s, message, permanent, retry_at, true);
}

/* The token was refused (or there is none): the account needs a new one,
 * and the reply waits for it (ingest.outbox_needs_token). */
static void record_needs_token(publisher *p, outgoing *s, const char *message)
{
    const char *v[] = {arena_printf(s->a, "%lld", s->e.id), p->owner, message};
    PGresult *r = PQexecParams(p->db, "SELECT ingest.outbox_needs_token($1, $2, $3)", 3, NULL, v, NULL, NULL, 0);
    fprintf(stderr, "harvest: reply %lld (%s) not sent, the account needs a new token: %s; %s\n", s->e.id,
            s->e.platform, message, PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : PQresultErrorMessage(r));
    PQclear(r);
}

/* The platform said none is left until reset_at: the account's replies
 * wait until then (ingest.hold_replies). */
static void hold_replies(publisher *p, outgoing *s, const char *reset_at)
{
    const char *v[] = {arena_printf(s->a, "%lld", s->e.id), reset_at};
    PGresult *r = PQexecParams(p->db, "SELECT ingest.hold_replies($1, $2)", 2, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "harvest: reply %lld: cannot hold the account's replies: %s", s->e.id, PQresultErrorMessage(r));
    PQclear(r);
}

static void record_sent(publisher *p, outgoing *s, const char *external_id, const char *url)
{
    const char *v[] = {arena_printf(s->a, "%lld", s->e.id), p->owner, external_id, url,
                       s->body.data ? s->body.data : "null"};
    PGresult *r = PQexecParams(p->db, "SELECT ingest.outbox_sent($1, $2, $3, $4, $5::jsonb)", 5, NULL, v, NULL,
                               NULL, 0);
    /* On database trouble the entry stays leased; it is sent again after
     * the lease, and the platform answers the repeat with the same reply. */
    fprintf(stderr, "harvest: reply %lld (%s) sent as %s: %s\n", s->e.id, s->e.platform, external_id,
            PQresultStatus(r) == PGRES_TUPLES_OK ? "recorded" : PQresultErrorMessage(r));
    PQclear(r);
}

/* ---------- HTTP ---------- */

/* Starts the send (or its lookup); false when there is nothing to start. */
static bool start(publisher *p, outgoing *s)
{
    reply_plan plan = {0};
    const char *why = s->ad->reply(s->a, &s->e, s->lookup, &plan);
    if (why) {
        record_failed(p, s, why, true, NULL);
        return false;
    }
    if (!plan.url) {
        /* Nothing to ask. Sending is safe when the platform honours the key,
         * or when every earlier attempt was answered (a refusal, a 5xx). */
        if (s->look_first && (s->ad->resend_is_safe || !s->interrupted)) {
            s->look_first = s->lookup = false;
            return start(p, s);
        }
        if (s->look_first) { /* an attempt died mid-send: only a person can tell */
            record_failed(p, s, resend_needs_staff, true, NULL);
            return false;
        }
        /* no lookup on this platform: the send's answer stands */
        record_failed(p, s, s->send_error, s->send_permanent, NULL);
        return false;
    }
    buf_clear(&s->body);
    json_object_clear(s->headers);
    curl_easy_reset(s->easy);
    curl_slist_free_all(s->req_headers);
    s->req_headers = curl_slist_append(NULL, authorization_header(s->a, s->ad, s->e.token));
    s->req_headers = curl_slist_append(s->req_headers, "Accept: application/json");
    if (plan.body)
        s->req_headers = curl_slist_append(
            s->req_headers, arena_printf(s->a, "Content-Type: %s", plan.content_type ? plan.content_type : "application/json"));
    for (int i = 0; plan.headers[i]; i++)
        s->req_headers = curl_slist_append(s->req_headers, plan.headers[i]);
    curl_easy_setopt(s->easy, CURLOPT_URL, plan.url);
    if (plan.body)
        curl_easy_setopt(s->easy, CURLOPT_COPYPOSTFIELDS, plan.body);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->req_headers);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, (long)SEND_TIMEOUT);
    curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "Parley-harvester/1");
    curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    net_guard(s->easy, &s->refused);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    CURLMcode mc = curl_multi_add_handle(p->multi, s->easy);
    if (mc != CURLM_OK) { /* never started: it would never finish either */
        record_failed(p, s, arena_printf(s->a, "the send could not be started (%s)", curl_multi_strerror(mc)), false,
                      NULL);
        return false;
    }
    return true;
}

/* Whether a send that got no answer can be settled by a later attempt: the
 * platform honours the idempotency key, or can be asked what was sent. */
static bool settles_later(outgoing *s)
{
    reply_plan plan = {0};
    return s->ad->resend_is_safe || (!s->ad->reply(s->a, &s->e, true, &plan) && plan.url);
}

/* What the answer means; false when the entry is settled (s can go). */
static bool finish(publisher *p, outgoing *s, CURLcode rc)
{
    arena *a = s->a;
    long status = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) { /* no answer: the next attempt looks (or repeats the key) first */
        if (!s->lookup && !settles_later(s)) { /* ... unless it can do neither */
            record_failed(p, s, arena_printf(a, "%s (%s)", resend_needs_staff, net_error(rc, s->refused)), true, NULL);
            return false;
        }
        record_failed(p, s, s->lookup && s->send_error ? s->send_error : net_error(rc, s->refused), false, NULL);
        return false;
    }
    json_t *body = json_loadb(s->body.data ? s->body.data : "", s->body.len, 0, NULL);
    arena_defer(a, (void (*)(void *))json_decref, body);
    const char *msg = NULL, *kind = NULL;
    /* Throttled: wait for Retry-After, else the rate limit's reset (Weibo:
     * the next hour), else a minute (Meta names no time). */
    int remaining;
    const char *reset_at;
    read_quota(a, s->ad, s->headers, &remaining, &reset_at);
    const char *retry_at = retry_time(a, s->headers, reset_at ? reset_at : epoch_to_iso(a, (long long)time(NULL) + 60));
    bool spent = remaining == 0 && reset_at;
    /* None left after a send: the account's next replies wait for the reset.
     * (A lookup reads another endpoint, which on X has its own budget.) */
    if (spent && !s->lookup)
        hold_replies(p, s, reset_at);
    if (s->look_first) { /* found: recorded; not there: send now; unsure: later */
        const char *id = NULL, *url = NULL;
        bool ok = status >= 200 && status < 300;
        if (ok && body && !s->ad->replied(a, &s->e, body, &id, &url)) {
            record_sent(p, s, id, url);
            return false;
        }
        /* Not there: a readable answer without it, or the platform's own
         * "no such record". A lookup refused otherwise learned nothing, and a
         * send then could post the reply twice: later, as for a server error. */
        bool absent = ok ? body != NULL : s->ad->lookup_absent && s->ad->lookup_absent(status, body);
        if (absent && spent) { /* not there, but nothing left to send it with */
            record_failed(p, s, "the platform's rate limit is spent; sending when it resets", false, reset_at);
            return false;
        }
        if (absent) {
            s->look_first = s->lookup = false;
            return start(p, s);
        }
        kind = ok ? "server" : failure_kind(a, s->ad, status, body, &msg);
        if (!msg)
            msg = "the answer is not JSON";
        if (!strcmp(kind, "auth"))
            record_needs_token(p, s, msg);
        else
            record_failed_scope(p, s,
                                arena_printf(a, "could not check whether an earlier attempt posted the reply: %s", msg),
                                false, throttled(kind) ? retry_at : NULL, strcmp(kind, "throttled_api") != 0);
        return false;
    }
    if (status >= 200 && status < 300) {
        const char *id = NULL, *url = NULL;
        const char *bad = body ? s->ad->replied(a, &s->e, body, &id, &url) : "the answer is not JSON";
        /* Some platforms (WeChat) refuse with 200 and an error code in the
         * body: the adapter's failure() classifies it as for an error status. */
        if (bad && !s->lookup && body && s->ad->failure)
            kind = s->ad->failure(a, status, body, &msg);
        if (!kind) {
            if (!bad)
                record_sent(p, s, id, url);
            else if (s->lookup)
                record_failed(p, s, s->send_error, s->send_permanent, NULL);
            else
                record_failed(p, s, arena_printf(a, "HTTP %ld, but %s", status, bad), false, NULL);
            return false;
        }
        if (!msg)
            msg = bad;
    } else if (s->lookup) { /* not there: the send's own answer stands */
        record_failed(p, s, s->send_error, s->send_permanent && status != 429 && status < 500, NULL);
        return false;
    } else {
        kind = failure_kind(a, s->ad, status, body, &msg);
    }
    if (throttled(kind)) {
        record_failed_scope(p, s, msg, false, retry_at, strcmp(kind, "throttled_api") != 0);
        return false;
    }
    /* The platform refused (permanent) or failed (try again). An earlier
     * attempt may have made the reply, though (a refused repeat): look
     * before deciding, where the platform can be asked. */
    s->send_error = msg;
    s->send_permanent = strcmp(kind, "server") != 0;
    if (!strcmp(kind, "auth")) {
        record_needs_token(p, s, msg);
        return false;
    }
    s->lookup = true;
    return start(p, s);
}

/* ---------- the publisher ---------- */

static const char *col(PGresult *r, int row, int c, arena *a)
{
    return PQgetisnull(r, row, c) ? NULL : arena_strdup(a, PQgetvalue(r, row, c));
}

publisher *publish_open(PGconn *db, CURLM *multi, const char *owner, int lease_seconds)
{
    publisher *p = calloc(1, sizeof *p);
    if (!p)
        die("out of memory");
    p->db = db;
    p->multi = multi;
    p->owner = owner;
    /* An attempt (a lookup, the send, a lookup after an error: three requests)
     * must never outlive its lease, or a second harvester could send too. */
    p->lease_seconds = lease_seconds > SEND_TIMEOUT * 3 + 20 ? lease_seconds : SEND_TIMEOUT * 3 + 20;
    PQclear(PQexecParams(db, "SELECT ingest.release_outbox_owner($1)", 1, NULL, (const char *[]){owner}, NULL,
                         NULL, 0));
    return p;
}

void publish_lease(publisher *p, bool woken)
{
    double now = now_ms();
    int want = MAX_SENDS - p->nactive;
    if (want <= 0 || (!woken && now - p->leased_at < 1000))
        return;
    p->leased_at = now;
    arena *scratch = arena_new();
    const char *v[] = {p->owner, arena_printf(scratch, "%d", want), arena_printf(scratch, "%d", p->lease_seconds)};
    PGresult *r = PQexecParams(p->db, "SELECT * FROM ingest.lease_outbox($1, $2, $3)", 3, NULL, v, NULL, NULL, 0);
    arena_free(scratch);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "harvest: cannot lease replies: %s", PQresultErrorMessage(r));
        PQclear(r);
        return;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        /* Its lease ran out while this process was still sending it (a long
         * maintenance step held the loop): that send goes on, and its answer
         * is recorded under this same owner; a second one must not start,
         * and the new lease is no new attempt. */
        long long id = atoll(PQgetvalue(r, i, 0));
        bool sending = false;
        for (outgoing *o = p->active; o && !sending; o = o->next)
            sending = o->e.id == id;
        if (sending) {
            const char *still[] = {PQgetvalue(r, i, 0), p->owner};
            PQclear(PQexecParams(p->db, "SELECT ingest.outbox_still_sending($1, $2)", 2, NULL, still, NULL, NULL, 0));
            continue;
        }
        outgoing *s = calloc(1, sizeof *s);
        if (!s)
            die("out of memory");
        s->a = arena_new();
        s->e.id = id;
        s->e.key = col(r, i, 1, s->a);
        s->e.platform = col(r, i, 2, s->a);
        s->e.base_url = col(r, i, 3, s->a);
        s->e.token = col(r, i, 4, s->a);
        s->e.repo = col(r, i, 5, s->a);
        s->e.body = col(r, i, 6, s->a);
        s->e.target = col(r, i, 7, s->a);
        s->e.visibility = col(r, i, 8, s->a);
        s->e.ref = PQgetisnull(r, i, 9) ? NULL : json_loads(PQgetvalue(r, i, 9), 0, NULL);
        s->e.created_at = col(r, i, 10, s->a);
        s->e.rkey = col(r, i, 11, s->a);
        s->e.target_kind = col(r, i, 12, s->a);
        s->e.target_root = col(r, i, 13, s->a);
        s->e.target_author = col(r, i, 14, s->a);
        s->look_first = s->lookup = atoi(PQgetvalue(r, i, 15)) > 0;
        s->interrupted = !strcmp(PQgetvalue(r, i, 16), "t");
        s->e.taken = json_loads(PQgetvalue(r, i, 17), 0, NULL);
        s->e.target_top = col(r, i, 18, s->a);
        s->headers = json_object();
        s->easy = curl_easy_init();
        s->next = p->active;
        p->active = s;
        p->nactive++;
        s->ad = adapter_for(s->e.platform);
        if (!s->ad || !s->ad->reply)
            record_failed(p, s, arena_printf(s->a, "sending replies to %s is not supported yet", s->e.platform), true,
                          NULL);
        else if (!s->e.base_url)
            record_failed(p, s, "the account has no API base URL", true, NULL);
        else if (!s->e.token)
            record_needs_token(p, s, "The account has no access token.");
        else if (start(p, s))
            continue;
        drop(p, s);
    }
    PQclear(r);
}

bool publish_finished(publisher *p, CURL *easy, CURLcode rc)
{
    outgoing *s = p->active;
    while (s && s->easy != easy)
        s = s->next;
    if (!s)
        return false;
    if (!finish(p, s, rc))
        drop(p, s);
    return true;
}

int publish_active(const publisher *p) { return p->nactive; }

void publish_close(publisher *p)
{
    while (p->active) {
        curl_multi_remove_handle(p->multi, p->active->easy);
        drop(p, p->active);
    }
    free(p);
}
