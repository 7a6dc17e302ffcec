#include "db.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PGconn *db_connect(const char *role)
{
    const char *base = getenv("PARLEY_DB");
    if (role) {
        char var[64];
        snprintf(var, sizeof var, "PARLEY_DB_%s", role);
        for (char *p = var; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        const char *own = getenv(var);
        if (own && *own) {
            base = own;
            role = NULL;
        }
    }
    if (!base || !*base) {
        fprintf(stderr, "parley: PARLEY_DB is not set (a libpq connection string, e.g. "
                        "postgresql://parley_owner@localhost/parley)\n");
        return NULL;
    }
    /* Keywords after an expanded dbname override what the string says. */
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "user", NULL};
    const char *vals[] = {base, "10", "parley", role, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "parley: cannot connect to PostgreSQL%s%s: %s", role ? " as " : "",
                role ? role : "", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static void clear_result(void *r) { PQclear(r); }

PGresult *db_exec(arena *a, PGconn *c, const char *sql, int nparams, const char *const *params)
{
    PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    if (!r) {
        fprintf(stderr, "parley: query failed: %s", PQerrorMessage(c));
        return NULL;
    }
    arena_defer(a, clear_result, r);
    return r;
}

const char *db_error_text(arena *a, const PGresult *r)
{
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    if (!msg)
        msg = PQresultErrorMessage(r);
    return arena_printf(a, "%s%s%s", msg, detail ? "\n" : "", detail ? detail : "");
}

PGresult *db_must(arena *a, PGconn *c, const char *sql, int nparams, const char *const *params)
{
    PGresult *r = db_exec(a, c, sql, nparams, params);
    if (!r)
        exit(1);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        die("%s", db_error_text(a, r));
    return r;
}
