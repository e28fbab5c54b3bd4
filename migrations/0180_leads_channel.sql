-- Where leads-only messages go when a lead's DMs are closed or off: a channel only leads can read
-- (`/coalition settings leads_channel:`). NULL: no such channel, so they become a pointer.
ALTER TABLE coalitions ADD COLUMN leads_channel_id INTEGER;
