-- Listening (issue 5): text normalization, the rule expression parser and
-- compiler, sentiment scoring, set-based matching of stored posts (triggers
-- on social.post), back-applying a rule, and the search streams rules drive.
--
-- Expressions: keywords and "quoted phrases"; NOT binds tightest, then AND,
-- then OR; two terms side by side mean AND; parentheses group. Operators are
-- case-insensitive (quote "and", "or", "not" to look for those words).
-- A keyword of Latin (or Cyrillic, Greek…) letters matches whole words; a
-- phrase matches consecutive words; Chinese, Japanese and Korean text, which
-- needs no spaces, matches as a substring. Case and width never matter.

-- A listening rule's categories, in the order forms list them.
CREATE OR REPLACE FUNCTION listen.categories() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['brand', 'product', 'competitor', 'complaint', 'campaign', 'custom']
$$;

-- Characters of scripts written without spaces between words (code points).
CREATE OR REPLACE FUNCTION listen.cjk(c integer) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT c BETWEEN 12293 AND 12295 OR c BETWEEN 12352 AND 12543 OR c BETWEEN 13312 AND 19903
      OR c BETWEEN 19968 AND 40959 OR c BETWEEN 44032 AND 55215 OR c BETWEEN 63744 AND 64255
      OR c BETWEEN 131072 AND 201551
$$;

-- The text as matched: NFKC (full-width letters and punctuation become
-- ASCII), lower case, "don't" kept as one word "dont", CJK runs spaced off
-- from Latin words, clause punctuation (, . ! ? ; : 。 、) as a "|" word,
-- every run of other characters one space, a space at both ends. So ' cat '
-- is a word test, a phrase does not match across a comma, a CJK string
-- needs no spaces around it, and negation stops at the end of a clause.
-- Emoji that say how someone feels become the words emojipos and emojineg
-- (sentiment lexicon entries) instead of vanishing with the other symbols;
-- ambiguous ones (😂 😭 👏, often ironic or moved) still vanish.
CREATE OR REPLACE FUNCTION listen.norm(p text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$   -- not STRICT, so it is inlined
  SELECT ' ' || regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
           replace(replace(lower(CASE WHEN p IS NFKC NORMALIZED THEN p ELSE normalize(p, NFKC) END),
                           'n''t', 'nt'), 'n’t', 'nt'),
           '[😍🥰😋🤤❤💕💖💗👍🙌🔥✨🥹💯🤩😊☺😌🎉🌟⭐💪🥳😁😃😄]', ' emojipos ', 'g'),
           '[😤😡🤬😠👎🙄😒😞😔💩🤮🤢😣😖😫😩🙃😑]', ' emojineg ', 'g'),
           '([\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]+)',
           ' \1 ', 'g'),
         '[^[:alnum:] ,.!?;:。、|]+', ' ', 'g'),
         '[,.!?;:。、|]+', ' | ', 'g'),
         '  +', ' ', 'g') || ' '   -- separate passes: most spaces need no rewrite
$$;

