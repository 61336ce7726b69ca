-- Tasks the centre gives the inspector (核查: verify that a case was handled), as the change
-- feed brings them: each with the case it is about, kept whole as received. A task done on
-- the device is marked here and answered to the centre through the outbox.
CREATE TABLE tasks (
    id              TEXT PRIMARY KEY,
    report_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    case_no         TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    record          TEXT NOT NULL,   -- JSON protocol::TaskChange, the latest received
    centre_done_at  TEXT,            -- when the centre recorded it done
    received_at     TEXT NOT NULL
);
CREATE INDEX tasks_open ON tasks (centre_done_at, due_at);

-- Done here, waiting to be sent or answered: the inspector's verdict and note. A refusal
-- from the centre reopens the task with its reason.
ALTER TABLE tasks ADD COLUMN done_at TEXT;
ALTER TABLE tasks ADD COLUMN passed INTEGER;
ALTER TABLE tasks ADD COLUMN note TEXT;
ALTER TABLE tasks ADD COLUMN refused TEXT;

-- Photos taken at a verification (处置后) belong to the case's report but not to its record:
-- they travel with the task's completion.
ALTER TABLE photos ADD COLUMN task_id TEXT;
