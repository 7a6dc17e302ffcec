/* libFuzzer target for fcgi/wxml.c and fcgi/hooksig.c. The raw input goes to
 * the XML scanner unterminated (libFuzzer's buffer is exactly `size` bytes,
 * so ASan sees any overread) and as a body to the MAC checks; NUL-split
 * pieces of a terminated copy feed the header, id, timestamp and Encrypt
 * arguments. Besides the sanitizers, the documented invariants are checked. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hooksig.h"
#include "util.h"
#include "wxml.h"

/* Base64 of bytes 0..31 without the '=': any fixed key will do. */
static const char key43[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void check_xml(const uint8_t *data, size_t size)
{
    static const char *const tags[] = {"MsgType", "Encrypt", "a", "xml", ""};
    const char *xml = (const char *)data;
    char *out;
    wx_status st = wx_field(xml, size, tags[size % 5], &out);
    check(st >= WX_DECLARATION && st <= WX_ABSENT);
    check((st == WX_OK) == (out != NULL));
    check(wx_well_formed(xml, size) == (st >= 0));
    if (out) {
        size_t n = strlen(out);
        check(n <= size && utf8_valid(out, n));
        free(out);
    }
    check(wx_field(xml, size, "MsgType", NULL) == wx_field(xml, size, "MsgType", &out));
    free(out);
}

/* The i-th NUL-separated piece of s[0..n], or "" */
static const char *piece(const char *s, size_t n, int i)
{
    const char *p = s, *end = s + n;
    for (; i > 0 && p < end; i--)
        p += strlen(p) + 1;
    return p < end ? p : "";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        if (sodium_init() < 0)
            abort();
        ready = true;
    }
    check_xml(data, size);

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    /* The body is the whole input, each header a piece of it. */
    (void)hs_hub_sha256_ok("secret", data, size, piece(s, size, 0));
    (void)hs_x_signature_ok("secret", data, size, piece(s, size, 1));
    hs_result r = hs_standard_verify(piece(s, size, 0), piece(s, size, 1), piece(s, size, 2), data,
                                     size, piece(s, size, 3), 1614265330);
    check(r >= HS_OK && r <= HS_MALFORMED);
    r = hs_standard_verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", piece(s, size, 0),
                           piece(s, size, 1), data, size, piece(s, size, 2), 1614265330);
    check(r == HS_BAD_SIGNATURE || r == HS_MALFORMED); /* forging HMAC is not expected */
    (void)hs_wechat_signature_ok(piece(s, size, 0), piece(s, size, 1), piece(s, size, 2),
                                 size % 2 ? piece(s, size, 3) : NULL, piece(s, size, 4));

    char *msg;
    size_t len;
    int rc = hs_wechat_decrypt(key43, size % 3 ? "wxapp" : NULL, s, &msg, &len);
    check((rc == 0) == (msg != NULL));
    if (msg) {
        check(msg[len] == '\0');
        free(msg);
    }
    /* Round trip: whatever the input, encrypting it must decrypt back. */
    char *enc;
    const unsigned char rnd[16] = {0};
    if (hs_wechat_encrypt(key43, "wxapp", rnd, s, size, &enc) == 0) {
        check(hs_wechat_decrypt(key43, "wxapp", enc, &msg, &len) == 0 && len == size &&
              !memcmp(msg, data, size));
        free(msg);
        free(enc);
    }
    free(s);
    return 0;
}
