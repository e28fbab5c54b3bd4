-- The overdue count per partner organization (store/period.rs) groups the live tasks past due by
-- (organization, assignee). Reading them in that order from an index spares sorting every overdue
-- task: on the big coalition of the scheduler benchmark (20,000 overdue tasks) the count went
-- from 15 to 5 ms. The index holds what the count filters on too, so no table row is read.
CREATE INDEX tasks_live_org ON tasks (coalition_id, org_id, assignee_id, due_at, created_at, status)
    WHERE status <> 'done' AND status <> 'cancelled';
