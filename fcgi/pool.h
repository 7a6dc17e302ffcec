/* Pre-forked FastCGI worker pool: the master binds the socket, forks N
 * workers, replaces any that die, and on SIGTERM lets them drain. */
#ifndef PARLEY_POOL_H
#define PARLEY_POOL_H
#include <fcgiapp.h>
#include <stdbool.h>

/* Per-worker setup (connect, compile templates); returns opaque state or NULL to fail. */
typedef void *(*pool_init_fn)(void);
/* Handle one accepted request. */
typedef void (*pool_handle_fn)(void *state, FCGX_Request *req);

/* The pool's command line: --socket PATH (required) and --workers N (*workers
 * keeps its default when absent); anything else dies with usage. */
void pool_args(int argc, char **argv, const char **socket_path, int *workers, const char *usage);

/* Runs until SIGTERM/SIGINT; returns the exit status. */
int pool_run(const char *socket_path, int workers, pool_init_fn init, pool_handle_fn handle);

#endif
