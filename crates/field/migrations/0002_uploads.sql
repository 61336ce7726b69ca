-- Photo upload progress, for resuming and for the queue screen: how many bytes the centre
-- has confirmed, how many attempts failed, and the last failure in words.
ALTER TABLE photos ADD COLUMN upload_offset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE photos ADD COLUMN upload_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE photos ADD COLUMN upload_error TEXT;
