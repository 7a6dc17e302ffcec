-- api holds only functions the workers call, so it is rebuilt on every deploy.
DROP SCHEMA IF EXISTS api CASCADE;
CREATE SCHEMA api;
