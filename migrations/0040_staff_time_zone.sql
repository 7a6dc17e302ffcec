-- Pages show times in each staff member's own time zone (a team in Shanghai
-- reads 13:53, not 05:53 UTC). The database keeps and answers instants; the
-- worker shows them in this zone. Checked against pg_timezone_names when set.
ALTER TABLE auth.staff ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
