-- The harvester's side of the job queue. Every function is one short
-- transaction; the lease makes sure two harvesters never work one stream.

-- The threads a replies stream walks: the brand's 50 most recent own posts.
CREATE OR REPLACE FUNCTION ingest.reply_threads(p_account bigint) RETURNS TABLE (id bigint, external_id text)
LANGUAGE sql STABLE AS $$
  SELECT p.id, p.external_id
  FROM social.account a
  JOIN social.profile pr ON pr.platform = a.platform
                        AND (pr.external_id = a.external_id OR pr.handle = a.handle)
  JOIN social.post p ON p.author_id = pr.id
  WHERE a.id = p_account AND p.deleted_at IS NULL
    -- (Weibo reads a thread by its status: the brand's own comments, such
    -- as its replies, are not threads of their own there)
    AND NOT (a.platform = 'weibo' AND p.kind IN ('comment', 'reply'))
  ORDER BY p.created_at DESC
  LIMIT 50
$$;

-- A thread the platform refused this many times in a row (a client error:
-- deleted there, not readable with this token) is skipped for good, or until
-- a new token is set (api.account_token).
CREATE OR REPLACE FUNCTION ingest.thread_tries() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 5 $$;

-- The replies stream walks its threads one per page, in id order after the
-- position in its state: the next post to ask for, or NULL when the walk is
-- complete. Its state also remembers the threads the platform refused
-- ("refused": {post id: {n, wait, error, at}}, ingest.refuse_thread): such a
-- thread waits out `wait` more walks, or, refused ingest.thread_tries()
-- times, is skipped.
CREATE OR REPLACE FUNCTION ingest.reply_target(p_account bigint, p_state jsonb,
                                               OUT target_id bigint, OUT target_external_id text)
LANGUAGE sql STABLE AS $$
  SELECT r.id, r.external_id
  FROM ingest.reply_threads(p_account) r
  LEFT JOIN LATERAL (SELECT p_state->'refused'->(r.id::text) AS f) x ON true
  WHERE r.id > coalesce((p_state->>'after')::bigint, 0)
    AND (x.f IS NULL OR ((x.f->>'wait')::integer <= 0 AND (x.f->>'n')::integer < ingest.thread_tries()))
  ORDER BY r.id
  LIMIT 1
$$;

-- What a replies stream's state keeps from page to page and walk to walk
-- (the threads refused), less the thread p_answered that has just answered.
CREATE OR REPLACE FUNCTION ingest.reply_memo(p_state jsonb, p_answered bigint DEFAULT NULL) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN r <> '{}' THEN jsonb_build_object('refused', r) ELSE '{}' END
  FROM (SELECT CASE WHEN jsonb_typeof(p_state->'refused') = 'object'
                    THEN (p_state->'refused') - coalesce(p_answered::text, '') ELSE '{}' END AS r) x
$$;

