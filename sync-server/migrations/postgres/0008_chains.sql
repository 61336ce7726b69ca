-- Hash chains, as in the SQLite store's 0007 (see the gridwalk-evidence crate): each
-- report's versions and its case events are chained (prev_hash, hash), every
-- administrative act is numbered (seq) and chained,
-- and a report's row carries a seal over its present state and its chains' heads. The head
-- of the administrative chain is kept in chain_heads, whose row the next act locks.
--
-- SQL cannot compute the hashes: rows written before this migration are chained by the
-- server when it opens the store right after, in order, once: the 'backfill' row below says
-- it is still to do, and the step removes it in the transaction that does the work (a
-- server stopped in between does it at its next start). After that, a row without a hash
-- is a break, never chained anew.

ALTER TABLE report_versions ADD COLUMN prev_hash TEXT;
ALTER TABLE report_versions ADD COLUMN hash TEXT;
ALTER TABLE case_events ADD COLUMN prev_hash TEXT;
ALTER TABLE case_events ADD COLUMN hash TEXT;
ALTER TABLE reports ADD COLUMN seal TEXT;
ALTER TABLE admin_acts ADD COLUMN seq BIGINT;
ALTER TABLE admin_acts ADD COLUMN prev_hash TEXT;
ALTER TABLE admin_acts ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX admin_acts_seq ON admin_acts (seq);

CREATE TABLE chain_heads (
    name            TEXT PRIMARY KEY,
    seq             BIGINT NOT NULL,
    hash            TEXT NOT NULL
);
INSERT INTO chain_heads (name, seq, hash)
    VALUES ('admin_acts', 0, '0000000000000000000000000000000000000000000000000000000000000000'),
           ('backfill', 0, '');
