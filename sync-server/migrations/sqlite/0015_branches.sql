-- The loop's branches (issue 15): a report waiting for an on-site check (待核实,
-- `awaiting_check`), a case a department accepted (处理中, `in_progress`) and a suspended one
-- (缓办, `suspended`) widen the CHECK on reports.state, so the table is rebuilt as in
-- migration 4 (foreign keys are off while migrations run, and checked before commit).
-- Every report gets its source (the inspector, a hotline, the public, a leader, a video
-- alert …) and the deadline of the step it now waits on (受理, 核实, 派遣, 处置 or 核查, in
-- working time), which the queues' overdue marks and the indicators read.
--
-- A case keeps when its department accepted it and last said it handled, how it was closed
-- (正常, 超期, 自处理, 特殊 结案), and while suspended the state it left, since when and the
-- day to resume by. A department's extension requests (延期) and the centre's decisions on
-- them are rows of their own. A task may also be an on-site check (核实).

CREATE TABLE reports_new (
    id              TEXT PRIMARY KEY,
    device_id       TEXT NOT NULL REFERENCES devices (id),
    reporter        TEXT NOT NULL REFERENCES users (id),
    version         INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('awaiting_check', 'awaiting_photos',
                        'pending_review', 'returned', 'rejected', 'merged', 'registered',
                        'dispatched', 'in_progress', 'handled', 'suspended', 'closed')),
    kind            TEXT NOT NULL,
    category        TEXT NOT NULL,
    cell            TEXT,
    urgency         TEXT NOT NULL,
    observed_at     TEXT NOT NULL,
    record          TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    lon             REAL,
    lat             REAL,
    duplicate_of    TEXT REFERENCES reports (id),
    observed_s      INTEGER,
    deleted_at      TEXT,
    note            TEXT,
    merged_into     TEXT REFERENCES reports (id),
    state_at        TEXT,
    seal            TEXT,
    claim           TEXT,
    search_text     TEXT,
    source          TEXT NOT NULL DEFAULT 'inspector',
    step_due_at     TEXT
);
INSERT INTO reports_new (id, device_id, reporter, version, state, kind, category, cell,
                         urgency, observed_at, record, received_at, lon, lat, duplicate_of,
                         observed_s, deleted_at, note, merged_into, state_at, seal, claim,
                         search_text)
    SELECT id, device_id, reporter, version, state, kind, category, cell, urgency,
           observed_at, record, received_at, lon, lat, duplicate_of, observed_s, deleted_at,
           note, merged_into, state_at, seal, claim, search_text
      FROM reports;
DROP TABLE reports;
ALTER TABLE reports_new RENAME TO reports;
CREATE INDEX reports_state ON reports (state, received_at);
CREATE INDEX reports_category_time ON reports (category, observed_s);
CREATE INDEX reports_reporter ON reports (reporter, received_at);
CREATE INDEX reports_queue_state ON reports (state, state_at, id);
CREATE INDEX reports_queue_waiting ON reports (state_at, id);
CREATE INDEX reports_queue_newest ON reports (received_at, id);
CREATE INDEX reports_observed ON reports (observed_at);
CREATE INDEX reports_live_state ON reports (state) WHERE deleted_at IS NULL;
CREATE INDEX reports_step_due ON reports (step_due_at) WHERE step_due_at IS NOT NULL;

ALTER TABLE cases ADD COLUMN accepted_at TEXT;
ALTER TABLE cases ADD COLUMN handled_at TEXT;
ALTER TABLE cases ADD COLUMN closure TEXT
    CHECK (closure IN ('normal', 'overdue', 'on_spot', 'special'));
ALTER TABLE cases ADD COLUMN suspended_from TEXT;
ALTER TABLE cases ADD COLUMN suspended_at TEXT;
ALTER TABLE cases ADD COLUMN resume_on TEXT;
ALTER TABLE cases ADD COLUMN voided_at TEXT;

-- What the store held before: the last 处置完成, and how each closed case closed by it.
UPDATE cases SET handled_at = (SELECT max(e.at) FROM case_events e
                                WHERE e.report_id = cases.report_id AND e.action = 'handled');
UPDATE cases SET closure = CASE WHEN handled_at IS NOT NULL AND due_at IS NOT NULL
                                     AND handled_at > due_at THEN 'overdue' ELSE 'normal' END
 WHERE closed_at IS NOT NULL;
-- The step each open report waits on, where the store knew its deadline: the handling
-- deadline of a dispatched case, the verification task's of a handled one.
UPDATE reports SET step_due_at = (SELECT c.due_at FROM cases c WHERE c.report_id = reports.id)
 WHERE state = 'dispatched';
UPDATE reports SET step_due_at = (SELECT min(t.due_at) FROM tasks t
                                   WHERE t.report_id = reports.id AND t.done_at IS NULL)
 WHERE state = 'handled';

CREATE TABLE extensions (
    id              TEXT PRIMARY KEY,
    report_id       TEXT NOT NULL REFERENCES reports (id),
    hours           INTEGER NOT NULL CHECK (hours > 0),
    reason          TEXT NOT NULL,
    requested_by    TEXT REFERENCES users (id),
    requested_at    TEXT NOT NULL,
    decided_by      TEXT REFERENCES users (id),
    decided_at      TEXT,
    -- 1 approved, 0 refused, NULL withdrawn (the case left the department: 回退, 改派,
    -- 作废, 特殊结案) or still waiting (decided_at NULL).
    approved        INTEGER,
    comment         TEXT,
    due_before      TEXT,
    due_after       TEXT
);
CREATE INDEX extensions_report ON extensions (report_id, requested_at);
CREATE UNIQUE INDEX extensions_waiting ON extensions (report_id) WHERE decided_at IS NULL;

CREATE TABLE tasks_new (
    id              TEXT PRIMARY KEY,
    report_id       TEXT NOT NULL REFERENCES reports (id),
    kind            TEXT NOT NULL CHECK (kind IN ('verify', 'check')),
    assignee        TEXT NOT NULL REFERENCES users (id),
    created_at      TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    done_at         TEXT,
    passed          INTEGER,
    note            TEXT,
    photos          TEXT NOT NULL DEFAULT '[]',
    by_device       TEXT
);
INSERT INTO tasks_new SELECT id, report_id, kind, assignee, created_at, due_at, done_at,
                             passed, note, photos, by_device FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
CREATE INDEX tasks_report ON tasks (report_id);
CREATE INDEX tasks_assignee ON tasks (assignee, done_at);
