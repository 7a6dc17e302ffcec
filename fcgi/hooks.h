/* Internal header of `parley hooks`: one delivery in flight, the cached
 * secrets of the account it names, and the table of per-platform schemes
 * (hooks.c runs the pipeline, hook_schemes.c knows each platform). */
#ifndef PARLEY_HOOKS_H
#define PARLEY_HOOKS_H
#include <fcgiapp.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "httpin.h"

enum {
    HOOK_MAX_BYTES = 1024 * 1024, /* the worker's own body limit (nginx has the same) */
    HOOK_MAX_SECRETS = 8,         /* current + those still in their rotation overlap */
};

typedef struct {
    char *secret;       /* HMAC key, or WeChat Token */
    char *verify_token; /* Meta hub.verify_token, or NULL */
    char *aes_key;      /* WeChat EncodingAESKey, or NULL */
    char *app_id;       /* WeChat AppID, or NULL */
} hook_secret;

/* An account as the cache holds it; strings are owned by the cache. */
typedef struct {
    long long id; /* 0: empty slot */
    char platform[16];
    int nsecrets;
    hook_secret secrets[HOOK_MAX_SECRETS]; /* newest first */
    double valid_until;                    /* epoch seconds: reload after this */
} hook_account;

typedef struct delivery {
    arena *a;
    FCGX_Request *fr;
    const char *method, *query, *remote_addr;
    kvlist params; /* the query string */
    const hook_account *acct;
    const char *body; /* NUL-terminated, len bytes */
    size_t len;
    /* set by the scheme */
    const char *delivery_id;    /* the platform's id; NULL: a hash of the body is used */
    const char *payload;        /* the message when the body is an encrypted envelope */
    const char *replay_key;     /* a signature that covers no body: the signed values it may be used with once */
    const char *reason;         /* why it was refused: a sentence for the sender */
    const char *reply;          /* handshake answer */
    const char *reply_type;
} delivery;

typedef enum { BODY_JSON, BODY_XML } body_format;

typedef struct {
    const char *platform;          /* URL segment = social.platform code */
    int (*handshake)(delivery *d); /* GET: 200 with d->reply, or a status with d->reason; NULL: no GET */
    int (*verify)(delivery *d);    /* POST: 0 when signed by a current secret, else a status */
    body_format format;
    const char *accepted_reply;    /* body of the 200 (WeChat wants "success") */
} hook_scheme;

/* The scheme for a platform code, or NULL. */
const hook_scheme *hook_scheme_for(const char *platform);
/* A request header by its CGI name (HTTP_X_HUB_SIGNATURE_256), or NULL. */
const char *hook_header(const delivery *d, const char *cgi_name);

#endif
