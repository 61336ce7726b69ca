//! Photo slots and tus uploads in SQL both databases run. An upload's offset moves only
//! in the transaction that records the part it received; the part that completes it
//! records the photo as held and moves every report that now has all its photos
//! ([`photos::on_arrival`]).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::{DeviceId, PhotoId, PhotoNeed, ReportId};
use uuid::Uuid;

use super::feed::write_feed;
use super::steps::move_report;
use super::{Database, Mode, Row, Value, params, tx};
use crate::domain::model::{
    Appended, ArrivedPhoto, Device, PhotoSlot, Touch, Upload, UploadPart, check_append,
};
use crate::domain::photos;
use crate::domain::uploads::{self, Crowded, OpenLimits};
use crate::store::{StoreResult, UploadStore};

const UPLOAD_COLUMNS: &str = "id, device_id, report_id, photo_id, length, received, metadata, \
    created_at, expires_at, completed_at";

fn upload(r: &Row) -> StoreResult<Upload> {
    Ok(Upload {
        id: r.get(0)?,
        device: r.get(1)?,
        report: r.get(2)?,
        photo: r.get(3)?,
        length: r.get(4)?,
        received: r.get(5)?,
        metadata: r.get(6)?,
        created_at: r.get(7)?,
        expires_at: r.get(8)?,
        completed_at: r.get(9)?,
    })
}

#[async_trait]
impl<D: Database> UploadStore for D {
    async fn photo_slot(
        &self,
        device: &Device,
        report: ReportId,
        photo: PhotoId,
    ) -> StoreResult<Option<PhotoSlot>> {
        let (user, device) = (device.user, device.id);
        tx!(self, Mode::Read, |tx| {
            tx.opt(
                "SELECT p.sha256, p.bytes, p.arrived, p.width, p.height FROM report_photos p
                   JOIN reports r ON r.id = p.report_id
                  WHERE p.report_id = $1 AND p.photo_id = $2 AND r.device_id = $3
                    AND r.reporter = $4
                 UNION ALL
                 SELECT t.sha256, t.bytes, t.arrived, t.width, t.height FROM task_photos t
                   JOIN tasks k ON k.id = t.task_id
                  WHERE t.report_id = $1 AND t.photo_id = $2 AND t.device_id = $3
                    AND k.assignee = $4
                 UNION ALL
                 SELECT c.sha256, c.bytes, c.arrived, c.width, c.height FROM case_photos c
                  WHERE c.report_id = $1 AND c.photo_id = $2 AND c.device_id = $3
                    AND c.by_user = $4
                 LIMIT 1",
                params![report, photo, device, user],
            )
            .await?
            .map(|r| {
                Ok(PhotoSlot {
                    sha256: r.get(0)?,
                    bytes: r.get(1)?,
                    arrived: r.get(2)?,
                    width: r.get(3)?,
                    height: r.get(4)?,
                })
            })
            .transpose()
        })
    }

