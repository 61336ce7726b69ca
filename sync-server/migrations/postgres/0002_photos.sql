-- Photos arrive after their reports, over tus. A report's photos are listed in
-- report_photos (from its record) and marked arrived when a blob with the same SHA-256 is
-- held; a report leaves awaiting_photos only when every one has. Uploads in progress keep
-- their offset here and their bytes, one object per PATCH, in the blob store.
-- Reports also get their position as columns, for finding likely duplicates.

CREATE TABLE photo_blobs (
    sha256          TEXT PRIMARY KEY,
    bytes           BIGINT NOT NULL,
    stored_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE report_photos (
    report_id       UUID NOT NULL REFERENCES reports (id),
    photo_id        UUID NOT NULL,
    sha256          TEXT NOT NULL,
    bytes           BIGINT NOT NULL,
    arrived         BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (report_id, photo_id)
);
CREATE INDEX report_photos_sha ON report_photos (sha256);
CREATE INDEX report_photos_photo ON report_photos (photo_id);

CREATE TABLE uploads (
    id              UUID PRIMARY KEY,
    device_id       UUID NOT NULL REFERENCES devices (id),
    report_id       UUID NOT NULL REFERENCES reports (id),
    photo_id        UUID NOT NULL,
    length          BIGINT NOT NULL,
    received        BIGINT NOT NULL DEFAULT 0,
    metadata        TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    completed_at    TIMESTAMPTZ
);
CREATE INDEX uploads_expiry ON uploads (expires_at);

CREATE TABLE upload_parts (
    upload_id       UUID NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    start           BIGINT NOT NULL,
    length          BIGINT NOT NULL,
    object_key      TEXT NOT NULL,
    PRIMARY KEY (upload_id, start)
);

ALTER TABLE reports ADD COLUMN lon DOUBLE PRECISION;
ALTER TABLE reports ADD COLUMN lat DOUBLE PRECISION;
ALTER TABLE reports ADD COLUMN duplicate_of UUID REFERENCES reports (id);
UPDATE reports SET lon = (record -> 'location' ->> 'lon')::double precision,
                   lat = (record -> 'location' ->> 'lat')::double precision;
CREATE INDEX reports_category_time ON reports (category, observed_at);
