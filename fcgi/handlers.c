/* Generic handlers: a page is one api call rendered through its template; an
 * action is one CSRF-checked api call followed by a redirect (POST/redirect/GET). */
#include "csv.h"
#include "password.h"
#include "web.h"

#include <string.h>

void h_health(request *r)
{
    json_t *doc = json_pack("{s:s}", "status", "ok");
    r->json = true;
    send_document(r, 200, doc, NULL);
    json_decref(doc);
}

void h_root(request *r)
{
    redirect(r, "/dashboard");
}

/* The longest page address sign-in brings back, escaped: within the sign-in
 * page's own query limit (QUERY_MAX_BYTES) and its "next" field (2100 bytes). */
enum { NEXT_MAX_ESCAPED = 2100 };

/* Whether a path on this site (its query aside) is a page one can GET. */
static bool is_page(request *r, const char *path)
{
    return route_for_method(arena_strndup(r->a, path, strcspn(path, "?#")), M_GET) != NULL;
}

/* Shared error path: a missing or expired session sends browsers to sign-in,
 * which says that the session ended when the browser still had one (or that
 * the person signed out, in another tab). */
static void fail(request *r, const api_result *res)
{
    if (res->status == 401 && !r->json) {
        const char *why = !*r->session                          ? NULL
                          : !strcmp(r->session, TOKEN_SIGNED_OUT) ? "signed_out"
                                                                  : "session_ended";
        /* a page asked for comes back after sign-in; for a form, the page it
         * was sent from (which fills in what was typed: static/drafts.js).
         * Not an address too long to carry in the sign-in page's own. */
        bool form = strcmp(r->method, "GET") != 0;
        const char *back = form ? referer_path(r) : *r->query ? arena_printf(r->a, "%s?%s", r->path, r->query) : r->path;
        if (form && back && (!hin_local_path(back) || !is_page(r, back)))
            back = NULL; /* (a form's error page has the address of the POST) */
        const char *next = back ? url_escape(r->a, back) : NULL;
        if (next && strlen(next) > NEXT_MAX_ESCAPED)
            next = NULL;
        /* (unsent: a form was refused, which static/drafts.js then keeps) */
        bool unsent = next && form;
        redirect(r, arena_printf(r->a, "/login%s%s%s%s%s", why || next ? "?" : "", why ? arena_printf(r->a, "why=%s", why) : "",
                                 why && next ? "&" : "", next ? arena_printf(r->a, "next=%s", next) : "",
                                 unsent ? "&unsent=1" : ""));
        return;
    }
    if (!r->viewer && *r->session)
        call_api(r, NULL, NULL, API_READ); /* who is asking, for the page around the error */
    if (res->retry_after > 0 || res->status == 429)
        buf_printf(&r->headers, "Retry-After: %d\r\n", res->retry_after > 0 ? res->retry_after : 60);
    r->error_args = res->message_args;
    send_error(r, res->status, res->message_key, res->message);
}

void h_page(request *r)
{
    api_result res = call_api(r, r->route->api, r->args, API_READ);
    if (res.status != 200) {
        fail(r, &res);
        return;
    }
    send_result(r, &res, r->route->tmpl);
}

/* What the page after an action says (render.c's notices); most say "Saved." */
static const char *notice_for(const char *path)
{
    static const char *const said[][2] = {
        {"/accounts/delete", "deleted"}, {"/rules/delete", "deleted"},      {"/kb/delete", "deleted"},
        {"/canned/delete", "deleted"},   {"/teams/rule/delete", "deleted"}, {"/reply", "reply_queued"},
        {"/inbox/bulk", "posts_updated"},
    };
    for (size_t i = 0; i < sizeof said / sizeof said[0]; i++)
        if (!strcmp(said[i][0], path))
            return said[i][1];
    return "saved";
}

void h_action(request *r)
{
    api_result res = call_api(r, r->route->api, r->args, API_FORM);
    if (res.status != 200) {
        fail(r, &res);
        return;
    }
    if (r->json) {
        send_result(r, &res, NULL);
        return;
    }
    /* the page it leads to says it was done (with the count, when the api gives one) */
    json_t *changed = json_object_get(result_doc(r, &res), "changed");
    notice_set(r, notice_for(r->route->path), json_is_integer(changed) ? json_integer_value(changed) : -1);
    /* The api may name where to go next (the case it opened, the filtered
     * inbox); only a path on this site is followed. */
    const char *next = json_string_value(json_object_get(result_doc(r, &res), "redirect"));
    redirect(r, hin_local_path(next) ? next : r->route->redirect);
}

void h_csv(request *r)
{
    api_result res = call_api(r, r->route->api, r->args, API_READ);
    if (res.status != 200) {
        fail(r, &res);
        return;
    }
    if (r->json) { /* the JSON twin: the same rows, as the api gave them */
        send_result(r, &res, NULL);
        return;
    }
    json_t *doc = result_doc(r, &res);
    const char *name = json_string_value(json_object_get(doc, "filename"));
    buf *out = arena_alloc(r->a, sizeof *out);
    arena_defer(r->a, buf_free_cb, out);
    buf_puts(out, "\xef\xbb\xbf"); /* a BOM, so spreadsheets read the Chinese as UTF-8 */
    csv_row(out, json_object_get(doc, "header"));
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(doc, "rows"), i, row) csv_row(out, row);
    /* the name comes from the api; only a plain file name is put in the header */
    bool plain = name && *name && strlen(name) < 100 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(name);
    buf_printf(&r->headers, "Content-Disposition: attachment; filename=\"%s\"\r\n", plain ? name : "export.csv");
    send_body(r, 200, "text/csv; charset=utf-8", out->data, out->len);
}
