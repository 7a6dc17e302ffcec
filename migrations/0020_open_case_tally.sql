-- The dashboard's open-case count joins the tallies (sql/613_case_triggers.sql
-- keeps it and seeds it in the transaction that creates its trigger).
ALTER TABLE social.tally DROP CONSTRAINT tally_name_check;
ALTER TABLE social.tally ADD CONSTRAINT tally_name_check CHECK (name IN ('accounts', 'profiles', 'posts', 'open_cases'));
