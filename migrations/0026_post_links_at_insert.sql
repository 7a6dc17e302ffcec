-- A reply stored together with its parent (a thread page, a timeline with
-- both) is now written with the parent's id straight away: ingest.upsert_posts
-- draws ids for the page's new posts before inserting them. Only when another
-- transaction stores one of those posts first is a drawn id not used, and the
-- rows pointing at it are corrected by the next statement; so upsert_posts
-- defers the check of the links until it has done that (the constraints stay
-- immediate for every other writer). Late linking
-- (ingest.link_posts) is left only for posts stored before the post they
-- point at: its indexes now hold just those waiting rows instead of every
-- reply, repost and quote.
ALTER TABLE social.post
  ALTER CONSTRAINT post_parent_id_fkey DEFERRABLE,
  ALTER CONSTRAINT post_root_id_fkey DEFERRABLE,
  ALTER CONSTRAINT post_ref_id_fkey DEFERRABLE;

DROP INDEX social.post_parent_ext_idx, social.post_root_ext_idx, social.post_ref_ext_idx;
CREATE INDEX post_parent_waiting_idx ON social.post (platform, parent_external_id)
  WHERE parent_external_id IS NOT NULL AND parent_id IS NULL;
CREATE INDEX post_root_waiting_idx ON social.post (platform, root_external_id)
  WHERE root_external_id IS NOT NULL AND root_id IS NULL;
CREATE INDEX post_ref_waiting_idx ON social.post (platform, ref_external_id)
  WHERE ref_external_id IS NOT NULL AND ref_id IS NULL;

-- One index fewer to write per post: ranges and orders of created_at are
-- served by post_inbox_idx (created_at DESC, id DESC), read in either direction.
DROP INDEX social.post_created_at_idx;
