-- Ingest: every fetched page is stored raw, then normalized into the social
-- model by the platform's normalizer in a subtransaction, so a page either
-- applies completely or is quarantined with its error (DESIGN.md "Data flow").
--
-- Layout: the normalizers (sql/410..430) only map platform JSON to the
-- neutral row types ingest.profile_in / post_in / interaction_in (migration
-- 0005); ingest.apply() and the upsert_* functions below are the one place
-- that writes the social tables. All writes are set-based and idempotent.
--
-- Entry points run SECURITY DEFINER with a pinned search_path. The writers
-- are PL/pgSQL so their statement plans are cached for the session (an SQL
-- function would be planned again on every page). The small mapping helpers
-- carry no SET clause so the planner can inline them; they are only reachable
-- from those entry points (EXECUTE is not granted to anyone).

-- Raise the "page does not have the expected shape" error. The dummy
-- argument gives the result type, so it fits in coalesce(x, ingest.fail(...)).
CREATE OR REPLACE FUNCTION ingest.fail(p_what text, p_dummy anyelement) RETURNS anyelement
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RAISE SQLSTATE 'PR422' USING MESSAGE = 'missing or invalid field: ' || p_what;
END $$;

-- The value, or the shape error naming the field when it is absent.
CREATE OR REPLACE FUNCTION ingest.need(p_value anyelement, p_what text) RETURNS anyelement
LANGUAGE sql STABLE AS $$ SELECT coalesce(p_value, ingest.fail(p_what, p_value)) $$;

