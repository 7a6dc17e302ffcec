-- A form submitted twice (a double click, a browser resending after a slow
-- answer) must act once. Each page gives its forms a fresh random key; the
-- first submission of a form's key and fields is recorded with its answer,
-- and a repeat gets that answer instead of acting again (api.form_replay).
-- The same key with other fields (back, edit, submit) is a new submission.
CREATE TABLE auth.form_submission (
  staff_id  bigint NOT NULL REFERENCES auth.staff ON DELETE CASCADE,
  form_key  text NOT NULL,
  route     text NOT NULL,
  args_hash bytea NOT NULL,
  answer    text,            -- set before the submitting transaction commits
  at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (staff_id, form_key, route, args_hash)
);
CREATE INDEX ON auth.form_submission (staff_id, at);
