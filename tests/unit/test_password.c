/* A new password's shape: length in characters, UTF-8, and the repetitive
 * or sequential ones NIST SP 800-63B asks to refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "password.h"

static void expect(const char *pw, const char *problem)
{
    const char *got = pw_shape_problem(pw);
    if (!problem)
        assert_null(got);
    else
        assert_string_equal(got ? got : "(accepted)", problem);
}

static void length_in_characters(void **s)
{
    (void)s;
    expect("short", "err.password_short");
    expect("咖啡馆里的猫", "err.password_short"); /* 6 characters, 18 bytes */
    expect("咖啡馆里的猫咪们", NULL);
    expect("Harbor-lights-7", NULL);
    expect("\xff\xfe-not-utf8", "err.password_utf8");
}

static void repetitive_refused(void **s)
{
    (void)s;
    expect("        ", "err.password_repetitive");
    expect("aaaaaaaaaaaa", "err.password_repetitive");
    expect("abababababab", "err.password_repetitive");
    expect("abcabcabc", "err.password_repetitive");
    expect("猫猫猫猫猫猫猫猫", "err.password_repetitive");
}

static void sequential_refused(void **s)
{
    (void)s;
    expect("abcdefgh", "err.password_repetitive");
    expect("87654321", "err.password_repetitive");
    expect("abcdefghijklmnop", "err.password_repetitive");
    /* a step other than one, or a broken run, is not refused here */
    expect("acegikmo", NULL);
    expect("abcdefgz", NULL);
    expect("aab-aab-c", NULL); /* four different characters are enough for this rule */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(length_in_characters),
        cmocka_unit_test(repetitive_refused),
        cmocka_unit_test(sequential_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
