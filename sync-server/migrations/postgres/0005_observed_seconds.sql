-- Likely duplicates are looked for by category and observation time in one statement both
-- databases run, over whole seconds as the SQLite store has kept them since its migration
-- 2 (`observed_s`): PostgreSQL gets the same column, filled from observed_at, and its
-- index moves to it.

ALTER TABLE reports ADD COLUMN observed_s BIGINT;
UPDATE reports SET observed_s = FLOOR(EXTRACT(EPOCH FROM observed_at))::BIGINT;
DROP INDEX reports_category_time;
CREATE INDEX reports_category_time ON reports (category, observed_s);
