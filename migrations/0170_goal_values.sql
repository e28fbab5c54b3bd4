-- Each goal's value over time, kept as data (issue 17). One row per change of `goals.current`,
-- written in the same write transaction as the change: `created` (value 0, by `/goal add`),
-- `progress` (`/goal progress`), `win` (`/win log` with an amount), `win_removed` (`/win remove`)
-- and `edit` (a correction that changes the value; `/goal edit` keeps it today). `value` is the
-- goal's value right after the change, exactly as stored in `goals.current`. The impact report's
-- goal charts read this table instead of parsing event text. Rows at the same `at` are in `id`
-- order.
CREATE TABLE goal_values (
    id           INTEGER PRIMARY KEY,
    goal_id      INTEGER NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    value        REAL    NOT NULL CHECK (value >= 0),
    at           INTEGER NOT NULL,
    cause        TEXT    NOT NULL CHECK (cause IN ('created', 'progress', 'win', 'win_removed', 'edit'))
);
CREATE INDEX goal_values_goal_at ON goal_values (goal_id, at);

-- Backfill from what older versions kept: the same walk the report used to do, back from each
-- goal's current value (which stays exact) through its changes, newest first:
--   * wins still stored with a goal and an amount added it (`win`);
--   * `goal.progress` events (subject `goal #N`, detail `old → new`, both rounded to 2 decimals)
--     set it: the value just before is `old` (`progress`);
--   * `win.remove` events whose detail ends `…, amount A, goal G); goal G current → X` took A off
--     goal G (`win_removed`), and the removed win had added A when its `win.log` event was
--     written (`win`). Removals whose win.log event is missing are left out, as are events whose
--     text does not read as above.
-- Each goal also gets a `created` row at its creation time with the value the walk arrives at
-- before its first change: 0 when the events tell the whole story; something else when they
-- don't (a goal changed by hand), as the old report drew it — a goal with no recorded change at
-- all keeps its current value from creation. Values before a `/goal progress` are the event's
-- rounded ones; a removal that stopped at 0 is walked back as if it had not. Each goal's last
-- row holds its exact current value. Window functions only (no lookups per row):
-- 24,000 changes of 60 goals take about 0.3 s.

-- Finds each removed win's `win.log` event; dropped at the end.
CREATE INDEX goal_values_backfill ON events (coalition_id, kind, subject, created_at);

