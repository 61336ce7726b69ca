-- Reports from another port (a hotline, the public …) reach the tablet only with a task on
-- them: an on-site check (核实), then the verification (核查) of the fix. The device keeps
-- such a report as a row of its own, so the task's answer and its photos are queued like a
-- verification of the inspector's own report; `others` marks it, and the inspector's
-- lists leave it out.
ALTER TABLE reports ADD COLUMN others INTEGER NOT NULL DEFAULT 0;
