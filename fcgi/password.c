#include "password.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The next code point of valid UTF-8 at *s, advancing *s. */
static unsigned next_code_point(const unsigned char **s)
{
    const unsigned char *p = *s;
    int extra = *p < 0x80 ? 0 : *p < 0xe0 ? 1 : *p < 0xf0 ? 2 : 3;
    unsigned c = extra ? *p & (0x3f >> extra) : *p;
    for (int i = 1; i <= extra; i++)
        c = (c << 6) | (p[i] & 0x3f);
    *s = p + 1 + extra;
    return c;
}

/* The plainest of the repetitive or sequential passwords NIST SP 800-63B
 * asks to refuse: fewer than four different characters ("        ",
 * "abababab"), or one step all along ("abcdefgh", "87654321"). The first 64
 * characters decide; the common-password list catches more. */
static bool repetitive(const char *pw)
{
    unsigned seen[4], nseen = 0, prev = 0;
    long step = 0;
    bool steady = true;
    const unsigned char *s = (const unsigned char *)pw;
    for (int i = 0; *s && i < 64; i++) {
        unsigned c = next_code_point(&s);
        unsigned k = 0;
        while (k < nseen && seen[k] != c)
            k++;
        if (k == nseen && nseen < 4)
            seen[nseen++] = c;
        if (i == 1)
            step = (long)c - (long)prev;
        else if (i > 1 && (long)c - (long)prev != step)
            steady = false;
        prev = c;
    }
    return nseen < 4 || (steady && (step == 1 || step == -1));
}

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
    if (repetitive(pw))
        return "err.password_repetitive";
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
