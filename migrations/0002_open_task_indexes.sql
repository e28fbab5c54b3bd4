-- Ordered scans for the digest and task lists: "not done, by due date" and "blocked, newest first"
-- without sorting every open task of a large coalition.
CREATE INDEX tasks_open_due ON tasks (coalition_id, due_at, number) WHERE status <> 'done';
CREATE INDEX tasks_blocked ON tasks (coalition_id, updated_at) WHERE status = 'blocked';
