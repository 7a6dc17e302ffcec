-- Brand accounts and their harvest streams, for admins and marketers.
-- Tokens are write-only here: pages learn only whether one is set.

CREATE FUNCTION api.accounts(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM auth.require('marketer');
  RETURN jsonb_build_object(
    'accounts', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
        'id', a.id, 'platform', a.platform, 'platform_name', pl.name, 'handle', a.handle,
        'display_name', a.display_name, 'api_base_url', a.api_base_url, 'external_id', a.external_id,
        'status', a.status, 'paused', a.status = 'paused', 'needs_reauth', a.status = 'needs_reauth',
        'status_message', a.status_message,
        -- the token's quota spent (platforms that count per token): every stream waits
        'quota_back_at', ingest.token_held_until(a.id, a.platform),
        -- a reply throttled, or no request left at all: the account's replies wait
        'replies_back_at', ingest.replies_held_until(a),
        'has_token', EXISTS (SELECT FROM social.account_credential c WHERE c.account_id = a.id),
        'harvested', pl.harvested,
        -- webhook secrets are write-only too: how many verify now, and since when
        'hook_path', CASE WHEN (SELECT pl.webhooks FROM social.platform pl WHERE pl.code = a.platform)
                          THEN format('/hooks/%s/%s', a.platform, a.id) END,
        'hook_secrets', (SELECT count(*) FROM ingest.webhook_secret w
                         WHERE w.account_id = a.id AND (w.expires_at IS NULL OR w.expires_at > now())),
        'hook_secret_set_at', (SELECT max(w.created_at) FROM ingest.webhook_secret w WHERE w.account_id = a.id),
        'streams', coalesce((
          SELECT jsonb_agg(jsonb_build_object(
            'id', s.id, 'kind', s.kind, 'query', s.query, 'enabled', s.enabled,
            -- none while the account is paused or waits for a new token; while the
            -- token's quota is spent, the stream waits for it
            'next_run_at', CASE WHEN a.status = 'active' AND s.enabled
                                THEN greatest(s.next_run_at, ingest.token_held_until(a.id, a.platform)) END,
            'last_success_at', s.last_success_at,
            -- an error is shown until a later page succeeds, or while a thread
            -- the platform refused is skipped (the stream reads the others)
            'last_error', coalesce(CASE WHEN s.last_error_at >= coalesce(s.last_success_at, '-infinity') THEN s.last_error END,
                                   ingest.skipped_thread_error(s)),
            'last_error_at', s.last_error_at,
            'pages_harvested', s.pages_harvested, 'items_harvested', s.items_harvested,
            -- what the platform last said, until its window resets (then unknown);
            -- where it counts per token and a window is known, the token's count on every stream
            'quota_remaining', CASE WHEN tq.remaining IS NOT NULL THEN tq.remaining
                                    WHEN s.quota_reset_at IS NULL OR s.quota_reset_at > now() THEN s.quota_remaining END,
            'quota_reset_at', CASE WHEN tq.remaining IS NOT NULL THEN tq.reset_at
                                   WHEN s.quota_reset_at > now() THEN s.quota_reset_at END) ORDER BY s.kind, s.query)
          FROM ingest.stream s WHERE s.account_id = a.id), '[]'))
        ORDER BY a.platform, a.handle)
      FROM social.account a JOIN social.platform pl ON pl.code = a.platform
      -- A token's count as its streams last heard it, in the window the
      -- platform named (each stream alone shows only the count its own last
      -- page gave): a token has one window at a time, in which the count
      -- only falls, so the lowest is the latest (as ingest.token_held_until
      -- reads them). Without a named reset (Meta's rolling usage) nothing
      -- says which count is the latest: each stream shows its own.
      LEFT JOIN LATERAL (SELECT min(q.quota_remaining) AS remaining, max(q.quota_reset_at) AS reset_at FROM ingest.stream q
                         WHERE q.account_id = a.id AND q.quota_reset_at > now()) tq
             ON pl.quota_scope = 'token'), '[]'),
    'platforms', (SELECT jsonb_agg(jsonb_build_object('code', code, 'platform', code, 'name', name) ORDER BY name)
                  FROM social.platform));
END $$;

