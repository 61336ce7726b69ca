-- Who the inspector is, as the centre said when the device was set up (`GET /v1/me`), and
-- the device's own settings.
ALTER TABLE device ADD COLUMN user_login TEXT NOT NULL DEFAULT '';
ALTER TABLE device ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE device ADD COLUMN user_team TEXT;
ALTER TABLE device ADD COLUMN user_badge TEXT;
-- The body-worn camera last used in a clip reference (or the one the centre issued), so
-- the next reference starts with it filled in.
ALTER TABLE device ADD COLUMN camera_serial TEXT;
-- The long edge of upload derivatives, in pixels (NULL: the engine's default).
ALTER TABLE device ADD COLUMN photo_max_edge INTEGER;

-- The kind of the last sync failure (`network`, `unauthorized`, …), beside its words, so the
-- app can say it in the inspector's language.
ALTER TABLE sync_state ADD COLUMN last_error_kind TEXT;
