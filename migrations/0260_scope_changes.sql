-- A counter of changes to what every command starts from (a guild's coalitions, their members,
-- and each person's own time zone): `store/scope.rs` keeps a command's scope in memory and uses
-- it only while this counter stands where the process last saw it. The one row's id is the
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
