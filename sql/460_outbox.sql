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

-- The platform id of the comment directly under the thread's root that post
-- t replies under, when t is a reply to a comment (else NULL): Graph keeps
-- two levels and files a reply to a reply under that top comment. The walk
-- up goes as far as the parents are stored (the brand's own reply to a reply
-- hangs one level deeper until a harvest reads Graph's parent for it).
CREATE OR REPLACE FUNCTION ingest.outbox_top_comment(t social.post) RETURNS text
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE up(external_id, parent, depth) AS (
    SELECT t.external_id, t.parent_external_id, 0 WHERE t.root_external_id IS NOT NULL
    UNION ALL
    SELECT p.external_id, p.parent_external_id, up.depth + 1
    FROM up JOIN social.post p ON p.platform = t.platform AND p.external_id = up.parent
    WHERE up.parent <> t.root_external_id AND up.depth < 10
  )
  SELECT CASE WHEN parent = t.root_external_id THEN nullif(external_id, t.external_id) ELSE parent END
  FROM up ORDER BY depth DESC LIMIT 1
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
-- take for this one (ingest.outbox_taken); target_top, the top comment
-- Graph files a reply to a reply under (ingest.outbox_top_comment).
DROP FUNCTION IF EXISTS ingest.lease_outbox(text, integer, integer);
CREATE FUNCTION ingest.lease_outbox(p_owner text, p_max integer, p_seconds integer DEFAULT 120)
RETURNS TABLE (outbox_id bigint, idempotency_key text, platform text, api_base_url text, access_token text,
               repo text, body text, target text, visibility text, reply_ref jsonb, created_at text, rkey text,
               target_kind text, target_root text, target_author text, tried_before integer, interrupted boolean,
               taken jsonb, target_top text)
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
         ingest.outbox_taken(l.id, l.body, t), ingest.outbox_top_comment(t)
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

-- A text's extended grapheme clusters (UAX #29), what people see as one
-- character and Bluesky and Mastodon count as one: 👩‍👩‍👧‍👦, 👍🏽, 🇨🇳 (two
-- regional indicators), 1️⃣, é written e + U+0301, a Hangul syllable written
-- in jamo, CR LF. One regular expression, taking the longest match: a base
-- and what extends it (combining marks of the common scripts, variation
-- selectors, skin tones, ZWJ, emoji tags), emoji joined by ZWJ, a pair of
-- regional indicators, a Hangul syllable. An approximation that, where it is
-- not exact, counts more: a mark it does not know counts on its own.
CREATE OR REPLACE FUNCTION ingest.grapheme_pattern() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT format('\r\n|[%7$s]*(?:[%1$s]{2}|[%3$s]*(?:[%4$s]+|[%5$s])[%6$s]*|[%3$s]+|[%6$s]+'
                '|[%8$s](?:[%10$s]*\u200d[%8$s])*|[^%9$s])[%2$s]*|.',
                ri, ext, l, v, syllable, t, prepend, pict, control, emoji_ext)
  FROM (SELECT
    '\U0001f1e6-\U0001f1ff' AS ri,
    -- Extend, SpacingMark and ZWJ
    '\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a\u064b-\u065f\u0670'
    '\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0711\u0730-\u074a\u07a6-\u07b0\u07eb-\u07f3\u07fd'
    '\u0816-\u0819\u081b-\u0823\u0825-\u0827\u0829-\u082d\u0859-\u085b\u0898-\u089f\u08ca-\u08e1\u08e3-\u0903'
    '\u093a-\u093c\u093e-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc\u09be-\u09cd\u09d7\u09e2\u09e3\u09fe'
    '\u0a01-\u0a03\u0a3c\u0a3e-\u0a4d\u0a51\u0a70\u0a71\u0a75\u0a81-\u0a83\u0abc\u0abe-\u0acd\u0ae2\u0ae3\u0afa-\u0aff'
    '\u0b01-\u0b03\u0b3c\u0b3e-\u0b4d\u0b55-\u0b57\u0b62\u0b63\u0b82\u0bbe-\u0bcd\u0bd7\u0c00-\u0c04\u0c3c\u0c3e-\u0c4d'
    '\u0c55\u0c56\u0c62\u0c63\u0c81-\u0c83\u0cbc\u0cbe-\u0ccd\u0cd5\u0cd6\u0ce2\u0ce3\u0cf3\u0d00-\u0d03\u0d3b\u0d3c'
    '\u0d3e-\u0d4d\u0d57\u0d62\u0d63\u0d81-\u0d83\u0dca\u0dcf-\u0ddf\u0df2\u0df3\u0e31\u0e33-\u0e3a\u0e47-\u0e4e'
    '\u0eb1\u0eb3-\u0ebc\u0ec8-\u0ece\u0f18\u0f19\u0f35\u0f37\u0f39\u0f3e\u0f3f\u0f71-\u0f84\u0f86\u0f87\u0f8d-\u0fbc'
    '\u0fc6\u102d-\u1037\u1039-\u103e\u1056-\u1059\u105e-\u1060\u1071-\u1074\u1082\u1084-\u1086\u108d\u109d'
    '\u135d-\u135f\u1712-\u1715\u1732-\u1734\u1752\u1753\u1772\u1773\u17b4-\u17d3\u17dd\u180b-\u180d'
    '\u180f\u1885\u1886\u18a9\u1920-\u192b\u1930-\u193b\u1a17-\u1a1b\u1a55-\u1a5e\u1a60\u1a62\u1a65-\u1a7c'
    '\u1a7f\u1ab0-\u1ace\u1b00-\u1b04\u1b34-\u1b44\u1b6b-\u1b73\u1b80-\u1b82\u1ba1-\u1bad\u1be6-\u1bf3\u1c24-\u1c37'
    '\u1cd0-\u1cd2\u1cd4-\u1ce8\u1ced\u1cf4\u1cf7-\u1cf9\u1dc0-\u1dff\u200c\u200d\u20d0-\u20f0\u2cef-\u2cf1\u2d7f'
    '\u2de0-\u2dff\u302a-\u302f\u3099\u309a'
    '\ua66f-\ua672\ua674-\ua67d\ua69e\ua69f\ua6f0\ua6f1\ua802\ua806\ua80b\ua823-\ua827\ua82c\ua880\ua881'
    '\ua8b4-\ua8c5\ua8e0-\ua8f1\ua8ff\ua926-\ua92d\ua947-\ua953\ua980-\ua983\ua9b3-\ua9c0\ua9e5\uaa29-\uaa36'
    '\uaa43\uaa4c\uaa4d\uaa7c\uaab0\uaab2-\uaab4\uaab7\uaab8\uaabe\uaabf\uaac1\uaaeb-\uaaef\uaaf5\uaaf6'
    '\uabe3-\uabea\uabec\uabed\ufb1e\ufe00-\ufe0f\ufe20-\ufe2f\uff9e\uff9f\U0001d165-\U0001d169\U0001d16d-\U0001d172'
    '\U0001d17b-\U0001d182\U0001d185-\U0001d18b\U0001d1aa-\U0001d1ad\U0001e8d0-\U0001e8d6\U0001e944-\U0001e94a'
    '\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\U000e0100-\U000e01ef' AS ext,
    -- Hangul jamo: leading consonants, vowels, trailing consonants; syllables
    -- (a syllable is not joined to a vowel jamo after it: right for LVT ones
    -- like 각, one too many for LV ones like 가, never typed that way)
    '\u1100-\u115f\ua960-\ua97c' AS l, '\u1160-\u11a7\ud7b0-\ud7c6' AS v, '\u11a8-\u11ff\ud7cb-\ud7fb' AS t,
    '\uac00-\ud7a3' AS syllable,
    '\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u0d4e\U000110bd\U000110cd' AS prepend,
    -- what may come between an emoji and the ZWJ joining it to the next
    '\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f' AS emoji_ext,
    -- Extended_Pictographic: the emoji ZWJ joins
    '\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u2388\u23cf\u23e9-\u23f3'
    '\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u2605\u2607-\u2612\u2614-\u2685\u2690-\u2705'
    '\u2708-\u2712\u2714\u2716\u271d\u2721\u2728\u2733\u2734\u2744\u2747\u274c\u274e\u2753-\u2755\u2757\u2763-\u2767'
    '\u2795-\u2797\u27a1\u27b0\u27bf\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299'
    '\U0001f000-\U0001f0ff\U0001f10d-\U0001f10f\U0001f12f\U0001f16c-\U0001f171'
    '\U0001f17e\U0001f17f\U0001f18e\U0001f191-\U0001f19a\U0001f1ad-\U0001f1e5\U0001f201-\U0001f20f\U0001f21a'
    '\U0001f22f\U0001f232-\U0001f23a\U0001f23c-\U0001f23f\U0001f249-\U0001f3fa\U0001f400-\U0001f53d'
    '\U0001f546-\U0001f64f\U0001f680-\U0001f6ff\U0001f774-\U0001f77f\U0001f7d5-\U0001f7ff\U0001f80c-\U0001f80f'
    '\U0001f848-\U0001f84f\U0001f85a-\U0001f85f\U0001f888-\U0001f88f\U0001f8ae-\U0001f8ff\U0001f90c-\U0001f93a'
    '\U0001f93c-\U0001f945\U0001f947-\U0001faff\U0001fc00-\U0001fffd' AS pict,
    -- Control, CR and LF: a cluster of their own
    '\x01-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff0-\ufffb'
    '\U0001d173-\U0001d17a\U000e0000-\U000e001f\U000e0080-\U000e00ff\U000e01f0-\U000e0fff' AS control) c
$$;

CREATE OR REPLACE FUNCTION ingest.graphemes(p_text text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT m[1] FROM regexp_matches(p_text, ingest.grapheme_pattern(), 'g') m
$$;

-- A reply's length as the platform counts it against social.platform's
-- reply_limit. Bluesky and Mastodon count grapheme clusters. X (twitter-text
-- v3) counts code points of Latin and common punctuation ranges once and
-- every other one (CJK, emoji) twice, after NFC, and an emoji sequence
-- (👍🏽, 🇨🇳, 1️⃣, ZWJ-joined) twice in all. X and Mastodon count a link as
-- 23 characters whatever its length, and Mastodon a mention of someone on
-- another server (@name@server) as its @name.
CREATE OR REPLACE FUNCTION ingest.reply_length(p_platform text, p_body text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_platform = 'x' THEN
    (SELECT coalesce(sum(CASE
              WHEN g ~ ('^(?:[0-9#*]|[^\x01-\x7f])(?:[\ufe0f\u20e3\U0001f1e6-\U0001f1ff\U0001f3fb-\U0001f3ff'
                        '\U000e0020-\U000e007f]|\u200d.)') THEN 2   -- an emoji sequence
              ELSE (SELECT sum(CASE WHEN cp <= 4351 OR cp BETWEEN 8192 AND 8205 OR cp BETWEEN 8208 AND 8223
                                         OR cp BETWEEN 8242 AND 8247 THEN 1 ELSE 2 END)
                    FROM (SELECT ascii(c) AS cp FROM regexp_split_to_table(g, '') c) x) END), 0)::integer
     FROM ingest.graphemes(normalize(b.counted, NFC)) g)
  WHEN p_platform IN ('bluesky', 'mastodon') THEN (SELECT count(*)::integer FROM ingest.graphemes(b.counted))
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
