/* Sign-in, sign-out and the language switch. Password verification is the one
 * step that happens in the worker: argon2id runs between two short transactions
 * (api.login_challenge, which counts the try, and api.login_finish, which
 * gives its outcome) so no transaction waits on it. */
#include "password.h"
#include "util.h"
#include "web.h"

#include <stdio.h>
#include <string.h>

enum { SESSION_MAX_AGE = 12 * 3600, LANG_MAX_AGE = 365 * 86400, LANG_CHOSEN_MAX_AGE = 86400 };
#define LANG_CHOSEN "parley_lang_chosen"

/* Catalog text with "{n}" replaced by a number (catalogs are not format strings). */
static const char *fill_number(request *r, const char *text, long long n)
{
    json_t *args = json_pack("{s:I}", "n", (json_int_t)n);
    arena_defer(r->a, json_release, args);
    const char *filled = render_fill(r, text, args);
    return filled ? filled : text;
}

/* Where sign-in leads: the page asked for ("next", a path on this site), else the dashboard. */
static const char *after_sign_in(request *r)
{
    const char *next = json_string_value(json_object_get(r->args, "next"));
    return next && hin_local_path(next) ? next : "/dashboard";
}

/* The sign-in form again, with the user's input and a message (never the password). */
static void login_form(request *r, int status, const char *error_key, const char *error_text)
{
    if (status == 429 || (status == 403 && !r->json)) /* (send_error audits the 403 it sends) */
        audit_refusal(r, status, status == 429 ? "err.login_held" : error_key); /* (no wait to fill in there) */
    if (r->json) {
        send_error(r, status, error_key, error_text);
        return;
    }
    /* each field's own problem, in words (missing, too long) */
    json_t *fields = r->field_errors ? json_object() : NULL;
    const char *name;
    json_t *v;
    json_object_foreach(r->field_errors, name, v)
        json_object_set_new(fields, name, json_string(render_text(r, json_string_value(v))));
    const char *next = json_string_value(json_object_get(r->args, "next"));
    json_t *extra = json_pack("{s:s?,s:s?,s:o?,s:s?}", "username", hin_get(&r->params, "username"),
                              "error", error_key ? render_text(r, error_key) : error_text,
                              "field_errors", fields, "next", next && hin_local_path(next) ? next : NULL);
    arena_defer(r->a, json_release, extra);
    send_page(r, status, NULL, "login", extra);
}

void h_login_form(request *r)
{
    call_api(r, NULL, NULL, API_READ);
    if (r->json) { /* what a JSON client needs to send forms: the sign-in form's token, or its session's */
        const char *csrf = r->viewer ? json_string_value(json_object_get(r->viewer, "csrf")) : r->anon_csrf;
        json_t *doc = json_pack("{s:b,s:s?}", "signed_in", r->viewer != NULL, "csrf", csrf);
        arena_defer(r->a, json_release, doc);
        send_document(r, 200, doc, NULL);
        return;
    }
    if (r->viewer) {
        redirect(r, after_sign_in(r));
        return;
    }
    const char *why = json_string_value(json_object_get(r->args, "why"));
    bool said = why && (!strcmp(why, "session_ended") || !strcmp(why, "signed_out"));
    login_form(r, 200, said ? (!strcmp(why, "signed_out") ? "err.signed_out" : "err.session_ended") : NULL, NULL);
}

