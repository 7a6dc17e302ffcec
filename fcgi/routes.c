/* The route table and its parameter tables: the only place that says which
 * URL runs which api function with which validated inputs. */
#include "util.h"
#include "web.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const languages[] = {"en", "zh-CN", NULL};

static const param_spec no_params[] = {{NULL}};
/* why: "session_ended" or "signed_out" says so; any other reason (an old link) is no reason */
/* next: the page to go to after sign-in (a path on this site, else the dashboard) */
static const param_spec login_form_params[] = {
    {"why", P_TEXT, 0, 40, false, NULL}, {"next", P_TEXT, 0, 2100, false, NULL}, {NULL}};
static const param_spec login_params[] = {
    {"username", P_TEXT, 1, 256, true, NULL}, /* (longer than any: then simply a wrong name) */
    {"password", P_TEXT, 1, 1024, true, NULL},
    {"next", P_TEXT, 0, 2100, false, NULL},
    {NULL}};
static const param_spec id_param[] = {{"id", P_INT, 1, 9223372036854775807LL, true, NULL}, {NULL}};
static const param_spec profile_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"before", P_INT, 1, 9223372036854775807LL, false, NULL}, /* the last post of the page before */
    {NULL}};
static const param_spec language_params[] = {
    {"lang", P_ENUM, 0, 0, true, languages},
    {"back", P_TEXT, 0, 2100, false, NULL}, /* the page's path and query (render_page) */
    {NULL}};
static const param_spec time_zone_params[] = {{"time_zone", P_TEXT, 1, 64, true, NULL}, {NULL}};
static const char *const platforms[] = {"mastodon", "bluesky", "x",      "facebook", "instagram",
                                        "weibo",    "wechat",  "commerce", NULL};
static const char *const account_states[] = {"active", "paused", NULL};
static const param_spec account_add_params[] = {
    {"platform", P_ENUM, 0, 0, true, platforms},
    {"handle", P_TEXT, 1, 200, true, NULL},
    {"display_name", P_TEXT, 0, 200, false, NULL},
    {"api_base_url", P_TEXT, 0, 500, false, NULL}, /* required for harvested platforms (checked in SQL) */
    {"external_id", P_TEXT, 0, 200, false, NULL},
    {"token", P_TEXT, 0, 4096, false, NULL},
    {"keywords", P_TEXT, 0, 1000, false, NULL},
    {NULL}};
static const param_spec account_status_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"status", P_ENUM, 0, 0, true, account_states},
    {NULL}};
static const param_spec account_edit_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"display_name", P_TEXT, 0, 200, false, NULL},
    {"api_base_url", P_TEXT, 0, 500, false, NULL}, /* required for harvested platforms (checked in SQL) */
    {"external_id", P_TEXT, 0, 200, false, NULL},
    {NULL}};
static const param_spec account_token_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"token", P_TEXT, 1, 4096, true, NULL},
    {NULL}};
static const param_spec webhook_secret_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"secret", P_TEXT, 1, 512, true, NULL},
    {"verify_token", P_TEXT, 0, 512, false, NULL},
    {"aes_key", P_TEXT, 0, 43, false, NULL},
    {"app_id", P_TEXT, 0, 200, false, NULL},
    {"overlap_hours", P_INT, 0, 720, false, NULL},
    {NULL}};
static const char *const categories[] = {"brand", "product", "competitor", "complaint", "campaign", "custom", NULL};
static const char *const sentiments[] = {"positive", "neutral", "negative", NULL};
static const char *const yes_no[] = {"yes", "no", NULL};
static const char *const one[] = {"1", NULL};
static const param_spec inbox_params[] = {
    {"account", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"platform", P_ENUM, 0, 0, false, platforms},
    {"rule", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"category", P_ENUM, 0, 0, false, categories},
    {"sentiment", P_ENUM, 0, 0, false, sentiments},
    {"lang", P_TEXT, 0, 10, false, NULL},
    {"answered", P_ENUM, 0, 0, false, yes_no},
    {"mine", P_ENUM, 0, 0, false, one},
    {"before", P_INT, 1, 9223372036854775807LL, false, NULL},
    {NULL}};
