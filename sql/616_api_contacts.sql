-- Contacts and leads from posts. Marketers and agents create and link
-- contacts; sales staff work leads; agents, marketers and sales read contacts.

-- The post's author becomes an identity of a contact: of p.contact_id when
-- given, else of the contact the profile already has, else of a new one.
CREATE FUNCTION api.contact_from_post(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer', 'agent'); v_post bigint := crm.need_id(p, 'post_id');
        want bigint := crm.param_id(p, 'contact_id'); prof bigint; have bigint; made boolean := false;
BEGIN
  SELECT author_id INTO prof FROM social.post WHERE id = v_post;
  IF NOT FOUND THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such post.', HINT = 'err.no_post';
  ELSIF prof IS NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The author of this post is not known.', HINT = 'err.post_no_author';
  END IF;
  PERFORM crm.refuse_own_post(v_post);
  IF want IS NOT NULL AND NOT EXISTS (SELECT FROM crm.contact WHERE id = want) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such contact.', HINT = 'err.no_contact';
  END IF;
  SELECT contact_id INTO have FROM crm.identity WHERE profile_id = prof FOR UPDATE;
  IF want IS NOT NULL THEN
    IF have IS NOT NULL AND have <> want THEN
      RAISE SQLSTATE 'PR409' USING MESSAGE = 'This profile already belongs to another contact.',
                                   HINT = 'err.identity_taken';
    END IF;
    INSERT INTO crm.identity (profile_id, contact_id, created_by) VALUES (prof, want, st.id)
    ON CONFLICT (profile_id) DO NOTHING;
    IF NOT EXISTS (SELECT FROM crm.identity WHERE profile_id = prof AND contact_id = want) THEN  -- lost a race
      RAISE SQLSTATE 'PR409' USING MESSAGE = 'This profile already belongs to another contact.',
                                   HINT = 'err.identity_taken';
    END IF;
    have := want;
  ELSIF have IS NULL THEN
    made := crm.ensure_contacts(ARRAY[prof], st.id, 'staff') > 0;
    SELECT contact_id INTO have FROM crm.identity WHERE profile_id = prof;
  END IF;
  -- this author's cases that had no contact now have one, closed ones too:
  -- the contact's page lists their history
  UPDATE crm."case" c SET contact_id = have
  FROM social.post o WHERE o.id = c.post_id AND o.author_id = prof AND c.contact_id IS NULL;
  PERFORM auth.audit(CASE WHEN made THEN 'contact_created' ELSE 'contact_linked' END, st.id,
                     jsonb_build_object('contact', have, 'profile', prof, 'post', v_post));
  RETURN jsonb_build_object('contact_id', have, 'profile_id', prof, 'created', made, 'redirect', '/contact?id=' || have);
END $$;

CREATE FUNCTION api.contact(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent', 'marketer', 'sales'); k crm.contact;
BEGIN
  SELECT * INTO k FROM crm.contact WHERE id = crm.need_id(p);
  IF k.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such contact.', HINT = 'err.no_contact';
  END IF;
  RETURN jsonb_build_object(
    'contact', jsonb_build_object('id', k.id, 'name', k.name, 'emails', to_jsonb(k.emails), 'phones', to_jsonb(k.phones),
                                  'emails_text', array_to_string(k.emails, ', '), 'phones_text', array_to_string(k.phones, ', '),
                                  'source', k.source, 'created_at', k.created_at, 'updated_at', k.updated_at,
                                  'created_by', crm.staff_ref(k.created_by)),
    'identities', coalesce((SELECT jsonb_agg(jsonb_build_object(
                              'profile_id', pr.id, 'platform', pr.platform, 'handle', nullif(pr.handle, ''),
                              'display_name', nullif(pr.display_name, ''),
                              -- what the link says: the handle, else (Facebook has none) the name, else the id
                              'label', coalesce(nullif(pr.handle, ''), nullif(pr.display_name, ''), '#' || pr.id), 'avatar_url', pr.avatar_url, 'url', social.web_url(pr.url),
                              'linked_at', i.created_at) ORDER BY i.created_at, pr.id)
                            FROM crm.identity i JOIN social.profile pr ON pr.id = i.profile_id
                            WHERE i.contact_id = k.id), '[]'),
    'cases', coalesce((SELECT jsonb_agg(jsonb_build_object(
                         'id', c.id, 'ref', 'C-' || c.number, 'subject', c.subject, 'state', c.state,
                         'priority', c.priority, 'created_at', c.created_at) ORDER BY c.id DESC)
                       FROM crm."case" c WHERE c.contact_id = k.id), '[]'),
    'leads', coalesce((SELECT jsonb_agg(jsonb_build_object(
                         'id', l.id, 'state', l.state, 'value', l.value, 'post_id', l.post_id,
                         'value_text', l.value::text,   -- as stored, 1200.50 (a JSON number reads as 1200.5)
                         'created_at', l.created_at, 'closed_at', l.closed_at,
                         'moves', m.moves, 'movable', m.moves <> '[]') ORDER BY l.id DESC)
                       FROM crm.lead l
                       -- the states it may move to (crm.lead_transition); none once won or lost
                       CROSS JOIN LATERAL (
                         SELECT coalesce(jsonb_agg(jsonb_build_object('state', t.to_state)
                                                   ORDER BY array_position(ARRAY['qualified', 'won', 'lost'], t.to_state)), '[]') AS moves
                         FROM crm.lead_transition t WHERE t.from_state = l.state) m
                       WHERE l.contact_id = k.id), '[]'));
END $$;

-- A list typed into a field (or sent as a JSON array), in the order typed
-- (the first address is the one people use), each once whatever its case.
CREATE OR REPLACE FUNCTION crm.typed_list(v jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(x ORDER BY o) FROM (
    SELECT DISTINCT ON (lower(x)) x, o FROM unnest(listen.input_list(v)) WITH ORDINALITY u(x, o) ORDER BY lower(x), o) d
$$;

-- Name, emails and phones of a contact (whatever keys are given).
CREATE FUNCTION api.contact_save(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer', 'agent'); kid bigint := crm.need_id(p);   -- (auth.role_can's 'contact')
        nm text := btrim(p->>'name'); em text[]; ph text[]; bad text;
BEGIN
  IF NOT EXISTS (SELECT FROM crm.contact WHERE id = kid) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such contact.', HINT = 'err.no_contact';
  END IF;
  IF p ? 'name' AND (nm IS NULL OR nm = '' OR length(nm) > 200) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A contact needs a name (200 characters at most).', HINT = 'err.contact_name';
  END IF;
  PERFORM social.check_shown_name(nm);
  -- lists arrive as JSON arrays or as one comma-separated string
  em := crm.typed_list(p->'emails');
  ph := crm.typed_list(p->'phones');
  IF cardinality(em) > 20 OR cardinality(ph) > 20 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A contact has at most 20 email addresses and 20 phone numbers.',
                                 HINT = 'err.contact_too_many';
  END IF;
  -- (the one that is wrong is named: the field holds a comma-separated list)
  SELECT e INTO bad FROM unnest(em) e WHERE e !~ '^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$' OR length(e) > 254 LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('"%s" is not an email address.', left(bad, 60)),
                                 HINT = 'err.contact_email_named', DETAIL = jsonb_build_object('value', left(bad, 60));
  END IF;
  SELECT x INTO bad FROM unnest(ph) x WHERE x !~ '^\+?[0-9 ()./-]{3,40}$' LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('"%s" is not a phone number.', left(bad, 60)),
                                 HINT = 'err.contact_phone_named', DETAIL = jsonb_build_object('value', left(bad, 60));
  END IF;
  UPDATE crm.contact SET
    name = CASE WHEN p ? 'name' THEN nm ELSE name END,
    emails = CASE WHEN p ? 'emails' THEN coalesce(em, '{}') ELSE emails END,
    phones = CASE WHEN p ? 'phones' THEN coalesce(ph, '{}') ELSE phones END,
    updated_at = now()
  WHERE id = kid;
  PERFORM auth.audit('contact_saved', st.id, jsonb_build_object('contact', kid));
  RETURN jsonb_build_object('id', kid, 'redirect', '/contact?id=' || kid);
END $$;

-- A lead from a post: for p.contact_id, else the author's contact (made if
-- missing). One lead per post: asking again returns it.
CREATE FUNCTION api.lead_from_post(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('sales'); v_post social.post; kid bigint := crm.param_id(p, 'contact_id');
        val numeric; lid bigint; made boolean := false;
BEGIN
  SELECT * INTO v_post FROM social.post WHERE id = crm.need_id(p, 'post_id');
  IF v_post.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such post.', HINT = 'err.no_post';
  END IF;
  PERFORM crm.refuse_own_post(v_post.id);
  IF coalesce(p->>'value', '') <> '' THEN
    IF p->>'value' !~ '^\d{1,12}(\.\d{1,2})?$' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'The value is an amount such as 1200 or 99.50.', HINT = 'err.lead_value';
    END IF;
    val := (p->>'value')::numeric;
  END IF;
  SELECT id INTO lid FROM crm.lead WHERE post_id = v_post.id;
  IF lid IS NULL THEN
    IF kid IS NOT NULL AND NOT EXISTS (SELECT FROM crm.contact WHERE id = kid) THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such contact.', HINT = 'err.no_contact';
    END IF;
    IF kid IS NULL THEN
      IF v_post.author_id IS NULL THEN
        RAISE SQLSTATE 'PR422' USING MESSAGE = 'The author of this post is not known.', HINT = 'err.post_no_author';
      END IF;
      PERFORM crm.ensure_contacts(ARRAY[v_post.author_id], st.id, 'staff');
      kid := (SELECT contact_id FROM crm.identity WHERE profile_id = v_post.author_id);
    END IF;
    INSERT INTO crm.lead (contact_id, post_id, rule_id, account_id, value, created_by)
    VALUES (kid, v_post.id, (SELECT min(m.rule_id) FROM listen.match m WHERE m.post_id = v_post.id),
            v_post.account_id, val, st.id)
    ON CONFLICT (post_id) WHERE post_id IS NOT NULL DO NOTHING
    RETURNING id INTO lid;
    made := lid IS NOT NULL;
    lid := coalesce(lid, (SELECT id FROM crm.lead WHERE post_id = v_post.id));   -- (a concurrent submit's)
    IF made THEN
      PERFORM auth.audit('lead_created', st.id, jsonb_build_object('lead', lid, 'post', v_post.id, 'contact', kid));
    END IF;
  END IF;
  -- the post's lead already there (made earlier, or by a concurrent submit):
  -- the same form again (a double submit) is answered with it; another value
  -- for it (a page opened before the lead was made) is not dropped unsaid
  IF NOT made AND val IS DISTINCT FROM NULL AND val IS DISTINCT FROM (SELECT value FROM crm.lead WHERE id = lid) THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'This post already has a lead, with another value: change the value on the lead.',
                                 HINT = 'err.lead_other_value';
  END IF;
  RETURN (SELECT jsonb_build_object('id', l.id, 'contact_id', l.contact_id, 'state', l.state, 'value', l.value,
                                    'created', made, 'redirect', '/contact?id=' || l.contact_id)
          FROM crm.lead l WHERE l.id = lid);
END $$;

-- new → qualified → won | lost (a new lead may be lost too); value may be set on the way.
-- No "value" keeps the value; an empty one clears it (the form shows it to edit).
CREATE FUNCTION api.lead_state(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('sales'); lid bigint := crm.need_id(p); to_state text := p->>'state';
        val numeric; l crm.lead; sets_value boolean := p ? 'value';
BEGIN
  IF to_state IS NULL OR NOT to_state = ANY (crm.lead_states()) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown lead state.', HINT = 'err.lead_state';
  END IF;
  IF coalesce(p->>'value', '') <> '' THEN
    IF p->>'value' !~ '^\d{1,12}(\.\d{1,2})?$' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'The value is an amount such as 1200 or 99.50.', HINT = 'err.lead_value';
    END IF;
    val := (p->>'value')::numeric;
  END IF;
  SELECT * INTO l FROM crm.lead WHERE id = lid FOR UPDATE;
  IF l.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such lead.', HINT = 'err.no_lead';
  -- the form sends the value it showed: changed by someone else since, the
  -- value sent (maybe only shown again) would silently replace theirs
  ELSIF p ? 'value_was' AND sets_value
        AND (CASE WHEN p->>'value_was' ~ '^\d{1,12}(\.\d{1,2})?$' THEN (p->>'value_was')::numeric END) IS DISTINCT FROM l.value THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'The lead''s value was changed meanwhile: look at it again.',
                                 HINT = 'err.lead_value_changed';
  ELSIF l.state = to_state AND (NOT sets_value OR val IS NOT DISTINCT FROM l.value) THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = format('The lead is already %s.', to_state), HINT = 'err.lead_already',
                                 DETAIL = jsonb_build_object('state', to_state);
  ELSIF l.state = to_state THEN   -- its own state again: only the value changes (a won lead's too)
    UPDATE crm.lead SET value = val WHERE id = lid RETURNING * INTO l;
    PERFORM auth.audit('lead_value', st.id, jsonb_build_object('lead', lid, 'value', l.value));
  ELSE
    UPDATE crm.lead SET state = to_state, value = CASE WHEN sets_value THEN val ELSE value END
    WHERE id = lid RETURNING * INTO l;  -- lead_guard checks the move
    PERFORM auth.audit('lead_state', st.id, jsonb_build_object('lead', lid, 'state', to_state, 'value', l.value));
  END IF;
  RETURN jsonb_build_object('id', l.id, 'state', l.state, 'value', l.value, 'contact_id', l.contact_id,
                            'redirect', '/contact?id=' || l.contact_id);
END $$;

-- Contacts, newest first, 50 a page: all of them, or those whose name, email,
-- phone or one of whose identities' handle or shown name holds q.
CREATE FUNCTION api.contacts(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent', 'marketer', 'sales');   -- (as api.contact: role_can's 'contact_view')
        q text := btrim(coalesce(p->>'q', '')); ql text := lower(q);
        qh text := ltrim(ql, '@');   -- a handle as typed, with its @
        qd text;   -- a phone number's digits: "+86 21 5555" finds "+862155550101"
        f_before bigint := crm.param_id(p, 'before'); rows jsonb;
BEGIN
  IF char_length(q) > 200 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Search for at most 200 characters.', HINT = 'err.kb_query';
  END IF;
  IF q ~ '^\+?[0-9 ()./-]+$' AND length(regexp_replace(q, '\D', '', 'g')) >= 3 THEN
    qd := regexp_replace(q, '\D', '', 'g');
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', k.id, 'name', k.name, 'email', k.emails[1], 'created_at', k.created_at,
           'identities', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                     'profile_id', pr.id, 'platform', pr.platform, 'handle', nullif(pr.handle, ''),
                                     'label', coalesce(nullif(pr.handle, ''), nullif(pr.display_name, ''), '#' || pr.id))
                                     ORDER BY i.created_at, pr.id)
                                   FROM crm.identity i JOIN social.profile pr ON pr.id = i.profile_id
                                   WHERE i.contact_id = k.id), '[]'),
           'open_cases', (SELECT count(*) FROM crm."case" c WHERE c.contact_id = k.id AND c.state IN ('new', 'open', 'pending')),
           'open_leads', (SELECT count(*) FROM crm.lead l WHERE l.contact_id = k.id AND l.state IN ('new', 'qualified')))
         ORDER BY k.id DESC), '[]') INTO rows
  FROM (SELECT * FROM crm.contact k
        WHERE k.id < coalesce(f_before, 9223372036854775807)
          AND (q = '' OR strpos(lower(k.name), ql) > 0
               OR EXISTS (SELECT FROM unnest(k.emails) e WHERE strpos(lower(e), ql) > 0)
               OR EXISTS (SELECT FROM unnest(k.phones) x
                          WHERE strpos(x, q) > 0 OR strpos(regexp_replace(x, '\D', '', 'g'), qd) > 0)
               OR EXISTS (SELECT FROM crm.identity i JOIN social.profile pr ON pr.id = i.profile_id
                          WHERE i.contact_id = k.id
                            AND ((qh <> '' AND strpos(lower(pr.handle), qh) > 0) OR strpos(lower(pr.display_name), ql) > 0)))
        ORDER BY k.id DESC LIMIT 51) k;   -- (one more than a page: is there an older page?)
  RETURN jsonb_build_object(
    'contacts', rows - 50,
    'next_before', CASE WHEN jsonb_array_length(rows) = 51 THEN rows->49->'id' END,
    'q', q,
    'query', crm.query_string(jsonb_build_object('q', nullif(q, ''))));
