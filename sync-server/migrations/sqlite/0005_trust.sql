-- Whose photos the centre holds. Photo bytes are stored once per SHA-256, but a photo counts
-- as arrived for a report only when its own inspector (from any of their devices) uploaded
-- those bytes: naming another inspector's hash no longer makes a report complete, and the
-- answer to "is this photo needed?" no longer tells whether someone else's photo is held.
CREATE TABLE photo_holders (
    sha256          TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (sha256, user_id)
);
INSERT INTO photo_holders (sha256, user_id)
    SELECT DISTINCT p.sha256, r.reporter FROM report_photos p JOIN reports r ON r.id = p.report_id
     WHERE p.arrived
    UNION
    SELECT DISTINCT t.sha256, d.user_id FROM task_photos t JOIN devices d ON d.id = t.device_id
     WHERE t.arrived;

-- The size a report says each photo is, so arriving bytes can be checked against it
-- (empty for photos received before this migration).
ALTER TABLE report_photos ADD COLUMN width INTEGER;
ALTER TABLE report_photos ADD COLUMN height INTEGER;
ALTER TABLE task_photos ADD COLUMN width INTEGER;
ALTER TABLE task_photos ADD COLUMN height INTEGER;

-- Revoking a lost tablet and disabling a person who left: their tokens and sessions stop
-- working at once; the records they made stay.
ALTER TABLE devices ADD COLUMN revoked_at TEXT;
ALTER TABLE users ADD COLUMN disabled_at TEXT;

-- Console sign-ins, failed and not: the rate limit per login and per address counts the
-- recent failures here, and the security log reads them.
CREATE TABLE sign_ins (
    login           TEXT NOT NULL,
    address         TEXT NOT NULL,
    at              TEXT NOT NULL,
    ok              INTEGER NOT NULL
);
CREATE INDEX sign_ins_login ON sign_ins (login, at);
CREATE INDEX sign_ins_address ON sign_ins (address, at);

-- A console session ends after a time without use as well as at its expiry.
ALTER TABLE console_sessions ADD COLUMN last_used TEXT;
UPDATE console_sessions SET last_used = created_at;

-- Every administrative act (people, devices, passwords, reference data), by whom.
CREATE TABLE admin_acts (
    id              TEXT PRIMARY KEY,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    detail          TEXT
);
CREATE INDEX admin_acts_at ON admin_acts (at);
