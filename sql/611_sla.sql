-- Business time on crm.calendar: weekly local hours minus holidays, in the
-- calendar's time zone. Each opening is turned into an absolute interval
-- (local wall time AT TIME ZONE tz), so nights, weekends, holidays and DST
-- days (23 or 25 hours long) count as the clock on the wall says.

-- Openings of a calendar that overlap [p_from, p_to), clipped to it.
-- Days are generated as integers added to a date: a date series through
-- timestamptz would depend on the session's TimeZone.
CREATE OR REPLACE FUNCTION crm.business_intervals(p_cal bigint, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (lo timestamptz, hi timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT greatest(x.lo, p_from), least(x.hi, p_to)
  FROM crm.calendar c
  CROSS JOIN LATERAL generate_series(0, (p_to AT TIME ZONE c.tz)::date - (p_from AT TIME ZONE c.tz)::date) AS n(i)
  CROSS JOIN LATERAL (SELECT (p_from AT TIME ZONE c.tz)::date + n.i AS day) d
  JOIN crm.calendar_hours h ON h.calendar_id = c.id AND h.dow = extract(isodow FROM d.day)
  CROSS JOIN LATERAL (SELECT (d.day + h.start_time) AT TIME ZONE c.tz AS lo,
                             (d.day + h.end_time) AT TIME ZONE c.tz AS hi) x
  WHERE c.id = p_cal AND p_to > p_from
    AND NOT EXISTS (SELECT FROM crm.holiday hd WHERE hd.calendar_id = c.id AND hd.day = d.day)
    AND x.hi > p_from AND x.lo < p_to
$$;

-- Business seconds from p_from to p_to (negative when p_to is earlier).
CREATE OR REPLACE FUNCTION crm.business_seconds(p_cal bigint, p_from timestamptz, p_to timestamptz)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT CASE WHEN p_from IS NULL OR p_to IS NULL OR p_cal IS NULL THEN NULL
                  WHEN p_to >= p_from
                  THEN (SELECT coalesce(sum(extract(epoch FROM hi - lo)), 0)::bigint
                        FROM crm.business_intervals(p_cal, p_from, p_to))
                  ELSE -(SELECT coalesce(sum(extract(epoch FROM hi - lo)), 0)::bigint
                         FROM crm.business_intervals(p_cal, p_to, p_from)) END);
END $$;

CREATE OR REPLACE FUNCTION crm.business_minutes(p_cal bigint, p_from timestamptz, p_to timestamptz)
RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT crm.business_seconds(p_cal, p_from, p_to) / 60
$$;

-- The instant p_minutes business minutes after p_start. A target that ends
-- exactly at closing time is due at closing, not at the next opening. NULL
-- when the calendar has no opening within ten years.
CREATE OR REPLACE FUNCTION crm.business_due(p_cal bigint, p_start timestamptz, p_minutes integer)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE horizon interval; due timestamptz;
BEGIN
  IF p_cal IS NULL OR p_start IS NULL OR p_minutes IS NULL THEN
    RETURN NULL;
  ELSIF p_minutes <= 0 THEN
    RETURN p_start;
  END IF;
  -- widen the search window only when the short one is not enough
  FOREACH horizon IN ARRAY ARRAY[interval '31 days', interval '400 days', interval '3660 days'] LOOP
    SELECT iv.hi - make_interval(secs => iv.cum - p_minutes * 60) INTO due
    FROM (SELECT lo, hi, sum(extract(epoch FROM hi - lo)) OVER (ORDER BY lo) AS cum
          FROM crm.business_intervals(p_cal, p_start, p_start + horizon)) iv
    WHERE iv.cum >= p_minutes * 60
    ORDER BY iv.lo LIMIT 1;
    IF due IS NOT NULL THEN
      RETURN due;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

DROP FUNCTION IF EXISTS crm.check_tz(text);  -- calendars take auth.time_zone's names now

CREATE OR REPLACE FUNCTION crm.default_sla_policy() RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT id FROM crm.sla_policy WHERE is_default);
END $$;

-- The non-blank lines of a text area, in order, each with its match of
-- p_pattern (NULL for a line that does not match).
CREATE OR REPLACE FUNCTION crm.text_lines(p_text text, p_pattern text)
RETURNS TABLE (n bigint, line text, m text[]) LANGUAGE sql IMMUTABLE AS $$
  SELECT l.n, l.line, regexp_match(l.line, p_pattern)
  FROM regexp_split_to_table(coalesce(p_text, ''), '\r?\n') WITH ORDINALITY AS l(line, n)
  WHERE l.line ~ '\S'
$$;

