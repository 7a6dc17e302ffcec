-- Case work for agents (admins pass): the case list, one case with its
-- timeline, opening from a post, state, assignment, priority, notes; teams
-- and SLA policies for admins. Every change is audited.

-- One case as list rows and headers show it.
CREATE OR REPLACE FUNCTION crm.case_row(c crm."case") RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT jsonb_build_object(
        'id', c.id, 'number', c.number, 'ref', 'C-' || c.number, 'subject', c.subject, 'state', c.state,
        'priority', c.priority, 'category', c.category, 'lang', c.lang,
        'created_at', c.created_at, 'updated_at', c.updated_at,
        'first_response_at', c.first_response_at, 'resolved_at', c.resolved_at, 'closed_at', c.closed_at,
        'reopen_count', c.reopen_count, 'post_id', c.post_id, 'follow_up', c.follow_up_of IS NOT NULL,
        'assignee', crm.staff_ref(c.assignee_id), 'team', crm.team_ref(c.team_id),
        'contact', crm.contact_ref(c.contact_id),
        'author', (SELECT jsonb_build_object('id', a.id, 'handle', a.handle, 'name', a.display_name, 'platform', a.platform)
                   FROM social.post p JOIN social.profile a ON a.id = p.author_id WHERE p.id = c.post_id),
        'sla', crm.sla_clock(c)));
END $$;

CREATE FUNCTION api.cases(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent');
        f_state text := nullif(p->>'state', ''); f_priority text := nullif(p->>'priority', '');
        f_team bigint := crm.param_id(p, 'team_id'); f_before bigint := crm.param_id(p, 'before');
        f_mine boolean := coalesce(p->>'mine', '') IN ('true', '1', 'on', 'yes');
        rows jsonb;
BEGIN
  IF f_state IS NOT NULL AND f_state NOT IN ('active', 'new', 'open', 'pending', 'resolved', 'closed') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown case state.', HINT = 'err.case_state';
  END IF;
  IF f_priority IS NOT NULL AND f_priority NOT IN ('low', 'normal', 'high', 'urgent') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown priority.', HINT = 'err.case_priority';
  END IF;
  SELECT coalesce(jsonb_agg(crm.case_row(x.c) ORDER BY (x.c).id DESC), '[]') INTO rows
  FROM (SELECT c FROM crm."case" c
        WHERE (f_state IS NULL OR c.state = f_state
               OR (f_state = 'active' AND c.state IN ('new', 'open', 'pending')))
          AND (f_priority IS NULL OR c.priority = f_priority)
          AND (f_team IS NULL OR c.team_id = f_team)
          AND (NOT f_mine OR c.assignee_id = st.id)
          AND c.id < coalesce(f_before, 9223372036854775807)
        ORDER BY c.id DESC LIMIT 51) x;   -- (one more than a page: is there an older page?)
  RETURN jsonb_build_object(
    'cases', rows - 50,
    'next_before', CASE WHEN jsonb_array_length(rows) = 51 THEN rows->49->'id' END,
    'filters', jsonb_build_object('state', f_state, 'priority', f_priority, 'team_id', f_team, 'mine', f_mine),
    -- the filters as a query string, so the next page keeps them
    'query', crm.query_string(jsonb_build_object('state', f_state, 'priority', f_priority, 'team_id', f_team,
                                                 'mine', CASE WHEN f_mine THEN '1' END)),
    -- the filter form's choices, with the selected one marked
    'states', (SELECT jsonb_agg(jsonb_build_object('code', s, 'state', s, 'selected', s = f_state) ORDER BY o)
               FROM unnest(ARRAY['active', 'new', 'open', 'pending', 'resolved', 'closed']) WITH ORDINALITY u(s, o)),
    'priorities', (SELECT jsonb_agg(jsonb_build_object('code', s, 'priority', s, 'selected', s = f_priority) ORDER BY o)
                   FROM unnest(ARRAY['urgent', 'high', 'normal', 'low']) WITH ORDINALITY u(s, o)),
    'teams', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'name', name, 'selected', id = f_team) ORDER BY name)
                       FROM crm.team), '[]'));
END $$;

