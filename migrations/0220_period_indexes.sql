-- The period engine (store/period.rs) counts wins, completed tasks and overdue tasks per partner
-- organization. Each index below holds what those counts read, so a count is one index range with
-- no visit to the table: the organization and the author or assignee (who decide the org of a
-- task without one), and the due and creation times that decide "overdue at".
DROP INDEX IF EXISTS wins_created;
CREATE INDEX wins_created ON wins (coalition_id, created_at, org_id, user_id);

DROP INDEX IF EXISTS tasks_completed;
CREATE INDEX tasks_completed ON tasks (coalition_id, completed_at, org_id, assignee_id, due_at, created_at)
    WHERE status = 'done';

DROP INDEX IF EXISTS tasks_live_due;
CREATE INDEX tasks_live_due ON tasks (coalition_id, due_at, number, status, created_at, org_id, assignee_id)
    WHERE status <> 'done' AND status <> 'cancelled';