static const char *const bulk_actions[] = {"assign", "tag", "handled", "unhandled", NULL};
static const param_spec inbox_bulk_params[] = {
    {"ids", P_IDS, 1, 9223372036854775807LL, false, NULL}, /* none ticked: the api says what to do */
    {"action", P_ENUM, 0, 0, true, bulk_actions},
    {"staff_id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"tag", P_TEXT, 0, 40, false, NULL},
    {"back", P_TEXT, 0, 300, false, NULL},
    {NULL}};
static const char *const case_states[] = {"new", "open", "pending", "resolved", "closed", NULL};
static const char *const case_views[] = {"active", "new", "open", "pending", "resolved", "closed", NULL};
static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};
static const char *const lead_states[] = {"new", "qualified", "won", "lost", NULL};
static const param_spec cases_params[] = {
    {"state", P_ENUM, 0, 0, false, case_views},
    {"priority", P_ENUM, 0, 0, false, priorities},
    {"team_id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"mine", P_ENUM, 0, 0, false, one},
    {"before", P_INT, 1, 9223372036854775807LL, false, NULL},
    {NULL}};
static const param_spec contacts_params[] = {
    {"q", P_TEXT, 0, 200, false, NULL},
    {"before", P_INT, 1, 9223372036854775807LL, false, NULL},
    {NULL}};
static const param_spec leads_params[] = {
    {"state", P_ENUM, 0, 0, false, lead_states},
    {"before", P_INT, 1, 9223372036854775807LL, false, NULL},
    {NULL}};
static const param_spec case_open_params[] = {
    {"post_id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"priority", P_ENUM, 0, 0, false, priorities},
    {"subject", P_TEXT, 0, 500, false, NULL},
    {NULL}};
static const param_spec case_state_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"state", P_ENUM, 0, 0, true, case_states},
    {NULL}};
static const param_spec case_assign_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"staff_id", P_TEXT, 0, 20, false, NULL}, /* an id, "me", or "none" to unassign */
    {"team_id", P_INT, 1, 9223372036854775807LL, false, NULL}, /* or a team: its next member in turn */
    {NULL}};
static const param_spec case_priority_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"priority", P_ENUM, 0, 0, true, priorities},
    {NULL}};
static const param_spec case_note_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"body", P_TEXT, 1, 10000, true, NULL}, /* (api.case_note's limit) */
    {NULL}};
static const param_spec contact_save_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"name", P_TEXT, 1, 200, true, NULL},
    {"emails", P_CLEARABLE, 0, 2000, false, NULL}, /* comma-separated */
    {"phones", P_CLEARABLE, 0, 2000, false, NULL},
    {NULL}};
static const param_spec from_post_params[] = {
    {"post_id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"contact_id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"value", P_TEXT, 0, 20, false, NULL},
    {NULL}};
static const param_spec lead_state_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"state", P_ENUM, 0, 0, true, lead_states},
    {"value", P_CLEARABLE, 0, 20, false, NULL}, /* the form shows the value: emptied, it is cleared */
    {"value_was", P_CLEARABLE, 0, 40, false, NULL}, /* the value the form showed (api.lead_state) */
    {NULL}};
static const char *const ui_langs[] = {"en", "zh-CN", NULL};
static const char *const on[] = {"on", "true", NULL};
static const char *const on_off[] = {"on", "off", NULL};
static const param_spec kb_params[] = {
    {"q", P_TEXT, 0, 200, false, NULL},
    {"category", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"lang", P_ENUM, 0, 0, false, ui_langs},
    {"after", P_TEXT, 0, 40, false, NULL},
    {NULL}};
static const param_spec kb_edit_params[] = {{"id", P_INT, 1, 9223372036854775807LL, false, NULL}, {NULL}};
static const param_spec kb_save_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"title", P_TEXT, 1, 200, true, NULL},
    {"body_md", P_TEXT, 1, 200000, true, NULL},
    {"lang", P_ENUM, 0, 0, true, ui_langs},
    {"category_id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"published", P_ENUM, 0, 0, false, on},
    {NULL}};
static const param_spec canned_params[] = {
    {"q", P_TEXT, 0, 200, false, NULL},
    {"lang", P_ENUM, 0, 0, false, ui_langs},
    {"category", P_TEXT, 0, 60, false, NULL},
    {"edit", P_INT, 1, 9223372036854775807LL, false, NULL}, /* the reply the form edits */
    {NULL}};
static const param_spec canned_save_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"title", P_TEXT, 1, 120, true, NULL},
    {"body", P_TEXT, 1, 4000, true, NULL},
    {"lang", P_ENUM, 0, 0, true, ui_langs},
    {"category", P_TEXT, 0, 60, false, NULL},
    {"shared", P_ENUM, 0, 0, false, on},
    {NULL}};
