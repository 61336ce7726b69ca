-- The device's local store. One row per installation in `device`; reports from draft to
-- acknowledged; their photos and body-cam clip references; the outbox of mutations that
-- must reach the centre, numbered in the order they were made; and the sync settings.

CREATE TABLE device (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    -- The inspector signed in on this device, and the cells they are responsible for.
    user_id     TEXT,
    user_cells  TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE reports (
    id                  TEXT PRIMARY KEY,
    -- draft: being written; queued: submitted, in the outbox; sent: the centre applied it;
    -- rejected: the centre refused it (centre_note says why).
    state               TEXT NOT NULL CHECK (state IN ('draft', 'queued', 'sent', 'rejected')),
    reporter            TEXT NOT NULL,
    kind                TEXT CHECK (kind IN ('component', 'event')),
    category            TEXT,
    code_table_version  TEXT NOT NULL,
    component_id        TEXT,
    description         TEXT NOT NULL DEFAULT '',
    address             TEXT NOT NULL DEFAULT '',
    location            TEXT,            -- JSON protocol::Location
    cell                TEXT,
    location_flags      TEXT NOT NULL DEFAULT '[]',
    urgency             TEXT NOT NULL DEFAULT 'normal',
    observed_at         TEXT NOT NULL,   -- RFC 3339 with the inspector's UTC offset
    handled_on_spot     INTEGER NOT NULL DEFAULT 0,
    version             INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    finalized_at        TEXT,
    centre_note         TEXT,
    CHECK ((state = 'draft') = (finalized_at IS NULL))
);
CREATE INDEX reports_state ON reports (state, finalized_at);

CREATE TABLE photos (
    id              TEXT PRIMARY KEY,
    report_id       TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    stage           TEXT NOT NULL CHECK (stage IN ('before', 'after')),
    sha256          TEXT NOT NULL,
    bytes           INTEGER NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    thumb_bytes     INTEGER NOT NULL,
    taken_at        TEXT,
    exif            TEXT NOT NULL,   -- JSON photo::ExifFacts read from the original
    original        TEXT,            -- file name under originals/, while kept
    created_at      TEXT NOT NULL,
    upload_url      TEXT,            -- the tus upload resource, once created
    uploaded_at     TEXT,            -- when the centre confirmed every byte
    UNIQUE (report_id, position)
);
CREATE INDEX photos_sha ON photos (sha256);

CREATE TABLE clips (
    report_id       TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    clip            TEXT NOT NULL,   -- JSON protocol::ClipRef
    PRIMARY KEY (report_id, position)
);

-- AUTOINCREMENT: mutation numbers are never reused, even after acknowledged rows are deleted.
CREATE TABLE outbox (
    mutation_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id       TEXT NOT NULL REFERENCES reports (id),
    report_version  INTEGER NOT NULL,
    priority        INTEGER NOT NULL,
    body            TEXT NOT NULL,   -- JSON protocol::MutationBody
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,            -- in words an inspector understands
    UNIQUE (report_id, report_version)
);

-- Where and how this device syncs, and how the last attempt went.
CREATE TABLE sync_state (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    server_url      TEXT,
    token           TEXT,
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error      TEXT,
    failures        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sync_state (singleton) VALUES (1);