-- The substring a term is looked for as in a normalized text: padded with a
-- space where it starts or ends with a word character (a word boundary),
-- not where it starts or ends with a CJK character.
CREATE OR REPLACE FUNCTION listen.needle(p_term text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN x = '' THEN ''
              ELSE CASE WHEN listen.cjk(ascii(x)) THEN '' ELSE ' ' END || x
                || CASE WHEN listen.cjk(ascii(right(x, 1))) THEN '' ELSE ' ' END END
  FROM (SELECT btrim(regexp_replace(listen.norm(p_term), ' +', ' ', 'g')) AS x) n
$$;

-- Primary language subtag of a post: its tag when the platform gave one,
-- else guessed from the script of CJK text; NULL when unknown.
CREATE OR REPLACE FUNCTION listen.lang_of(p_lang text, p_norm text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN coalesce(p_lang, '') <> '' THEN lower(split_part(replace(p_lang, '_', '-'), '-', 1))
              WHEN p_norm ~ '[\u3040-\u30ff]' THEN 'ja'
              WHEN p_norm ~ '[\uac00-\ud7af]' THEN 'ko'
              WHEN p_norm ~ '[\u3400-\u9fff]' THEN 'zh' END
$$;

-- A refused expression: p_text is the message catalog's English for p_key,
-- its {names} filled from p_args (which go with it, for the reader's language).
DROP FUNCTION IF EXISTS listen.bad_expression(text);
CREATE OR REPLACE FUNCTION listen.bad_expression(p_key text, p_text text, p_args jsonb DEFAULT '{}') RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE msg text := p_text; arg record;
BEGIN
  FOR arg IN SELECT * FROM jsonb_each_text(p_args) LOOP
    msg := replace(msg, '{' || arg.key || '}', arg.value);
  END LOOP;
  RAISE SQLSTATE 'PR422' USING MESSAGE = msg, HINT = p_key, DETAIL = p_args::text, COLUMN = 'expression';
END $$;

-------------------------------------------------------------------- Parser
-- Tokens with their 1-based character position: kinds '(' ')' term phrase and or not.
CREATE OR REPLACE FUNCTION listen.tokens(p_expr text, OUT kinds text[], OUT vals text[], OUT at integer[])
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE bad record;
BEGIN
  SELECT array_agg(kind ORDER BY o), array_agg(val ORDER BY o), array_agg(pos ORDER BY o)
  INTO kinds, vals, at
  FROM (SELECT o, pos,
               CASE WHEN m[3] IS NOT NULL THEN '(' WHEN m[4] IS NOT NULL THEN ')'
                    WHEN m[2] IS NOT NULL THEN 'phrase'
                    WHEN upper(m[5]) IN ('AND', 'OR', 'NOT') THEN lower(m[5]) ELSE 'term' END AS kind,
               coalesce(m[2], m[5], m[3], m[4]) AS val   -- (a parenthesis too: the place after it is counted)
        FROM (SELECT m, o, 1 + coalesce(sum(length(coalesce(m[1], m[2], m[3], m[4], m[5])))
                                        OVER (ORDER BY o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::integer AS pos
              FROM regexp_matches(p_expr, '(\s+)|("[^"]*"?)|(\()|(\))|([^\s()"]+)', 'g') WITH ORDINALITY r(m, o)) x
        WHERE m[1] IS NULL) t;
  SELECT v, a INTO bad FROM unnest(kinds, vals, at) u(k, v, a)
  WHERE k = 'phrase' AND (length(v) < 2 OR right(v, 1) <> '"') LIMIT 1;
  IF FOUND THEN
    PERFORM listen.bad_expression('err.expr_quote', 'Unterminated quote at character {at}.', jsonb_build_object('at', bad.a));
  END IF;
END $$;

CREATE OR REPLACE FUNCTION listen.leaf(p_kind text, p_val text, p_at integer) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE txt text := CASE WHEN p_kind = 'phrase' THEN btrim(substr(p_val, 2, length(p_val) - 2)) ELSE p_val END;
        nd text := listen.needle(txt);
BEGIN
  IF p_kind = 'phrase' AND txt = '' THEN
    PERFORM listen.bad_expression('err.expr_empty_phrase', 'Empty phrase at character {at}.', jsonb_build_object('at', p_at));
  ELSIF nd !~ '[[:alnum:]]' THEN
    PERFORM listen.bad_expression('err.expr_no_letters', '"{term}" at character {at} has no letters or digits to look for.',
                                  jsonb_build_object('term', left(txt, 100), 'at', p_at));
  ELSIF length(txt) > 100 THEN
    PERFORM listen.bad_expression('err.expr_term_long', 'The term at character {at} is longer than 100 characters.', jsonb_build_object('at', p_at));
  END IF;
  RETURN jsonb_build_object('text', regexp_replace(txt, '\s+', ' ', 'g'), 'phrase', p_kind = 'phrase',
                            'needle', nd, 'at', p_at);
END $$;

CREATE OR REPLACE FUNCTION listen.op_name(k text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN k IN ('and', 'or', 'not') THEN upper(k) ELSE k END $$;

-- Recursive descent; i is the index of the next token, returned advanced.
CREATE OR REPLACE FUNCTION listen.parse_primary(k text[], v text[], a integer[], INOUT i integer, OUT node jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE open_at integer;
BEGIN
  IF i > cardinality(k) THEN
    PERFORM listen.bad_expression('err.expr_ends', 'The expression ends where a keyword was expected (after character {at}).',
                                 jsonb_build_object('at', a[i - 1] + length(v[i - 1]) - 1));
  ELSIF k[i] IN ('term', 'phrase') THEN
    node := listen.leaf(k[i], v[i], a[i]); i := i + 1;
  ELSIF k[i] = '(' THEN
    open_at := a[i]; i := i + 1;
    IF k[i] = ')' THEN
      PERFORM listen.bad_expression('err.expr_empty_parens', 'Empty parentheses at character {at}.', jsonb_build_object('at', open_at));
    END IF;
    SELECT * INTO i, node FROM listen.parse_or(k, v, a, i);
    IF i > cardinality(k) OR k[i] <> ')' THEN
      PERFORM listen.bad_expression('err.expr_unclosed', 'Unbalanced parenthesis at character {at}: it is never closed.',
                                    jsonb_build_object('at', open_at));
    END IF;
    i := i + 1;
  ELSIF k[i] = ')' THEN
    PERFORM listen.bad_expression('err.expr_stray_close', 'Unbalanced parenthesis at character {at}: nothing to close.', jsonb_build_object('at', a[i]));
  ELSE
    PERFORM listen.bad_expression('err.expr_needs_before', '{op} at character {at} needs a keyword before it.',
                                 jsonb_build_object('op', listen.op_name(k[i]), 'at', a[i]));
  END IF;
END $$;

CREATE OR REPLACE FUNCTION listen.parse_unary(k text[], v text[], a integer[], INOUT i integer, OUT node jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE op_at integer;
BEGIN
  IF k[i] = 'not' THEN
    op_at := a[i]; i := i + 1;
    IF i > cardinality(k) OR k[i] NOT IN ('term', 'phrase', '(', 'not') THEN
      PERFORM listen.bad_expression('err.expr_needs_after', '{op} at character {at} needs a keyword after it.',
                                    jsonb_build_object('op', 'NOT', 'at', op_at));
    END IF;
    SELECT * INTO i, node FROM listen.parse_unary(k, v, a, i);
    node := jsonb_build_object('not', node);
  ELSE
    SELECT * INTO i, node FROM listen.parse_primary(k, v, a, i);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION listen.parse_and(k text[], v text[], a integer[], INOUT i integer, OUT node jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE args jsonb; one jsonb; op_at integer;
BEGIN
  SELECT * INTO i, one FROM listen.parse_unary(k, v, a, i);
  args := jsonb_build_array(one);
  LOOP
    EXIT WHEN i > cardinality(k);
    IF k[i] = 'and' THEN
      op_at := a[i]; i := i + 1;
      IF i > cardinality(k) OR k[i] NOT IN ('term', 'phrase', '(', 'not') THEN
        PERFORM listen.bad_expression('err.expr_needs_after', '{op} at character {at} needs a keyword after it.',
                                      jsonb_build_object('op', 'AND', 'at', op_at));
      END IF;
    ELSIF k[i] NOT IN ('term', 'phrase', '(', 'not') THEN   -- adjacent terms: implicit AND
      EXIT;
    END IF;
    SELECT * INTO i, one FROM listen.parse_unary(k, v, a, i);
    args := args || jsonb_build_array(one);
  END LOOP;
  node := CASE WHEN jsonb_array_length(args) = 1 THEN args->0 ELSE jsonb_build_object('and', args) END;
END $$;

CREATE OR REPLACE FUNCTION listen.parse_or(k text[], v text[], a integer[], INOUT i integer, OUT node jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE args jsonb; one jsonb; op_at integer;
BEGIN
  SELECT * INTO i, one FROM listen.parse_and(k, v, a, i);
  args := jsonb_build_array(one);
  WHILE i <= cardinality(k) AND k[i] = 'or' LOOP
    op_at := a[i]; i := i + 1;
    IF i > cardinality(k) OR k[i] NOT IN ('term', 'phrase', '(', 'not') THEN
      PERFORM listen.bad_expression('err.expr_needs_after', '{op} at character {at} needs a keyword after it.',
                                    jsonb_build_object('op', 'OR', 'at', op_at));
    END IF;
    SELECT * INTO i, one FROM listen.parse_and(k, v, a, i);
    args := args || jsonb_build_array(one);
  END LOOP;
  node := CASE WHEN jsonb_array_length(args) = 1 THEN args->0 ELSE jsonb_build_object('or', args) END;
END $$;

-- The expression as a tree: {"or": [...]}, {"and": [...]}, {"not": x} and
-- leaves {"text", "phrase", "needle", "at"}.
CREATE OR REPLACE FUNCTION listen.parse(p_expr text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE t record; i integer; node jsonb;
BEGIN
  IF length(p_expr) > 2000 THEN
    PERFORM listen.bad_expression('err.expr_long', 'The expression is longer than 2000 characters.');
  END IF;
  t := listen.tokens(coalesce(p_expr, ''));
  IF t.kinds IS NULL THEN
    PERFORM listen.bad_expression('err.expr_empty', 'The expression is empty: give at least one keyword.');
  END IF;
  -- the parser descends once per parenthesis and per NOT: a bound on both
  -- (the stack catch below is only a backstop for smaller stacks)
  IF (SELECT max(d) FROM (SELECT sum(CASE k WHEN '(' THEN 1 WHEN ')' THEN -1 ELSE 0 END) OVER (ORDER BY n) AS d
                          FROM unnest(t.kinds) WITH ORDINALITY u(k, n)) x) > 50
     OR (SELECT count(*) FROM unnest(t.kinds) k WHERE k = 'not') > 50 THEN
    PERFORM listen.bad_expression('err.expr_deep', 'The expression nests too deeply (parentheses or NOT inside one another).');
  END IF;
  BEGIN
    SELECT * INTO i, node FROM listen.parse_or(t.kinds, t.vals, t.at, 1);
  EXCEPTION WHEN statement_too_complex THEN   -- the descent ran out of stack
    PERFORM listen.bad_expression('err.expr_deep', 'The expression nests too deeply (parentheses or NOT inside one another).');
  END;
  IF i <= cardinality(t.kinds) THEN   -- only a stray ')' stops the descent early
    PERFORM listen.bad_expression('err.expr_stray_close', 'Unbalanced parenthesis at character {at}: nothing to close.', jsonb_build_object('at', t.at[i]));
  END IF;
  RETURN node;
END $$;

-------------------------------------------------------------------- Compiler
-- Disjunctive normal form of a tree: an array of clauses {"p": [needles], "n": [needles]}.
-- AND multiplies out, NOT applies De Morgan; contradictory clauses are dropped.
CREATE OR REPLACE FUNCTION listen.dnf_and(x jsonb, y jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_agg(DISTINCT c), '[]') FROM (
    SELECT jsonb_build_object(
             'p', (SELECT coalesce(jsonb_agg(DISTINCT e ORDER BY e), '[]') FROM jsonb_array_elements((a->'p') || (b->'p')) e),
             'n', (SELECT coalesce(jsonb_agg(DISTINCT e ORDER BY e), '[]') FROM jsonb_array_elements((a->'n') || (b->'n')) e)) AS c
    FROM jsonb_array_elements(x) a, jsonb_array_elements(y) b) m
  WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(c->'p') e WHERE (c->'n') @> jsonb_build_array(e))
$$;

CREATE OR REPLACE FUNCTION listen.dnf(node jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE r jsonb; child jsonb; c jsonb; lit jsonb;
BEGIN
  IF node ? 'needle' THEN
    r := jsonb_build_array(jsonb_build_object('p', jsonb_build_array(node->'needle'), 'n', '[]'::jsonb));
  ELSIF node ? 'or' THEN
    r := '[]';
    FOR child IN SELECT jsonb_array_elements(node->'or') LOOP
      r := r || listen.dnf(child);
    END LOOP;
    SELECT coalesce(jsonb_agg(DISTINCT e), '[]') INTO r FROM jsonb_array_elements(r) e;
  ELSIF node ? 'and' THEN
    r := '[{"p": [], "n": []}]';
    FOR child IN SELECT jsonb_array_elements(node->'and') LOOP
      r := listen.dnf_and(r, listen.dnf(child));
      IF jsonb_array_length(r) > 64 THEN EXIT; END IF;
    END LOOP;
  ELSE  -- not: AND over the clauses of NOT (clause), each an OR of negated literals
    r := '[{"p": [], "n": []}]';
    FOR c IN SELECT jsonb_array_elements(listen.dnf(node->'not')) LOOP
      SELECT coalesce(jsonb_agg(x), '[]') INTO lit FROM (
        SELECT jsonb_build_object('p', '[]'::jsonb, 'n', jsonb_build_array(e)) FROM jsonb_array_elements(c->'p') e
        UNION ALL
        SELECT jsonb_build_object('p', jsonb_build_array(e), 'n', '[]'::jsonb) FROM jsonb_array_elements(c->'n') e) l(x);
      r := listen.dnf_and(r, lit);
      IF jsonb_array_length(r) > 64 THEN EXIT; END IF;
    END LOOP;
  END IF;
  IF jsonb_array_length(r) > 64 THEN
    PERFORM listen.bad_expression('err.expr_complex', 'The expression is too complex (more than 64 alternatives once expanded): simplify it.');
  END IF;
  RETURN r;
END $$;

-- Everything the matcher needs, from the expression text: {"ast", "terms":
-- [{"n", "text", "phrase", "needle", "head", "kind", "len", "positive"}],
-- "clauses": [{"pos": [n…], "neg": [n…]}]}. Raises PR422 on a bad expression.
CREATE OR REPLACE FUNCTION listen.compile(p_expr text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE ast jsonb := listen.parse(p_expr); clauses jsonb; terms jsonb;
BEGIN
  clauses := listen.dnf(ast);
  IF jsonb_array_length(clauses) = 0 THEN
    PERFORM listen.bad_expression('err.expr_never', 'The expression can never match (it asks for a term and its absence).');
  END IF;
  IF EXISTS (SELECT FROM jsonb_array_elements(clauses) c WHERE jsonb_array_length(c->'p') = 0) THEN
    PERFORM listen.bad_expression('err.expr_not_alone', 'Every alternative needs a keyword that is not under NOT; NOT alone would match almost every post.');
  END IF;
  -- terms numbered in order of first appearance; the first spelling names a term
  WITH leaves AS (
    SELECT DISTINCT ON (l->>'needle') l->>'needle' AS needle, l->>'text' AS text, (l->>'phrase')::boolean AS phrase,
           (l->>'at')::integer AS at
    FROM jsonb_path_query(ast, 'strict $.** ? (exists (@.needle))') l
    ORDER BY l->>'needle', (l->>'at')::integer
  ), used AS (
    SELECT DISTINCT e #>> '{}' AS needle FROM jsonb_array_elements(clauses) c, jsonb_array_elements((c->'p') || (c->'n')) e
  ), numbered AS (
    SELECT row_number() OVER (ORDER BY at) AS n, l.*, btrim(l.needle) AS x FROM leaves l JOIN used USING (needle)
  )
  SELECT jsonb_agg(jsonb_build_object(
           'n', n, 'text', text, 'phrase', phrase, 'needle', needle,
           'head', CASE WHEN listen.cjk(ascii(x)) THEN left(x, 1) ELSE split_part(x, ' ', 1) END,
           'kind', CASE WHEN x !~ ' ' AND (NOT listen.cjk(ascii(x)) OR length(x) = 1) THEN 'unit'
                        WHEN x !~ ' ' AND x ~ '^[\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]+$'
                        THEN 'cjk' ELSE 'seq' END,
           'len', length(x),
           'positive', EXISTS (SELECT FROM jsonb_array_elements(clauses) c WHERE c->'p' @> to_jsonb(numbered.needle)))
         ORDER BY n)
  INTO terms FROM numbered;
  IF jsonb_array_length(terms) > 100 THEN
    PERFORM listen.bad_expression('err.expr_terms', 'The expression has more than 100 distinct terms.');
  END IF;
  RETURN jsonb_build_object('ast', ast, 'terms', terms, 'clauses', (
    SELECT jsonb_agg(jsonb_build_object(
             'pos', (SELECT jsonb_agg((t->>'n')::integer ORDER BY (t->>'n')::integer) FROM jsonb_array_elements(terms) t
                     WHERE c->'p' @> jsonb_build_array(t->'needle')),
             'neg', (SELECT coalesce(jsonb_agg((t->>'n')::integer ORDER BY (t->>'n')::integer), '[]') FROM jsonb_array_elements(terms) t
                     WHERE c->'n' @> jsonb_build_array(t->'needle'))))
    FROM jsonb_array_elements(clauses) c));
END $$;

-- Does a compiled expression match a normalized text? (Single texts: rule
-- tests and checks; stored posts are matched set-based by listen.apply.)
CREATE OR REPLACE FUNCTION listen.compiled_matches(p_compiled jsonb, p_norm text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  WITH hit AS (
    SELECT coalesce(array_agg((t->>'n')::smallint), '{}') AS h FROM jsonb_array_elements(p_compiled->'terms') t
    WHERE strpos(p_norm, t->>'needle') > 0)
  SELECT EXISTS (
    SELECT FROM jsonb_array_elements(p_compiled->'clauses') c, hit
    WHERE ARRAY(SELECT jsonb_array_elements_text(c->'pos')::smallint) <@ hit.h
      AND NOT ARRAY(SELECT jsonb_array_elements_text(c->'neg')::smallint) && hit.h)
$$;

-------------------------------------------------------------------- Dictionaries
-- Lexicon entries in match form: one English word, or one CJK string found
-- by its first character. Rebuilt on every deploy, so it always follows
-- listen.norm and the lexicon migrations.
DROP MATERIALIZED VIEW IF EXISTS listen.lexicon_alphabet;
DROP MATERIALIZED VIEW IF EXISTS listen.lexicon_unit;
CREATE MATERIALIZED VIEW listen.lexicon_unit AS
  SELECT DISTINCT ON (x) x AS term, CASE WHEN cjk THEN left(x, 1) ELSE x END AS head,
         CASE WHEN cjk THEN length(x) ELSE 1 END AS span, cjk, kind, score
  FROM (SELECT btrim(listen.norm(term)) AS x, listen.cjk(ascii(btrim(listen.norm(term)))) AS cjk, kind, score, lang
        FROM listen.lexicon) l
  WHERE x <> '' AND x !~ ' '
  ORDER BY x, lang;
-- Every CJK character of the lexicon, for the character filter in listen.analyze.
CREATE MATERIALIZED VIEW listen.lexicon_alphabet AS
  SELECT coalesce(string_agg(DISTINCT c, ''), '') AS chars
  FROM listen.lexicon_unit l, unnest(string_to_array(l.term, NULL)) c WHERE l.cjk;

-- Labels and the complaint line, in one place.
CREATE OR REPLACE FUNCTION listen.label(p_score real) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_score >= 0.2 THEN 'positive' WHEN p_score <= -0.2 THEN 'negative' ELSE 'neutral' END
$$;
-- A post scoring at or below this is a complaint even when no complaint rule matched.
CREATE OR REPLACE FUNCTION listen.complaint_threshold() RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT -0.6::real $$;

-------------------------------------------------------------------- Analysis
-- For normalized texts: which terms of which enabled rules each contains
-- (one row per text and rule: rule_id, h = term numbers) and its sentiment
-- (one row per text: rule_id NULL, score).
--
-- Cost is per word, not per rule or lexicon entry: the words of a text, and
-- the characters of its CJK runs that occur in any dictionary term (a regex
-- character class keeps only those, so runs of them stay contiguous), are
-- hash-joined in one pass to the first unit of every lexicon entry and rule
-- term; only candidates are checked further (a CJK string by substring at its
-- position, a phrase by substring in the text).
--
-- Sentiment: lexicon entries found left to right, longest first; a word
-- right after an intensifier ("very", "很") is multiplied by it; a word at
-- most three words (characters, in CJK) after a negation ("not", "不",
-- "没有"), also across an intensifier, counts -0.5 times (so "not bad" is
-- mildly good). The sum S is squashed to S / sqrt(S² + 4), about -1 .. 1.
CREATE OR REPLACE FUNCTION listen.analyze(p_ids bigint[], p_norms text[])
RETURNS TABLE (id bigint, rule_id bigint, h smallint[], score real)
LANGUAGE sql STABLE AS $$
  WITH dict AS (
    SELECT l.head, l.cjk, l.term AS needle, l.span, CASE WHEN l.span > 1 THEN 'sub' ELSE 'none' END AS chk,
           l.kind, l.score, NULL::bigint AS rule_id, NULL::smallint AS n
    FROM listen.lexicon_unit l
    UNION ALL
    SELECT t.head, listen.cjk(ascii(t.head)), t.needle, CASE WHEN t.kind = 'cjk' THEN t.len ELSE 1 END,
           CASE t.kind WHEN 'unit' THEN 'none' WHEN 'cjk' THEN 'sub' ELSE 'norm' END,
           'rule', 0, t.rule_id, t.n
    FROM listen.rule_term t JOIN listen.rule r ON r.id = t.rule_id
    WHERE r.enabled
    UNION ALL   -- clause ends: negation and intensifiers do not reach past them
    SELECT '|', c, '|', 1, 'none', 'break', 0, NULL, NULL FROM (VALUES (false), (true)) b(c)
  ), alpha AS (   -- U+E000 (private use) keeps the class valid when empty
    SELECT '[^' || chr(57344) || '|' || a.chars || coalesce((
             SELECT string_agg(c, '') FROM listen.rule_term t JOIN listen.rule r ON r.id = t.rule_id,
                    unnest(string_to_array(t.needle, NULL)) c
             WHERE r.enabled AND listen.cjk(ascii(c))), '') || ']+' AS re
    FROM listen.lexicon_alphabet a
  ), p AS MATERIALIZED (   -- computed once per text, not per unit
    SELECT x.id, x.norm, y.cs, cardinality(y.w) AS nw, y.w || string_to_array(y.cs, NULL) AS units
    FROM unnest(p_ids, p_norms) x(id, norm), alpha,
         LATERAL (SELECT CASE WHEN x.norm ~ '[\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]'
                             THEN regexp_replace(x.norm, alpha.re, ' ', 'g') ELSE ' ' END AS cs,
                        string_to_array(x.norm, ' ') AS w) y
  ), units AS (  -- the words, then the kept CJK characters (pos counted from the first of them)
    SELECT p.id, p.norm, p.cs, u.unit, u.o > p.nw AS cjk, u.o - CASE WHEN u.o > p.nw THEN p.nw ELSE 0 END AS pos
    FROM p, unnest(p.units) WITH ORDINALITY u(unit, o)
  ), hits AS MATERIALIZED (
    SELECT u.id, u.cjk, u.pos, d.span, d.kind, d.score, d.rule_id, d.n
    FROM units u JOIN dict d ON d.head = u.unit AND d.cjk = u.cjk
    WHERE d.chk = 'none'
       OR (d.chk = 'sub' AND substr(u.cs, u.pos::integer, d.span) = d.needle)
       OR (d.chk = 'norm' AND strpos(u.norm, d.needle) > 0)
  ), longest AS (
    SELECT DISTINCT ON (x.id, x.cjk, x.pos) x.id, x.cjk, x.pos, x.span, x.kind, x.score
    FROM hits x WHERE x.kind <> 'rule'
    ORDER BY x.id, x.cjk, x.pos, x.span DESC
  ), kept AS (    -- drop a match that starts inside an earlier, longer one
    SELECT * FROM (
      SELECT l.*, max(l.pos + l.span) OVER (PARTITION BY l.id, l.cjk ORDER BY l.pos
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered
      FROM longest l) x
    WHERE x.covered IS NULL OR x.covered <= x.pos
  ), ctx AS (     -- units between a match and the one (g1) or two (g2) before it
    SELECT k.id, k.kind, k.score,
           lag(k.kind) OVER w AS k1, lag(k.score) OVER w AS s1, lag(k.kind, 2) OVER w AS k2,
           k.pos - lag(k.pos + k.span) OVER w AS g1,
           lag(k.pos) OVER w - lag(k.pos + k.span, 2) OVER w AS g2
    FROM kept k WINDOW w AS (PARTITION BY k.id, k.cjk ORDER BY k.pos)
  ), sums AS (
    SELECT c.id, sum(CASE WHEN (c.k1 = 'negation' AND c.g1 <= 3)
                            OR (c.k1 = 'intensifier' AND c.g1 <= 1 AND c.k2 = 'negation' AND c.g2 <= 2)
                          THEN -0.5 * c.score
                          WHEN c.k1 = 'intensifier' AND c.g1 <= 1 THEN c.score * c.s1
                          ELSE c.score END) AS s
    FROM ctx c WHERE c.kind = 'word' GROUP BY c.id
  )
  SELECT x.id, NULL::bigint, NULL::smallint[], coalesce(s.s / sqrt(s.s * s.s + 4), 0)::real
  FROM unnest(p_ids) x(id) LEFT JOIN sums s ON s.id = x.id
  UNION ALL
  SELECT x.id, x.rule_id, array_agg(DISTINCT x.n), NULL FROM hits x WHERE x.kind = 'rule' GROUP BY x.id, x.rule_id
$$;

-- One text: {"score", "label", "complaint"} (complaint by score alone).
CREATE OR REPLACE FUNCTION listen.sentiment(p_text text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('score', round(a.score::numeric, 3), 'label', listen.label(a.score),
                            'complaint', a.score <= listen.complaint_threshold())
  FROM listen.analyze(ARRAY[0::bigint], ARRAY[listen.norm(coalesce(p_text, ''))]) a
  WHERE a.rule_id IS NULL
$$;

-------------------------------------------------------------------- Matching
DROP VIEW IF EXISTS listen.own_profile;   -- now social.own_profile

-- Matches and sentiment for a set of posts (parallel arrays), set-based:
-- each body is normalized once, analyzed, each candidate rule's clauses are
-- tested against the terms found and its scope (platform, account, language)
-- applied. Matches go into listen.match in one INSERT (so its statement
-- triggers see them together); p_edit also removes matches of enabled rules
-- that no longer hold. Returns the number of new matches.
-- The posts must be the caller's own (inserted or updated in its transaction)
-- or locked by it: nothing else keeps them from being deleted meanwhile.
CREATE OR REPLACE FUNCTION listen.apply(p_ids bigint[], p_platforms text[], p_accounts bigint[], p_authors bigint[],
                                        p_langs text[], p_bodies text[], p_edit boolean)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET jit = off SET work_mem = '64MB' AS $$
DECLARE norms text[]; added integer;
BEGIN
  norms := ARRAY(SELECT listen.norm(b) FROM unnest(p_bodies) WITH ORDINALITY x(b, o) ORDER BY o);
  WITH p AS (
    SELECT * FROM unnest(p_ids, p_platforms, p_accounts, p_authors, p_langs, norms)
                  x(id, platform, account_id, author_id, lang, norm)
  ), a AS MATERIALIZED (
    SELECT * FROM listen.analyze(p_ids, norms)
  ), rules AS MATERIALIZED (   -- the rules found, held as a foreign key would (see on_rule_delete)
    SELECT r.id, r.category, r.platforms, r.account_ids, r.langs FROM listen.rule r
    WHERE r.id IN (SELECT a.rule_id FROM a) FOR KEY SHARE
  ), found AS MATERIALIZED (
    SELECT a.id AS post_id, a.rule_id, r.category
    FROM a JOIN rules r ON r.id = a.rule_id JOIN p ON p.id = a.id
    WHERE (r.platforms IS NULL OR p.platform = ANY (r.platforms))
      AND (r.account_ids IS NULL OR p.account_id = ANY (r.account_ids))
      AND (r.langs IS NULL OR listen.lang_of(p.lang, p.norm) = ANY (r.langs))
      AND (p.author_id IS NULL OR p.author_id NOT IN (SELECT o.id FROM social.own_profile o))
      AND EXISTS (SELECT FROM listen.rule_clause k
                  WHERE k.rule_id = a.rule_id AND k.pos <@ a.h AND NOT k.neg && a.h)
  ), gone AS (
    DELETE FROM listen.match m USING p
    WHERE p_edit AND m.post_id = p.id
      AND m.rule_id IN (SELECT r.id FROM listen.rule r WHERE r.enabled)
      AND NOT EXISTS (SELECT FROM found f WHERE f.post_id = m.post_id AND f.rule_id = m.rule_id)
  ), ins AS (
    INSERT INTO listen.match (post_id, rule_id)
    SELECT f.post_id, f.rule_id FROM found f
    ON CONFLICT DO NOTHING
    RETURNING 1
  ), sig AS (
    INSERT INTO listen.post_signal AS s (post_id, sentiment, label, complaint, norm)
    SELECT p.id, a.score, listen.label(a.score),
           a.score <= listen.complaint_threshold()
             OR p.id IN (SELECT f.post_id FROM found f WHERE f.category = 'complaint'),
           p.norm
    FROM p JOIN a ON a.id = p.id AND a.rule_id IS NULL
    ON CONFLICT (post_id) DO UPDATE SET sentiment = EXCLUDED.sentiment, label = EXCLUDED.label,
      complaint = EXCLUDED.complaint, norm = EXCLUDED.norm, scored_at = now()
  )
  SELECT count(*) INTO added FROM ins;
  RETURN added;
END $$;

CREATE OR REPLACE FUNCTION listen.on_post_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM listen.apply(array_agg(n.id), array_agg(n.platform), array_agg(n.account_id), array_agg(n.author_id),
                       array_agg(n.lang), array_agg(n.body), false)
  FROM new_posts n HAVING count(*) > 0;
  RETURN NULL;
END $$;

-- An edit (a re-harvest or webhook that changes the body) is matched and scored again.
CREATE OR REPLACE FUNCTION listen.on_post_edit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM listen.apply(array_agg(n.id), array_agg(n.platform), array_agg(n.account_id), array_agg(n.author_id),
                       array_agg(n.lang), array_agg(n.body), true)
  FROM new_posts n JOIN old_posts o ON o.id = n.id
  WHERE n.body IS DISTINCT FROM o.body
  HAVING count(*) > 0;
  RETURN NULL;
END $$;

-- Transition tables need one trigger per event (and no column list on UPDATE).
DROP TRIGGER IF EXISTS listen_post_insert ON social.post;
CREATE TRIGGER listen_post_insert AFTER INSERT ON social.post
  REFERENCING NEW TABLE AS new_posts FOR EACH STATEMENT EXECUTE FUNCTION listen.on_post_insert();
DROP TRIGGER IF EXISTS listen_post_edit ON social.post;
CREATE TRIGGER listen_post_edit AFTER UPDATE ON social.post
  REFERENCING OLD TABLE AS old_posts NEW TABLE AS new_posts FOR EACH STATEMENT EXECUTE FUNCTION listen.on_post_edit();

-- What ON DELETE CASCADE did before migration 0025, once per statement: a
-- deleted post takes its matches and sentiment with it, a deleted rule its
-- matches. A rule is held (FOR KEY SHARE) by whoever is writing matches for
-- it, so its delete waits for them and then sees their matches.
CREATE OR REPLACE FUNCTION listen.on_post_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM listen.match m USING gone_posts g WHERE m.post_id = g.id;
  DELETE FROM listen.post_signal s USING gone_posts g WHERE s.post_id = g.id;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION listen.on_post_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  TRUNCATE listen.match, listen.post_signal;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION listen.on_rule_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM listen.match m USING gone_rules g WHERE m.rule_id = g.id;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS listen_post_delete ON social.post;
CREATE TRIGGER listen_post_delete AFTER DELETE ON social.post
  REFERENCING OLD TABLE AS gone_posts FOR EACH STATEMENT EXECUTE FUNCTION listen.on_post_delete();
DROP TRIGGER IF EXISTS listen_post_truncate ON social.post;
CREATE TRIGGER listen_post_truncate AFTER TRUNCATE ON social.post
  FOR EACH STATEMENT EXECUTE FUNCTION listen.on_post_truncate();
DROP TRIGGER IF EXISTS listen_rule_delete ON listen.rule;
CREATE TRIGGER listen_rule_delete AFTER DELETE ON listen.rule
  REFERENCING OLD TABLE AS gone_rules FOR EACH STATEMENT EXECUTE FUNCTION listen.on_rule_delete();

-------------------------------------------------------------------- Rules
-- Store a rule's compiled form (terms and clauses) from listen.compile().
CREATE OR REPLACE FUNCTION listen.store_compiled(p_rule bigint, p_compiled jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  UPDATE listen.rule SET compiled = p_compiled->'ast' WHERE id = p_rule;
  DELETE FROM listen.rule_term WHERE rule_id = p_rule;
  DELETE FROM listen.rule_clause WHERE rule_id = p_rule;
  INSERT INTO listen.rule_term (rule_id, n, text, phrase, needle, head, kind, len, positive)
  SELECT p_rule, (t->>'n')::smallint, t->>'text', (t->>'phrase')::boolean, t->>'needle', t->>'head', t->>'kind',
         (t->>'len')::integer, (t->>'positive')::boolean
  FROM jsonb_array_elements(p_compiled->'terms') t;
  INSERT INTO listen.rule_clause (rule_id, n, pos, neg)
  SELECT p_rule, c.o, ARRAY(SELECT jsonb_array_elements_text(c.c->'pos')::smallint),
         ARRAY(SELECT jsonb_array_elements_text(c.c->'neg')::smallint)
  FROM jsonb_array_elements(p_compiled->'clauses') WITH ORDINALITY c(c, o);
END $$;

-- Complaint flags of some posts, from their score and their complaint-rule matches.
CREATE OR REPLACE FUNCTION listen.refresh_complaints(p_posts bigint[]) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH up AS (
    UPDATE listen.post_signal s
    SET complaint = n.complaint
    FROM (SELECT s.post_id,
                 s.sentiment <= listen.complaint_threshold()
                   OR EXISTS (SELECT FROM listen.match m JOIN listen.rule r ON r.id = m.rule_id
                              WHERE m.post_id = s.post_id AND r.category = 'complaint') AS complaint
          FROM listen.post_signal s WHERE s.post_id = ANY (p_posts)) n
    WHERE s.post_id = n.post_id AND s.complaint IS DISTINCT FROM n.complaint
    RETURNING 1)
  SELECT count(*)::integer FROM up
$$;

-- Back-apply one rule to every stored post: the candidates are the posts
-- whose normalized text contains one of the rule's un-negated terms (every
-- clause has one), found by one scan of listen.post_signal.norm, which also
-- notes which of the rule's terms each candidate contains; they get the full
-- test with scope. Matches that no longer hold are removed, new ones inserted
-- in one statement. A disabled rule keeps its matches and is skipped.
-- Returns {"rule", "matched", "added", "removed", "candidates", "ms", "skipped"}.
CREATE OR REPLACE FUNCTION listen.backapply(p_rule bigint) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET jit = off SET work_mem = '64MB' AS $$
DECLARE r listen.rule; t0 timestamptz := clock_timestamp();
        patterns text[];        -- LIKE patterns of the un-negated terms
        term_n smallint[];      -- every term of the rule: its number and needle
        term_needle text[];
        n_cand integer; added integer; removed integer; matched bigint; changed bigint[];
BEGIN
  SELECT * INTO r FROM listen.rule WHERE id = p_rule FOR KEY SHARE;   -- see on_rule_delete
  IF r.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such listening rule.', HINT = 'err.no_rule';
  END IF;
  IF NOT r.enabled THEN
    RETURN jsonb_build_object('rule', p_rule, 'skipped', true, 'added', 0, 'removed', 0, 'candidates', 0,
                              'matched', (SELECT count(*) FROM listen.match WHERE rule_id = p_rule), 'ms', 0);
  END IF;
  SELECT array_agg('%' || replace(replace(replace(t.needle, '\', '\\'), '%', '\%'), '_', '\_') || '%') FILTER (WHERE t.positive),
         array_agg(t.n), array_agg(t.needle)
  INTO patterns, term_n, term_needle
  FROM listen.rule_term t WHERE t.rule_id = p_rule;
  WITH c AS MATERIALIZED (
    SELECT s.post_id, s.norm,
           ARRAY(SELECT term_n[k] FROM generate_subscripts(term_needle, 1) k WHERE strpos(s.norm, term_needle[k]) > 0) AS h
    FROM listen.post_signal s WHERE s.norm LIKE ANY (patterns)
  ), found AS MATERIALIZED (
    SELECT c.post_id FROM c
    -- LIMIT keeps this a probe by primary key per candidate: a join would
    -- be planned as a scan of every post. The lock keeps the post from being
    -- deleted before its match is in (a deleted post is not found).
    CROSS JOIN LATERAL (SELECT q.platform, q.account_id, q.lang, q.author_id FROM social.post q
                        WHERE q.id = c.post_id LIMIT 1 FOR KEY SHARE) p
    WHERE (r.platforms IS NULL OR p.platform = ANY (r.platforms))
      AND (r.account_ids IS NULL OR p.account_id = ANY (r.account_ids))
      AND (r.langs IS NULL OR listen.lang_of(p.lang, c.norm) = ANY (r.langs))
      AND (p.author_id IS NULL OR p.author_id NOT IN (SELECT o.id FROM social.own_profile o))
      AND EXISTS (SELECT FROM listen.rule_clause k WHERE k.rule_id = p_rule AND k.pos <@ c.h AND NOT k.neg && c.h)
  ), gone AS (
    -- NOT IN: one hash of the found posts (an anti-join would be planned as a
    -- nested loop over them, quadratic when the rule already has many matches)
    DELETE FROM listen.match m
    WHERE m.rule_id = p_rule AND m.post_id NOT IN (SELECT f.post_id FROM found f)
    RETURNING m.post_id
  ), ins AS (
    INSERT INTO listen.match (post_id, rule_id)
    SELECT f.post_id, p_rule FROM found f
    ON CONFLICT DO NOTHING
    RETURNING post_id
  )
  SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM ins), (SELECT count(*) FROM gone), (SELECT count(*) FROM found),
         CASE WHEN r.category = 'complaint' OR EXISTS (SELECT FROM gone)
              THEN ARRAY(SELECT post_id FROM ins UNION SELECT post_id FROM gone) END
  INTO n_cand, added, removed, matched, changed;
  IF changed IS NOT NULL THEN
    PERFORM listen.refresh_complaints(changed);
  END IF;
  RETURN jsonb_build_object('rule', p_rule, 'skipped', false, 'matched', matched, 'added', added,
                            'removed', removed, 'candidates', n_cand,
                            'ms', round(extract(epoch FROM clock_timestamp() - t0) * 1000));
END $$;

-------------------------------------------------------------------- Search streams
-- Keep the harvester's search streams in step with enabled rules that have
-- search on: one stream per un-negated keyword or "phrase" and account in
-- the rule's scope whose platform is harvested and searchable. Missing streams are created
-- (or re-enabled), streams a rule created are disabled when no rule asks for
-- them any more; streams that existed before a rule claimed them are only
-- released. Returns {"added", "enabled", "disabled"}. Call it after rules or
-- accounts change.
CREATE OR REPLACE FUNCTION listen.sync_search_streams() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n_added integer; n_enabled integer; n_disabled integer;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS listen_want (account_id bigint, query text) ON COMMIT DROP;
  TRUNCATE listen_want;
  INSERT INTO listen_want
  SELECT DISTINCT a.id, q.query
  FROM listen.rule r
  JOIN listen.rule_term t ON t.rule_id = r.id AND t.positive
  CROSS JOIN LATERAL (SELECT CASE WHEN t.phrase THEN '"' || lower(t.text) || '"' ELSE lower(t.text) END AS query) q
  JOIN social.account a ON (r.account_ids IS NULL OR a.id = ANY (r.account_ids))
                       AND (r.platforms IS NULL OR a.platform = ANY (r.platforms))
  JOIN social.platform pl ON pl.code = a.platform AND pl.searchable
  WHERE r.enabled AND r.search AND length(q.query) <= 200;

  WITH made AS (
    INSERT INTO ingest.stream (account_id, kind, query)
    SELECT w.account_id, 'search', w.query FROM listen_want w
    ON CONFLICT (account_id, kind, query) DO NOTHING
    RETURNING id
  ), claimed AS (
    INSERT INTO listen.search_stream (stream_id, created) SELECT id, true FROM made
    RETURNING 1
  )
  SELECT count(*) INTO n_added FROM claimed;

  INSERT INTO listen.search_stream (stream_id, created)
  SELECT s.id, false FROM ingest.stream s JOIN listen_want w ON w.account_id = s.account_id AND w.query = s.query
  WHERE s.kind = 'search'
  ON CONFLICT (stream_id) DO NOTHING;

  WITH up AS (
    UPDATE ingest.stream s SET enabled = true, next_run_at = now()
    FROM listen_want w
    WHERE s.account_id = w.account_id AND s.kind = 'search' AND s.query = w.query AND NOT s.enabled
    RETURNING 1)
  SELECT count(*) INTO n_enabled FROM up;

  WITH stale AS (
    SELECT ls.stream_id, ls.created FROM listen.search_stream ls JOIN ingest.stream s ON s.id = ls.stream_id
    WHERE NOT EXISTS (SELECT FROM listen_want w WHERE w.account_id = s.account_id AND w.query = s.query)
  ), released AS (
    DELETE FROM listen.search_stream ls USING stale WHERE ls.stream_id = stale.stream_id AND NOT stale.created
  ), off AS (
    UPDATE ingest.stream s SET enabled = false FROM stale
    WHERE s.id = stale.stream_id AND stale.created AND s.enabled
    RETURNING 1)
  SELECT count(*) INTO n_disabled FROM off;
  RETURN jsonb_build_object('added', n_added, 'enabled', n_enabled, 'disabled', n_disabled);
END $$;

-- Posts stored before this code existed (or while it was off) get their
-- normalized text, sentiment and matches; nothing to do on a current database.
CREATE OR REPLACE FUNCTION listen.catch_up() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  SELECT count(*) INTO n FROM social.post p WHERE NOT EXISTS (SELECT FROM listen.post_signal s WHERE s.post_id = p.id);
  IF n > 0 THEN
    PERFORM listen.apply(array_agg(p.id), array_agg(p.platform), array_agg(p.account_id), array_agg(p.author_id),
                         array_agg(p.lang), array_agg(p.body), false)
    FROM (SELECT * FROM social.post p WHERE NOT EXISTS (SELECT FROM listen.post_signal s WHERE s.post_id = p.id)
          FOR KEY SHARE) p;
  END IF;
  RETURN n;
END $$;
SELECT listen.catch_up();

-- Nothing here is for the web role: it reaches listening through api.* only.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA listen FROM PUBLIC;
