-- One-time enrollment codes (issue 16): an administrator or team leader makes one for an
-- inspector, the console shows it as a QR code, and a tablet redeems it once, before it
-- expires, for its own device token. Only the code's SHA-256 is kept.
CREATE TABLE enrollment_codes (
    code_sha256     TEXT PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id),
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    device_id       UUID
);
CREATE INDEX enrollment_codes_user ON enrollment_codes (user_id);
