-- Cases react to new posts: a customer writing again in a case's thread
-- (inbound), and listening rules whose action is 'contact' or 'case'.

-- Which case each post continues. A post continues a case when its author is
-- the case's customer (the author of the case's post, or any profile of the
-- case's contact) and it is in the case's thread: same thread root, or a
-- reply to the root or to a message of the case. Among several, the newest
-- case not closed; a closed case with an open follow-up stands for that one.
CREATE OR REPLACE FUNCTION crm.inbound_targets(p_posts bigint[])
RETURNS TABLE (post_id bigint, case_id bigint, state text)
LANGUAGE sql STABLE AS $$
  SELECT DISTINCT ON (p.id) p.id, coalesce(f.id, c.id), coalesce(f.state, c.state)
  FROM social.post p
  CROSS JOIN LATERAL (
    SELECT x.id FROM crm."case" x WHERE x.root_post_id = p.root_id
    UNION
    SELECT x.id FROM crm."case" x WHERE x.root_post_id = p.parent_id
    UNION
    SELECT x.id FROM crm."case" x WHERE x.post_id = p.parent_id
    UNION
    SELECT e.case_id FROM crm.case_event e WHERE e.post_id = p.parent_id AND e.kind IN ('inbound', 'outbound')
  ) AS t(id)
  JOIN crm."case" c ON c.id = t.id
  LEFT JOIN LATERAL (SELECT y.id, y.state FROM crm."case" y
                     WHERE c.state = 'closed' AND y.follow_up_of = c.id AND y.state <> 'closed'
                     ORDER BY y.id DESC LIMIT 1) f ON true
  WHERE p.id = ANY (p_posts) AND p.author_id IS NOT NULL
    AND c.post_id IS DISTINCT FROM p.id
    AND (p.author_id = (SELECT o.author_id FROM social.post o WHERE o.id = c.post_id)
         OR EXISTS (SELECT FROM crm.identity i WHERE i.profile_id = p.author_id AND i.contact_id = c.contact_id))
  ORDER BY p.id, coalesce(f.state, c.state) = 'closed', coalesce(f.id, c.id) DESC
$$;

