-- The central case store on PostgreSQL: the same tables as the SQLite store, with native
-- UUID, TIMESTAMPTZ and JSONB types.

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('inspector', 'leader', 'operator')),
    team            TEXT,
    cells           JSONB NOT NULL DEFAULT '[]',
    badge           TEXT,
    camera_serial   TEXT
);

CREATE TABLE devices (
    id              UUID PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id),
    token_sha256    TEXT NOT NULL UNIQUE,
    enrolled_at     TIMESTAMPTZ NOT NULL,
    last_seen       TIMESTAMPTZ,
    app_version     TEXT,
    queue_reports   BIGINT NOT NULL DEFAULT 0,
    queue_photos    BIGINT NOT NULL DEFAULT 0,
    queue_bytes     BIGINT NOT NULL DEFAULT 0,
    last_applied    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE applied_mutations (
    device_id       UUID NOT NULL REFERENCES devices (id),
    mutation_id     BIGINT NOT NULL,
    outcome         JSONB NOT NULL,
    applied_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (device_id, mutation_id)
);

CREATE TABLE code_tables (
    version         TEXT PRIMARY KEY,
    body            TEXT NOT NULL,
    loaded_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE cells (
    code            TEXT PRIMARY KEY,
    feature         JSONB NOT NULL
);

CREATE TABLE reports (
    id              UUID PRIMARY KEY,
    device_id       UUID NOT NULL REFERENCES devices (id),
    reporter        UUID NOT NULL REFERENCES users (id),
    version         BIGINT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('awaiting_photos', 'pending_review')),
    kind            TEXT NOT NULL,
    category        TEXT NOT NULL,
    cell            TEXT,
    urgency         TEXT NOT NULL,
    observed_at     TIMESTAMPTZ NOT NULL,
    record          JSONB NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX reports_state ON reports (state, received_at);
