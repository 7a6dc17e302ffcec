-- pg_temp.sqlstate_as(role, query): runs query as role and returns 'ok' or the
-- SQLSTATE it failed with; the subtransaction undoes the role switch either way.
-- Included by test files with \ir (pg_prove runs them through psql).
CREATE FUNCTION pg_temp.sqlstate_as(r text, q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    EXECUTE q;
    RAISE SQLSTATE 'P0100';
  EXCEPTION
    WHEN SQLSTATE 'P0100' THEN RETURN 'ok';
    WHEN OTHERS THEN RETURN SQLSTATE;
  END;
END $$;
