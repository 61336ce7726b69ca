-- Each step's time limit kept where the evaluation can judge it (issue 15, per-step
-- overdue counts): the deadline of the step a report waits on after each event, and of the
-- step it waited on when received (受理, or 核实 for a port's report). Before this only
-- the step under way was known (reports.step_due_at): it is carried over to the latest
-- event, or to the report when it has none; earlier steps of older reports stay unknown
-- and are not judged.
ALTER TABLE case_events ADD COLUMN step_due_at TEXT;
ALTER TABLE reports ADD COLUMN entry_due_at TEXT;
UPDATE case_events SET step_due_at = (SELECT r.step_due_at FROM reports r
                                       WHERE r.id = case_events.report_id)
 WHERE id IN (SELECT MAX(id) FROM case_events GROUP BY report_id);
UPDATE reports SET entry_due_at = step_due_at
 WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.report_id = reports.id);