    async fn photo_needs(
        &self,
        device: DeviceId,
        photos: &[PhotoId],
    ) -> StoreResult<Vec<(PhotoId, PhotoNeed)>> {
        let asked = photos.to_vec();
        tx!(self, Mode::Read, |tx| {
            let in_reports = (tx.dialect().any)("p.photo_id", 1);
            let in_tasks = (tx.dialect().any)("t.photo_id", 1);
            let in_cases = (tx.dialect().any)("c.photo_id", 1);
            let known: HashMap<PhotoId, bool> = tx
                .query(
                    &format!(
                        "SELECT photo_id, MIN(CASE WHEN arrived THEN 1 ELSE 0 END) FROM (
                            SELECT p.photo_id, p.arrived FROM report_photos p
                              JOIN reports r ON r.id = p.report_id
                             WHERE {in_reports} AND r.device_id = $2
                            UNION ALL
                            SELECT t.photo_id, t.arrived FROM task_photos t
                             WHERE {in_tasks} AND t.device_id = $2
                            UNION ALL
                            SELECT c.photo_id, c.arrived FROM case_photos c
                             WHERE {in_cases} AND c.device_id = $2) x
                          GROUP BY photo_id"
                    ),
                    vec![Value::list(asked.iter().copied()), Value::from(device)],
                )
                .await?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?)))
                .collect::<StoreResult<_>>()?;
            Ok(asked
                .iter()
                .map(|p| {
                    let need = match known.get(p) {
                        None => PhotoNeed::Unknown,
                        Some(true) => PhotoNeed::Arrived,
                        Some(false) => PhotoNeed::Needed,
                    };
                    (*p, need)
                })
                .collect())
        })
    }

    async fn create_upload(&self, u: &Upload) -> StoreResult<()> {
        let u = u.clone();
        tx!(self, Mode::Write, |tx| { insert_upload(tx, &u).await })
    }

    async fn open_uploads(&self, device: DeviceId, now: DateTime<Utc>) -> StoreResult<Vec<Upload>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                &format!(
                    "SELECT {UPLOAD_COLUMNS} FROM uploads
                      WHERE device_id = $1 AND completed_at IS NULL AND expires_at >= $2
                      ORDER BY created_at"
                ),
                params![device, now],
            )
            .await?
            .iter()
            .map(upload)
            .collect()
        })
    }

    async fn open_upload(
        &self,
        u: &Upload,
        limits: OpenLimits,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<Vec<Uuid>, Crowded>> {
        let u = u.clone();
        tx!(self, Mode::Write, |tx| {
            // The device's row, held to the end: its creations are decided one at a time.
            tx.execute(
                "UPDATE devices SET last_seen = last_seen WHERE id = $1",
                params![u.device],
            )
            .await?;
            let open = tx
                .query(
                    &format!(
                        "SELECT {UPLOAD_COLUMNS} FROM uploads
                          WHERE device_id = $1 AND completed_at IS NULL AND expires_at >= $2
                          ORDER BY created_at"
                    ),
                    params![u.device, now],
                )
                .await?
                .iter()
                .map(upload)
                .collect::<StoreResult<Vec<_>>>()?;
            let replaced = match uploads::admit(&open, &u, limits) {
                Ok(replaced) => replaced,
                Err(crowded) => return Ok(Err(crowded)),
            };
            for id in &replaced {
                tx.execute(
                    "DELETE FROM upload_parts WHERE upload_id = $1",
                    params![*id],
                )
                .await?;
                tx.execute("DELETE FROM uploads WHERE id = $1", params![*id])
                    .await?;
            }
            insert_upload(tx, &u).await?;
            Ok(Ok(replaced))
        })
    }

    async fn upload(&self, id: Uuid) -> StoreResult<Option<Upload>> {
        tx!(self, Mode::Read, |tx| {
            tx.opt(
                &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1"),
                params![id],
            )
            .await?
            .as_ref()
            .map(upload)
            .transpose()
        })
    }

    async fn upload_parts(&self, id: Uuid) -> StoreResult<Vec<UploadPart>> {
        tx!(self, Mode::Read, |tx| {
            tx.query(
                "SELECT start, length, object_key FROM upload_parts WHERE upload_id = $1
                  ORDER BY start",
                params![id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(UploadPart {
                    start: r.get(0)?,
                    length: r.get(1)?,
                    key: r.get(2)?,
                })
            })
            .collect()
        })
    }

    async fn append_upload(
        &self,
        id: Uuid,
        part: &UploadPart,
        expires_at: DateTime<Utc>,
        arrived: Option<&ArrivedPhoto>,
    ) -> StoreResult<Appended> {
        let (part, arrived) = (part.clone(), arrived.cloned());
        tx!(self, Mode::Write, |tx| {
            let received: Option<u64> = tx
                .opt(
                    &format!(
                        "SELECT received FROM uploads WHERE id = $1{lock}",
                        lock = tx.dialect().lock
                    ),
                    params![id],
                )
                .await?
                .map(|r| r.get(0))
                .transpose()?;
            let appended = check_append(received, part.start, part.length);
            let Appended::Now { received } = appended else {
                return Ok(appended);
            };
            if part.length > 0 && arrived.is_none() {
                tx.execute(
                    "INSERT INTO upload_parts (upload_id, start, length, object_key)
                     VALUES ($1, $2, $3, $4)",
                    params![id, part.start, part.length, &part.key],
                )
                .await?;
            }
            tx.execute(
                "UPDATE uploads SET received = $2, expires_at = $3 WHERE id = $1",
                params![id, received, expires_at],
            )
            .await?;
            if let Some(a) = arrived {
                photo_arrived(tx, id, &a).await?;
            }
            Ok(appended)
        })
    }

    async fn delete_upload(&self, id: Uuid) -> StoreResult<()> {
        tx!(self, Mode::Write, |tx| {
            tx.execute("DELETE FROM upload_parts WHERE upload_id = $1", params![id])
                .await?;
            tx.execute("DELETE FROM uploads WHERE id = $1", params![id])
                .await?;
            Ok(())
        })
    }

    async fn expired_uploads(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        tx!(self, Mode::Read, |tx| {
            tx.query("SELECT id FROM uploads WHERE expires_at < $1", params![now])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect()
        })
    }
}

