/* libFuzzer target for fcgi/jsonfast.c: on any input, json_parse_fast gives
 * what jansson's json_loadb gives (an equal value or a refusal). The input is
 * passed unterminated, so ASan sees any read past its end; it ends at its first
 * NUL byte, as the PostgreSQL text the worker parses does (jansson stops there). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    if (nul)
        size = (size_t)(nul - data);
    json_t *fast = json_parse_fast((const char *)data, size);
    json_t *ref = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!fast != !ref || (fast && !json_equal(fast, ref)))
        abort();
    json_decref(fast);
    json_decref(ref);
    return 0;
}
