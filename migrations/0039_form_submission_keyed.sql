-- A form's record must not let whoever reads the table test guesses of what
-- was typed into it (a password change, an account's token): the form's key
-- is kept only as its hash, and the fields' hash is keyed with the form's key
-- itself (256 random bits the table no longer holds). Records live a day and
-- only guard against repeats; the old ones cannot be converted and go.
DELETE FROM auth.form_submission;
ALTER TABLE auth.form_submission DROP CONSTRAINT form_submission_pkey;
ALTER TABLE auth.form_submission DROP COLUMN form_key;
ALTER TABLE auth.form_submission ADD COLUMN key_hash bytea NOT NULL;
ALTER TABLE auth.form_submission RENAME COLUMN args_hash TO args_mac;
ALTER TABLE auth.form_submission ADD PRIMARY KEY (staff_id, key_hash, route, args_mac);
