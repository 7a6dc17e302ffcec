/* The array literals group commit sends PostgreSQL: every string quoted, "
 * and \ escaped, NULL for a missing payload. (The database's reading of
 * them is checked end to end: bodies are compared byte for byte.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hook_commit.h"

static void literal(void **s)
{
    (void)s;
    const char *items[] = {"plain", "say \"hi\"", "back\\slash", NULL, "", "{a,b} NULL 卢门"};
    buf b = BUF_INIT;
    hook_array_literal(&b, items, 6);
    assert_string_equal(b.data, "{\"plain\",\"say \\\"hi\\\"\",\"back\\\\slash\",NULL,\"\",\"{a,b} NULL 卢门\"}");
    buf_free(&b);
}

static void one_item(void **s)
{
    (void)s;
    const char *items[] = {"\"\\\""};
    buf b = BUF_INIT;
    hook_array_literal(&b, items, 1);
    assert_string_equal(b.data, "{\"\\\"\\\\\\\"\"}");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal),
        cmocka_unit_test(one_item),
    };
    return cmocka_run_group_tests_name("hook_commit", tests, NULL, NULL);
}