-- New customer messages on existing cases. Closed cases are final: the
-- first such message opens a follow-up case (same contact, category,
-- priority, team, assignee; state new, fresh SLA) that takes this and later messages.
-- Every other message becomes an inbound event of its case; a resolved case
-- reopens (reopen_count + 1) and a pending one opens again (the customer
-- answered). Safe to run twice for the same posts.
CREATE OR REPLACE FUNCTION crm.take_inbound(p_posts bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE n integer; closed boolean;
BEGIN
  -- most batches continue no case: find that out with one probe per post
  SELECT count(*), coalesce(bool_or(t.state = 'closed'), false) INTO n, closed FROM crm.inbound_targets(p_posts) t;
  IF n = 0 THEN
    RETURN;
  END IF;
  IF closed THEN
    INSERT INTO crm."case" (subject, post_id, contact_id, category, priority, team_id, assignee_id, follow_up_of)
    -- (the subject as it was: pages mark a follow-up in the reader's language)
    SELECT DISTINCT ON (t.case_id) c.subject, t.post_id, c.contact_id, c.category,
           c.priority, c.team_id, c.assignee_id, c.id
    FROM crm.inbound_targets(p_posts) t
    JOIN crm."case" c ON c.id = t.case_id
    JOIN social.post p ON p.id = t.post_id
    WHERE t.state = 'closed'
    ORDER BY t.case_id, p.created_at, p.id
    ON CONFLICT (post_id) WHERE post_id IS NOT NULL DO NOTHING;
  END IF;

  WITH t AS (
    SELECT * FROM crm.inbound_targets(p_posts) WHERE state <> 'closed'
  ), ev AS (
    INSERT INTO crm.case_event (case_id, at, kind, post_id)
    SELECT t.case_id, p.created_at, 'inbound', p.id FROM t JOIN social.post p ON p.id = t.post_id
    ON CONFLICT DO NOTHING
  ), moved AS (
    UPDATE crm."case" c SET state = 'open'
    WHERE c.id IN (SELECT case_id FROM t WHERE state IN ('resolved', 'pending'))
    RETURNING c.id
  )
  INSERT INTO crm.case_event (case_id, kind, post_id, data)
  SELECT DISTINCT ON (t.case_id) t.case_id, 'state', t.post_id,
         jsonb_build_object('from', t.state, 'to', 'open', 'reason', 'inbound')
  FROM t JOIN moved m ON m.id = t.case_id
  ORDER BY t.case_id, t.post_id;
END $$;

CREATE OR REPLACE FUNCTION crm.posts_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE ids bigint[]; own bigint[];
BEGIN
  -- only replies can continue a conversation
  SELECT array_agg(id) INTO ids FROM new_posts
  WHERE author_id IS NOT NULL AND (parent_id IS NOT NULL OR root_id IS NOT NULL);
  IF ids IS NOT NULL THEN
    PERFORM crm.take_inbound(ids);
    -- the brand answering on the platform itself (not through the outbox,
    -- which records its own): a reply by one of its profiles to a case's
    -- message answers the case. Its trouble must not lose the posts.
    IF coalesce(current_setting('parley.outbox_post', true), '') <> 'on' THEN
      own := ARRAY(SELECT id FROM social.own_profile);
    END IF;
    IF EXISTS (SELECT FROM new_posts n WHERE n.id = ANY (ids) AND n.parent_id IS NOT NULL AND n.author_id = ANY (own)) THEN
      BEGIN
        PERFORM crm.record_outbound_at(c.case_id, n.id, NULL, n.body, n.created_at)
        FROM new_posts n
        CROSS JOIN LATERAL (SELECT x.id AS case_id FROM crm."case" x WHERE x.post_id = n.parent_id AND x.state <> 'closed'
                            UNION
                            SELECT e.case_id FROM crm.case_event e JOIN crm."case" x ON x.id = e.case_id
                            WHERE e.post_id = n.parent_id AND e.kind = 'inbound' AND x.state <> 'closed') c
        WHERE n.id = ANY (ids) AND n.parent_id IS NOT NULL AND n.author_id = ANY (own);
      EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'brand replies were not recorded on their cases: %', SQLERRM;
      END;
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- Named to sort first: statement triggers fire in name order, and rule
-- actions on the same posts should find their inbound events.
DROP TRIGGER IF EXISTS a_crm_inbound ON social.post;
CREATE TRIGGER a_crm_inbound AFTER INSERT ON social.post REFERENCING NEW TABLE AS new_posts
  FOR EACH STATEMENT EXECUTE FUNCTION crm.posts_inserted();

-- Rule actions on matches (post i matched rule i): 'contact' gives the
-- author's profile a contact when it has none; 'case' opens one case per post
-- (whichever case rules matched: a complaint rule wins, then the oldest
-- rule) unless the post already has one or continues one. Nothing else
-- creates contacts. Safe to run again for the same matches.
CREATE OR REPLACE FUNCTION crm.run_rule_actions(p_posts bigint[], p_rules bigint[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE profiles bigint[]; case_posts bigint[];
BEGIN
  SELECT array_agg(DISTINCT p.author_id) FILTER (WHERE r.action = 'contact' AND p.author_id IS NOT NULL),
         array_agg(DISTINCT p.id) FILTER (WHERE r.action = 'case')
  INTO profiles, case_posts
  FROM unnest(p_posts, p_rules) m(post_id, rule_id) JOIN listen.rule r ON r.id = m.rule_id JOIN social.post p ON p.id = m.post_id
  WHERE r.action IN ('contact', 'case');
  IF profiles IS NOT NULL THEN
    PERFORM crm.ensure_contacts(profiles, NULL, 'rule');
  END IF;
  IF case_posts IS NOT NULL THEN
    PERFORM crm.take_inbound(case_posts);   -- whatever the trigger order on social.post
    INSERT INTO crm."case" (post_id, category, rule_id)
    SELECT DISTINCT ON (m.post_id) m.post_id, r.category, r.id
    FROM unnest(p_posts, p_rules) m(post_id, rule_id) JOIN listen.rule r ON r.id = m.rule_id
    WHERE r.action = 'case' AND m.post_id = ANY (case_posts)
      AND NOT EXISTS (SELECT FROM crm.case_event e WHERE e.post_id = m.post_id AND e.kind = 'inbound')
    ORDER BY m.post_id, r.category = 'complaint' DESC, r.id
    ON CONFLICT (post_id) WHERE post_id IS NOT NULL DO NOTHING;
  END IF;
END $$;

-- New matches act at once, unless a rule's matches are being recomputed
-- without its actions (api.rule_save).
CREATE OR REPLACE FUNCTION crm.matches_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE posts bigint[]; rules bigint[];
BEGIN
  IF current_setting('parley.rule_actions', true) = 'off' THEN
    RETURN NULL;
  END IF;
  SELECT array_agg(m.post_id), array_agg(m.rule_id) INTO posts, rules
  FROM new_matches m JOIN listen.rule r ON r.id = m.rule_id WHERE r.action IN ('contact', 'case');
  IF posts IS NOT NULL THEN
    PERFORM crm.run_rule_actions(posts, rules);
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS crm_rule_actions ON listen.match;
CREATE TRIGGER crm_rule_actions AFTER INSERT ON listen.match REFERENCING NEW TABLE AS new_matches
  FOR EACH STATEMENT EXECUTE FUNCTION crm.matches_inserted();

-- Open cases (not resolved or closed) as a tally (sql/160_tally.sql): each
-- statement appends the difference it made, so the dashboard never counts.
CREATE OR REPLACE FUNCTION crm.tally_open_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n bigint := 0;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM social.tally WHERE name = 'open_cases';
    INSERT INTO social.tally VALUES ('open_cases', 0);
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    n := n + (SELECT count(*) FROM added WHERE state NOT IN ('resolved', 'closed'));
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    n := n - (SELECT count(*) FROM removed WHERE state NOT IN ('resolved', 'closed'));
  END IF;
  IF n <> 0 THEN
    INSERT INTO social.tally VALUES ('open_cases', n);
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tally_added ON crm."case";
DROP TRIGGER IF EXISTS tally_changed ON crm."case";
DROP TRIGGER IF EXISTS tally_removed ON crm."case";
DROP TRIGGER IF EXISTS tally_truncated ON crm."case";
CREATE TRIGGER tally_added AFTER INSERT ON crm."case" REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION crm.tally_open_cases();
CREATE TRIGGER tally_changed AFTER UPDATE ON crm."case" REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION crm.tally_open_cases();
CREATE TRIGGER tally_removed AFTER DELETE ON crm."case" REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION crm.tally_open_cases();
CREATE TRIGGER tally_truncated AFTER TRUNCATE ON crm."case"
  FOR EACH STATEMENT EXECUTE FUNCTION crm.tally_open_cases();
-- The first count, here rather than in a migration: the triggers above hold
-- off writers until this transaction commits, so no change falls between.
INSERT INTO social.tally
SELECT 'open_cases', count(*) FROM crm."case" WHERE state NOT IN ('resolved', 'closed')
HAVING NOT EXISTS (SELECT FROM social.tally WHERE name = 'open_cases');
