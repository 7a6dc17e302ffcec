-- Replies from staff to a post, through the outbox (sql/460): queue one,
-- queue a failed one again, list them for a post or a case.

-- An outbox entry as pages show it (a helper of api.outbox, so not in api).
CREATE OR REPLACE FUNCTION ingest.outbox_json(o ingest.outbox) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT jsonb_build_object(
    'id', o.id, 'state', o.state, 'body', o.body, 'attempts', o.attempts,
    'error', CASE WHEN o.state <> 'sent' THEN o.last_error END, 'error_at', o.last_error_at,
    'next_attempt_at', CASE WHEN o.state = 'queued' THEN greatest(o.next_attempt_at, h.held_until) END,
    -- the platform's limit holds the account's replies past this one's own time
    'held_until', CASE WHEN o.state = 'queued' AND h.held_until > o.next_attempt_at THEN h.held_until END,
    'external_id', o.external_id, 'url', social.web_url(r.url), 'reply_post_id', o.post_id,
    'post_id', o.in_reply_to, 'case_id', o.case_id,
    'account', CASE WHEN a.id IS NOT NULL THEN   -- none: the account was deleted since
                 jsonb_build_object('id', a.id, 'platform', a.platform, 'handle', a.handle, 'status', a.status) END,
    'staff', CASE WHEN s.id IS NOT NULL THEN jsonb_build_object('id', s.id, 'username', s.username,
                                                                 'name', s.display_name) END,
    'created_at', o.created_at, 'sent_at', o.sent_at,
    'queued', o.state = 'queued', 'sending', o.state = 'sending', 'sent', o.state = 'sent',
    'failed', o.state = 'failed', 'can_retry', o.state = 'failed' AND a.id IS NOT NULL,
    -- why a queued reply is not being sent (the publisher skips such accounts)
    'waits_paused', o.state = 'queued' AND a.status = 'paused',
    'waits_reauth', o.state = 'queued' AND a.status = 'needs_reauth')
  FROM (SELECT) one
  LEFT JOIN social.account a ON a.id = o.account_id
  CROSS JOIN LATERAL (SELECT CASE WHEN a.id IS NOT NULL THEN ingest.replies_held_until(a) END AS held_until) h
  LEFT JOIN auth.staff s ON s.id = o.created_by
  LEFT JOIN social.post r ON r.id = o.post_id
$$;

