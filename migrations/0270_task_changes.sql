-- A log of changes to what the live task list shows, so that `store/task_memory.rs` can keep each
-- coalition's live tasks (neither done nor cancelled) in memory and bring them up to date by
-- reading only the tasks changed since: one row per change to a task's listed columns (`task_id`
-- set) or to a member of the coalition (`task_id` NULL: any task's assignee name may have changed,
-- so the coalition's list is read again whole). SQLite's update hook hands each new id to the
-- process as the change is made. Only the newest 4,096 changes are kept; a list kept from before
-- the oldest is read again whole.
CREATE TABLE task_changes (
    id INTEGER PRIMARY KEY,
    coalition_id INTEGER NOT NULL,
    task_id INTEGER
);

CREATE TRIGGER tasks_listed_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO task_changes (coalition_id, task_id) VALUES (NEW.coalition_id, NEW.id);
    DELETE FROM task_changes WHERE id < (SELECT MAX(id) FROM task_changes) - 4096;
END;
CREATE TRIGGER tasks_listed_update
AFTER UPDATE OF coalition_id, number, title, status, assignee_id, due_at, blocked_reason, org_id ON tasks
BEGIN
    INSERT INTO task_changes (coalition_id, task_id) VALUES (OLD.coalition_id, OLD.id);
    INSERT INTO task_changes (coalition_id, task_id)
        SELECT NEW.coalition_id, NEW.id WHERE NEW.coalition_id IS NOT OLD.coalition_id;
    DELETE FROM task_changes WHERE id < (SELECT MAX(id) FROM task_changes) - 4096;
END;
CREATE TRIGGER tasks_listed_delete AFTER DELETE ON tasks
BEGIN
    INSERT INTO task_changes (coalition_id, task_id) VALUES (OLD.coalition_id, OLD.id);
    DELETE FROM task_changes WHERE id < (SELECT MAX(id) FROM task_changes) - 4096;
END;

CREATE TRIGGER members_listed_insert AFTER INSERT ON members
BEGIN
    INSERT INTO task_changes (coalition_id, task_id) VALUES (NEW.coalition_id, NULL);
    DELETE FROM task_changes WHERE id < (SELECT MAX(id) FROM task_changes) - 4096;
END;
CREATE TRIGGER members_listed_update
AFTER UPDATE OF coalition_id, user_id, display_name ON members
BEGIN
    INSERT INTO task_changes (coalition_id, task_id) VALUES (OLD.coalition_id, NULL);
    INSERT INTO task_changes (coalition_id, task_id)
        SELECT NEW.coalition_id, NULL WHERE NEW.coalition_id IS NOT OLD.coalition_id;
    DELETE FROM task_changes WHERE id < (SELECT MAX(id) FROM task_changes) - 4096;
END;
CREATE TRIGGER members_listed_delete AFTER DELETE ON members
BEGIN
    INSERT INTO task_changes (coalition_id, task_id) VALUES (OLD.coalition_id, NULL);
    DELETE FROM task_changes WHERE id < (SELECT MAX(id) FROM task_changes) - 4096;
END;
