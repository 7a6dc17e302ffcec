-- Listening rules for the web: list, save (create or update, then
-- back-apply), delete, back-apply on demand, and a tester for the rule form.
-- Marketers (and admins) change rules; analysts may list and test them.

-- Helpers for form or JSON input (live in listen: api holds only entry points).
-- A list given as a JSON array or as comma-separated text; empty means NULL ("all").
CREATE OR REPLACE FUNCTION listen.input_list(v jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT nullif(ARRAY(
    SELECT btrim(x) FROM (
      SELECT jsonb_array_elements_text(v) AS x WHERE jsonb_typeof(v) = 'array'
      UNION ALL
      SELECT unnest(string_to_array(v #>> '{}', ',')) WHERE jsonb_typeof(v) IN ('string', 'number')) l
    WHERE btrim(x) <> ''), '{}')
$$;

DROP FUNCTION IF EXISTS listen.input_flag(jsonb, boolean);   -- now crm.param_flag

CREATE OR REPLACE FUNCTION listen.rule_json(r listen.rule) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', r.id, 'name', r.name, 'category', r.category, 'expression', r.expression,
    'platforms', r.platforms, 'account_ids', r.account_ids, 'langs', r.langs,
    'platforms_text', array_to_string(r.platforms, ', '), 'account_ids_text', array_to_string(r.account_ids, ', '),
    'langs_text', array_to_string(r.langs, ', '),
    'action', r.action, 'search', r.search, 'enabled', r.enabled,
    'created_at', r.created_at, 'updated_at', r.updated_at,
    'terms', coalesce((SELECT jsonb_agg(jsonb_build_object('text', t.text, 'phrase', t.phrase, 'positive', t.positive)
                                        ORDER BY t.n)
                       FROM listen.rule_term t WHERE t.rule_id = r.id), '[]'),
    'streams', (SELECT count(*) FROM listen.search_stream ls JOIN ingest.stream s ON s.id = ls.stream_id
                JOIN listen.rule_term t ON t.rule_id = r.id AND t.positive
                  AND s.query = CASE WHEN t.phrase THEN '"' || lower(t.text) || '"' ELSE lower(t.text) END
                WHERE r.search AND s.enabled))
$$;

-- The rule form's category and action choices, the rule's own marked.
CREATE OR REPLACE FUNCTION listen.form_choices(p_category text, p_action text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'category_options', (SELECT jsonb_agg(jsonb_build_object('code', c, 'category', c, 'selected', c = p_category) ORDER BY o)
                         FROM unnest(listen.categories()) WITH ORDINALITY u(c, o)),
    'action_options', (SELECT jsonb_agg(jsonb_build_object('code', a, 'action', a, 'selected', a = p_action) ORDER BY o)
                       FROM unnest(ARRAY['none', 'contact', 'case']) WITH ORDINALITY u(a, o)))
$$;

-- Every rule, with its match count; plus the choices the form offers.
CREATE FUNCTION api.rules(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer', 'analyst');
BEGIN
  RETURN jsonb_build_object(
    'rules', coalesce((
      SELECT jsonb_agg(listen.rule_json(r) || listen.form_choices(r.category, r.action)
                       || jsonb_build_object('matches', coalesce(m.n, 0)) ORDER BY r.name)
      FROM listen.rule r
      LEFT JOIN (SELECT rule_id, count(*) AS n FROM listen.match GROUP BY rule_id) m ON m.rule_id = r.id), '[]'),
    'can_edit', st.role IN ('admin', 'marketer'),
    'blank', jsonb_build_object('enabled', true) || listen.form_choices('brand', 'none'),
    'categories', '["brand", "product", "competitor", "complaint", "campaign", "custom"]'::jsonb,
    'actions', '["none", "contact", "case"]'::jsonb,
    'platforms', (SELECT jsonb_agg(jsonb_build_object('code', code, 'name', name, 'harvested', harvested) ORDER BY name)
                  FROM social.platform),
    'accounts', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'platform', platform, 'handle', handle)
                                           ORDER BY platform, handle) FROM social.account), '[]'));
END $$;

-- A rule's matches over the stored posts made again (listen.backapply),
-- with its actions (a contact, a case) for all of them when p_actions, else
-- for none: editing a 'case' rule must not open cases for old posts, and
-- asking to apply it to stored posts acts on every post it matches.
CREATE OR REPLACE FUNCTION listen.rematch(p_rule bigint, p_actions boolean) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE res jsonb; posts bigint[]; rules bigint[];
BEGIN
  PERFORM set_config('parley.rule_actions', 'off', true);
  res := listen.backapply(p_rule);
  PERFORM set_config('parley.rule_actions', '', true);
  IF p_actions THEN
    SELECT array_agg(m.post_id), array_agg(m.rule_id) INTO posts, rules FROM listen.match m WHERE m.rule_id = p_rule;
    IF posts IS NOT NULL THEN
      PERFORM crm.run_rule_actions(posts, rules);
    END IF;
  END IF;
  RETURN res;
