-- Which form of chain entry each version and case event was hashed in. Form 2 (every row
-- written from now on) covers the device's signature of the mutation that made the row,
-- and for a case event that mutation's number; form 1 (every row already written) does not,
-- so those keep their hashes.
ALTER TABLE report_versions ADD COLUMN chain_form INTEGER NOT NULL DEFAULT 1;
ALTER TABLE case_events ADD COLUMN chain_form INTEGER NOT NULL DEFAULT 1;
