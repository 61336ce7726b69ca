//! The tablet's storage: how much room is left where the engine keeps its files, and giving
//! back the room of photos the centre already holds.
//!
//! A 12 MP camera original is 3-4 MB and a day's work is dozens of them, so a tablet fills
//! up; and a lost tablet holds every face and plate it ever photographed. So a photo's
//! files are kept only while they can still be needed: once the centre holds a photo (its
//! report applied, its bytes confirmed), its camera original and its upload derivative are
//! deleted [`DeviceSettings::keep_days`](crate::DeviceSettings) days later (a device setting,
//! [`StoragePolicy::keep_days`] unless the inspector chose), leaving the row, the thumbnail
//! (the report still shows what it was) and the SHA-256 (the centre's copy stays checkable).
//! This runs after every successful sync round.
//!
//! Free space is measured on the data directory's file system. Below
//! [`StoragePolicy::warn_below`] the queue screen warns; a photo that would leave less than
//! [`StoragePolicy::refuse_below`] is refused in words ([`Error::NoRoom`]) before anything
//! is written, so the draft (or the task) stays exactly as it was.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;
use serde::Serialize;

use crate::blobs;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// The default for how long photos the centre holds stay on the device.
pub const KEEP_DAYS: u32 = 30;

/// The range an inspector may choose from, in days.
pub const KEEP_DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=365;

/// How free space is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeSpace {
    /// Asked of the file system holding the data directory.
    FileSystem,
    /// A figure given instead (tests; a device whose file system cannot say).
    Fixed(u64),
}

/// When to warn, when to refuse a photo, and how long to keep what the centre holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoragePolicy {
    /// Days photos the centre holds are kept, unless the inspector chose otherwise.
    pub keep_days: u32,
    /// Below this many free bytes the queue screen warns.
    pub warn_below: u64,
    /// A photo that would leave fewer free bytes than this is refused.
    pub refuse_below: u64,
    pub free_space: FreeSpace,
}

impl Default for StoragePolicy {
    /// Warn with a gigabyte left (some 250 camera originals), refuse with 200 MB left: room
    /// for the database, the sync and the rest of the tablet.
    fn default() -> Self {
        Self {
            keep_days: KEEP_DAYS,
            warn_below: 1_000_000_000,
            refuse_below: 200_000_000,
            free_space: FreeSpace::FileSystem,
        }
    }
}

/// How the device's storage stands, for the queue screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StorageStatus {
    /// Free bytes where the engine keeps its files; `None` where the system cannot say.
    pub free_bytes: Option<u64>,
    /// Below the warning level: photos will soon be refused.
    pub low: bool,
    /// Below the refusal level: a new photo is refused now.
    pub full: bool,
    /// Bytes of photo files (originals and upload derivatives) on the device.
    pub photo_bytes: u64,
    /// Days photos the centre holds are kept before their files are removed.
    pub keep_days: u32,
}

/// What [`Engine::release_held_photos`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Released {
    /// Camera originals deleted.
    pub originals: usize,
    /// Upload derivatives deleted.
    pub derivatives: usize,
    /// Bytes given back.
    pub bytes: u64,
}

/// Free bytes on the file system holding `dir`, for an unprivileged program.
#[cfg(unix)]
fn statvfs_free(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
fn statvfs_free(_dir: &Path) -> Option<u64> {
    None
}

/// A number of bytes as people read it (`180 MB`, `1.2 GB`), for messages.
#[must_use]
pub fn human_bytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} KB", b / 1e3)
    }
}

impl Engine {
    /// Free bytes where the engine keeps its files, if known.
    #[must_use]
    pub fn free_space(&self) -> Option<u64> {
        match self.config.storage.free_space {
            FreeSpace::Fixed(n) => Some(n),
            FreeSpace::FileSystem => statvfs_free(&self.config.data_dir),
        }
    }

    /// How the storage stands.
    pub fn storage_status(&self) -> Result<StorageStatus> {
        let free = self.free_space();
        let policy = self.config.storage;
        let photo_bytes = self.photo_file_bytes()?;
        Ok(StorageStatus {
            free_bytes: free,
            low: free.is_some_and(|f| f < policy.warn_below),
            full: free.is_some_and(|f| f < policy.refuse_below),
            photo_bytes,
            keep_days: self.settings()?.keep_days,
        })
    }