CREATE FUNCTION api."case"(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent'); c crm."case";
BEGIN
  SELECT * INTO c FROM crm."case" WHERE id = crm.need_id(p);
  IF c.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such case.', HINT = 'err.no_case';
  END IF;
  RETURN jsonb_build_object(
    'case', crm.case_row(c) || jsonb_build_object(
      'account', (SELECT jsonb_build_object('id', a.id, 'platform', a.platform, 'handle', a.handle)
                  FROM social.account a WHERE a.id = c.account_id),
      'rule', (SELECT jsonb_build_object('id', r.id, 'name', r.name) FROM listen.rule r WHERE r.id = c.rule_id),
      'follow_up_of', (SELECT jsonb_build_object('id', o.id, 'ref', 'C-' || o.number, 'state', o.state)
                       FROM crm."case" o WHERE o.id = c.follow_up_of),
      'follow_ups', coalesce((SELECT jsonb_agg(jsonb_build_object('id', o.id, 'ref', 'C-' || o.number, 'state', o.state)
                                               ORDER BY o.id)
                              FROM crm."case" o WHERE o.follow_up_of = c.id), '[]'),
      'mine', c.assignee_id = st.id),
    'post', (SELECT card FROM social.post_card WHERE id = c.post_id),
    'contact', (SELECT jsonb_build_object(
                  'id', k.id, 'name', k.name, 'emails', to_jsonb(k.emails), 'phones', to_jsonb(k.phones),
                  'identities', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                            'profile_id', pr.id, 'platform', pr.platform, 'handle', pr.handle,
                                            'display_name', pr.display_name) ORDER BY pr.id)
                                          FROM crm.identity i JOIN social.profile pr ON pr.id = i.profile_id
                                          WHERE i.contact_id = k.id), '[]'))
                FROM crm.contact k WHERE k.id = c.contact_id),
    'sla', crm.sla_clock(c),
    -- its replies with their state (queued, failed and why, sent): the
    -- timeline has a reply only once it is sent
    'outbox', api.outbox_for_case(jsonb_build_object('case_id', c.id))->'entries',
    'has_outbox', EXISTS (SELECT FROM ingest.outbox o WHERE o.case_id = c.id),
    -- the latest 500 events, oldest first
    'timeline', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'id', e.id, 'at', e.at, 'kind', e.kind, 'body', e.body,
               -- (a priority event's "to" is a priority, not a state: named so, it reads as one)
               'data', CASE WHEN e.kind = 'priority' THEN e.data - 'to' || jsonb_build_object('priority', e.data->'to') ELSE e.data END,
               'staff', crm.staff_ref(e.staff_id),
               -- whom an assignment gave the case to (no one: back to the team)
               'assigned_to', CASE WHEN e.kind = 'assign'
                                   THEN coalesce(crm.staff_ref((e.data->>'assignee_id')::bigint), '{"nobody": true, "name": null}') END,
               'post', (SELECT card FROM social.post_card pc WHERE pc.id = e.post_id)) ORDER BY e.at, e.id)
      FROM (SELECT * FROM crm.case_event WHERE case_id = c.id ORDER BY at DESC, id DESC LIMIT 500) e), '[]'),
    'closed', c.state = 'closed',   -- nothing changes a closed case but notes (a new message opens a follow-up)
    'transitions', coalesce((SELECT jsonb_agg(jsonb_build_object('state', to_state) ORDER BY array_position(
                               ARRAY['new', 'open', 'pending', 'resolved', 'closed'], to_state))
                             FROM crm.case_transition WHERE from_state = c.state), '[]'),
    -- the priority choice, the case's own marked (a stray submit keeps it)
    'priorities', (SELECT jsonb_agg(jsonb_build_object('priority', s, 'selected', s = c.priority) ORDER BY o)
                   FROM unnest(ARRAY['urgent', 'high', 'normal', 'low']) WITH ORDINALITY u(s, o)),
    -- the assignee choice, the case's own marked (a stray submit keeps it)
    'assignable', coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'name', s.display_name,
                                                                'username', s.username, 'role', s.role,
                                                                'selected', s.id = c.assignee_id)
                                             ORDER BY s.display_name, s.id)
                            FROM auth.staff s WHERE s.disabled_at IS NULL AND s.role IN ('agent', 'admin')), '[]'),
    -- the teams a case may be given to (its next member in turn takes it), its own marked
    'teams', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'name', name, 'selected', id = c.team_id) ORDER BY name)
                       FROM crm.team), '[]'),
    'has_teams', EXISTS (SELECT FROM crm.team));
END $$;

