-- City components (部件) standing in the inspector's cells, as the centre's feed sends them
-- (crate::components): what a 部件 report takes its 16-digit ID from, by scanning the code
-- on the component or by picking the nearest of its 小类. `record` is the whole
-- protocol::ComponentInfo; the columns beside it are what the lookups filter on.
-- `central_round` marks the full pull that last listed it, so one the centre no longer
-- sends (the inspector's cells changed) goes after the next full pull.
CREATE TABLE centre_components (
    id              TEXT PRIMARY KEY,
    category        TEXT NOT NULL,
    cell            TEXT NOT NULL,
    lon             REAL NOT NULL,
    lat             REAL NOT NULL,
    record          TEXT NOT NULL,   -- JSON protocol::ComponentInfo
    received_at     TEXT NOT NULL,
    central_round   INTEGER NOT NULL DEFAULT 0
);
-- The nearest-of-a-小类 lookup narrows by category, then by a box around the position.
CREATE INDEX centre_components_category ON centre_components (category, lat);
CREATE INDEX centre_components_cell ON centre_components (cell);

-- Cells the centre retired from the city's grid: left out of the placing grid even when the
-- app's carried grid has them. A cell the centre sends again is taken off this list.
CREATE TABLE centre_retired_cells (
    code            TEXT PRIMARY KEY,
    received_at     TEXT NOT NULL
);
