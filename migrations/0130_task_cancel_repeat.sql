-- no-transaction
-- Tasks can be cancelled (closed without counting as done) and can repeat. SQLite can't change a
-- CHECK constraint in place, so the table is rebuilt (https://sqlite.org/lang_altertable.html,
-- "making other kinds of table schema changes"): foreign keys off so dropping the old table
-- doesn't null wins.task_id, one transaction for the copy, then a foreign key check.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE tasks_new (
    id             INTEGER PRIMARY KEY,
    coalition_id   INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    number         INTEGER NOT NULL CHECK (number > 0),
    title          TEXT    NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    assignee_id    INTEGER,
    org_id         INTEGER REFERENCES orgs (id) ON DELETE SET NULL,
    goal_id        INTEGER REFERENCES goals (id) ON DELETE SET NULL,
    due_at         INTEGER,
    status         TEXT    NOT NULL DEFAULT 'open'
                           CHECK (status IN ('open', 'in_progress', 'blocked', 'done', 'cancelled')),
    blocked_reason TEXT,
    created_by     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    completed_at   INTEGER,
    -- Next deadline ping to plan (NULL once closed or with no due date): keeps the tick an index scan.
    next_ping_at   INTEGER,
    channel_id     INTEGER,
    message_id     INTEGER,
    -- Who made the last status change (0100).
    status_by      INTEGER,
    -- Why it was cancelled (optional), and when.
    cancel_reason  TEXT,
    cancelled_at   INTEGER,
    -- How it repeats, in the plain words `/task repeat` accepted (`every monday`); NULL = once.
    repeat_every   TEXT,
    -- The task this one was copied from when that one closed.
    repeat_of      INTEGER REFERENCES tasks_new (id) ON DELETE SET NULL,
    UNIQUE (coalition_id, number),
    CHECK (status <> 'blocked' OR blocked_reason IS NOT NULL)
);

INSERT INTO tasks_new (id, coalition_id, number, title, assignee_id, org_id, goal_id, due_at, status,
                       blocked_reason, created_by, created_at, updated_at, completed_at, next_ping_at,
                       channel_id, message_id, status_by)
SELECT id, coalition_id, number, title, assignee_id, org_id, goal_id, due_at, status,
       blocked_reason, created_by, created_at, updated_at, completed_at, next_ping_at,
       channel_id, message_id, status_by
FROM tasks;

DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;

CREATE INDEX tasks_status_due ON tasks (coalition_id, status, due_at);
CREATE INDEX tasks_assignee ON tasks (coalition_id, assignee_id, status);
CREATE INDEX tasks_completed ON tasks (coalition_id, completed_at) WHERE status = 'done';
CREATE INDEX tasks_next_ping ON tasks (next_ping_at) WHERE next_ping_at IS NOT NULL;
CREATE INDEX tasks_open_due ON tasks (coalition_id, due_at, number) WHERE status <> 'done';
CREATE INDEX tasks_blocked ON tasks (coalition_id, updated_at) WHERE status = 'blocked';
CREATE INDEX tasks_cancelled ON tasks (coalition_id, cancelled_at) WHERE status = 'cancelled';

COMMIT;
PRAGMA foreign_keys = ON;