-- An account's API base URL as stored (no trailing slash), or PR422: an
-- http(s) URL, required where Parley harvests the platform. (A helper of
-- api.account_add and api.account_edit, so not in api.)
CREATE OR REPLACE FUNCTION social.account_base_url(p_platform text, p_url text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- required where Parley harvests (the form drops an empty field: NULL);
  -- no spaces or control characters anywhere (they would reach a request line)
  IF coalesce(p_url, '') = '' AND (SELECT harvested FROM social.platform WHERE code = p_platform) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The API base URL is required: Parley reads this platform through it.',
                                 HINT = 'err.account_url_required';
  END IF;
  IF coalesce(p_url, '') !~* '^https?://[^/[:space:][:cntrl:]]+[^[:space:][:cntrl:]]*$'
     AND (coalesce(p_url, '') <> '' OR (SELECT harvested FROM social.platform WHERE code = p_platform)) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The API base URL must start with http:// or https://.',
                                 HINT = 'err.account_url';
  END IF;
  -- a user name or password in the URL would be shown on every page that
  -- lists the account; a query or fragment is not a base; a port is 1-65535
  IF p_url ~ '[?#]'
     OR substring(p_url FROM '^[A-Za-z]+://([^/]*)') !~ '^([^:@\[\]]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$'
     OR substring(p_url FROM '^[A-Za-z]+://[^/]*:([0-9]{1,5})(/|$)')::integer NOT BETWEEN 1 AND 65535 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The API base URL has no user name, password, query or fragment, and a port is 1 to 65535.',
                                 HINT = 'err.account_url_parts';
  END IF;
  -- the scheme in lower case ("HTTPS://" as typed): the token check compares origins
  RETURN rtrim(lower(substring(p_url FROM '^[A-Za-z]+')) || substring(p_url FROM '^[A-Za-z]+(.*)$'), '/');
END $$;

-- Text-direction overrides, embeddings and isolates (U+202A-U+202E,
-- U+2066-U+2069), as a regular expression: U+202E and its kind reorder the
-- text around them wherever it is shown. (The plain marks U+200E, U+200F and
-- U+061C reorder nothing around them; right-to-left text needs them.)
CREATE OR REPLACE FUNCTION social.direction_override_class() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '[\u202a-\u202e\u2066-\u2069]'
$$;

-- Control characters a written text (a reply, a note) may not hold: all but
-- line breaks and tabs, which are text.
CREATE OR REPLACE FUNCTION social.text_control_class() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]'
$$;

