-- Advocacy targets (decision-makers the coalition wants to move), the outreach partners log with
-- them, each target's stance history, leads' private notes, and the shared resource library.

CREATE TABLE targets (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    -- The name folded to lower case (in Rust, so beyond ASCII): unique per coalition.
    name_key     TEXT    NOT NULL,
    role         TEXT,
    office       TEXT,
    jurisdiction TEXT,
    stance       TEXT    NOT NULL CHECK (stance IN ('champion', 'supportive', 'neutral', 'opposed', 'hostile')),
    influence    TEXT    CHECK (influence IS NULL OR influence IN ('high', 'medium', 'low')),
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX targets_name ON targets (coalition_id, name_key);

-- One outreach: who (a member and their org) met whom, what kind, what was asked and said, the
-- stance seen. The target's name is kept so the record outlives the target.
CREATE TABLE outreach (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    target_id    INTEGER REFERENCES targets (id) ON DELETE SET NULL,
    target_name  TEXT    NOT NULL,
    user_id      INTEGER NOT NULL,
    org_id       INTEGER REFERENCES orgs (id) ON DELETE SET NULL,
    org_name     TEXT,
    kind         TEXT    NOT NULL CHECK (kind IN ('meeting', 'call', 'email', 'letter', 'testimony', 'event', 'other')),
    ask          TEXT,
    outcome      TEXT    NOT NULL CHECK (length(trim(outcome)) BETWEEN 1 AND 1000),
    stance_seen  TEXT    CHECK (stance_seen IS NULL OR stance_seen IN ('champion', 'supportive', 'neutral', 'opposed', 'hostile')),
    task_id      INTEGER REFERENCES tasks (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX outreach_target ON outreach (coalition_id, target_id, created_at);
CREATE INDEX outreach_created ON outreach (coalition_id, created_at);

-- Append-only: every stance a target was given, when, by whom, from what (NULL when it was
-- added), and the outreach that showed it (NULL for `/target add` and `/target edit`).
CREATE TABLE stance_changes (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    target_id    INTEGER REFERENCES targets (id) ON DELETE SET NULL,
    target_name  TEXT    NOT NULL,
    changed_by   INTEGER NOT NULL,
    from_stance  TEXT    CHECK (from_stance IS NULL OR from_stance IN ('champion', 'supportive', 'neutral', 'opposed', 'hostile')),
    to_stance    TEXT    NOT NULL CHECK (to_stance IN ('champion', 'supportive', 'neutral', 'opposed', 'hostile')),
    outreach_id  INTEGER REFERENCES outreach (id) ON DELETE SET NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX stance_changes_target ON stance_changes (coalition_id, target_id, at);
CREATE INDEX stance_changes_at ON stance_changes (coalition_id, at);

-- History is never rewritten: only the links to a removed target or outreach may fall away.
CREATE TRIGGER stance_changes_append_only
BEFORE UPDATE OF coalition_id, target_name, changed_by, from_stance, to_stance, at ON stance_changes
BEGIN
    SELECT RAISE(ABORT, 'stance history is append-only');
END;

-- Leads' private notes on a target (audience: leads). Removed with the target.
CREATE TABLE target_notes (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    target_id    INTEGER NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    author_id    INTEGER NOT NULL,
    text         TEXT    NOT NULL CHECK (length(trim(text)) BETWEEN 1 AND 1000),
    created_at   INTEGER NOT NULL
);
CREATE INDEX target_notes_target ON target_notes (target_id, created_at);

-- The shared library: http(s) links with a title and tags, optionally tied to a goal or target.
CREATE TABLE resources (
    id           INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    url          TEXT    NOT NULL CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),
    title        TEXT    NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    -- Lower-case tags between commas (`,toolkit,housing,`), so one tag matches with LIKE.
    tags         TEXT    NOT NULL DEFAULT '',
    goal_id      INTEGER REFERENCES goals (id) ON DELETE SET NULL,
    target_id    INTEGER REFERENCES targets (id) ON DELETE SET NULL,
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX resources_number ON resources (coalition_id, number);
CREATE INDEX resources_created ON resources (coalition_id, created_at);
