/* `parley migrate`: numbered append-only migrations, recorded in
 * maint.schema_migration with their SHA-256, then every top-level file in sql/
 * re-applied in one transaction. */
#include "commands.h"
#include "db.h"
#include "util.h"

#include <dirent.h>
#include <regex.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char **names;
    size_t n;
} filelist;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir matching the regex. */
static filelist list_files(arena *a, const char *dir, const char *pattern)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))
        die("bad pattern");
    filelist fl = {arena_alloc(a, sizeof(char *) * 1024), 0};
    DIR *d = opendir(dir);
    if (!d)
        die("cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (regexec(&re, e->d_name, 0, NULL, 0) == 0) {
            if (fl.n == 1024)
                die("too many files in %s", dir);
            fl.names[fl.n++] = arena_strdup(a, e->d_name);
        }
    }
    closedir(d);
    regfree(&re);
    qsort(fl.names, fl.n, sizeof(char *), cmp_str);
    return fl;
}

static char *read_file(arena *a, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = arena_alloc(a, (size_t)n + 1);
    if (n && fread(s, 1, (size_t)n, f) != (size_t)n)
        die("cannot read %s", path);
    fclose(f);
    *len = (size_t)n;
    return s;
}

static const char *sha256_hex(arena *a, const char *s, size_t n)
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)s, n);
    char *hex = arena_alloc(a, sizeof d * 2 + 1);
    sodium_bin2hex(hex, sizeof d * 2 + 1, d, sizeof d);
    return hex;
}

/* Run a whole SQL file (several statements) on the simple-query protocol. */
/* Runs one file inside the open transaction; dies on an error, except a
 * deadlock with a running program (the harvester, mid-page), after which it
 * rolls back and returns false: the caller may run sql/ again. */
__attribute__((warn_unused_result)) static bool run_script(arena *a, PGconn *c, const char *name, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    bool failed = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
    const char *msg = failed ? db_error_text(a, r) : NULL;
    const char *state = failed ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    bool deadlock = state && !strcmp(state, "40P01");
    PQclear(r);
    /* A COMMIT or ROLLBACK inside the file would end our transaction early. */
    PGTransactionStatusType ts = PQtransactionStatus(c);
    if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
        die("%s ended the transaction it runs in (COMMIT or ROLLBACK in the file?): statements before that "
            "may be applied. Remove transaction control from the file and check the database.%s%s",
            name, msg ? "\n" : "", msg ? msg : "");
    if (failed) {
        PQclear(PQexec(c, "ROLLBACK"));
        if (deadlock)
            return false;
        die("%s failed, nothing of it was applied:\n%s", name, msg);
    }
    return true;
}

int cmd_migrate(int argc, char **argv)
{
    const char *root = getenv("PARLEY_ROOT") ? getenv("PARLEY_ROOT") : ".";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            root = argv[++i];
        else
            die("usage: parley migrate [--dir PROJECT_ROOT]");
    }
    arena *a = arena_new();
    PGconn *c = db_connect(NULL);
    if (!c)
        return 1;
    PQsetNoticeProcessor(c, NULL, NULL);
    db_must(a, c, "SET client_min_messages = warning", 0, NULL);
    db_must(a, c, "SELECT pg_advisory_lock(7261001)", 0, NULL); /* one migrator at a time */
    db_must(a, c, "CREATE SCHEMA IF NOT EXISTS maint", 0, NULL);
    db_must(a, c,
            "CREATE TABLE IF NOT EXISTS maint.schema_migration ("
            " version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())",
            0, NULL);

    const char *mdir = arena_printf(a, "%s/migrations", root);
    filelist fl = list_files(a, mdir, "^[0-9]{4}_[a-z0-9_]+\\.sql$");
    PGresult *done = db_must(a, c, "SELECT version, name, sha256 FROM maint.schema_migration ORDER BY version", 0, NULL);

    /* Verify every recorded migration before applying anything. */
    for (int row = 0; row < PQntuples(done); row++) {
        const char *name = PQgetvalue(done, row, 1);
        bool found = false;
        for (size_t i = 0; i < fl.n; i++) {
            if (strcmp(fl.names[i], name))
                continue;
            size_t len;
            char *body = read_file(a, arena_printf(a, "%s/%s", mdir, name), &len);
            const char *sum = sha256_hex(a, body, len);
            if (strcmp(sum, PQgetvalue(done, row, 2)))
                die("migration %s has changed since it was applied (recorded sha256 %.12s…, file %.12s…).\n"
                    "Migrations are append-only: restore the file and add a new migration instead.",
                    name, PQgetvalue(done, row, 2), sum);
            found = true;
        }
        if (!found)
            die("migration %s was applied but its file is missing from %s", name, mdir);
    }

    int applied = 0;
    for (size_t i = 0; i < fl.n; i++) {
        int version = atoi(fl.names[i]);
        bool have = false;
        for (int row = 0; row < PQntuples(done); row++)
            if (atoi(PQgetvalue(done, row, 0)) == version) {
                if (strcmp(PQgetvalue(done, row, 1), fl.names[i]))
                    die("migration number %04d is used twice (%s and %s)", version,
                        PQgetvalue(done, row, 1), fl.names[i]);
                have = true;
            }
        if (have)
            continue;
        size_t len;
        char *body = read_file(a, arena_printf(a, "%s/%s", mdir, fl.names[i]), &len);
        db_must(a, c, "BEGIN", 0, NULL);
        if (!run_script(a, c, fl.names[i], body))
            die("%s met a deadlock with a running program; nothing of it was applied: run migrate again", fl.names[i]);
        const char *ver = arena_printf(a, "%d", version);
        const char *p[] = {ver, fl.names[i], sha256_hex(a, body, len)};
        db_must(a, c, "INSERT INTO maint.schema_migration (version, name, sha256) VALUES ($1, $2, $3)", 3, p);
        db_must(a, c, "COMMIT", 0, NULL);
        printf("applied migration %s\n", fl.names[i]);
        applied++;
    }

    /* Re-creatable code: all of sql/ in one transaction, so a broken file changes nothing. */
    const char *sdir = arena_printf(a, "%s/sql", root);
    filelist sf = list_files(a, sdir, "^[0-9]{3}_[a-z0-9_]+\\.sql$");
    for (int attempt = 1;; attempt++) {
        db_must(a, c, "BEGIN", 0, NULL);
        bool whole = true;
        for (size_t i = 0; i < sf.n && whole; i++) {
            size_t len;
            char *body = read_file(a, arena_printf(a, "%s/%s", sdir, sf.names[i]), &len);
            whole = run_script(a, c, arena_printf(a, "sql/%s", sf.names[i]), body);
        }
        if (whole)
            break;
        if (attempt == 5)
            die("sql/ met a deadlock with a running program five times; nothing of it was applied: try again");
        fprintf(stderr, "parley migrate: sql/ met a deadlock with a running program; trying again\n");
        sleep((unsigned)attempt);
    }
    db_must(a, c, "COMMIT", 0, NULL);
    printf("migrations: %d applied, %zu total; sql/: %zu files applied\n", applied, fl.n, sf.n);
    PQfinish(c);
    arena_free(a);
    return 0;
}
