-- What the centre holds of each report, learnt from push answers and the change feed: the
-- version to base the next edit on, the record as the centre has it, and the state the
-- centre gave it. A report this inspector made on another device arrives through the feed
-- too, and is kept here like one made on this device. `central_round` marks the resync
-- round that last saw a report, so one the centre no longer lists can be recognised.
ALTER TABLE reports ADD COLUMN central_version INTEGER;
ALTER TABLE reports ADD COLUMN central_state TEXT;
ALTER TABLE reports ADD COLUMN central_record TEXT;   -- JSON protocol::Report
ALTER TABLE reports ADD COLUMN central_round INTEGER NOT NULL DEFAULT 0;

-- Where this device stands in the centre's change feed.
ALTER TABLE sync_state ADD COLUMN feed_cursor TEXT;
ALTER TABLE sync_state ADD COLUMN feed_round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN last_pull_at TEXT;

-- Reference data as the centre sends it (the app loads it in place of its bundled copy).
CREATE TABLE centre_code_tables (
    version         TEXT PRIMARY KEY,
    body            TEXT NOT NULL,
    received_at     TEXT NOT NULL
);
CREATE TABLE centre_cells (
    code            TEXT PRIMARY KEY,
    feature         TEXT NOT NULL,   -- GeoJSON Feature
    received_at     TEXT NOT NULL
);
