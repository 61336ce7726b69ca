//! Photos the centre sends to look at: a department's after-photos (处置后) of a case the
//! inspector goes to verify. The task names them (`TaskChange::handling_photos`); after each
//! pull the device fetches those it does not hold (`GET /v1/photos/{sha256}`), checks each
//! against its SHA-256, and keeps it with a thumbnail like its own photos, so the 核查
//! screen shows what the department says it did even where there is no signal. A photo that
//! has not reached the centre yet (the clerk's phone still uploading), or that fails, is
//! asked for again next round; nothing here stops a sync.

use chrono::Utc;
use gridwalk_protocol::{PhotoRef, TaskChange, TaskId};
use rusqlite::params;
use sha2::{Digest, Sha256};
use tracing::{debug, warn};

use super::client::SyncClient;
use crate::blobs;
use crate::engine::{Engine, from_json};
use crate::error::Result;
use crate::photo;

impl Engine {
    /// The after-photos open tasks name that the device does not hold yet.
    fn centre_photos_wanted(&self) -> Result<Vec<(TaskId, PhotoRef)>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT record FROM tasks WHERE centre_done_at IS NULL AND done_at IS NULL
              ORDER BY due_at, id",
        )?;
        let records = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut held = db.prepare("SELECT 1 FROM centre_photos WHERE id = ?1")?;
        let mut out = Vec::new();
        for r in records {
            let t: TaskChange = from_json(&r)?;
            for p in t.handling_photos {
                if !held.exists([p.id.to_string()])? {
                    out.push((t.task.id, p));
                }
            }
        }
        Ok(out)
    }

    /// Fetches the after-photos the open tasks name and the device does not hold; returns
    /// how many arrived. A network failure ends the fetching for this round.
    pub async fn fetch_centre_photos(&self, client: &SyncClient) -> Result<usize> {
        let wanted = self.centre_photos_wanted()?;
        if wanted.is_empty() {
            return Ok(0);
        }
        let options = self.photo_options()?;
        let mut got = 0;
        for (task, p) in wanted {
            let Some(bytes) = client.photo(&p.sha256).await? else {
                debug!(photo = %p.id, "an after-photo has not reached the centre yet");
                continue;
            };
            let actual = photo::hex(&Sha256::digest(&bytes));
            if actual != p.sha256 {
                warn!(photo = %p.id, %actual, "an after-photo's bytes do not match its name: not kept");
                continue;
            }
            let thumb = match photo::process(&bytes, &options, self.config.utc_offset) {
                Ok(processed) => processed.thumbnail,
                Err(e) => {
                    warn!(photo = %p.id, error = %e, "an after-photo could not be read: not kept");
                    continue;
                }
            };
            self.blobs.put(blobs::Kind::Derivative, &p.sha256, &bytes)?;
            self.blobs.put(blobs::Kind::Thumbnail, &p.sha256, &thumb)?;
            self.db().execute(
                "INSERT INTO centre_photos (id, task_id, sha256, received_at)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING",
                params![p.id.to_string(), task.to_string(), p.sha256, Utc::now()],
            )?;
            got += 1;
        }
        Ok(got)
    }
}
