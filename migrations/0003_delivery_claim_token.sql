-- Which claim a sending row is under: each claim bumps it, and a sender records its result only
-- while the row still carries the token it was given (a sender whose claim expired and was taken
-- over by another can't overwrite the newer sender's state).
ALTER TABLE deliveries ADD COLUMN claim_token INTEGER;
