-- Giving back the room of photos the centre holds (crate::storage): when a photo's upload
-- derivative was deleted (NULL while the file is kept; the thumbnail always stays), and how
-- many days such photos stay on the device (NULL: the engine's default).
ALTER TABLE photos ADD COLUMN released_at TEXT;
ALTER TABLE device ADD COLUMN keep_days INTEGER;
