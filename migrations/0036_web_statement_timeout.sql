-- A web request's statement never outlives nginx's wait for the answer
-- (60 s): past 30 s it is cancelled (57014, answered 503) instead of going
-- on holding a worker and a backend after the client got a 504.
DO $$
BEGIN
  EXECUTE format('ALTER ROLE parley_web IN DATABASE %I SET statement_timeout = %L', current_database(), '30s');
END $$;
