-- Meetings with a structured agenda (issue 18). Times are UTC unix seconds; Discord ids are i64.

-- One occurrence of a meeting. A series is its occurrences sharing `series_id` (the first one's
-- id) and the rule `every`; only the next occurrence exists as a row (and as a Discord event).
CREATE TABLE meetings (
    id                  INTEGER PRIMARY KEY,
    coalition_id        INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    title               TEXT    NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 100),
    starts_at           INTEGER NOT NULL,
    ends_at             INTEGER NOT NULL CHECK (ends_at > starts_at),
    -- Where: a voice channel, or a place or link (text); neither when not given.
    voice_channel_id    INTEGER,
    location            TEXT,
    series_id           INTEGER,
    every               TEXT,
    status              TEXT    NOT NULL DEFAULT 'scheduled'
                                CHECK (status IN ('scheduled', 'running', 'ended', 'cancelled', 'missed')),
    -- The Discord scheduled event and the status Discord last accepted (1..4).
    event_id            INTEGER,
    event_status        INTEGER,
    announce_channel_id INTEGER,
    announce_message_id INTEGER,
    thread_id           INTEGER,
    agenda_message_id   INTEGER,
    started_at          INTEGER,
    started_by          INTEGER,
    ended_at            INTEGER,
    ended_by            INTEGER,
    created_by          INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
);
CREATE INDEX meetings_upcoming ON meetings (coalition_id, status, starts_at);
-- Scheduled meetings by end, for the tick that finds those that passed without being held.
CREATE INDEX meetings_passing ON meetings (ends_at) WHERE status = 'scheduled';
-- Scheduled meetings by start, for the tick that plans their reminders.
CREATE INDEX meetings_starting ON meetings (starts_at) WHERE status = 'scheduled';

-- Going / Maybe / Can't, one answer per person per meeting.
CREATE TABLE meeting_rsvps (
    meeting_id   INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    answer       TEXT    NOT NULL CHECK (answer IN ('yes', 'maybe', 'no')),
    answered_at  INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);

-- Agenda items that are stored: proposed by members, carried over from an earlier meeting, or
-- taken from the coalition's data when the meeting started (so each has a "covered" toggle).
-- A carried item waits with no meeting until the coalition's next meeting starts.
CREATE TABLE meeting_items (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    meeting_id    INTEGER REFERENCES meetings (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('proposed', 'carried', 'data')),
    text          TEXT    NOT NULL CHECK (length(trim(text)) BETWEEN 1 AND 300),
    proposed_by   INTEGER,
    -- For a carried item: the meeting it was not reached in, and when that was.
    carried_from  INTEGER,
    carried_at    INTEGER,
    covered       INTEGER NOT NULL DEFAULT 0 CHECK (covered IN (0, 1)),
    position      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX meeting_items_meeting ON meeting_items (meeting_id, position, id);
CREATE INDEX meeting_items_waiting ON meeting_items (coalition_id) WHERE meeting_id IS NULL;

-- Who was there (the Here button), with their org as it was then.
CREATE TABLE meeting_attendance (
    meeting_id   INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    org_name     TEXT,
    at           INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);

-- The minutes: notes, decisions and action items (an action is a task).
CREATE TABLE meeting_minutes (
    id            INTEGER PRIMARY KEY,
    coalition_id  INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    meeting_id    INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('note', 'decision', 'action')),
    text          TEXT    NOT NULL CHECK (length(trim(text)) BETWEEN 1 AND 1000),
    by_user       INTEGER NOT NULL,
    task_id       INTEGER REFERENCES tasks (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX meeting_minutes_meeting ON meeting_minutes (meeting_id, id);
