-- Keys of the social model checked once per statement instead of by
-- row-level foreign keys (migration 0027 says why).

-- Platforms are reference data: rows come from migrations and are never
-- deleted or renamed, so what names a platform needs no lock on it.
CREATE OR REPLACE FUNCTION social.platform_is_reference() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.code = OLD.code THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE SQLSTATE '23503' USING MESSAGE = 'Platforms are reference data: they cannot be deleted or renamed.';
END $$;
DROP TRIGGER IF EXISTS platform_kept ON social.platform;
CREATE TRIGGER platform_kept BEFORE DELETE OR UPDATE OF code ON social.platform
  FOR EACH ROW EXECUTE FUNCTION social.platform_is_reference();
DROP TRIGGER IF EXISTS platform_kept_truncate ON social.platform;
CREATE TRIGGER platform_kept_truncate BEFORE TRUNCATE ON social.platform
  FOR EACH STATEMENT EXECUTE FUNCTION social.platform_is_reference();

-- The platforms of the rows a statement added exist (one hashed look at the
-- distinct platforms, where a foreign key probed once per row).
CREATE OR REPLACE FUNCTION social.check_platforms() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE bad text;
BEGIN
  SELECT x.platform INTO bad FROM (SELECT DISTINCT a.platform FROM added a) x
  WHERE x.platform NOT IN (SELECT p.code FROM social.platform p) LIMIT 1;
  IF FOUND THEN
    RAISE SQLSTATE '23503' USING MESSAGE = format('There is no platform %L (in %s).', bad, TG_TABLE_NAME);
  END IF;
  RETURN NULL;
END $$;

-- A stored post or profile keeps its platform (it is part of its key).
CREATE OR REPLACE FUNCTION social.platform_unchanged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.platform IS DISTINCT FROM OLD.platform THEN
    RAISE SQLSTATE '23503' USING MESSAGE = format('The platform of a stored %s cannot change.', TG_TABLE_NAME);
  END IF;
  RETURN NEW;
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['post', 'profile'] LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS platform_checked ON social.%I', t);
    EXECUTE format('CREATE TRIGGER platform_checked AFTER INSERT ON social.%I REFERENCING NEW TABLE AS added
                    FOR EACH STATEMENT EXECUTE FUNCTION social.check_platforms()', t);
    EXECUTE format('DROP TRIGGER IF EXISTS platform_unchanged ON social.%I', t);
    EXECUTE format('CREATE TRIGGER platform_unchanged BEFORE UPDATE OF platform ON social.%I
                    FOR EACH ROW EXECUTE FUNCTION social.platform_unchanged()', t);
  END LOOP;
END $$;

-- A post's engagement snapshots go with it (what ON DELETE CASCADE did).
CREATE OR REPLACE FUNCTION social.drop_snapshots() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    -- Not when the same TRUNCATE already emptied it (it may not truncate twice).
    IF EXISTS (SELECT FROM social.engagement_snapshot) THEN
      TRUNCATE social.engagement_snapshot;
    END IF;
  ELSE
    DELETE FROM social.engagement_snapshot e USING gone g WHERE e.post_id = g.id;
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS snapshots_dropped ON social.post;
CREATE TRIGGER snapshots_dropped AFTER DELETE ON social.post
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION social.drop_snapshots();
DROP TRIGGER IF EXISTS snapshots_truncated ON social.post;
CREATE TRIGGER snapshots_truncated AFTER TRUNCATE ON social.post
  FOR EACH STATEMENT EXECUTE FUNCTION social.drop_snapshots();