WITH
progress_raw AS (
    SELECT e.coalition_id, e.id AS ord, e.created_at AS at,
           substr(e.subject, 7) AS number,
           trim(substr(e.detail, 1, instr(e.detail, '→') - 1)) AS old_text,
           trim(substr(e.detail, instr(e.detail, '→') + 1)) AS new_text
    FROM events e
    WHERE e.kind = 'goal.progress' AND e.subject LIKE 'goal #%' AND instr(e.detail, '→') > 0
),
progress AS (
    SELECT g.id AS goal_id, p.at, 1 AS src, p.ord, 1 AS is_set, p.old_text, 0.0 AS delta, 'progress' AS cause
    FROM progress_raw p
    JOIN goals g ON g.coalition_id = p.coalition_id AND g.number = CAST(p.number AS INTEGER)
    WHERE p.number <> '' AND p.number NOT GLOB '*[^0-9]*'
      AND p.old_text GLOB '*[0-9]*' AND p.old_text NOT GLOB '*[^0-9.]*'
      AND p.new_text GLOB '*[0-9]*' AND p.new_text NOT GLOB '*[^0-9.]*'
),
removal_raw AS (
    SELECT e.coalition_id, e.id AS ord, e.created_at AS at, e.subject, g.id AS goal_id,
           ', goal ' || g.id || '); goal ' || g.id || ' current → ' AS marker, e.detail
    FROM events e
    JOIN goals g ON g.coalition_id = e.coalition_id
    WHERE e.kind = 'win.remove' AND e.subject LIKE 'win %'
      AND instr(e.detail, ', goal ' || g.id || '); goal ' || g.id || ' current → ') > 0
),
removal_cut AS (
    SELECT r.*,
           substr(r.detail, 1, instr(r.detail, r.marker) - 1) AS head,
           substr(r.detail, instr(r.detail, r.marker) + length(r.marker)) AS after_text
    FROM removal_raw r
),
removal_read AS (
    SELECT c.goal_id, c.at, c.ord,
           (SELECT MIN(l.created_at) FROM events l
            WHERE l.coalition_id = c.coalition_id AND l.kind = 'win.log' AND l.subject = c.subject) AS logged_at,
           CAST(substr(c.subject, 5) AS INTEGER) AS win_id,
           CAST(substr(c.head, length(rtrim(c.head, '0123456789.')) + 1) AS REAL) AS amount
    FROM removal_cut c
    WHERE rtrim(c.head, '0123456789.') LIKE '%, amount '
      AND substr(c.head, length(rtrim(c.head, '0123456789.')) + 1) GLOB '*[0-9]*'
      AND c.after_text GLOB '*[0-9]*' AND c.after_text NOT GLOB '*[^0-9.]*'
),
removal AS (
    SELECT * FROM removal_read WHERE logged_at <= at
),
changes AS (
    SELECT w.goal_id, w.created_at AS at, 0 AS src, w.id AS ord, 0 AS is_set,
           NULL AS old_text, w.amount AS delta, 'win' AS cause
    FROM wins w
    JOIN goals g ON g.id = w.goal_id AND g.coalition_id = w.coalition_id
    WHERE w.amount IS NOT NULL
    UNION ALL
    SELECT goal_id, logged_at, 0, win_id, 0, NULL, amount, 'win' FROM removal
    UNION ALL
    SELECT goal_id, at, 2, ord, 0, NULL, -amount, 'win_removed' FROM removal
    UNION ALL
    SELECT goal_id, at, src, ord, is_set, old_text, delta, cause FROM progress
),
numbered AS (
    SELECT c.*, ROW_NUMBER() OVER (PARTITION BY goal_id ORDER BY at, src, ord) AS rn
    FROM changes c
),
-- `sets_upto`: how many `/goal progress` up to this change (the group of changes it starts or
-- continues); `set_key`: on a `/goal progress`, its position and the value before it, as text
-- that sorts by position.
ordered AS (
    SELECT n.*,
           SUM(is_set) OVER (PARTITION BY goal_id ORDER BY rn ROWS UNBOUNDED PRECEDING) AS sets_upto,
           CASE WHEN is_set = 1 THEN printf('%012d|', rn) || old_text END AS set_key
    FROM numbered n
),
-- Each change led to the value just before the next `/goal progress` (or the current value when
-- none follows) less what the changes in between added. Window frames only, no lookups: the
-- next `/goal progress` is the smallest `set_key` after the change.
summed AS (
    SELECT o.goal_id, o.at, o.rn, o.cause, o.is_set, o.old_text, o.delta,
           MIN(o.set_key) OVER (PARTITION BY o.goal_id ORDER BY o.rn DESC
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS next_set,
           COALESCE(SUM(o.delta) OVER (PARTITION BY o.goal_id, o.sets_upto ORDER BY o.rn
                                       ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS later
    FROM ordered o
),
walked AS MATERIALIZED (
    SELECT s.goal_id, g.coalition_id, s.at, s.rn, s.cause, s.is_set, s.old_text, s.delta,
           COALESCE(CAST(substr(s.next_set, 14) AS REAL), g.current) - s.later AS value
    FROM summed s
    JOIN goals g ON g.id = s.goal_id
),
-- The value before a goal's first recorded change: its creation value.
firsts AS MATERIALIZED (
    SELECT goal_id, CASE WHEN is_set = 1 THEN CAST(old_text AS REAL) ELSE value - delta END AS value
    FROM walked WHERE rn = 1
),
created AS (
    SELECT g.id AS goal_id, g.coalition_id, g.created_at AS at, 0 AS rn, 'created' AS cause,
           COALESCE(f.value, g.current) AS value
    FROM goals g
    LEFT JOIN firsts f ON f.goal_id = g.id
),
everything AS (
    SELECT goal_id, coalition_id, at, rn, cause, value FROM created
    UNION ALL
    SELECT goal_id, coalition_id, at, rn, cause, value FROM walked
)
INSERT INTO goal_values (goal_id, coalition_id, value, at, cause)
SELECT goal_id, coalition_id, MAX(value, 0), at, cause FROM everything ORDER BY goal_id, rn;

DROP INDEX goal_values_backfill;
