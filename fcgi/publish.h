/* The harvester's publishing side: replies leased from the outbox
 * (ingest.lease_outbox) are sent through the platform adapters on the
 * harvester's libcurl multi handle, next to the page transfers, and what the
 * platform answered is recorded (ingest.outbox_sent / outbox_failed). */
#ifndef PARLEY_PUBLISH_H
#define PARLEY_PUBLISH_H
#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdbool.h>

typedef struct publisher publisher;

/* db, multi and owner stay the caller's and must outlive the publisher.
 * Frees the entries a previous process of this owner was sending. */
publisher *publish_open(PGconn *db, CURLM *multi, const char *owner, int lease_seconds);
/* Lease due entries and start sending them: at most once a second, or now
 * when woken (a NOTIFY says a reply was queued). */
void publish_lease(publisher *p, bool woken);
/* A finished transfer, already removed from the multi handle: true when it
 * was one of ours (it has been handled), false when it belongs to someone else. */
bool publish_finished(publisher *p, CURL *easy, CURLcode rc);
int publish_active(const publisher *p);
/* Drops what is in flight (unanswered entries are sent again after their
 * lease) and frees p. */
void publish_close(publisher *p);

#endif
