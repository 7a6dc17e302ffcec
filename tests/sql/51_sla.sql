-- SLA math on business calendars (nights, weekends, holidays, time zones,
-- DST), due times of new cases, breach marking, the breach clock, KPI facts.
BEGIN;
SELECT plan(63);
SET LOCAL client_min_messages = warning;

-- (the default policy's calendar, whatever its name: it takes the policy's once saved)
SELECT calendar_id AS sh FROM crm.sla_policy WHERE name = 'Standard' \gset
INSERT INTO crm.calendar (name, tz) VALUES ('Tap NY', 'America/New_York'), ('Tap NY 24x7', 'America/New_York'),
                                           ('Tap SH holidays', 'Asia/Shanghai'), ('Tap never', 'UTC');
SELECT id AS ny FROM crm.calendar WHERE name = 'Tap NY' \gset
SELECT id AS allday FROM crm.calendar WHERE name = 'Tap NY 24x7' \gset
SELECT id AS shh FROM crm.calendar WHERE name = 'Tap SH holidays' \gset
SELECT id AS never FROM crm.calendar WHERE name = 'Tap never' \gset
INSERT INTO crm.calendar_hours (calendar_id, dow, start_time, end_time)
SELECT :ny, d, time '09:00', time '17:00' FROM generate_series(1, 5) d
UNION ALL SELECT :allday, d, '00:00', '24:00' FROM generate_series(1, 7) d
UNION ALL SELECT :shh, d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO crm.holiday (calendar_id, day, name) VALUES (:shh, '2026-03-09', 'Tap day off');

----------------------------------------------------------------- The default policy
SELECT is((SELECT (p.first_response_minutes, p.resolution_minutes, c.tz)::text FROM crm.sla_policy p
           JOIN crm.calendar c ON c.id = p.calendar_id WHERE p.is_default), '(60,480,Asia/Shanghai)',
          'default policy: 60 and 480 business minutes, Shanghai time');
SELECT is((SELECT string_agg(dow || ' ' || start_time || '-' || end_time, ', ' ORDER BY dow) FROM crm.calendar_hours
           WHERE calendar_id = :sh), '1 09:00:00-18:00:00, 2 09:00:00-18:00:00, 3 09:00:00-18:00:00, 4 09:00:00-18:00:00, 5 09:00:00-18:00:00',
          '…Monday to Friday, 09:00 to 18:00');

----------------------------------------------------------------- Due times
SELECT is(crm.business_due(:sh, '2026-03-06 17:30+08', 60), '2026-03-09 09:30+08', 'Friday 17:30 + 60 min: Monday 09:30 (weekend)');
SELECT is(crm.business_due(:sh, '2026-03-03 17:00+08', 120), '2026-03-04 10:00+08', 'Tuesday 17:00 + 120 min: Wednesday 10:00 (night)');
SELECT is(crm.business_due(:sh, '2026-03-03 09:00+08', 540), '2026-03-03 18:00+08', 'a full day ends at closing time, not next morning');
SELECT is(crm.business_due(:sh, '2026-03-02 07:00+08', 30), '2026-03-02 09:30+08', 'before opening: counted from opening');
SELECT is(crm.business_due(:sh, '2026-03-07 12:00+08', 60), '2026-03-09 10:00+08', 'from a Saturday: Monday 10:00');
SELECT is(crm.business_due(:shh, '2026-03-06 17:30+08', 60), '2026-03-10 09:30+08', 'a Monday holiday: Tuesday 09:30');
SELECT is(crm.business_due(:sh, '2026-03-02 09:00+08', 2700), '2026-03-06 18:00+08', 'five business days: Friday closing');
SELECT is(crm.business_due(:ny, '2026-03-06 16:00-05', 120), '2026-03-09 10:00-04',
          'New York across the spring DST weekend: Monday 10:00 EDT');
SELECT is(crm.business_due(:allday, '2026-03-08 00:00-05', 180), '2026-03-08 04:00-04',
          'round the clock: three elapsed hours across the skipped hour');
SELECT is(crm.business_due(:never, '2026-03-02 09:00Z', 60), NULL, 'a calendar without hours has no due time');
SET LOCAL TimeZone = 'Pacific/Kiritimati';
SELECT is(crm.business_due(:sh, '2026-03-06 17:30+08', 60), '2026-03-09 09:30+08', 'the session time zone does not matter');
RESET TimeZone;

