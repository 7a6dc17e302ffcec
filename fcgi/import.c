/* `parley import PLATFORM ENDPOINT FILE...`: load recorded or exported API
 * responses through the same normalizers the harvester uses. A file is either
 * a bare response body or a recorded exchange
 * {"request": {"url"}, "response": {"status", "headers", "body"}}. */
#include "commands.h"
#include "db.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: parley import PLATFORM ENDPOINT FILE... [--account ID]";

typedef struct {
    const char *url, *status, *headers, *body;
} exchange;

/* A recorded exchange is recognised by its shape; anything else is a body.
 * Only an object that names a "response" can be one: other bodies (a page of
 * statuses is a large array) are not parsed here, the database parses them. */
static exchange read_exchange(arena *a, const char *path, const char *raw)
{
    exchange ex = {path, "200", "{}", raw};
    const char *first = raw + strspn(raw, " \t\r\n");
    if (*first != '{' || !strstr(first, "\"response\""))
        return ex;
    json_t *doc = json_loads(raw, 0, NULL);
    json_t *resp = json_object_get(doc, "response");
    json_t *body = json_object_get(resp, "body");
    if (json_is_string(body)) {
        ex.body = arena_strdup(a, json_string_value(body));
        json_int_t st = json_integer_value(json_object_get(resp, "status"));
        ex.status = arena_printf(a, "%lld", (long long)(st ? st : 200));
        json_t *headers = json_object_get(resp, "headers");
        char *h = headers ? json_dumps(headers, JSON_COMPACT) : NULL;
        ex.headers = arena_strdup(a, h ? h : "{}");
        free(h);
        const char *url = json_string_value(json_object_get(json_object_get(doc, "request"), "url"));
        ex.url = arena_strdup(a, url ? url : path);
    }
    json_decref(doc);
    return ex;
}

static char *slurp(arena *a, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = arena_alloc(a, (size_t)n + 1);
    size_t got = n > 0 ? fread(s, 1, (size_t)n, f) : 0;
    fclose(f);
    s[got] = '\0';
    *len = got;
    return s;
}

int cmd_import(int argc, char **argv)
{
    const char *account = NULL;
    const char *pos[256];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--account") && i + 1 < argc)
            account = argv[++i];
        else if (npos < 256)
            pos[npos++] = argv[i];
        else
            die("too many files: import at most 254 per run");
    }
    if (npos < 3)
        die("%s", usage);
    arena *a = arena_new();
    PGconn *c = db_connect("parley_harvest");
    if (!c)
        return 1;
    int quarantined = 0;
    for (int i = 2; i < npos; i++) {
        arena_reset(a);
        size_t len = 0;
        char *raw = slurp(a, pos[i], &len);
        if (!raw) {
            fprintf(stderr, "parley import: cannot read %s\n", pos[i]);
            quarantined++;
            continue;
        }
        /* The database keeps text only: such a file cannot even be
         * quarantined (the harvester retries such a response instead).
         * (utf8_valid refuses NUL too.) */
        if (!utf8_valid(raw, len)) {
            fprintf(stderr, "parley import: %s is not UTF-8 text (or holds a NUL byte); nothing of it was stored\n",
                    pos[i]);
            quarantined++;
            continue;
        }
        exchange ex = read_exchange(a, pos[i], raw);
        const char *p[] = {pos[0], pos[1], account, ex.url, ex.status, ex.headers, ex.body};
        PGresult *r = db_must(a, c,
                              "SELECT ingest.store_page($1, $2, $3::bigint, $4, $5::integer, $6::jsonb, $7)"
                              "::text", 7, p);
        json_t *res = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
        if (json_is_true(json_object_get(res, "quarantined"))) {
            quarantined++;
            printf("%s: quarantined: %s\n", pos[i], json_string_value(json_object_get(res, "error")));
        } else {
            char *counts = json_dumps(json_object_get(res, "counts"), JSON_COMPACT);
            printf("%s: %s\n", pos[i], counts ? counts : "{}");
            free(counts);
        }
        json_decref(res);
    }
    PQfinish(c);
    arena_free(a);
    return quarantined ? 1 : 0;
}
