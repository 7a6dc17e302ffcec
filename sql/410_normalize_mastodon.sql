-- Mastodon (REST API v1/v2) → social model. Only mapping lives here; writing
-- is ingest.apply() (sql/400_ingest.sql). Ids are strings; a profile's
-- external id is the account id and its handle the acct. Times are written
-- by the server, so they are cast directly (a bad one quarantines the page).

-- Status and account HTML as plain text: line breaks and paragraphs become
-- newlines, tags go, the entities Mastodon emits are decoded (&amp; last, so
-- "&amp;lt;" stays the literal text "&lt;").
CREATE OR REPLACE FUNCTION ingest.html_to_text(p_html text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT btrim(
    replace(replace(replace(replace(replace(replace(
      regexp_replace(
        regexp_replace(
          regexp_replace(p_html, '<br\s*/?>', E'\n', 'gi'),
          '</p>\s*<p(\s[^>]*)?>', E'\n\n', 'gi'),
        '<[^>]*>', '', 'g'),
      '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&apos;', ''''), '&amp;', '&'),
    E' \n')
$$;

-- Account (full, or the partial one of grouped notifications) → profile row.
CREATE OR REPLACE FUNCTION ingest.mastodon_profile(a jsonb) RETURNS ingest.profile_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(a->>'id', 'mastodon account.id'),
    a->>'acct', a->>'display_name', ingest.html_to_text(a->>'note'),
    (a->>'followers_count')::bigint, (a->>'following_count')::bigint, (a->>'statuses_count')::bigint,
    NULL::boolean,                    -- Mastodon has no identity verification
    NULL::text, NULL::text,           -- nor a profile language or location
    a->>'avatar', a->>'url', a)::ingest.profile_in
$$;

-- Status → post row. A reblog is a 'repost' pointing at the reblogged status
-- (ref); in_reply_to_id gives the parent; Mastodon does not name the root.
-- p_deleted_at marks the tombstone of a DELETE response (content is null
-- there and the source text is given instead). raw leaves out the account and
-- the reblogged status, which are stored as their own rows.
CREATE OR REPLACE FUNCTION ingest.mastodon_post(s jsonb, p_deleted_at timestamptz) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(s->>'id', 'mastodon status.id'),
    ingest.need(ingest.need_object(s->'account', 'mastodon status.account')->>'id', 'mastodon status.account.id'),
    CASE WHEN jsonb_typeof(s->'reblog') = 'object' THEN 'repost'
         WHEN s->>'visibility' = 'direct' THEN 'direct'
         WHEN s->>'in_reply_to_id' IS NOT NULL THEN 'reply'
         WHEN jsonb_typeof(s->'quote') = 'object' THEN 'quote'
         ELSE 'post' END,
    coalesce(ingest.html_to_text(s->>'content'), s->>'text'),
    s->>'language',
    ingest.need(s->>'created_at', 'mastodon status.created_at')::timestamptz,
    coalesce(s->>'url', s->>'uri'),
    s->>'visibility',
    (s->>'edited_at')::timestamptz,
    p_deleted_at,
    s->>'in_reply_to_id',
    NULL::text,
    coalesce(s->'reblog'->>'id', s->'quote'->'quoted_status'->>'id'),
    (s->>'replies_count')::bigint, (s->>'reblogs_count')::bigint,
    (s->>'favourites_count')::bigint, (s->>'quotes_count')::bigint,
    s - 'account' - 'reblog')::ingest.post_in
$$;

-- The public Account of an Admin::Account (what account.* webhooks send);
-- an object that is already an Account (a custom payload template) as is.
CREATE OR REPLACE FUNCTION ingest.mastodon_admin_account(a jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(a->'account') = 'object' THEN a->'account' ELSE a END
$$;

-- Every status a list carries: each one, the status it reblogs and the one it
-- quotes (both full Status objects). top marks the listed status itself.
CREATE OR REPLACE FUNCTION ingest.mastodon_statuses(p_list jsonb)
RETURNS TABLE (status jsonb, top boolean)
LANGUAGE sql STABLE AS $$
  SELECT x.status, x.top
  FROM jsonb_array_elements(ingest.need_array(p_list, 'mastodon statuses')) AS s(v)
  CROSS JOIN LATERAL (VALUES (s.v, true), (s.v->'reblog', false), (s.v->'quote'->'quoted_status', false))
             AS x(status, top)
  WHERE x.top OR jsonb_typeof(x.status) = 'object'
$$;

-- Notification type → interaction kind; NULL for types Parley does not count.
CREATE OR REPLACE FUNCTION ingest.mastodon_kind(p_type text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_type WHEN 'mention' THEN 'mention' WHEN 'favourite' THEN 'like'
                     WHEN 'reblog' THEN 'repost' WHEN 'follow' THEN 'follow'
                     WHEN 'quote' THEN 'quote' END
$$;

-- v1 notifications (array) and v2 grouped notifications as the same event
-- rows: (kind, actor account id, status id, event id, time, whether the time
-- is the event's own). A v2 group of one notification keeps the
-- notification's own id, so v1 and v2 agree; a larger group yields one event
-- per sampled account, all at the group's latest time, which is only the
-- first (most recent) sample's own.
DROP FUNCTION IF EXISTS ingest.mastodon_events(text, jsonb, timestamptz);
CREATE OR REPLACE FUNCTION ingest.mastodon_events(p_endpoint text, p_body jsonb, p_seen_at timestamptz)
RETURNS TABLE (kind text, actor text, status_id text, event_id text, occurred_at timestamptz, exact boolean)
LANGUAGE sql STABLE AS $$
  SELECT ingest.mastodon_kind(n->>'type'),
         ingest.need(n->'account'->>'id', 'mastodon notification.account.id'),
         n->'status'->>'id',
         ingest.need(n->>'id', 'mastodon notification.id'),
         coalesce((n->>'created_at')::timestamptz, p_seen_at),
         n ? 'created_at'
  FROM jsonb_array_elements(CASE WHEN p_endpoint = 'notifications'
                                 THEN ingest.need_array(p_body, 'mastodon notifications') END) n
  UNION ALL
  SELECT ingest.mastodon_kind(g->>'type'), a.id, g->>'status_id',
         CASE WHEN (g->>'notifications_count')::integer = 1 AND g ? 'most_recent_notification_id'
              THEN g->>'most_recent_notification_id'
              ELSE ingest.need(g->>'group_key', 'mastodon notification_group.group_key') || '/' || a.id END,
         coalesce((g->>'latest_page_notification_at')::timestamptz, p_seen_at),
         a.n = 1 AND g ? 'latest_page_notification_at'
  FROM jsonb_array_elements(CASE WHEN p_endpoint = 'grouped_notifications'
                                 THEN ingest.need_array(p_body->'notification_groups',
                                                        'mastodon notification_groups') END) g
  CROSS JOIN LATERAL jsonb_array_elements_text(
    ingest.need_array(g->'sample_account_ids', 'mastodon notification_group.sample_account_ids')) WITH ORDINALITY AS a(id, n)
$$;

-- Endpoints:
--   statuses        array of Status (account statuses, home/public/hashtag timelines)
--   status          one Status
--   deleted         the Status a DELETE returns, or a bare id (streaming "delete"): tombstone
--   context         {ancestors, descendants}
--   search          v2 {accounts, statuses, hashtags}
--   notifications   v1 array of Notification
--   grouped_notifications  v2 {notification_groups, accounts, partial_accounts?, statuses}
--   accounts        array of Account: the followers of p_account_id when it is given
--   account_list    any other array of Account (following, favourited_by, ...): profiles only
--   account         one Account
--   webhook         an admin webhook delivery {event, created_at, object}:
--                   status.created / status.updated carry a Status,
--                   account.created / .updated / .approved an Admin::Account
--                   (its public Account under "account"); other events
--                   (report.*, ...) are accepted and change nothing
CREATE OR REPLACE FUNCTION ingest.normalize_mastodon(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                     p_request_url text DEFAULT NULL,
                                                     p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  statuses jsonb := '[]';                    -- Status objects on the page
  accounts jsonb := '[]';                    -- Account objects on the page
  posts ingest.post_in[];
  authors ingest.profile_in[];                -- of the statuses, in the same order
  events ingest.interaction_in[] := '{}';
  followers text[] := '{}';
  deleted text[] := '{}';
  tombstone timestamptz;                     -- set for the statuses of a DELETE response
BEGIN
  CASE p_endpoint
    WHEN 'statuses' THEN
      statuses := p_body;
    WHEN 'status' THEN
      statuses := jsonb_build_array(ingest.need_object(p_body, 'mastodon status'));
    WHEN 'deleted' THEN
      IF jsonb_typeof(p_body) = 'string' THEN
        deleted := ARRAY[p_body #>> '{}'];
      ELSE
        statuses := jsonb_build_array(ingest.need_object(p_body, 'mastodon status'));
        tombstone := p_seen_at;
      END IF;
    WHEN 'context' THEN
      statuses := ingest.need_array(p_body->'ancestors', 'mastodon context.ancestors')
                  || ingest.need_array(p_body->'descendants', 'mastodon context.descendants');
    WHEN 'search' THEN
      statuses := coalesce(p_body->'statuses', '[]');
      accounts := coalesce(p_body->'accounts', '[]');
    WHEN 'notifications' THEN
      statuses := coalesce((SELECT jsonb_agg(n->'status')
                            FROM jsonb_array_elements(ingest.need_array(p_body, 'mastodon notifications')) n
                            WHERE jsonb_typeof(n->'status') = 'object'), '[]');
      accounts := coalesce((SELECT jsonb_agg(n->'account') FROM jsonb_array_elements(p_body) n), '[]');
    WHEN 'grouped_notifications' THEN
      statuses := coalesce(p_body->'statuses', '[]');
      accounts := ingest.need_array(p_body->'accounts', 'mastodon accounts')
                  || coalesce(p_body->'partial_accounts', '[]');
    WHEN 'accounts', 'account_list' THEN
      accounts := ingest.need_array(p_body, 'mastodon accounts');
      IF p_endpoint = 'accounts' AND p_account_id IS NOT NULL THEN
        followers := ARRAY(SELECT a->>'id' FROM jsonb_array_elements(accounts) a);
      END IF;
    WHEN 'account' THEN
      accounts := jsonb_build_array(ingest.need_object(p_body, 'mastodon account'));
    WHEN 'webhook' THEN
      CASE ingest.need(ingest.need_object(p_body, 'mastodon webhook')->>'event', 'mastodon webhook event')
        WHEN 'status.created', 'status.updated' THEN
          statuses := jsonb_build_array(ingest.need_object(p_body->'object', 'mastodon webhook object'));
        WHEN 'account.created', 'account.updated', 'account.approved' THEN
          accounts := jsonb_build_array(ingest.mastodon_admin_account(
                        ingest.need_object(p_body->'object', 'mastodon webhook object')));
        ELSE
          NULL;
      END CASE;
    ELSE
      RAISE SQLSTATE 'PR400' USING MESSAGE = format('unknown mastodon endpoint %L (there are: statuses, status, deleted, context, search, notifications, grouped_notifications, accounts, account_list, account, webhook)', p_endpoint);
  END CASE;

  IF p_endpoint IN ('notifications', 'grouped_notifications') THEN
    -- A follow whose time is only an upper bound (an older sample of a
    -- group) makes no follower edge: it could reopen a follow that ended
    -- after it. The followers walk finds that follower.
    SELECT coalesce(array_agg(ROW(e.kind, e.actor, e.status_id, e.event_id, e.occurred_at)::ingest.interaction_in), '{}'),
           coalesce(array_agg(e.actor) FILTER (WHERE e.kind = 'follow' AND e.exact AND p_account_id IS NOT NULL), '{}')
    INTO events, followers
    FROM ingest.mastodon_events(p_endpoint, p_body, p_seen_at) e
    WHERE e.kind IS NOT NULL;
  END IF;

  -- Each status and its author in one pass over the page (the post first: a
  -- status without its account is reported as such).
  SELECT coalesce(array_agg(ingest.mastodon_post(s.status, CASE WHEN s.top THEN tombstone END)), '{}'),
         coalesce(array_agg(ingest.mastodon_profile(s.status->'account')), '{}')
  INTO posts, authors
  FROM ingest.mastodon_statuses(statuses) s;
  RETURN ingest.apply('mastodon', p_account_id, p_seen_at,
    ARRAY(SELECT ingest.mastodon_profile(a) FROM jsonb_array_elements(accounts) a) || authors,
    posts, events, followers, deleted);
END $$;
