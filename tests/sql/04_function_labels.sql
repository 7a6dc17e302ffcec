-- No SQL function is kept from being inlined by its label. PostgreSQL inlines
-- a one-expression SQL function into the query calling it, but not one
-- labelled IMMUTABLE whose body is only STABLE (jsonb_build_object, to_char,
-- extract from a timestamptz…): that one is planned afresh in every
-- transaction calling it, about 30 µs each (auth.role_can in api.viewer made
-- every page 19 % slower that way).
BEGIN;
SELECT plan(3);
SET LOCAL client_min_messages = warning;

-- pg_temp.inlined(f): whether a call of f over two rows of NULLs (rows, so
-- that nothing is folded into a constant) is planned as f's body.
CREATE FUNCTION pg_temp.inlined(f regprocedure) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE p pg_proc := (SELECT p FROM pg_proc p WHERE p.oid = f);
        name text := format('%I.%I(', (SELECT nspname FROM pg_namespace WHERE oid = p.pronamespace), p.proname);
        nulls text; cols text; q text; line text;
BEGIN
  SELECT coalesce(string_agg(format('NULL::%s', format_type(t, NULL)), ',' ORDER BY o), '1'),
         coalesce(string_agg('a' || o, ',' ORDER BY o), 'a1')
    INTO nulls, cols FROM unnest(p.proargtypes) WITH ORDINALITY u(t, o);
  q := format('EXPLAIN VERBOSE SELECT %s%s) FROM (VALUES (%s), (%s)) v(%s)',
              name, CASE WHEN p.pronargs > 0 THEN (SELECT string_agg('v.a' || o, ',' ORDER BY o)
                                                   FROM generate_series(1, p.pronargs) o) ELSE '' END,
              nulls, nulls, cols);
  FOR line IN EXECUTE q LOOP
    IF strpos(line, name) > 0 THEN RETURN false; END IF;
  END LOOP;
  RETURN true;
END $$;

-- pg_temp.mislabelled(schemas): the IMMUTABLE SQL functions there that are
-- not inlined but would be as STABLE (the label, not their shape, stops it).
CREATE FUNCTION pg_temp.mislabelled(schemas text[]) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE f regprocedure; wrong text[] := '{}';
BEGIN
  FOR f IN SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
             AND n.nspname = ANY (schemas) AND p.provolatile = 'i'
             AND NOT p.proretset AND NOT p.prosecdef AND p.proconfig IS NULL
           ORDER BY 1
  LOOP
    CONTINUE WHEN pg_temp.inlined(f);
    EXECUTE format('ALTER FUNCTION %s STABLE', f);
    IF pg_temp.inlined(f) THEN wrong := wrong || f::text; END IF;
    EXECUTE format('ALTER FUNCTION %s IMMUTABLE', f);
  END LOOP;
  RETURN wrong;
END $$;

-- The check itself finds a mislabelled function, and passes a right one.
CREATE SCHEMA tap_labels;
CREATE FUNCTION tap_labels.wrong(x integer) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT jsonb_build_object('x', x) $$;
CREATE FUNCTION tap_labels.right(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT x + 1 $$;
SELECT is(pg_temp.mislabelled('{tap_labels}'), '{tap_labels.wrong(integer)}', 'the check finds an IMMUTABLE function with a STABLE body');
SELECT ok(pg_temp.inlined('tap_labels.right(integer)'), 'an IMMUTABLE function with an IMMUTABLE body is inlined');

SELECT is(pg_temp.mislabelled(ARRAY(SELECT nspname::text FROM pg_namespace
                                    WHERE nspname !~ '^pg_' AND nspname NOT IN ('public', 'information_schema', 'tap_labels'))),
          '{}', 'no Parley SQL function is kept from inlining by an IMMUTABLE label on a STABLE body');

SELECT * FROM finish();
ROLLBACK;
