-- Replies staff sent stay on record when their brand account is deleted
-- (posts, cases and leads already do): the entry keeps no account.
ALTER TABLE ingest.outbox ALTER COLUMN account_id DROP NOT NULL,
  DROP CONSTRAINT outbox_account_id_fkey,
  ADD CONSTRAINT outbox_account_id_fkey FOREIGN KEY (account_id) REFERENCES social.account ON DELETE SET NULL;
