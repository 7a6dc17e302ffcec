/* Mustache: the official spec suite plus robustness cases.
 *
 * Usage: test_mustache [SPEC_DIR]
 * SPEC_DIR defaults to $MUSTACHE_SPEC_DIR, else ../shared/spec/mustache.
 * Every *.json file there is one cmocka group, every case in it one test.
 * Exits non-zero if any test fails or the spec directory has no files. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mustache.h"

/* --------------------------------------------------------- partial maps */

typedef struct {
    size_t n;
    const char *names[32];
    mst_template *tpl[32];
} table;

static const mst_template *table_load(void *ud, const char *name)
{
    const table *tb = ud;
    for (size_t i = 0; i < tb->n; i++)
        if (!strcmp(tb->names[i], name))
            return tb->tpl[i];
    return NULL;
}

static void table_free(table *tb)
{
    for (size_t i = 0; i < tb->n; i++)
        mst_free(tb->tpl[i]);
    tb->n = 0;
}

/* Adds name -> compiled src; the template must compile. */
static void table_add(table *tb, const char *name, const char *src)
{
    char *err = NULL;
    mst_template *t = mst_compile(src, strlen(src), &err);
    if (!t)
        print_error("partial %s: %s\n", name, err);
    free(err);
    assert_non_null(t);
    assert_true(tb->n < 32);
    tb->names[tb->n] = name;
    tb->tpl[tb->n++] = t;
}

/* Renders src against JSON text `data` with partials tb; returns malloc'd output. */
static char *render(const char *src, const char *data, table *tb, int *rc)
{
    char *err = NULL;
    mst_template *t = mst_compile(src, strlen(src), &err);
    if (!t)
        print_error("compile %s: %s\n", src, err);
    free(err);
    assert_non_null(t);
    json_t *ctx = data ? json_loads(data, JSON_DECODE_ANY, NULL) : NULL;
    buf out = BUF_INIT;
    buf_puts(&out, "");
    *rc = mst_render(t, ctx, tb ? table_load : NULL, tb, &out);
    json_decref(ctx);
    mst_free(t);
    return out.data;
}

static void expect(const char *src, const char *data, table *tb, const char *want)
{
    int rc;
    char *got = render(src, data, tb, &rc);
    int ok = rc == 0 && !strcmp(got, want);
    if (!ok)
        print_error("template %s\n  want \"%s\"\n  got  \"%s\" (rc %d)\n", src, want, got, rc);
    free(got);
    assert_true(ok);
}

/* Compiling src must fail with a message containing `line` and `word`. */
static void expect_error(const char *src, size_t len, const char *line, const char *word)
{
    char *err = NULL;
    mst_template *t = mst_compile(src, len, &err);
    int ok = !t && err && strstr(err, line) && strstr(err, word);
    if (!ok)
        print_error("template %.60s: error \"%s\", want \"%s\" and \"%s\"\n", src,
                    err ? err : "(none)", line, word);
    mst_free(t);
    free(err);
    assert_true(ok);
    /* a NULL err pointer is allowed too */
    assert_null(mst_compile(src, len, NULL));
}

/* ------------------------------------------------------- robustness tests */

static void test_unclosed_tag(void **state)
{
    (void)state;
    expect_error("Hello\n\nworld {{name\n", 20, "line 3", "unclosed");
    expect_error("{{{name}}", 9, "line 1", "unclosed");
    expect_error("a\n{{=<% %>=}}\n<%name}}", 22, "line 3", "unclosed");
    expect_error("{{! never closed", 16, "line 1", "unclosed");
    expect_error("{{", 2, "line 1", "unclosed");
}

static void test_unbalanced(void **state)
{
    (void)state;
    expect_error("{{#a}}\n{{/b}}", 13, "line 2", "does not match");
    expect_error("a\n{{/a}}", 8, "line 2", "without open");
    expect_error("x\n{{#a}}\n\nx", 11, "line 2", "not closed");
    expect_error("{{<p}}{{$b}}{{/p}}", 18, "line 1", "does not match");
}

