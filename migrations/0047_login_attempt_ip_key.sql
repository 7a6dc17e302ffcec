-- Sign-in throttling counts an IPv6 /64 as one address: one host usually has
-- a whole /64 to choose from, and a person's own addresses change within it
-- (RFC 8981 temporary addresses). IPv4, also mapped into IPv6, stays whole.
-- (Defined here, not in sql/: the stored column below is computed by it.)
CREATE FUNCTION auth.ip_key(p inet) RETURNS inet LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN family(p) = 6 AND NOT p <<= inet '::ffff:0:0/96' THEN network(set_masklen(p, 64))::inet ELSE p END;

ALTER TABLE auth.login_attempt ADD COLUMN ip_key inet GENERATED ALWAYS AS (auth.ip_key(ip)) STORED;
DROP INDEX auth.login_attempt_ip_at_idx, auth.login_attempt_username_ip_at_idx;
CREATE INDEX login_attempt_ip_key_at_idx ON auth.login_attempt (ip_key, at) WHERE NOT success;
CREATE INDEX login_attempt_username_ip_key_at_idx ON auth.login_attempt (username, ip_key, at) WHERE success;
