-- Exact row counts for the dashboard without counting millions of rows per
-- request: every statement that adds or removes rows appends its delta here
-- (sql/160_tally.sql), the harvester's maintenance folds the deltas now and
-- then, and a count is the sum of a handful of rows. Append-only, so writers
-- never wait on one hot counter row.
CREATE TABLE social.tally (
  name text NOT NULL CHECK (name IN ('accounts', 'profiles', 'posts')),
  n    bigint NOT NULL
);
CREATE INDEX tally_name_idx ON social.tally (name);
INSERT INTO social.tally
SELECT 'accounts', count(*) FROM social.account UNION ALL
SELECT 'profiles', count(*) FROM social.profile UNION ALL
SELECT 'posts', count(*) FROM social.post;
