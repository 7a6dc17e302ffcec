#include "netguard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ipv4_public(uint32_t a)
{
    static const struct {
        uint32_t net, mask;
    } closed[] = {
        {0x00000000, 0xff000000}, /* 0/8: this network */
        {0x0a000000, 0xff000000}, /* 10/8 */
        {0x64400000, 0xffc00000}, /* 100.64/10: carrier-grade NAT */
        {0x7f000000, 0xff000000}, /* 127/8: loopback */
        {0xa9fe0000, 0xffff0000}, /* 169.254/16: link-local, metadata services */
        {0xac100000, 0xfff00000}, /* 172.16/12 */
        {0xc0000000, 0xffffff00}, /* 192.0.0/24: protocol assignments */
        {0xc0a80000, 0xffff0000}, /* 192.168/16 */
        {0xc6120000, 0xfffe0000}, /* 198.18/15: benchmarking */
        {0xe0000000, 0xe0000000}, /* 224/3: multicast, reserved, broadcast */
    };
    for (size_t i = 0; i < sizeof closed / sizeof closed[0]; i++)
        if ((a & closed[i].mask) == closed[i].net)
            return false;
    return true;
}

bool net_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ipv4_public(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family != AF_INET6)
        return false;
    const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12)) /* an IPv4 address inside */
        return ipv4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    static const uint8_t zero[15] = {0};
    if (!memcmp(b, zero, 15) && b[15] <= 1) /* :: and ::1 */
        return false;
    if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff)
        return false; /* fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast */
    return true;
}

void net_describe(const struct sockaddr *sa, char *out, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        port = ntohs(in->sin_port);
        snprintf(out, size, "%s:%u", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        port = ntohs(in6->sin6_port);
        snprintf(out, size, "[%s]:%u", ip, port);
    } else {
        snprintf(out, size, "(address family %d)", sa->sa_family);
    }
}

bool net_listed(const struct sockaddr *sa, const char *list)
{
    if (!list || !*list)
        return false;
    char self[INET6_ADDRSTRLEN + 16];
    net_describe(sa, self, sizeof self);
    size_t n = strlen(self);
    for (const char *p = list; *p;) {
        p += strspn(p, ", ");
        size_t len = strcspn(p, ", ");
        if (len == n && !strncmp(p, self, n))
            return true;
        p += len;
    }
    return false;
}

static curl_socket_t open_checked(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    if (purpose == CURLSOCKTYPE_IPCXN && !net_public(&a->addr) &&
        !net_listed(&a->addr, getenv("PARLEY_LOCAL_APIS"))) {
        *(bool *)clientp = true;
        char where[INET6_ADDRSTRLEN + 16];
        net_describe(&a->addr, where, sizeof where);
        fprintf(stderr, "parley: refused to connect to %s: not a public address (PARLEY_LOCAL_APIS lists the local ones allowed)\n",
                where);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

void net_guard(CURL *easy, bool *refused)
{
    *refused = false;
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_checked);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, refused);
    /* No proxy from the environment (http_proxy, ALL_PROXY): the check above
     * would see only the proxy's address, and the proxy would go anywhere. */
    curl_easy_setopt(easy, CURLOPT_PROXY, "");
}

const char *net_error(CURLcode rc, bool refused)
{
    return refused ? "the API base URL leads to an address that is not public (this machine, a private network or "
                     "link-local): refused"
                   : curl_easy_strerror(rc);
}
