-- Photos the centre sends to look at, not to upload: a department's after-photos (处置后)
-- of a case the inspector goes to verify, named in the task (TaskChange.handling_photos)
-- and fetched by SHA-256. The bytes and a thumbnail are kept under the SHA-256 like the
-- device's own photos; this row says which task they belong to.
CREATE TABLE centre_photos (
    id              TEXT PRIMARY KEY,
    task_id         TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    received_at     TEXT NOT NULL
);
CREATE INDEX centre_photos_task ON centre_photos (task_id);
