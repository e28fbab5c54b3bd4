-- The log SQLite keeps of changes to what the live task list shows, so that the process can keep
-- each coalition's live tasks in memory (`store/task_memory.rs`). PostgreSQL copies don't keep
-- them: another copy's writes would not reach this one's memory. The table is here so that both
-- schemas stay the same; nothing writes or reads it on PostgreSQL.
CREATE TABLE task_changes (
    id BIGINT PRIMARY KEY,
    coalition_id BIGINT NOT NULL,
    task_id BIGINT
);
