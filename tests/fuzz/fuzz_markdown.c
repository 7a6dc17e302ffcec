/* libFuzzer target for fcgi/markdown.c. The raw input is rendered
 * unterminated (libFuzzer's buffer is exactly `size` bytes, so ASan sees any
 * overread). Besides the sanitizers, the output must be NUL-terminated,
 * valid UTF-8, and never contain "<script" or "javascript:" in any case. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "markdown.h"
#include "util.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

static bool has_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static arena *a;
    if (!a)
        a = arena_new();
    arena_reset(a);

    const char *html = md_to_html(a, (const char *)data, size);
    if (size > MD_MAX_INPUT) {
        check(html == NULL);
        return 0;
    }
    check(html != NULL);
    check(utf8_valid(html, strlen(html)));
    check(!has_ci(html, "<script"));
    check(!has_ci(html, "javascript:"));
    return 0;
}