END $$;

-- The pipeline: leads newest first, 50 a page, of one state or all, and
-- each state's count and total value (of all its leads, not just the page's).
CREATE FUNCTION api.leads(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('sales');   -- (as api.lead_state: role_can's 'lead')
        f_state text := nullif(p->>'state', ''); f_before bigint := crm.param_id(p, 'before'); rows jsonb;
BEGIN
  IF f_state IS NOT NULL AND NOT f_state = ANY (crm.lead_states()) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown lead state.', HINT = 'err.lead_state';
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', l.id, 'state', l.state, 'value', l.value,
           'value_text', l.value::text,   -- as stored, 1200.50 (a JSON number reads as 1200.5)
           'contact', jsonb_build_object('id', k.id, 'name', k.name), 'post_id', l.post_id,
           'owner', crm.staff_ref(l.created_by),   -- (whoever made it works it: leads have no assignee)
           'created_at', l.created_at, 'age_days', extract(day FROM now() - l.created_at)::int)
         ORDER BY l.id DESC), '[]') INTO rows
  FROM (SELECT * FROM crm.lead l
        WHERE (f_state IS NULL OR l.state = f_state) AND l.id < coalesce(f_before, 9223372036854775807)
        ORDER BY l.id DESC LIMIT 51) l
  JOIN crm.contact k ON k.id = l.contact_id;
  RETURN jsonb_build_object(
    'leads', rows - 50,
    'next_before', CASE WHEN jsonb_array_length(rows) = 51 THEN rows->49->'id' END,
    'state', f_state,
    'query', crm.query_string(jsonb_build_object('state', f_state)),
    'states', (SELECT jsonb_agg(jsonb_build_object('state', s, 'selected', s = f_state,
                                                   'count', coalesce(t.n, 0), 'total_text', coalesce(t.total, 0)::numeric(16, 2)::text)
                                ORDER BY o)
               FROM unnest(crm.lead_states()) WITH ORDINALITY u(s, o)
               LEFT JOIN (SELECT state, count(*) AS n, sum(value) AS total FROM crm.lead GROUP BY state) t ON t.state = s));
END $$;
