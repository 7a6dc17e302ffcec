/* libFuzzer target for fcgi/httpin.c. The raw input goes to hin_parse_form
 * unterminated (libFuzzer's buffer is exactly `size` bytes, so ASan sees any
 * overread); a NUL-terminated copy feeds the header parsers. Besides the
 * sanitizers, the documented output invariants are checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "httpin.h"
#include "util.h"

enum { MAX_PARAMS = 8, MAX_FIELD = 16 };

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void check_form(const kvlist *l, hin_status st)
{
    if (st != HIN_OK) {
        check(l->items == NULL && l->n == 0);
        return;
    }
    check(l->n <= MAX_PARAMS);
    for (size_t i = 0; i < l->n; i++) {
        const kv *p = &l->items[i];
        size_t name_n = strlen(p->name);
        check(name_n <= MAX_FIELD && utf8_valid(p->name, name_n));
        check(strlen(p->value) == p->value_len && p->value_len <= MAX_FIELD);
        check(utf8_valid(p->value, p->value_len));
        check(hin_get(l, p->name) != NULL);
    }
}

static void check_cookie(const char *v)
{
    for (; v && *v; v++)
        check(*v > 0x20 && *v < 0x7F && *v != '"' && *v != ',' && *v != ';' && *v != '\\');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static arena *a;
    if (!a)
        a = arena_new();
    arena_reset(a);

    kvlist l;
    hin_status st = hin_parse_form(a, (const char *)data, size, MAX_PARAMS, MAX_FIELD, &l);
    check_form(&l, st);

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    static const char *const names[] = {"sid", "a", "csrf", "x y"};
    check_cookie(hin_cookie(a, s, names[size % 4]));

    static const char *const langs[] = {"en", "zh-CN", "zh-TW", "fr-CA", NULL};
    const char *lang = hin_pick_language(s, langs);
    if (lang) {
        bool found = false;
        for (size_t i = 0; langs[i]; i++)
            found |= lang == langs[i];
        check(found);
    }

    (void)hin_wants_json(s);
    (void)hin_is_form(s);
    free(s);
    return 0;
}
