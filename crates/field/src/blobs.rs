//! Photo files on the device: content-addressed derivatives and thumbnails, and originals
//! kept by photo ID until the centre has accepted the report.
//!
//! Files are written to `tmp/`, fsynced, and renamed into place, so a file under its final
//! name is always complete. A file is written *before* the database row that names it and
//! removed *after* the row is gone; a crash between the two leaves only an unreferenced file,
//! which [`BlobStore::sweep`] removes on the next open. A row never names a missing file.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The directories under the engine's data directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// Which kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The upload derivative, named by its SHA-256.
    Derivative,
    /// The thumbnail, named by its derivative's SHA-256.
    Thumbnail,
    /// The camera original, named by photo ID.
    Original,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Derivative => "photos",
            Kind::Thumbnail => "thumbs",
            Kind::Original => "originals",
        }
    }
}

impl BlobStore {
    /// Creates the directories if needed.
    pub fn open(root: &Path) -> Result<Self> {
        for d in ["photos", "thumbs", "originals", "tmp"] {
            let p = root.join(d);
            fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
        }
        Ok(Self {
            root: root.to_owned(),
        })
    }

    /// Where the file named `name` of `kind` lives.
    #[must_use]
    pub fn path(&self, kind: Kind, name: &str) -> PathBuf {
        let dir = self.root.join(kind.dir());
        match kind {
            // Fan out by the first two characters, so no directory holds tens of thousands.
            Kind::Derivative | Kind::Thumbnail => dir
                .join(name.get(..2).unwrap_or("__"))
                .join(format!("{name}.jpg")),
            Kind::Original => dir.join(format!("{name}.jpg")),
        }
    }

    /// Writes `bytes` under `name` durably; a content-addressed file already present is kept.
    pub fn put(&self, kind: Kind, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let dest = self.path(kind, name);
        if kind != Kind::Original && dest.exists() {
            return Ok(dest);
        }
        let parent = dest.parent().unwrap_or(&self.root).to_owned();
        if !parent.exists() {
            // A new directory entry is durable only once its own parent is fsynced.
            fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
            if let Some(grandparent) = parent.parent() {
                fs::File::open(grandparent)
                    .and_then(|d| d.sync_all())
                    .map_err(|e| Error::io(grandparent, e))?;
            }
        }
        let tmp = self.root.join("tmp").join(uuid::Uuid::now_v7().to_string());
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &dest)?;
            fs::File::open(&parent)?.sync_all()
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::io(&dest, e)
        })?;
        Ok(dest)
    }

    /// Removes a file if present.
    pub fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        let p = self.path(kind, name);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&p, e)),
        }
    }

    /// Deletes every file of `kind` whose name is not in `keep`, and everything in `tmp/`.
    /// Returns how many files were removed. Call only while holding the data-dir lock.
    pub fn sweep(&self, kind: Kind, keep: &HashSet<String>) -> Result<usize> {
        let mut removed = 0;
        let tmp = self.root.join("tmp");
        for entry in fs::read_dir(&tmp).map_err(|e| Error::io(&tmp, e))? {
            let p = entry.map_err(|e| Error::io(&tmp, e))?.path();
            fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
        let mut stack = vec![self.root.join(kind.dir())];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
                let p = entry.map_err(|e| Error::io(&dir, e))?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Some(stem) = p.file_stem().and_then(|s| s.to_str())
                    && !keep.contains(stem)
                {
                    fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_is_idempotent_and_sweep_keeps_referenced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = BlobStore::open(dir.path()).expect("open");
        let a = "ab".repeat(32);
        let b = "cd".repeat(32);
        let pa = store.put(Kind::Derivative, &a, b"one").expect("put a");
        store
            .put(Kind::Derivative, &a, b"one")
            .expect("put a again");
        store.put(Kind::Derivative, &b, b"two").expect("put b");
        fs::write(dir.path().join("tmp").join("leftover"), b"half").expect("leftover");
        assert_eq!(fs::read(&pa).expect("read"), b"one");
        let keep: HashSet<String> = [a.clone()].into();
        assert_eq!(store.sweep(Kind::Derivative, &keep).expect("sweep"), 1);
        assert!(pa.exists());
        assert!(!store.path(Kind::Derivative, &b).exists());
        assert_eq!(
            fs::read_dir(dir.path().join("tmp")).expect("tmp").count(),
            0
        );
    }
}
