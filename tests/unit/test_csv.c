/* CSV export cells: quoting, numbers, and formula neutralisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "csv.h"

static void expect_row(const char *json, const char *want)
{
    json_t *row = json_loads(json, 0, NULL);
    assert_non_null(row);
    buf b = BUF_INIT;
    csv_row(&b, row);
    assert_string_equal(b.data, want);
    buf_free(&b);
    json_decref(row);
}

static void plain_cells(void **s)
{
    (void)s;
    expect_row("[\"2026-11-23\", 42, 0.5, true, null, \"卢门\"]", "2026-11-23,42,0.5,true,,卢门\r\n");
}

static void quoting(void **s)
{
    (void)s;
    expect_row("[\"a,b\", \"say \\\"hi\\\"\", \"two\\nlines\"]", "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
}

static void formulas_are_neutralised(void **s)
{
    (void)s;
    expect_row("[\"=HYPERLINK(\\\"http://x\\\")\", \"+1\", \"-2\", \"@SUM(A1)\"]",
               "\"'=HYPERLINK(\"\"http://x\"\")\",\"'+1\",\"'-2\",\"'@SUM(A1)\"\r\n");
    expect_row("[-3]", "-3\r\n"); /* a number is a number, not text a spreadsheet would evaluate */
}

static void decimals_are_shortest(void **s)
{
    (void)s;
    expect_row("[17.4, 0.12358112325690083, 1e-7, 0.30000000000000004]",
               "17.4,0.12358112325690083,1e-07,0.30000000000000004\r\n");
}

static void nested_values_are_empty(void **s)
{
    (void)s;
    expect_row("[{\"a\": 1}, [1, 2], \"x\"]", ",,x\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_cells),
        cmocka_unit_test(quoting),
        cmocka_unit_test(formulas_are_neutralised),
        cmocka_unit_test(decimals_are_shortest),
        cmocka_unit_test(nested_values_are_empty),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
