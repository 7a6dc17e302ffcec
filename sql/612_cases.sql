-- Cases: defaults on insert, the state machine, round-robin assignment,
-- replies recorded by the outbox, SLA breach marking.

CREATE OR REPLACE FUNCTION crm.case_subject(p_body text, p_post bigint) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(left(btrim(regexp_replace(coalesce(p_body, ''), '\s+', ' ', 'g')), 120), ''),
                  'Post ' || p_post)
$$;

-- What a post is about, for a case opened from it by hand: a complaint when a
-- complaint rule matched it or its sentiment says so (as the inbox shows it),
-- else the category of the first rule that matched it; the assignment rules
-- route by it.
CREATE OR REPLACE FUNCTION crm.post_category(p_post bigint) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN coalesce((SELECT s.complaint FROM listen.post_signal s WHERE s.post_id = p_post), false) THEN 'complaint'
              ELSE (SELECT u.category FROM listen.match m JOIN listen.rule u ON u.id = m.rule_id WHERE m.post_id = p_post
                    ORDER BY u.category = 'complaint' DESC, u.id LIMIT 1) END
$$;

-- Whatever the inserter left out comes from the post (thread root, account,
-- language, the author's contact, what it is about) and the SLA policy (due times from now).
CREATE OR REPLACE FUNCTION crm.case_defaults() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE po record; pol crm.sla_policy;
BEGIN
  IF NEW.post_id IS NOT NULL THEN
    SELECT p.id, p.root_id, p.account_id, p.lang, p.body, p.author_id,
           (SELECT i.contact_id FROM crm.identity i WHERE i.profile_id = p.author_id) AS contact_id
    INTO po FROM social.post p WHERE p.id = NEW.post_id;
    NEW.root_post_id := coalesce(NEW.root_post_id, po.root_id, po.id);
    NEW.account_id := coalesce(NEW.account_id, po.account_id);
    NEW.lang := coalesce(NEW.lang, po.lang);
    NEW.contact_id := coalesce(NEW.contact_id, po.contact_id);
    NEW.subject := coalesce(NEW.subject, crm.case_subject(po.body, po.id));
    NEW.category := coalesce(NEW.category, crm.post_category(po.id));
  END IF;
  NEW.sla_policy_id := coalesce(NEW.sla_policy_id, crm.default_sla_policy());
  SELECT * INTO pol FROM crm.sla_policy WHERE id = NEW.sla_policy_id;
  IF pol.id IS NOT NULL THEN
    NEW.first_response_due_at := coalesce(NEW.first_response_due_at,
      crm.business_due(pol.calendar_id, NEW.created_at, pol.first_response_minutes));
    NEW.resolution_due_at := coalesce(NEW.resolution_due_at,
      crm.business_due(pol.calendar_id, NEW.created_at, pol.resolution_minutes));
  END IF;
  NEW.updated_at := NEW.created_at;
  RETURN NEW;
END $$;

-- Only moves listed in crm.case_transition; the timestamps follow the state.
CREATE OR REPLACE FUNCTION crm.case_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state IS DISTINCT FROM OLD.state THEN
    IF NOT EXISTS (SELECT FROM crm.case_transition WHERE from_state = OLD.state AND to_state = NEW.state) THEN
      RAISE SQLSTATE 'PR409' USING
        MESSAGE = CASE WHEN OLD.state = 'closed' THEN 'A closed case cannot change; a new message opens a follow-up case.'
                       ELSE format('A case cannot go from %s to %s.', OLD.state, NEW.state) END,
        HINT = CASE WHEN OLD.state = 'closed' THEN 'err.case_closed' ELSE 'err.case_move' END,
        DETAIL = jsonb_build_object('from', OLD.state, 'to', NEW.state);
    END IF;
    IF NEW.state = 'resolved' THEN
      NEW.resolved_at := now();
    ELSIF NEW.state = 'closed' THEN
      NEW.closed_at := now();
    ELSIF OLD.state = 'resolved' THEN   -- back to open: a reopen
      NEW.resolved_at := NULL;
      NEW.reopen_count := OLD.reopen_count + 1;
    END IF;
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;

-- Cases of one statement: the post they start from is their first inbound
-- message, an 'opened' state event, then the assignment rules.
CREATE OR REPLACE FUNCTION crm.cases_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE todo bigint[];
BEGIN
  INSERT INTO crm.case_event (case_id, at, kind, post_id, staff_id, data)
  SELECT c.id, c.created_at, 'state', NULL, c.created_by,
         jsonb_strip_nulls(jsonb_build_object('to', c.state, 'rule_id', c.rule_id, 'follow_up_of', c.follow_up_of))
  FROM new_cases c;
  INSERT INTO crm.case_event (case_id, at, kind, post_id)
  SELECT c.id, p.created_at, 'inbound', p.id
  FROM new_cases c JOIN social.post p ON p.id = c.post_id
  ON CONFLICT DO NOTHING;
  SELECT array_agg(id) INTO todo FROM new_cases WHERE assignee_id IS NULL AND team_id IS NULL;
  IF todo IS NOT NULL THEN
    PERFORM crm.assign_round_robin(todo, NULL, NULL);
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS case_defaults ON crm."case";
DROP TRIGGER IF EXISTS case_guard ON crm."case";
DROP TRIGGER IF EXISTS cases_inserted ON crm."case";
CREATE TRIGGER case_defaults BEFORE INSERT ON crm."case" FOR EACH ROW EXECUTE FUNCTION crm.case_defaults();
CREATE TRIGGER case_guard BEFORE UPDATE ON crm."case" FOR EACH ROW EXECUTE FUNCTION crm.case_guard();
CREATE TRIGGER cases_inserted AFTER INSERT ON crm."case" REFERENCING NEW TABLE AS new_cases
  FOR EACH STATEMENT EXECUTE FUNCTION crm.cases_inserted();

-- Moves one case (locked) to p_to and records who did it and why.
CREATE OR REPLACE FUNCTION crm.set_state(p_case bigint, p_to text, p_staff bigint, p_reason text DEFAULT NULL)
RETURNS crm."case" LANGUAGE plpgsql AS $$
DECLARE c crm."case"; was text;
BEGIN
  IF p_to IS NULL OR p_to NOT IN ('new', 'open', 'pending', 'resolved', 'closed') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown case state.', HINT = 'err.case_state';
  END IF;
  SELECT state INTO was FROM crm."case" WHERE id = p_case FOR UPDATE;
  IF was IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such case.', HINT = 'err.no_case';
  ELSIF was = p_to THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = format('The case is already %s.', p_to), HINT = 'err.case_already',
                                 DETAIL = jsonb_build_object('state', p_to);
  END IF;
  UPDATE crm."case" SET state = p_to WHERE id = p_case RETURNING * INTO c;   -- case_guard checks the move
  INSERT INTO crm.case_event (case_id, kind, staff_id, data)
  VALUES (p_case, 'state', p_staff,
          jsonb_strip_nulls(jsonb_build_object('from', was, 'to', p_to, 'reason', p_reason)));
  RETURN c;
END $$;

-- Round-robin: each case gets p_team (or the team of the first assignment
-- rule that fits it) and the team's next active member after the cursor, in
-- staff id order, wrapping around. The team rows are locked in id order
-- before the cursors are read, so concurrent callers take turns and never
-- hand out the same turn twice. Cases of a team with no active member get
-- the team only. Returns how many cases got a team.
CREATE OR REPLACE FUNCTION crm.assign_round_robin(p_cases bigint[], p_team bigint, p_staff bigint)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE ids bigint[]; teams bigint[]; n integer;
BEGIN
  SELECT array_agg(c.id ORDER BY c.id), array_agg(t.team_id ORDER BY c.id) INTO ids, teams
  FROM crm."case" c
  CROSS JOIN LATERAL (
    SELECT coalesce(p_team, (SELECT r.team_id FROM crm.assignment_rule r
                             WHERE r.enabled AND (r.category IS NULL OR r.category = c.category)
                               AND (r.lang IS NULL OR c.lang = r.lang OR c.lang LIKE r.lang || '-%')
                             ORDER BY r.position, r.id LIMIT 1)) AS team_id) t
  WHERE c.id = ANY (p_cases) AND t.team_id IS NOT NULL;
  IF ids IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM FROM crm.team WHERE id = ANY (teams) ORDER BY id FOR UPDATE;
  -- a new statement: its snapshot sees the cursor the previous lock holder committed
  WITH c AS (
    SELECT u.id, u.team_id, row_number() OVER (PARTITION BY u.team_id ORDER BY u.id) - 1 AS k
    FROM unnest(ids, teams) AS u(id, team_id)
  ), m AS (
    SELECT tm.team_id, tm.staff_id,
           row_number() OVER (PARTITION BY tm.team_id ORDER BY tm.staff_id) - 1 AS i,
           count(*) OVER (PARTITION BY tm.team_id) AS n
    FROM crm.team_member tm JOIN auth.staff s ON s.id = tm.staff_id AND s.disabled_at IS NULL AND s.role IN ('agent', 'admin')
    WHERE tm.team_id = ANY (teams)
  ), s AS (
    SELECT t.id AS team_id,
           coalesce((SELECT min(m.i) FROM m WHERE m.team_id = t.id AND m.staff_id > t.rr_last), 0) AS start
    FROM crm.team t WHERE t.id = ANY (teams)
  ), pick AS (
    SELECT c.id, c.team_id, c.k, m.staff_id
    FROM c JOIN s USING (team_id)
    LEFT JOIN m ON m.team_id = c.team_id AND m.i = (s.start + c.k) % m.n
  ), cases AS (
    UPDATE crm."case" x SET team_id = p.team_id, assignee_id = p.staff_id
    FROM pick p WHERE x.id = p.id
    RETURNING x.id
  ), cursor AS (
    UPDATE crm.team t SET rr_last = l.staff_id
    FROM (SELECT DISTINCT ON (team_id) team_id, staff_id FROM pick WHERE staff_id IS NOT NULL
          ORDER BY team_id, k DESC) l
    WHERE t.id = l.team_id
  ), ev AS (
    INSERT INTO crm.case_event (case_id, kind, staff_id, data)
    SELECT p.id, 'assign', p_staff,
           jsonb_build_object('assignee_id', p.staff_id, 'team_id', p.team_id, 'strategy', 'round_robin')
    FROM pick p
  )
  SELECT count(*) INTO n FROM cases;
  RETURN n;
END $$;

-- A staff member disabled, or given a role that does not work cases: their
-- open cases go back to their teams, each to the team's next active member
-- (crm.assign_round_robin skips the disabled one and those roles), or to the
-- team alone when no one else is in it. Cases without a team go where the
-- assignment rules send them.
CREATE OR REPLACE FUNCTION crm.staff_disabled() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE t record;
BEGIN
  FOR t IN
    WITH freed AS (
      UPDATE crm."case" SET assignee_id = NULL
      WHERE assignee_id = NEW.id AND state IN ('new', 'open', 'pending')
      RETURNING id, team_id)
    SELECT team_id, array_agg(id ORDER BY id) AS ids FROM freed GROUP BY team_id
  LOOP
    PERFORM crm.assign_round_robin(t.ids, t.team_id, NULL);
  END LOOP;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS staff_disabled ON auth.staff;
CREATE TRIGGER staff_disabled AFTER UPDATE OF disabled_at ON auth.staff FOR EACH ROW
  WHEN (OLD.disabled_at IS NULL AND NEW.disabled_at IS NOT NULL) EXECUTE FUNCTION crm.staff_disabled();
DROP TRIGGER IF EXISTS staff_left_cases ON auth.staff;
CREATE TRIGGER staff_left_cases AFTER UPDATE OF role ON auth.staff FOR EACH ROW
  WHEN (OLD.role IN ('agent', 'admin') AND NEW.role NOT IN ('agent', 'admin')) EXECUTE FUNCTION crm.staff_disabled();

-- A reply on a case, given at p_at: an outbound event, the first response
-- time, and a new case becomes open. Calling it again for the same post
-- changes nothing. Returns the event id. The outbox records its replies as
-- they are sent (crm.record_outbound); a reply the brand made on the
-- platform itself counts as of when it was written (crm.posts_inserted).
CREATE OR REPLACE FUNCTION crm.record_outbound_at(p_case bigint, p_post bigint, p_staff bigint, p_body text, p_at timestamptz)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE c crm."case"; ev bigint;
BEGIN
  SELECT * INTO c FROM crm."case" WHERE id = p_case FOR UPDATE;
  IF c.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such case.', HINT = 'err.no_case';
  END IF;
  IF p_post IS NOT NULL THEN
    SELECT id INTO ev FROM crm.case_event WHERE case_id = p_case AND post_id = p_post AND kind = 'outbound';
    IF ev IS NOT NULL THEN
      RETURN ev;
    END IF;
  END IF;
  -- (never before the case was opened, nor in the future)
  p_at := least(greatest(p_at, c.created_at), now());
  INSERT INTO crm.case_event (case_id, at, kind, post_id, staff_id, body)
  VALUES (p_case, p_at, 'outbound', p_post, p_staff, p_body) RETURNING id INTO ev;
  -- (a reply sent after the case was closed, queued before, is on its
  -- timeline, but is no response within it: nothing changes a closed case)
  UPDATE crm."case" SET first_response_at = coalesce(first_response_at, p_at) WHERE id = p_case AND state <> 'closed';
  IF c.state = 'new' THEN
    PERFORM crm.set_state(p_case, 'open', p_staff, 'reply');
  END IF;
  RETURN ev;
END $$;

CREATE OR REPLACE FUNCTION crm.record_outbound(p_case bigint, p_post bigint, p_staff bigint, p_body text)
RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT crm.record_outbound_at(p_case, p_post, p_staff, p_body, now())
$$;

-- Records each target missed, once: a first response not given by its due
-- time (or given late), a resolution not reached by its due time. Closed
-- cases are left alone. For the maintenance loop; returns events written.
-- The first-response clock stops at the first response or at the case's
-- resolution, whichever came first (least() skips the one not there); see
-- crm.sla_clock.
CREATE OR REPLACE FUNCTION crm.mark_sla_breaches() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  WITH missed AS (
    SELECT c.id, t.target, t.due
    FROM crm."case" c
    CROSS JOIN LATERAL (VALUES
      ('first_response', c.first_response_due_at,
       c.first_response_breached_at IS NULL
       AND coalesce(least(c.first_response_at, c.resolved_at), now()) > c.first_response_due_at),
      ('resolution', c.resolution_due_at,
       c.resolution_breached_at IS NULL AND coalesce(c.resolved_at, now()) > c.resolution_due_at)
    ) AS t(target, due, missed)
    WHERE c.state <> 'closed' AND (c.first_response_breached_at IS NULL OR c.resolution_breached_at IS NULL)
      AND t.missed
  ), flagged AS (
    UPDATE crm."case" c
    SET first_response_breached_at = CASE WHEN EXISTS (SELECT FROM missed m WHERE m.id = c.id AND m.target = 'first_response')
                                          THEN now() ELSE c.first_response_breached_at END,
        resolution_breached_at = CASE WHEN EXISTS (SELECT FROM missed m WHERE m.id = c.id AND m.target = 'resolution')
                                      THEN now() ELSE c.resolution_breached_at END
    WHERE c.id IN (SELECT id FROM missed)
  ), ev AS (
    INSERT INTO crm.case_event (case_id, kind, data)
    SELECT id, 'sla_breach', jsonb_build_object('target', target, 'due_at', due) FROM missed
    RETURNING 1
  )
  SELECT count(*) INTO n FROM ev;
  RETURN n;
END $$;

-- The maintenance loop (parley harvest) calls this as parley_harvest.
GRANT USAGE ON SCHEMA crm TO parley_harvest;
GRANT EXECUTE ON FUNCTION crm.mark_sla_breaches() TO parley_harvest;

-- The breach clock of a case: per target its due time, when it was met,
-- business minutes left (negative once overdue) and, once overdue, by how
-- many; whether it is breached (met late counts), and whether the clock
-- stopped with the case closed before the target was met.
-- A case resolved before any first response stops that clock too, as
-- closing does: no response was needed, so it is neither met nor breached
-- (the KPIs count no breach). A reopen clears resolved_at and the clock
-- runs again toward the same due time, as the resolution clock does. Due
-- times are fixed when the case opens: pending (waiting on the customer)
-- pauses neither clock.
CREATE OR REPLACE FUNCTION crm.sla_clock(c crm."case") RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT jsonb_build_object(
        'policy', CASE WHEN pol.id IS NOT NULL THEN jsonb_build_object('id', pol.id, 'name', pol.name) END,
        'first_response', jsonb_build_object(
          'due_at', c.first_response_due_at, 'met_at', c.first_response_at,
          'remaining_minutes', m.first_left, 'overdue_minutes', CASE WHEN m.first_left IS NOT NULL THEN greatest(-m.first_left, 0) END,
          'breached', coalesce(coalesce(least(c.first_response_at, c.resolved_at), c.closed_at, now()) > c.first_response_due_at, false),
          'stopped', c.state IN ('resolved', 'closed') AND c.first_response_at IS NULL AND c.first_response_due_at IS NOT NULL),
        'resolution', jsonb_build_object(
          'due_at', c.resolution_due_at, 'met_at', c.resolved_at,
          'remaining_minutes', m.resolution_left, 'overdue_minutes', CASE WHEN m.resolution_left IS NOT NULL THEN greatest(-m.resolution_left, 0) END,
          'breached', coalesce(coalesce(c.resolved_at, c.closed_at, now()) > c.resolution_due_at, false),
          'stopped', c.state = 'closed' AND c.resolved_at IS NULL AND c.resolution_due_at IS NOT NULL))
      FROM (SELECT 1) one LEFT JOIN crm.sla_policy pol ON pol.id = c.sla_policy_id,
      LATERAL (SELECT CASE WHEN c.first_response_at IS NULL AND c.state NOT IN ('resolved', 'closed')
                           THEN crm.business_minutes(pol.calendar_id, now(), c.first_response_due_at) END AS first_left,
                      CASE WHEN c.resolved_at IS NULL AND c.state <> 'closed'
                           THEN crm.business_minutes(pol.calendar_id, now(), c.resolution_due_at) END AS resolution_left) m);
