-- One scheduler at a time. Every copy of Backbone on one database runs the scheduler loop, but only
-- the copy holding this lease plans and sends scheduled messages; the others wait and take it over
-- once it has expired (its holder died, or stopped without handing it back). Times are unix
-- milliseconds on the copies' clocks.
CREATE TABLE scheduler_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      TEXT    NOT NULL CHECK (length(holder) BETWEEN 1 AND 200),
    acquired_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL CHECK (expires_at > acquired_at)
);
