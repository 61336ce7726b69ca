-- Work queues (issue 14): the console's lists page by cursor over an order that ends in the
-- report's ID, filter by much more than the state, and search the description and the
-- address (see the module doc of sync-server/src/domain/queue.rs).
--
-- Every report now has the moment it entered its state (older rows lacked it until their
-- first step), so the oldest-waiting order reads the column itself, through an index.
UPDATE reports SET state_at = received_at WHERE state_at IS NULL;

-- The lower-cased text a report is searched by (its description and address); NULL until
-- the server that opens the database has indexed the report (it does so on opening).
ALTER TABLE reports ADD COLUMN search_text TEXT;

-- The n-gram index: every letter or digit of search_text alone, and every two side by
-- side, one row each. Derived from reports.search_text and written in the same
-- transaction; no foreign key, since reports are never deleted (a tombstone keeps its row).
CREATE TABLE report_grams (
    gram            TEXT NOT NULL,
    report_id       TEXT NOT NULL,
    PRIMARY KEY (gram, report_id)
) WITHOUT ROWID;

CREATE INDEX reports_queue_state ON reports (state, state_at, id);
CREATE INDEX reports_queue_waiting ON reports (state_at, id);
CREATE INDEX reports_queue_newest ON reports (received_at, id);
CREATE INDEX cases_department ON cases (department, due_at);
