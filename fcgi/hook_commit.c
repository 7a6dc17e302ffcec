#include "hook_commit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A commit takes at most this many deliveries, and stops adding bodies
 * past BATCH_BYTES (a delivery may be 1 MiB). */
enum { BATCH_MAX = 64, BATCH_BYTES = 4 * 1024 * 1024 };

/* The rows waiting for the next commit, and whether a thread is committing.
 * No dedicated thread: whoever finds no commit in progress leads the next
 * one on its own connection, taking every row queued by then (its own
 * included), and hands the lead to the owner of the next queued row. Each
 * waiting thread sleeps on its own semaphore, so a commit wakes exactly the
 * threads it answered, and they go on without taking the lock again. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static hook_row *queue_head, **queue_tail = &queue_head;
static bool committing;

void hook_array_literal(buf *b, const char *const *items, int n)
{
    buf_putc(b, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        if (!items[i]) {
            buf_puts(b, "NULL");
            continue;
        }
        buf_putc(b, '"');
        const char *s = items[i], *run = s;
        for (; *s; s++) {
            if (*s == '"' || *s == '\\') {
                buf_append(b, run, (size_t)(s - run));
                buf_putc(b, '\\');
                run = s;
            }
        }
        buf_append(b, run, (size_t)(s - run));
        buf_putc(b, '"');
    }
    buf_putc(b, '}');
}

static char *copy_error(PGconn *db, PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(db);
    char *c = strdup(m && *m ? m : "no answer from the database\n");
    return c;
}

/* One row alone: hooks.accept, as before group commit. */
static void store_one(PGconn *db, hook_row *row)
{
    const char *p[] = {row->account, row->platform, row->delivery_id, row->body, row->payload};
    PGresult *r = PQexecPrepared(db, "accept", 5, p, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        row->outcome = strcmp(PQgetvalue(r, 0, 0), "stored") ? "redelivery" : "stored";
    else
        row->error = copy_error(db, r);
    PQclear(r);
}

/* Several rows in one transaction; when that fails (one row breaks a
 * constraint) each is stored alone, so only that row is refused. */
static void store_batch(PGconn *db, hook_row **rows, int n)
{
    if (n == 1) {
        store_one(db, rows[0]);
        return;
    }
    const char *col[5][BATCH_MAX];
    for (int i = 0; i < n; i++) {
        col[0][i] = rows[i]->account;
        col[1][i] = rows[i]->platform;
        col[2][i] = rows[i]->delivery_id;
        col[3][i] = rows[i]->body;
        col[4][i] = rows[i]->payload;
    }
    buf lit[5] = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT};
    const char *p[5];
    for (int c = 0; c < 5; c++) {
        hook_array_literal(&lit[c], col[c], n);
        p[c] = lit[c].data;
    }
    PGresult *r = PQexecPrepared(db, "accept_all", 5, p, NULL, NULL, 0);
    for (int c = 0; c < 5; c++)
        buf_free(&lit[c]);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok) { /* {stored,redelivery,...}: n plain words */
        const char *s = PQgetvalue(r, 0, 0);
        s += *s == '{';
        for (int i = 0; i < n; i++) {
            ok = ok && (!strncmp(s, "stored", 6) || !strncmp(s, "redelivery", 10));
            if (!ok)
                break;
            rows[i]->outcome = *s == 's' ? "stored" : "redelivery";
            s += *s == 's' ? 6 : 10;
            s += *s == ',';
        }
    }
    PQclear(r);
    if (ok)
        return;
    for (int i = 0; i < n; i++) {
        rows[i]->outcome = NULL;
        if (PQstatus(db) == CONNECTION_OK)
            store_one(db, rows[i]);
        else
            rows[i]->error = copy_error(db, NULL);
    }
}

/* Commits the rows queued now, row (the caller's) first among them; the
 * lock is held on entry and on return. */
static void lead(PGconn *db, hook_row *row)
{
    hook_row *rows[BATCH_MAX];
    int n = 0;
    size_t bytes = 0;
    while (queue_head && n < BATCH_MAX && (n == 0 || bytes + queue_head->body_len <= BATCH_BYTES)) {
        bytes += queue_head->body_len;
        rows[n++] = queue_head;
        queue_head = queue_head->next;
    }
    if (!queue_head)
        queue_tail = &queue_head;
    pthread_mutex_unlock(&lock);
    store_batch(db, rows, n);
    for (int i = 0; i < n; i++) {
        rows[i]->batch = n;
        if (rows[i] != row)
            sem_post(&rows[i]->wake);
    }
    pthread_mutex_lock(&lock);
    if (queue_head) { /* rows that came meanwhile: their first owner leads next */
        queue_head->lead = true;
        sem_post(&queue_head->wake);
    } else {
        committing = false;
    }
}

void hook_commit(PGconn *db, hook_row *row)
{
    sem_init(&row->wake, 0, 0);
    row->lead = false;
    row->next = NULL;
    pthread_mutex_lock(&lock);
    *queue_tail = row;
    queue_tail = &row->next;
    bool leading = !committing;
    committing = true;
    pthread_mutex_unlock(&lock);
    if (!leading) {
        while (sem_wait(&row->wake) != 0)
            ; /* EINTR */
        leading = row->lead;
    }
    if (leading) {
        pthread_mutex_lock(&lock);
        lead(db, row);
        pthread_mutex_unlock(&lock);
    }
    sem_destroy(&row->wake);
}
