-- A department's after-photos (处置后) taken on the clerk's phone at 处置完成 (issue 15):
-- declared with the step, their bytes uploaded over tus with the clerk's console session.
-- The upload's credential is a device row of the clerk's own (its ID the clerk's user ID,
-- its token hash a marker no bearer token can match), made with the first such photo.
CREATE TABLE case_photos (
    report_id       TEXT NOT NULL REFERENCES reports (id),
    photo_id        TEXT NOT NULL,
    device_id       TEXT NOT NULL REFERENCES devices (id),
    by_user         TEXT NOT NULL REFERENCES users (id),
    sha256          TEXT NOT NULL,
    bytes           INTEGER NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    taken_at        TEXT,
    arrived         INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (report_id, photo_id)
);
CREATE INDEX case_photos_sha ON case_photos (sha256);
CREATE INDEX case_photos_photo ON case_photos (photo_id);
