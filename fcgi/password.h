/* Passwords and tokens (libsodium). */
#ifndef PARLEY_PASSWORD_H
#define PARLEY_PASSWORD_H
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

enum { PW_MIN_CHARS = 8, PW_MAX_CHARS = 1024, TOKEN_HEX = 64 };

/* argon2id at OWASP's minimum: m = 19 MiB, t = 2, p = 1. */
#define PW_OPSLIMIT 2ULL
#define PW_MEMLIMIT (19u * 1024u * 1024u)

/* Reason a new password is unacceptable by its shape (a catalog key such as
 * "err.password_short"), or NULL. Commonness is checked in the database. */
const char *pw_shape_problem(const char *pw);
/* Hash into out (crypto_pwhash_STRBYTES). Returns 0, or -1 when out of memory. */
int pw_hash(const char *pw, char out[crypto_pwhash_STRBYTES]);
bool pw_verify(const char *hash, const char *pw);
/* "\\x<hex>" SHA-256 of the ASCII-lower-cased password, as a bytea literal
 * parameter for auth.password_is_common(). out must hold 67 bytes. */
void pw_common_digest(const char *pw, char out[67]);
/* 256 random bits as 64 lower-case hex characters. */
void token_new(char out[TOKEN_HEX + 1]);
bool token_well_formed(const char *t);
/* The session cookie a sign-out leaves behind (no token is all zeros): a
 * form sent later from another tab is then "signed out", not "expired". */
#define TOKEN_SIGNED_OUT "0000000000000000000000000000000000000000000000000000000000000000"

#endif
