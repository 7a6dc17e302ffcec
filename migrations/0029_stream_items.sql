-- What each harvest stream brought in, besides how many pages it read: the
-- posts, interactions and follower edges its pages carried, new or not.
ALTER TABLE ingest.stream ADD COLUMN items_harvested bigint NOT NULL DEFAULT 0;