    /// [`Error::NoRoom`] if writing `incoming` more bytes would leave less than the
    /// refusal level free. A device whose free space cannot be read is not refused.
    pub(crate) fn ensure_room(&self, incoming: u64) -> Result<()> {
        let Some(free) = self.free_space() else {
            return Ok(());
        };
        let keep = self.config.storage.refuse_below;
        if free < keep.saturating_add(incoming) {
            return Err(Error::NoRoom { free, keep });
        }
        Ok(())
    }

    /// Deletes the camera originals and upload derivatives of photos the centre has held
    /// for longer than the kept days (their reports applied, their bytes confirmed). The
    /// rows say so first, then the files go: a crash in between leaves only files no row
    /// needs, which the next open sweeps. A derivative shared with a photo still needed
    /// (the same picture in another report, or a photo the centre sent) stays.
    pub fn release_held_photos(&self) -> Result<Released> {
        let cutoff = self.now() - Duration::days(i64::from(self.settings()?.keep_days));
        let mut conn = self.db();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Every photo row, whether the centre holds it long enough, and what it still has.
        type Row = (
            String,
            String,
            Option<String>,
            bool,
            Option<DateTime<Utc>>,
            bool,
        );
        let rows: Vec<Row> = tx
            .prepare(
                "SELECT p.id, p.sha256, p.original, p.released_at IS NULL, p.uploaded_at,
                        r.state = 'sent'
                   FROM photos p JOIN reports r ON r.id = p.report_id",
            )?
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let sent_from_centre: HashSet<String> = tx
            .prepare("SELECT sha256 FROM centre_photos")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let held = |uploaded: &Option<DateTime<Utc>>, sent: bool| {
            sent && uploaded.is_some_and(|at| at <= cutoff)
        };
        // A derivative goes only when every photo naming it is held long enough.
        let mut all_held: HashMap<&str, bool> = HashMap::new();
        for (_, sha, _, _, uploaded, sent) in &rows {
            let h = held(uploaded, *sent) && !sent_from_centre.contains(sha);
            all_held
                .entry(sha.as_str())
                .and_modify(|a| *a &= h)
                .or_insert(h);
        }
        let mut originals = Vec::new();
        let mut derivatives = HashSet::new();
        let now = self.now();
        for (id, sha, original, derivative_kept, uploaded, sent) in &rows {
            if !held(uploaded, *sent) {
                continue;
            }
            if let Some(name) = original {
                tx.execute("UPDATE photos SET original = NULL WHERE id = ?1", [id])?;
                originals.push(name.clone());
            }
            if *derivative_kept && all_held.get(sha.as_str()).copied().unwrap_or(false) {
                tx.execute(
                    "UPDATE photos SET released_at = ?2 WHERE id = ?1",
                    params![id, now],
                )?;
                derivatives.insert(sha.clone());
            }
        }
        tx.commit()?;
        drop(conn);
        let mut released = Released::default();
        for name in &originals {
            released.bytes += self.file_bytes(blobs::Kind::Original, name);
            self.blobs.remove(blobs::Kind::Original, name)?;
            released.originals += 1;
        }
        for sha in &derivatives {
            released.bytes += self.file_bytes(blobs::Kind::Derivative, sha);
            self.blobs.remove(blobs::Kind::Derivative, sha)?;
            released.derivatives += 1;
        }
        Ok(released)
    }

    fn file_bytes(&self, kind: blobs::Kind, name: &str) -> u64 {
        std::fs::metadata(self.blobs.path(kind, name)).map_or(0, |m| m.len())
    }

    /// Bytes of the photo files the device holds: originals and derivatives still kept.
    fn photo_file_bytes(&self) -> Result<u64> {
        let (originals, derivatives): (Vec<String>, HashSet<String>) = {
            let conn = self.db();
            let originals = conn
                .prepare("SELECT original FROM photos WHERE original IS NOT NULL")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let derivatives = conn
                .prepare("SELECT sha256 FROM photos WHERE released_at IS NULL")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            (originals, derivatives)
        };
        Ok(originals
            .iter()
            .map(|n| self.file_bytes(blobs::Kind::Original, n))
            .chain(
                derivatives
                    .iter()
                    .map(|s| self.file_bytes(blobs::Kind::Derivative, s)),
            )
            .sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_people_read_them() {
        assert_eq!(human_bytes(180_400_000), "180 MB");
        assert_eq!(human_bytes(1_234_000_000), "1.2 GB");
        assert_eq!(human_bytes(52_000), "52 KB");
    }

    #[cfg(unix)]
    #[test]
    fn the_file_system_says_how_much_is_free() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        assert!(statvfs_free(dir.path()).is_some_and(|n| n > 0));
    }
}