----------------------------------------------------------------- Business minutes
SELECT is(crm.business_minutes(:sh, '2026-03-06 17:00+08', '2026-03-09 10:00+08'), 120::bigint, 'Friday 17:00 to Monday 10:00: 120');
SELECT is(crm.business_minutes(:sh, '2026-03-09 10:00+08', '2026-03-06 17:00+08'), -120::bigint, 'backwards: -120');
SELECT is(crm.business_minutes(:shh, '2026-03-06 17:00+08', '2026-03-10 10:00+08'), 120::bigint, 'the holiday does not count');
SELECT is(crm.business_minutes(:sh, '2026-03-03 08:00Z', '2026-03-03 09:00Z'), 60::bigint, 'one UTC hour: Shanghai afternoon, open');
SELECT is(crm.business_minutes(:ny, '2026-03-03 08:00Z', '2026-03-03 09:00Z'), 0::bigint, '…New York night, closed');
SELECT is(crm.business_minutes(:ny, '2026-03-03 14:00Z', '2026-03-03 15:00Z'), 60::bigint, 'the New York morning counts there');
SELECT is(crm.business_minutes(:allday, '2026-03-07 12:00-05', '2026-03-08 12:00-04'), 1380::bigint,
          'noon to noon over spring-forward: 23 hours');
SELECT is(crm.business_minutes(:allday, '2026-10-31 12:00-04', '2026-11-01 12:00-05'), 1500::bigint,
          'noon to noon over fall-back: 25 hours');
SELECT throws_ok($$SELECT auth.time_zone('Mars/Olympus')$$, 'PR422', NULL, 'an unknown time zone is PR422');

----------------------------------------------------------------- Cases, breaches, clock, facts
-- whatever was overdue before this test
SELECT crm.mark_sla_breaches() AS earlier \gset
-- A: Monday 2024-01-08 09:00 Shanghai, never answered
INSERT INTO crm."case" (subject, created_at) VALUES ('tap sla a', '2024-01-08 09:00+08') RETURNING id AS a \gset
-- B: answered and resolved in time; C: both late; D: overdue but closed
INSERT INTO crm."case" (subject, state, created_at, first_response_at, resolved_at) VALUES
  ('tap sla b', 'resolved', '2024-01-08 09:00+08', '2024-01-08 09:30+08', '2024-01-08 16:00+08'),
  ('tap sla c', 'resolved', '2024-01-08 09:00+08', '2024-01-08 11:00+08', '2024-01-09 10:00+08'),
  ('tap sla d', 'closed', '2024-01-08 09:00+08', NULL, NULL);
SELECT is((SELECT (first_response_due_at, resolution_due_at)::text FROM crm."case" WHERE id = :a),
          (timestamptz '2024-01-08 10:00+08', timestamptz '2024-01-08 17:00+08')::text,
          'due times from the default policy: 10:00 and 17:00 the same day');
SELECT is(crm.mark_sla_breaches(), 4, 'four targets missed: A twice, C twice');
SELECT is(crm.mark_sla_breaches(), 0, 'marked once only');
SELECT is((SELECT string_agg(e.data->>'target', ',' ORDER BY e.data->>'target') FROM crm.case_event e
           JOIN crm."case" c ON c.id = e.case_id WHERE c.subject = 'tap sla c' AND e.kind = 'sla_breach'),
          'first_response,resolution', 'C has both breach events');
SELECT is((SELECT (crm.sla_clock(c)->'resolution'->>'breached', (crm.sla_clock(c)->'first_response'->>'remaining_minutes')::int < 0)::text
           FROM crm."case" c WHERE id = :a), '(true,t)', 'the clock of A: breached, minutes left negative');
SELECT is((SELECT (crm.sla_clock(c)->'first_response'->>'overdue_minutes')::int = -(crm.sla_clock(c)->'first_response'->>'remaining_minutes')::int
           FROM crm."case" c WHERE id = :a), true, '… and as many minutes overdue, counted up');
SELECT is((SELECT string_agg(c.subject || ':' || (crm.sla_clock(c)->'first_response'->>'breached') || '/'
                             || coalesce(crm.sla_clock(c)->'first_response'->>'overdue_minutes', '-'), ' ' ORDER BY c.subject)
           FROM crm."case" c WHERE c.subject IN ('tap sla b', 'tap sla c')),
          'tap sla b:false/- tap sla c:true/-', 'a response given late is met and breached (the page says met late), with no minutes to count');
