/* Each platform's way of proving a delivery is genuine: the GET handshake a
 * platform makes when the endpoint is registered, and the signature on every
 * POST. A delivery verifies when any current secret of the account (the new
 * one and those in their rotation overlap) verifies it. */
#include "hooks.h"
#include "hooksig.h"
#include "util.h"
#include "wxml.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *param(const delivery *d, const char *name) { return hin_get(&d->params, name); }

static int refuse(delivery *d, int status, const char *reason)
{
    d->reason = reason;
    return status;
}

/* A handshake challenge is echoed back: keep it short and printable. */
static bool printable(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

/* ---------- Meta (Facebook Page, Instagram) ---------- */

static int meta_handshake(delivery *d)
{
    const char *mode = param(d, "hub.mode"), *token = param(d, "hub.verify_token");
    const char *challenge = param(d, "hub.challenge");
    if (!mode || strcmp(mode, "subscribe") || !token || !challenge || !printable(challenge, 200))
        return refuse(d, 400, "expected hub.mode=subscribe, hub.verify_token and hub.challenge");
    bool ok = false;
    for (int i = 0; i < d->acct->nsecrets; i++)
        if (d->acct->secrets[i].verify_token)
            ok |= const_time_eq(d->acct->secrets[i].verify_token, token);
    if (!ok)
        return refuse(d, 403, "hub.verify_token does not match this account's verify token");
    d->reply = challenge;
    d->reply_type = "text/plain";
    return 200;
}

/* Meta and Mastodon both sign with "sha256=<hex HMAC of the raw body>". */
static int hub_verify(delivery *d, const char *cgi_header, const char *header_name)
{
    const char *sig = hook_header(d, cgi_header);
    if (!sig)
        return refuse(d, 401, arena_printf(d->a, "missing %s header", header_name));
    for (int i = 0; i < d->acct->nsecrets; i++)
        if (hs_hub_sha256_ok(d->acct->secrets[i].secret, d->body, d->len, sig))
            return 0;
    return refuse(d, 401, arena_printf(d->a, "%s does not match any current secret of this account", header_name));
}

static int meta_verify(delivery *d) { return hub_verify(d, "HTTP_X_HUB_SIGNATURE_256", "X-Hub-Signature-256"); }
static int mastodon_verify(delivery *d) { return hub_verify(d, "HTTP_X_HUB_SIGNATURE", "X-Hub-Signature"); }

/* Letters, digits and the few marks of base64 and URL-safe tokens: what X's
 * crc_token and WeChat's ids are made of (WeCom user ids may have an @).
 * Never a JSON object or anything that would split a character or a log line. */
static bool token_chars(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_.-@") == n;
}

/* ---------- X Account Activity API ---------- */

/* The answer is the HMAC that x_verify accepts as a body's signature: a
 * token that could be a delivery's body (JSON) would let anyone have any
 * delivery signed, so tokens are X's kind only. */
static int x_handshake(delivery *d)
{
    const char *crc = param(d, "crc_token");
    if (!crc || !token_chars(crc, 128))
        return refuse(d, 400, "expected a crc_token parameter (letters, digits, + / = _ . - @; at most 128)");
    if (d->acct->nsecrets == 0)
        return refuse(d, 401, "no secret is set for this account");
    char token[HS_X_CRC_MAX];
    hs_x_crc_token(d->acct->secrets[0].secret, crc, token);
    d->reply = arena_printf(d->a, "{\"response_token\":\"%s\"}", token);
    d->reply_type = "application/json";
    return 200;
}

static int x_verify(delivery *d)
{
    const char *sig = hook_header(d, "HTTP_X_TWITTER_WEBHOOKS_SIGNATURE");
    if (!sig)
        return refuse(d, 401, "missing x-twitter-webhooks-signature header");
    for (int i = 0; i < d->acct->nsecrets; i++)
        if (hs_x_signature_ok(d->acct->secrets[i].secret, d->body, d->len, sig))
            return 0;
    return refuse(d, 401, "x-twitter-webhooks-signature does not match any current secret of this account");
}

/* ---------- WeChat Official Account ---------- */

static char *xml_field(delivery *d, const char *xml, const char *tag)
{
    char *v = NULL;
    if (wx_field(xml, strlen(xml), tag, &v) != 0)
        return NULL;
    char *copy = arena_strdup(d->a, v);
    free(v);
    return copy;
}

/* WeChat signs the timestamp, not the body: an authentic signature with an
 * old timestamp is a replay (WeChat itself retries within seconds). */
#define WECHAT_STALE "timestamp is more than 5 minutes away from now (replayed or clock skew)"

/* Safe mode: the body (or echostr) is an AES envelope; msg_signature signs
 * it together with the Token. On success *plain is the message (arena). */
static int wechat_open(delivery *d, const char *envelope, const char **plain)
{
    const char *ts = param(d, "timestamp"), *nonce = param(d, "nonce"), *msig = param(d, "msg_signature");
    if (!ts || !nonce || !msig)
        return refuse(d, 401, "expected timestamp, nonce and msg_signature parameters");
    for (int i = 0; i < d->acct->nsecrets; i++) {
        const hook_secret *s = &d->acct->secrets[i];
        if (!s->aes_key || !hs_wechat_signature_ok(s->secret, ts, nonce, envelope, msig))
            continue;
        if (!hs_timestamp_fresh(ts, (long long)time(NULL)))
            return refuse(d, 401, WECHAT_STALE);
        char *msg = NULL;
        size_t n = 0;
        if (hs_wechat_decrypt(s->aes_key, s->app_id, envelope, &msg, &n) != 0)
            return refuse(d, 400, "the encrypted message does not decrypt with this account's EncodingAESKey");
        *plain = arena_strndup(d->a, msg, n);
        free(msg);
        return 0;
    }
    return refuse(d, 401, "msg_signature does not match any current Token of this account");
}

static int wechat_plain_signature(delivery *d)
{
    const char *ts = param(d, "timestamp"), *nonce = param(d, "nonce"), *sig = param(d, "signature");
    if (!ts || !nonce || !sig)
        return refuse(d, 401, "expected signature, timestamp and nonce parameters");
    if (!token_chars(nonce, 64))
        return refuse(d, 400, "nonce is not of WeChat's form (letters, digits and + / = _ . - @, at most 64)");
    for (int i = 0; i < d->acct->nsecrets; i++)
        if (hs_wechat_signature_ok(d->acct->secrets[i].secret, ts, nonce, NULL, sig))
            return hs_timestamp_fresh(ts, (long long)time(NULL)) ? 0 : refuse(d, 401, WECHAT_STALE);
    return refuse(d, 401, "signature does not match any current Token of this account");
}

static int wechat_handshake(delivery *d)
{
    const char *echostr = param(d, "echostr");
    if (!echostr || !*echostr)
        return refuse(d, 400, "expected an echostr parameter");
    const char *answer = echostr;
    int st = param(d, "msg_signature") ? wechat_open(d, echostr, &answer) : wechat_plain_signature(d);
    if (st)
        return st;
    if (!printable(answer, 512))
        return refuse(d, 400, "echostr is not printable text");
    d->reply = answer;
    d->reply_type = "text/plain";
    return 200;
}

static int wechat_verify(delivery *d)
{
    const char *et = param(d, "encrypt_type");
    bool safe = param(d, "msg_signature") || (et && !strcmp(et, "aes"));
    const char *msg = d->body;
    /* The plain signature covers no body, and WeChat puts it in the URL in
     * every mode: an account with an EncodingAESKey takes envelopes only. */
    for (int i = 0; !safe && i < d->acct->nsecrets; i++)
        if (d->acct->secrets[i].aes_key)
            return refuse(d, 401, "this account has an EncodingAESKey: only encrypted messages (msg_signature) are taken");
    if (safe) {
        if (!wx_well_formed(d->body, d->len))
            return refuse(d, 400, "body is not well-formed WeChat XML");
        const char *env = xml_field(d, d->body, "Encrypt");
        if (!env)
            return refuse(d, 400, "encrypted message without an <Encrypt> element");
        int st = wechat_open(d, env, &msg);
        if (st)
            return st;
        d->payload = msg;
    } else {
        int st = wechat_plain_signature(d);
        if (st)
            return st;
        /* The signature itself (hooks.claim_nonce compares it in lower case):
         * the timestamp and nonce are signed joined with no separator, so their
         * text could be split another way (a 0 moved from one to the other)
         * and still verify. */
        d->replay_key = param(d, "signature");
    }
    if (!wx_well_formed(msg, strlen(msg)))
        return refuse(d, 400, "message is not well-formed WeChat XML");
    /* WeChat's own de-duplication keys: MsgId, or sender + time for events. */
    const char *id = xml_field(d, msg, "MsgId");
    if (id && *id) {
        if (!token_chars(id, 100))
            return refuse(d, 400, "MsgId is not a WeChat message id (letters and digits, at most 100)");
        d->delivery_id = arena_printf(d->a, "msg:%s", id);
        return 0;
    }
    const char *from = xml_field(d, msg, "FromUserName"), *at = xml_field(d, msg, "CreateTime");
    const char *event = xml_field(d, msg, "Event");
    if (!from || !*from || !at || !*at)
        return refuse(d, 400, "message without MsgId, FromUserName or CreateTime");
    if (!token_chars(from, 64) || !token_chars(at, 20) || (event && *event && !token_chars(event, 40)))
        return refuse(d, 400, "FromUserName, CreateTime or Event is not of WeChat's form (letters and digits)");
    d->delivery_id = arena_printf(d->a, "event:%s:%s:%s", from, at, event ? event : "");
    return 0;
}

/* ---------- the brand's own systems: Standard Webhooks ---------- */

static int commerce_verify(delivery *d)
{
    const char *id = hook_header(d, "HTTP_WEBHOOK_ID"), *ts = hook_header(d, "HTTP_WEBHOOK_TIMESTAMP");
    const char *sig = hook_header(d, "HTTP_WEBHOOK_SIGNATURE");
    if (!sig)
        return refuse(d, 401, "missing webhook-signature header");
    if (!id || !ts)
        return refuse(d, 400, "missing webhook-id or webhook-timestamp header");
    /* A stored secret of the wrong form makes its own check malformed; the
     * request is malformed only when every secret says so. */
    int stale = 0, malformed = 0;
    for (int i = 0; i < d->acct->nsecrets; i++) {
        hs_result r = hs_standard_verify(d->acct->secrets[i].secret, id, ts, d->body, d->len, sig, (long long)time(NULL));
        if (r == HS_OK) {
            d->delivery_id = id;
            return 0;
        }
        stale += r == HS_STALE;
        malformed += r == HS_MALFORMED;
    }
    if (stale)
        return refuse(d, 401, "webhook-timestamp is more than 5 minutes away from now (replayed or clock skew)");
    if (malformed == d->acct->nsecrets)
        return refuse(d, 400, "malformed webhook-id, webhook-timestamp or webhook-signature");
    return refuse(d, 401, "webhook-signature does not match any current secret of this account");
}

static const hook_scheme schemes[] = {
    {"facebook", meta_handshake, meta_verify, BODY_JSON, "ok\n"},
    {"instagram", meta_handshake, meta_verify, BODY_JSON, "ok\n"},
    {"x", x_handshake, x_verify, BODY_JSON, "ok\n"},
    {"mastodon", NULL, mastodon_verify, BODY_JSON, "ok\n"},
    {"wechat", wechat_handshake, wechat_verify, BODY_XML, "success"},
    {"commerce", NULL, commerce_verify, BODY_JSON, "ok\n"},
};

const hook_scheme *hook_scheme_for(const char *platform)
{
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (!strcmp(schemes[i].platform, platform))
            return &schemes[i];
    return NULL;
}
