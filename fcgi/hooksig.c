#include "hooksig.h"
#include "util.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAC_LEN crypto_auth_hmacsha256_BYTES
#define SHA1_LEN 20

_Static_assert(HS_X_CRC_MAX ==
                   7 + sodium_base64_ENCODED_LEN(MAC_LEN, sodium_base64_VARIANT_ORIGINAL),
               "HS_X_CRC_MAX must hold sha256= and the base64 MAC");

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

/* A NULL or empty secret would make every forged delivery verify. */
static bool usable_secret(const char *s)
{
    return s && *s;
}

/* s[0..len) is exactly the hex of want bytes (either case). */
static bool hex_exact(unsigned char *out, size_t want, const char *s, size_t len)
{
    size_t got;
    const char *end;
    return sodium_hex2bin(out, want, s, len, NULL, &got, &end) == 0 && got == want &&
           end == s + len;
}

/* s[0..len) is exactly the padded base64 of want bytes. libsodium refuses
 * non-zero spare bits, so each value has one spelling. */
static bool b64_exact(unsigned char *out, size_t want, const char *s, size_t len)
{
    size_t got;
    const char *end;
    int rc = sodium_base642bin(out, want, s, len, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL);
    return rc == 0 && got == want && end == s + len;
}

static void hmac(unsigned char out[MAC_LEN], const unsigned char *key, size_t keylen,
                 const void *body, size_t n)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, body, n);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

/* Shared by the two "sha256=<encoding>" headers (Meta hex, X base64). */
static bool prefixed_mac_ok(const char *secret, const void *body, size_t n, const char *header,
                            size_t enc_len, bool base64)
{
    static const char prefix[] = "sha256=";
    unsigned char got[MAC_LEN], want[MAC_LEN];
    if (!usable_secret(secret) || (!body && n) || !header ||
        strncmp(header, prefix, sizeof prefix - 1))
        return false;
    const char *enc = header + sizeof prefix - 1;
    if (strnlen(enc, enc_len + 1) != enc_len)
        return false;
    if (!(base64 ? b64_exact(got, sizeof got, enc, enc_len)
                 : hex_exact(got, sizeof got, enc, enc_len)))
        return false;
    hmac(want, (const unsigned char *)secret, strlen(secret), body, n);
    return sodium_memcmp(got, want, MAC_LEN) == 0;
}

bool hs_hub_sha256_ok(const char *secret, const void *body, size_t n, const char *header)
{
    return prefixed_mac_ok(secret, body, n, header, 2 * MAC_LEN, false);
}

bool hs_x_signature_ok(const char *secret, const void *body, size_t n, const char *header)
{
    return prefixed_mac_ok(secret, body, n, header, HS_X_CRC_MAX - 8, true);
}

