#include "pool.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_WORKERS = 256, MAX_THREADS = 64 };

/* stopping is read by every thread of a worker: a lock-free atomic, which a
 * signal handler may also write. */
static atomic_int stopping;
static volatile sig_atomic_t child_exited;

static void on_stop(int sig) { (void)sig; atomic_store(&stopping, 1); }
static void on_child(int sig) { (void)sig; child_exited = 1; }

static void set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* What every worker runs, and one accept loop's own state. */
typedef struct {
    int fd, threads;
    pool_init_fn init;
    pool_handle_fn handle;
    sigset_t *waitmask;
} server;

typedef struct {
    const server *srv;
    int ep; /* the worker's epoll set, shared by its threads */
    void *state;
} acceptor;

/* Watch a connection for its next request: one thread takes it when it is
 * readable (EPOLLONESHOT), then hands it back here if nginx keeps it. */
static void watch(int ep, int conn, bool in_set)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = conn};
    if (epoll_ctl(ep, in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, conn, &ev) != 0)
        close(conn);
}

/* One request from the connection conn: libfcgi reads it from there (it is
 * given no listening socket, so it never accepts by itself). What the handler
 * left of the body is read to its end first: closing a socket with unread
 * data resets it, and nginx, still sending, would answer 502 instead of the
 * handler's 413 or 404. A connection nginx keeps (fastcgi_keep_conn) then
 * goes back to the epoll set (in_set: it is there already), so no thread sits
 * on an idle one; any other is closed at once, without libfcgi's wait for
 * nginx to close first (nginx has sent all it will). */
static void serve_one(const acceptor *ac, FCGX_Request *req, int conn, bool in_set)
{
    req->ipcFd = conn;
    req->keepConnection = 1; /* FCGX_Accept_r first finishes the last request: not by closing conn */
    if (FCGX_Accept_r(req) < 0)
        return; /* nginx closed it, or sent no request: libfcgi closed it */
    ac->srv->handle(ac->state, req);
    char rest[4096];
    while (FCGX_GetStr(rest, sizeof rest, req->in) > 0)
        ; /* bounded by nginx's client_max_body_size */
    if (!req->keepConnection)
        FCGX_Detach(req);
    FCGX_Finish_r(req);
    if (req->ipcFd >= 0) {
        int kept = req->ipcFd;
        req->ipcFd = -1;
        watch(ac->ep, kept, in_set);
    }
}

/* Out of file descriptors: the listening socket stays readable, so without a
 * pause every idle thread would spin on accept (and on this log line). */
static void out_of_files(void)
{
    static _Atomic time_t said;
    time_t now = time(NULL);
    if (atomic_exchange(&said, now) != now)
        perror("parley: accept (waiting for connections to close)");
    nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
}

/* One accept loop (a worker process, or one thread of it). SIGTERM stays
 * blocked except while waiting in epoll_pwait, so a request that has been
 * accepted is always finished before the worker exits. EPOLLEXCLUSIVE wakes
 * few idle waiters for a new connection, not the whole pool, and a wake
 * accepts just one connection, so no worker takes a whole burst.
 * With several threads only one of them receives the signal: the others
 * notice the flag within a wait's timeout. */
static void *serve(void *arg)
{
    const acceptor *ac = arg;
    const server *s = ac->srv;
    FCGX_Request req;
    FCGX_InitRequest(&req, -1, 0);
    while (!atomic_load(&stopping)) {
        struct epoll_event ev;
        int n = epoll_pwait(ac->ep, &ev, 1, s->threads > 1 ? 200 : -1, s->waitmask);
        if (n <= 0)
            continue; /* EINTR or timeout: loop re-checks stopping */
        int conn = ev.data.fd;
        bool kept = conn != s->fd;
        if (!kept) {
            conn = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
            if (conn < 0 && (errno == EMFILE || errno == ENFILE))
                out_of_files();
            else if (conn < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                perror("parley: accept");
            if (conn < 0)
                continue; /* mostly: another worker took it */
        }
        serve_one(ac, &req, conn, kept);
    }
    return NULL;
}

/* Every thread's state (its database connection) is made before any thread
 * accepts a request: a worker that cannot start them all exits unused. */
static _Noreturn void worker_main(const server *s)
{
    acceptor ac[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event want = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = s->fd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &want) != 0) {
        perror("parley: epoll");
        _exit(3);
    }
    for (int i = 0; i < s->threads; i++) {
        ac[i].srv = s;
        ac[i].ep = ep;
        ac[i].state = s->init();
        if (!ac[i].state)
            _exit(3);
    }
    for (int i = 1; i < s->threads; i++)
        if (pthread_create(&tid[i], NULL, serve, &ac[i]) != 0) {
            perror("parley: thread");
            _exit(3);
        }
    serve(&ac[0]);
    for (int i = 1; i < s->threads; i++)
        pthread_join(tid[i], NULL);
    _exit(0);
}