-- Whether text has control or text-direction characters, the marks too (a
-- name has no use for them).
CREATE OR REPLACE FUNCTION social.has_hidden_chars(p_text text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_text ~ '[[:cntrl:]\u061c\u200e\u200f]' OR p_text ~ social.direction_override_class()
$$;

-- A name shown to staff (a handle, a display name) without such characters, or PR422.
CREATE OR REPLACE FUNCTION social.check_shown_name(p_name text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF social.has_hidden_chars(p_name) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Names, titles, handles, subjects and tags cannot contain control or text-direction characters.',
                                 HINT = 'err.account_chars';
  END IF;
END $$;

-- A token or secret as pasted: one word of visible ASCII, no spaces or control characters
-- (a stray space would only show as a refused request later), or PR422.
CREATE OR REPLACE FUNCTION social.check_secret(p_value text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_value ~ '[^!-~]' THEN   -- platforms' tokens are visible ASCII
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A token or secret is one word of visible ASCII characters, without spaces: paste it again.',
                                 HINT = 'err.secret_chars';
  END IF;
END $$;

-- Every change to an account takes its streams' rows first, in id order:
-- a harvester recording a page holds its stream's row from the start
-- (ingest.own_lease) and the account's after, so taking the account first
-- could meet it in the other order (a deadlock).
CREATE OR REPLACE FUNCTION social.lock_account_streams(p_account bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM FROM ingest.stream WHERE account_id = p_account ORDER BY id FOR UPDATE;
END $$;

-- A new account with its token and the default streams: mentions, own posts,
-- replies under them, followers, and one search per keyword (comma-separated).
CREATE FUNCTION api.account_add(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer'); new_id bigint;
        -- the search keywords, comma-separated as typed: each is a stream
        keywords text[] := ARRAY(SELECT DISTINCT btrim(q) FROM unnest(string_to_array(coalesce(p->>'keywords', ''), ',')) q
                                 WHERE btrim(q) <> '');
BEGIN
  IF ltrim(normalize(btrim(coalesce(p->>'handle', '')), NFKC), '@') = '' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The handle is required.', HINT = 'err.account_handle';
  -- (nor invisible ones: zero-width spaces and joiners, word joiner, BOM, soft hyphen,
  -- Hangul fillers, variation selectors, tags, which would make a second "lumen" look
  -- like the first)
  ELSIF btrim(p->>'handle') ~ '[[:space:]\u00ad\u034f\u115f\u1160\u180e\u200b-\u200d\u2060-\u2064\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A handle has no spaces or invisible characters (the display name may have spaces).',
                                 HINT = 'err.account_handle_space';
  -- ("lumen@" is lumen half-typed: a second account beside it)
  ELSIF normalize(btrim(p->>'handle'), NFKC) ~ '@$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A handle does not end with @: give the name after the @, or the whole name@server.',
                                 HINT = 'err.account_handle_at';
  END IF;
  PERFORM social.check_shown_name(p->>'handle'), social.check_shown_name(p->>'display_name'),
          social.check_secret(p->>'token');
  IF EXISTS (SELECT FROM unnest(keywords) q WHERE length(q) > 200) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Each search keyword is at most 200 characters.', HINT = 'err.keyword_long';
  END IF;
  IF cardinality(keywords) > 20 THEN   -- (each harvested on the account's quota)
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'An account searches at most 20 keywords; listening rules search more.',
                                 HINT = 'err.keywords_many';
  END IF;
  IF cardinality(keywords) > 0 AND NOT coalesce((SELECT searchable AND harvested FROM social.platform WHERE code = p->>'platform'), true) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Parley cannot search this platform for keywords: leave the keywords empty.',
                                 HINT = 'err.keywords_unsearchable';
  END IF;
  IF social.has_hidden_chars(p->>'keywords') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Search keywords cannot contain control or text-direction characters.',
                                 HINT = 'err.keyword_chars';
  END IF;
  INSERT INTO social.account (platform, handle, display_name, api_base_url, external_id)
  -- (stored in its plain form: ＠ｌｕｍｅｎ is @lumen, is lumen)
  VALUES (p->>'platform', ltrim(normalize(btrim(p->>'handle'), NFKC), '@'), coalesce(p->>'display_name', ''),
          social.account_base_url(p->>'platform', p->>'api_base_url'), social.account_external_id(p->>'external_id'))
  RETURNING id INTO new_id;
  IF coalesce(p->>'token', '') <> '' THEN
    INSERT INTO social.account_credential (account_id, access_token) VALUES (new_id, p->>'token');
  END IF;
  -- platforms that only push (WeChat, the brand's own systems) get no streams,
  -- those without keyword search (Facebook, Weibo) no search streams
  INSERT INTO ingest.stream (account_id, kind, query)
  SELECT new_id, s.kind, s.query FROM (
    SELECT k, '' FROM unnest(ARRAY['mentions', 'own_posts', 'replies', 'followers']) k
    UNION ALL
    SELECT 'search', q FROM unnest(keywords) q
    WHERE (SELECT searchable FROM social.platform WHERE code = p->>'platform')) AS s(kind, query)
  WHERE (SELECT harvested FROM social.platform WHERE code = p->>'platform');
  UPDATE ingest.stream s SET every = pl.replies_every
  FROM social.platform pl
  WHERE s.account_id = new_id AND s.kind = 'replies' AND pl.code = p->>'platform' AND pl.replies_every IS NOT NULL;
  PERFORM listen.sync_search_streams();   -- keyword rules in scope search this account too
  PERFORM auth.audit('account_added', st.id, jsonb_build_object('account', new_id));
  RETURN jsonb_build_object('id', new_id);
EXCEPTION WHEN unique_violation THEN
  RAISE SQLSTATE 'PR409' USING MESSAGE = 'That account is already connected.', HINT = 'err.account_exists';
WHEN foreign_key_violation THEN
  RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown platform.', HINT = 'err.unknown_platform';
END $$;

-- Change an account's display name, API base URL (an instance that moved)
-- or platform id. With another URL or id its streams start over from the
-- top at once: positions and quota from the old ones mean nothing there, and
-- a page being read from the old one is not recorded (its lease is taken).
CREATE FUNCTION api.account_edit(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer'); old social.account; new social.account; dropped boolean;
BEGIN
  PERFORM social.lock_account_streams((p->>'id')::bigint);
  SELECT * INTO old FROM social.account WHERE id = (p->>'id')::bigint FOR UPDATE;
  IF old.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such account.', HINT = 'err.no_account';
  END IF;
  PERFORM social.check_shown_name(p->>'display_name');
  -- the edit form sends every field, and drops one left empty: that clears it
  UPDATE social.account SET display_name = coalesce(p->>'display_name', ''),
         api_base_url = social.account_base_url(platform, p->>'api_base_url'),
         external_id = social.account_external_id(p->>'external_id')
  WHERE id = old.id RETURNING * INTO new;
  -- A token goes only to the server that issued it: another scheme, host or
  -- port drops it, and the account waits for a token from the new server.
  DELETE FROM social.account_credential WHERE account_id = old.id
    AND lower(substring(new.api_base_url FROM '^https?://[^/]+'))
        IS DISTINCT FROM lower(substring(old.api_base_url FROM '^https?://[^/]+'));
  dropped := FOUND;
  IF dropped THEN
    UPDATE social.account SET status = 'needs_reauth', status_changed_at = now(),
           status_message = 'The API base URL names another server: set a token from that server.'
    WHERE id = old.id;
  END IF;
  IF (new.api_base_url, new.external_id) IS DISTINCT FROM (old.api_base_url, old.external_id) THEN
    UPDATE ingest.stream SET state = '{}', next_run_at = now(), errors_in_row = 0, quota_remaining = NULL,
                             quota_reset_at = NULL, run_started_at = NULL, run_complete = true, last_walk_seen = NULL,
                             lease_owner = NULL, lease_until = NULL
    WHERE account_id = old.id;
  END IF;
  PERFORM auth.audit('account_edited', st.id, jsonb_strip_nulls(jsonb_build_object('account', old.id,
    'api_base_url', CASE WHEN new.api_base_url IS DISTINCT FROM old.api_base_url
                         THEN coalesce(old.api_base_url, '') || ' → ' || coalesce(new.api_base_url, '') END,
    'external_id', CASE WHEN new.external_id IS DISTINCT FROM old.external_id
                        THEN coalesce(old.external_id, '') || ' → ' || coalesce(new.external_id, '') END,
    'token_dropped', CASE WHEN dropped THEN true END)));
  RETURN jsonb_build_object('id', old.id);
EXCEPTION WHEN unique_violation THEN
  RAISE SQLSTATE 'PR409' USING MESSAGE = 'That account is already connected.', HINT = 'err.account_exists';
END $$;

-- An account's platform id as typed (NULL when empty), or PR422: the ids
-- platforms give are letters, digits and a few marks (a Bluesky DID, a
-- WeChat gh_ id); anything else would only break the harvest's URLs.
CREATE OR REPLACE FUNCTION social.account_external_id(p_id text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF btrim(coalesce(p_id, '')) = '' THEN
    RETURN NULL;
  ELSIF btrim(p_id) !~ '^[A-Za-z0-9:._@-]{1,200}$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The platform id is letters, digits and . _ : @ - only.',
                                 HINT = 'err.account_external_id';
  END IF;
  RETURN btrim(p_id);
END $$;

-- Pause or resume harvesting an account.
CREATE FUNCTION api.account_status(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer'); done bigint;
BEGIN
  PERFORM social.lock_account_streams((p->>'id')::bigint);
  -- Resuming clears the account's warning, except that a token is missing
  -- (one dropped when the API moved to another server) while the account has none.
  UPDATE social.account a SET status = p->>'status', status_changed_at = now(),
         status_message = CASE WHEN p->>'status' = 'active'
                                    AND EXISTS (SELECT FROM social.account_credential c WHERE c.account_id = a.id)
                               THEN NULL ELSE status_message END
  WHERE id = (p->>'id')::bigint AND (status <> 'needs_reauth' OR p->>'status' = 'paused')
    -- paused while it needed a token, it still does until one is set
    AND NOT (p->>'status' = 'active' AND status_message IS NOT NULL
             AND NOT EXISTS (SELECT FROM social.account_credential c WHERE c.account_id = a.id))
  RETURNING id INTO done;
  IF done IS NULL AND EXISTS (SELECT FROM social.account WHERE id = (p->>'id')::bigint) THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'The account needs a new token before it can harvest again.',
                                 HINT = 'err.account_needs_token';
  ELSIF done IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such account.', HINT = 'err.no_account';
  END IF;
  -- resumed: its streams are due now (one paused while it needed a token
  -- had them put off; the harvester finds out again whether the token works)
  IF p->>'status' = 'active' THEN
    UPDATE ingest.stream SET next_run_at = least(next_run_at, now()) WHERE account_id = done;
  END IF;
  PERFORM auth.audit('account_' || (p->>'status'), st.id, jsonb_build_object('account', done));
  RETURN jsonb_build_object('id', done, 'status', p->>'status');
END $$;

-- A new token (re-authorization): an account that needed one harvests again
-- at once; a paused one stays paused.
CREATE FUNCTION api.account_token(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer'); acc bigint;
BEGIN
  PERFORM social.check_secret(p->>'token'), social.lock_account_streams((p->>'id')::bigint);
  -- (a paused account's warning is one from before it was paused, that it
  -- needed a token: the new one answers it too)
  UPDATE social.account SET status = CASE WHEN status = 'needs_reauth' THEN 'active' ELSE status END,
         status_message = CASE WHEN status IN ('needs_reauth', 'paused') THEN NULL ELSE status_message END,
         status_changed_at = CASE WHEN status = 'needs_reauth' THEN now() ELSE status_changed_at END
  WHERE id = (p->>'id')::bigint RETURNING id INTO acc;
  IF acc IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such account.', HINT = 'err.no_account';
  END IF;
  INSERT INTO social.account_credential (account_id, access_token) VALUES (acc, p->>'token')
  ON CONFLICT (account_id) DO UPDATE SET access_token = EXCLUDED.access_token, updated_at = now();
  -- (threads refused with the old token are asked for again)
  UPDATE ingest.stream SET next_run_at = now(), errors_in_row = 0, state = state - 'refused' WHERE account_id = acc;
  PERFORM auth.audit('account_token_set', st.id, jsonb_build_object('account', acc));
  RETURN jsonb_build_object('id', acc);
END $$;

CREATE FUNCTION api.account_delete(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('admin'); gone bigint;
BEGIN
  PERFORM social.lock_account_streams((p->>'id')::bigint);   -- (a page being recorded is let finish)
  -- its replies stay on record; those not sent yet never will be (one being
  -- sent right now is left to its publisher, which records how it went)
  UPDATE ingest.outbox SET state = 'failed', lease_owner = NULL, lease_until = NULL, last_error_at = now(),
         last_error = 'The brand account was deleted before the reply was sent.'
  WHERE account_id = (p->>'id')::bigint
    AND (state = 'queued' OR (state = 'sending' AND (lease_until IS NULL OR lease_until < now())));
  DELETE FROM social.account WHERE id = (p->>'id')::bigint RETURNING id INTO gone;
  IF gone IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such account.', HINT = 'err.no_account';
  END IF;
  PERFORM auth.audit('account_deleted', st.id, jsonb_build_object('account', gone));
  RETURN jsonb_build_object('id', gone);
END $$;

-- Pages that could not be normalized, newest first (keyset by id).
CREATE FUNCTION api.quarantine(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE rows jsonb;
BEGIN
  PERFORM auth.require('marketer');
  SELECT coalesce(jsonb_agg(q ORDER BY (q->>'id')::bigint DESC), '[]') INTO rows FROM (
    SELECT jsonb_build_object('id', q.id, 'platform', q.platform, 'endpoint', q.endpoint, 'error', q.error,
                              'sqlstate', q.sqlstate, 'created_at', q.created_at, 'retried_at', q.retried_at,
                              -- the kind of fault in the page's language; the parser's own words
                              -- (English, from PostgreSQL or a normalizer) stay beside it as the detail
                              'reason', ingest.quarantine_reason(q.sqlstate, q.error),
                              'detail', CASE WHEN q.error LIKE 'missing or invalid field: %'
                                             THEN substr(q.error, length('missing or invalid field: ') + 1) ELSE q.error END,
                              'request_url', coalesce(r.request_url, 'webhook delivery ' || w.delivery_id),
                              'body_bytes', octet_length(coalesce(r.body, w.body)),
                              'body_start', left(coalesce(r.body, w.payload, w.body), 300)) AS q
    FROM ingest.quarantine q
    LEFT JOIN ingest.raw_page r ON r.id = q.raw_page_id
    LEFT JOIN ingest.webhook_inbox w ON w.id = q.webhook_id
    WHERE q.resolved_at IS NULL AND q.id < coalesce((p->>'before')::bigint, 9223372036854775807)
    ORDER BY q.id DESC LIMIT 50) x;
  RETURN jsonb_build_object('pages', rows,
    'next_before', CASE WHEN jsonb_array_length(rows) = 50 THEN rows->49->'id' END);
END $$;

CREATE FUNCTION api.quarantine_retry(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer'); result jsonb;
BEGIN
  -- (one retried from two tabs at once: the second hears it was done)
  IF NOT EXISTS (SELECT FROM ingest.quarantine WHERE id = (p->>'id')::bigint) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such quarantined page.', HINT = 'err.no_quarantine';
  ELSIF NOT EXISTS (SELECT FROM ingest.quarantine WHERE id = (p->>'id')::bigint AND resolved_at IS NULL) THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'This page was already normalized.', HINT = 'err.quarantine_resolved';
  END IF;
  result := (SELECT CASE WHEN q.webhook_id IS NULL THEN ingest.retry_quarantined(q.id)
                         ELSE ingest.retry_quarantined_webhook(q.webhook_id) END
             FROM ingest.quarantine q WHERE q.id = (p->>'id')::bigint);
  PERFORM auth.audit('quarantine_retried', st.id, jsonb_build_object('quarantine', p->>'id'));
  RETURN result;
END $$;

-- Set or rotate an account's webhook secret (admins only). The secrets it
-- replaces keep verifying for overlap_hours, so the sender can switch over.
CREATE FUNCTION api.webhook_secret_set(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('admin'); acc social.account; new_id bigint;
BEGIN
  SELECT * INTO acc FROM social.account WHERE id = (p->>'id')::bigint;
  IF NOT FOUND THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such account.', HINT = 'err.no_account';
  END IF;
  IF NOT (SELECT pl.webhooks FROM social.platform pl WHERE pl.code = acc.platform) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Parley takes no webhooks from this platform: its posts come by harvesting.',
                                 HINT = 'err.no_webhooks';
  END IF;
  PERFORM social.check_secret(p->>'secret'), social.check_secret(p->>'verify_token'), social.check_secret(p->>'app_id');
  -- Standard Webhooks (commerce) signs with the key the secret encodes: one
  -- that does not decode would make every delivery fail (hs_standard_verify)
  IF acc.platform = 'commerce' AND (p->>'secret' !~ '^(whsec_)?([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$'
                                    OR length(decode(regexp_replace(p->>'secret', '^whsec_', ''), 'base64')) NOT BETWEEN 24 AND 64) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'This secret is whsec_ and then base64 of 24 to 64 bytes, as the sender shows it.',
                                 HINT = 'err.webhook_secret_standard';
  END IF;
  IF coalesce(p->>'aes_key', '') !~ '^([A-Za-z0-9+/]{43})?$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The EncodingAESKey is 43 letters, digits, + or /.',
                                 HINT = 'err.aes_key';
  END IF;
  new_id := ingest.rotate_webhook_secret(acc.id, p->>'secret', p->>'verify_token', p->>'aes_key', p->>'app_id',
                                         make_interval(hours => coalesce((p->>'overlap_hours')::integer, 24)));
  PERFORM auth.audit('webhook_secret_set', st.id, jsonb_build_object('account', acc.id, 'secret', new_id));
  RETURN jsonb_build_object('id', acc.id);
END $$;
