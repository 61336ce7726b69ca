-- The central case store on SQLite. People and their devices; each device's last applied
-- mutation and the answer given to every mutation (so a repeat is answered as before);
-- reference data (code tables, cells); and the reports received.

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('inspector', 'leader', 'operator')),
    team            TEXT,
    cells           TEXT NOT NULL DEFAULT '[]',
    badge           TEXT,
    camera_serial   TEXT
);

CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    token_sha256    TEXT NOT NULL UNIQUE,
    enrolled_at     TEXT NOT NULL,
    last_seen       TEXT,
    app_version     TEXT,
    queue_reports   INTEGER NOT NULL DEFAULT 0,
    queue_photos    INTEGER NOT NULL DEFAULT 0,
    queue_bytes     INTEGER NOT NULL DEFAULT 0,
    last_applied    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE applied_mutations (
    device_id       TEXT NOT NULL REFERENCES devices (id),
    mutation_id     INTEGER NOT NULL,
    outcome         TEXT NOT NULL,   -- JSON protocol::Outcome
    applied_at      TEXT NOT NULL,
    PRIMARY KEY (device_id, mutation_id)
);

CREATE TABLE code_tables (
    version         TEXT PRIMARY KEY,
    body            TEXT NOT NULL,   -- the table file as loaded
    loaded_at       TEXT NOT NULL
);

CREATE TABLE cells (
    code            TEXT PRIMARY KEY,
    feature         TEXT NOT NULL    -- GeoJSON Feature
);

CREATE TABLE reports (
    id              TEXT PRIMARY KEY,
    device_id       TEXT NOT NULL REFERENCES devices (id),
    reporter        TEXT NOT NULL REFERENCES users (id),
    version         INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('awaiting_photos', 'pending_review')),
    kind            TEXT NOT NULL,
    category        TEXT NOT NULL,
    cell            TEXT,
    urgency         TEXT NOT NULL,
    observed_at     TEXT NOT NULL,
    record          TEXT NOT NULL,   -- JSON protocol::Report as submitted
    received_at     TEXT NOT NULL
);
CREATE INDEX reports_state ON reports (state, received_at);
