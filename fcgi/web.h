/* Internal header of `parley web`: the request, the route table and the
 * pieces of the request pipeline (web.c → routes.c → render.c). */
#ifndef PARLEY_WEB_H
#define PARLEY_WEB_H
#include <fcgiapp.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "arena.h"
#include "buf.h"
#include "httpin.h"

/* A form field may fill the form: an article of 256 KiB (its SQL limit) in Chinese is
 * three times that URL-encoded. nginx lets 1 MiB through, so a larger form is the
 * worker's to refuse (413). Up to 256 fields: a bulk action names up to MAX_IDS posts,
 * one field each. */
enum { FORM_MAX_BYTES = 800 * 1024, MAX_PARAMS = 256, MAX_FIELD = FORM_MAX_BYTES, QUERY_MAX_BYTES = 4096 };

/* P_IDS: a name repeated once per checked box, each an integer in [min, max];
 * handed to the api function as "1,2,3" (at most MAX_IDS of them).
 * P_CLEARABLE: a text field of an edit form (a comma-separated list, an amount);
 * sent empty it is handed on empty, so the form clears it (an empty list, no
 * amount), where an empty P_TEXT is left out (the value is kept). */
typedef enum { P_TEXT, P_INT, P_ENUM, P_IDS, P_CLEARABLE } param_type;
enum { MAX_IDS = 200 };

typedef struct {
    const char *name;
    param_type type;
    long long min, max;         /* text: length in characters; int: value */
    bool required;
    const char *const *choices; /* P_ENUM: NULL-terminated */
} param_spec;

typedef struct request request;
typedef void (*route_handler)(request *r);

enum { M_GET = 1, M_POST = 2 };

typedef struct route {
    int methods;
    const char *path;          /* exact path, without ".json" */
    route_handler handler;
    const char *api;           /* api function the handler calls, or NULL */
    const char *tmpl;          /* template that renders the document */
    const char *redirect;      /* after a successful POST (POST/redirect/GET) */
    const param_spec *params;  /* terminated by {NULL} */
} route;

typedef struct worker {
    PGconn *db;
    arena *a;
    char dummy_hash[128];      /* argon2id of a random string: equal-time unknown users */
} worker;

struct request {
    worker *w;
    arena *a;
    FCGX_Request *fr;
    double started;
    /* from the FastCGI environment */
    const char *method, *path, *query, *content_type, *cookie, *accept, *accept_lang;
    const char *origin, *referer, *host, *remote_addr, *request_id, *user_agent;
    bool https, json;         /* json: the client asked for the JSON twin */
    const route *route;
    kvlist params;            /* query string (GET) or form (POST), raw */
    json_t *args;             /* validated parameters, passed to the api function */
    json_t *field_errors;     /* name -> message key, for 422 */
    const char *error_args;   /* the values of the refusal send_error shows (api_result.message_args) */
    /* who is asking */
    const char *session;      /* well-formed session token from the cookie, or "" */
    const char *anon_csrf;    /* double-submit token for signed-out forms */
    json_t *viewer;           /* api.viewer() or NULL */
    const char *lang;
    /* response */
    int status;
    buf headers;
    const char *user_id;      /* for the access log */
};

/* routes.c */
const route *route_for_method(const char *path, int method); /* NULL: no such route */
int route_allowed_methods(const char *path);                  /* 0: unknown path */
int route_validate(request *r);       /* fills r->args / r->field_errors; returns HTTP status */

/* web.c: database and response helpers for handlers */
typedef struct {
    int status;               /* 200 or the mapped HTTP status */
    json_t *doc;              /* api result parsed for templates (arena-owned; NULL for JSON clients) */
    const char *doc_text;     /* the same document as PostgreSQL sent it (arena-owned) */
    const char *message;      /* user-facing error message */
    const char *message_key;  /* catalog key from the server's HINT, if any */
    const char *message_args; /* the message's values (JSON object text, the server's DETAIL), if any */
    int retry_after;
} api_result;
/* How call_api runs an api function: a read; a change (CSRF checked); a
 * change submitted from a page's form (CSRF checked, and a repeat of the
 * same submission acts once: api.form_replay). */
typedef enum { API_READ, API_CHANGE, API_FORM } api_call;
api_result call_api(request *r, const char *fn, json_t *args, api_call kind);
json_t *result_doc(request *r, api_result *res); /* the document parsed, whoever the client is */
void json_release(void *j);                      /* json_decref for arena_defer */
/* A cookie of this site by its name (behind TLS, "__Host-" and the name), or NULL. */
const char *get_cookie(request *r, const char *name);
void set_cookie(request *r, const char *name, const char *value, int max_age);
void redirect(request *r, const char *location);
void send_body(request *r, int status, const char *content_type, const char *body, size_t len);
void send_document(request *r, int status, json_t *doc, const char *tmpl); /* JSON twin or template */
void send_result(request *r, const api_result *res, const char *tmpl);       /* an api result, unparsed for JSON */
void send_page(request *r, int status, json_t *doc, const char *tmpl, json_t *extra); /* extra: template-only fields */
void send_error(request *r, int status, const char *message_key, const char *message);
void audit_refusal(request *r, int status, const char *reason);
bool origin_ok(request *r);
const char *referer_path(request *r); /* the path (and query) of this site's page the Referer names, or NULL */
const char *field_label(request *r, const char *field); /* a form field as its form labels it, in r->lang */

/* handlers */
void h_health(request *r);
void h_root(request *r);
void h_page(request *r);
void h_action(request *r);
void h_csv(request *r); /* the api document's {filename, header, rows} as a CSV download */
void h_login_form(request *r);
void h_login(request *r);
void h_logout(request *r);
void h_language(request *r);

/* render.c */
int render_init(const char *root);    /* compile templates, load catalogs; 0 or -1 */
const char *render_pick_lang(request *r);
const char *render_text(request *r, const char *key); /* message in r->lang, or key */
const char *render_text_en(const char *key);          /* the English message, or NULL */
/* A catalog message with its "{name}" placeholders filled from args (a JSON
 * object; "{name|state}" gives a code's words, as for a field "state";
 * "{name|field}" a form field's label), in
 * r->lang, or in English when lang is "en". NULL when nothing was filled. */
const char *render_fill(request *r, const char *text, json_t *args);
void render_page(request *r, buf *out, const char *tmpl, json_t *doc, json_t *extra);
/* A one-shot notice for the next page this browser renders ("Saved."): one of
 * render.c's names (its catalog's "notice_<name>"), with a count or n < 0. */
void notice_set(request *r, const char *name, long long n);

#endif
