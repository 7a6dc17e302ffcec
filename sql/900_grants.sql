-- The web role may call api functions and nothing else.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC;
GRANT USAGE ON SCHEMA api TO parley_web;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA api TO parley_web;
