-- Chart geometry for server-side SVG (DESIGN.md "Web conventions": coordinates
-- computed in SQL). The template draws what these return; no chart library,
-- no script. chart holds only functions, so it is rebuilt on every deploy.
-- PL/pgSQL around one query each: its plan is cached per session, where a
-- LANGUAGE sql function is planned again on every call.
DROP SCHEMA IF EXISTS chart CASCADE;
CREATE SCHEMA chart;

-- A line over evenly spaced points: rows [{"label": …, "value": n}, …] in
-- order, drawn in a width × height box with a margin for the axis labels.
-- Returns {"line": true, "points": "x,y x,y …", "segments": [{"points"}],
-- "dots": [{x, y, label, value}], "max", "ticks": [{y, label}], "first",
-- "last"}; values below zero are drawn at 0. A value that is null (a share of
-- nothing on that day) is a gap in the line, not a 0: the line is drawn as
-- the segments between gaps, and the day has no dot.
CREATE FUNCTION chart.line(p_rows jsonb, p_width integer DEFAULT 600, p_height integer DEFAULT 160)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN (
    WITH r AS (
      SELECT o - 1 AS i, e->>'label' AS label,
             CASE WHEN e->>'value' IS NOT NULL THEN greatest((e->>'value')::numeric, 0) END AS v  -- (greatest skips nulls)
      FROM jsonb_array_elements(coalesce(p_rows, '[]')) WITH ORDINALITY x(e, o)),
    k AS (SELECT count(*) AS n, greatest(max(v), 1) AS top FROM r),
    g AS (  -- the plot area: 40 px on the left for tick labels, 20 px below
      SELECT r.*, k.n, k.top,
             round(40 + CASE WHEN k.n > 1 THEN r.i * (p_width - 50)::numeric / (k.n - 1) ELSE (p_width - 50) / 2.0 END, 1) AS x,
             round(p_height - 20 - r.v * (p_height - 30) / k.top, 1) AS y,
             -- a run of days with values has one i - rank: one segment
             r.i - row_number() OVER (PARTITION BY r.v IS NULL ORDER BY r.i) AS run
      FROM r, k),
    d AS (SELECT * FROM g WHERE v IS NOT NULL)
    SELECT jsonb_build_object(
      'line', true, 'width', p_width, 'height', p_height,
      'points', coalesce((SELECT string_agg(x || ',' || y, ' ' ORDER BY i) FROM d), ''),
      'segments', coalesce((SELECT jsonb_agg(jsonb_build_object('points', pts) ORDER BY first_i)
                            FROM (SELECT min(i) AS first_i, string_agg(x || ',' || y, ' ' ORDER BY i) AS pts
                                  FROM d GROUP BY run) s), '[]'),
      'dots', coalesce((SELECT jsonb_agg(jsonb_build_object('x', x, 'y', y, 'label', label, 'value', v) ORDER BY i) FROM d), '[]'),
      'max', (SELECT top FROM k),
      'ticks', (SELECT jsonb_agg(jsonb_build_object('y', round(p_height - 20 - f * (p_height - 30), 1),
                                                    'label', round(f * top, 1)) ORDER BY f)
                FROM k, unnest(ARRAY[0, 0.5, 1]::numeric[]) f),
      'first', (SELECT label FROM g ORDER BY i LIMIT 1),
      'last', (SELECT label FROM g ORDER BY i DESC LIMIT 1),
      'axis_y', p_height - 20, 'axis_right', p_width - 10));
END $$;

-- Horizontal bars: rows [{"label": …, "value": n}, …] (in the order given),
-- one 18 px band each. Returns {"height", "bars": [{y, w, label, value, ty}]}.
CREATE FUNCTION chart.bars(p_rows jsonb, p_width integer DEFAULT 600)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN (
    WITH r AS (
      SELECT o - 1 AS i, e->>'label' AS label, greatest(coalesce((e->>'value')::numeric, 0), 0) AS v
      FROM jsonb_array_elements(coalesce(p_rows, '[]')) WITH ORDINALITY x(e, o)),
    k AS (SELECT greatest(max(v), 1) AS top, count(*) AS n FROM r)
    SELECT jsonb_build_object(
      'width', p_width, 'height', (SELECT n * 22 + 4 FROM k),
      'bars', coalesce((SELECT jsonb_agg(jsonb_build_object(
                          'y', r.i * 22 + 2, 'ty', r.i * 22 + 15, 'label', r.label, 'value', r.v,
                          'w', round(r.v * (p_width - 260) / k.top, 1), 'vx', round(r.v * (p_width - 260) / k.top, 1) + 186)
                        ORDER BY r.i) FROM r, k), '[]')));
END $$;
