-- no-transaction
-- Wins and deadlines can now be removed (`/win remove`, `/deadline remove`). Their ids appear in
-- outbox dedupe keys and subjects (`win:<id>`), so a removed row's id must never come back for a
-- new row: AUTOINCREMENT guarantees that. Rebuilt as in 0130 (foreign keys off, one transaction).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE wins_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    text         TEXT    NOT NULL CHECK (length(trim(text)) BETWEEN 1 AND 1000),
    org_id       INTEGER REFERENCES orgs (id) ON DELETE SET NULL,
    goal_id      INTEGER REFERENCES goals (id) ON DELETE SET NULL,
    task_id      INTEGER REFERENCES tasks (id) ON DELETE SET NULL,
    amount       REAL CHECK (amount IS NULL OR amount > 0),
    created_at   INTEGER NOT NULL,
    -- The org's name when the win was logged (0101).
    org_name     TEXT
);
INSERT INTO wins_new (id, coalition_id, user_id, text, org_id, goal_id, task_id, amount, created_at, org_name)
SELECT id, coalition_id, user_id, text, org_id, goal_id, task_id, amount, created_at, org_name FROM wins;
DROP TABLE wins;
ALTER TABLE wins_new RENAME TO wins;
CREATE INDEX wins_created ON wins (coalition_id, created_at);
CREATE UNIQUE INDEX wins_task ON wins (task_id) WHERE task_id IS NOT NULL;

CREATE TABLE deadlines_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL CHECK (number > 0),
    title        TEXT    NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    goal_id      INTEGER REFERENCES goals (id) ON DELETE SET NULL,
    due_at       INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'met')),
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    met_at       INTEGER,
    next_ping_at INTEGER,
    UNIQUE (coalition_id, number)
);
INSERT INTO deadlines_new (id, coalition_id, number, title, goal_id, due_at, status, created_by, created_at,
                           met_at, next_ping_at)
SELECT id, coalition_id, number, title, goal_id, due_at, status, created_by, created_at, met_at, next_ping_at
FROM deadlines;
DROP TABLE deadlines;
ALTER TABLE deadlines_new RENAME TO deadlines;
CREATE INDEX deadlines_due ON deadlines (coalition_id, status, due_at);
CREATE INDEX deadlines_next_ping ON deadlines (next_ping_at) WHERE next_ping_at IS NOT NULL;

COMMIT;
PRAGMA foreign_keys = ON;