bool hs_x_crc_token(const char *secret, const char *crc_token, char out[HS_X_CRC_MAX])
{
    unsigned char mac[MAC_LEN];
    out[0] = '\0';
    if (!usable_secret(secret) || !crc_token)
        return false;
    hmac(mac, (const unsigned char *)secret, strlen(secret), crc_token, strlen(crc_token));
    memcpy(out, "sha256=", 7);
    sodium_bin2base64(out + 7, HS_X_CRC_MAX - 7, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    return true;
}

/* ---- Standard Webhooks -------------------------------------------------- */

static bool standard_id_ok(const char *id)
{
    size_t len = strnlen(id, HS_STANDARD_ID_MAX + 1);
    if (len == 0 || len > HS_STANDARD_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (id[i] <= ' ' || id[i] > '~' || id[i] == '.')
            return false;
    return true;
}

/* Digits only: no sign, no spaces, at most 15 (so no overflow). */
static bool standard_ts(const char *s, long long *out)
{
    size_t len = strnlen(s, 16);
    if (len == 0 || len > 15)
        return false;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool hs_timestamp_fresh(const char *timestamp, long long now)
{
    long long ts, skew;
    return timestamp && standard_ts(timestamp, &ts) && !__builtin_sub_overflow(now, ts, &skew) &&
           skew <= HS_STANDARD_TOLERANCE && skew >= -HS_STANDARD_TOLERANCE;
}

hs_result hs_standard_verify(const char *secret, const char *id, const char *timestamp,
                             const void *body, size_t n, const char *sig_header, long long now)
{
    unsigned char key[64], want[MAC_LEN], got[MAC_LEN];
    size_t keylen = 0;
    long long ts;
    hs_result rc = HS_MALFORMED;

    if (!secret || !id || !timestamp || !sig_header || (!body && n))
        return HS_MALFORMED;
    if (!strncmp(secret, "whsec_", 6))
        secret += 6;
    size_t slen = strnlen(secret, 89); /* 88 = base64 of 64 bytes */
    const char *send;
    if (slen == 0 || slen > 88 ||
        sodium_base642bin(key, sizeof key, secret, slen, NULL, &keylen, &send,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        send != secret + slen || keylen < 24)
        goto out;
    size_t hlen = strnlen(sig_header, HS_STANDARD_HEADER_MAX + 1);
    if (!standard_id_ok(id) || !standard_ts(timestamp, &ts) || hlen == 0 ||
        hlen > HS_STANDARD_HEADER_MAX)
        goto out;

    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)timestamp, strlen(timestamp));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, body, n);
    crypto_auth_hmacsha256_final(&st, want);
    sodium_memzero(&st, sizeof st);

    /* Every entry is looked at (a malformed one anywhere is refused, and the
     * time taken does not depend on which entry matched). */
    bool match = false, any = false;
    for (const char *p = sig_header; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t len = strcspn(p, " ");
        const char *comma = memchr(p, ',', len);
        if (!comma || comma == p)
            goto out;
        any = true;
        const char *sig = comma + 1;
        if (comma - p == 2 && !memcmp(p, "v1", 2) && b64_exact(got, sizeof got, sig, len - 3))
            match |= sodium_memcmp(got, want, MAC_LEN) == 0;
        p += len;
    }
    if (!any)
        goto out;
    if (!match)
        rc = HS_BAD_SIGNATURE;
    else if (!hs_timestamp_fresh(timestamp, now))
        rc = HS_STALE;
    else
        rc = HS_OK;
out:
    sodium_memzero(key, sizeof key);
    return rc;
}

/* ---- WeChat --------------------------------------------------------------- */

bool hs_wechat_signature_ok(const char *token, const char *timestamp, const char *nonce,
                            const char *encrypt, const char *signature_hex)
{
    const char *parts[4] = {token, timestamp, nonce, encrypt};
    size_t k = encrypt ? 4 : 3;
    unsigned char got[SHA1_LEN], want[SHA1_LEN];
    unsigned int want_len = 0;

    if (!usable_secret(token) || !timestamp || !nonce || (encrypt && !*encrypt) || !signature_hex ||
        strnlen(signature_hex, 2 * SHA1_LEN + 1) != 2 * SHA1_LEN ||
        !hex_exact(got, sizeof got, signature_hex, 2 * SHA1_LEN))
        return false;
    for (size_t i = 1; i < k; i++) /* insertion sort, strcmp order */
        for (size_t j = i; j > 0 && strcmp(parts[j - 1], parts[j]) > 0; j--) {
            const char *t = parts[j];
            parts[j] = parts[j - 1];
            parts[j - 1] = t;
        }

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        die("out of memory");
    bool ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1;
    for (size_t i = 0; ok && i < k; i++)
        ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, want, &want_len) == 1 && want_len == SHA1_LEN;
    EVP_MD_CTX_free(ctx);
    return ok && sodium_memcmp(got, want, SHA1_LEN) == 0;
}

/* key = base64decode(aes_key43 + "="). The last of the 43 characters carries
 * 4 key bits and 2 spare ones; WeChat's decoders ignore the spare bits and
 * the admin may type any key (the fixture's key has them set), so they are
 * cleared before libsodium's strict decoder sees them. */
static bool wechat_key(const char *k43, unsigned char key[32])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char buf[HS_WECHAT_KEY_LEN + 1];
    if (!k43 || strnlen(k43, HS_WECHAT_KEY_LEN + 1) != HS_WECHAT_KEY_LEN)
        return false;
    memcpy(buf, k43, HS_WECHAT_KEY_LEN);
    const char *c = strchr(alphabet, buf[HS_WECHAT_KEY_LEN - 1]); /* not NUL: length checked */
    bool ok = c != NULL;
    if (ok) {
        buf[HS_WECHAT_KEY_LEN - 1] = alphabet[(c - alphabet) & ~3];
        buf[HS_WECHAT_KEY_LEN] = '=';
        ok = b64_exact(key, 32, buf, sizeof buf);
    }
    sodium_memzero(buf, sizeof buf);
    return ok;
}

/* AES-256-CBC with iv = key[0..16) and no OpenSSL padding (WeChat pads to
 * 32-byte blocks itself). n is a multiple of 32 and bounded by the callers. */
static bool aes_cbc(int encrypt, const unsigned char key[32], const unsigned char *in, size_t n,
                    unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        die("out of memory");
    int len1 = 0, len2 = 0;
    bool ok = EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, key, encrypt) == 1 &&
              EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
              EVP_CipherUpdate(ctx, out, &len1, in, (int)n) == 1 &&
              EVP_CipherFinal_ex(ctx, out + len1, &len2) == 1 && (size_t)len1 + (size_t)len2 == n;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

