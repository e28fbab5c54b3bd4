-- Backbone's data model. All times are UTC unix seconds; Discord ids are i64.

CREATE TABLE coalitions (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    name             TEXT    NOT NULL COLLATE NOCASE CHECK (length(trim(name)) BETWEEN 1 AND 100),
    home_channel_id  INTEGER NOT NULL,
    timezone         TEXT    NOT NULL DEFAULT 'UTC',
    checkin_schedule TEXT    NOT NULL,
    digest_schedule  TEXT    NOT NULL,
    ping_offsets     TEXT    NOT NULL DEFAULT '72h,24h',
    -- Next occurrence of each schedule, kept up to date so the scheduler's tick is an index scan.
    next_checkin_at  INTEGER,
    next_digest_at   INTEGER,
    created_by       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    archived_at      INTEGER,
    UNIQUE (guild_id, name)
);
CREATE INDEX coalitions_next_checkin ON coalitions (next_checkin_at) WHERE archived_at IS NULL;
CREATE INDEX coalitions_next_digest ON coalitions (next_digest_at) WHERE archived_at IS NULL;
CREATE INDEX coalitions_home_channel ON coalitions (guild_id, home_channel_id);

CREATE TABLE orgs (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL COLLATE NOCASE CHECK (length(trim(name)) BETWEEN 1 AND 100),
    created_at   INTEGER NOT NULL,
    UNIQUE (coalition_id, name)
);

CREATE TABLE members (
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('lead', 'member')),
    org_id       INTEGER REFERENCES orgs (id) ON DELETE RESTRICT,
    display_name TEXT    NOT NULL DEFAULT '',
    joined_at    INTEGER NOT NULL,
    PRIMARY KEY (coalition_id, user_id)
);
CREATE INDEX members_org ON members (org_id);

CREATE TABLE responsibilities (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    name         TEXT    NOT NULL COLLATE NOCASE CHECK (length(trim(name)) BETWEEN 1 AND 100),
    assigned_at  INTEGER NOT NULL,
    FOREIGN KEY (coalition_id, user_id) REFERENCES members (coalition_id, user_id) ON DELETE CASCADE,
    UNIQUE (coalition_id, user_id, name)
);

CREATE TABLE goals (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL CHECK (number > 0),
    title        TEXT    NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    metric       TEXT,
    unit         TEXT,
    target       REAL CHECK (target IS NULL OR target > 0),
    current      REAL    NOT NULL DEFAULT 0 CHECK (current >= 0),
    due_at       INTEGER,
    status       TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'achieved', 'dropped')),
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    closed_at    INTEGER,
    UNIQUE (coalition_id, number)
);

CREATE TABLE tasks (
    id             INTEGER PRIMARY KEY,
    coalition_id   INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    number         INTEGER NOT NULL CHECK (number > 0),
    title          TEXT    NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    assignee_id    INTEGER,
    org_id         INTEGER REFERENCES orgs (id) ON DELETE SET NULL,
    goal_id        INTEGER REFERENCES goals (id) ON DELETE SET NULL,
    due_at         INTEGER,
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'blocked', 'done')),
    blocked_reason TEXT,
    created_by     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    completed_at   INTEGER,
    -- Next deadline ping to plan (NULL once done or with no due date): keeps the tick an index scan.
    next_ping_at   INTEGER,
    channel_id     INTEGER,
    message_id     INTEGER,
    UNIQUE (coalition_id, number),
    CHECK (status <> 'blocked' OR blocked_reason IS NOT NULL)
);
CREATE INDEX tasks_status_due ON tasks (coalition_id, status, due_at);
CREATE INDEX tasks_assignee ON tasks (coalition_id, assignee_id, status);
CREATE INDEX tasks_completed ON tasks (coalition_id, completed_at) WHERE status = 'done';
CREATE INDEX tasks_next_ping ON tasks (next_ping_at) WHERE next_ping_at IS NOT NULL;

CREATE TABLE deadlines (
    id           INTEGER PRIMARY KEY,
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
CREATE INDEX deadlines_due ON deadlines (coalition_id, status, due_at);
CREATE INDEX deadlines_next_ping ON deadlines (next_ping_at) WHERE next_ping_at IS NOT NULL;

CREATE TABLE wins (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    text         TEXT    NOT NULL CHECK (length(trim(text)) BETWEEN 1 AND 1000),
    org_id       INTEGER REFERENCES orgs (id) ON DELETE SET NULL,
    goal_id      INTEGER REFERENCES goals (id) ON DELETE SET NULL,
    task_id      INTEGER REFERENCES tasks (id) ON DELETE SET NULL,
    amount       REAL CHECK (amount IS NULL OR amount > 0),
    created_at   INTEGER NOT NULL
);
CREATE INDEX wins_created ON wins (coalition_id, created_at);
CREATE UNIQUE INDEX wins_task ON wins (task_id) WHERE task_id IS NOT NULL;

CREATE TABLE checkin_rounds (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    opens_at     INTEGER NOT NULL,
    -- When to nudge members who have not answered; NULL once nudges are planned.
    nudge_at     INTEGER,
    channel_id   INTEGER,
    message_id   INTEGER,
    created_at   INTEGER NOT NULL,
    UNIQUE (coalition_id, opens_at)
);
CREATE INDEX checkin_rounds_nudge ON checkin_rounds (nudge_at) WHERE nudge_at IS NOT NULL;

CREATE TABLE checkins (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    done         TEXT    NOT NULL DEFAULT '',
    next         TEXT    NOT NULL DEFAULT '',
    blockers     TEXT    NOT NULL DEFAULT '',
    submitted_at INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (round_id, user_id)
);

-- The outbox: every scheduled or triggered message. Content is rendered when it is sent.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    coalition_id    INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    dedupe_key      TEXT    NOT NULL UNIQUE,
    target_kind     TEXT    NOT NULL CHECK (target_kind IN ('channel', 'user')),
    target_id       INTEGER NOT NULL,
    subject_id      INTEGER,
    payload         TEXT    NOT NULL DEFAULT '{}',
    status          TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'sending', 'sent', 'dead', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    message_id      INTEGER,
    channel_id      INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_coalition ON deliveries (coalition_id, kind, status);

-- Append-only audit log of who changed what.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    actor_id     INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    subject      TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX events_coalition ON events (coalition_id, created_at);
