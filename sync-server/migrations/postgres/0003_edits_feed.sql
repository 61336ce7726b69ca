-- Edits, conflicts and the change feed: the same tables as the SQLite store's 0003 (see
-- there for what each holds). On PostgreSQL the `UPDATE` of feed_state that hands out a
-- write's sequence numbers holds that row's lock until the write commits, so numbers commit
-- in order and a reader never skips one still in flight.

CREATE TABLE report_versions (
    report_id       UUID NOT NULL REFERENCES reports (id),
    version         BIGINT NOT NULL,
    record          JSONB NOT NULL,
    patch           JSONB,
    by_user         UUID,
    by_device       UUID,
    mutation_id     BIGINT,
    at              TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_id, version)
);
INSERT INTO report_versions (report_id, version, record, by_user, by_device, at)
    SELECT id, version, record, reporter, device_id, received_at FROM reports;

CREATE TABLE conflicts (
    id              UUID PRIMARY KEY,
    report_id       UUID NOT NULL REFERENCES reports (id),
    device_id       UUID NOT NULL,
    mutation_id     BIGINT NOT NULL,
    base_version    BIGINT NOT NULL,
    central_version BIGINT NOT NULL,
    fields          JSONB NOT NULL,
    opened_at       TIMESTAMPTZ NOT NULL,
    resolved_at     TIMESTAMPTZ,
    resolution      JSONB
);
CREATE INDEX conflicts_report ON conflicts (report_id);
CREATE INDEX conflicts_open ON conflicts (resolved_at, opened_at);

ALTER TABLE reports ADD COLUMN deleted_at TIMESTAMPTZ;

CREATE TABLE feed_state (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    epoch           TEXT NOT NULL,
    last_seq        BIGINT NOT NULL,
    horizon         BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE changes (
    kind            TEXT NOT NULL CHECK (kind IN ('report', 'code_table', 'cell')),
    entity          TEXT NOT NULL,
    seq             BIGINT NOT NULL UNIQUE,
    user_id         UUID,
    cell            TEXT,
    tombstone       BOOLEAN NOT NULL DEFAULT FALSE,
    at              TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, entity)
);

INSERT INTO changes (kind, entity, seq, user_id, cell, at)
    SELECT kind, entity, ROW_NUMBER() OVER (ORDER BY o, at, entity), user_id, cell, at FROM (
        SELECT 1 AS o, 'code_table' AS kind, version AS entity, NULL::uuid AS user_id,
               NULL::text AS cell, loaded_at AS at FROM code_tables
        UNION ALL SELECT 2, 'cell', code, NULL, code, 'epoch'::timestamptz FROM cells
        UNION ALL SELECT 3, 'report', id::text, reporter, NULL, received_at FROM reports) AS s;
INSERT INTO feed_state (singleton, epoch, last_seq)
    SELECT 1, replace(gen_random_uuid()::text, '-', ''), (SELECT COUNT(*) FROM changes);
