/* Unit tests for fcgi/markdown.c: CommonMark rendering in safe mode, with
 * the usual XSS vectors, entities, autolinks, CJK text and hostile bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "arena.h"
#include "markdown.h"

static int setup(void **state)
{
    *state = arena_new();
    return 0;
}

static int teardown(void **state)
{
    arena_free(*state);
    return 0;
}

static const char *md(void **state, const char *s)
{
    const char *html = md_to_html(*state, s, strlen(s));
    assert_non_null(html);
    return html;
}

static bool has_ci(const char *hay, const char *needle)
{
    for (size_t n = strlen(needle); *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* The invariants every rendering keeps. */
static void assert_defused(const char *html)
{
    assert_false(has_ci(html, "<script"));
    assert_false(has_ci(html, "javascript:"));
    assert_false(has_ci(html, "vbscript:"));
}

/* ---- plain CommonMark -------------------------------------------------- */

static void basic_blocks(void **state)
{
    assert_string_equal(md(state, "# Refunds\n\nA *short* note."),
                        "<h1>Refunds</h1>\n<p>A <em>short</em> note.</p>\n");
    assert_string_equal(md(state, "- one\n- two\n"), "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n");
    assert_string_equal(md(state, "    code <b>\n"), "<pre><code>code &lt;b&gt;\n</code></pre>\n");
    assert_string_equal(md(state, ""), "");
    assert_string_equal(md_to_html(*state, NULL, 0), "");
}

static void nested_emphasis(void **state)
{
    assert_string_equal(md(state, "***a** b*"), "<p><em><strong>a</strong> b</em></p>\n");
    assert_string_equal(md(state, "*a **b *c* d** e*"),
                        "<p><em>a <strong>b <em>c</em> d</strong> e</em></p>\n");
    assert_string_equal(md(state, "**unclosed *mix"), "<p>**unclosed *mix</p>\n");
}

static void cjk_text(void **state)
{
    assert_string_equal(md(state, "# 退款\n\n如何申请退款？**重要**：请联系卢门咖啡。"),
                        "<h1>退款</h1>\n<p>如何申请退款？<strong>重要</strong>：请联系卢门咖啡。</p>\n");
    /* emphasis next to CJK punctuation (no spaces in Chinese) */
    assert_string_equal(md(state, "请*务必*保留小票"), "<p>请<em>务必</em>保留小票</p>\n");
}

static void no_smart_punctuation(void **state)
{
    assert_string_equal(md(state, "\"quoted\" -- it's..."),
                        "<p>&quot;quoted&quot; -- it's...</p>\n");
}