-- E: closed at 09:20, before either target was due, never answered
INSERT INTO crm."case" (subject, state, created_at, closed_at) VALUES ('tap sla e', 'closed', '2024-01-08 09:00+08', '2024-01-08 09:20+08')
RETURNING id AS e \gset
SELECT is((SELECT string_agg(t || ':' || (crm.sla_clock(c)->t->>'stopped') || '/' || (crm.sla_clock(c)->t->>'breached') || '/'
                             || coalesce(crm.sla_clock(c)->t->>'remaining_minutes', '-'), ' ' ORDER BY t)
           FROM crm."case" c, unnest(ARRAY['first_response', 'resolution']) t WHERE c.id = :e),
          'first_response:true/false/- resolution:true/false/-',
          'a case closed before its targets were due: both clocks stopped, not breached, no minutes left to show');
UPDATE crm."case" SET first_response_due_at = NULL, resolution_due_at = NULL WHERE subject = 'tap sla d';
SELECT is((SELECT (crm.sla_clock(c)->'first_response'->>'stopped') || '/' || (crm.sla_clock(c)->'resolution'->>'stopped')
           FROM crm."case" c WHERE c.subject = 'tap sla d'), 'false/false', '… a closed case with no targets has no clock to stop');
UPDATE crm."case" SET first_response_due_at = '2024-01-08 10:00+08', resolution_due_at = '2024-01-08 17:00+08' WHERE subject = 'tap sla d';
SELECT is((SELECT (first_response_breached, resolution_breached)::text FROM crm.case_fact WHERE case_id = :e), '(f,f)',
          '… and its facts do not turn breached as time goes on after it was closed');
SELECT is((SELECT sum(first_response_breaches)::integer FROM kpi.sla_breaches
           WHERE day = '2024-01-08' AND team_id IS NOT DISTINCT FROM (SELECT team_id FROM crm."case" WHERE id = :e)), 3,
          '… nor the BI view: of A, B, C, D and E the first response was missed by A, C and D');
INSERT INTO crm."case" (subject) VALUES ('tap sla now') RETURNING id AS fresh \gset
SELECT is((SELECT crm.sla_clock(c)->'first_response'->>'remaining_minutes' FROM crm."case" c WHERE id = :fresh), '60',
          'a new case has its 60 business minutes left');

-- K: Friday 17:00, answered Monday 09:30, resolved Monday 11:00
INSERT INTO crm."case" (subject, state, created_at, first_response_at, resolved_at) VALUES
  ('tap sla k', 'resolved', '2024-01-05 17:00+08', '2024-01-08 09:30+08', '2024-01-08 11:00+08') RETURNING id AS k \gset
SELECT is((SELECT (first_response_seconds, first_response_business_seconds, resolution_seconds, resolution_business_seconds,
                   first_response_breached, resolution_breached, reopen_count)::text FROM crm.case_fact WHERE case_id = :k),
          '(232200,5400,237600,10800,t,f,0)', 'facts: calendar and business seconds, breach flags (due Fri 18:00 and Mon 16:00)');
SELECT crm.set_state(:k, 'open', NULL) IS NULL AS x \gset
SELECT is((SELECT (reopen_count, resolved_at IS NULL, resolution_seconds IS NULL)::text FROM crm.case_fact WHERE case_id = :k),
          '(1,t,t)', 'a reopen counts and the resolution is pending again');
SELECT is((SELECT (first_response_breached, resolution_breached)::text FROM crm.case_fact
           WHERE case_id = (SELECT id FROM crm."case" WHERE subject = 'tap sla b')), '(f,f)', 'B met both targets');

-- F: Wednesday 2024-01-10 09:00, set pending, then resolved at 09:20 without a reply (due 10:00)
INSERT INTO crm."case" (subject, created_at) VALUES ('tap sla f', '2024-01-10 09:00+08') RETURNING id AS f \gset
SELECT crm.set_state(:f, 'pending', NULL) IS NULL AS x \gset
SELECT is((SELECT (crm.sla_clock(c)->'first_response'->>'stopped') || '/' || (crm.sla_clock(c)->'first_response'->>'breached')
           FROM crm."case" c WHERE id = :f), 'false/true', 'pending pauses no clock: F, waiting on the customer, is overdue');
CREATE TEMP VIEW f_kpi AS SELECT sum(k.first_response_breaches)::integer AS n FROM kpi.sla_breaches k, crm."case" c
  WHERE c.id = :f AND k.day = '2024-01-10' AND k.team_id IS NOT DISTINCT FROM c.team_id AND k.agent_id IS NOT DISTINCT FROM c.assignee_id;
