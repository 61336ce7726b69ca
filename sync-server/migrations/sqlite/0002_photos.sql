-- Photos arrive after their reports, over tus. A report's photos are listed in
-- report_photos (from its record) and marked arrived when a blob with the same SHA-256 is
-- held; a report leaves awaiting_photos only when every one has. Uploads in progress keep
-- their offset here and their bytes, one object per PATCH, in the blob store.
-- Reports also get their position as columns, for finding likely duplicates.

CREATE TABLE photo_blobs (
    sha256          TEXT PRIMARY KEY,
    bytes           INTEGER NOT NULL,
    stored_at       TEXT NOT NULL
);

CREATE TABLE report_photos (
    report_id       TEXT NOT NULL REFERENCES reports (id),
    photo_id        TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    bytes           INTEGER NOT NULL,
    arrived         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (report_id, photo_id)
);
CREATE INDEX report_photos_sha ON report_photos (sha256);
CREATE INDEX report_photos_photo ON report_photos (photo_id);

CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    device_id       TEXT NOT NULL REFERENCES devices (id),
    report_id       TEXT NOT NULL REFERENCES reports (id),
    photo_id        TEXT NOT NULL,
    length          INTEGER NOT NULL,
    received        INTEGER NOT NULL DEFAULT 0,
    metadata        TEXT,            -- the Upload-Metadata header as sent
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    completed_at    TEXT
);
CREATE INDEX uploads_expiry ON uploads (expires_at);

CREATE TABLE upload_parts (
    upload_id       TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    start           INTEGER NOT NULL,
    length          INTEGER NOT NULL,
    object_key      TEXT NOT NULL,
    PRIMARY KEY (upload_id, start)
);

ALTER TABLE reports ADD COLUMN lon REAL;
ALTER TABLE reports ADD COLUMN lat REAL;
ALTER TABLE reports ADD COLUMN duplicate_of TEXT REFERENCES reports (id);
-- observed_at keeps the inspector's UTC offset, so it does not sort; this does.
ALTER TABLE reports ADD COLUMN observed_s INTEGER;
UPDATE reports SET lon = json_extract(record, '$.location.lon'),
                   lat = json_extract(record, '$.location.lat'),
                   observed_s = CAST(strftime('%s', observed_at) AS INTEGER);
CREATE INDEX reports_category_time ON reports (category, observed_s);
