-- A department's after-photos: the same as the SQLite store's migration 17.
CREATE TABLE case_photos (
    report_id       UUID NOT NULL REFERENCES reports (id),
    photo_id        UUID NOT NULL,
    device_id       UUID NOT NULL REFERENCES devices (id),
    by_user         UUID NOT NULL REFERENCES users (id),
    sha256          TEXT NOT NULL,
    bytes           BIGINT NOT NULL,
    width           BIGINT NOT NULL,
    height          BIGINT NOT NULL,
    taken_at        TIMESTAMPTZ,
    arrived         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_id, photo_id)
);
CREATE INDEX case_photos_sha ON case_photos (sha256);
CREATE INDEX case_photos_photo ON case_photos (photo_id);
