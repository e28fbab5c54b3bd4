-- A win keeps the org it was logged with, even after that org is removed (its org_id then
-- becomes NULL): the name is stored with the win when it is logged. Digests and lists show the
-- org's current name while it exists, this one after — never the author's current org.
ALTER TABLE wins ADD COLUMN org_name TEXT;
UPDATE wins SET org_name = (SELECT o.name FROM orgs o WHERE o.id = wins.org_id) WHERE org_id IS NOT NULL;
