-- Edits, conflicts and the change feed.
--
-- Every version of every report is kept (version 1 is the record as submitted): an edit is
-- merged against the version its device based it on, and the versions are the audit trail.
-- A version made by a device edit keeps the patch as the device sent it, so later edits from
-- the same device can be replayed onto their base. Conflicts wait here for an operator.
-- Reports removed at the centre keep their row, marked deleted (a tombstone in the feed).
--
-- The feed holds one row per thing a device may see (a report, a code table, a cell), with
-- the sequence number of its latest change: a device pulls the rows after its cursor. Each
-- write takes its numbers from feed_state in its own transaction, so numbers become visible
-- in order. `epoch` names this database, so a cursor from another one is recognised;
-- `horizon` is the newest number of a pruned tombstone: an older cursor must resync.

CREATE TABLE report_versions (
    report_id       TEXT NOT NULL REFERENCES reports (id),
    version         INTEGER NOT NULL,
    record          TEXT NOT NULL,   -- JSON protocol::Report
    patch           TEXT,            -- JSON protocol::ReportPatch that made it; NULL for 1
    by_user         TEXT,
    by_device       TEXT,
    mutation_id     INTEGER,
    at              TEXT NOT NULL,
    PRIMARY KEY (report_id, version)
);
INSERT INTO report_versions (report_id, version, record, by_user, by_device, at)
    SELECT id, version, record, reporter, device_id, received_at FROM reports;

CREATE TABLE conflicts (
    id              TEXT PRIMARY KEY,
    report_id       TEXT NOT NULL REFERENCES reports (id),
    device_id       TEXT NOT NULL,
    mutation_id     INTEGER NOT NULL,
    base_version    INTEGER NOT NULL,
    central_version INTEGER NOT NULL,
    fields          TEXT NOT NULL,   -- JSON [protocol::FieldConflict]
    opened_at       TEXT NOT NULL,
    resolved_at     TEXT,
    resolution      TEXT
);
CREATE INDEX conflicts_report ON conflicts (report_id);
CREATE INDEX conflicts_open ON conflicts (resolved_at, opened_at);

ALTER TABLE reports ADD COLUMN deleted_at TEXT;

CREATE TABLE feed_state (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    epoch           TEXT NOT NULL,
    last_seq        INTEGER NOT NULL,
    horizon         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE changes (
    kind            TEXT NOT NULL CHECK (kind IN ('report', 'code_table', 'cell')),
    entity          TEXT NOT NULL,
    seq             INTEGER NOT NULL UNIQUE,
    user_id         TEXT,            -- only this user sees it
    cell            TEXT,            -- only users with this cell see it
    tombstone       INTEGER NOT NULL DEFAULT 0,
    at              TEXT NOT NULL,
    PRIMARY KEY (kind, entity)
);

INSERT INTO changes (kind, entity, seq, user_id, cell, at)
    SELECT kind, entity, ROW_NUMBER() OVER (ORDER BY o, at, entity), user_id, cell, at FROM (
        SELECT 1 AS o, 'code_table' AS kind, version AS entity, NULL AS user_id, NULL AS cell,
               loaded_at AS at FROM code_tables
        UNION ALL SELECT 2, 'cell', code, NULL, code, '1970-01-01T00:00:00Z' FROM cells
        UNION ALL SELECT 3, 'report', id, reporter, NULL, received_at FROM reports);
INSERT INTO feed_state (singleton, epoch, last_seq)
    SELECT 1, lower(hex(randomblob(16))), (SELECT COUNT(*) FROM changes);
