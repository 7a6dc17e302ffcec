-- A brand account is connected once: a handle differs by case or a leading
-- @ only in how it was typed, and one platform id at one API base URL is one
-- account (two rows would fight over its posts and spend its quota twice).
-- Accounts that already clash stop the migration: which to keep is for a
-- person to say (delete the other, or give it its own handle).
DO $$
DECLARE clash text;
BEGIN
  SELECT string_agg(format('%s accounts %s', platform, ids), '; ') INTO clash FROM (
    SELECT platform, string_agg(id::text, ', ' ORDER BY id) AS ids FROM social.account
    GROUP BY platform, lower(ltrim(handle, '@')) HAVING count(*) > 1
    UNION ALL
    SELECT platform, string_agg(id::text, ', ' ORDER BY id) FROM social.account WHERE external_id IS NOT NULL
    GROUP BY platform, lower(coalesce(api_base_url, '')), external_id HAVING count(*) > 1) c;
  IF clash IS NOT NULL THEN
    RAISE EXCEPTION 'These brand accounts are the same account connected twice: %. Delete all but one of each, then migrate again.', clash;
  END IF;
END $$;
CREATE UNIQUE INDEX account_handle_any_case_key ON social.account (platform, lower(ltrim(handle, '@')));
CREATE UNIQUE INDEX account_platform_id_key ON social.account (platform, lower(coalesce(api_base_url, '')), external_id)
  WHERE external_id IS NOT NULL;