-- Queue a reply to a post, sent from the brand account that received it.
-- p: {"post_id", "body", "case_id" (optional: else the newest open case
-- about the post, if any), "idempotency_key" (optional uuid: the form's, so a
-- double submit queues one reply)}. Returns {"outbox_id", "state"}.
CREATE FUNCTION api.reply(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
<<reply>>
DECLARE
  st auth.staff := auth.require('agent');
  t social.post;
  a social.account;
  lim integer;
  len integer;
  body text := btrim(coalesce(p->>'body', ''), E' \t\r\n');
  placeholder text := substring(body FROM '\{\{\s*(?:contact|case|agent|brand)\.[a-z_]+\s*\}\}');
  the_case bigint; case_state text;
  key uuid;
  o ingest.outbox;
BEGIN
  IF coalesce(p->>'post_id', '') !~ '^\d{1,19}$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose the post to reply to.', HINT = 'err.reply_post';
  END IF;
  IF body ~ social.text_control_class() THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A reply cannot contain control characters.', HINT = 'err.reply_chars';
  END IF;
  IF body ~ social.direction_override_class() THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A reply cannot contain text-direction overrides (U+202A to U+202E, U+2066 to U+2069).',
                                 HINT = 'err.reply_direction';
  END IF;
  SELECT * INTO t FROM social.post WHERE id = (p->>'post_id')::bigint;
  IF t.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such post.', HINT = 'err.no_post';
  END IF;
  IF coalesce(p->>'idempotency_key', '') <> '' THEN
    IF p->>'idempotency_key' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'The form is malformed; reload the page and try again.',
                                   HINT = 'err.form_reload';
    END IF;
    key := (p->>'idempotency_key')::uuid;
    SELECT * INTO o FROM ingest.outbox WHERE idempotency_key = key;
    IF o.id IS NOT NULL THEN  -- the same form sent twice
      IF o.in_reply_to <> t.id OR o.created_by IS DISTINCT FROM st.id THEN
        RAISE SQLSTATE 'PR409' USING MESSAGE = 'This form was already used for another reply; reload the page.',
                                     HINT = 'err.reply_key_used';
      END IF;
      -- sent back with other words (back, edit, send): the first reply is
      -- queued already; dropping the new words silently would lose them
      IF o.body <> body THEN
        RAISE SQLSTATE 'PR409' USING MESSAGE = 'A reply from this form was already sent with other words (see the thread). '
                                               'Reload the page to send another reply.',
                                     HINT = 'err.reply_key_changed';
      END IF;
      RETURN jsonb_build_object('outbox_id', o.id, 'state', o.state, 'redirect', '/post?id=' || o.in_reply_to);
    END IF;
  END IF;
  IF body = '' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Write the reply first.', HINT = 'err.reply_empty';
  -- (the composer starts with the author's @name on Mastodon: sent untouched,
  -- or sent again by a quick second click, it would say nothing)
  ELSIF body ~ '^(@[[:alnum:]_.@-]+[[:space:]]*)+$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Write the reply first: it has only the @name of the person answered.',
                                 HINT = 'err.reply_only_mention';
  END IF;
  IF placeholder IS NOT NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('Fill in %s before sending: the customer would see it as it is.', placeholder),
                                 HINT = 'err.reply_placeholder_named', DETAIL = jsonb_build_object('placeholder', placeholder);
  END IF;
  CASE ingest.reply_blocked(t)
    WHEN 'err.reply_no_account' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'This post did not reach one of the brand''s accounts, so there is no account to reply from.',
                                   HINT = 'err.reply_no_account';
    WHEN 'err.reply_post_deleted' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'This post was deleted on the platform; it cannot be answered.',
                                   HINT = 'err.reply_post_deleted';
    WHEN 'err.reply_platform' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'Replies cannot be sent to this platform.', HINT = 'err.reply_platform';
    WHEN 'err.reply_no_token' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'The brand account has no access token, so it cannot send replies. An admin or marketer adds one on the Accounts page.',
                                   HINT = 'err.reply_no_token';
    ELSE NULL;
  END CASE;
  SELECT * INTO a FROM social.account WHERE id = t.account_id;
  SELECT reply_limit INTO lim FROM social.platform WHERE code = a.platform;
  len := ingest.reply_length(a.platform, body);
  IF len > lim THEN
    RAISE SQLSTATE 'PR422'
      USING MESSAGE = format('The reply is %s characters long%s; %s allows at most %s.', len,
                             CASE WHEN a.platform = 'x' THEN ' as X counts them (Chinese characters and emoji count twice, a link 23)' END,
                             (SELECT name FROM social.platform WHERE code = a.platform), lim),
            HINT = CASE WHEN a.platform = 'x' THEN 'err.reply_too_long_x' ELSE 'err.reply_too_long_named' END,
            DETAIL = jsonb_build_object('n', len, 'platform', a.platform, 'limit', lim);
  END IF;
  -- (a Bluesky post also holds at most 3000 bytes of UTF-8: 300 long emoji would not fit)
  IF a.platform = 'bluesky' AND octet_length(body) > 3000 THEN
    RAISE SQLSTATE 'PR422'
      USING MESSAGE = format('The reply is %s bytes long in UTF-8; Bluesky allows at most 3000 bytes '
                             '(an emoji takes 4 to 35, a Chinese character 3).', octet_length(body)),
            HINT = 'err.reply_too_many_bytes', DETAIL = jsonb_build_object('n', octet_length(body), 'limit', 3000);
  END IF;
  IF coalesce(p->>'case_id', '') <> '' THEN
    IF p->>'case_id' !~ '^\d{1,19}$' THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such case.', HINT = 'err.no_case';
    END IF;
    SELECT c.id, c.state INTO the_case, case_state FROM crm."case" c WHERE c.id = (p->>'case_id')::bigint;
    IF the_case IS NULL THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such case.', HINT = 'err.no_case';
    END IF;
    IF the_case NOT IN (SELECT crm.cases_of_post(t.id)) THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'That case is not about this post: a reply here does not answer it.',
                                   HINT = 'err.reply_other_case';
    END IF;
    -- a case closed since the form was shown is not answered (nothing changes
    -- a closed case): the reply counts for the post's case being worked, if any
    IF case_state = 'closed' THEN
      the_case := crm.open_case_of_post(t.id);
    END IF;
  ELSE
    the_case := crm.open_case_of_post(t.id);
  END IF;
  -- The same words to the same post again, from a new form (Back after
  -- sending brings the text back into a fresh form, a second tab): the
  -- customer would get them twice. A failed reply is retried, not re-sent.
  PERFORM pg_advisory_xact_lock(hashtextextended('parley.reply.post:' || t.id, 0));
  IF EXISTS (SELECT FROM ingest.outbox x WHERE x.in_reply_to = t.id AND x.body = reply.body AND x.state <> 'failed') THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'This post already has this reply, queued or sent (see Replies under the post). '
                                           'To send another one, change its words.',
                                 HINT = 'err.reply_duplicate';
  END IF;
  INSERT INTO ingest.outbox (idempotency_key, account_id, in_reply_to, case_id, body, created_by)
  VALUES (coalesce(key, gen_random_uuid()), a.id, t.id, the_case, body, st.id)
  RETURNING * INTO o;
  PERFORM auth.audit('reply_queued', st.id, jsonb_build_object('outbox', o.id, 'post', t.id, 'case', the_case));
  RETURN jsonb_build_object('outbox_id', o.id, 'state', o.state, 'redirect', '/post?id=' || o.in_reply_to);
END $$;

-- Send a failed reply again (same idempotency key, fresh attempts).
-- p: {"id"}. Returns {"outbox_id", "state"}.
CREATE FUNCTION api.outbox_retry(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent'); o ingest.outbox;
BEGIN
  IF coalesce(p->>'id', '') !~ '^\d{1,19}$' THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such reply.', HINT = 'err.no_reply';
  END IF;
  SELECT * INTO o FROM ingest.outbox WHERE id = (p->>'id')::bigint FOR UPDATE;
  IF o.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such reply.', HINT = 'err.no_reply';
  END IF;
  IF o.state <> 'failed' THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'Only a reply that failed can be sent again.', HINT = 'err.reply_not_failed';
  END IF;
  IF o.account_id IS NULL THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'The brand account of this reply was deleted; it cannot be sent again.',
                                 HINT = 'err.reply_account_gone';
  END IF;
  UPDATE ingest.outbox SET state = 'queued', earlier_attempts = earlier_attempts + attempts, attempts = 0,
                           next_attempt_at = now()
  WHERE id = o.id;
  PERFORM pg_notify('parley_jobs', 'outbox');
  PERFORM auth.audit('reply_retried', st.id, jsonb_build_object('outbox', o.id));
  RETURN jsonb_build_object('outbox_id', o.id, 'state', 'queued', 'redirect', '/post?id=' || o.in_reply_to);
END $$;

-- Replies in the outbox, newest first: of one post ("post_id"), of one case
-- ("case_id"), or all, optionally in one "state"; at most "limit" (default
-- 50, at most 200), older than "before" (an id, for the next page).
-- Returns {"entries": [entry...], "next_before": id or null}.
CREATE FUNCTION api.outbox(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  n integer := 50;
  rows jsonb;
BEGIN
  PERFORM auth.require();
  IF coalesce(p->>'post_id', '0') !~ '^\d{1,19}$' OR coalesce(p->>'case_id', '0') !~ '^\d{1,19}$'
     OR coalesce(p->>'before', '0') !~ '^\d{1,19}$' OR coalesce(p->>'limit', '1') !~ '^\d{1,3}$'
     OR coalesce(p->>'state', 'queued') NOT IN ('queued', 'sending', 'sent', 'failed') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The filter is malformed.', HINT = 'err.filter';
  END IF;
  n := least(greatest(coalesce((p->>'limit')::integer, 50), 1), 200);
  SELECT jsonb_agg(ingest.outbox_json(o) ORDER BY o.id DESC) INTO rows
  FROM (SELECT * FROM ingest.outbox o
        WHERE (p->>'post_id' IS NULL OR o.in_reply_to = (p->>'post_id')::bigint)
          AND (p->>'case_id' IS NULL OR o.case_id = (p->>'case_id')::bigint)
          AND (p->>'state' IS NULL OR o.state = p->>'state')
          AND (p->>'before' IS NULL OR o.id < (p->>'before')::bigint)
        ORDER BY o.id DESC LIMIT n) o;
  RETURN jsonb_build_object(
    'entries', coalesce(rows, '[]'),
    'next_before', CASE WHEN jsonb_array_length(coalesce(rows, '[]')) = n THEN rows->(n - 1)->'id' END);
END $$;

-- The replies of one case, for the case page: {"entries": [...]}.
CREATE FUNCTION api.outbox_for_case(p jsonb) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT api.outbox(jsonb_build_object('case_id', coalesce(p->>'case_id', p->>'id'), 'limit', 200))
$$;
