/* libFuzzer target: compile the input as a Mustache template and, if it
 * compiles, render it against a small fixed context. Every partial and
 * parent name resolves to the template itself, to exercise the recursion
 * and work limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "buf.h"
#include "mustache.h"
#include "util.h"

static const mst_template *self_loader(void *ud, const char *name)
{
    (void)name;
    return ud;
}

static json_t *context(void)
{
    static json_t *ctx;
    if (!ctx)
        ctx = json_loads("{\"name\": \"<b>&'\\\"\", \"n\": 3, \"r\": 1.5, \"t\": true,"
                         " \"f\": false, \"z\": null, \"s\": \"\", \"zero\": 0,"
                         " \"list\": [1, \"two\", {\"name\": \"x\"}, [], [3]],"
                         " \"a\": {\"b\": {\"c\": \"deep\"}}, \"e\": []}",
                         0, NULL);
    if (!ctx)
        die("fuzz_mustache: bad context");
    return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL;
    mst_template *t = mst_compile((const char *)data, size, &err);
    if (!t) {
        if (!err) /* a failed compile must explain itself */
            abort();
        free(err);
        return 0;
    }
    buf out = BUF_INIT;
    int rc = mst_render(t, context(), self_loader, t, &out);
    if (rc != 0 && out.len != 0) /* failure must leave out as it was */
        abort();
    buf_free(&out);
    mst_free(t);
    return 0;
}
