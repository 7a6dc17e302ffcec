-- Staff accounts, sessions, login throttling and the security audit log.
CREATE TYPE auth.staff_role AS ENUM ('admin', 'marketer', 'agent', 'sales', 'analyst');

CREATE DOMAIN auth.lang AS text CHECK (VALUE IN ('en', 'zh-CN'));

CREATE TABLE auth.staff (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
  display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  role          auth.staff_role NOT NULL,
  password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  lang          auth.lang,              -- NULL: follow the browser's Accept-Language
  disabled_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now()
);

-- Only a SHA-256 of the session token is stored: a database leak yields no usable cookie.
CREATE TABLE auth.session (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  staff_id     bigint NOT NULL REFERENCES auth.staff ON DELETE CASCADE,
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  ip           inet,
  user_agent   text CHECK (length(user_agent) <= 512)
);
CREATE INDEX ON auth.session (staff_id);

CREATE TABLE auth.login_attempt (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  username text NOT NULL,
  ip       inet,
  success  boolean NOT NULL
);
CREATE INDEX ON auth.login_attempt (username, at) WHERE NOT success;
CREATE INDEX ON auth.login_attempt (ip, at) WHERE NOT success;
CREATE INDEX ON auth.login_attempt (username, ip, at) WHERE success;

CREATE TABLE auth.audit_log (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  staff_id bigint REFERENCES auth.staff ON DELETE SET NULL,
  event    text NOT NULL,
  ip       inet,
  detail   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ON auth.audit_log (at);

-- Passwords refused at set time (filled by migration 0004).
CREATE TABLE auth.common_password (sha256 bytea PRIMARY KEY CHECK (length(sha256) = 32));
