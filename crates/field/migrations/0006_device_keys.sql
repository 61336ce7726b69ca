-- Signed mutations and secrets out of the database. Each outbox entry keeps the signature
-- made when it was queued, so a retry sends the very same one. The token moves to the
-- device's secret store (see secrets.rs): the engine copies a token left here by an older
-- version there on open and blanks this column; `secrets_store` remembers which store
-- the device uses (its name only).
ALTER TABLE outbox ADD COLUMN signature TEXT;
ALTER TABLE device ADD COLUMN secrets_store TEXT;
