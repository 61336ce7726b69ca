-- Signed mutations. Each device's Ed25519 public key, bound to its enrollment on first use
-- (enrolling the device again unbinds it). Every mutation applied from a device is kept
-- with its signature: the key it was checked against and the exact canonical form that was
-- signed (protocol::signing), so the signature can be checked again later without the
-- device. The report versions and case events a mutation produced carry its signature
-- too (and the events, like the versions, the mutation's number).
ALTER TABLE devices ADD COLUMN public_key TEXT;
ALTER TABLE devices ADD COLUMN key_bound_at TEXT;

CREATE TABLE signed_mutations (
    device_id       TEXT NOT NULL REFERENCES devices (id),
    mutation_id     INTEGER NOT NULL,
    public_key      TEXT NOT NULL,
    signature       TEXT NOT NULL,
    signed          TEXT NOT NULL,
    PRIMARY KEY (device_id, mutation_id)
);

ALTER TABLE report_versions ADD COLUMN signature TEXT;
ALTER TABLE case_events ADD COLUMN mutation_id INTEGER;
ALTER TABLE case_events ADD COLUMN signature TEXT;
