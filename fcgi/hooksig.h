/* Webhook signatures: the schemes the platforms sign their deliveries with,
 * and WeChat's message encryption. Pure functions: no I/O, no state; the
 * caller has run sodium_init() (main does).
 *
 * Ownership: every string and body argument is borrowed for the call only.
 * Secrets are NUL-terminated; bodies are (pointer, length) and may hold any
 * bytes. A NULL or empty secret never verifies (an unconfigured account must
 * not accept deliveries). Every signature check decodes the presented value
 * to bytes, computes the expected MAC and compares the two with
 * sodium_memcmp (constant time); a presented value that does not decode to
 * exactly the MAC's length is refused before any comparison. */
#ifndef PARLEY_HOOKSIG_H
#define PARLEY_HOOKSIG_H
#include <stdbool.h>
#include <stddef.h>

/* ---- Meta (Facebook, Instagram) X-Hub-Signature-256, Mastodon X-Hub-Signature */

/* header is "sha256=" followed by exactly 64 hex digits (either case) of
 * HMAC-SHA256(secret, body). Nothing else is tolerated: no surrounding
 * whitespace (the web server strips it), no other prefix. False for a NULL,
 * empty or malformed header, or body == NULL with n > 0. */
bool hs_hub_sha256_ok(const char *secret, const void *body, size_t n, const char *header);

/* ---- X (Twitter) Account Activity API ---------------------------------- */

/* "sha256=" + 44 base64 characters + NUL */
#define HS_X_CRC_MAX 52

/* x-twitter-webhooks-signature: "sha256=" followed by the padded base64 of
 * HMAC-SHA256(consumer secret, body), exactly 44 characters. */
bool hs_x_signature_ok(const char *secret, const void *body, size_t n, const char *header);

/* The CRC answer (the JSON "response_token" value) for a crc_token:
 * "sha256=" + base64(HMAC-SHA256(secret, crc_token)), written to the
 * caller's out. False (and out = "") for a NULL/empty secret or NULL token. */
bool hs_x_crc_token(const char *secret, const char *crc_token, char out[HS_X_CRC_MAX]);

/* ---- Standard Webhooks (standardwebhooks.com, symmetric "v1") ---------- */

#define HS_STANDARD_TOLERANCE 300   /* seconds either side of now */
#define HS_STANDARD_ID_MAX 200      /* webhook-id characters */
#define HS_STANDARD_HEADER_MAX 4096 /* webhook-signature characters */

typedef enum {
    HS_OK = 0,
    HS_BAD_SIGNATURE, /* well-formed, but no v1 signature matches */
    HS_STALE,         /* signature matches, timestamp outside now +- tolerance */
    HS_MALFORMED,     /* missing/invalid secret, id, timestamp or header */
} hs_result;

/* Verify a delivery. secret: "whsec_" + base64 key, or the bare base64 key
 * (padded base64, 24..64 bytes decoded, as the spec asks). id: the
 * webhook-id header, 1..HS_STANDARD_ID_MAX visible ASCII characters without
 * '.' (the spec forbids it: it delimits the signed content). timestamp: the
 * webhook-timestamp header, decimal unix seconds (digits only, at most 15).
 * sig_header: webhook-signature (at most HS_STANDARD_HEADER_MAX characters),
 * a space-delimited list of "<version>,<base64>" entries (an entry without
 * a version and a comma makes the header malformed); only v1 entries are
 * tried, any match verifies; a v1 entry that is not 32 bytes of base64 just
 * does not match.
 * Signed content: "<id>.<timestamp>.<body>". The signature is checked before
 * the clock, so HS_STALE means "authentic but replayed or delayed". */
hs_result hs_standard_verify(const char *secret, const char *id, const char *timestamp,
                             const void *body, size_t n, const char *sig_header, long long now);

/* A signed timestamp (decimal unix seconds, at most 15 digits) within
 * HS_STANDARD_TOLERANCE of now: the replay window of Standard Webhooks and
 * of WeChat's signed query. */
bool hs_timestamp_fresh(const char *timestamp, long long now);

/* ---- WeChat Official Accounts / WeCom ---------------------------------- */

/* The URL check and plain-mode message signature (query "signature") is
 * hex SHA-1 of [token, timestamp, nonce] sorted by strcmp and joined with no
 * separator; in encrypted mode the "msg_signature" adds the <Encrypt> field
 * as a fourth element (pass encrypt = NULL in plain mode). signature_hex is
 * 40 hex digits, either case. False for a NULL/empty token, an empty
 * encrypt, any other NULL argument or a malformed signature. The timestamp
 * is not checked against the clock here: that is the caller's policy. */
bool hs_wechat_signature_ok(const char *token, const char *timestamp, const char *nonce,
                            const char *encrypt, const char *signature_hex);

#define HS_WECHAT_KEY_LEN 43            /* EncodingAESKey characters */
#define HS_WECHAT_APPID_MAX 128         /* appid / corpid / receive id bytes */
#define HS_WECHAT_MSG_MAX (1u << 20)    /* plaintext message bytes */
#define HS_WECHAT_B64_MAX (1500u << 10) /* <Encrypt> characters (> base64 of the above) */

/* Failures of hs_wechat_decrypt / hs_wechat_encrypt (all negative). */
enum {
    HS_WX_ARG = -1,     /* NULL argument, bad key, appid or message too long */
    HS_WX_BASE64 = -2,  /* Encrypt is not padded base64, or too long */
    HS_WX_LENGTH = -3,  /* ciphertext not a positive multiple of 32 bytes */
    HS_WX_PADDING = -4, /* PKCS#7 (block 32) padding invalid */
    HS_WX_FORMAT = -5,  /* length field larger than the data */
    HS_WX_APPID = -6,   /* trailing appid differs from expected_appid */
    HS_WX_CRYPTO = -7,  /* OpenSSL refused */
};

/* Decrypt an <Encrypt> value (or echostr). key = base64(aes_key43 + "="),
 * 32 bytes (the 2 bits past the key in the last character are ignored, as
 * WeChat's own decoders do: the admin may type any 43 characters); iv =
 * key[0..16); AES-256-CBC; PKCS#7 padding to 32-byte blocks (pad byte 1..32,
 * all pad bytes checked). Plaintext = 16 random bytes || uint32 big-endian
 * length || msg || appid. If expected_appid is not NULL the trailing appid
 * must equal it. On success returns 0 and *msg is a malloc'ed copy of msg
 * with a NUL appended (msg itself may contain NUL bytes; *msg_len is its
 * length); the caller frees it. On failure returns a negative HS_WX_* and
 * *msg = NULL, *msg_len = 0.
 * Call it only after hs_wechat_signature_ok accepted the msg_signature over
 * this same Encrypt value: the distinct failures would otherwise be a
 * padding oracle for whoever can post to the URL. */
int hs_wechat_decrypt(const char *aes_key43, const char *expected_appid, const char *encrypt_b64,
                      char **msg, size_t *msg_len);

/* The inverse, for tests and e2e tooling: encrypt msg (n bytes, at most
 * HS_WECHAT_MSG_MAX) for appid (at most HS_WECHAT_APPID_MAX bytes) with the
 * given 16 random prefix bytes (NULL: fresh random ones). On success returns
 * 0 and *encrypt_b64 is a malloc'ed NUL-terminated base64 string the caller
 * frees; on failure a negative HS_WX_* and *encrypt_b64 = NULL. */
int hs_wechat_encrypt(const char *aes_key43, const char *appid, const unsigned char random16[16],
                      const char *msg, size_t n, char **encrypt_b64);

#endif