int hs_wechat_decrypt(const char *aes_key43, const char *expected_appid, const char *encrypt_b64,
                      char **msg, size_t *msg_len)
{
    unsigned char key[32];
    unsigned char *ct = NULL, *pt = NULL;
    size_t n = 0;
    int rc;

    if (msg)
        *msg = NULL;
    if (msg_len)
        *msg_len = 0;
    if (!msg || !msg_len || !encrypt_b64 || !wechat_key(aes_key43, key)) {
        rc = HS_WX_ARG;
        goto out;
    }
    size_t blen = strnlen(encrypt_b64, HS_WECHAT_B64_MAX + 1);
    if (blen > HS_WECHAT_B64_MAX) {
        rc = HS_WX_BASE64;
        goto out;
    }
    size_t cap = blen / 4 * 3;
    const char *end;
    ct = xmalloc(cap);
    if (sodium_base642bin(ct, cap, encrypt_b64, blen, NULL, &n, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != encrypt_b64 + blen) {
        rc = HS_WX_BASE64;
        n = 0;
        goto out;
    }
    if (n == 0 || n % 32) {
        rc = HS_WX_LENGTH;
        goto out;
    }
    pt = xmalloc(n);
    if (!aes_cbc(0, key, ct, n, pt)) {
        rc = HS_WX_CRYPTO;
        goto out;
    }
    unsigned pad = pt[n - 1];
    bool pad_ok = pad >= 1 && pad <= 32;
    for (size_t i = n - (pad_ok ? pad : 0); i < n; i++)
        pad_ok &= pt[i] == pad;
    if (!pad_ok) {
        rc = HS_WX_PADDING;
        goto out;
    }
    size_t data = n - pad; /* random16 || len || msg || appid */
    if (data < 20) {
        rc = HS_WX_FORMAT;
        goto out;
    }
    size_t len = (size_t)pt[16] << 24 | (size_t)pt[17] << 16 | (size_t)pt[18] << 8 | pt[19];
    if (len > data - 20) {
        rc = HS_WX_FORMAT;
        goto out;
    }
    const unsigned char *appid = pt + 20 + len;
    size_t appid_len = data - 20 - len;
    if (expected_appid &&
        (strlen(expected_appid) != appid_len || memcmp(appid, expected_appid, appid_len))) {
        rc = HS_WX_APPID;
        goto out;
    }
    *msg = xmalloc(len + 1);
    memcpy(*msg, pt + 20, len);
    (*msg)[len] = '\0';
    *msg_len = len;
    rc = 0;
out:
    sodium_memzero(key, sizeof key);
    if (pt)
        sodium_memzero(pt, n);
    free(pt);
    free(ct);
    return rc;
}

int hs_wechat_encrypt(const char *aes_key43, const char *appid, const unsigned char random16[16],
                      const char *msg, size_t n, char **encrypt_b64)
{
    unsigned char key[32];
    int rc = HS_WX_ARG;

    if (encrypt_b64)
        *encrypt_b64 = NULL;
    size_t alen = appid ? strnlen(appid, HS_WECHAT_APPID_MAX + 1) : 0;
    if (!encrypt_b64 || !appid || alen > HS_WECHAT_APPID_MAX || (!msg && n) ||
        n > HS_WECHAT_MSG_MAX || !wechat_key(aes_key43, key))
        goto out;

    size_t data = 20 + n + alen, pad = 32 - data % 32, total = data + pad;
    unsigned char *pt = xmalloc(total), *ct = xmalloc(total);
    if (random16)
        memcpy(pt, random16, 16);
    else
        randombytes_buf(pt, 16);
    pt[16] = (unsigned char)(n >> 24);
    pt[17] = (unsigned char)(n >> 16);
    pt[18] = (unsigned char)(n >> 8);
    pt[19] = (unsigned char)n;
    if (n)
        memcpy(pt + 20, msg, n);
    memcpy(pt + 20 + n, appid, alen);
    memset(pt + data, (int)pad, pad);
    if (aes_cbc(1, key, pt, total, ct)) {
        size_t b64_len = sodium_base64_ENCODED_LEN(total, sodium_base64_VARIANT_ORIGINAL);
        *encrypt_b64 = xmalloc(b64_len);
        sodium_bin2base64(*encrypt_b64, b64_len, ct, total, sodium_base64_VARIANT_ORIGINAL);
        rc = 0;
    } else {
        rc = HS_WX_CRYPTO;
    }
    sodium_memzero(pt, total);
    free(pt);
    free(ct);
out:
    sodium_memzero(key, sizeof key);
    return rc;
}