-- A case for a post, or the case the post already belongs to (its own, or
-- the one it is a message of).
CREATE FUNCTION api.case_open(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent'); v_post bigint := crm.need_id(p, 'post_id');
        prio text := coalesce(nullif(p->>'priority', ''), 'normal'); subj text := nullif(btrim(p->>'subject'), '');
        cid bigint; made boolean := false;
BEGIN
  IF NOT EXISTS (SELECT FROM social.post WHERE id = v_post) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such post.', HINT = 'err.no_post';
  END IF;
  PERFORM crm.refuse_own_post(v_post);
  IF prio NOT IN ('low', 'normal', 'high', 'urgent') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown priority.', HINT = 'err.case_priority';
  END IF;
  IF length(subj) > 500 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The subject is too long (500 characters at most).', HINT = 'err.case_subject_long';
  END IF;
  PERFORM social.check_shown_name(subj);
  cid := coalesce((SELECT id FROM crm."case" WHERE post_id = v_post),
                  (SELECT case_id FROM crm.case_event WHERE post_id = v_post AND kind = 'inbound' ORDER BY case_id DESC LIMIT 1));
  IF cid IS NULL THEN
    INSERT INTO crm."case" (post_id, subject, priority, created_by) VALUES (v_post, subj, prio, st.id)
    ON CONFLICT (post_id) WHERE post_id IS NOT NULL DO NOTHING
    RETURNING id INTO cid;
    made := cid IS NOT NULL;
    cid := coalesce(cid, (SELECT id FROM crm."case" WHERE post_id = v_post));   -- lost a race: theirs
  END IF;
  IF made THEN
    PERFORM auth.audit('case_opened', st.id, jsonb_build_object('case', cid, 'post', v_post));
  END IF;
  RETURN jsonb_build_object('id', cid, 'ref', (SELECT 'C-' || number FROM crm."case" WHERE id = cid), 'created', made,
                            'redirect', '/case?id=' || cid);
END $$;

CREATE FUNCTION api.case_state(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent'); c crm."case";
BEGIN
  c := crm.set_state(crm.need_id(p), nullif(p->>'state', ''), st.id);
  PERFORM auth.audit('case_state', st.id, jsonb_build_object('case', c.id, 'state', c.state));
  RETURN jsonb_build_object('id', c.id, 'ref', 'C-' || c.number, 'state', c.state, 'redirect', '/case?id=' || c.id);
END $$;

-- The case, locked, unless it is missing (PR404) or closed (PR409).
CREATE OR REPLACE FUNCTION crm.case_for_change(p_id bigint) RETURNS crm."case"
LANGUAGE plpgsql AS $$
DECLARE c crm."case";
BEGIN
  SELECT * INTO c FROM crm."case" WHERE id = p_id FOR UPDATE;
  IF c.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such case.', HINT = 'err.no_case';
  ELSIF c.state = 'closed' THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'A closed case cannot change; a new message opens a follow-up case.',
                                 HINT = 'err.case_closed';
  END IF;
  RETURN c;
END $$;

-- To a staff member ("me", an id, or empty to unassign; the team stays), or
-- to a team (its next member in round-robin order).
CREATE FUNCTION api.case_assign(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent'); c crm."case" := crm.case_for_change(crm.need_id(p));
        who bigint; v_team bigint := crm.param_id(p, 'team_id'); s auth.staff;
BEGIN
  IF v_team IS NOT NULL THEN
    IF NOT EXISTS (SELECT FROM crm.team WHERE id = v_team) THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such team.', HINT = 'err.no_team';
    END IF;
    PERFORM crm.assign_round_robin(ARRAY[c.id], v_team, st.id);
  ELSIF p ? 'staff_id' OR p->>'me' IN ('true', '1', 'on') THEN
    -- "none" unassigns (a form drops an empty field, so "" never arrives)
    who := CASE WHEN p->>'staff_id' = 'me' OR p->>'me' IN ('true', '1', 'on') THEN st.id
                WHEN p->>'staff_id' = 'none' THEN NULL
                ELSE crm.param_id(p, 'staff_id') END;
    IF who IS NOT NULL THEN
      SELECT * INTO s FROM auth.staff WHERE id = who;
      IF s.id IS NULL THEN
        RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such staff member.', HINT = 'err.no_staff';
      ELSIF s.disabled_at IS NOT NULL OR s.role NOT IN ('agent', 'admin') THEN
        RAISE SQLSTATE 'PR422' USING MESSAGE = 'Only active agents and admins can take cases.', HINT = 'err.case_assignee';
      END IF;
    END IF;
    IF who IS DISTINCT FROM c.assignee_id THEN
      UPDATE crm."case" SET assignee_id = who WHERE id = c.id;
      INSERT INTO crm.case_event (case_id, kind, staff_id, data)
      VALUES (c.id, 'assign', st.id, jsonb_build_object('assignee_id', who, 'from_assignee_id', c.assignee_id,
                                                        'team_id', c.team_id));
    END IF;
  ELSE
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose a staff member or a team.', HINT = 'err.assign_target';
  END IF;
  SELECT * INTO c FROM crm."case" WHERE id = c.id;
  PERFORM auth.audit('case_assigned', st.id,
                     jsonb_build_object('case', c.id, 'assignee', c.assignee_id, 'team', c.team_id));
  RETURN jsonb_build_object('id', c.id, 'assignee', crm.staff_ref(c.assignee_id), 'team', crm.team_ref(c.team_id),
                            'redirect', '/case?id=' || c.id);
END $$;

CREATE FUNCTION api.case_priority(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent'); c crm."case" := crm.case_for_change(crm.need_id(p));
        prio text := p->>'priority';
BEGIN
  IF prio IS NULL OR prio NOT IN ('low', 'normal', 'high', 'urgent') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown priority.', HINT = 'err.case_priority';
  END IF;
  IF prio <> c.priority THEN
    UPDATE crm."case" SET priority = prio WHERE id = c.id;
    INSERT INTO crm.case_event (case_id, kind, staff_id, data)
    VALUES (c.id, 'priority', st.id, jsonb_build_object('from', c.priority, 'to', prio));
    PERFORM auth.audit('case_priority', st.id, jsonb_build_object('case', c.id, 'priority', prio));
  END IF;
  RETURN jsonb_build_object('id', c.id, 'priority', prio, 'redirect', '/case?id=' || c.id);
END $$;

-- Internal notes: seen by staff only, never sent. Closed cases take notes too.
CREATE FUNCTION api.case_note(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
<<note>>
DECLARE st auth.staff := auth.require('agent'); cid bigint := crm.need_id(p); body text := btrim(p->>'body'); ev bigint;
BEGIN
  PERFORM FROM crm."case" WHERE id = cid FOR NO KEY UPDATE;   -- (one note at a time per case: see below)
  IF NOT FOUND THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such case.', HINT = 'err.no_case';
  ELSIF body IS NULL OR body = '' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The note is empty.', HINT = 'err.note_empty';
  ELSIF length(body) > 10000 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The note is too long (10000 characters at most).', HINT = 'err.note_long';
  ELSIF body ~ social.text_control_class() THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A note cannot contain control characters.', HINT = 'err.note_chars';
  -- the same note by the same person minutes ago: sent again from a fresh
  -- form (Back after adding it brings the text back), not a new note
  ELSIF EXISTS (SELECT FROM crm.case_event e WHERE e.case_id = cid AND e.kind = 'note' AND e.staff_id = st.id
                AND e.body = note.body AND e.at > now() - interval '10 minutes') THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'You added this note to the case a moment ago. To add another, change its words.',
                                 HINT = 'err.note_duplicate';
  END IF;
  INSERT INTO crm.case_event (case_id, kind, staff_id, body) VALUES (cid, 'note', st.id, body) RETURNING id INTO ev;
  UPDATE crm."case" SET updated_at = now() WHERE id = cid AND state <> 'closed';
  PERFORM auth.audit('case_note', st.id, jsonb_build_object('case', cid, 'event', ev));
  RETURN jsonb_build_object('id', cid, 'event_id', ev, 'redirect', '/case?id=' || cid);
END $$;

-- Teams with members and the assignment rules that feed them.
-- Admins also get, per team, the staff who can work cases with whether each
-- is a member (the page's member checkboxes).
CREATE FUNCTION api.teams(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent');
BEGIN
  RETURN jsonb_build_object(
    'teams', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'id', t.id, 'name', t.name,
        'members', coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'name', s.display_name,
                                                                 'username', s.username, 'role', s.role,
                                                                 'disabled', s.disabled_at IS NOT NULL)
                                              ORDER BY s.id)
                             FROM crm.team_member m JOIN auth.staff s ON s.id = m.staff_id WHERE m.team_id = t.id), '[]'),
        'rules', coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'category', r.category, 'lang', r.lang,
                                                               'strategy', r.strategy, 'position', r.position,
                                                               'enabled', r.enabled) ORDER BY r.position, r.id)
                           FROM crm.assignment_rule r WHERE r.team_id = t.id), '[]'),
        'open_cases', (SELECT count(*) FROM crm."case" c WHERE c.team_id = t.id AND c.state IN ('new', 'open', 'pending')),
        'choices', CASE WHEN st.role = 'admin' THEN coalesce((
          SELECT jsonb_agg(jsonb_build_object('id', s.id, 'name', s.display_name, 'username', s.username,
                                              'member', EXISTS (SELECT FROM crm.team_member m
                                                                WHERE m.team_id = t.id AND m.staff_id = s.id))
                           ORDER BY s.display_name, s.id)
          FROM auth.staff s
          WHERE (s.role IN ('agent', 'admin') AND s.disabled_at IS NULL)
             OR EXISTS (SELECT FROM crm.team_member m WHERE m.team_id = t.id AND m.staff_id = s.id)), '[]') END)
      ORDER BY t.name) FROM crm.team t), '[]'),
    'category_options', listen.form_choices(NULL, NULL)->'category_options',
    'staff', coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'name', s.display_name,
                                                           'username', s.username, 'role', s.role) ORDER BY s.display_name, s.id)
                       FROM auth.staff s WHERE s.disabled_at IS NULL AND s.role IN ('agent', 'admin')), '[]'));
