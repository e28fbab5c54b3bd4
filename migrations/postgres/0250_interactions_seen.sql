-- Interaction ids `backbone serve` took in the last five minutes, shared by every copy on this
-- database: a replayed request is refused whichever copy the load balancer gives it to.
CREATE TABLE interactions_seen (
    id      BIGINT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
CREATE INDEX interactions_seen_at ON interactions_seen (seen_at);
