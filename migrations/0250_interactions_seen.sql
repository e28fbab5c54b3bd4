-- Interaction ids `backbone serve` took in the last five minutes, shared by every copy on this
-- database: a replayed request is refused whichever copy the load balancer gives it to.
CREATE TABLE interactions_seen (
    id      INTEGER PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
CREATE INDEX interactions_seen_at ON interactions_seen (seen_at);
