/* libpq helpers. Every program connects with its own role (DESIGN.md). */
#ifndef PARLEY_DB_H
#define PARLEY_DB_H
#include <libpq-fe.h>
#include "arena.h"

/* Connect using $PARLEY_DB (a libpq URI or key=value string). If role is
 * not NULL it overrides the user, unless $PARLEY_DB_<ROLE> (e.g.
 * PARLEY_DB_PARLEY_WEB) gives a full connection string for that role.
 * Returns an open connection (caller owns, PQfinish) or NULL after logging why. */
PGconn *db_connect(const char *role);

/* Run a parameterized statement; the result is freed when the arena resets.
 * Returns NULL (and logs) only on connection-level failure; SQL errors come back
 * as a PGresult with an error status. */
PGresult *db_exec(arena *a, PGconn *c, const char *sql, int nparams, const char *const *params);

/* Run a statement and die with the server's message unless it succeeds (CLI use). */
PGresult *db_must(arena *a, PGconn *c, const char *sql, int nparams, const char *const *params);

/* "ERROR: message (DETAIL/HINT)" suitable for a CLI user; arena-owned. */
const char *db_error_text(arena *a, const PGresult *r);

#endif
