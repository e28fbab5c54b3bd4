-- Check-ins in the open (issue 9): how a coalition shows answers, its own questions (versioned per
-- round, so old answers keep the questions they answered), one answer row per question, and the
-- round's thread, summary and answer cards.

CREATE TABLE checkin_settings (
    coalition_id INTEGER PRIMARY KEY REFERENCES coalitions (id) ON DELETE CASCADE,
    -- thread: each answer as a card in the round's thread; summary: one message in the thread,
    -- edited as answers arrive; leads: nothing public.
    report       TEXT    NOT NULL DEFAULT 'thread' CHECK (report IN ('thread', 'summary', 'leads')),
    -- Seconds after a round opens before non-responders are nudged; NULL = the deployment's
    -- default, 0 = no nudges.
    nudge_after  INTEGER CHECK (nudge_after IS NULL OR nudge_after >= 0),
    updated_at   INTEGER NOT NULL
);

-- Version 0 (no rows) is the default set; each edit adds the next version.
CREATE TABLE checkin_questions (
    coalition_id INTEGER NOT NULL REFERENCES coalitions (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL CHECK (version >= 1),
    position     INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
    label        TEXT    NOT NULL CHECK (length(trim(label)) BETWEEN 1 AND 45),
    is_blocker   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (coalition_id, version, position)
);

-- The questions a round asks, fixed when it opens.
ALTER TABLE checkin_rounds ADD COLUMN questions_version INTEGER NOT NULL DEFAULT 0;
-- The round's thread (made on the prompt); thread_failed once it can't be made (cards then go to
-- the home channel).
ALTER TABLE checkin_rounds ADD COLUMN thread_id INTEGER;
ALTER TABLE checkin_rounds ADD COLUMN thread_failed INTEGER NOT NULL DEFAULT 0;
-- The one summary message (report = summary), edited as answers arrive.
ALTER TABLE checkin_rounds ADD COLUMN summary_channel_id INTEGER;
ALTER TABLE checkin_rounds ADD COLUMN summary_message_id INTEGER;

-- One row per question answered, keyed by the round's question version and position.
CREATE TABLE checkin_answers (
    checkin_id   INTEGER NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
    answer       TEXT    NOT NULL,
    PRIMARY KEY (checkin_id, position)
);

-- Where the member's answer card was posted, so an edit updates it in place.
ALTER TABLE checkins ADD COLUMN card_channel_id INTEGER;
ALTER TABLE checkins ADD COLUMN card_message_id INTEGER;