END $$;

-- Create (no id) or update a rule. Fields: name, category, expression,
-- platforms, account_ids, langs (arrays or comma text; empty = all), action,
-- search, enabled, backapply. On update, a field left out keeps its value.
-- The expression is compiled (PR422 pointing at the problem); an enabled
-- rule's matches over stored posts are recomputed after an update, and made
-- after a create only with backapply: true; its actions (a contact, a case)
-- run for those stored posts only with backapply: true, so editing a 'case'
-- rule does not open cases for old posts. Search streams follow.
CREATE FUNCTION api.rule_save(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer');
        old listen.rule; r listen.rule; compiled jsonb; bad text; ids bigint[];
        back jsonb; streams jsonb; creating boolean := p->>'id' IS NULL;
BEGIN
  IF NOT creating THEN
    IF p->>'id' !~ '^\d{1,19}$' THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such listening rule.', HINT = 'err.no_rule';
    END IF;
    SELECT * INTO old FROM listen.rule WHERE id = (p->>'id')::bigint FOR UPDATE;
    IF old.id IS NULL THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such listening rule.', HINT = 'err.no_rule';
    END IF;
  END IF;
  r.name := btrim(coalesce(p->>'name', old.name, ''));
  r.category := coalesce(p->>'category', old.category, '');
  r.expression := btrim(coalesce(p->>'expression', old.expression, ''));
  -- (platform codes in any case: "Mastodon" as the page names it)
  r.platforms := CASE WHEN p ? 'platforms' THEN nullif(ARRAY(SELECT lower(x) FROM unnest(listen.input_list(p->'platforms')) x), '{}')
                      ELSE old.platforms END;
  r.langs := CASE WHEN p ? 'langs' THEN ARRAY(SELECT lower(x) FROM unnest(listen.input_list(p->'langs')) x)
                  ELSE old.langs END;
  r.action := coalesce(nullif(p->>'action', ''), old.action, 'none');
  r.search := crm.param_flag(p, 'search', coalesce(old.search, false));
  r.enabled := crm.param_flag(p, 'enabled', coalesce(old.enabled, true));

  IF length(r.name) NOT BETWEEN 1 AND 200 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Give the rule a name of 1 to 200 characters.',
                                 HINT = 'err.rule_name', COLUMN = 'name';
  END IF;
  PERFORM social.check_shown_name(r.name);   -- shown as a badge on every matching post
  IF r.category <> ALL (listen.categories()) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose a category: brand, product, competitor, complaint, campaign or custom.',
                                 HINT = 'err.rule_category', COLUMN = 'category';
  END IF;
  IF r.action NOT IN ('none', 'contact', 'case') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose what a match does: none, contact or case.',
                                 HINT = 'err.rule_action', COLUMN = 'action';
  END IF;
  IF social.has_hidden_chars(r.expression) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Search keywords cannot contain control or text-direction characters.',
                                 HINT = 'err.keyword_chars', COLUMN = 'expression';
  END IF;
  compiled := listen.compile(r.expression);   -- PR422 saying where (listen.bad_expression)
  SELECT x INTO bad FROM unnest(r.platforms) x WHERE NOT EXISTS (SELECT FROM social.platform WHERE code = x) LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('Unknown platform "%s".', left(bad, 50)),
                                 HINT = 'err.rule_platform_named', COLUMN = 'platforms',
                                 DETAIL = jsonb_build_object('value', left(bad, 50));
  END IF;
  IF p ? 'account_ids' THEN
    SELECT x INTO bad FROM unnest(listen.input_list(p->'account_ids')) x
    WHERE x !~ '^\d{1,19}$' OR NOT EXISTS (SELECT FROM social.account WHERE id = x::bigint) LIMIT 1;
    IF bad IS NOT NULL THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = format('Unknown account "%s".', left(bad, 50)),
                                   HINT = 'err.rule_account_named', COLUMN = 'account_ids',
                                   DETAIL = jsonb_build_object('value', left(bad, 50));
    END IF;
    r.account_ids := ARRAY(SELECT DISTINCT x::bigint FROM unnest(listen.input_list(p->'account_ids')) x ORDER BY 1);
    r.account_ids := nullif(r.account_ids, '{}');
  ELSE
    r.account_ids := old.account_ids;
  END IF;
  SELECT x INTO bad FROM unnest(r.langs) x WHERE x !~ '^[a-z]{2,3}$' LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('"%s" is not a language code (use two or three letters, e.g. en, zh, ja).', left(bad, 50)),
                                 HINT = 'err.rule_lang_named', COLUMN = 'langs', DETAIL = jsonb_build_object('value', left(bad, 50));
  END IF;
  r.langs := nullif(r.langs, '{}');

  BEGIN
    IF creating THEN
      INSERT INTO listen.rule (name, category, expression, platforms, account_ids, langs, action, search, enabled)
      VALUES (r.name, r.category, r.expression, r.platforms, r.account_ids, r.langs, r.action, r.search, r.enabled)
      RETURNING id INTO r.id;
    ELSE
      r.id := old.id;
      UPDATE listen.rule SET name = r.name, category = r.category, expression = r.expression, platforms = r.platforms,
             account_ids = r.account_ids, langs = r.langs, action = r.action, search = r.search, enabled = r.enabled,
             updated_at = now()
      WHERE id = r.id;
    END IF;
  EXCEPTION WHEN unique_violation THEN
    RAISE SQLSTATE 'PR409' USING MESSAGE = 'Another rule already has that name.', HINT = 'err.rule_exists', COLUMN = 'name';
  END;
  PERFORM listen.store_compiled(r.id, compiled);
  IF r.enabled AND (NOT creating OR crm.param_flag(p, 'backapply')) THEN
    back := listen.rematch(r.id, crm.param_flag(p, 'backapply'));
  END IF;
  IF NOT creating AND old.category IS DISTINCT FROM r.category THEN
    ids := ARRAY(SELECT post_id FROM listen.match WHERE rule_id = r.id);
    PERFORM listen.refresh_complaints(ids);
  END IF;
  streams := listen.sync_search_streams();
  PERFORM auth.audit(CASE WHEN creating THEN 'rule_created' ELSE 'rule_updated' END, st.id,
                     jsonb_build_object('rule', r.id, 'name', r.name, 'expression', r.expression));
  RETURN jsonb_build_object('id', r.id, 'created', creating, 'backapply', back, 'streams', streams,
                            'rule', (SELECT listen.rule_json(x) FROM listen.rule x WHERE x.id = r.id));
END $$;

CREATE FUNCTION api.rule_delete(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer'); gone listen.rule; ids bigint[];
BEGIN
  IF coalesce(p->>'id', '') !~ '^\d{1,19}$' THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such listening rule.', HINT = 'err.no_rule';
  END IF;
  ids := ARRAY(SELECT post_id FROM listen.match WHERE rule_id = (p->>'id')::bigint);
  DELETE FROM listen.rule WHERE id = (p->>'id')::bigint RETURNING * INTO gone;
  IF gone.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such listening rule.', HINT = 'err.no_rule';
  END IF;
  IF gone.category = 'complaint' THEN
    PERFORM listen.refresh_complaints(ids);
  END IF;
  PERFORM auth.audit('rule_deleted', st.id, jsonb_build_object('rule', gone.id, 'name', gone.name));
  RETURN jsonb_build_object('id', gone.id, 'deleted', true, 'matches_removed', cardinality(ids),
                            'streams', listen.sync_search_streams());
END $$;

-- Re-run one rule over every stored post (counts as listen.backapply).
CREATE FUNCTION api.rule_backapply(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('marketer'); res jsonb;
BEGIN
  IF coalesce(p->>'id', '') !~ '^\d{1,19}$' THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such listening rule.', HINT = 'err.no_rule';
  END IF;
  res := listen.rematch((p->>'id')::bigint, true);
  PERFORM auth.audit('rule_backapplied', st.id, res);
  RETURN res;
END $$;

-- Try an expression on a text, without saving anything.
CREATE FUNCTION api.rule_test(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE compiled jsonb; norm text;
BEGIN
  PERFORM auth.require('marketer', 'analyst');
  IF length(coalesce(p->>'text', '')) > 10000 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The sample text is longer than 10,000 characters.',
                                 HINT = 'err.rule_text', COLUMN = 'text';
  END IF;
  compiled := listen.compile(p->>'expression');
  norm := listen.norm(coalesce(p->>'text', ''));
  RETURN jsonb_build_object(
    'expression', p->>'expression', 'text', coalesce(p->>'text', ''),
    'matches', listen.compiled_matches(compiled, norm),
    'terms', (SELECT jsonb_agg(jsonb_build_object('text', t->>'text', 'phrase', (t->>'phrase')::boolean,
                                                  'positive', (t->>'positive')::boolean,
                                                  'found', strpos(norm, t->>'needle') > 0) ORDER BY (t->>'n')::integer)
              FROM jsonb_array_elements(compiled->'terms') t),
    'sentiment', listen.sentiment(p->>'text'));
END $$;
