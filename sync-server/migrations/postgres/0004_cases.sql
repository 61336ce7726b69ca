-- The case loop and the console: the same tables as the SQLite store's migration 4 (see
-- there for what each is). PostgreSQL changes the CHECKs in place.

ALTER TABLE reports DROP CONSTRAINT reports_state_check;
ALTER TABLE reports ADD CONSTRAINT reports_state_check CHECK (state IN ('awaiting_photos',
    'pending_review', 'returned', 'rejected', 'merged', 'registered', 'dispatched',
    'handled', 'closed'));
ALTER TABLE reports ADD COLUMN note TEXT;
ALTER TABLE reports ADD COLUMN merged_into UUID REFERENCES reports (id);
ALTER TABLE reports ADD COLUMN state_at TIMESTAMPTZ;
UPDATE reports SET state_at = received_at;
CREATE INDEX reports_reporter ON reports (reporter, received_at);

CREATE TABLE cases (
    report_id       UUID PRIMARY KEY REFERENCES reports (id),
    case_no         TEXT NOT NULL UNIQUE,
    registered_at   TIMESTAMPTZ NOT NULL,
    department      TEXT,
    due_at          TIMESTAMPTZ,
    reworks         BIGINT NOT NULL DEFAULT 0,
    closed_at       TIMESTAMPTZ
);

CREATE TABLE case_numbers (
    day             TEXT PRIMARY KEY,
    last            BIGINT NOT NULL
);

CREATE TABLE case_events (
    id              BIGSERIAL PRIMARY KEY,
    report_id       UUID NOT NULL REFERENCES reports (id),
    action          TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    by_user         UUID,
    by_device       UUID,
    text            TEXT,
    due_at          TIMESTAMPTZ,
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_events_report ON case_events (report_id, id);
CREATE INDEX case_events_time ON case_events (at);

CREATE TABLE tasks (
    id              UUID PRIMARY KEY,
    report_id       UUID NOT NULL REFERENCES reports (id),
    kind            TEXT NOT NULL CHECK (kind IN ('verify')),
    assignee        UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL,
    due_at          TIMESTAMPTZ NOT NULL,
    done_at         TIMESTAMPTZ,
    passed          BOOLEAN,
    note            TEXT,
    photos          JSONB NOT NULL DEFAULT '[]',
    by_device       UUID
);
CREATE INDEX tasks_report ON tasks (report_id);

CREATE TABLE task_photos (
    task_id         UUID NOT NULL REFERENCES tasks (id),
    photo_id        UUID NOT NULL,
    report_id       UUID NOT NULL REFERENCES reports (id),
    device_id       UUID NOT NULL,
    sha256          TEXT NOT NULL,
    bytes           BIGINT NOT NULL,
    arrived         BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (task_id, photo_id)
);
CREATE INDEX task_photos_photo ON task_photos (photo_id);
CREATE INDEX task_photos_sha ON task_photos (sha256);
CREATE INDEX tasks_assignee ON tasks (assignee, done_at);

ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE conflicts ADD COLUMN resolved_by UUID;

CREATE TABLE console_sessions (
    token_sha256    TEXT PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE documents (
    name            TEXT PRIMARY KEY,
    body            TEXT NOT NULL,
    loaded_at       TIMESTAMPTZ NOT NULL
);

ALTER TABLE changes DROP CONSTRAINT changes_kind_check;
ALTER TABLE changes ADD CONSTRAINT changes_kind_check
    CHECK (kind IN ('report', 'code_table', 'cell', 'task'));
