-- The digest's counts of open tasks (overdue, due this week) read only an index: open now means
-- neither done nor cancelled, and the older `tasks_open_due` index covers "not done" only, so
-- every cancelled-or-not check went to the table. `status` is in the key so a count needs no row.
CREATE INDEX tasks_live_due ON tasks (coalition_id, due_at, number, status)
    WHERE status <> 'done' AND status <> 'cancelled';

-- The most recently blocked tasks in order without a sort: ties on updated_at are broken by number.
DROP INDEX IF EXISTS tasks_blocked;
CREATE INDEX tasks_blocked ON tasks (coalition_id, updated_at, number) WHERE status = 'blocked';
