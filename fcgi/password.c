#include "password.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *pw_shape_problem(const char *pw)
{
    size_t n = strlen(pw);
    if (!utf8_valid(pw, n))
        return "err.password_utf8";
    size_t chars = utf8_length(pw, n);
    if (chars < PW_MIN_CHARS)
        return "err.password_short";
    if (chars > PW_MAX_CHARS)
        return "err.password_long";
    return NULL;
}

int pw_hash(const char *pw, char out[crypto_pwhash_STRBYTES])
{
    return crypto_pwhash_str_alg(out, pw, strlen(pw), PW_OPSLIMIT, PW_MEMLIMIT,
                                 crypto_pwhash_ALG_ARGON2ID13);
}

bool pw_verify(const char *hash, const char *pw)
{
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void pw_common_digest(const char *pw, char out[67])
{
    size_t n = strlen(pw);
    unsigned char *lower = malloc(n + 1);
    if (!lower)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        lower[i] = (unsigned char)tolower((unsigned char)pw[i]);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, lower, n);
    sodium_memzero(lower, n);
    free(lower);
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, 65, digest, sizeof digest);
}

void token_new(char out[TOKEN_HEX + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, TOKEN_HEX + 1, raw, sizeof raw);
}

bool token_well_formed(const char *t)
{
    if (!t || strlen(t) != TOKEN_HEX)
        return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}