async fn insert_upload(tx: &mut dyn super::Sql, u: &Upload) -> StoreResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO uploads ({UPLOAD_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        params![
            u.id,
            u.device,
            u.report,
            u.photo,
            u.length,
            u.received,
            u.metadata.clone(),
            u.created_at,
            u.expires_at,
            u.completed_at
        ],
    )
    .await?;
    Ok(())
}

/// Records a completed upload's photo as held and moves the reports it completes.
///
/// The reports waiting for this photo are locked first, in ID order, and only then are
/// their photo rows marked and counted: two uploads completing the last two photos of one
/// report at once are thereby decided one after the other, and the second sees the first's
/// photo (with the count first, each would see the other's photo still missing, and the
/// report would wait for ever).
async fn photo_arrived(tx: &mut dyn super::Sql, upload: Uuid, a: &ArrivedPhoto) -> StoreResult<()> {
    tx.execute(
        "UPDATE uploads SET completed_at = $2 WHERE id = $1",
        params![upload, a.at],
    )
    .await?;
    tx.execute(
        "DELETE FROM upload_parts WHERE upload_id = $1",
        params![upload],
    )
    .await?;
    tx.execute(
        "INSERT INTO photo_blobs (sha256, bytes, stored_at) VALUES ($1, $2, $3)
         ON CONFLICT (sha256) DO NOTHING",
        params![&a.sha256, a.bytes, a.at],
    )
    .await?;
    tx.execute(
        "INSERT INTO photo_holders (sha256, user_id) VALUES ($1, $2)
         ON CONFLICT (sha256, user_id) DO NOTHING",
        params![&a.sha256, a.holder],
    )
    .await?;
    // Only the uploader's inspector's reports and verifications count the photo as arrived.
    let waiting: Vec<ReportId> = tx
        .query(
            &format!(
                "SELECT id FROM reports
                  WHERE state = 'awaiting_photos' AND reporter = $2
                    AND id IN (SELECT report_id FROM report_photos WHERE sha256 = $1)
                  ORDER BY id{lock}",
                lock = tx.dialect().lock
            ),
            params![&a.sha256, a.holder],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect::<StoreResult<_>>()?;
    // By the photo's hash first (indexed), then each row's report or device by its key.
    tx.execute(
        "UPDATE report_photos SET arrived = TRUE
          WHERE sha256 = $1
            AND EXISTS (SELECT 1 FROM reports r
                         WHERE r.id = report_photos.report_id AND r.reporter = $2)",
        params![&a.sha256, a.holder],
    )
    .await?;
    tx.execute(
        "UPDATE task_photos SET arrived = TRUE
          WHERE sha256 = $1
            AND EXISTS (SELECT 1 FROM devices d
                         WHERE d.id = task_photos.device_id AND d.user_id = $2)",
        params![&a.sha256, a.holder],
    )
    .await?;
    tx.execute(
        "UPDATE case_photos SET arrived = TRUE WHERE sha256 = $1 AND by_user = $2",
        params![&a.sha256, a.holder],
    )
    .await?;
    if waiting.is_empty() {
        return Ok(());
    }
    let any = (tx.dialect().any)("r.id", 1);
    let counted = tx
        .query(
            &format!(
                "SELECT r.id, r.reporter, r.state,
                        NOT EXISTS (SELECT 1 FROM report_photos p
                                     WHERE p.report_id = r.id AND NOT p.arrived)
                   FROM reports r WHERE {any} ORDER BY r.id"
            ),
            vec![Value::list(waiting)],
        )
        .await?;
    let mut touches = Vec::new();
    for row in counted {
        let id: ReportId = row.get(0)?;
        if let Some(m) = photos::on_arrival(id, row.get(2)?, row.get(3)?, a.at, a.review_due) {
            move_report(tx, id, m.to, &m.event).await?;
            touches.push(Touch::report(id, row.get(1)?));
        }
    }
    write_feed(tx, touches, a.at).await
}