static const param_spec team_save_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"name", P_TEXT, 1, 200, true, NULL},
    {"member_ids", P_IDS, 1, 9223372036854775807LL, false, NULL},
    {"members", P_ENUM, 0, 0, false, on}, /* the form lists members: none checked is none */
    {NULL}};
static const param_spec assignment_rule_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"team_id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"category", P_ENUM, 0, 0, false, categories}, /* empty: any */
    {"lang", P_TEXT, 0, 3, false, NULL},
    {"position", P_INT, 0, 10000, false, NULL},
    {"enabled", P_ENUM, 0, 0, false, on_off},
    {NULL}};
static const param_spec sla_save_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"name", P_TEXT, 1, 200, true, NULL},
    {"first_response_minutes", P_INT, 1, 525600, true, NULL},
    {"resolution_minutes", P_INT, 1, 525600, true, NULL},
    {"tz", P_TEXT, 1, 64, true, NULL},
    {"is_default", P_ENUM, 0, 0, false, on},
    {"hours_text", P_TEXT, 0, 2000, true, NULL},
    {"holidays_text", P_TEXT, 0, 110000, false, NULL}, /* 500 holidays (api.sla_policy_save) */
    {NULL}};
static const param_spec post_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"use", P_INT, 1, 9223372036854775807LL, false, NULL}, /* a canned reply to start the answer with */
    {NULL}};