void h_login(request *r)
{
    if (r->field_errors) { /* "enter both" when one is missing; a value too long says so beside it */
        bool missing = false;
        const char *name;
        json_t *v;
        json_object_foreach(r->field_errors, name, v) missing |= !strcmp(json_string_value(v), "err.field_required");
        login_form(r, 422, missing ? "err.login_missing" : NULL, NULL);
        return;
    }
    const char *username = json_string_value(json_object_get(r->args, "username"));
    const char *password = json_string_value(json_object_get(r->args, "password"));
    json_t *who = json_pack("{s:s}", "username", username);
    arena_defer(r->a, json_release, who);
    api_result ch = call_api(r, "login_challenge", who, API_CHANGE);
    /* A second tab's sign-in form, sent after the first tab signed in: its
     * token is the one from before, but the person is in already. */
    if (ch.status == 403 && !r->json && call_api(r, NULL, NULL, API_READ).status == 200 && r->viewer) {
        audit_refusal(r, 403, "err.login_second_tab");
        redirect(r, after_sign_in(r));
        return;
    }
    if (ch.status != 200) {
        login_form(r, ch.status, ch.message_key, ch.message);
        return;
    }
    json_int_t wait = json_integer_value(json_object_get(result_doc(r, &ch), "retry_after"));
    if (wait > 0) {
        buf_printf(&r->headers, "Retry-After: %lld\r\n", (long long)wait);
        login_form(r, 429, NULL, fill_number(r, render_text(r, "err.login_throttled"), (long long)wait));
        return;
    }
    /* Unknown users are verified against a dummy hash: same time, same answer. */
    const char *hash = json_string_value(json_object_get(result_doc(r, &ch), "hash"));
    bool ok = pw_verify(hash ? hash : r->w->dummy_hash, password) && hash;

    char token[TOKEN_HEX + 1], csrf[TOKEN_HEX + 1];
    token_new(token);
    token_new(csrf);
    /* a language chosen on the sign-in page becomes the person's (it would
     * otherwise give way to the one stored at an earlier visit) */
    const char *chosen = get_cookie(r, LANG_CHOSEN) ? get_cookie(r, "parley_lang") : NULL;
    json_t *outcome = json_pack("{s:s,s:b,s:O?,s:s,s:s,s:s,s:s?}", "username", username, "success", ok, "attempt",
                                json_object_get(result_doc(r, &ch), "attempt"), "token", token, "csrf", csrf,
                                "user_agent", r->user_agent, "lang", chosen);
    arena_defer(r->a, json_release, outcome);
    api_result fin = call_api(r, "login_finish", outcome, API_READ);
    if (fin.status != 200) {
        login_form(r, fin.status, fin.message_key, fin.message);
        return;
    }
    if (!json_is_true(json_object_get(result_doc(r, &fin), "ok"))) {
        login_form(r, 401, "err.login_failed", NULL);
        return;
    }
    set_cookie(r, "parley_session", token, SESSION_MAX_AGE);
    if (chosen)
        set_cookie(r, LANG_CHOSEN, "", 0);
    const char *lang = json_string_value(json_object_get(result_doc(r, &fin), "lang"));
    if (lang)
        set_cookie(r, "parley_lang", lang, LANG_MAX_AGE);
    if (r->json) { /* with the token the session's forms need */
        json_t *doc = json_pack("{s:b,s:s}", "ok", 1, "csrf", csrf);
        arena_defer(r->a, json_release, doc);
        send_document(r, 200, doc, NULL);
    } else {
        redirect(r, after_sign_in(r));
    }
}

void h_logout(request *r)
{
    api_result res = call_api(r, "logout", r->args, API_CHANGE);
    /* A refused sign-out of a session that is gone already (a double click:
     * the second carries the ended session's CSRF token: 401, or 403 when
     * its cookie is gone too) has nothing left to protect: it is answered as
     * the first one was. */
    if ((res.status == 401 || res.status == 403) && call_api(r, NULL, NULL, API_READ).status == 200 && !r->viewer) {
        audit_refusal(r, 403, "logout_stale");
        res = (api_result){.status = 200, .doc_text = "{\"ok\":true}"};
    }
    if (res.status != 200) {
        r->error_args = res.message_args;
        send_error(r, res.status, res.message_key, res.message);
        return;
    }
    set_cookie(r, "parley_session", TOKEN_SIGNED_OUT, SESSION_MAX_AGE);
    r->viewer = NULL;
    if (r->json)
        send_result(r, &res, NULL);
    else
        redirect(r, r->route->redirect);
}

void h_language(request *r)
{
    api_result res = call_api(r, "set_language", r->args, API_CHANGE);
    if (res.status != 200) {
        r->error_args = res.message_args;
        send_error(r, res.status, res.message_key, res.message);
        return;
    }
    set_cookie(r, "parley_lang", json_string_value(json_object_get(r->args, "lang")), LANG_MAX_AGE);
    if (!r->viewer) /* chosen while signed out: stored at the sign-in that follows */
        set_cookie(r, LANG_CHOSEN, "1", LANG_CHOSEN_MAX_AGE);
    const char *back = json_string_value(json_object_get(r->args, "back"));
    if (r->json)
        send_result(r, &res, NULL);
    else
        redirect(r, hin_local_path(back) ? back : r->route->redirect);
}
