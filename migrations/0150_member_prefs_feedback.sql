-- Each member's own hours, per user per guild: one setting covers every coalition of the server.
-- Quiet hours are minutes after local midnight; start = end is never stored (that is "off").
CREATE TABLE member_prefs (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    timezone     TEXT,
    quiet_start  INTEGER CHECK (quiet_start IS NULL OR quiet_start BETWEEN 0 AND 1439),
    quiet_end    INTEGER CHECK (quiet_end IS NULL OR quiet_end BETWEEN 0 AND 1439),
    dms          TEXT    NOT NULL DEFAULT 'all' CHECK (dms IN ('all', 'pings_only', 'none')),
    -- An away period: no nudges or deadline DMs until then (UTC seconds); ends by itself.
    away_until   INTEGER,
    away_note    TEXT,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id),
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);

-- Concerns and suggestions sent to a coalition's leads. An anonymous item has no author at all.
CREATE TABLE feedback (
    id              INTEGER PRIMARY KEY,
    coalition_id    INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    author_id       INTEGER,
    anonymous       INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    text            TEXT    NOT NULL CHECK (length(trim(text)) BETWEEN 1 AND 1000),
    created_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by INTEGER,
    CHECK (anonymous = 0 OR author_id IS NULL),
    CHECK (anonymous = 1 OR author_id IS NOT NULL)
);
CREATE INDEX feedback_coalition ON feedback (coalition_id, created_at);

-- Events may have no actor: anonymous feedback is recorded without one. SQLite can't drop a NOT
-- NULL constraint in place, so the table is rebuilt with the same rows and ids.
CREATE TABLE events_new (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    actor_id     INTEGER,
    kind         TEXT    NOT NULL,
    subject      TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
INSERT INTO events_new (id, coalition_id, actor_id, kind, subject, detail, created_at)
    SELECT id, coalition_id, actor_id, kind, subject, detail, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_coalition ON events (coalition_id, created_at);
