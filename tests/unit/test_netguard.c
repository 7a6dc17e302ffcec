/* Unit tests for fcgi/netguard.c: which addresses the harvester may reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <stdlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "netguard.h"

/* An address with a port, as curl hands it over. */
static struct sockaddr_storage addr(const char *ip, unsigned port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
    } else {
        assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
    }
    return ss;
}

static bool public(const char *ip)
{
    struct sockaddr_storage ss = addr(ip, 443);
    return net_public((struct sockaddr *)&ss);
}

static void public_addresses(void **state)
{
    (void)state;
    assert_true(public("93.184.215.14"));
    assert_true(public("8.8.8.8"));
    assert_true(public("172.32.0.1"));   /* just past 172.16/12 */
    assert_true(public("100.128.0.1"));  /* just past 100.64/10 */
    assert_true(public("2606:4700::1111"));
    assert_true(public("::ffff:8.8.8.8"));
}

static void closed_addresses(void **state)
{
    (void)state;
    const char *closed[] = {"127.0.0.1", "127.1.2.3", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                            "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
                            "198.18.0.1", "::1", "::", "fe80::1", "fd00::1", "fc00::1", "ff02::1",
                            "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1"};
    for (size_t i = 0; i < sizeof closed / sizeof closed[0]; i++) {
        if (public(closed[i]))
            fail_msg("%s counted as public", closed[i]);
    }
}

static void listed_exceptions(void **state)
{
    (void)state;
    struct sockaddr_storage fake = addr("127.0.0.1", 8090), other = addr("127.0.0.1", 9), v6 = addr("::1", 8090);
    const char *list = "127.0.0.1:8090, [::1]:8090";
    assert_true(net_listed((struct sockaddr *)&fake, list));
    assert_true(net_listed((struct sockaddr *)&v6, list));
    assert_false(net_listed((struct sockaddr *)&other, list));
    assert_false(net_listed((struct sockaddr *)&fake, "127.0.0.1:80900"));
    assert_false(net_listed((struct sockaddr *)&fake, "27.0.0.1:8090"));
    assert_false(net_listed((struct sockaddr *)&fake, ""));
    assert_false(net_listed((struct sockaddr *)&fake, NULL));
    char text[64];
    net_describe((struct sockaddr *)&v6, text, sizeof text);
    assert_string_equal(text, "[::1]:8090");
}

/* A proxy named in the environment is not used: the transfer's own target
 * is checked. Here the proxy is an allowed local address, the target a
 * private one; through the proxy the connection would be attempted. */
static void environment_proxy_ignored(void **state)
{
    (void)state;
    setenv("http_proxy", "http://127.0.0.1:9", 1);
    setenv("PARLEY_LOCAL_APIS", "127.0.0.1:9", 1);
    CURL *easy = curl_easy_init();
    assert_non_null(easy);
    bool refused;
    net_guard(easy, &refused);
    curl_easy_setopt(easy, CURLOPT_URL, "http://10.1.2.3:8080/");
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 2L);
    CURLcode rc = curl_easy_perform(easy);
    assert_int_not_equal(rc, CURLE_OK);
    assert_true(refused);
    assert_string_equal(net_error(rc, refused), net_error(CURLE_COULDNT_CONNECT, true));
    curl_easy_cleanup(easy);
    unsetenv("http_proxy");
    unsetenv("PARLEY_LOCAL_APIS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(public_addresses),
        cmocka_unit_test(closed_addresses),
        cmocka_unit_test(listed_exceptions),
        cmocka_unit_test(environment_proxy_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