-- A JSON object / array, or the shape error (JSON null counts as absent).
CREATE OR REPLACE FUNCTION ingest.need_object(p_value jsonb, p_what text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN jsonb_typeof(p_value) = 'object' THEN p_value
              ELSE ingest.fail(p_what || ' (object expected)', p_value) END
$$;
CREATE OR REPLACE FUNCTION ingest.need_array(p_value jsonb, p_what text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN jsonb_typeof(p_value) = 'array' THEN p_value
              ELSE ingest.fail(p_what || ' (array expected)', p_value) END
$$;

-- Shallow merge of raw objects: a partial view (a post's author) adds to, and
-- never wipes, what a full view (the profile page) said.
CREATE OR REPLACE FUNCTION ingest.merge_raw(p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_new IS NULL THEN p_old
              WHEN jsonb_typeof(p_old) = 'object' AND jsonb_typeof(p_new) = 'object' THEN p_old || p_new
              ELSE p_new END
$$;

-- Profiles: one row per external id (the fullest description on the page
-- wins); fields the page does not give keep their stored value. Rows whose
-- values would not change are not rewritten. Returns rows inserted or changed.
CREATE OR REPLACE FUNCTION ingest.upsert_profiles(p_platform text, p_rows ingest.profile_in[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  WITH ins AS (
    INSERT INTO social.profile AS p (platform, external_id, handle, display_name, bio, follower_count,
                                     following_count, post_count, verified, lang, location, avatar_url, url, raw)
    SELECT DISTINCT ON (r.external_id) p_platform, r.external_id, r.handle, r.display_name, r.bio,
           r.follower_count, r.following_count, r.post_count, r.verified, r.lang, r.location,
           r.avatar_url, r.url, r.raw
    FROM unnest(p_rows) WITH ORDINALITY r
    WHERE r.external_id IS NOT NULL
    ORDER BY r.external_id, r.raw IS NULL, r.follower_count IS NULL, r.handle IS NULL, r.ordinality
    ON CONFLICT (platform, external_id) DO UPDATE SET
      handle          = coalesce(EXCLUDED.handle, p.handle),
      display_name    = coalesce(EXCLUDED.display_name, p.display_name),
      bio             = coalesce(EXCLUDED.bio, p.bio),
      follower_count  = coalesce(EXCLUDED.follower_count, p.follower_count),
      following_count = coalesce(EXCLUDED.following_count, p.following_count),
      post_count      = coalesce(EXCLUDED.post_count, p.post_count),
      verified        = coalesce(EXCLUDED.verified, p.verified),
      lang            = coalesce(EXCLUDED.lang, p.lang),
      location        = coalesce(EXCLUDED.location, p.location),
      avatar_url      = coalesce(EXCLUDED.avatar_url, p.avatar_url),
      url             = coalesce(EXCLUDED.url, p.url),
      raw             = ingest.merge_raw(p.raw, EXCLUDED.raw),
      updated_at      = now()
    WHERE (p.handle, p.display_name, p.bio, p.follower_count, p.following_count, p.post_count,
           p.verified, p.lang, p.location, p.avatar_url, p.url, p.raw)
          IS DISTINCT FROM
          (coalesce(EXCLUDED.handle, p.handle), coalesce(EXCLUDED.display_name, p.display_name),
           coalesce(EXCLUDED.bio, p.bio), coalesce(EXCLUDED.follower_count, p.follower_count),
           coalesce(EXCLUDED.following_count, p.following_count), coalesce(EXCLUDED.post_count, p.post_count),
           coalesce(EXCLUDED.verified, p.verified), coalesce(EXCLUDED.lang, p.lang),
           coalesce(EXCLUDED.location, p.location), coalesce(EXCLUDED.avatar_url, p.avatar_url),
           coalesce(EXCLUDED.url, p.url), ingest.merge_raw(p.raw, EXCLUDED.raw))
    RETURNING 1)
  SELECT count(*) INTO n FROM ins;
  RETURN n;
END $$;

-- Posts, in one statement:
--  * c is the page's rows joined to the stored row (cur); a copy older than a
--    stored edit (stale) is dropped; a body the page does not give is kept;
--  * a post not stored yet gets its id drawn here (new_id), so a post of the
--    same page that points at it is written with that id (m) instead of
--    being linked by an UPDATE afterwards, which rewrote every index of the
--    row. If another transaction stores that post first, the drawn id is not
--    used (lost_ids), and the rows pointing at it are corrected by a second
--    statement; the links' foreign keys are checked after it (migration 0026);
--  * a changed body saves the previous one in social.post_edit;
--  * the upsert keeps every stored field the page does not give (coalesce
--    with the row as locked, so concurrent harvesters merge rather than
--    overwrite), resolves links to parent/root/shared posts already stored,
--    and rewrites only rows that change;
--  * a snapshot of the counters is written for new or changed posts whose
--    page gives counters (one per post and minute).
-- Returns counts and the (id, external_id) of new posts for link_posts().
CREATE OR REPLACE FUNCTION ingest.upsert_posts(p_platform text, p_account_id bigint,
                                               p_seen_at timestamptz, p_rows ingest.post_in[],
                                               OUT posts integer, OUT edits integer, OUT snapshots integer,
                                               OUT new_ids bigint[], OUT new_external_ids text[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ids regclass := pg_get_serial_sequence('social.post', 'id');
  lost_ids bigint[];
BEGIN
  SET CONSTRAINTS social.post_parent_id_fkey, social.post_root_id_fkey, social.post_ref_id_fkey DEFERRED;
  WITH c AS (
    SELECT DISTINCT ON (s.external_id) s.*,
           nullif(jsonb_strip_nulls(jsonb_build_object('replies', s.replies, 'reposts', s.reposts,
                                                       'likes', s.likes, 'quotes', s.quotes)), '{}') AS metrics,
           cur.id AS cur_id, cur.body AS cur_body,
           coalesce(s.body, cur.body, '') AS new_body,
           coalesce(s.created_at, p_seen_at) AS new_created_at,   -- not given: first seen
           -- Per-row index lookups (subplans, and a LATERAL kept apart by OFFSET 0)
           -- rather than joins: the plan is cached for the session, and a join
           -- planned while the tables were empty turns quadratic as they fill.
           (SELECT x.id FROM social.profile x
             WHERE x.platform = p_platform AND x.external_id = s.author_external_id) AS author_id,
           (SELECT x.id FROM social.post x
             WHERE x.platform = p_platform AND x.external_id = s.parent_external_id) AS parent_id,
           (SELECT x.id FROM social.post x
             WHERE x.platform = p_platform AND x.external_id = s.root_external_id) AS root_id,
           (SELECT x.id FROM social.post x
             WHERE x.platform = p_platform AND x.external_id = s.ref_external_id) AS ref_id
    FROM unnest(p_rows) WITH ORDINALITY s
    LEFT JOIN LATERAL (SELECT c.id, c.body, c.edited_at FROM social.post c
                       WHERE c.platform = p_platform AND c.external_id = s.external_id OFFSET 0) cur ON true
    WHERE s.external_id IS NOT NULL
      AND (cur.edited_at IS NULL OR s.edited_at >= cur.edited_at)
    ORDER BY s.external_id, s.edited_at DESC NULLS LAST, s.replies IS NULL, s.body IS NULL, s.ordinality
  ), d AS MATERIALIZED (
    SELECT c.*, CASE WHEN c.cur_id IS NULL THEN nextval(ids) END AS new_id FROM c
  ), m AS (
    SELECT d.*, coalesce(d.parent_id, pa.new_id) AS parent_link, coalesce(d.root_id, ro.new_id) AS root_link,
           coalesce(d.ref_id, rf.new_id) AS ref_link
    FROM d
    LEFT JOIN d pa ON pa.external_id = d.parent_external_id
    LEFT JOIN d ro ON ro.external_id = d.root_external_id
    LEFT JOIN d rf ON rf.external_id = d.ref_external_id
  ), edits AS (
    INSERT INTO social.post_edit (post_id, edited_at, body)
    SELECT cur_id, coalesce(edited_at, p_seen_at), cur_body FROM m
    WHERE cur_id IS NOT NULL AND cur_body <> '' AND new_body <> cur_body
    ON CONFLICT (post_id, edited_at) DO NOTHING
    RETURNING 1
  ), up AS (
    INSERT INTO social.post AS p (id, platform, external_id, account_id, author_id, kind, body, lang, created_at,
                                  url, visibility, edited_at, deleted_at, parent_external_id, root_external_id,
                                  ref_external_id, parent_id, root_id, ref_id, metrics, raw)
    OVERRIDING SYSTEM VALUE
    SELECT coalesce(new_id, nextval(ids)), p_platform, external_id, p_account_id, author_id, coalesce(kind, 'post'),
           new_body, lang, new_created_at, url, visibility, edited_at, deleted_at, parent_external_id,
           root_external_id, ref_external_id, parent_link, root_link, ref_link, metrics, raw
    FROM m
    ON CONFLICT (platform, external_id) DO UPDATE SET
      account_id = coalesce(p.account_id, EXCLUDED.account_id),
      author_id = coalesce(EXCLUDED.author_id, p.author_id),
      kind = EXCLUDED.kind,
      body = EXCLUDED.body,
      lang = coalesce(EXCLUDED.lang, p.lang),
      created_at = least(p.created_at, EXCLUDED.created_at),
      url = coalesce(EXCLUDED.url, p.url),
      visibility = coalesce(EXCLUDED.visibility, p.visibility),
      edited_at = coalesce(EXCLUDED.edited_at, p.edited_at),
      deleted_at = coalesce(p.deleted_at, EXCLUDED.deleted_at),
      parent_external_id = coalesce(EXCLUDED.parent_external_id, p.parent_external_id),
      root_external_id = coalesce(EXCLUDED.root_external_id, p.root_external_id),
      ref_external_id = coalesce(EXCLUDED.ref_external_id, p.ref_external_id),
      parent_id = coalesce(p.parent_id, EXCLUDED.parent_id),
      root_id = coalesce(p.root_id, EXCLUDED.root_id),
      ref_id = coalesce(p.ref_id, EXCLUDED.ref_id),
      metrics = coalesce(EXCLUDED.metrics, p.metrics),
      raw = ingest.merge_raw(p.raw, EXCLUDED.raw),
      updated_at = now()
    WHERE (p.account_id, p.author_id, p.kind, p.body, p.lang, p.created_at, p.url, p.visibility,
           p.edited_at, p.deleted_at, p.parent_external_id, p.root_external_id, p.ref_external_id,
           p.parent_id, p.root_id, p.ref_id, p.metrics, p.raw)
          IS DISTINCT FROM
          (coalesce(p.account_id, EXCLUDED.account_id), coalesce(EXCLUDED.author_id, p.author_id),
           EXCLUDED.kind, EXCLUDED.body, coalesce(EXCLUDED.lang, p.lang),
           least(p.created_at, EXCLUDED.created_at), coalesce(EXCLUDED.url, p.url),
           coalesce(EXCLUDED.visibility, p.visibility), coalesce(EXCLUDED.edited_at, p.edited_at),
           coalesce(p.deleted_at, EXCLUDED.deleted_at),
           coalesce(EXCLUDED.parent_external_id, p.parent_external_id),
           coalesce(EXCLUDED.root_external_id, p.root_external_id),
           coalesce(EXCLUDED.ref_external_id, p.ref_external_id),
           coalesce(p.parent_id, EXCLUDED.parent_id), coalesce(p.root_id, EXCLUDED.root_id),
           coalesce(p.ref_id, EXCLUDED.ref_id), coalesce(EXCLUDED.metrics, p.metrics),
           ingest.merge_raw(p.raw, EXCLUDED.raw))
    RETURNING p.id, p.external_id, p.xmax = 0 AS inserted
  ), snaps AS (
    INSERT INTO social.engagement_snapshot AS e (post_id, taken_at, replies, reposts, likes, quotes)
    SELECT up.id, date_trunc('minute', p_seen_at), m.replies, m.reposts, m.likes, m.quotes
    FROM up JOIN m USING (external_id)
    WHERE m.metrics IS NOT NULL
    ON CONFLICT (post_id, taken_at) DO UPDATE SET
      replies = EXCLUDED.replies, reposts = EXCLUDED.reposts, likes = EXCLUDED.likes, quotes = EXCLUDED.quotes
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM edits), (SELECT count(*) FROM snaps),
         (SELECT coalesce(array_agg(id), '{}') FROM up WHERE inserted),
         (SELECT coalesce(array_agg(external_id), '{}') FROM up WHERE inserted),
         (SELECT array_agg(m.new_id) FROM m WHERE m.new_id NOT IN (SELECT up.id FROM up WHERE up.inserted))
  INTO posts, edits, snapshots, new_ids, new_external_ids, lost_ids;
  IF lost_ids IS NOT NULL THEN   -- rare: the other transaction's row is the post now
    UPDATE social.post c SET
      parent_id = CASE WHEN c.parent_id = ANY (lost_ids) THEN (SELECT x.id FROM social.post x
                  WHERE x.platform = c.platform AND x.external_id = c.parent_external_id) ELSE c.parent_id END,
      root_id = CASE WHEN c.root_id = ANY (lost_ids) THEN (SELECT x.id FROM social.post x
                WHERE x.platform = c.platform AND x.external_id = c.root_external_id) ELSE c.root_id END,
      ref_id = CASE WHEN c.ref_id = ANY (lost_ids) THEN (SELECT x.id FROM social.post x
               WHERE x.platform = c.platform AND x.external_id = c.ref_external_id) ELSE c.ref_id END
    WHERE c.parent_id = ANY (lost_ids) OR c.root_id = ANY (lost_ids) OR c.ref_id = ANY (lost_ids);
  END IF;
  SET CONSTRAINTS social.post_parent_id_fkey, social.post_root_id_fkey, social.post_ref_id_fkey IMMEDIATE;
END $$;

-- Posts stored earlier (or just now) that point at newly stored posts by
-- external id get the row ids: replies that arrived before their parent,
-- reposts before the original. One index probe per new post and link kind.
CREATE OR REPLACE FUNCTION ingest.link_posts(p_platform text, p_ids bigint[], p_external_ids text[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  WITH n AS (
    SELECT * FROM unnest(p_ids, p_external_ids) AS n(id, external_id)
  ), l AS (
    SELECT c.child,
           max(n.id) FILTER (WHERE c.rel = 'parent') AS parent_id,
           max(n.id) FILTER (WHERE c.rel = 'root') AS root_id,
           max(n.id) FILTER (WHERE c.rel = 'ref') AS ref_id
    FROM n CROSS JOIN LATERAL (
      SELECT p.id, 'parent' FROM social.post p
      WHERE p.platform = p_platform AND p.parent_external_id = n.external_id AND p.parent_id IS NULL
      UNION ALL
      SELECT p.id, 'root' FROM social.post p
      WHERE p.platform = p_platform AND p.root_external_id = n.external_id AND p.root_id IS NULL
      UNION ALL
      SELECT p.id, 'ref' FROM social.post p
      WHERE p.platform = p_platform AND p.ref_external_id = n.external_id AND p.ref_id IS NULL
    ) AS c(child, rel)
    GROUP BY c.child
  ), up AS (
    UPDATE social.post p
    SET parent_id = coalesce(p.parent_id, l.parent_id), root_id = coalesce(p.root_id, l.root_id),
        ref_id = coalesce(p.ref_id, l.ref_id)
    FROM l WHERE p.id = l.child
    RETURNING 1
  )
  SELECT count(*) INTO n FROM up;
  RETURN n;
END $$;

-- Interactions: one per (kind, external id). An event already stored under
-- another time is skipped too (a grouped notification's time moves as the
-- group grows), so the same event never counts twice.
CREATE OR REPLACE FUNCTION ingest.upsert_interactions(p_platform text, p_account_id bigint,
                                                      p_rows ingest.interaction_in[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  WITH ins AS (
    INSERT INTO social.interaction (platform, kind, actor_id, post_id, post_external_id, account_id,
                                    external_id, occurred_at)
    SELECT p_platform, i.kind, a.id, po.id, i.post_external_id, p_account_id, i.external_id, i.occurred_at
    FROM (SELECT DISTINCT ON (r.kind, r.external_id) r.* FROM unnest(p_rows) WITH ORDINALITY r
          ORDER BY r.kind, r.external_id, r.occurred_at, r.ordinality) i
    LEFT JOIN social.profile a ON a.platform = p_platform AND a.external_id = i.actor_external_id
    LEFT JOIN social.post po ON po.platform = p_platform AND po.external_id = i.post_external_id
    WHERE NOT EXISTS (SELECT FROM social.interaction x
                      WHERE x.platform = p_platform AND x.kind = i.kind AND x.external_id = i.external_id)
    ON CONFLICT DO NOTHING
    RETURNING 1)
  SELECT count(*) INTO n FROM ins;
  RETURN n;
END $$;

-- When each actor's latest event of a kind on a page happened (a follow,
-- an unfollow); a time past p_seen_at (a platform clock ahead) counts as
-- p_seen_at.
CREATE OR REPLACE FUNCTION ingest.latest_event_at(p_events ingest.interaction_in[], p_kind text, p_seen_at timestamptz)
RETURNS TABLE (actor text, at timestamptz) LANGUAGE sql IMMUTABLE AS $$
  SELECT i.actor_external_id, least(max(coalesce(i.occurred_at, p_seen_at)), p_seen_at)
  FROM unnest(p_events) i WHERE i.kind = p_kind GROUP BY 1
$$;

-- Follower edges of a brand account: first and last time each was seen;
-- seen after the follow ended, it is open again. A follower known from a
-- follow event on the page (a notification, a webhook) was seen at the
-- event's time, not the page's: a notification harvested late must not
-- reopen a follow a walk has since found ended.
DROP FUNCTION IF EXISTS ingest.upsert_followers(text, bigint, timestamptz, text[]);
CREATE OR REPLACE FUNCTION ingest.upsert_followers(p_platform text, p_account_id bigint,
                                                   p_seen_at timestamptz, p_external_ids text[],
                                                   p_events ingest.interaction_in[] DEFAULT '{}')
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  WITH followed AS (SELECT actor AS e, at FROM ingest.latest_event_at(p_events, 'follow', p_seen_at)),
  ins AS (
    INSERT INTO social.follower_edge AS f (account_id, profile_id, first_seen_at, last_seen_at)
    SELECT DISTINCT p_account_id, pr.id, coalesce(fo.at, p_seen_at), coalesce(fo.at, p_seen_at)
    FROM unnest(p_external_ids) e
    JOIN social.profile pr ON pr.platform = p_platform AND pr.external_id = e
    LEFT JOIN followed fo ON fo.e = e.e
    WHERE p_account_id IS NOT NULL
    ON CONFLICT (account_id, profile_id) DO UPDATE SET
      first_seen_at = least(f.first_seen_at, EXCLUDED.first_seen_at),
      last_seen_at = greatest(f.last_seen_at, EXCLUDED.last_seen_at),
      unfollowed_at = CASE WHEN EXCLUDED.last_seen_at > f.unfollowed_at THEN NULL ELSE f.unfollowed_at END
    WHERE EXCLUDED.last_seen_at > f.last_seen_at OR EXCLUDED.first_seen_at < f.first_seen_at
    RETURNING 1)
  SELECT count(*) INTO n FROM ins;
  RETURN n;
END $$;

-- Follows that ended (unfollow events: who, and when), unless the follower
-- was seen following since.
DROP FUNCTION IF EXISTS ingest.end_follows(text, bigint, timestamptz, text[]);
CREATE OR REPLACE FUNCTION ingest.end_follows(p_platform text, p_account_id bigint,
                                              p_seen_at timestamptz, p_unfollows ingest.interaction_in[])
RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH gone AS (SELECT actor AS e, at FROM ingest.latest_event_at(p_unfollows, 'unfollow', p_seen_at)),
  ended AS (
    UPDATE social.follower_edge f SET unfollowed_at = g.at
    FROM gone g JOIN social.profile pr ON pr.platform = p_platform AND pr.external_id = g.e
    WHERE f.profile_id = pr.id AND f.account_id = p_account_id AND f.unfollowed_at IS NULL AND f.last_seen_at <= g.at
    RETURNING 1)
  SELECT count(*)::integer FROM ended
$$;

-- Tombstones for posts the platform reports gone by id only.
CREATE OR REPLACE FUNCTION ingest.tombstone(p_platform text, p_seen_at timestamptz, p_external_ids text[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  WITH up AS (
    UPDATE social.post SET deleted_at = p_seen_at, updated_at = now()
    WHERE platform = p_platform AND external_id = ANY (p_external_ids) AND deleted_at IS NULL
    RETURNING 1)
  SELECT count(*) INTO n FROM up;
  RETURN n;
END $$;

-- Store one normalized page: profiles first (plus bare rows for people only
-- referenced by id, so no author or actor is dropped; not for those the page
-- describes anyway), then posts and their links, interactions, follower
-- edges, tombstones and ended follows (p_unfollows: 'unfollow' events). Returns the counts
-- of rows inserted or changed, and of the items the page carried (posts,
-- interactions, follower edges).
DROP FUNCTION IF EXISTS ingest.apply(text, bigint, timestamptz, ingest.profile_in[], ingest.post_in[],
                                     ingest.interaction_in[], text[], text[]);
DROP FUNCTION IF EXISTS ingest.apply(text, bigint, timestamptz, ingest.profile_in[], ingest.post_in[],
                                     ingest.interaction_in[], text[], text[], text[]);
CREATE OR REPLACE FUNCTION ingest.apply(p_platform text, p_account_id bigint, p_seen_at timestamptz,
                                        p_profiles ingest.profile_in[],
                                        p_posts ingest.post_in[] DEFAULT '{}',
                                        p_interactions ingest.interaction_in[] DEFAULT '{}',
                                        p_followers text[] DEFAULT '{}',
                                        p_deleted text[] DEFAULT '{}',
                                        p_unfollows ingest.interaction_in[] DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  n jsonb := jsonb_build_object('posts', 0, 'edits', 0, 'snapshots', 0, 'links', 0,
                                'interactions', 0, 'follows', 0, 'tombstones', 0,
                                'items', cardinality(p_posts) + cardinality(p_interactions) + cardinality(p_followers));
  p record;
BEGIN
  n := n || jsonb_build_object('profiles', ingest.upsert_profiles(p_platform, p_profiles || ARRAY(
    SELECT jsonb_populate_record(NULL::ingest.profile_in, jsonb_build_object('external_id', e))
    FROM (SELECT r.author_external_id FROM unnest(p_posts) r
          UNION SELECT r.actor_external_id FROM unnest(p_interactions) r
          UNION SELECT unnest(p_followers)
          EXCEPT SELECT r.external_id FROM unnest(p_profiles) r) AS ref(e)
    WHERE e IS NOT NULL)));
  IF cardinality(p_posts) > 0 THEN
    SELECT * INTO p FROM ingest.upsert_posts(p_platform, p_account_id, p_seen_at, p_posts);
    n := n || jsonb_build_object('posts', p.posts, 'edits', p.edits, 'snapshots', p.snapshots);
    IF cardinality(p.new_ids) > 0 THEN
      n := n || jsonb_build_object('links', ingest.link_posts(p_platform, p.new_ids, p.new_external_ids));
    END IF;
  END IF;
  IF cardinality(p_interactions) > 0 THEN
    n := n || jsonb_build_object('interactions', ingest.upsert_interactions(p_platform, p_account_id, p_interactions));
  END IF;
  IF cardinality(p_followers) > 0 THEN
    n := n || jsonb_build_object('follows', ingest.upsert_followers(p_platform, p_account_id, p_seen_at, p_followers, p_interactions));
  END IF;
  IF cardinality(p_deleted) > 0 THEN
    n := n || jsonb_build_object('tombstones', ingest.tombstone(p_platform, p_seen_at, p_deleted));
  END IF;
  IF cardinality(p_unfollows) > 0 THEN
    n := n || jsonb_build_object('unfollows', ingest.end_follows(p_platform, p_account_id, p_seen_at, p_unfollows));
  END IF;
  RETURN n;
END $$;

-- The normalizer for a page, or for a webhook delivery (p_endpoint
-- 'webhook', p_request_url the delivery id): a fixed CASE, never SQL built
-- from input. A page for an account of another platform is refused the
-- same way. WeChat and commerce (the brand's own systems) only push.
CREATE OR REPLACE FUNCTION ingest.normalize(p_platform text, p_account_id bigint, p_endpoint text,
                                            p_body jsonb, p_request_url text, p_seen_at timestamptz)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_account_id IS NOT NULL AND NOT EXISTS (SELECT FROM social.account WHERE id = p_account_id) THEN
    RAISE SQLSTATE 'PR400' USING MESSAGE = format('there is no account %s', p_account_id);
  ELSIF p_account_id IS NOT NULL
     AND NOT EXISTS (SELECT FROM social.account WHERE id = p_account_id AND platform = p_platform) THEN
    RAISE SQLSTATE 'PR400' USING MESSAGE = format('account %s is not a %s account', p_account_id, p_platform);
  END IF;
  CASE p_platform
    WHEN 'mastodon' THEN
      RETURN ingest.normalize_mastodon(p_account_id, p_endpoint, p_body, p_request_url, p_seen_at);
    WHEN 'bluesky' THEN
      RETURN ingest.normalize_bluesky(p_account_id, p_endpoint, p_body, p_request_url, p_seen_at);
    WHEN 'facebook' THEN
      RETURN ingest.normalize_facebook(p_account_id, p_endpoint, p_body, p_request_url, p_seen_at);
    WHEN 'instagram' THEN
      RETURN ingest.normalize_instagram(p_account_id, p_endpoint, p_body, p_request_url, p_seen_at);
    WHEN 'x' THEN
      RETURN ingest.normalize_x(p_account_id, p_endpoint, p_body, p_request_url, p_seen_at);
    WHEN 'weibo' THEN
      RETURN ingest.normalize_weibo(p_account_id, p_endpoint, p_body, p_request_url, p_seen_at);
    WHEN 'wechat' THEN
      RETURN ingest.normalize_wechat(p_account_id, p_endpoint, p_body, p_request_url, p_seen_at);
    WHEN 'commerce' THEN
      RETURN ingest.normalize_commerce(p_account_id, p_endpoint, p_body, p_request_url, p_seen_at);
    ELSE
      RAISE SQLSTATE 'PR400' USING MESSAGE = format('no normalizer for platform %L (there are: mastodon, bluesky, facebook, instagram, x, weibo, wechat, commerce)', p_platform);
  END CASE;
END $$;

-- Run the normalizer on one page body inside a subtransaction. On failure
-- nothing of the normalization stays and the error text and SQLSTATE are
-- returned instead of raised, so the caller's transaction goes on. Errors
-- that mean "try the whole transaction again" (serialization failure,
-- deadlock, out of resources, shutdown) are not the page's fault and are
-- re-raised. Bodies are JSON, except WeChat's pushes, which are XML (read into the
-- same kind of document by ingest.wechat_xml_json).
-- No JIT: once the tables are large, the planner's estimates for a page's
-- statements pass the JIT thresholds, and compiling them took over a second
-- per page where running them takes tens of milliseconds.
CREATE OR REPLACE FUNCTION ingest.try_normalize(p_platform text, p_account_id bigint, p_endpoint text,
                                                p_body text, p_request_url text, p_seen_at timestamptz,
                                                OUT counts jsonb, OUT error_text text, OUT error_state text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
BEGIN
  counts := ingest.normalize(p_platform, p_account_id, p_endpoint,
                             CASE WHEN p_platform = 'wechat' AND p_endpoint = 'webhook' THEN ingest.wechat_xml_json(ingest.need(p_body, 'body'))
                                  ELSE ingest.need(p_body, 'body')::jsonb END,
                             p_request_url, p_seen_at);
EXCEPTION
  WHEN transaction_rollback OR insufficient_resources OR operator_intervention OR system_error THEN
    RAISE;
  WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS error_text = MESSAGE_TEXT, error_state = RETURNED_SQLSTATE;
END $$;

-- Whether `parley import` was asked for something that exists: NULL, or
-- what is wrong with the platform, endpoint or account (SQLSTATE PR400 from
-- the normalizers, before any file is read, so nothing is stored for a
-- typing mistake). An empty page is normalized and then undone.
CREATE OR REPLACE FUNCTION ingest.import_target_error(p_platform text, p_endpoint text, p_account_id bigint)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE t record;
BEGIN
  BEGIN
    t := ingest.try_normalize(p_platform, p_account_id, p_endpoint,
                              CASE WHEN p_platform = 'wechat' AND p_endpoint = 'webhook' THEN '<xml></xml>' ELSE '{}' END,
                              'parley import: check', now());
    RAISE SQLSTATE 'PR000';
  EXCEPTION WHEN SQLSTATE 'PR000' THEN
    NULL;   -- undone
  END;
  RETURN CASE WHEN t.error_state = 'PR400' THEN t.error_text END;
END $$;

-- Why a page was quarantined, as a catalog key: not JSON (PostgreSQL's
-- parser) or not XML (WeChat's, ingest.wechat_xml_json); a field missing
-- (ingest.need) or not of its type (a cast's data exception); a page for another
-- platform's account or an endpoint the normalizer does not know; or else.
CREATE OR REPLACE FUNCTION ingest.quarantine_reason(p_sqlstate text, p_error text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_error LIKE 'invalid input syntax for type json%'
                OR p_error LIKE 'missing or invalid field: wechat xml (not well-formed%' THEN 'err.quarantine_unreadable'
              -- (or a value that does not read as its type: text for a number, a date,
              -- a number out of range, too long, a null where one is needed)
              WHEN p_error LIKE 'missing or invalid field: %'
                OR p_sqlstate IN ('22P02', '22007', '22008', '22003', '22001', '22004', '22023', '22018')
                THEN 'err.quarantine_shape'
              WHEN p_sqlstate = 'PR400' THEN 'err.quarantine_target'
              ELSE 'err.quarantine_other' END
$$;

-- What store_page and retry_quarantined return.
CREATE OR REPLACE FUNCTION ingest.page_result(p_raw_page_id bigint, p_counts jsonb, p_error text, p_sqlstate text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('raw_page_id', p_raw_page_id, 'quarantined', p_sqlstate IS NOT NULL,
                            'error', p_error, 'sqlstate', p_sqlstate, 'counts', coalesce(p_counts, '{}'))
$$;

-- The harvester's (and webhook worker's) one call per fetched page, inside
-- its own transaction with the cursor update. The raw page is always kept
-- (written once, after normalization, with its outcome); a page that cannot
-- be normalized gets a quarantine entry; an HTTP error page is evidence for
-- the harvester, not data, and is kept without normalizing it. Returns
-- {"raw_page_id", "quarantined", "error", "sqlstate", "counts"}.
-- Generic plans for everything below: the statements are the same on every
-- page, and planning them (partitioned tables, several joins) each time cost
-- more than running them (see upsert_posts on keeping such plans safe).
CREATE OR REPLACE FUNCTION ingest.store_page(p_platform text, p_endpoint text, p_account_id bigint,
                                             p_request_url text, p_status integer, p_headers jsonb,
                                             p_body text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  t record;
  v_id bigint;
BEGIN
  IF p_status IS NULL OR p_status BETWEEN 200 AND 299 THEN
    t := ingest.try_normalize(p_platform, p_account_id, p_endpoint, p_body, p_request_url, now());
  ELSE
    SELECT NULL::jsonb AS counts, format('HTTP status %s: not normalized', p_status) AS error_text,
           NULL::text AS error_state INTO t;
  END IF;
  INSERT INTO ingest.raw_page (platform, endpoint, account_id, request_url, status, headers, body,
                               normalized_at, error)
  VALUES (p_platform, p_endpoint, p_account_id, p_request_url, p_status, p_headers, p_body,
          CASE WHEN t.error_text IS NULL THEN now() END, t.error_text)
  RETURNING id INTO v_id;
  IF t.error_state IS NOT NULL THEN
    INSERT INTO ingest.quarantine (raw_page_id, platform, endpoint, error, sqlstate)
    VALUES (v_id, p_platform, p_endpoint, t.error_text, t.error_state);
  END IF;
  RETURN ingest.page_result(v_id, t.counts, t.error_text, t.error_state);
END $$;

-- Normalize a quarantined page again (after a normalizer fix, or after its
-- raw body was repaired), as of the time it was fetched. Success resolves the
-- entry; failure records the new error on it.
CREATE OR REPLACE FUNCTION ingest.retry_quarantined(p_id bigint)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  q ingest.quarantine;
  pg ingest.raw_page;
  t record;
BEGIN
  SELECT * INTO q FROM ingest.quarantine WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such quarantined page.', HINT = 'err.no_quarantine';
  END IF;
  IF q.resolved_at IS NOT NULL THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'This page was already normalized.', HINT = 'err.quarantine_resolved';
  END IF;
  SELECT * INTO pg FROM ingest.raw_page WHERE id = q.raw_page_id FOR UPDATE;
  t := ingest.try_normalize(pg.platform, pg.account_id, pg.endpoint, pg.body, pg.request_url, pg.fetched_at);
  UPDATE ingest.raw_page SET normalized_at = CASE WHEN t.error_text IS NULL THEN now() END, error = t.error_text
  WHERE id = pg.id;
  UPDATE ingest.quarantine
  SET retried_at = now(), resolved_at = CASE WHEN t.error_text IS NULL THEN now() END,
      error = coalesce(t.error_text, error), sqlstate = coalesce(t.error_state, sqlstate)
  WHERE id = q.id;
  RETURN ingest.page_result(pg.id, t.counts, t.error_text, t.error_state);
END $$;
