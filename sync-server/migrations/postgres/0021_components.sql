-- City components (部件, issue 16): the city's component layer as imported, one row per
-- component with its cell (devices of that cell's inspectors get it through the feed) and
-- its record (JSON protocol::ComponentInfo). A component taken off the books is deleted and
-- leaves a tombstone in the feed, as a retired cell does.
CREATE TABLE components (
    id              TEXT PRIMARY KEY,
    category        TEXT NOT NULL,
    cell            TEXT NOT NULL,
    record          JSONB NOT NULL,
    loaded_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX components_cell ON components (cell);

-- A component's history: the reports that name it.
CREATE INDEX reports_component ON reports ((record ->> 'component_id'));

-- Components join the feed.
ALTER TABLE changes DROP CONSTRAINT changes_kind_check;
ALTER TABLE changes ADD CONSTRAINT changes_kind_check
    CHECK (kind IN ('report', 'code_table', 'cell', 'task', 'component'));
