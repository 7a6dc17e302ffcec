/* `parley user add|passwd|disable|enable|role|exists`: staff administration as the owner role. */
#include "commands.h"
#include "db.h"
#include "password.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

static const char usage[] =
    "usage: parley user add USERNAME --role admin|marketer|agent|sales|analyst [--name DISPLAY] [--password-stdin]\n"
    "       parley user passwd USERNAME [--password-stdin]\n"
    "       parley user disable USERNAME\n"
    "       parley user enable USERNAME\n"
    "       parley user role USERNAME --role admin|marketer|agent|sales|analyst\n"
    "       parley user exists USERNAME";

static const char *const roles[] = {"admin", "marketer", "agent", "sales", "analyst", NULL};

/* One line from stdin; with a terminal, prompt without echo. Caller frees. */
static char *read_password(bool from_stdin)
{
    bool tty = !from_stdin && isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fputs("Password: ", stderr);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (n < 0)
        die("no password given on standard input");
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (strlen(line) != (size_t)n)
        die("password contains a NUL character: choose another");
    return line;
}

static const char *message_for(const char *key)
{
    if (!strcmp(key, "err.password_short")) return "password is too short: use at least 8 characters";
    if (!strcmp(key, "err.password_long")) return "password is too long: use at most 1024 characters";
    if (!strcmp(key, "err.password_utf8")) return "password is not valid UTF-8";
    if (!strcmp(key, "err.password_repetitive"))
        return "password is too repetitive (fewer than 4 different characters, or a run like abcdefgh): choose another";
    return key;
}

/* Characters of pw left once every occurrence of name (any case) is taken out. */
static size_t without_name_chars(const char *pw, const char *name)
{
    size_t n = strlen(name), left = 0;
    for (const char *p = pw; *p;) {
        if (n && !strncasecmp(p, name, n)) {
            p += n;
            continue;
        }
        left += ((unsigned char)*p & 0xC0) != 0x80; /* count UTF-8 characters, not bytes */
        p++;
    }
    return left;
}

/* Hash a new password after the shape and common-password checks. */
static char *new_hash(arena *a, PGconn *c, const char *username, bool from_stdin)
{
    char *pw = read_password(from_stdin);
    const char *problem = pw_shape_problem(pw);
    if (problem)
        die("%s", message_for(problem));
    /* the word an attacker tries first (NIST SP 800-63B: context-specific
     * words): what is left without the user name must be long enough alone */
    if (without_name_chars(pw, username) < PW_MIN_CHARS)
        die("password is mostly the user name: without it, at least %d characters must be left", PW_MIN_CHARS);
    char digest[67];
    pw_common_digest(pw, digest);
    const char *p[] = {digest};
    PGresult *r = db_must(a, c, "SELECT auth.password_is_common($1::bytea)", 1, p);
    if (PQgetvalue(r, 0, 0)[0] == 't')
        die("password is on the list of common passwords: choose another");
    char *hash = arena_alloc(a, crypto_pwhash_STRBYTES);
    if (pw_hash(pw, hash) != 0)
        die("out of memory while hashing the password");
    sodium_memzero(pw, strlen(pw));
    free(pw);
    return hash;
}

/* The value of an option given once: a second one is a mistake, not an override. */
static const char *once(const char *seen, const char *opt, const char *value)
{
    if (seen)
        die("%s is given twice: give it once", opt);
    return value;
}

int cmd_user(int argc, char **argv)
{
    if (argc < 3)
        die("%s", usage);
    const char *verb = argv[1];
    /* sign-in takes user names in any case: so does the command line */
    char *username = strdup(argv[2]);
    if (!username)
        die("out of memory");
    for (char *c = username; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    const char *role = NULL, *name = NULL;
    bool from_stdin = false;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--role") && i + 1 < argc)
            role = once(role, "--role", argv[++i]);
        else if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = once(name, "--name", argv[++i]);
        else if (!strcmp(argv[i], "--password-stdin"))
            from_stdin = true;
        else
            die("%s", usage);
    }
    /* an option the verb does not take is a mistake, not something to ignore */
    bool takes_role = !strcmp(verb, "add") || !strcmp(verb, "role"), takes_pw = !strcmp(verb, "add") || !strcmp(verb, "passwd");
    if ((role && !takes_role) || (name && strcmp(verb, "add")) || (from_stdin && !takes_pw))
        die("parley user %s does not take that option\n%s", verb, usage);
    if (role) {
        int k = 0;
        while (roles[k] && strcmp(roles[k], role))
            k++;
        if (!roles[k])
            die("unknown role \"%s\": the roles are admin, marketer, agent, sales and analyst", role);
    }
    arena *a = arena_new();
    PGconn *c = db_connect(NULL);
    if (!c)
        return 1;
    int status = 0;
    if (!strcmp(verb, "add")) {
        if (!role)
            die("parley user add: --role is required\n%s", usage);
        char *hash = new_hash(a, c, username, from_stdin);
        const char *p[] = {username, name ? name : username, role, hash};
        db_must(a, c, "SELECT auth.user_add($1, $2, $3::auth.staff_role, $4)", 4, p);
        printf("user %s added with role %s\n", username, role);
    } else if (!strcmp(verb, "passwd")) {
        char *hash = new_hash(a, c, username, from_stdin);
        const char *p[] = {username, hash};
        PGresult *r = db_must(a, c, "SELECT auth.user_passwd($1, $2), (SELECT disabled_at IS NOT NULL FROM auth.staff "
                                    "WHERE username = $1)", 2, p);
        printf("password of %s changed; their sessions were ended\n", username);
        if (PQgetvalue(r, 0, 1)[0] == 't')
            printf("note: %s is disabled; `parley user enable %s` lets them sign in\n", username, username);
    } else if (!strcmp(verb, "disable")) {
        const char *p[] = {username};
        db_must(a, c, "SELECT auth.user_disable($1)", 1, p);
        printf("user %s disabled; their sessions were ended\n", username);
    } else if (!strcmp(verb, "enable")) {
        const char *p[] = {username};
        db_must(a, c, "SELECT auth.user_enable($1)", 1, p);
        printf("user %s enabled: they may sign in with their password\n", username);
    } else if (!strcmp(verb, "role")) {
        if (!role)
            die("parley user role: --role is required\n%s", usage);
        const char *p[] = {username, role};
        db_must(a, c, "SELECT auth.user_set_role($1, $2::auth.staff_role)", 2, p);
        printf("user %s has the role %s from their next request\n", username, role);
    } else if (!strcmp(verb, "exists")) {
        const char *p[] = {username};
        PGresult *r = db_must(a, c, "SELECT 1 FROM auth.staff WHERE username = $1", 1, p);
        status = PQntuples(r) == 1 ? 0 : 1;
    } else {
        die("%s", usage);
    }
    PQfinish(c);
    arena_free(a);
    free(username);
    return status;
}
