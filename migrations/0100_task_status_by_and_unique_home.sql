-- Who made a task's last status change, so a click that lost a race to another one can be told
-- who won it ("#12 was already marked done by @member"). NULL for changes from before this column.
ALTER TABLE tasks ADD COLUMN status_by INTEGER;

-- A coalition's home channel is unique among its guild's active coalitions: commands find their
-- coalition by the channel they run in. The actions check it inside their write transaction and
-- answer with a clear message; these triggers are the last line. Triggers rather than a unique
-- index so a database that already holds a shared home (from before that was refused) still
-- migrates; such a pair has to be untangled with `/coalition settings channel:`.
CREATE TRIGGER coalitions_home_unique_insert BEFORE INSERT ON coalitions
WHEN NEW.archived_at IS NULL AND EXISTS (
    SELECT 1 FROM coalitions c
    WHERE c.guild_id = NEW.guild_id AND c.home_channel_id = NEW.home_channel_id AND c.archived_at IS NULL
)
BEGIN
    SELECT RAISE(ABORT, 'coalition home channel already in use');
END;

CREATE TRIGGER coalitions_home_unique_update
BEFORE UPDATE OF guild_id, home_channel_id, archived_at ON coalitions
WHEN NEW.archived_at IS NULL AND EXISTS (
    SELECT 1 FROM coalitions c
    WHERE c.guild_id = NEW.guild_id AND c.home_channel_id = NEW.home_channel_id
      AND c.archived_at IS NULL AND c.id <> NEW.id
)
BEGIN
    SELECT RAISE(ABORT, 'coalition home channel already in use');
END;
