/* Group commit for the webhook intake: the threads of one `parley hooks`
 * process that have verified deliveries at the same moment store them in
 * one transaction, so one commit on disk answers them all. Each delivery is
 * still answered only after its own row is durably committed. */
#ifndef PARLEY_HOOK_COMMIT_H
#define PARLEY_HOOK_COMMIT_H
#include <libpq-fe.h>
#include <semaphore.h>
#include <stdbool.h>

#include "arena.h"
#include "buf.h"

typedef struct hook_row {
    const char *account, *platform, *delivery_id, *body, *payload; /* payload may be NULL */
    size_t body_len;
    const char *outcome;  /* after hook_commit: "stored", "redelivery", or NULL when not stored */
    char *error;          /* why not, for the log (malloc'd; the caller frees) */
    int batch;            /* how many deliveries its commit stored, for the log */
    bool lead;            /* woken to lead the next commit rather than with an outcome */
    sem_t wake;           /* its thread waits on it */
    struct hook_row *next;
} hook_row;

/* Stores row with whatever other threads are storing now, on db (this
 * thread's connection, with the statements "accept" and "accept_all"
 * prepared), and returns once its outcome is known. */
void hook_commit(PGconn *db, hook_row *row);

/* A PostgreSQL array literal of strings (NULL elements where a string is
 * NULL) appended to b: {"a","b\"c",NULL}. */
void hook_array_literal(buf *b, const char *const *items, int n);

#endif