END $$;

-- Create (no id) or rename a team and set its members (admins).
CREATE FUNCTION api.team_save(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('admin'); tid bigint := crm.param_id(p, 'id');
        nm text := btrim(p->>'name');
        -- member_ids: a list, or "1,2,3" from a form, whose 'members' field says
        -- it lists them (an unchecked box sends nothing); absent: unchanged.
        members bigint[] := CASE WHEN p ? 'member_ids' OR crm.param_flag(p, 'members')
                                 THEN coalesce(crm.param_ids(p, 'member_ids'), '{}') END;
BEGIN
  IF nm IS NULL OR nm = '' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A team needs a name.', HINT = 'err.team_name';
  ELSIF length(nm) > 200 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The name is too long (200 characters at most).', HINT = 'err.team_name_long';
  END IF;
  PERFORM social.check_shown_name(nm);
  -- names that differ only in case would look like one team on every page
  IF EXISTS (SELECT FROM crm.team WHERE lower(name) = lower(nm) AND id IS DISTINCT FROM tid) THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'A team with that name exists.', HINT = 'err.team_exists';
  END IF;
  IF EXISTS (SELECT FROM unnest(members) m WHERE NOT EXISTS (SELECT FROM auth.staff s WHERE s.id = m)) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such staff member.', HINT = 'err.no_staff';
  END IF;
  -- new members work cases: active agents and admins (one disabled since may stay)
  IF EXISTS (SELECT FROM unnest(members) m JOIN auth.staff s ON s.id = m
             WHERE (s.disabled_at IS NOT NULL OR s.role NOT IN ('agent', 'admin'))
               AND NOT EXISTS (SELECT FROM crm.team_member tm WHERE tm.team_id = tid AND tm.staff_id = m)) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Team members are active agents and admins: they are the ones who work cases.',
                                 HINT = 'err.team_member_role';
  END IF;
  BEGIN
    IF tid IS NULL THEN
      INSERT INTO crm.team (name) VALUES (nm) RETURNING id INTO tid;
    ELSE
      UPDATE crm.team SET name = nm WHERE id = tid RETURNING id INTO tid;
      IF tid IS NULL THEN
        RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such team.', HINT = 'err.no_team';
      END IF;
    END IF;
  EXCEPTION WHEN unique_violation THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'A team with that name exists.', HINT = 'err.team_exists';
  END;
  IF members IS NOT NULL THEN
    DELETE FROM crm.team_member WHERE team_id = tid AND staff_id <> ALL (members);
    INSERT INTO crm.team_member (team_id, staff_id) SELECT tid, m FROM unnest(members) m ON CONFLICT DO NOTHING;
  END IF;
  PERFORM auth.audit('team_saved', st.id, jsonb_build_object('team', tid, 'name', nm, 'members', members));
  RETURN jsonb_build_object('id', tid);
END $$;

-- Create (no id) or change an assignment rule (admins): {team_id, category
-- (empty: any), lang (a language code, empty: any; 'zh' also fits 'zh-CN'),
-- position (lower first), enabled}. The first enabled rule that fits a new
-- case gives its team (crm.assign_round_robin).
CREATE FUNCTION api.assignment_rule_save(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('admin'); rid bigint := crm.param_id(p, 'id');
        v_team bigint := crm.param_id(p, 'team_id');
        v_cat text := nullif(btrim(p->>'category'), '');
        v_lang text := lower(nullif(btrim(p->>'lang'), ''));
        v_pos text := coalesce(nullif(btrim(p->>'position'), ''), '100');
BEGIN
  IF v_team IS NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose the team the cases go to.', HINT = 'err.rule_team';
  ELSIF NOT EXISTS (SELECT FROM crm.team WHERE id = v_team) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such team.', HINT = 'err.no_team';
  ELSIF v_cat IS NOT NULL AND v_cat <> ALL (listen.categories()) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose a category: brand, product, competitor, complaint, campaign or custom.', HINT = 'err.rule_category';
  ELSIF v_lang !~ '^[a-z]{2,3}$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Use a two- or three-letter language code, e.g. en, zh.', HINT = 'err.rule_lang';
  ELSIF v_pos !~ '^[0-9]{1,5}$' OR v_pos::integer > 10000 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The position is a whole number from 0 to 10000.', HINT = 'err.rule_position';
  END IF;
  IF rid IS NULL THEN
    INSERT INTO crm.assignment_rule (team_id, category, lang, position, enabled)
    VALUES (v_team, v_cat, v_lang, v_pos::integer, crm.param_flag(p, 'enabled', true)) RETURNING id INTO rid;
  ELSE
    UPDATE crm.assignment_rule r SET team_id = v_team, category = v_cat, lang = v_lang, position = v_pos::integer,
                                     enabled = crm.param_flag(p, 'enabled', r.enabled)
    WHERE r.id = rid RETURNING r.id INTO rid;
    IF rid IS NULL THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such assignment rule.', HINT = 'err.no_assignment_rule';
    END IF;
  END IF;
  PERFORM auth.audit('assignment_rule_saved', st.id, jsonb_build_object('rule', rid, 'team', v_team,
                                                                        'category', v_cat, 'lang', v_lang));
  RETURN jsonb_build_object('id', rid);
END $$;

CREATE FUNCTION api.assignment_rule_delete(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('admin'); rid bigint := crm.param_id(p, 'id'); v_team bigint;
BEGIN
  DELETE FROM crm.assignment_rule WHERE id = rid RETURNING team_id INTO v_team;
  IF v_team IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such assignment rule.', HINT = 'err.no_assignment_rule';
  END IF;
  PERFORM auth.audit('assignment_rule_deleted', st.id, jsonb_build_object('rule', rid, 'team', v_team));
  RETURN jsonb_build_object('id', rid);
END $$;

CREATE FUNCTION api.sla_policies(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent');
BEGIN
  RETURN jsonb_build_object('policies', coalesce((SELECT jsonb_agg(jsonb_build_object(
      'id', s.id, 'name', s.name, 'first_response_minutes', s.first_response_minutes,
      'resolution_minutes', s.resolution_minutes, 'is_default', s.is_default,
      'calendar', jsonb_build_object(
        'id', k.id, 'name', k.name, 'tz', k.tz,
        'hours', coalesce((SELECT jsonb_agg(jsonb_build_object('dow', h.dow, 'start', to_char(h.start_time, 'HH24:MI'),
                                                               'end', CASE WHEN h.end_time = '24:00' THEN '24:00'
                                                                           ELSE to_char(h.end_time, 'HH24:MI') END)
                                            ORDER BY h.dow, h.start_time)
                           FROM crm.calendar_hours h WHERE h.calendar_id = k.id), '[]'),
        'holidays', coalesce((SELECT jsonb_agg(jsonb_build_object('day', d.day, 'name', d.name) ORDER BY d.day)
                              FROM crm.holiday d WHERE d.calendar_id = k.id), '[]'),
        'hours_text', coalesce(crm.hours_text(k.id), ''),
        'holidays_text', coalesce((SELECT string_agg(rtrim(to_char(d.day, 'YYYY-MM-DD') || ' ' || d.name), E'\n' ORDER BY d.day)
                                   FROM crm.holiday d WHERE d.calendar_id = k.id), '')))
    ORDER BY s.is_default DESC, s.name)
    FROM crm.sla_policy s JOIN crm.calendar k ON k.id = s.calendar_id), '[]'),
    'time_zones', CASE WHEN st.role = 'admin' THEN auth.time_zone_choices(ARRAY(SELECT DISTINCT tz FROM crm.calendar)) END);
END $$;

-- Create (no id) or replace a policy with its own calendar (admins):
-- {name, first_response_minutes, resolution_minutes, tz, is_default,
--  hours: [{dow 1-7, start "09:00", end "18:00"}], holidays: [{day, name}]}.
-- The page's form sends hours_text and holidays_text instead, one a line
-- (crm.hours_from_text). Existing cases keep the due times they were given.
CREATE FUNCTION api.sla_policy_save(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('admin'); pid bigint := crm.param_id(p, 'id'); cal bigint;
        nm text := btrim(p->>'name'); v_tz text := auth.time_zone(p->>'tz');
        fr integer; res integer; twice text; clash text;
        make_default boolean := crm.param_flag(p, 'is_default');
BEGIN
  IF NOT p ? 'hours' AND p ? 'hours_text' THEN
    p := p || jsonb_build_object('hours', crm.hours_from_text(p->>'hours_text'));
  END IF;
  IF NOT p ? 'holidays' AND p ? 'holidays_text' THEN
    p := p || jsonb_build_object('holidays', crm.holidays_from_text(p->>'holidays_text'));
  END IF;
  IF jsonb_typeof(coalesce(p->'hours', '[]')) <> 'array' OR jsonb_typeof(coalesce(p->'holidays', '[]')) <> 'array' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Hours are a day 1-7 with HH:MM start before end; holidays are YYYY-MM-DD dates.',
                                 HINT = 'err.sla_hours';
  END IF;
  IF nm IS NULL OR nm = '' OR length(nm) > 200 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A policy needs a name (200 characters at most).', HINT = 'err.sla_name';
  END IF;
  PERFORM social.check_shown_name(nm);
  PERFORM social.check_shown_name(d->>'name') FROM jsonb_array_elements(coalesce(p->'holidays', '[]')) d;
  IF coalesce(p->>'first_response_minutes', '') !~ '^[0-9]{1,6}$' OR coalesce(p->>'resolution_minutes', '') !~ '^[0-9]{1,6}$'
     OR (p->>'first_response_minutes')::integer NOT BETWEEN 1 AND 525600
     OR (p->>'resolution_minutes')::integer NOT BETWEEN 1 AND 525600 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Targets are whole minutes from 1 to 525600.', HINT = 'err.sla_targets';
  END IF;
  -- as many as the page's form can show and send back again
  IF jsonb_array_length(coalesce(p->'hours', '[]')) > 70 OR jsonb_array_length(coalesce(p->'holidays', '[]')) > 500 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A policy has at most 70 opening hours and 500 holidays.', HINT = 'err.sla_too_many';
  END IF;
  IF p->'hours' IS NULL OR p->'hours' = '[]'::jsonb THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Give the policy its opening hours (such as 1-5 09:00-18:00; 1-7 00:00-24:00 for always).',
                                 HINT = 'err.sla_no_hours';
  END IF;
  fr := (p->>'first_response_minutes')::integer;
  res := (p->>'resolution_minutes')::integer;
  IF res < fr THEN   -- a case is answered before it is resolved
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The resolution target cannot be shorter than the first-response target.',
                                 HINT = 'err.sla_order';
  END IF;
  IF EXISTS (SELECT FROM jsonb_array_elements(p->'hours') h
                WHERE coalesce(h->>'dow', '') !~ '^[1-7]$'
                   OR coalesce(h->>'start', '') !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
                   OR coalesce(h->>'end', '') !~ '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$'
                   OR h->>'start' >= h->>'end')
     OR EXISTS (SELECT FROM jsonb_array_elements(coalesce(p->'holidays', '[]')) d
                WHERE coalesce(d->>'day', '') !~ '^\d{4}-\d{2}-\d{2}$' OR length(coalesce(d->>'name', '')) > 200) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Hours are a day 1-7 with HH:MM start before end; holidays are YYYY-MM-DD dates.',
                                 HINT = 'err.sla_hours';
  END IF;
  -- business minutes count each stretch once: overlapping ones would count twice
  IF EXISTS (SELECT FROM jsonb_array_elements(p->'hours') WITH ORDINALITY a(h, i)
             JOIN jsonb_array_elements(p->'hours') WITH ORDINALITY b(h, j)
               ON a.i < b.j AND a.h->>'dow' = b.h->>'dow'
              AND (a.h->>'start', a.h->>'end') IS DISTINCT FROM (b.h->>'start', b.h->>'end')
              AND a.h->>'start' < b.h->>'end' AND b.h->>'start' < a.h->>'end') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Opening hours overlap on a day: give each stretch once (such as 1-5 09:00-12:00 and 1-5 13:00-18:00).',
                                 HINT = 'err.sla_hours_overlap';
  END IF;
  IF EXISTS (SELECT FROM crm.sla_policy WHERE lower(name) = lower(nm) AND id IS DISTINCT FROM pid) THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'A policy with that name exists.', HINT = 'err.sla_policy_exists';
  END IF;
  SELECT d->>'day' INTO twice FROM jsonb_array_elements(p->'holidays') d GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 1;
  IF twice IS NOT NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('%s is given twice among the holidays: one line a day.', twice),
                                 HINT = 'err.sla_holiday_twice_named', DETAIL = jsonb_build_object('day', twice);
  END IF;
  -- one default at a time: concurrent saves that make a policy the default
  -- take turns, each then seeing the default the one before it set
  IF make_default THEN
    LOCK TABLE crm.sla_policy IN SHARE ROW EXCLUSIVE MODE;
  END IF;
  BEGIN
    IF pid IS NULL THEN
      INSERT INTO crm.calendar (name, tz) VALUES (nm, v_tz) RETURNING id INTO cal;
      INSERT INTO crm.sla_policy (name, calendar_id, first_response_minutes, resolution_minutes)
      VALUES (nm, cal, fr, res) RETURNING id INTO pid;
    ELSE
      UPDATE crm.sla_policy SET name = nm, first_response_minutes = fr, resolution_minutes = res
      WHERE id = pid RETURNING calendar_id INTO cal;
      IF cal IS NULL THEN
        RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such SLA policy.', HINT = 'err.no_sla_policy';
      END IF;
      UPDATE crm.calendar SET name = nm, tz = v_tz WHERE id = cal; -- a policy's calendar goes by its name
      DELETE FROM crm.calendar_hours WHERE calendar_id = cal;
      DELETE FROM crm.holiday WHERE calendar_id = cal;
    END IF;
    INSERT INTO crm.calendar_hours (calendar_id, dow, start_time, end_time)
    SELECT DISTINCT ON ((h->>'dow')::smallint, (h->>'start')::time)
           cal, (h->>'dow')::smallint, (h->>'start')::time, (h->>'end')::time
    FROM jsonb_array_elements(coalesce(p->'hours', '[]')) h;
    INSERT INTO crm.holiday (calendar_id, day, name)
    SELECT cal, (d->>'day')::date, coalesce(d->>'name', '') FROM jsonb_array_elements(coalesce(p->'holidays', '[]')) d
    ON CONFLICT DO NOTHING;
    IF make_default THEN
      UPDATE crm.sla_policy SET is_default = false WHERE is_default AND id <> pid;
      UPDATE crm.sla_policy SET is_default = true WHERE id = pid;
    END IF;
  EXCEPTION
    WHEN unique_violation THEN
      GET STACKED DIAGNOSTICS clash = CONSTRAINT_NAME;
      -- (a concurrent save of the same new name meets its calendar first)
      IF clash LIKE 'calendar%' AND NOT EXISTS (SELECT FROM crm.sla_policy WHERE lower(name) = lower(nm)) THEN
        RAISE SQLSTATE 'PR409' USING MESSAGE = 'A business calendar has that name: give the policy another one.',
                                     HINT = 'err.sla_calendar_exists';
      END IF;
      RAISE SQLSTATE 'PR409' USING MESSAGE = 'A policy with that name exists.', HINT = 'err.sla_policy_exists';
    WHEN invalid_datetime_format OR datetime_field_overflow THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'Hours are a day 1-7 with HH:MM start before end; holidays are YYYY-MM-DD dates.',
                                   HINT = 'err.sla_hours';
  END;
  PERFORM auth.audit('sla_policy_saved', st.id, jsonb_build_object('policy', pid, 'name', nm));
  RETURN jsonb_build_object('id', pid);
END $$;
