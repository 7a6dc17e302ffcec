/* Where the harvester may connect. The platforms' APIs are on the public
 * internet; a base URL (marketers set it) that leads to this machine, a
 * private network or a link-local address (a cloud's metadata service) is
 * refused, so the harvester cannot be made to read internal services. The
 * environment's PARLEY_LOCAL_APIS lists the exceptions, "ADDRESS:PORT" comma-
 * separated ("[::1]:8090" for IPv6): stack.sh names its fake platform. */
#ifndef PARLEY_NETGUARD_H
#define PARLEY_NETGUARD_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Whether the public internet routes to this address (IPv4 or IPv6). */
bool net_public(const struct sockaddr *sa);

/* Whether the comma-separated list names this address and port. */
bool net_listed(const struct sockaddr *sa, const char *list);

/* "ADDRESS:PORT" of an address, as the list writes it, into out. */
void net_describe(const struct sockaddr *sa, char *out, size_t size);

/* Refuse a transfer's connections to addresses neither public nor listed;
 * *refused (cleared here) says afterwards whether that is why it failed. */
void net_guard(CURL *easy, bool *refused);

/* What a failed transfer's stream or reply records: curl's words, or why an
 * address was refused. */
const char *net_error(CURLcode rc, bool refused);

#endif
