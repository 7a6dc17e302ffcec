/* WeChat Official Accounts. WeChat only pushes (webhooks, sql/436), so there
 * is nothing to harvest; replies go out as customer-service messages to the
 * customer's OpenID, allowed within 48 hours of the customer's last message.
 * WeChat takes its access token only as ?access_token= in the URL: that URL
 * is built here for the one request and never logged or stored (publish.c
 * logs entry ids and messages; the outbox keeps the answer, not the URL). */
#include "adapters.h"

#include <string.h>

static const char *plan(arena *a, const stream *s, page_plan *out)
{
    (void)a, (void)s, (void)out;
    return "WeChat pushes its messages to Parley (webhooks): there is nothing to harvest";
}

/* WeChat's {"errcode", "errmsg"}: 0 (or none) is success, even on HTTP 200. */
static long errcode(json_t *body)
{
    json_t *v = json_object_get(body, "errcode");
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

static const char *failure(arena *a, long status, json_t *body, const char **message)
{
    (void)status;
    long code = errcode(body);
    if (!code)
        return NULL;
    const char *msg = json_string_value(json_object_get(body, "errmsg"));
    if (code == 45015) {
        *message = arena_printf(a, "WeChat error 45015: the customer has not written to the Official Account in "
                                   "the last 48 hours, so WeChat does not let it answer (%s)",
                                msg ? msg : "response out of time limit");
        return "client";
    }
    *message = arena_printf(a, "WeChat error %ld: %s", code, msg ? msg : "(no message)");
    if (code == 40001 || code == 40014 || code == 42001 || code == 41001)
        return "auth";
    if (code == 45009 || code == 45047)
        return "throttled";
    if (code == -1) /* system busy */
        return "server";
    return "client";
}

/* No Authorization header: the token is in the query (an empty header
 * line tells curl to send none). */
static const char *authorization(arena *a, const char *token)
{
    (void)a, (void)token;
    return "Authorization:";
}

/* A text customer-service message. WeChat gives no message id and no way to
 * ask whether a message went out, so there is no lookup. */
static const char *reply(arena *a, const reply_entry *e, bool lookup, reply_plan *out)
{
    out->headers[0] = NULL;
    if (lookup) {
        out->url = NULL;
        return NULL;
    }
    if (!e->target_author || !*e->target_author)
        return "the customer's OpenID is not known";
    json_t *b = json_pack("{s:s, s:s, s:{s:s}}", "touser", e->target_author, "msgtype", "text", "text", "content",
                          e->body);
    if (!b)
        return "the reply is not valid text";
    out->url = arena_printf(a, "%s/cgi-bin/message/custom/send?access_token=%s", e->base_url,
                            url_escape(a, e->token));
    out->body = json_text(a, b);
    json_decref(b);
    return NULL;
}

/* The synthetic id "wechat-cs-<idempotency key>" lets the reply be stored once. */
static const char *replied(arena *a, const reply_entry *e, json_t *body, const char **external_id,
                           const char **url)
{
    const char *bad = NULL;
    if (failure(a, 200, body, &bad))
        return bad;
    if (!json_is_object(body))
        return "the answer is not a WeChat result";
    *external_id = arena_printf(a, "wechat-cs-%s", e->key);
    *url = NULL;
    return NULL;
}

const adapter wechat_adapter = {.platform = "wechat",
                                .plan = plan,
                                .reply = reply,
                                .replied = replied,
                                .failure = failure,
                                .authorization = authorization};
