-- The counter SQLite keeps of changes to coalitions, members, member preferences, orgs and
-- goals, so that the process can keep a command's scope, and each coalition's overview, in
-- memory (`store/scope.rs`). PostgreSQL copies don't keep them: another copy's writes would not
-- reach this one's memory. The table is here so that both schemas, and the scope statement's
-- text, stay the same; it stays empty (or holds the row `migrate-store` copied), and nothing
-- reads its value on PostgreSQL.
CREATE TABLE scope_changes (
    id BIGINT PRIMARY KEY
);
