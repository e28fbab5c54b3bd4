-- Goals that count targets (metric `targets …`) move by themselves when a stance changes: their
-- history rows say so with the cause `targets`. SQLite cannot change a CHECK, so the table is
-- rebuilt with the same rows and ids.
CREATE TABLE goal_values_new (
    id           INTEGER PRIMARY KEY,
    goal_id      INTEGER NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    value        REAL    NOT NULL CHECK (value >= 0),
    at           INTEGER NOT NULL,
    cause        TEXT    NOT NULL CHECK (cause IN ('created', 'progress', 'win', 'win_removed', 'edit', 'targets'))
);
INSERT INTO goal_values_new (id, goal_id, coalition_id, value, at, cause)
    SELECT id, goal_id, coalition_id, value, at, cause FROM goal_values;
DROP TABLE goal_values;
ALTER TABLE goal_values_new RENAME TO goal_values;
CREATE INDEX goal_values_goal_at ON goal_values (goal_id, at);
