//! The blob store: photo bytes and upload parts, through the `object_store` crate, so the
//! same code writes to a local directory (the default, under the data directory) or to an
//! S3 bucket (`s3://bucket/prefix`, credentials from the usual `AWS_*` variables).
//!
//! Two kinds of object:
//! - `photos/ab/<sha256>.jpg`: a photo, content-addressed, written once when its upload is
//!   complete and checked;
//! - `uploads/<upload id>/<start>-<nonce>`: one accepted request body of an upload in
//!   progress. Each part gets a fresh name, so a request that loses a race to another can
//!   never overwrite bytes the store has recorded.
//!
//! On local disk each object is flushed to the device (file and directory) before the call
//! returns: the server answers an upload only for bytes a power cut cannot take back.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use uuid::Uuid;

/// Blob store failures, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("blob store: {0}")]
pub struct BlobError(String);

fn blob_err(what: &str) -> impl Fn(object_store::Error) -> BlobError + '_ {
    move |e| BlobError(format!("{what}: {e}"))
}

/// Where photos and upload parts live.
#[derive(Debug, Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// The root directory when the store is local, for flushing what was written.
    local_root: Option<PathBuf>,
    describe: String,
}

impl BlobStore {
    /// Opens `location`: an `s3://bucket[/prefix]` URL (configured from the `AWS_*`
    /// environment variables), or a directory (created if needed).
    pub fn open(location: &str) -> Result<Self, BlobError> {
        Self::open_with(location, std::iter::empty::<(String, String)>())
    }

    /// Like [`BlobStore::open`], with S3 settings given explicitly on top of the
    /// environment's, by `object_store`'s names (`aws_endpoint`, `aws_region`,
    /// `aws_access_key_id`, `aws_secret_access_key`, `aws_allow_http`, …).
    pub fn open_with(
        location: &str,
        s3_options: impl IntoIterator<Item = (impl AsRef<str>, impl Into<String>)>,
    ) -> Result<Self, BlobError> {
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(BlobError(format!("{location:?} names no bucket")));
            }
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            for (key, value) in s3_options {
                let key: AmazonS3ConfigKey = key
                    .as_ref()
                    .parse()
                    .map_err(|e| BlobError(format!("S3 setting {:?}: {e}", key.as_ref())))?;
                builder = builder.with_config(key, value);
            }
            let s3 = builder.build().map_err(blob_err("configuring S3"))?;
            let store: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix.trim_matches('/')))
            };
            return Ok(Self {
                store,
                local_root: None,
                describe: location.to_owned(),
            });
        }
        if location.contains("://") {
            return Err(BlobError(format!(
                "{location:?}: give a directory or an s3:// URL"
            )));
        }
        Self::local(FsPath::new(location))
    }

    /// A store in a local directory, created if needed.
    pub fn local(dir: &FsPath) -> Result<Self, BlobError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| BlobError(format!("creating {}: {e}", dir.display())))?;
        let root = dir
            .canonicalize()
            .map_err(|e| BlobError(format!("{}: {e}", dir.display())))?;
        let fs = LocalFileSystem::new_with_prefix(&root).map_err(blob_err("opening"))?;
        Ok(Self {
            store: Arc::new(fs),
            describe: root.display().to_string(),
            local_root: Some(root),
        })
    }

    /// Where the blobs are, for logs.
    #[must_use]
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The object name of the photo with this SHA-256 (lower-case hex).
    #[must_use]
    pub fn photo_key(sha256: &str) -> String {
        format!("photos/{}/{sha256}.jpg", &sha256[..2.min(sha256.len())])
    }

    /// Stores one accepted part of an upload; returns its object name.
    pub async fn put_part(
        &self,
        upload: Uuid,
        start: u64,
        bytes: Bytes,
    ) -> Result<String, BlobError> {
        let key = format!(
            "uploads/{}/{start:012}-{}",
            upload.simple(),
            Uuid::now_v7().simple()
        );
        self.put(&key, bytes).await?;
        Ok(key)
    }

    /// Removes every part object of an upload, recorded or not (a request that lost a race
    /// or a server stopped mid-request can leave one the store never recorded).
    pub async fn delete_parts(&self, upload: Uuid) -> Result<(), BlobError> {
        let prefix = Path::from(format!("uploads/{}", upload.simple()));
        let keys: Vec<Path> = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(blob_err("listing upload parts"))?;
        for key in keys {
            self.delete(key.as_ref()).await?;
        }
        if let Some(root) = &self.local_root {
            // Local directories are not objects: remove the emptied one (if it is there).
            let _ = std::fs::remove_dir(root.join(prefix.as_ref()));
        }
        Ok(())
    }

    /// Stores a checked photo under its SHA-256.
    pub async fn put_photo(&self, sha256: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.put(&Self::photo_key(sha256), bytes).await
    }

    /// A photo's bytes.
    pub async fn photo(&self, sha256: &str) -> Result<Bytes, BlobError> {
        self.get(&Self::photo_key(sha256)).await
    }

    /// An object's bytes.
    pub async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        self.store
            .get(&Path::from(key))
            .await
            .map_err(blob_err(key))?
            .bytes()
            .await
            .map_err(blob_err(key))
    }

    /// Removes an object; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(blob_err(key)(e)),
        }
    }

    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&Path::from(key), PutPayload::from_bytes(bytes))
            .await
            .map_err(blob_err(key))?;
        if let Some(root) = &self.local_root {
            let file = root.join(key);
            tokio::task::spawn_blocking(move || flush(&file))
                .await
                .map_err(|e| BlobError(format!("flushing {key}: {e}")))?
                .map_err(|e| BlobError(format!("flushing {key}: {e}")))?;
        }
        Ok(())
    }
}

/// Flushes a written file and the directory entry that names it.
fn flush(file: &FsPath) -> std::io::Result<()> {
    std::fs::File::open(file)?.sync_all()?;
    if let Some(dir) = file.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_objects_round_trip_and_delete_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = BlobStore::open(dir.path().to_str().expect("utf-8")).expect("opens");
        let sha = "ab".repeat(32);
        blobs
            .put_photo(&sha, Bytes::from_static(b"jpeg"))
            .await
            .expect("put");
        assert_eq!(
            blobs.photo(&sha).await.expect("get"),
            Bytes::from_static(b"jpeg")
        );
        assert!(dir.path().join(BlobStore::photo_key(&sha)).is_file());
        let id = Uuid::now_v7();
        let a = blobs
            .put_part(id, 0, Bytes::from_static(b"x"))
            .await
            .expect("part");
        let b = blobs
            .put_part(id, 0, Bytes::from_static(b"y"))
            .await
            .expect("part");
        assert_ne!(a, b, "each part gets a name of its own");
        blobs.delete(&a).await.expect("delete");
        blobs.delete(&a).await.expect("deleting again is fine");
        assert!(blobs.get(&a).await.is_err());
        blobs.delete_parts(id).await.expect("delete the rest");
        assert!(blobs.get(&b).await.is_err());
        assert!(blobs.photo(&sha).await.is_ok(), "photos stay");
    }

    #[test]
    fn refuses_unknown_schemes() {
        let e = BlobStore::open("gs://bucket").expect_err("not supported");
        assert!(e.to_string().contains("s3://"), "{e}");
        assert!(BlobStore::open("s3://").is_err());
    }
}