END $$;

-- KPI facts, one row per case (grain: the case as it is now). Times run from
-- the case's creation; business seconds use its SLA policy's calendar.
-- Resolution is the latest one (a reopened case counts from creation to its
-- final resolution); breached flags hold if the target was ever missed, the
-- first response's clock stopping as in crm.sla_clock.
DROP VIEW IF EXISTS crm.case_fact;
CREATE VIEW crm.case_fact AS
  SELECT c.id AS case_id, c.number, c.created_at, c.state, c.priority, c.category, c.lang,
         c.account_id, c.team_id, c.assignee_id, c.contact_id, c.sla_policy_id,
         c.first_response_at,
         extract(epoch FROM c.first_response_at - c.created_at)::bigint AS first_response_seconds,
         crm.business_seconds(pol.calendar_id, c.created_at, c.first_response_at) AS first_response_business_seconds,
         c.resolved_at,
         extract(epoch FROM c.resolved_at - c.created_at)::bigint AS resolution_seconds,
         crm.business_seconds(pol.calendar_id, c.created_at, c.resolved_at) AS resolution_business_seconds,
         c.closed_at, c.reopen_count,
         (c.first_response_breached_at IS NOT NULL
          OR coalesce(least(c.first_response_at, c.resolved_at), c.closed_at, now()) > c.first_response_due_at) AS first_response_breached,
         (c.resolution_breached_at IS NOT NULL
          OR coalesce(c.resolved_at, c.closed_at, now()) > c.resolution_due_at) AS resolution_breached
  FROM crm."case" c LEFT JOIN crm.sla_policy pol ON pol.id = c.sla_policy_id;
