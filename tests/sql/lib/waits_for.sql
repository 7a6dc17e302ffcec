-- pg_temp.waits_for(marker, blocker): whether another connection, running a
-- query with marker in its text, comes to wait for the backend blocker (a
-- lock it holds, not a moment's lock of some other writer); polls for at most
-- 20 s, for a loaded machine. Included by test files with \ir.
CREATE FUNCTION pg_temp.waits_for(p_marker text, p_blocker integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..400 LOOP
    IF EXISTS (SELECT FROM pg_stat_activity
               WHERE query LIKE '%' || p_marker || '%' AND pid <> pg_backend_pid()
                 AND p_blocker = ANY (pg_blocking_pids(pid))) THEN
      RETURN true;
    END IF;
    PERFORM pg_sleep(0.05);
  END LOOP;
  RETURN false;
END $$;