SELECT n AS f_kpi_pending FROM f_kpi \gset
SELECT crm.set_state(:f, 'resolved', NULL) IS NULL AS x \gset
UPDATE crm."case" SET resolved_at = '2024-01-10 09:20+08' WHERE id = :f;
SELECT is((SELECT string_agg(t || ':' || (crm.sla_clock(c)->t->>'stopped') || '/' || (crm.sla_clock(c)->t->>'breached') || '/'
                             || coalesce(crm.sla_clock(c)->t->>'remaining_minutes', '-') || '/' || coalesce(((crm.sla_clock(c)->t->>'met_at')::timestamptz = c.resolved_at)::text, '-'),
                             ' ' ORDER BY t)
           FROM crm."case" c, unnest(ARRAY['first_response', 'resolution']) t WHERE c.id = :f),
          'first_response:true/false/-/- resolution:false/false/-/true',
          'F resolved before any reply: its first-response clock stopped (neither met nor breached), its resolution met');
SELECT crm.mark_sla_breaches() IS NULL AS x \gset
SELECT is((SELECT (first_response_breached_at IS NULL, (SELECT count(*) FROM crm.case_event e WHERE e.case_id = :f AND e.kind = 'sla_breach'))::text
           FROM crm."case" WHERE id = :f), '(t,0)', '… the breach marker, long after its due time, finds nothing missed');
SELECT is((SELECT (first_response_breached, resolution_breached)::text FROM crm.case_fact WHERE case_id = :f), '(f,f)',
          '… nor do its facts');
SELECT is(:f_kpi_pending - (SELECT n FROM f_kpi), 1, '… and the BI view stops counting its first response as breached');
SELECT crm.set_state(:f, 'open', NULL) IS NULL AS x \gset
SELECT is((SELECT (crm.sla_clock(c)->'first_response'->>'stopped') || '/' || (crm.sla_clock(c)->'first_response'->>'breached') || '/'
                  || ((crm.sla_clock(c)->'first_response'->>'remaining_minutes')::int < 0)
           FROM crm."case" c WHERE id = :f), 'false/true/true', 'reopened, F''s clock runs again toward the same due time: overdue');
SELECT crm.mark_sla_breaches() IS NULL AS x \gset
SELECT is((SELECT string_agg(data->>'target', ',' ORDER BY data->>'target') FROM crm.case_event WHERE case_id = :f AND kind = 'sla_breach'),
          'first_response,resolution', '… and the marker records it missed (and the resolution, due 17:00 that day)');
-- G: opened now, pending, resolved and reopened within its hour
INSERT INTO crm."case" (subject) VALUES ('tap sla g') RETURNING id AS g \gset
SELECT crm.set_state(:g, 'pending', NULL) IS NULL AS x \gset
SELECT crm.set_state(:g, 'resolved', NULL) IS NULL AS x \gset
SELECT is((SELECT (crm.sla_clock(c)->'first_response')::text FROM crm."case" c WHERE id = :g),
          (SELECT jsonb_build_object('due_at', first_response_due_at, 'met_at', NULL, 'remaining_minutes', NULL, 'overdue_minutes', NULL,
                                     'breached', false, 'stopped', true)::text FROM crm."case" WHERE id = :g),
          'G resolved unanswered: stopped, no minutes left to count');
SELECT crm.set_state(:g, 'open', NULL) IS NULL AS x \gset
SELECT is((SELECT (crm.sla_clock(c)->'first_response'->>'stopped') || '/' || (crm.sla_clock(c)->'first_response'->>'remaining_minutes')
           FROM crm."case" c WHERE id = :g), 'false/60', '… reopened: running again, its 60 minutes left');

----------------------------------------------------------------- Hours and holidays as typed in a form
SELECT is(crm.hours_from_text(E'1-5 9:00-18:00\r\n\n 6, 7  10:00 – 14:00 '),
          '[{"dow": 1, "end": "18:00", "start": "09:00"}, {"dow": 2, "end": "18:00", "start": "09:00"},
            {"dow": 3, "end": "18:00", "start": "09:00"}, {"dow": 4, "end": "18:00", "start": "09:00"},
            {"dow": 5, "end": "18:00", "start": "09:00"}, {"dow": 6, "end": "14:00", "start": "10:00"},
            {"dow": 7, "end": "14:00", "start": "10:00"}]'::jsonb,
          'hours lines: day ranges and lists, blank lines and CRLF, an en dash, hours without a leading zero');
