-- The centre's other ports (issue 15): a hotline, the public page or a video-analysis
-- system files reports through the intake API as a service account (role `service`, with
-- the source it files for), so the CHECK on users.role widens and users get a source; the
-- table is rebuilt as in migration 9 (foreign keys are off while migrations run).
--
-- A report keeps the port's own reference (its 工单号, unique per port). An intake call's
-- Idempotency-Key is kept with the hash of its body and the report it made, so a retried
-- call makes one report. A port registers one callback; every case event of its reports
-- queues a delivery (in the step's own transaction), which the server POSTs, retries and
-- logs.
CREATE TABLE users_new (
    id              TEXT PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('inspector', 'leader', 'operator',
                                                  'department', 'administrator', 'service')),
    team            TEXT,
    cells           TEXT NOT NULL DEFAULT '[]',
    badge           TEXT,
    camera_serial   TEXT,
    password_hash   TEXT,
    disabled_at     TEXT,
    department      TEXT,
    source          TEXT
);
INSERT INTO users_new (id, login, name, role, team, cells, badge, camera_serial,
                       password_hash, disabled_at, department)
    SELECT id, login, name, role, team, cells, badge, camera_serial, password_hash,
           disabled_at, department
      FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

ALTER TABLE reports ADD COLUMN caller_ref TEXT;
CREATE UNIQUE INDEX reports_caller_ref ON reports (reporter, caller_ref)
    WHERE caller_ref IS NOT NULL;
CREATE INDEX reports_source ON reports (source, received_at);

CREATE TABLE intake_keys (
    account         TEXT NOT NULL REFERENCES users (id),
    key             TEXT NOT NULL,
    request_sha256  TEXT NOT NULL,
    report_id       TEXT NOT NULL REFERENCES reports (id),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (account, key)
);

CREATE TABLE callbacks (
    account         TEXT PRIMARY KEY REFERENCES users (id),
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    set_at          TEXT NOT NULL
);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account         TEXT NOT NULL REFERENCES users (id),
    report_id       TEXT NOT NULL REFERENCES reports (id),
    action          TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    text            TEXT,
    at              TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         TEXT,
    delivered_at    TEXT,
    last_status     INTEGER,
    last_error      TEXT
);
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX deliveries_account ON deliveries (account, id);
CREATE INDEX deliveries_report ON deliveries (report_id, id);
