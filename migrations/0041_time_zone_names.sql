-- The time zones people may choose, kept in a table: pg_timezone_names reads
-- every zone file of the server (about 40 ms a look), and the sessions and
-- SLA pages look at each view. sql/100_auth.sql refills it at every migrate,
-- after which a tzdata upgrade's names are there too.
CREATE TABLE auth.time_zone_name (name text PRIMARY KEY);
CREATE INDEX time_zone_name_lower_idx ON auth.time_zone_name (lower(name));
