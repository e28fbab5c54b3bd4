-- A counter of changes to what every command starts from (a guild's coalitions, their members,
-- and each person's own time zone) and to the rest of what `/coalition info` shows (partner
-- organizations, goals): `store/scope.rs` keeps a command's scope, and each coalition's overview,
-- in memory and uses them only while this counter stands where the process last saw it. The one row's id is the
-- counter: each change inserts the next id and deletes the older ones, so SQLite's update hook
-- hands the new value to the process as the change is made.
CREATE TABLE scope_changes (
    id INTEGER PRIMARY KEY
);
INSERT INTO scope_changes (id) VALUES (1);

CREATE TRIGGER coalitions_scope_insert AFTER INSERT ON coalitions
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER coalitions_scope_update AFTER UPDATE ON coalitions
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER coalitions_scope_delete AFTER DELETE ON coalitions
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;

CREATE TRIGGER members_scope_insert AFTER INSERT ON members
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER members_scope_update AFTER UPDATE ON members
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER members_scope_delete AFTER DELETE ON members
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;

CREATE TRIGGER member_prefs_scope_insert AFTER INSERT ON member_prefs
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER member_prefs_scope_update AFTER UPDATE ON member_prefs
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER member_prefs_scope_delete AFTER DELETE ON member_prefs
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;

CREATE TRIGGER orgs_scope_insert AFTER INSERT ON orgs
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER orgs_scope_update AFTER UPDATE ON orgs
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER orgs_scope_delete AFTER DELETE ON orgs
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;

CREATE TRIGGER goals_scope_insert AFTER INSERT ON goals
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER goals_scope_update AFTER UPDATE ON goals
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
CREATE TRIGGER goals_scope_delete AFTER DELETE ON goals
BEGIN
    INSERT INTO scope_changes (id) SELECT MAX(id) + 1 FROM scope_changes;
    DELETE FROM scope_changes WHERE id < (SELECT MAX(id) FROM scope_changes);
END;
