-- Chart geometry for the SVG charts, against coordinates worked out by hand.
BEGIN;
SELECT plan(9);
-- 3 points in 600×160: x from 40 to 590 (step 275); y = 140 - v × 130 / max(10)
SELECT is(chart.line('[{"label":"a","value":0},{"label":"b","value":5},{"label":"c","value":10}]')->>'points',
          '40.0,140.0 315.0,75.0 590.0,10.0', 'a line is drawn through the values');
SELECT is(chart.line('[{"label":"a","value":0},{"label":"b","value":5},{"label":"c","value":10}]')->'ticks'->2->>'label',
          '10.0', 'the top tick is the largest value');
SELECT is(chart.line('[{"label":"only","value":3}]')->>'points', '315.0,10.0', 'one point sits in the middle');
SELECT is(chart.line('[]')->>'points', '', 'no data, no line');
SELECT is(chart.line('[{"label":"a","value":-4},{"label":"b","value":0}]')->>'points', '40.0,140.0 590.0,140.0',
          'negative values are drawn at zero; an all-zero series stays on the axis');
SELECT is((SELECT l->>'points' || ' | ' || (SELECT string_agg(g->>'points', ' | ') FROM jsonb_array_elements(l->'segments') g)
                  || ' | ' || jsonb_array_length(l->'dots')
           FROM (SELECT chart.line('[{"label":"a","value":10},{"label":"b","value":null},{"label":"c","value":5},{"label":"d","value":0},{"label":"e","value":null}]')) x(l)),
          '40.0,10.0 315.0,75.0 452.5,140.0 | 40.0,10.0 | 315.0,75.0 452.5,140.0 | 3',
          'a day without a value is a gap in the line, with no dot (0 is a value)');
SELECT is(chart.line('[{"label":"a","value":null},{"label":"b","value":null}]')->'segments', '[]'::jsonb,
          'no values at all: no segments');
-- bars in 600: width = v × 340 / max(10)
SELECT is((SELECT string_agg(b->>'w', ' ') FROM jsonb_array_elements(
            chart.bars('[{"label":"x","value":10},{"label":"y","value":5}]')->'bars') b), '340.0 170.0',
          'bars are scaled to the largest');
SELECT is(chart.bars('[{"label":"x","value":1},{"label":"y","value":2},{"label":"z","value":3}]')->>'height', '70',
          'one 22 px band per bar');
SELECT * FROM finish();
ROLLBACK;