static const param_spec reply_params[] = {
    {"post_id", P_INT, 1, 9223372036854775807LL, true, NULL},
    {"body", P_TEXT, 1, 10000, true, NULL},
    {"case_id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"idempotency_key", P_TEXT, 0, 36, false, NULL},
    {NULL}};
static const char *const rule_actions[] = {"none", "contact", "case", NULL};
static const param_spec rule_save_params[] = {
    {"id", P_INT, 1, 9223372036854775807LL, false, NULL},
    {"name", P_TEXT, 1, 200, true, NULL},
    {"category", P_ENUM, 0, 0, true, categories},
    {"expression", P_TEXT, 1, 2000, true, NULL},
    {"platforms", P_CLEARABLE, 0, 200, false, NULL},
    {"account_ids", P_CLEARABLE, 0, 400, false, NULL},
    {"langs", P_CLEARABLE, 0, 100, false, NULL},
    {"action", P_ENUM, 0, 0, false, rule_actions},
    /* checkboxes come first, a hidden "off" after them: the first value wins */
    {"search", P_ENUM, 0, 0, false, on_off},
    {"enabled", P_ENUM, 0, 0, false, on_off},
    {"backapply", P_ENUM, 0, 0, false, on_off},
    {NULL}};
static const param_spec rule_test_params[] = {
    {"expression", P_TEXT, 1, 2000, true, NULL},
    {"text", P_TEXT, 0, 10000, false, NULL},
    {NULL}};
static const char *const periods[] = {"7", "30", "90", NULL};
static const char *const charts[] = {"volume", "response", "sentiment", "voice", "backlog", "leads", NULL};
#define DASHBOARD_FILTERS                                          \
    {"period", P_ENUM, 0, 0, false, periods},                      \
    {"account", P_INT, 1, 9223372036854775807LL, false, NULL},     \
    {"platform", P_ENUM, 0, 0, false, platforms},                  \
    {"team", P_INT, 1, 9223372036854775807LL, false, NULL},         \
    {"to", P_TEXT, 0, 10, false, NULL}
static const param_spec dashboard_params[] = {DASHBOARD_FILTERS, {NULL}};
static const param_spec export_params[] = {{"chart", P_ENUM, 0, 0, true, charts}, DASHBOARD_FILTERS, {NULL}};
/* keyset pagination: rows older than this id */
static const param_spec keyset_params[] = {
    {"before", P_INT, 1, 9223372036854775807LL, false, NULL}, {NULL}};

static const route routes[] = {
    {M_GET, "/health", h_health, NULL, NULL, NULL, no_params},
    {M_GET, "/", h_root, NULL, NULL, NULL, no_params},
    {M_GET, "/login", h_login_form, NULL, "login", NULL, login_form_params},
    {M_POST, "/login", h_login, NULL, "login", "/dashboard", login_params},
    {M_POST, "/logout", h_logout, "logout", NULL, "/login?why=signed_out", no_params},
    {M_POST, "/language", h_language, "set_language", NULL, "/", language_params},
    {M_GET, "/dashboard", h_page, "dashboard", "dashboard", NULL, dashboard_params},
    {M_GET, "/dashboard/export", h_csv, "dashboard_export", NULL, NULL, export_params},
    {M_GET, "/sessions", h_page, "sessions", "sessions", NULL, no_params},
    {M_POST, "/sessions/revoke", h_action, "session_revoke", NULL, "/sessions", id_param},
    {M_POST, "/time-zone", h_action, "set_time_zone", NULL, "/sessions", time_zone_params},
    {M_GET, "/admin/audit", h_page, "audit_log", "audit", NULL, keyset_params},
    {M_GET, "/accounts", h_page, "accounts", "accounts", NULL, no_params},
    {M_POST, "/accounts/add", h_action, "account_add", NULL, "/accounts", account_add_params},
    {M_POST, "/accounts/edit", h_action, "account_edit", NULL, "/accounts", account_edit_params},
    {M_POST, "/accounts/status", h_action, "account_status", NULL, "/accounts", account_status_params},
    {M_POST, "/accounts/token", h_action, "account_token", NULL, "/accounts", account_token_params},
    {M_POST, "/accounts/delete", h_action, "account_delete", NULL, "/accounts", id_param},
    {M_POST, "/accounts/webhook-secret", h_action, "webhook_secret_set", NULL, "/accounts", webhook_secret_params},
    {M_GET, "/intake", h_page, "intake", "intake", NULL, no_params},
    {M_GET, "/inbox", h_page, "inbox", "inbox", NULL, inbox_params},
    {M_POST, "/inbox/bulk", h_action, "inbox_bulk", NULL, "/inbox", inbox_bulk_params},
    {M_GET, "/cases", h_page, "cases", "cases", NULL, cases_params},
    {M_GET, "/case", h_page, "case", "case", NULL, id_param},
    {M_POST, "/case/open", h_action, "case_open", NULL, "/cases", case_open_params},
    {M_POST, "/case/state", h_action, "case_state", NULL, "/cases", case_state_params},
    {M_POST, "/case/assign", h_action, "case_assign", NULL, "/cases", case_assign_params},
    {M_POST, "/case/priority", h_action, "case_priority", NULL, "/cases", case_priority_params},
    {M_POST, "/case/note", h_action, "case_note", NULL, "/cases", case_note_params},
    {M_GET, "/teams", h_page, "teams", "teams", NULL, no_params},
    {M_POST, "/teams/save", h_action, "team_save", NULL, "/teams", team_save_params},
    {M_POST, "/teams/rule", h_action, "assignment_rule_save", NULL, "/teams", assignment_rule_params},
    {M_POST, "/teams/rule/delete", h_action, "assignment_rule_delete", NULL, "/teams", id_param},
    {M_GET, "/sla", h_page, "sla_policies", "sla", NULL, no_params},
    {M_POST, "/sla/save", h_action, "sla_policy_save", NULL, "/sla", sla_save_params},
    {M_GET, "/contacts", h_page, "contacts", "contacts", NULL, contacts_params},
    {M_GET, "/leads", h_page, "leads", "leads", NULL, leads_params},
    {M_GET, "/contact", h_page, "contact", "contact", NULL, id_param},
    {M_POST, "/contact/from-post", h_action, "contact_from_post", NULL, "/inbox", from_post_params},
    {M_POST, "/contact/save", h_action, "contact_save", NULL, "/inbox", contact_save_params},
    {M_POST, "/lead/from-post", h_action, "lead_from_post", NULL, "/inbox", from_post_params},
    {M_POST, "/lead/state", h_action, "lead_state", NULL, "/inbox", lead_state_params},
    {M_GET, "/rules", h_page, "rules", "rules", NULL, no_params},
    {M_POST, "/rules/save", h_action, "rule_save", NULL, "/rules", rule_save_params},
    {M_POST, "/rules/delete", h_action, "rule_delete", NULL, "/rules", id_param},
    {M_POST, "/rules/backapply", h_action, "rule_backapply", NULL, "/rules", id_param},
    {M_GET, "/rules/test", h_page, "rule_test", "rule_test", NULL, rule_test_params},
    {M_GET, "/kb", h_page, "kb", "kb", NULL, kb_params},
    {M_GET, "/kb/article", h_page, "kb_article", "kb_article", NULL, id_param},
    {M_GET, "/kb/edit", h_page, "kb_edit", "kb_edit", NULL, kb_edit_params},
    {M_POST, "/kb/save", h_action, "kb_save", NULL, "/kb", kb_save_params},
    {M_POST, "/kb/delete", h_action, "kb_delete", NULL, "/kb", id_param},
    {M_GET, "/canned", h_page, "canned", "canned", NULL, canned_params},
    {M_POST, "/canned/save", h_action, "canned_save", NULL, "/canned", canned_save_params},
    {M_POST, "/canned/delete", h_action, "canned_delete", NULL, "/canned", id_param},
    {M_GET, "/post", h_page, "post", "post", NULL, post_params},
    {M_POST, "/reply", h_action, "reply", NULL, "/inbox", reply_params},
    {M_POST, "/reply/retry", h_action, "outbox_retry", NULL, "/inbox", id_param},
    {M_GET, "/profile", h_page, "profile", "profile", NULL, profile_params},
    {M_GET, "/quarantine", h_page, "quarantine", "quarantine", NULL, keyset_params},
    {M_POST, "/quarantine/retry", h_action, "quarantine_retry", NULL, "/quarantine", id_param},
};

const route *route_for_method(const char *path, int method)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (!strcmp(routes[i].path, path) && (routes[i].methods & method))
            return &routes[i];
    return NULL;
}

