-- City components (部件, issue 16): the city's component layer as imported, one row per
-- component with its cell (devices of that cell's inspectors get it through the feed) and
-- its record (JSON protocol::ComponentInfo). A component taken off the books is deleted and
-- leaves a tombstone in the feed, as a retired cell does.
CREATE TABLE components (
    id              TEXT PRIMARY KEY,
    category        TEXT NOT NULL,
    cell            TEXT NOT NULL,
    record          TEXT NOT NULL,
    loaded_at       TEXT NOT NULL
);
CREATE INDEX components_cell ON components (cell);

-- A component's history: the reports that name it.
CREATE INDEX reports_component ON reports (json_extract(record, '$.component_id'));

-- Components join the feed.
CREATE TABLE changes_new (
    kind            TEXT NOT NULL
                    CHECK (kind IN ('report', 'code_table', 'cell', 'task', 'component')),
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
