-- The profiles that are the brand's own accounts (matched by the platform's
-- id): their posts are never mentions, and their replies are the brand's
-- answers. The one definition the inbox, listening and the KPIs share.
-- Each account's profile is looked up by its key (the LIMIT keeps the
-- planner from hashing every profile to find a handful).
CREATE OR REPLACE VIEW social.own_profile AS
  SELECT pr.id, a.id AS account_id FROM social.account a
  CROSS JOIN LATERAL (SELECT p.id FROM social.profile p
                      WHERE p.platform = a.platform AND p.external_id = a.external_id LIMIT 1) pr;

-- A link to the platform as pages may show it: http(s) only (a platform's
-- JSON is not to put a javascript: or data: URL behind a link), else NULL.
CREATE OR REPLACE FUNCTION social.web_url(p_url text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_url ~* '^https?://[^/[:space:][:cntrl:]]+[^[:space:][:cntrl:]]*$' THEN p_url END
$$;

-- How pages show a post: the fields every list and thread needs, with its
-- author, as one json "card". A view rather than a function of the post row:
-- it is inlined, and never builds the whole row (whose raw JSON is large).
-- json, not jsonb: pages send cards on as they are, and encoding fifty of
-- them as jsonb cost an inbox page more than its queries.
DROP FUNCTION IF EXISTS social.post_json(social.post);
DROP FUNCTION IF EXISTS social.post_json(social.post, social.profile);
DROP VIEW IF EXISTS social.post_card;
CREATE VIEW social.post_card AS
  SELECT p.id, p.created_at, p.author_id, p.account_id,
         json_build_object(
           'id', p.id, 'platform', p.platform, 'external_id', p.external_id, 'kind', p.kind,
           'body', p.body, 'lang', p.lang, 'created_at', p.created_at, 'url', social.web_url(p.url),
           'deleted', p.deleted_at IS NOT NULL, 'edited', p.edited_at IS NOT NULL, 'metrics', p.metrics,
           'author', CASE WHEN a.id IS NOT NULL
                          THEN json_build_object('id', a.id, 'handle', nullif(a.handle, ''), 'name', a.display_name) END
         ) AS card
  FROM social.post p
  LEFT JOIN social.profile a ON a.id = p.author_id;

-- A card with more members (a json object from json_build_object, never
-- empty, with keys the card does not have), joined as text: no re-encoding.
CREATE OR REPLACE FUNCTION social.card_with(card json, more json) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (left(card::text, -1) || ', ' || substr(more::text, 2))::json $$;
