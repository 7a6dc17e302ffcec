/* `parley harvest`: the daemon that will pull platform APIs (issue 3). For now
 * it holds its connection as parley_harvest, listens for work and exits
 * cleanly on SIGTERM, so the process layout of `make run` is the final one. */
#include "commands.h"
#include "db.h"
#include "util.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop;
static void on_stop(int sig) { (void)sig; stop = 1; }

int cmd_harvest(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        die("usage: parley harvest");
    PGconn *c = db_connect("parley_harvest");
    if (!c)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    PQclear(PQexec(c, "LISTEN parley_jobs"));
    fprintf(stderr, "parley harvest: waiting for jobs (no platform adapters yet)\n");
    while (!stop) {
        struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
        if (poll(&p, 1, 5000) > 0) {
            PQconsumeInput(c);
            PGnotify *n;
            while ((n = PQnotifies(c))) {
                fprintf(stderr, "parley harvest: notified (%s)\n", n->relname);
                PQfreemem(n);
            }
        }
        if (PQstatus(c) != CONNECTION_OK) {
            PQreset(c);
            PQclear(PQexec(c, "LISTEN parley_jobs"));
        }
    }
    PQfinish(c);
    fprintf(stderr, "parley harvest: stopped\n");
    return 0;
}
