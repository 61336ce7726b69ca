-- Each step's time limit: the same as the SQLite store's migration 18.
ALTER TABLE case_events ADD COLUMN step_due_at TIMESTAMPTZ;
ALTER TABLE reports ADD COLUMN entry_due_at TIMESTAMPTZ;
UPDATE case_events SET step_due_at = (SELECT r.step_due_at FROM reports r
                                       WHERE r.id = case_events.report_id)
 WHERE id IN (SELECT MAX(id) FROM case_events GROUP BY report_id);
UPDATE reports SET entry_due_at = step_due_at
 WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.report_id = reports.id);
