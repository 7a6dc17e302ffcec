-- A follow-up case's subject was stored with an English "Follow-up: " in
-- front (one more for each follow-up of a follow-up), which Chinese pages
-- showed as it was. Pages now mark a follow-up themselves (its follow_up_of,
-- in the reader's language): the subject is the first case's.
UPDATE crm."case" SET subject = regexp_replace(subject, '^(Follow-up: )+', '')
WHERE follow_up_of IS NOT NULL AND subject LIKE 'Follow-up: %';