int route_allowed_methods(const char *path)
{
    int m = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (!strcmp(routes[i].path, path))
            m |= routes[i].methods;
    return m;
}

static const char *check(const param_spec *p, const char *v, json_t **out)
{
    switch (p->type) {
    case P_TEXT:
    case P_CLEARABLE: {
        size_t chars = utf8_length(v, strlen(v));
        if ((long long)chars < p->min)
            return p->min <= 1 ? "err.field_required" : "err.field_short";
        if ((long long)chars > p->max)
            return "err.field_long";
        *out = json_string(v);
        return NULL;
    }
    case P_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        /* digits only (strtoll also takes leading spaces and a '+') */
        bool plain = v[0] == '-' ? isdigit((unsigned char)v[1]) : isdigit((unsigned char)v[0]);
        if (!plain || *end || errno)
            return "err.field_number";
        if (n < p->min || n > p->max)
            return "err.field_range";
        *out = json_integer(n);
        return NULL;
    }
    case P_IDS: /* one value here; route_validate joins them */
        return check(&(param_spec){p->name, P_INT, p->min, p->max, false, NULL}, v, out);
    case P_ENUM:
        for (const char *const *c = p->choices; *c; c++)
            if (!strcmp(*c, v)) {
                *out = json_string(v);
                return NULL;
            }
        return "err.field_choice";
    }
    return "err.field_choice";
}

/* Every value of a repeated P_IDS parameter, checked, as "1,2,3" (arena). */
static const char *join_ids(request *r, const param_spec *p, const char **joined)
{
    buf *b = arena_alloc(r->a, sizeof *b); /* zeroed: an empty buffer */
    arena_defer(r->a, buf_free_cb, b);
    int n = 0;
    for (size_t i = 0; i < r->params.n; i++) {
        if (strcmp(r->params.items[i].name, p->name))
            continue;
        json_t *num = NULL;
        const char *problem = check(p, r->params.items[i].value, &num);
        if (problem)
            return problem;
        if (++n > MAX_IDS) {
            json_decref(num);
            return "err.too_many_ids";
        }
        buf_printf(b, "%s%lld", n > 1 ? "," : "", json_integer_value(num));
        json_decref(num);
    }
    *joined = arena_strdup(r->a, b->data ? b->data : "");
    return NULL;
}

int route_validate(request *r)
{
    r->args = json_object();
    arena_defer(r->a, json_release, r->args);
    for (const param_spec *p = r->route->params; p->name; p++) {
        const char *v = hin_get(&r->params, p->name);
        const char *problem = NULL;
        if (p->type == P_IDS && v) {
            problem = join_ids(r, p, &v);
            if (!problem)
                json_object_set_new(r->args, p->name, json_string(v));
            goto bad;
        }
        if (!v || (!*v && p->type != P_CLEARABLE)) {
            if (p->required)
                problem = "err.field_required";
        } else {
            json_t *val = NULL;
            problem = check(p, v, &val);
            if (val)
                json_object_set_new(r->args, p->name, val);
        }
    bad:
        if (problem) {
            if (!r->field_errors) {
                r->field_errors = json_object();
                arena_defer(r->a, json_release, r->field_errors);
            }
            json_object_set_new(r->field_errors, p->name, json_string(problem));
        }
    }
    return r->field_errors ? 422 : 200;
}