-- PR422 for a line of typed text that cannot be read, the line (its first
-- 80 characters) named in the sentence and passed as its value.
CREATE OR REPLACE FUNCTION crm.refuse_line(p_key text, p_sentence text, p_line text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE SQLSTATE 'PR422' USING MESSAGE = format(p_sentence, left(p_line, 80)), HINT = p_key,
                               DETAIL = jsonb_build_object('line', left(p_line, 80));
END $$;

-- Business hours as people type them in a form, one opening a line: the days
-- (ISO numbers, 1 = Monday: "1-5", "1,3,5", "6") and the span ("9:00-18:00"):
-- [{dow, start, end}] as api.sla_policy_save takes them. A line it cannot
-- read is 422, naming the line.
CREATE OR REPLACE FUNCTION crm.hours_from_text(p_text text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE bad text; out jsonb;
BEGIN
  WITH spans AS (
    SELECT t.n, t.line, t.m[2] AS start_at, t.m[3] AS end_at, r.ord, r.part
    FROM crm.text_lines(p_text, '^\s*([1-7](?:\s*-\s*[1-7])?(?:\s*,\s*[1-7](?:\s*-\s*[1-7])?)*)\s+((?:[01]?[0-9]|2[0-3]):[0-5][0-9])\s*[-–]\s*((?:[01]?[0-9]|2[0-3]):[0-5][0-9]|24:00)\s*$') t
    LEFT JOIN LATERAL unnest(string_to_array(regexp_replace(t.m[1], '\s', '', 'g'), ',')) WITH ORDINALITY r(part, ord) ON true
  ), days AS (
    SELECT n, line, start_at, end_at, ord, split_part(part, '-', 1)::int AS d1,
           coalesce(nullif(split_part(part, '-', 2), ''), split_part(part, '-', 1))::int AS d2
    FROM spans
  )
  SELECT (SELECT line FROM days WHERE start_at IS NULL OR d1 > d2 OR lpad(start_at, 5, '0') >= lpad(end_at, 5, '0')
          ORDER BY n LIMIT 1),
         coalesce((SELECT jsonb_agg(jsonb_build_object('dow', d, 'start', lpad(start_at, 5, '0'), 'end', lpad(end_at, 5, '0'))
                                    ORDER BY n, ord, d)
                   FROM days, generate_series(d1, d2) d), '[]')
  INTO bad, out;
  IF bad IS NOT NULL THEN
    PERFORM crm.refuse_line('err.sla_hours_line_named', 'Cannot read the opening hours line "%s": write days '
      '(1 = Monday, lower first) and a span that starts before it ends, such as 1-5 09:00-18:00.', bad);
  END IF;
  RETURN out;
END $$;

-- Whether a YYYY-MM-DD text is a real day from 2000 to 2100 (a holiday's).
CREATE OR REPLACE FUNCTION crm.holiday_date_ok(p_day text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN p_day ~ '^(20[0-9][0-9]|2100)-[0-9]{2}-[0-9]{2}$' AND to_char(to_date(p_day, 'YYYY-MM-DD'), 'YYYY-MM-DD') = p_day;
EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
  RETURN false;
END $$;

-- Holidays as typed, one a line: a date and, after it, its name.
CREATE OR REPLACE FUNCTION crm.holidays_from_text(p_text text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE bad text; out jsonb;
BEGIN
  WITH lines AS (SELECT * FROM crm.text_lines(p_text, '^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})(?:\s+(.*\S))?\s*$'))
  SELECT (SELECT line FROM lines WHERE m IS NULL OR NOT crm.holiday_date_ok(m[1]) OR length(m[2]) > 200 ORDER BY n LIMIT 1),
         coalesce((SELECT jsonb_agg(jsonb_build_object('day', m[1], 'name', coalesce(m[2], '')) ORDER BY n) FROM lines), '[]')
  INTO bad, out;
  IF bad IS NOT NULL THEN
    PERFORM crm.refuse_line('err.sla_holiday_line_named', 'Cannot read the holiday line "%s": write a real date '
      'from 2000 to 2100 and a name of at most 200 characters, such as 2026-10-01 National Day.', bad);
  END IF;
  RETURN out;
END $$;

-- A calendar's hours written back the way crm.hours_from_text reads them,
-- days with the same span on one line ("1-5 09:00-18:00").
CREATE OR REPLACE FUNCTION crm.hours_text(p_cal bigint) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT string_agg(days || ' ' || span, E'\n' ORDER BY first_dow, span)
  FROM (SELECT span, min(lo) AS first_dow,
               string_agg(CASE WHEN lo = hi THEN lo::text ELSE lo || '-' || hi END, ',' ORDER BY lo) AS days
        FROM (SELECT span, min(dow) AS lo, max(dow) AS hi
              FROM (SELECT span, dow, dow - row_number() OVER (PARTITION BY span ORDER BY dow) AS run
                    FROM (SELECT h.dow, to_char(h.start_time, 'HH24:MI') || '-' ||
                                 CASE WHEN h.end_time = '24:00' THEN '24:00' ELSE to_char(h.end_time, 'HH24:MI') END AS span
                          FROM crm.calendar_hours h WHERE h.calendar_id = p_cal) s) r
              GROUP BY span, run) g
        GROUP BY span) x
$$;
