-- The harvester's side of the outbox (migration 0011): lease due replies,
-- record what the platform answered. A send is repeated with the same
-- idempotency key until an answer is recorded, so the platform, not a lease,
-- is what keeps a reply from being posted twice.

CREATE OR REPLACE FUNCTION ingest.outbox_max_attempts() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 5 $$;

-- Wait after the n-th failed attempt: 15 s, 30 s, 1 min, 2 min … at most an
-- hour. No jitter: replies are few, and a fixed schedule is what staff see.
CREATE OR REPLACE FUNCTION ingest.outbox_backoff(p_attempts integer) RETURNS interval
LANGUAGE sql IMMUTABLE AS $$
  SELECT least(interval '15 seconds' * 2 ^ greatest(least(p_attempts, 20) - 1, 0), interval '1 hour')
$$;

-- The Bluesky record key of an entry: a TID (13 characters of sortable
-- base32: 53 bits of microseconds, 10 bits of clock id) made from the entry
-- alone, so every attempt writes the same record and a repeat after a crash
-- finds "already exists" instead of posting again. Time: creation time plus
-- id mod 1000 µs (entries made in one transaction share a creation time);
-- clock id: 10 bits of the idempotency key.
CREATE OR REPLACE FUNCTION ingest.outbox_rkey(p_created timestamptz, p_id bigint, p_key uuid) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT string_agg(substr('234567abcdefghijklmnopqrstuvwxyz', ((v >> (5 * i)) & 31)::integer + 1, 1), ''
                    ORDER BY i DESC)
  FROM (SELECT (((extract(epoch FROM p_created) * 1000000)::bigint + p_id % 1000) << 10)
               | (('x' || substr(replace(p_key::text, '-', ''), 1, 8))::bit(32)::integer & 1023) AS v) t,
       generate_series(0, 12) i
$$;

