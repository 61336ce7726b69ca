-- The loop's branches: the same as the SQLite store's migration 15 (see there for what
-- each is). PostgreSQL changes the CHECKs in place.

ALTER TABLE reports DROP CONSTRAINT reports_state_check;
ALTER TABLE reports ADD CONSTRAINT reports_state_check CHECK (state IN ('awaiting_check',
    'awaiting_photos', 'pending_review', 'returned', 'rejected', 'merged', 'registered',
    'dispatched', 'in_progress', 'handled', 'suspended', 'closed'));
ALTER TABLE reports ADD COLUMN source TEXT NOT NULL DEFAULT 'inspector';
ALTER TABLE reports ADD COLUMN step_due_at TIMESTAMPTZ;
CREATE INDEX reports_step_due ON reports (step_due_at) WHERE step_due_at IS NOT NULL;

ALTER TABLE cases ADD COLUMN accepted_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN handled_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN closure TEXT
    CHECK (closure IN ('normal', 'overdue', 'on_spot', 'special'));
ALTER TABLE cases ADD COLUMN suspended_from TEXT;
ALTER TABLE cases ADD COLUMN suspended_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN resume_on TEXT;            -- a local day, 2026-12-10
ALTER TABLE cases ADD COLUMN voided_at TIMESTAMPTZ;

UPDATE cases SET handled_at = (SELECT max(e.at) FROM case_events e
                                WHERE e.report_id = cases.report_id AND e.action = 'handled');
UPDATE cases SET closure = CASE WHEN handled_at IS NOT NULL AND due_at IS NOT NULL
                                     AND handled_at > due_at THEN 'overdue' ELSE 'normal' END
 WHERE closed_at IS NOT NULL;
UPDATE reports SET step_due_at = (SELECT c.due_at FROM cases c WHERE c.report_id = reports.id)
 WHERE state = 'dispatched';
UPDATE reports SET step_due_at = (SELECT min(t.due_at) FROM tasks t
                                   WHERE t.report_id = reports.id AND t.done_at IS NULL)
 WHERE state = 'handled';

CREATE TABLE extensions (
    id              UUID PRIMARY KEY,
    report_id       UUID NOT NULL REFERENCES reports (id),
    hours           BIGINT NOT NULL CHECK (hours > 0),
    reason          TEXT NOT NULL,
    requested_by    UUID REFERENCES users (id),
    requested_at    TIMESTAMPTZ NOT NULL,
    decided_by      UUID REFERENCES users (id),
    decided_at      TIMESTAMPTZ,
    approved        BOOLEAN,
    comment         TEXT,
    due_before      TIMESTAMPTZ,
    due_after       TIMESTAMPTZ
);
CREATE INDEX extensions_report ON extensions (report_id, requested_at);
CREATE UNIQUE INDEX extensions_waiting ON extensions (report_id) WHERE decided_at IS NULL;

ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('verify', 'check'));
