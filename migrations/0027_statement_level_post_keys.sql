-- Every stored post and profile had its platform checked row by row, and
-- every engagement snapshot its post: about a tenth of an import's time.
-- The same guarantees are kept once per statement by
-- sql/155_social_integrity.sql: platforms are reference data that cannot be
-- deleted or renamed, so a post's or profile's platform is checked against
-- them once per statement; snapshots are written only by
-- ingest.upsert_posts for the posts its own statement wrote (which no other
-- transaction can delete meanwhile), and a post's delete or TRUNCATE takes
-- its snapshots with it, as ON DELETE CASCADE did.
ALTER TABLE social.post DROP CONSTRAINT post_platform_fkey;
ALTER TABLE social.profile DROP CONSTRAINT profile_platform_fkey;
ALTER TABLE social.engagement_snapshot DROP CONSTRAINT engagement_snapshot_post_id_fkey;