-- The brand's own profile on the platform, when a harvest has stored it.
CREATE OR REPLACE FUNCTION ingest.account_profile(p_account bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT pr.id FROM social.account a
  JOIN social.profile pr ON pr.platform = a.platform AND (pr.external_id = a.external_id OR pr.handle = a.handle)
  WHERE a.id = p_account
  ORDER BY pr.external_id = a.external_id DESC NULLS LAST, pr.id
  LIMIT 1
$$;

-- The {root, parent} strong refs (uri + cid) a Bluesky reply to t needs,
-- from what the normalizer kept of t in raw (its cid, and its own reply refs).
CREATE OR REPLACE FUNCTION ingest.outbox_reply_ref(t social.post) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN t.platform = 'bluesky' THEN jsonb_build_object(
    'parent', jsonb_build_object('uri', t.external_id, 'cid', t.raw->>'cid'),
    'root', coalesce(t.raw->'record'->'reply'->'root', jsonb_build_object('uri', t.external_id, 'cid', t.raw->>'cid')))
  END
$$;

-- Until when an account's replies wait: the platform throttled one of them
-- (sends_held_until), or the token has no request left at all
-- (ingest.token_held_until: a send then would only be refused, and Meta
-- lengthens a block when it is called during one; the last request, which
-- harvesting leaves, is a reply's). NULL: they may go now.
CREATE OR REPLACE FUNCTION ingest.replies_held_until(a social.account) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT greatest(CASE WHEN a.sends_held_until > now() THEN a.sends_held_until END,
                  ingest.token_held_until(a.id, a.platform, 0))
$$;

-- The platform said the account may send no more until p_until (a throttled
-- reply, or an answer saying none is left): its replies wait. At most a
-- day, whatever the platform said. p_token_wide: the token's whole budget is
-- spent (where posting spends the reading budget, the harvest waits too),
-- not only the reply API's own limit; a hold still running keeps its scope.
DROP FUNCTION IF EXISTS ingest.hold_replies(bigint, timestamptz);
CREATE OR REPLACE FUNCTION ingest.hold_replies(p_outbox_id bigint, p_until timestamptz, p_token_wide boolean DEFAULT true)
RETURNS timestamptz LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  UPDATE social.account a SET sends_held_until = greatest(a.sends_held_until, least(p_until, now() + interval '1 day')),
         sends_hold_token_wide = p_token_wide OR coalesce(a.sends_held_until > now() AND a.sends_hold_token_wide, false)
  FROM ingest.outbox o WHERE o.id = p_outbox_id AND a.id = o.account_id AND p_until > now()
  RETURNING a.sends_held_until
$$;

-- The platform ids of the replies other entries than p_id recorded in post
-- t's thread with the words p_body: a lookup for an earlier attempt's reply
-- must not take one of them for p_id's (lookup_may_take in fcgi/adapters.c).
-- The whole thread: Facebook puts a reply to a reply under the top comment.
CREATE OR REPLACE FUNCTION ingest.outbox_taken(p_id bigint, p_body text, t social.post) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(o.external_id), '[]') FROM ingest.outbox o
  WHERE o.in_reply_to IN (SELECT p.id FROM social.post p
                          WHERE p.id = coalesce(t.root_id, t.id) OR p.root_id = coalesce(t.root_id, t.id))
    AND o.id <> p_id AND o.body = p_body AND o.external_id IS NOT NULL
$$;

-- Due entries, leased to p_owner for p_seconds (SKIP LOCKED: two harvesters
-- never get the same entry, nor wait on each other). Each lease counts as an
-- attempt, so an entry whose sends keep dying with the harvester still ends.
-- Entries of paused accounts, of ones that need a new token and of ones
-- whose replies are held (ingest.replies_held_until) wait. An account's
-- replies go one at a time (one leased per call, none while one is being
-- sent), so a throttle or the last request left is known before the next.
-- reply_ref: for Bluesky, the {root, parent} strong refs (uri + cid) a reply
-- record needs (ingest.outbox_reply_ref).
-- target_kind, target_root and target_author (the platform's ids of the
-- answered post's thread root and author) are what Weibo, Instagram and
-- WeChat need to address a reply; tried_before, the attempts before this
-- one (before a retry by staff too), tells the publisher to look for an
-- earlier attempt's reply first;
-- interrupted, that the last attempt ended without anything recorded (its
-- harvester died mid-send), so where nothing can be looked up (WeChat) only
-- staff can tell whether it arrived; taken, the replies a lookup must not
-- take for this one (ingest.outbox_taken).
DROP FUNCTION IF EXISTS ingest.lease_outbox(text, integer, integer);
CREATE FUNCTION ingest.lease_outbox(p_owner text, p_max integer, p_seconds integer DEFAULT 120)
RETURNS TABLE (outbox_id bigint, idempotency_key text, platform text, api_base_url text, access_token text,
               repo text, body text, target text, visibility text, reply_ref jsonb, created_at text, rkey text,
               target_kind text, target_root text, target_author text, tried_before integer, interrupted boolean,
               taken jsonb)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- Leased often enough already, by harvesters that died before an answer.
  UPDATE ingest.outbox o SET state = 'failed', lease_owner = NULL, lease_until = NULL, last_error_at = now(),
         last_error = format('Gave up after %s attempts that got no answer from the platform.', o.attempts)
  WHERE o.state = 'sending' AND (o.lease_until IS NULL OR o.lease_until < now())
    AND o.attempts >= ingest.outbox_max_attempts();
  RETURN QUERY
  WITH candidate AS (
    SELECT o.id, o.account_id, o.next_attempt_at FROM ingest.outbox o
    JOIN social.account a ON a.id = o.account_id
    WHERE o.state IN ('queued', 'sending') AND o.next_attempt_at <= now()
      AND (o.lease_until IS NULL OR o.lease_until < now()) AND a.status = 'active'
      AND ingest.replies_held_until(a) IS NULL
      AND NOT EXISTS (SELECT FROM ingest.outbox s WHERE s.account_id = o.account_id AND s.state = 'sending'
                        AND s.lease_until >= now())
  ), due AS (
    -- the row's own conditions again: locking re-checks them on a row another
    -- harvester leased and committed meanwhile, and so passes it over
    SELECT o.id, o.state AS was FROM ingest.outbox o
    WHERE o.id IN (SELECT DISTINCT ON (account_id) id FROM candidate ORDER BY account_id, next_attempt_at, id)
      AND o.state IN ('queued', 'sending') AND o.next_attempt_at <= now()
      AND (o.lease_until IS NULL OR o.lease_until < now())
    ORDER BY o.next_attempt_at
    LIMIT p_max
    FOR UPDATE OF o SKIP LOCKED
  ), leased AS (
    UPDATE ingest.outbox o SET state = 'sending', attempts = o.attempts + 1, lease_owner = p_owner,
                               lease_until = now() + make_interval(secs => p_seconds)
    FROM due WHERE o.id = due.id
    RETURNING o.*, due.was
  )
  SELECT l.id, l.idempotency_key::text, a.platform, a.api_base_url, c.access_token,
         coalesce(a.external_id, a.handle), l.body, t.external_id, t.visibility,
         ingest.outbox_reply_ref(t),
         to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         ingest.outbox_rkey(l.created_at, l.id, l.idempotency_key),
         t.kind, r.external_id, au.external_id, l.earlier_attempts + l.attempts - 1, l.was = 'sending',
         ingest.outbox_taken(l.id, l.body, t)
  FROM leased l
  JOIN social.account a ON a.id = l.account_id
  JOIN social.post t ON t.id = l.in_reply_to
  LEFT JOIN social.post r ON r.id = t.root_id
  LEFT JOIN social.profile au ON au.id = t.author_id
  LEFT JOIN social.account_credential c ON c.account_id = a.id;
END $$;

-- The platform took the reply: store it as a post of the brand (kind reply,
-- under the post it answers), mark the entry sent and tell the case. Safe to
-- repeat (a second harvester, a retry after a crash): the entry is recorded
-- once, and a reply a harvest stored first is linked, not duplicated. Does
-- not ask for the lease: the platform's answer is the truth either way.
-- p_raw: what the platform answered, kept as the post's raw JSON the way the
-- normalizers keep it (Mastodon: the status without its account; Bluesky:
-- uri, cid and the record, whose reply refs a reply to this reply will need).
CREATE OR REPLACE FUNCTION ingest.outbox_sent(p_id bigint, p_owner text, p_external_id text, p_url text,
                                              p_raw jsonb DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  o ingest.outbox;
  a social.account;
  t social.post;
  author bigint;
  new_post bigint;
  plat text;
BEGIN
  SELECT * INTO o FROM ingest.outbox WHERE id = p_id FOR UPDATE;
  IF o.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = format('no outbox entry %s', p_id);
  END IF;
  IF coalesce(p_external_id, '') = '' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'the platform gave no id for the reply';
  END IF;
  IF o.state = 'sent' THEN
    RETURN o.post_id;
  END IF;
  SELECT * INTO a FROM social.account WHERE id = o.account_id;
  SELECT * INTO t FROM social.post WHERE id = o.in_reply_to;
  plat := coalesce(a.platform, t.platform);   -- (the account may have been deleted meanwhile)
  -- The brand's profile, as the answer shows it (Mastodon: the status's
  -- account; Bluesky: the repo's did in the uri), so the reply has an author.
  IF plat = 'mastodon' AND jsonb_typeof(p_raw->'account') = 'object' AND p_raw->'account' ? 'id' THEN
    PERFORM ingest.upsert_profiles('mastodon', ARRAY[ingest.mastodon_profile(p_raw->'account')]);
  ELSIF plat = 'bluesky' AND a.id IS NOT NULL AND p_external_id LIKE 'at://did:%' THEN
    PERFORM ingest.upsert_profiles('bluesky', ARRAY[ROW(split_part(p_external_id, '/', 3), a.handle,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::ingest.profile_in]);
  END IF;
  author := coalesce((SELECT pr.id FROM social.profile pr WHERE pr.platform = plat
                        AND pr.external_id = CASE plat WHEN 'mastodon' THEN p_raw->'account'->>'id'
                                                             WHEN 'bluesky' THEN split_part(p_external_id, '/', 3) END),
                     ingest.account_profile(a.id));
  p_raw := CASE
    WHEN plat = 'bluesky' THEN jsonb_build_object(
      'uri', p_external_id, 'cid', p_raw->>'cid',
      'record', coalesce(p_raw->'value', jsonb_build_object(
        '$type', 'app.bsky.feed.post', 'text', o.body, 'reply', ingest.outbox_reply_ref(t),
        'createdAt', to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))))
    WHEN jsonb_typeof(p_raw) = 'object' THEN p_raw - 'account'
  END;
  -- the case hears of this reply from the outbox below (who sent it, which
  -- case), not as a brand reply seen on the platform (crm.posts_inserted)
  PERFORM set_config('parley.outbox_post', 'on', true);
  INSERT INTO social.post AS p (platform, external_id, account_id, author_id, kind, body, created_at, url,
                                visibility, parent_id, parent_external_id, root_id, root_external_id, raw)
  VALUES (plat, p_external_id, a.id,
          author, 'reply', o.body,
          coalesce(ingest.iso_ts(p_raw->>'created_at'), ingest.iso_ts(p_raw->'record'->>'createdAt'), now()), p_url, t.visibility, t.id, t.external_id,
          coalesce(t.root_id, CASE WHEN t.parent_external_id IS NULL THEN t.id END),
          coalesce(t.root_external_id, CASE WHEN t.parent_external_id IS NULL THEN t.external_id END),
          p_raw)
  ON CONFLICT (platform, external_id) DO UPDATE SET
    account_id = coalesce(p.account_id, EXCLUDED.account_id),
    author_id = coalesce(p.author_id, EXCLUDED.author_id),
    parent_id = coalesce(p.parent_id, EXCLUDED.parent_id),
    parent_external_id = coalesce(p.parent_external_id, EXCLUDED.parent_external_id),
    url = coalesce(p.url, EXCLUDED.url),
    raw = ingest.merge_raw(EXCLUDED.raw, p.raw),
    updated_at = now()
  RETURNING id INTO new_post;
  PERFORM set_config('parley.outbox_post', '', true);
  UPDATE ingest.outbox SET state = 'sent', external_id = p_external_id, post_id = new_post, sent_at = now(),
                           lease_owner = NULL, lease_until = NULL
  WHERE id = o.id;
  -- The case learns of its answer (response times), when the CRM has the
  -- hook. Its trouble must not undo the record of a reply the platform has.
  IF o.case_id IS NOT NULL AND to_regprocedure('crm.record_outbound(bigint,bigint,bigint,text)') IS NOT NULL THEN
    BEGIN
      EXECUTE 'SELECT crm.record_outbound($1, $2, $3, $4)' USING o.case_id, new_post, o.created_by, o.body;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'outbox entry %: the case was not told of its reply: %', o.id, SQLERRM;
    END;
  END IF;
  RETURN new_post;
END $$;

-- The send did not work. Permanent (the platform refused the reply: a 4xx
-- other than 429, or a platform Parley cannot send to) or out of attempts:
-- failed, with the message for staff. Otherwise queued again after the
-- backoff, or at p_retry_at when the platform said when (throttled: a 429 or
-- a throttling code, which uses up no attempt); the account's other replies
-- then wait as long, instead of each being refused in turn (p_token_wide:
-- see ingest.hold_replies).
-- Returns the entry's new state. PR409 when the lease is no longer p_owner's.
DROP FUNCTION IF EXISTS ingest.outbox_failed(bigint, text, text, boolean, timestamptz);
CREATE OR REPLACE FUNCTION ingest.outbox_failed(p_id bigint, p_owner text, p_message text, p_permanent boolean,
                                                p_retry_at timestamptz DEFAULT NULL, p_token_wide boolean DEFAULT true)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE o ingest.outbox; give_up boolean;
BEGIN
  SELECT * INTO o FROM ingest.outbox WHERE id = p_id AND lease_owner = p_owner AND state = 'sending' FOR UPDATE;
  IF o.id IS NULL THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = format('outbox entry %s is not leased to %s', p_id, p_owner);
  END IF;
  -- a throttled attempt does not count: the platform refused nothing
  give_up := p_permanent OR (p_retry_at IS NULL AND o.attempts >= ingest.outbox_max_attempts());
  UPDATE ingest.outbox SET
    state = CASE WHEN give_up THEN 'failed' ELSE 'queued' END,
    attempts = CASE WHEN p_retry_at IS NOT NULL AND NOT give_up THEN greatest(o.attempts - 1, 0) ELSE o.attempts END,
    next_attempt_at = CASE WHEN give_up THEN next_attempt_at
                           ELSE greatest(least(coalesce(p_retry_at, now() + ingest.outbox_backoff(o.attempts)),
                                               now() + interval '1 day'), now()) END,
    lease_owner = NULL, lease_until = NULL,
    last_error = left(coalesce(nullif(p_message, ''), 'unknown error'), 1000), last_error_at = now()
  WHERE id = o.id;
  IF p_retry_at IS NOT NULL THEN
    PERFORM ingest.hold_replies(o.id, p_retry_at, p_token_wide);
  END IF;
  RETURN CASE WHEN give_up THEN 'failed' ELSE 'queued' END;
END $$;

-- The platform refused the account's token (or it has none): the account
-- needs a new one, as when a stream is refused, with the platform's words;
-- the reply waits for it, queued (lease_outbox passes such accounts over),
-- instead of failing, so it goes out once a token is set. Its attempt still
-- counts: a token that keeps being refused ends it after the last attempt.
CREATE OR REPLACE FUNCTION ingest.outbox_needs_token(p_id bigint, p_owner text, p_message text)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE o ingest.outbox;
BEGIN
  SELECT * INTO o FROM ingest.outbox WHERE id = p_id AND lease_owner = p_owner AND state = 'sending' FOR UPDATE;
  IF o.id IS NULL THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = format('outbox entry %s is not leased to %s', p_id, p_owner);
  END IF;
  UPDATE social.account SET status = 'needs_reauth', status_message = left(p_message, 1000), status_changed_at = now()
  WHERE id = o.account_id AND status = 'active';
  IF o.attempts >= ingest.outbox_max_attempts() THEN
    RETURN ingest.outbox_failed(p_id, p_owner, p_message, true);
  END IF;
  UPDATE ingest.outbox SET state = 'queued', next_attempt_at = now(), lease_owner = NULL, lease_until = NULL,
         last_error = left(coalesce(nullif(p_message, ''), 'unknown error'), 1000), last_error_at = now()
  WHERE id = o.id;
  RETURN 'queued';
END $$;

-- lease_outbox gave back an entry this harvester is still sending (its lease
-- ran out meanwhile): that lease was no new attempt, only a longer one.
CREATE OR REPLACE FUNCTION ingest.outbox_still_sending(p_id bigint, p_owner text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  UPDATE ingest.outbox SET attempts = greatest(attempts - 1, 0)
  WHERE id = p_id AND lease_owner = p_owner AND state = 'sending'
$$;

-- A restarted harvester frees the entries its previous life was sending:
-- they are sent again at once, with the same key.
CREATE OR REPLACE FUNCTION ingest.release_outbox_owner(p_owner text) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH r AS (UPDATE ingest.outbox SET lease_owner = NULL, lease_until = NULL
             WHERE lease_owner = p_owner AND state = 'sending' RETURNING 1)
  SELECT count(*)::integer FROM r
$$;

-- Wake harvesters (LISTEN parley_jobs) when a reply is queued.
CREATE OR REPLACE FUNCTION ingest.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM changed WHERE state = 'queued' AND next_attempt_at <= now()) THEN
    PERFORM pg_notify('parley_jobs', 'outbox');
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS outbox_insert_notify ON ingest.outbox;
CREATE TRIGGER outbox_insert_notify AFTER INSERT ON ingest.outbox
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ingest.notify_outbox();

-- A reply's length as the platform counts it against social.platform's
-- reply_limit. X (twitter-text v3) counts code points of Latin and common
-- punctuation ranges once and every other one (CJK, emoji) twice. X and
-- Mastodon count a link as 23 characters whatever its length, and Mastodon
-- a mention of someone on another server (@name@server) as its @name.
CREATE OR REPLACE FUNCTION ingest.reply_length(p_platform text, p_body text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_platform = 'x' THEN
    (SELECT coalesce(sum(CASE WHEN cp <= 4351 OR cp BETWEEN 8192 AND 8205 OR cp BETWEEN 8208 AND 8223
                                   OR cp BETWEEN 8242 AND 8247 THEN 1 ELSE 2 END), 0)::integer
     FROM (SELECT ascii(c) AS cp FROM regexp_split_to_table(b.counted, '') c) x)
  ELSE length(b.counted) END
  FROM (SELECT CASE WHEN p_platform IN ('x', 'mastodon') THEN
                 regexp_replace(CASE WHEN p_platform = 'mastodon'
                                     THEN regexp_replace(p_body, '(^|[^[:alnum:]_/])(@[[:alnum:]_]+)@[[:alnum:].-]*[[:alnum:]]', '\1\2', 'g')
                                     ELSE p_body END,
                                -- (a sentence's full stop or closing parenthesis after it is not the link's)
                                'https?://[^[:space:]]*[^[:space:].,:;!?)]', repeat('x', 23), 'gi')
               ELSE p_body END AS counted) b
$$;

-- Why no reply to this post can be sent, as a message key, or NULL: pages
-- hide the composer and say why; api.reply refuses with the same reason.
CREATE OR REPLACE FUNCTION ingest.reply_blocked(t social.post) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE
    WHEN a.id IS NULL OR a.platform <> t.platform THEN 'err.reply_no_account'
    WHEN t.deleted_at IS NOT NULL THEN 'err.reply_post_deleted'
    WHEN (SELECT reply_limit FROM social.platform WHERE code = a.platform) IS NULL THEN 'err.reply_platform'
    WHEN NOT EXISTS (SELECT FROM social.account_credential c WHERE c.account_id = a.id) THEN 'err.reply_no_token'
  END
  FROM (SELECT) one LEFT JOIN social.account a ON a.id = t.account_id
$$;
