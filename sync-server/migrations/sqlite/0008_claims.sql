-- The centre places every report in its own grid: a report's cell (and the cell and flags
-- in its record) are the centre's answer. What the device claimed of the place is kept here
-- (JSON protocol::console::PlaceClaim) when it differs; NULL when the device agreed, and for
-- reports received before the centre placed them.
ALTER TABLE reports ADD COLUMN claim TEXT;