static void test_bad_tags(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{{}}", "{{ }}", "{{#}}{{/}}", "{{{}}}", "{{&}}", "{{>}}", "{{<}}{{/}}",
        "{{$}}{{/}}", "{{a b}}", "{{a..b}}", "{{.a}}", "{{a.}}", "{{=x=}}", "{{= a b c =}}",
        "{{==}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_error(bad[i], strlen(bad[i]), "line 1", " ");
    /* NUL bytes inside a name are rejected, in text they are kept */
    expect_error("{{a\0b}}", 7, "line 1", "invalid");
    int rc;
    char *got = render("", NULL, NULL, &rc);
    assert_string_equal(got, "");
    free(got);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t n = 100000;
    buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_puts(&b, "{{#a}}");
    expect_error(b.data, b.len, "line 1", "nested");
    buf_clear(&b);
    /* 200 levels are fine */
    for (size_t i = 0; i < 200; i++)
        buf_puts(&b, "{{#a}}");
    buf_puts(&b, "{{x}}");
    for (size_t i = 0; i < 200; i++)
        buf_puts(&b, "{{/a}}");
    expect(b.data, "{\"a\": true, \"x\": \"deep\"}", NULL, "deep");
    buf_free(&b);
}

static void test_huge_input(void **state)
{
    (void)state;
    size_t n = (size_t)2 << 20;
    char *s = malloc(n);
    assert_non_null(s);
    memset(s, 'x', n);
    expect_error(s, n, "line", "larger");
    free(s);
}

static void test_self_recursion(void **state)
{
    (void)state;
    static const char *srcs[] = {
        "x{{>self}}",            /* inline self-include */
        "  {{>self}}\n",         /* standalone: indentation grows */
        "{{<self}}{{/self}}",    /* parent including itself */
        "{{>self}}{{>self}}{{>self}}", /* exponential fan-out */
        "{{#a}}{{>self}}{{/a}}", /* recursion through sections */
    };
    for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++) {
        table tb = {0};
        table_add(&tb, "self", srcs[i]);
        json_t *ctx = json_pack("{s:[i,i]}", "a", 1, 2);
        buf out = BUF_INIT;
        buf_puts(&out, "keep");
        int rc = mst_render(tb.tpl[0], ctx, table_load, &tb, &out);
        assert_int_equal(rc, -1);
        assert_string_equal(out.data, "keep"); /* restored on failure */
        buf_free(&out);
        json_decref(ctx);
        table_free(&tb);
    }
    /* an argument block that contains itself */
    table tb = {0};
    table_add(&tb, "p", "{{$a}}{{/a}}");
    int rc;
    char *got = render("{{<p}}{{$a}}{{$a}}x{{/a}}{{/a}}{{/p}}", NULL, &tb, &rc);
    assert_int_equal(rc, -1);
    free(got);
    table_free(&tb);
}

static void test_values(void **state)
{
    (void)state;
    const char *data = "{\"i\": 85, \"neg\": -3, \"r\": 1.21, \"f\": 0.1, \"whole\": 3.0,"
                       "\"q\": \"'<&>\\\"\", \"e\": \"\", \"z\": 0, \"t\": true, \"no\": false,"
                       "\"o\": {\"k\": 1}, \"l\": [1, 2], \"n\": null}";
    expect("{{i}} {{neg}} {{r}} {{f}} {{whole}}", data, NULL, "85 -3 1.21 0.1 3");
    /* one decimal is written by hand, anything else by the shortest %g */
    expect("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}} {{h}}",
           "{\"a\": 40.5, \"b\": -0.5, \"c\": 120.0, \"d\": -7.25, \"e\": 0.30000000000000004,"
           " \"f\": 1e20, \"g\": 123456789012345.6, \"h\": 0.0}",
           NULL, "40.5 -0.5 120 -7.25 0.30000000000000004 1e+20 123456789012345.6 0");
    expect("{{q}}|{{{q}}}|{{& q}}", data, NULL, "&#39;&lt;&amp;&gt;&quot;|'<&>\"|'<&>\"");
    expect("{{t}} {{no}} [{{o}}{{l}}{{n}}{{missing}}]", data, NULL, "true false []");
    /* Text from a platform never reorders or garbles the page around it:
     * overrides, embeddings, isolates and control characters are left out
     * (tab and line breaks stay; other characters of the same lead byte too). */
    expect("<b>{{x}}</b> @{{y}}", "{\"x\": \"\\u202eevil\\u0007\\u202c\", \"y\": \"a\\u2066b\\u2069\\tc\\n\\u2014\\u2019\\u2069\\u0085\\u00e9\"}", NULL,
           "<b>evil</b> @ab\tc\n\xe2\x80\x94\xe2\x80\x99\xc3\xa9");
    expect("{{#e}}x{{/e}}{{^e}}empty{{/e}}", data, NULL, "empty");
    expect("{{#z}}x{{/z}}{{^z}}zero{{/z}}", data, NULL, "zero");
    expect("{{#o}}{{k}}{{/o}}{{#l}}{{.}}{{/l}}", data, NULL, "112");
    expect("{{.}}", "\"top\"", NULL, "top");
    expect("[{{x}}{{#x}}y{{/x}}{{^x}}none{{/x}}]", NULL, NULL, "[none]"); /* NULL context */
}

static void test_partials(void **state)
{
    (void)state;
    table tb = {0};
    table_add(&tb, "p", "x\n  {{>q}}\ny\n");
    table_add(&tb, "q", "1\n{{v}}\n");
    table_add(&tb, "inline", "a\nb");
    /* indentation accumulates over standalone levels, not into data */
    expect("a\n  {{>p}}\nb\n", "{\"v\": \"2\\n3\"}", &tb, "a\n  x\n    1\n    2\n3\n  y\nb\n");
    /* an inline partial inside an indented one is not indented */
    table_add(&tb, "outer", "<{{>inline}}>\n");
    expect("  {{>outer}}\n", NULL, &tb, "  <a\nb>\n");
    expect("[{{>unknown}}]", NULL, &tb, "[]");
    expect("[{{>p}}]", "{}", NULL, "[]"); /* no loader */
    table_free(&tb);
}

static void test_inheritance(void **state)
{
    (void)state;
    table tb = {0};
    table_add(&tb, "list", "<ul>\n  {{$items}}\n  <li>none</li>\n  {{/items}}\n</ul>\n");
    table_add(&tb, "layout", "<main>\n  {{$body}}\n  {{/body}}\n</main>\n");
    /* block defaults follow the partial's indentation */
    expect("<div>\n    {{>list}}\n</div>\n", NULL, &tb,
           "<div>\n    <ul>\n      <li>none</li>\n    </ul>\n</div>\n");
    /* overrides are re-indented to the block's place in the parent */
    expect("{{<layout}}\n{{$body}}\n<p>{{msg}}</p>\n{{/body}}\n{{/layout}}\n", "{\"msg\": \"hi\"}",
           &tb, "<main>\n  <p>hi</p>\n</main>\n");
    expect("{{<list}}\n  {{$items}}\n    {{#l}}\n    <li>{{.}}</li>\n    {{/l}}\n  {{/items}}\n{{/list}}\n",
           "{\"l\": [1, 2]}", &tb, "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n");
    expect("[{{<unknown}}{{$items}}x{{/items}}{{/unknown}}]", NULL, &tb, "[]");
    table_free(&tb);
}

static void test_render_many(void **state)
{
    (void)state;
    mst_template *t = mst_compile("Hi {{name}}!", 12, NULL);
    assert_non_null(t);
    buf out = BUF_INIT;
    for (int i = 0; i < 3; i++) {
        json_t *ctx = json_pack("{s:i}", "name", i);
        assert_int_equal(mst_render(t, ctx, NULL, NULL, &out), 0);
        json_decref(ctx);
    }
    assert_string_equal(out.data, "Hi 0!Hi 1!Hi 2!");
    buf_free(&out);
    mst_free(t);
    mst_free(NULL);
}

/* The dashboard's KPI tile partial (templates/kpi_tile.mustache): a 0 is a
 * figure, not a missing one (a section treats 0 as false). */
static void test_kpi_tile(void **state)
{
    (void)state;
    const char *dir = getenv("PARLEY_TEMPLATES");
    buf path = BUF_INIT;
    buf_printf(&path, "%s/kpi_tile.mustache", dir ? dir : "templates");
    FILE *f = fopen(path.data, "r");
    if (!f)
        print_error("cannot read %s\n", path.data);
    assert_non_null(f);
    char src[4096];
    size_t n = fread(src, 1, sizeof src - 1, f);
    fclose(f);
    buf_free(&path);
    src[n] = 0;
    struct {
        const char *data, *want, *not;
    } cases[] = {
        {"{\"value\": 0, \"previous\": 0, \"known\": true, \"known_previous\": true, \"compared\": false}",
         "<span class=\"figure\">0</span>", "–"},
        {"{\"value\": 5, \"previous\": 4, \"change\": 25.0, \"up\": true, \"known\": true, \"known_previous\": true,"
         " \"compared\": true}", "▲ 25 %", "–"},
        {"{\"value\": null, \"previous\": null, \"known\": false, \"known_previous\": false, \"compared\": false}",
         "<span class=\"figure\">–</span>", "<span class=\"figure\">0"},
        /* the cases behind the response tile: a link only for those who may open them */
        {"{\"value\": 3, \"previous\": 2, \"known\": true, \"known_previous\": true, \"cases_link\": \"/cases?state=active\","
         " \"viewer\": {\"user\": {\"can\": {\"cases\": true}}}}", "<a href=\"/cases?state=active\"><span class=\"figure\">3", "–"},
        {"{\"value\": 3, \"previous\": 2, \"known\": true, \"known_previous\": true, \"cases_link\": \"/cases?state=active\","
         " \"viewer\": {\"user\": {\"can\": {\"cases\": false}}}}", "<span class=\"figure\">3", "<a "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        char *got = render(src, cases[i].data, NULL, &rc);
        bool ok = rc == 0 && strstr(got, cases[i].want) && !strstr(got, cases[i].not);
        if (!ok)
            print_error("kpi tile %s\n  want \"%s\" without \"%s\"\n  got  %s\n", cases[i].data, cases[i].want,
                        cases[i].not, got);
        free(got);
        assert_true(ok);
    }
}

static const struct CMUnitTest robustness[] = {
    cmocka_unit_test(test_unclosed_tag),
    cmocka_unit_test(test_unbalanced),
    cmocka_unit_test(test_bad_tags),
    cmocka_unit_test(test_deep_nesting),
    cmocka_unit_test(test_huge_input),
    cmocka_unit_test(test_self_recursion),
    cmocka_unit_test(test_values),
    cmocka_unit_test(test_partials),
    cmocka_unit_test(test_inheritance),
    cmocka_unit_test(test_render_many),
    cmocka_unit_test(test_kpi_tile),
};

/* ------------------------------------------------------------ spec suite */

/* Appends s with control characters made visible, for failure reports. */
static void put_visible(buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '\n': buf_puts(b, "\\n"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '\t': buf_puts(b, "\\t"); break;
        case '\\': buf_puts(b, "\\\\"); break;
        default: buf_putc(b, s[i]);
        }
    }
}

static void report(buf *msg, const char *label, const char *s, size_t n)
{
    buf_printf(msg, "  %-9s \"", label);
    put_visible(msg, s, n);
    buf_puts(msg, "\"\n");
}

/* Runs one spec case; returns an empty message on success. */
static void run_case(json_t *tc, buf *msg)
{
    const char *tmpl = json_string_value(json_object_get(tc, "template"));
    const char *want = json_string_value(json_object_get(tc, "expected"));
    json_t *partials = json_object_get(tc, "partials");
    table tb = {0};
    char *err = NULL;
    const char *name;
    json_t *src;

    json_object_foreach(partials, name, src) {
        mst_template *t = tb.n < 32 ? mst_compile(json_string_value(src),
                                                  json_string_length(src), &err) : NULL;
        if (!t) {
            buf_printf(msg, "  partial %s does not compile: %s\n", name, err ? err : "?");
            goto out;
        }
        tb.names[tb.n] = name;
        tb.tpl[tb.n++] = t;
    }
    mst_template *t = mst_compile(tmpl, strlen(tmpl), &err);
    if (!t) {
        buf_printf(msg, "  template does not compile: %s\n", err);
        goto out;
    }
    buf got = BUF_INIT;
    int rc = mst_render(t, json_object_get(tc, "data"), table_load, &tb, &got);
    if (rc != 0 || got.len != strlen(want) || (got.len && memcmp(got.data, want, got.len))) {
        if (rc)
            buf_printf(msg, "  mst_render returned %d\n", rc);
        report(msg, "template", tmpl, strlen(tmpl));
        report(msg, "expected", want, strlen(want));
        report(msg, "actual", got.data ? got.data : "", got.len);
    }
    buf_free(&got);
    mst_free(t);
out:
    free(err);
    table_free(&tb);
}

static void spec_test(void **state)
{
    json_t *tc = *state;
    buf msg = BUF_INIT;
    run_case(tc, &msg);
    if (msg.len) {
        print_error("FAILED %s: %s\n%s", json_string_value(json_object_get(tc, "_file")),
                    json_string_value(json_object_get(tc, "name")), msg.data);
        buf_free(&msg);
        fail();
    }
}

static int is_json(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 5 && !strcmp(e->d_name + n - 5, ".json");
}

/* Runs one spec file as a cmocka group; returns the number of failures. */
static int run_file(const char *dir, const char *file, int *total)
{
    buf path = BUF_INIT;
    buf_printf(&path, "%s/%s", dir, file);
    json_error_t jerr;
    json_t *root = json_load_file(path.data, 0, &jerr);
    json_t *cases = json_object_get(root, "tests");
    if (!json_is_array(cases)) {
        fprintf(stderr, "%s: cannot read tests: %s\n", path.data, jerr.text);
        json_decref(root);
        buf_free(&path);
        *total += 1;
        return 1;
    }
    buf_free(&path);
    size_t n = json_array_size(cases);
    struct CMUnitTest *tests = calloc(n ? n : 1, sizeof *tests);
    assert_non_null(tests);
    for (size_t i = 0; i < n; i++) {
        json_t *tc = json_array_get(cases, i);
        tests[i].name = json_string_value(json_object_get(tc, "name"));
        tests[i].test_func = spec_test;
        tests[i].initial_state = tc;
        json_object_set_new(tc, "_file", json_string(file));
    }
    int failed = _cmocka_run_group_tests(file, tests, n, NULL, NULL);
    printf("mustache spec %s: %zu passed, %d failed\n", file, n - (size_t)failed, failed);
    *total += (int)n;
    free(tests);
    json_decref(root);
    return failed;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : getenv("MUSTACHE_SPEC_DIR");
    if (!dir)
        dir = "../shared/spec/mustache";

    int failed = cmocka_run_group_tests_name("mustache robustness", robustness, NULL, NULL);

    struct dirent **files;
    int nfiles = scandir(dir, &files, is_json, alphasort);
    if (nfiles <= 0) {
        fprintf(stderr, "no spec files (*.json) in %s\n", dir);
        return 1;
    }
    int total = 0, spec_failed = 0;
    for (int i = 0; i < nfiles; i++) {
        spec_failed += run_file(dir, files[i]->d_name, &total);
        free(files[i]);
    }
    free(files);
    printf("mustache spec total: %d passed, %d failed (%d files)\n", total - spec_failed,
           spec_failed, nfiles);
    return failed + spec_failed ? 1 : 0;
}