static void entities(void **state)
{
    assert_string_equal(md(state, "&amp; &lt;b&gt; &copy; &#x4E2D; &#0; &bogus;"),
                        "<p>&amp; &lt;b&gt; © 中 \xEF\xBF\xBD &amp;bogus;</p>\n");
    assert_string_equal(md(state, "&lt;script&gt;alert(1)&lt;/script&gt;"),
                        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
}

/* ---- raw HTML ------------------------------------------------------------ */

static void script_tags(void **state)
{
    const char *h = md(state, "<script>alert(1)</script>");
    assert_defused(h);
    assert_non_null(strstr(h, "raw HTML omitted"));
    h = md(state, "text <script>alert(1)</script> more");
    assert_defused(h);
    assert_string_equal(h, "<p>text <!-- raw HTML omitted -->alert(1)<!-- raw HTML omitted --> more</p>\n");
    assert_defused(md(state, "<SCRIPT SRC=//evil.example/x.js></SCRIPT>"));
    assert_defused(md(state, "<scr<script>ipt>alert(1)</script>"));
}

static void event_handlers(void **state)
{
    const char *h = md(state, "<img src=x onerror=alert(1)>");
    assert_null(strstr(h, "<img"));
    assert_null(strstr(h, "onerror"));
    h = md(state, "hi <img src=x onerror=\"alert(1)\"> there");
    assert_null(strstr(h, "<img"));
    h = md(state, "<div onclick=\"alert(1)\">\n*x*\n</div>");
    assert_null(strstr(h, "onclick"));
    assert_null(strstr(h, "<div"));
    /* a title cannot break out of its attribute */
    h = md(state, "![x](a.png \"t\\\" onerror=\\\"alert(1)\")");
    assert_null(strstr(h, "\" onerror"));
    assert_non_null(strstr(h, "title=\"t&quot; onerror=&quot;alert(1)\""));
    h = md(state, "<a href=\"javascript:alert(1)\">x</a>");
    assert_null(strstr(h, "<a "));
    assert_defused(h);
}

/* ---- links and images -------------------------------------------------- */

static void javascript_inline_links(void **state)
{
    static const char *const vectors[] = {
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](javascript&colon;alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](file:///etc/passwd)",
        "[x](<java\tscript:alert(1)>)",
        "[x](<\x01javascript:alert(1)>)",
        "[x](<javascript:alert(1) >)",
        "[x](livescript:alert(1))",
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const char *h = md(state, vectors[i]);
        assert_defused(h);
        assert_non_null(strstr(h, "<a href=\"\">x</a>"));
    }
}

static void javascript_reference_links(void **state)
{
    const char *h = md(state, "[click][r] and [r]\n\n[r]: javascript:alert(1) \"t\"");
    assert_defused(h);
    assert_string_equal(h, "<p><a href=\"\" title=\"t\">click</a> and <a href=\"\" title=\"t\">r</a></p>\n");
    h = md(state, "![img][i]\n\n[i]: JAVASCRIPT:alert(1)");
    assert_defused(h);
    assert_string_equal(h, "<p><img src=\"\" alt=\"img\" /></p>\n");
}

static void images(void **state)
{
    assert_string_equal(md(state, "![cup](https://lumen.example/cup.png)"),
                        "<p><img src=\"https://lumen.example/cup.png\" alt=\"cup\" /></p>\n");
    assert_string_equal(md(state, "![cup](/static/cup.png)"),
                        "<p><img src=\"/static/cup.png\" alt=\"cup\" /></p>\n");
    /* no data: images, and no mailto: ones */
    assert_string_equal(md(state, "![x](data:image/png;base64,AAAA)"), "<p><img src=\"\" alt=\"x\" /></p>\n");
    assert_string_equal(md(state, "![x](mailto:a@b.example)"), "<p><img src=\"\" alt=\"x\" /></p>\n");
    assert_defused(md(state, "![x](javascript:alert(1))"));
}

static void allowed_links(void **state)
{
    assert_string_equal(md(state, "[x](https://example.com/a?b=1&c=2#f)"),
                        "<p><a href=\"https://example.com/a?b=1&amp;c=2#f\">x</a></p>\n");
    assert_string_equal(md(state, "[x](/kb/3)"), "<p><a href=\"/kb/3\">x</a></p>\n");
    assert_string_equal(md(state, "[x](#top)"), "<p><a href=\"#top\">x</a></p>\n");
    assert_string_equal(md(state, "[x](MAILTO:help@lumen.example)"),
                        "<p><a href=\"MAILTO:help@lumen.example\">x</a></p>\n");
    /* a quote in the URL is percent-encoded, not an attribute break */
    assert_string_equal(md(state, "[x](https://e.example/\"onmouseover=\"alert(1))"),
                        "<p><a href=\"https://e.example/%22onmouseover=%22alert(1)\">x</a></p>\n");
    /* a colon after a slash is no scheme */
    assert_string_equal(md(state, "[x](a/b:c)"), "<p><a href=\"a/b:c\">x</a></p>\n");
    assert_string_equal(md(state, "[x](ftp://files.example/)"), "<p><a href=\"\">x</a></p>\n");
}

static void autolinks(void **state)
{
    assert_string_equal(md(state, "<https://lumen.example/menu>"),
                        "<p><a href=\"https://lumen.example/menu\">https://lumen.example/menu</a></p>\n");
    assert_string_equal(md(state, "<help@lumen.example>"),
                        "<p><a href=\"mailto:help@lumen.example\">help@lumen.example</a></p>\n");
    const char *h = md(state, "<javascript:alert(1)>");
    assert_defused(h);
    assert_string_equal(h, "<p><a href=\"\">javascript&#58;alert(1)</a></p>\n");
    /* plain text mentioning the scheme is kept readable, colon as an entity */
    assert_string_equal(md(state, "Never paste JavaScript:void(0) in `javascript:x`"),
                        "<p>Never paste JavaScript&#58;void(0) in <code>javascript&#58;x</code></p>\n");
}

/* ---- hostile bytes and size ------------------------------------------- */

static void bad_bytes(void **state)
{
    static const char in[] = "a\0b\xff\xc0\x80z";
    const char *h = md_to_html(*state, in, sizeof in - 1);
    assert_non_null(h);
    assert_null(strchr(h, '\xff'));
    assert_non_null(strstr(h, "a\xEF\xBF\xBD" "b"));
    assert_non_null(strchr(h, 'z'));
}

static void not_nul_terminated(void **state)
{
    /* only the first n bytes count: "**b" would be bold if read further */
    char buf[8];
    memcpy(buf, "*a* **b**", 8);
    const char *h = md_to_html(*state, buf, 3);
    assert_string_equal(h, "<p><em>a</em></p>\n");
}

static void size_limit(void **state)
{
    char *big = malloc(MD_MAX_INPUT + 1);
    assert_non_null(big);
    memset(big, 'a', MD_MAX_INPUT + 1);
    assert_null(md_to_html(*state, big, MD_MAX_INPUT + 1));
    const char *h = md_to_html(*state, big, MD_MAX_INPUT);
    assert_non_null(h);
    assert_int_equal(strlen(h), MD_MAX_INPUT + strlen("<p></p>\n"));
    free(big);
    assert_null(md_to_html(*state, NULL, 1));
}

static void deep_nesting(void **state)
{
    /* 50k nested quotes and brackets: bounded work, no stack exhaustion */
    size_t n = 100000;
    char *s = malloc(n);
    assert_non_null(s);
    memset(s, '>', n / 2);
    memset(s + n / 2, '[', n / 2);
    assert_non_null(md_to_html(*state, s, n));
    free(s);
}

static void url_rules(void **state)
{
    (void)state;
    assert_true(md_url_allowed(NULL, false));
    assert_true(md_url_allowed("", false));
    assert_true(md_url_allowed("HTTPS://x", true));
    assert_true(md_url_allowed("tel:+8610", false));
    assert_false(md_url_allowed("tel:+8610", true));
    assert_false(md_url_allowed(" https://x", false));
    assert_false(md_url_allowed("java\nscript:x", false));
    assert_false(md_url_allowed("javascript:x", false));
    assert_false(md_url_allowed("x-custom:1", false));
    assert_true(md_url_allowed("1abc:x", false)); /* not a scheme: relative */
    assert_true(md_url_allowed("?q=a:b", false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(basic_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(nested_emphasis, setup, teardown),
        cmocka_unit_test_setup_teardown(cjk_text, setup, teardown),
        cmocka_unit_test_setup_teardown(no_smart_punctuation, setup, teardown),
        cmocka_unit_test_setup_teardown(entities, setup, teardown),
        cmocka_unit_test_setup_teardown(script_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(event_handlers, setup, teardown),
        cmocka_unit_test_setup_teardown(javascript_inline_links, setup, teardown),
        cmocka_unit_test_setup_teardown(javascript_reference_links, setup, teardown),
        cmocka_unit_test_setup_teardown(images, setup, teardown),
        cmocka_unit_test_setup_teardown(allowed_links, setup, teardown),
        cmocka_unit_test_setup_teardown(autolinks, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(not_nul_terminated, setup, teardown),
        cmocka_unit_test_setup_teardown(size_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(deep_nesting, setup, teardown),
        cmocka_unit_test(url_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
