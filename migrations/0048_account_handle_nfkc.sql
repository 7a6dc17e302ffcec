-- A handle typed in full-width letters (＠ｌｕｍｅｎ) or other compatibility
-- forms is the same handle as in plain ones (NFKC): the account is connected
-- once (0046 compared case and a leading @ only). Accounts that already clash
-- this way stop the migration, as in 0046: which to keep is for a person to
-- say. Handles are stored in their plain form from now on (api.account_add);
-- those stored before are made plain here.
DO $$
DECLARE clash text;
BEGIN
  SELECT string_agg(format('%s accounts %s', platform, ids), '; ') INTO clash FROM (
    SELECT platform, string_agg(id::text, ', ' ORDER BY id) AS ids FROM social.account
    GROUP BY platform, lower(ltrim(normalize(handle, NFKC), '@')) HAVING count(*) > 1) c;
  IF clash IS NOT NULL THEN
    RAISE EXCEPTION 'These brand accounts are the same account connected twice: %. Delete all but one of each, then migrate again.', clash;
  END IF;
END $$;
DROP INDEX social.account_handle_any_case_key;
UPDATE social.account SET handle = ltrim(normalize(handle, NFKC), '@') WHERE handle <> ltrim(normalize(handle, NFKC), '@');
CREATE UNIQUE INDEX account_handle_any_form_key ON social.account (platform, lower(ltrim(normalize(handle, NFKC), '@')));