static pid_t spawn(server *s)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("parley: fork");
        return -1;
    }
    if (pid == 0) {
        set_handler(SIGCHLD, SIG_DFL);
        worker_main(s);
    }
    return pid;
}

void pool_args(int argc, char **argv, const char **socket_path, int *workers, int *threads, const char *usage)
{
    *socket_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--socket") && i + 1 < argc)
            *socket_path = argv[++i];
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc)
            *workers = atoi(argv[++i]);
        else if (threads && !strcmp(argv[i], "--threads") && i + 1 < argc)
            *threads = atoi(argv[++i]);
        else
            die("%s", usage);
    }
    if (!*socket_path)
        die("%s", usage);
}

int pool_run(const char *socket_path, int workers, int threads, pool_init_fn init, pool_handle_fn handle)
{
    if (workers < 1 || workers > MAX_WORKERS)
        die("worker count must be between 1 and %d", MAX_WORKERS);
    if (threads < 1 || threads > MAX_THREADS)
        die("thread count must be between 1 and %d", MAX_THREADS);
    if (FCGX_Init() != 0)
        die("FCGX_Init failed");
    unlink(socket_path);
    mode_t old = umask(0117); /* socket rw for the user and group only */
    int fd = FCGX_OpenSocket(socket_path, 256);
    umask(old);
    if (fd < 0)
        die("cannot listen on %s", socket_path);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGCHLD);
    set_handler(SIGTERM, on_stop);
    set_handler(SIGINT, on_stop);
    set_handler(SIGCHLD, on_child);
    signal(SIGPIPE, SIG_IGN);

    server srv = {.fd = fd, .threads = threads, .init = init, .handle = handle, .waitmask = &waitmask};
    pid_t pids[MAX_WORKERS];
    for (int i = 0; i < workers; i++)
        pids[i] = spawn(&srv);
    fprintf(stderr, "parley: %d workers listening on %s\n", workers, socket_path);

    double last_crash = 0;
    while (!stopping) {
        sigsuspend(&waitmask);
        child_exited = 0;
        int st;
        pid_t pid;
        while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
            for (int i = 0; i < workers; i++) {
                if (pids[i] != pid)
                    continue;
                if (WIFSIGNALED(st))
                    fprintf(stderr, "parley: worker %d killed by signal %d; replacing it\n", pid, WTERMSIG(st));
                else
                    fprintf(stderr, "parley: worker %d exited with %d; replacing it\n", pid, WEXITSTATUS(st));
                /* A worker that cannot start (e.g. database down) must not spin the CPU. */
                if (now_ms() - last_crash < 200)
                    usleep(500 * 1000);
                last_crash = now_ms();
                pids[i] = stopping ? -1 : spawn(&srv);
            }
        }
    }

    /* Drain: workers finish the request in hand, then exit. */
    for (int i = 0; i < workers; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGTERM);
    double deadline = now_ms() + 10000;
    int alive = workers;
    while (alive > 0 && now_ms() < deadline) {
        alive = 0;
        for (int i = 0; i < workers; i++) {
            if (pids[i] <= 0)
                continue;
            if (waitpid(pids[i], NULL, WNOHANG) == pids[i])
                pids[i] = -1;
            else
                alive++;
        }
        if (alive)
            usleep(20 * 1000);
    }
    for (int i = 0; i < workers; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGKILL);
    close(fd);
    unlink(socket_path);
    fprintf(stderr, "parley: stopped\n");
    return 0;
}
