-- Matching writes a sentiment row and about three matches for every stored
-- post. Their foreign keys were checked row by row (an after-row trigger and
-- a locking probe of the post or rule for each row): about 40 % of what
-- matching cost. The same guarantees are now kept once per statement by
-- sql/600_listen.sql: the writers lock the rules (and, when the posts are not
-- their own transaction's, the posts) they write for, and statement triggers
-- on social.post and listen.rule remove what a delete leaves behind.
ALTER TABLE listen.match DROP CONSTRAINT match_post_id_fkey, DROP CONSTRAINT match_rule_id_fkey;
ALTER TABLE listen.post_signal DROP CONSTRAINT post_signal_post_id_fkey;
