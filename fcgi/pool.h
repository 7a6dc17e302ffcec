/* Pre-forked FastCGI worker pool: the master binds the socket, forks N
 * workers (each with T threads accepting requests), replaces any that die,
 * and on SIGTERM lets them drain. */
#ifndef PARLEY_POOL_H
#define PARLEY_POOL_H
#include <fcgiapp.h>
#include <stdbool.h>

/* Per-thread setup (connect, compile templates); returns opaque state or NULL to fail. */
typedef void *(*pool_init_fn)(void);
/* Handle one accepted request. */
typedef void (*pool_handle_fn)(void *state, FCGX_Request *req);

/* The pool's command line: --socket PATH (required), --workers N and, when
 * threads is not NULL, --threads T (each keeps its default when absent);
 * anything else dies with usage. */
void pool_args(int argc, char **argv, const char **socket_path, int *workers, int *threads, const char *usage);

/* Runs until SIGTERM/SIGINT; returns the exit status. */
int pool_run(const char *socket_path, int workers, int threads, pool_init_fn init, pool_handle_fn handle);

#endif