SELECT throws_ok($$SELECT crm.hours_from_text(E'1-5 09:00-18:00\nMon 9-5')$$, 'PR422',
                 'Cannot read the opening hours line "Mon 9-5": write days (1 = Monday, lower first) and a span that starts before it ends, such as 1-5 09:00-18:00.',
                 'a line it cannot read is 422, naming the line');
SELECT throws_ok($$SELECT crm.hours_from_text('5-1 09:00-10:00')$$, 'PR422', NULL, 'a day range running backwards is 422');
SELECT throws_ok($$SELECT crm.hours_from_text(E'1-5 09:00-18:00\n6 18:00-09:00')$$, 'PR422',
                 'Cannot read the opening hours line "6 18:00-09:00": write days (1 = Monday, lower first) and a span that starts before it ends, such as 1-5 09:00-18:00.',
                 'so is a span ending before it starts, naming its line');
SELECT throws_ok($$SELECT crm.hours_from_text('1 09:00-24:30')$$, 'PR422', NULL, 'and a time past midnight');
SELECT is(crm.holidays_from_text(E'2026-10-01  National Day \n\n2026-10-02'),
          '[{"day": "2026-10-01", "name": "National Day"}, {"day": "2026-10-02", "name": ""}]'::jsonb,
          'holiday lines: a date and an optional name');
SELECT throws_ok($$SELECT crm.holidays_from_text('Oct 1 National Day')$$, 'PR422', NULL, 'a holiday without an ISO date is 422');
SELECT throws_ok($$SELECT crm.holidays_from_text(E'2026-10-01 ok\n2026-02-30 Not a day')$$, 'PR422',
                 'Cannot read the holiday line "2026-02-30 Not a day": write a real date from 2000 to 2100 and a name of at most 200 characters, such as 2026-10-01 National Day.',
                 'a day that does not exist is 422, naming its line');
SELECT throws_ok($$SELECT crm.holidays_from_text('0000-01-01 Year zero')$$, 'PR422', NULL, 'so is a year out of range');
SELECT throws_ok(format($$SELECT crm.holidays_from_text(%L)$$, '2026-10-01 ' || repeat('x', 201)), 'PR422', NULL,
                 'and a name over 200 characters');
INSERT INTO crm.calendar (name, tz) VALUES ('Tap split', 'UTC') RETURNING id AS split \gset
INSERT INTO crm.calendar_hours (calendar_id, dow, start_time, end_time) VALUES
  (:split, 1, '09:00', '12:00'), (:split, 1, '13:00', '17:00'), (:split, 3, '09:00', '12:00'),
  (:split, 4, '09:00', '12:00'), (:split, 6, '00:00', '24:00');
SELECT is(crm.hours_text(:split), E'1,3-4 09:00-12:00\n1 13:00-17:00\n6 00:00-24:00',
          'hours written back: runs of days per span, a split day, midnight to midnight');
SELECT is(crm.hours_from_text(crm.hours_text(:split)) @> (SELECT jsonb_agg(jsonb_build_object('dow', dow,
            'start', to_char(start_time, 'HH24:MI'), 'end', CASE WHEN end_time = '24:00' THEN '24:00' ELSE to_char(end_time, 'HH24:MI') END))
           FROM crm.calendar_hours WHERE calendar_id = :split)
          AND jsonb_array_length(crm.hours_from_text(crm.hours_text(:split))) = 5, true, '… and read back to the same hours');

----------------------------------------------------------------- Lists of ids from forms and JSON
SELECT is(crm.param_ids('{"x": " 3, 1,3"}', 'x'), '{1,3}'::bigint[], 'ids from a form field: sorted, without repeats');
SELECT is(crm.param_ids('{"x": [2, "5"]}', 'x'), '{2,5}'::bigint[], 'ids from a JSON list');
SELECT is(crm.param_ids('{"x": ""}', 'x'), '{}'::bigint[], 'an empty field is no ids')
UNION ALL SELECT is(crm.param_ids('{}', 'x'), NULL, 'an absent field is NULL');
SELECT throws_ok($$SELECT crm.param_ids('{"x": "1,9223372036854775808"}', 'x')$$, 'PR422', 'x must be a list of ids.',
                 'an id past bigint or not a number is 422');

SELECT * FROM finish();
ROLLBACK;
