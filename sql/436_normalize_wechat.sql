-- WeChat (Official Account / WeCom callback messages) → social model. WeChat
-- pushes XML; the webhook processor turns it into a flat JSON object with
-- ingest.wechat_xml_json() and hands that to ingest.normalize_wechat(). Only
-- mapping lives here; writing is ingest.apply(). A profile's external id is
-- the sender's OpenID (FromUserName), a message's its MsgId. The pushes say
-- nothing else about people, so profiles are bare ids.

-- The direct children of the <xml> root as {ElementName: text}: CDATA is
-- unwrapped and entities decoded; an element with child elements (such as
-- ScanCodeInfo or SendPicsInfo in menu events) keeps its children's markup
-- as text; an empty element is ''; a repeated name keeps its last value.
-- Refused with the shape error (PR422): text that is not well-formed XML
-- (libxml's first complaint is quoted), any DOCTYPE (WeChat never sends one,
-- and refusing it rules out entity tricks), and a root other than <xml>.
CREATE OR REPLACE FUNCTION ingest.wechat_xml_json(p_xml text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  doc xml;
  why text;
BEGIN
  -- A DOCTYPE can only stand in the prolog: after an XML declaration,
  -- processing instructions, comments and white space.
  IF p_xml ~ '^[\s\ufeff]*(<\?([^?]|\?[^>])*\?>\s*|<!--([^-]|-[^-])*-->\s*)*<!DOCTYPE' THEN
    PERFORM ingest.fail('wechat xml (DOCTYPE not allowed)', NULL::text);
  END IF;
  BEGIN
    doc := xmlparse(DOCUMENT p_xml);
  EXCEPTION WHEN invalid_xml_document OR invalid_xml_content THEN
    GET STACKED DIAGNOSTICS why = PG_EXCEPTION_DETAIL;
    PERFORM ingest.fail('wechat xml (not well-formed: '
                        || coalesce(nullif(split_part(why, E'\n', 1), ''), 'unreadable') || ')', NULL::text);
  END;
  IF NOT xpath_exists('/xml', doc) THEN
    PERFORM ingest.fail('wechat xml (root element <xml> expected)', NULL::text);
  END IF;
  RETURN (SELECT coalesce(jsonb_object_agg(e.name, CASE WHEN e.children > 0 THEN e.markup::text
                                                         ELSE coalesce(e.value, '') END
                                           ORDER BY e.ord), '{}')
          FROM xmltable('/xml/*' PASSING doc
                        COLUMNS ord FOR ORDINALITY, name text PATH 'name()', value text PATH '.',
                                children integer PATH 'count(*)', markup xml PATH '*') e);
END $$;

-- What a message is to Parley: 'message' (something a person sent the
-- brand), 'follow' (a subscribe event, also by scanning a QR code),
-- 'unfollow' (unsubscribe), or NULL (menu clicks, scans, location reports,
-- invoices, device messages, types added later). An event without Event is
-- a shape error.
CREATE OR REPLACE FUNCTION ingest.wechat_kind(m jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN t IN ('text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link') THEN 'message'
              WHEN t = 'event' THEN CASE lower(ingest.need(m->>'Event', 'wechat Event'))
                                      WHEN 'subscribe' THEN 'follow' WHEN 'unsubscribe' THEN 'unfollow' END END
  FROM (SELECT ingest.need(m->>'MsgType', 'wechat MsgType') AS t) x
$$;

-- A message as text: the text itself, else a short description of what
-- was sent ("[image] <url>", "[location] <label> (<x>, <y>)", ...).
CREATE OR REPLACE FUNCTION ingest.wechat_text(m jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE m->>'MsgType'
           WHEN 'text' THEN m->>'Content'
           WHEN 'image' THEN concat_ws(' ', '[image]', nullif(m->>'PicUrl', ''))
           WHEN 'voice' THEN concat_ws(' ', '[voice]', nullif(m->>'Recognition', ''))
           WHEN 'video' THEN '[video]'
           WHEN 'shortvideo' THEN '[video]'
           WHEN 'location' THEN concat_ws(' ', '[location]', nullif(m->>'Label', ''),
                                          '(' || (m->>'Location_X') || ', ' || (m->>'Location_Y') || ')')
           WHEN 'link' THEN concat_ws(' ', '[link]', nullif(m->>'Title', ''), nullif(m->>'Url', ''))
         END
$$;

-- Who sent it and when (CreateTime, Unix seconds).
CREATE OR REPLACE FUNCTION ingest.wechat_sender(m jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT ingest.need(nullif(m->>'FromUserName', ''), 'wechat FromUserName')
$$;
CREATE OR REPLACE FUNCTION ingest.wechat_time(m jsonb) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT ingest.need(ingest.epoch_ts(m->>'CreateTime', 'wechat CreateTime'), 'wechat CreateTime')
$$;

-- A message → post row of kind 'direct' by its sender; raw is the message.
CREATE OR REPLACE FUNCTION ingest.wechat_post(m jsonb) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(nullif(m->>'MsgId', ''), 'wechat MsgId'),
    ingest.wechat_sender(m),
    'direct',
    ingest.wechat_text(m),
    NULL::text,
    ingest.wechat_time(m),
    NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text, NULL::text, NULL::text,
    NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
    m)::ingest.post_in
$$;

-- Endpoints:
--   webhook  one pushed message as wechat_xml_json() gives it: messages → a
--            'direct' post; subscribe → follower edge + 'follow' interaction
--            (key OpenID:CreateTime, so a redelivered event counts once);
--            unsubscribe → the follower edge's end; everything else (see
--            wechat_kind) is accepted and changes nothing.
CREATE OR REPLACE FUNCTION ingest.normalize_wechat(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                   p_request_url text DEFAULT NULL,
                                                   p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m jsonb;
  kind text;
BEGIN
  IF p_endpoint IS DISTINCT FROM 'webhook' THEN
    RAISE SQLSTATE 'PR400' USING MESSAGE = format('unknown wechat endpoint %L (there are: webhook)', p_endpoint);
  END IF;
  m := ingest.need_object(p_body, 'wechat message');
  kind := ingest.wechat_kind(m);
  RETURN ingest.apply('wechat', p_account_id, p_seen_at, '{}',
    ARRAY(SELECT ingest.wechat_post(m) WHERE kind = 'message'),
    ARRAY(SELECT ROW('follow', ingest.wechat_sender(m), NULL::text,
                     ingest.wechat_sender(m) || ':' || (m->>'CreateTime'), ingest.wechat_time(m))::ingest.interaction_in
          WHERE kind = 'follow'),
    ARRAY(SELECT ingest.wechat_sender(m) WHERE kind = 'follow' AND p_account_id IS NOT NULL),
    '{}',
    ARRAY(SELECT ROW('unfollow', ingest.wechat_sender(m), NULL::text, NULL::text, ingest.wechat_time(m))::ingest.interaction_in
          WHERE kind = 'unfollow' AND p_account_id IS NOT NULL));
END $$;
