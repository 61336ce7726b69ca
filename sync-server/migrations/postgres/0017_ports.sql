-- The centre's other ports: the same as the SQLite store's migration 16 (see there for
-- what each is). PostgreSQL changes the CHECK in place.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('inspector', 'leader',
    'operator', 'department', 'administrator', 'service'));
ALTER TABLE users ADD COLUMN source TEXT;

ALTER TABLE reports ADD COLUMN caller_ref TEXT;
CREATE UNIQUE INDEX reports_caller_ref ON reports (reporter, caller_ref)
    WHERE caller_ref IS NOT NULL;
CREATE INDEX reports_source ON reports (source, received_at);

CREATE TABLE intake_keys (
    account         UUID NOT NULL REFERENCES users (id),
    key             TEXT NOT NULL,
    request_sha256  TEXT NOT NULL,
    report_id       UUID NOT NULL REFERENCES reports (id),
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account, key)
);

CREATE TABLE callbacks (
    account         UUID PRIMARY KEY REFERENCES users (id),
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    set_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account         UUID NOT NULL REFERENCES users (id),
    report_id       UUID NOT NULL REFERENCES reports (id),
    action          TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    text            TEXT,
    at              TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_at         TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    last_status     BIGINT,
    last_error      TEXT
);
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX deliveries_account ON deliveries (account, id);
CREATE INDEX deliveries_report ON deliveries (report_id, id);
