-- The case loop and the console.
--
-- A report's state now runs the whole loop (待受理 → 立案 → 派遣 → 处置 → 核查 → 结案, or
-- 退回 / 作废 / 合并), so the CHECK on reports.state widens. SQLite cannot change a CHECK in
-- place: the table is rebuilt (the store runs migrations with foreign keys off and checks
-- them before committing). Reports also get the centre's word to the inspector (a return
-- comment or a reject reason), the report a duplicate was merged into, and when the state
-- last changed.
--
-- A registered report gets a case row: its case number (立案编号), the department it is
-- dispatched to and the deadline of the current dispatch, counted in working time. Every
-- step of the loop is a case event (the audit trail beside the report's versions). A
-- verification (核查) is a task for an inspector, which reaches their device.
--
-- Console users sign in with a password (only an Argon2 hash is kept) and get a session
-- token (only its SHA-256 is kept). The case rules (calendar, departments, time limits)
-- are a document loaded with the fixtures.

CREATE TABLE reports_new (
    id              TEXT PRIMARY KEY,
    device_id       TEXT NOT NULL REFERENCES devices (id),
    reporter        TEXT NOT NULL REFERENCES users (id),
    version         INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('awaiting_photos', 'pending_review',
                        'returned', 'rejected', 'merged', 'registered', 'dispatched',
                        'handled', 'closed')),
    kind            TEXT NOT NULL,
    category        TEXT NOT NULL,
    cell            TEXT,
    urgency         TEXT NOT NULL,
    observed_at     TEXT NOT NULL,
    record          TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    lon             REAL,
    lat             REAL,
    duplicate_of    TEXT REFERENCES reports (id),
    observed_s      INTEGER,
    deleted_at      TEXT,
    note            TEXT,
    merged_into     TEXT REFERENCES reports (id),
    state_at        TEXT
);
INSERT INTO reports_new (id, device_id, reporter, version, state, kind, category, cell,
                         urgency, observed_at, record, received_at, lon, lat, duplicate_of,
                         observed_s, deleted_at, state_at)
    SELECT id, device_id, reporter, version, state, kind, category, cell, urgency,
           observed_at, record, received_at, lon, lat, duplicate_of, observed_s, deleted_at,
           received_at
      FROM reports;
DROP TABLE reports;
ALTER TABLE reports_new RENAME TO reports;
CREATE INDEX reports_state ON reports (state, received_at);
CREATE INDEX reports_category_time ON reports (category, observed_s);
CREATE INDEX reports_reporter ON reports (reporter, received_at);

CREATE TABLE cases (
    report_id       TEXT PRIMARY KEY REFERENCES reports (id),
    case_no         TEXT NOT NULL UNIQUE,
    registered_at   TEXT NOT NULL,
    department      TEXT,
    due_at          TEXT,            -- the deadline of the current dispatch
    reworks         INTEGER NOT NULL DEFAULT 0,
    closed_at       TEXT
);

-- Case numbers run per local day: 20261121-0001, 20261121-0002, ...
CREATE TABLE case_numbers (
    day             TEXT PRIMARY KEY,
    last            INTEGER NOT NULL
);

CREATE TABLE case_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id       TEXT NOT NULL REFERENCES reports (id),
    action          TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    by_user         TEXT,
    by_device       TEXT,
    text            TEXT,            -- comment, reason, department or merge target
    due_at          TEXT,            -- the deadline this step set, if any
    at              TEXT NOT NULL
);
CREATE INDEX case_events_report ON case_events (report_id, id);
CREATE INDEX case_events_time ON case_events (at);

CREATE TABLE tasks (
    id              TEXT PRIMARY KEY,
    report_id       TEXT NOT NULL REFERENCES reports (id),
    kind            TEXT NOT NULL CHECK (kind IN ('verify')),
    assignee        TEXT NOT NULL REFERENCES users (id),
    created_at      TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    done_at         TEXT,
    passed          INTEGER,
    note            TEXT,
    photos          TEXT NOT NULL DEFAULT '[]',   -- JSON [protocol::PhotoRef], after photos
    by_device       TEXT
);
CREATE INDEX tasks_report ON tasks (report_id);

-- Photos taken at a verification (处置后) arrive over tus like a report's: listed here when
-- the task's completion is received, marked arrived when a blob with the same SHA-256 is held.
CREATE TABLE task_photos (
    task_id         TEXT NOT NULL REFERENCES tasks (id),
    photo_id        TEXT NOT NULL,
    report_id       TEXT NOT NULL REFERENCES reports (id),
    device_id       TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    bytes           INTEGER NOT NULL,
    arrived         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (task_id, photo_id)
);
CREATE INDEX task_photos_photo ON task_photos (photo_id);
CREATE INDEX task_photos_sha ON task_photos (sha256);
CREATE INDEX tasks_assignee ON tasks (assignee, done_at);

ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE conflicts ADD COLUMN resolved_by TEXT;

CREATE TABLE console_sessions (
    token_sha256    TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);

CREATE TABLE documents (
    name            TEXT PRIMARY KEY,
    body            TEXT NOT NULL,
    loaded_at       TEXT NOT NULL
);

-- Tasks join the feed.
CREATE TABLE changes_new (
    kind            TEXT NOT NULL CHECK (kind IN ('report', 'code_table', 'cell', 'task')),
    entity          TEXT NOT NULL,
    seq             INTEGER NOT NULL UNIQUE,
    user_id         TEXT,
    cell            TEXT,
    tombstone       INTEGER NOT NULL DEFAULT 0,
    at              TEXT NOT NULL,
    PRIMARY KEY (kind, entity)
);
INSERT INTO changes_new SELECT kind, entity, seq, user_id, cell, tombstone, at FROM changes;
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;