-- The platform refused thread p_thread (p_message: its words): the walk goes
-- on past it, and the thread waits exponentially longer each time before it
-- is asked for again, like a stream after errors in a row: the next walk,
-- then every 2nd, 4th, 8th; the last refusal (ingest.thread_tries()) skips it.
CREATE OR REPLACE FUNCTION ingest.refuse_thread(p_state jsonb, p_thread bigint, p_message text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('after', p_thread, 'refused', coalesce(ingest.reply_memo(p_state)->'refused', '{}')
           || jsonb_build_object(p_thread::text, jsonb_build_object('n', n, 'wait', 1 << least(n - 1, 30),
                                                                     'error', left(p_message, 1000), 'at', now())))
  FROM (SELECT coalesce((p_state->'refused'->(p_thread::text)->>'n')::integer, 0) + 1 AS n) k
$$;

-- A walk is over: the next starts from the first thread. A refused thread
-- waits one walk less; one that is no longer walked is forgotten.
CREATE OR REPLACE FUNCTION ingest.reply_walk_over(p_account bigint, p_state jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT ingest.reply_memo(jsonb_build_object('refused', coalesce(jsonb_object_agg(
           f.key, f.value || jsonb_build_object('wait', greatest((f.value->>'wait')::integer - 1, 0))), '{}')))
  FROM jsonb_each(ingest.reply_memo(p_state)->'refused') f
  WHERE f.key IN (SELECT t.id::text FROM ingest.reply_threads(p_account) t)
$$;

-- The error of the thread a replies stream skipped last, if any: the
-- accounts page shows it though the stream reads its other threads.
CREATE OR REPLACE FUNCTION ingest.skipped_thread_error(s ingest.stream) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT f.value->>'error' FROM jsonb_each(ingest.reply_memo(s.state)->'refused') f
  WHERE (f.value->>'n')::integer >= ingest.thread_tries()
  ORDER BY (f.value->>'at')::timestamptz DESC
  LIMIT 1
$$;

-- Until when an account's token has spent its platform's quota, or NULL:
-- one of its streams was told at most p_left requests are left (or was
-- throttled: 0) and the reset is still ahead. Harvesting stops with 1 left,
-- which is kept for a staff reply; replies wait only for none
-- (ingest.replies_held_until). Only for platforms that count per token
-- (social.platform.quota_scope); where each endpoint has its own window,
-- each stream minds its own. Where posting spends the same budget
-- (posting_shares_quota), a hold a reply met on the token's whole budget
-- (sends_held_until, sends_hold_token_wide) is the token's too.
DROP FUNCTION IF EXISTS ingest.token_held_until(bigint, text);
CREATE OR REPLACE FUNCTION ingest.token_held_until(p_account bigint, p_platform text, p_left integer DEFAULT 1)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN pl.quota_scope = 'token' THEN greatest(
           (SELECT max(q.quota_reset_at) FROM ingest.stream q
            WHERE q.account_id = p_account AND q.quota_remaining <= p_left AND q.quota_reset_at > now()),
           (SELECT a.sends_held_until FROM social.account a
            WHERE a.id = p_account AND pl.posting_shares_quota AND a.sends_hold_token_wide
              AND a.sends_held_until > now())) END
  FROM social.platform pl WHERE pl.code = p_platform
$$;
CREATE OR REPLACE FUNCTION ingest.token_quota_spent(p_account bigint, p_platform text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT ingest.token_held_until(p_account, p_platform) IS NOT NULL
$$;
-- A token with few requests left (ingest.few_requests() or fewer, as last
-- told) is read by one stream at a time: each stream minds the count its own
-- last page gave, so two reading at once could spend the request kept for a
-- staff reply.
CREATE OR REPLACE FUNCTION ingest.few_requests() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 10 $$;
CREATE OR REPLACE FUNCTION ingest.token_quota_low(p_account bigint, p_platform text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT ingest.token_held_until(p_account, p_platform, ingest.few_requests()) IS NOT NULL
$$;

-- How long a stream waits between runs: its own interval, except that
-- where Facebook or Instagram push comments to Parley (a delivery of the
-- account's feed or comments in the last day, stored without error), the
-- replies walk is hourly: the webhooks bring new comments meanwhile, a new
-- own post is walked at once anyway, and each walk costs 50 Graph calls.
CREATE OR REPLACE FUNCTION ingest.run_every(s ingest.stream, a social.account) RETURNS interval
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN s.kind = 'replies' AND a.platform IN ('facebook', 'instagram')
                   AND EXISTS (SELECT FROM ingest.webhook_inbox w
                               WHERE w.account_id = a.id AND w.received_at > now() - interval '1 day'
                                 AND w.processed_at IS NOT NULL AND w.error IS NULL
                                 AND w.body ~ '"field"\s*:\s*"(feed|comments)"')
              THEN greatest(s.every, interval '1 hour') ELSE s.every END
$$;

-- A whole followers list was read, every page of it from the top: whoever
-- was not on it (not seen since p_run_start) follows no more. Only where the
-- API lists every follower, and only when the list read is about as long as
-- the platform's own count, or, where that is unknown (Bluesky's feeds carry
-- none), as the follows open before or as the last whole walk (two walks in
-- a row that agree are believed, as after a purge of accounts): a walk cut
-- short without an error must not end real follows. They ended as of the
-- walk's start: a follow event after it (a re-follow the walk had passed
-- by) opens the follow again. Returns how many follows ended; NULL when the
-- walk is not believed.
CREATE OR REPLACE FUNCTION ingest.end_unseen_follows(p_stream bigint, p_run_start timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  s ingest.stream := (SELECT q FROM ingest.stream q WHERE q.id = p_stream);
  a social.account := (SELECT x FROM social.account x WHERE x.id = s.account_id);
  counted bigint := (SELECT pr.follower_count FROM social.own_profile o JOIN social.profile pr ON pr.id = o.id
                     WHERE o.account_id = a.id);
  seen bigint := (SELECT count(*) FROM social.follower_edge WHERE account_id = a.id AND last_seen_at >= p_run_start);
  n integer;
BEGIN
  IF NOT (SELECT lists_all_followers FROM social.platform WHERE code = a.platform) THEN
    RETURN NULL;
  END IF;
  UPDATE ingest.stream SET last_walk_seen = seen WHERE id = p_stream;
  IF seen < 0.9 * coalesce(counted, (SELECT count(*) FROM social.follower_edge WHERE account_id = a.id AND unfollowed_at IS NULL))
     AND NOT (counted IS NULL AND coalesce(seen BETWEEN 0.98 * s.last_walk_seen AND 1.02 * s.last_walk_seen, false)) THEN
    RETURN NULL;
  END IF;
  WITH ended AS (
    UPDATE social.follower_edge SET unfollowed_at = p_run_start
    WHERE account_id = a.id AND unfollowed_at IS NULL AND last_seen_at < p_run_start
    RETURNING 1)
  SELECT count(*) INTO n FROM ended;
  RETURN n;
END $$;

-- Streams due now, leased to p_owner for p_seconds. SKIP LOCKED: concurrent
-- harvesters each get different streams and never wait on one another.
CREATE OR REPLACE FUNCTION ingest.lease_streams(p_owner text, p_max integer, p_seconds integer DEFAULT 60)
RETURNS TABLE (stream_id bigint, platform text, kind text, query text, state jsonb,
               account_id bigint, handle text, account_external_id text, api_base_url text,
               access_token text, target_id bigint, target_external_id text)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH candidate AS (
    SELECT s.id, s.account_id, ingest.token_quota_low(a.id, a.platform) AS low,
           row_number() OVER (PARTITION BY s.account_id ORDER BY s.next_run_at, s.id) AS nth
    FROM ingest.stream s
    JOIN social.account a ON a.id = s.account_id
    WHERE s.enabled AND a.status = 'active' AND s.next_run_at <= now()
      AND (s.lease_until IS NULL OR s.lease_until < now())
      AND NOT ingest.token_quota_spent(a.id, a.platform)
  ), due AS (
    SELECT s.id FROM ingest.stream s
    WHERE s.id IN (SELECT c.id FROM candidate c
                   WHERE NOT c.low OR (c.nth = 1 AND NOT EXISTS (
                     SELECT FROM ingest.stream o WHERE o.account_id = c.account_id AND o.lease_until >= now())))
      -- (checked again on the row as locked: another harvester may have just run it)
      AND s.enabled AND s.next_run_at <= now() AND (s.lease_until IS NULL OR s.lease_until < now())
    ORDER BY s.next_run_at
    LIMIT p_max
    FOR UPDATE OF s SKIP LOCKED
  ), leased AS (
    UPDATE ingest.stream s SET lease_owner = p_owner, lease_until = now() + make_interval(secs => p_seconds)
    FROM due WHERE s.id = due.id
    RETURNING s.*
  )
  SELECT l.id, a.platform, l.kind, l.query, l.state, a.id, a.handle, a.external_id, a.api_base_url,
         c.access_token, t.target_id, t.target_external_id
  FROM leased l
  JOIN social.account a ON a.id = l.account_id
  LEFT JOIN social.account_credential c ON c.account_id = a.id
  LEFT JOIN LATERAL ingest.reply_target(a.id, l.state) t ON l.kind = 'replies'
$$;

-- The lease of p_stream held by p_owner, or PR409: a harvester whose lease
-- expired and was taken over must not write.
CREATE OR REPLACE FUNCTION ingest.own_lease(p_stream bigint, p_owner text) RETURNS ingest.stream
LANGUAGE plpgsql AS $$
DECLARE s ingest.stream;
BEGIN
  SELECT * INTO s FROM ingest.stream WHERE id = p_stream AND lease_owner = p_owner FOR UPDATE;
  IF NOT FOUND THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = format('stream %s is not leased to %s', p_stream, p_owner);
  END IF;
  RETURN s;
END $$;

-- Exponential backoff with jitter after the n-th error in a row: 5 s, 10 s,
-- 20 s … at most 10 minutes, each spread by ±50 % so harvesters do not march
-- in step against a recovering platform.
CREATE OR REPLACE FUNCTION ingest.backoff(p_errors integer) RETURNS interval
LANGUAGE sql VOLATILE AS $$
  SELECT least(interval '5 seconds' * 2 ^ least(p_errors, 12), interval '10 minutes') * (0.5 + random())
$$;

-- One fetched page, in one transaction: raw page stored and normalized (or
-- quarantined) by ingest.store_page, the stream's position advanced, and the
-- stream either kept leased for its next page or scheduled for its next run.
-- p_lease_seconds: how long the lease is kept for the next page (the
-- harvester's --lease).
DROP FUNCTION IF EXISTS ingest.record_page(bigint, text, text, text, integer, jsonb, text, jsonb, boolean, integer, timestamptz);
CREATE OR REPLACE FUNCTION ingest.record_page(
  p_stream bigint, p_owner text, p_endpoint text, p_request_url text, p_status integer,
  p_headers jsonb, p_body text, p_state jsonb, p_done boolean,
  p_quota_remaining integer, p_quota_reset_at timestamptz, p_lease_seconds integer DEFAULT 60)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s ingest.stream := ingest.own_lease(p_stream, p_owner);
  a social.account;
  result jsonb;
  nxt jsonb;
  stuck boolean;
  held boolean;
  release boolean;
  run_start timestamptz := coalesce(s.run_started_at, now());
  complete boolean;
  over boolean;
  no_progress boolean;
  n_ended integer;
  -- spent (1 or none left): the platform's reset, or a minute when it names none
  spent_until timestamptz := CASE WHEN p_quota_remaining <= 1
                                  THEN greatest(coalesce(p_quota_reset_at, now() + interval '1 minute'), now()) END;
BEGIN
  SELECT * INTO a FROM social.account WHERE id = s.account_id;
  result := ingest.store_page(a.platform, p_endpoint, a.id, p_request_url, p_status, p_headers, p_body);
  -- Every page of this run read so far, from the top of the list (a run
  -- found mid-list, as after the upgrade that added this, is not whole).
  complete := s.run_complete AND NOT coalesce((result->>'quarantined')::boolean, false)
              AND (s.run_started_at IS NOT NULL OR s.state = '{}');
  -- The platform gave back the position it was asked from (a cursor that
  -- does not move): asking again would get the same page for ever. The run
  -- ends here, not whole (so no unfollows are inferred from it), and says why.
  no_progress := s.kind <> 'replies' AND NOT p_done AND p_state = s.state
                 AND NOT coalesce((result->>'quarantined')::boolean, false);
  IF no_progress THEN
    p_done := true;
    complete := false;
  END IF;
  -- Replies: the thread read has answered, so its refusals are forgotten
  -- (the others' are kept); the next thread to fetch is known only here;
  -- none left ends the walk.
  IF s.kind = 'replies' THEN
    p_state := (p_state - 'refused') || ingest.reply_memo(s.state, (SELECT t.target_id FROM ingest.reply_target(a.id, s.state) t));
    SELECT to_jsonb(t) INTO nxt FROM ingest.reply_target(a.id, p_state) t WHERE t.target_id IS NOT NULL;
    result := result || jsonb_build_object('next_target', nxt);
    IF nxt IS NULL THEN
      p_done := true;
      p_state := ingest.reply_walk_over(a.id, p_state);
    END IF;
  END IF;
  -- New own posts have threads to walk: make the replies stream due now.
  IF s.kind = 'own_posts' AND (result->'counts'->>'posts')::integer > 0 THEN
    UPDATE ingest.stream SET next_run_at = now()
    WHERE account_id = s.account_id AND kind = 'replies' AND lease_owner IS NULL AND next_run_at > now();
  END IF;
  -- A quarantined page the adapter could not read past (e.g. broken JSON):
  -- ask for the same page again later, backing off like after a server error.
  stuck := (result->>'quarantined')::boolean AND p_state = s.state;
  over := p_done AND NOT stuck;
  IF s.kind = 'followers' AND over AND complete THEN
    n_ended := ingest.end_unseen_follows(s.id, run_start);
    IF n_ended IS NOT NULL THEN
      result := jsonb_set(result, '{counts,unfollows}', to_jsonb(n_ended));
    END IF;
  END IF;
  -- Another stream of the account spent the token's quota meanwhile: stop
  -- here too (the position is kept) until the reset; with few requests left
  -- and another stream reading, let that one go on alone.
  held := NOT p_done AND (ingest.token_quota_spent(a.id, a.platform)
                          OR ((ingest.token_quota_low(a.id, a.platform)
                               OR p_quota_remaining <= ingest.few_requests() AND EXISTS (
                                    SELECT FROM social.platform pl WHERE pl.code = a.platform AND pl.quota_scope = 'token'))
                              AND EXISTS (SELECT FROM ingest.stream o WHERE o.account_id = a.id AND o.id <> s.id
                                                                        AND o.lease_until >= now())));
  release := p_done OR stuck OR held OR coalesce(p_quota_remaining <= 1, false);
  IF held THEN
    result := result || '{"held": true}';
  END IF;
  result := result || jsonb_build_object('released', release);
  UPDATE ingest.stream SET
    state = p_state,
    pages_harvested = pages_harvested + 1,
    run_started_at = CASE WHEN over THEN NULL ELSE run_start END,
    run_complete = over OR complete,
    items_harvested = items_harvested + coalesce((result->'counts'->>'items')::bigint, 0),
    last_success_at = CASE WHEN stuck THEN last_success_at ELSE now() END,
    last_error = CASE WHEN (result->>'quarantined')::boolean THEN 'page quarantined: ' || (result->>'error')
                      WHEN no_progress THEN 'The platform gave the same page position again; this run ended there.'
                      ELSE last_error END,
    last_error_at = CASE WHEN (result->>'quarantined')::boolean OR no_progress THEN now() ELSE last_error_at END,
    errors_in_row = CASE WHEN stuck THEN errors_in_row + 1 ELSE 0 END,
    quota_remaining = p_quota_remaining,
    -- spent with no reset named: the minute this stream waits holds the others too
    -- (and few left with no reset named: a minute, so the token reads with one stream meanwhile)
    quota_reset_at = coalesce(spent_until, p_quota_reset_at,
                              CASE WHEN p_quota_remaining <= ingest.few_requests() THEN now() + interval '1 minute' END),
    -- Never overrun the quota: with none left, wait for the platform's reset
    -- (or the stream's own interval, when that is later).
    next_run_at = greatest(spent_until, CASE WHEN stuck THEN now() + ingest.backoff(errors_in_row)
                                             WHEN p_done THEN now() + ingest.run_every(s, a)
                                             ELSE now() END),
    lease_owner = CASE WHEN release THEN NULL ELSE lease_owner END,
    lease_until = CASE WHEN release THEN NULL ELSE now() + make_interval(secs => p_lease_seconds) END
  WHERE id = s.id;
  RETURN result;
END $$;

-- A page that could not be fetched: throttled (wait for retry_at), a server
-- error or timeout (exponential backoff with jitter, computed here), or
-- refused credentials (the account needs re-authorization; its other
-- streams stop too, other accounts go on). p_state: where the adapter goes
-- on from after a refusal, when it knows (a part of the stream it can pass
-- over); p_run_done: that was the run's last part, so the next run is due
-- at the stream's interval rather than soon.
DROP FUNCTION IF EXISTS ingest.record_failure(bigint, text, text, text, timestamptz);
CREATE OR REPLACE FUNCTION ingest.record_failure(
  p_stream bigint, p_owner text, p_kind text, p_message text, p_retry_at timestamptz DEFAULT NULL,
  p_state jsonb DEFAULT NULL, p_run_done boolean DEFAULT false)
RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s ingest.stream := ingest.own_lease(p_stream, p_owner);
  thread bigint := CASE WHEN s.kind = 'replies' THEN (SELECT t.target_id FROM ingest.reply_target(s.account_id, s.state) t) END;
  retry timestamptz;
  passed_over boolean;
BEGIN
  IF p_kind NOT IN ('throttled', 'throttled_api', 'server', 'network', 'auth', 'client') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('unknown failure kind %s', p_kind);
  END IF;
  -- A thread the platform refuses (deleted there, a stale page token) is
  -- passed over, so the threads after it are not held up behind it, and
  -- waits before it is asked for again (ingest.refuse_thread), unless the
  -- adapter said where to go on from. Past the last thread, the walk is over.
  IF p_kind = 'client' AND s.kind = 'replies' THEN
    p_state := CASE WHEN p_state IS NOT NULL THEN (p_state - 'refused') || ingest.reply_memo(s.state)
                    WHEN thread IS NOT NULL THEN ingest.refuse_thread(s.state, thread, p_message) END;
    IF NOT EXISTS (SELECT FROM ingest.reply_target(s.account_id, p_state) t WHERE t.target_id IS NOT NULL) THEN
      p_state := ingest.reply_walk_over(s.account_id, coalesce(p_state, s.state));
      p_run_done := true;
    END IF;
  END IF;
  passed_over := p_kind = 'client' AND (s.kind = 'replies' OR p_state IS DISTINCT FROM s.state AND p_state IS NOT NULL);
  retry := CASE
    -- a throttle whose reset has passed (clock skew) still waits a little
    WHEN p_kind IN ('throttled', 'throttled_api')
      THEN greatest(coalesce(p_retry_at, now() + interval '1 minute'), now() + interval '10 seconds')
    WHEN p_kind = 'auth' THEN now() + interval '100 years'
    -- passed over at the end of a run: the next run
    WHEN passed_over AND p_run_done
      THEN now() + (SELECT ingest.run_every(s, a) FROM social.account a WHERE a.id = s.account_id)
    ELSE now() + ingest.backoff(s.errors_in_row)
  END;
  UPDATE ingest.stream SET
    next_run_at = retry, lease_owner = NULL, lease_until = NULL,
    last_error = left(p_message, 1000), last_error_at = now(),
    -- throttled: nothing left until the retry time (for the token's other
    -- streams too, where the platform counts per token); an API's own limit
    -- (throttled_api) holds this stream alone
    quota_remaining = CASE WHEN p_kind = 'throttled' THEN 0 ELSE quota_remaining END,
    quota_reset_at = CASE WHEN p_kind = 'throttled' THEN retry ELSE quota_reset_at END,
    errors_in_row = errors_in_row + CASE WHEN p_kind IN ('throttled', 'throttled_api') THEN 0 ELSE 1 END,
    -- a part passed over leaves the run incomplete; a run it ends is over
    run_started_at = CASE WHEN passed_over AND p_run_done THEN NULL ELSE run_started_at END,
    run_complete = CASE WHEN passed_over THEN p_run_done ELSE run_complete END,
    state = CASE WHEN p_kind = 'client' AND p_state IS NOT NULL THEN p_state ELSE state END
  WHERE id = s.id;
  IF p_kind = 'auth' THEN
    UPDATE social.account SET status = 'needs_reauth', status_message = left(p_message, 1000),
                              status_changed_at = now()
    WHERE id = s.account_id;
  END IF;
  RETURN retry;
END $$;

-- A replies run with nothing to fetch. With no own posts yet (a new
-- account), look again soon: they may be arriving. Otherwise every thread
-- left was refused (ingest.refuse_thread): the walk is over.
CREATE OR REPLACE FUNCTION ingest.finish_run(p_stream bigint, p_owner text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s ingest.stream := ingest.own_lease(p_stream, p_owner);
  a social.account := (SELECT x FROM social.account x WHERE x.id = s.account_id);
  none boolean := NOT EXISTS (SELECT FROM ingest.reply_threads(a.id));
BEGIN
  UPDATE ingest.stream SET state = ingest.reply_walk_over(a.id, s.state),
                           next_run_at = now() + CASE WHEN none THEN least(every, interval '5 seconds')
                                                      ELSE ingest.run_every(s, a) END,
                           lease_owner = NULL, lease_until = NULL, last_success_at = now(),
                           run_started_at = NULL, run_complete = true
  WHERE id = s.id;
END $$;

-- Let the harvester's lease go without recording anything (clean shutdown).
CREATE OR REPLACE FUNCTION ingest.release_stream(p_stream bigint, p_owner text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  UPDATE ingest.stream SET lease_owner = NULL, lease_until = NULL
  WHERE id = p_stream AND lease_owner = p_owner
$$;

-- A restarted harvester takes back the leases its previous life held, so a
-- kill -9 does not leave streams idle until their leases expire.
CREATE OR REPLACE FUNCTION ingest.release_owner(p_owner text) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH r AS (UPDATE ingest.stream SET lease_owner = NULL, lease_until = NULL
             WHERE lease_owner = p_owner RETURNING 1)
  SELECT count(*)::integer FROM r
$$;

-- Wake harvesters (LISTEN parley_jobs) when streams are added or become due
-- by a change from outside; the harvester's own bookkeeping does not notify.
CREATE OR REPLACE FUNCTION ingest.notify_streams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM changed WHERE enabled AND lease_owner IS NULL AND next_run_at <= now()) THEN
    PERFORM pg_notify('parley_jobs', 'streams');
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS stream_insert_notify ON ingest.stream;
DROP TRIGGER IF EXISTS stream_update_notify ON ingest.stream;
CREATE TRIGGER stream_insert_notify AFTER INSERT ON ingest.stream
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ingest.notify_streams();
CREATE TRIGGER stream_update_notify AFTER UPDATE ON ingest.stream
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ingest.notify_streams();

REVOKE ALL ON FUNCTION ingest.lease_streams(text, integer, integer), ingest.record_page(bigint, text, text, text, integer, jsonb, text, jsonb, boolean, integer, timestamptz, integer),
  ingest.record_failure(bigint, text, text, text, timestamptz, jsonb, boolean), ingest.release_stream(bigint, text),
  ingest.release_owner(text), ingest.finish_run(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ingest.lease_streams(text, integer, integer), ingest.record_page(bigint, text, text, text, integer, jsonb, text, jsonb, boolean, integer, timestamptz, integer),
  ingest.record_failure(bigint, text, text, text, timestamptz, jsonb, boolean), ingest.release_stream(bigint, text),
  ingest.release_owner(text), ingest.finish_run(bigint, text) TO parley_harvest;
