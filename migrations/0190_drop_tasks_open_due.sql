-- `tasks_open_due` (not done, by due date) also holds every cancelled task, and every query for
-- open tasks asks for "neither done nor cancelled", which `tasks_live_due` (0160) holds exactly,
-- in the same order and with the status in the key. With both present SQLite could pick the older
-- one for `/task list` and check each cancelled task's row; without it, one fewer index to write
-- on every task change.
DROP INDEX IF EXISTS tasks_open_due;
