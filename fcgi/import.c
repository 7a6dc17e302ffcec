/* `parley import PLATFORM ENDPOINT FILE...`: load recorded or exported API
 * responses through the same normalizers the harvester uses. A file is either
 * a bare response body or a recorded exchange
 * {"request": {"url"}, "response": {"status", "headers", "body"}}, whose body
 * is the page's text or the page itself as JSON. */
#include "commands.h"
#include "db.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] = "usage: parley import PLATFORM ENDPOINT FILE... [--account ID]";

typedef struct {
    const char *url, *status, *headers, *body;
    const char *wrong; /* why the recorded exchange cannot be imported, or NULL */
} exchange;

/* A recorded exchange is recognised by its shape; anything else is a body.
 * Only an object that names a "response" can be one: other bodies (a page of
 * statuses is a large array) are not parsed here, the database parses them. */
static exchange read_exchange(arena *a, const char *path, const char *raw)
{
    exchange ex = {path, "200", "{}", raw, NULL};
    const char *first = raw + strspn(raw, " \t\r\n");
    if (*first != '{' || !strstr(first, "\"response\""))
        return ex;
    json_t *doc = json_loads(raw, 0, NULL);
    json_t *resp = json_object_get(doc, "response");
    json_t *body = json_object_get(resp, "body");
    if (json_is_string(body) || json_is_object(body) || json_is_array(body)) {
        /* some recorders keep a JSON body as JSON rather than as its text */
        char *text = json_is_string(body) ? NULL : json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
        ex.body = arena_strdup(a, text ? text : json_string_value(body));
        free(text);
        json_t *status = json_object_get(resp, "status");
        json_int_t st = status ? json_integer_value(status) : 200;
        ex.status = arena_printf(a, "%lld", (long long)st);
        if (!json_is_integer(status) && status)
            ex.wrong = "its response status is not a number";
        else if (st < 100 || st > 599)
            ex.wrong = arena_printf(a, "its response status %lld is not an HTTP status", (long long)st);
        else if (st < 200 || st > 299)
            ex.wrong = arena_printf(a, "it recorded an HTTP %lld answer, not a page of data", (long long)st);
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

enum { MAX_FILE = 256 * 1024 * 1024 };

/* The file's text (NUL-terminated), or NULL with *why set. */
static char *slurp(arena *a, const char *path, const char **why)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        *why = "cannot be read";
    } else if (!S_ISREG(st.st_mode)) {
        *why = "is not a regular file";
    } else if (st.st_size > MAX_FILE) {
        *why = "is larger than 256 MiB (split the export)";
    } else if (st.st_size == 0) {
        *why = "is empty";
    } else {
        char *s = arena_alloc_uninit(a, (size_t)st.st_size + 1);
        size_t got = fread(s, 1, (size_t)st.st_size, f);
        fclose(f);
        s[got] = '\0';
        /* The database keeps text only: such a file cannot even be
         * quarantined (the harvester retries such a response instead).
         * (utf8_valid refuses NUL too.) */
        if (utf8_valid(s, got))
            return s;
        *why = "is not UTF-8 text (or holds a NUL byte)";
        return NULL;
    }
    if (f)
        fclose(f);
    return NULL;
}

int cmd_import(int argc, char **argv)
{
    const char *account = NULL;
    const char *pos[256];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--account")) {
            if (i + 1 >= argc)
                die("--account needs an account id\n%s", usage);
            account = argv[++i];
            size_t n = strlen(account);
            if (n == 0 || n > 18 || strspn(account, "0123456789") != n)
                die("--account takes an account id (a number, as /accounts shows), not '%s'", account);
        } else if (npos < 256) {
            pos[npos++] = argv[i];
        } else {
            die("too many files: import at most 254 per run");
        }
    }
    if (npos < 3)
        die("%s", usage);
    arena *a = arena_new();
    PGconn *c = db_connect("parley_harvest");
    if (!c)
        return 1;
    /* A mistyped platform, endpoint or account stops here, before anything is stored. */
    const char *target[] = {pos[0], pos[1], account};
    PGresult *chk = db_must(a, c, "SELECT ingest.import_target_error($1, $2, $3::bigint)", 3, target);
    if (!PQgetisnull(chk, 0, 0))
        die("%s; nothing was imported\n%s", PQgetvalue(chk, 0, 0), usage);
    int failed = 0;
    for (int i = 2; i < npos; i++) {
        arena_reset(a);
        const char *why = NULL;
        char *raw = slurp(a, pos[i], &why);
        if (!raw) {
            fprintf(stderr, "parley import: %s %s; nothing of it was stored\n", pos[i], why);
            failed++;
            continue;
        }
        exchange ex = read_exchange(a, pos[i], raw);
        if (ex.wrong) {
            fprintf(stderr, "parley import: %s: %s; nothing of it was stored\n", pos[i], ex.wrong);
            failed++;
            continue;
        }
        const char *p[] = {pos[0], pos[1], account, ex.url, ex.status, ex.headers, ex.body};
        PGresult *r = PQexecParams(c, "SELECT ingest.store_page($1, $2, $3::bigint, $4, $5::integer, $6::jsonb, $7)::text",
                                   7, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) { /* the database's trouble, not the page's: say so, go on */
            fprintf(stderr, "parley import: %s: not stored: %s", pos[i], PQresultErrorMessage(r));
            PQclear(r);
            failed++;
            if (PQstatus(c) != CONNECTION_OK)
                die("the connection to the database was lost; files after %s were not imported", pos[i]);
            continue;
        }
        arena_defer(a, (void (*)(void *))PQclear, r);
        json_t *res = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
        if (json_is_true(json_object_get(res, "quarantined"))) {
            failed++;
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
    return failed ? 1 : 0;
}
