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
//!
//! Request bodies and photos are never held whole in memory: a [`BlobWriter`] writes an
//! object piece by piece as its bytes arrive (in pieces of [`LOCAL_CHUNK`] on disk, of
//! S3's 5 MiB minimum part size there), and [`BlobStore::stream`] reads one back the same
//! way. What the server holds per request is a piece or two, whatever the photo's size.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use uuid::Uuid;

/// Blob store failures, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("blob store: {0}")]
pub struct BlobError(String);

fn blob_err(what: &str) -> impl Fn(object_store::Error) -> BlobError + '_ {
    move |e| BlobError(format!("{what}: {e}"))
}

/// The piece size a local object is written in.
pub const LOCAL_CHUNK: usize = 256 * 1024;
/// The piece size an S3 object is written in (S3's smallest multipart part).
pub const S3_CHUNK: usize = 5 * 1024 * 1024;
/// Pieces written at once by one writer; more waits, so memory stays bounded.
const PIECES_IN_FLIGHT: usize = 2;

/// An object being written piece by piece; nothing is visible under its name until
/// [`BlobWriter::finish`]. Dropped unfinished, its pieces are discarded.
pub struct BlobWriter {
    inner: WriteMultipart,
    key: String,
    local_root: Option<PathBuf>,
    written: u64,
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("key", &self.key)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl BlobWriter {
    /// Appends bytes, waiting while the earlier pieces are still being written.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        self.inner
            .wait_for_capacity(PIECES_IN_FLIGHT)
            .await
            .map_err(blob_err(&self.key))?;
        self.inner.write(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// How many bytes have been written.
    #[must_use]
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The object's name.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Completes the object (flushed to the device, on local disk) and returns its name.
    pub async fn finish(self) -> Result<String, BlobError> {
        self.inner.finish().await.map_err(blob_err(&self.key))?;
        if let Some(root) = &self.local_root {
            flush_local(root, &self.key).await?;
        }
        Ok(self.key)
    }

    /// Completes the object without flushing it to the device: for an object that is
    /// renamed into place and flushed there ([`BlobStore::keep_photo`]), or read and
    /// removed before anything is answered for it.
    pub async fn finish_unflushed(self) -> Result<String, BlobError> {
        self.inner.finish().await.map_err(blob_err(&self.key))?;
        Ok(self.key)
    }

    /// Discards what was written.
    pub async fn abort(self) -> Result<(), BlobError> {
        self.inner.abort().await.map_err(blob_err(&self.key))
    }
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

    /// Starts writing the next part of an upload (at byte `start`), piece by piece.
    pub async fn part_writer(&self, upload: Uuid, start: u64) -> Result<BlobWriter, BlobError> {
        let key = format!(
            "uploads/{}/{start:012}-{}",
            upload.simple(),
            Uuid::now_v7().simple()
        );
        self.writer(key).await
    }

    /// Starts writing the photo of an upload, under a name of the upload's own; once its
    /// bytes are checked, [`BlobStore::keep_photo`] files it under its SHA-256.
    pub async fn assembly_writer(&self, upload: Uuid) -> Result<BlobWriter, BlobError> {
        self.writer(format!("uploads/{}/photo", upload.simple()))
            .await
    }

    /// Files an assembled, checked photo under its SHA-256.
    pub async fn keep_photo(&self, assembled: &str, sha256: &str) -> Result<(), BlobError> {
        let key = Self::photo_key(sha256);
        self.store
            .rename(&Path::from(assembled), &Path::from(key.as_str()))
            .await
            .map_err(blob_err(&key))?;
        if let Some(root) = &self.local_root {
            flush_local(root, &key).await?;
        }
        Ok(())
    }

    async fn writer(&self, key: String) -> Result<BlobWriter, BlobError> {
        let upload = self
            .store
            .put_multipart(&Path::from(key.as_str()))
            .await
            .map_err(blob_err(&key))?;
        let chunk = if self.local_root.is_some() {
            LOCAL_CHUNK
        } else {
            S3_CHUNK
        };
        Ok(BlobWriter {
            inner: WriteMultipart::new_with_chunk_size(upload, chunk),
            key,
            local_root: self.local_root.clone(),
            written: 0,
        })
    }

    /// An object's bytes as they are read, piece by piece.
    pub async fn stream(
        &self,
        key: &str,
    ) -> Result<impl futures_util::Stream<Item = Result<Bytes, BlobError>> + use<>, BlobError> {
        let owned = key.to_owned();
        Ok(self
            .store
            .get(&Path::from(key))
            .await
            .map_err(blob_err(key))?
            .into_stream()
            .map_err(move |e| BlobError(format!("{owned}: {e}"))))
    }

    /// The SHA-256 (lower-case hex) and size of the photo filed under `sha256`, hashed as it
    /// is read piece by piece; `None` if there is no such object.
    pub async fn photo_digest(&self, sha256: &str) -> Result<Option<(String, u64)>, BlobError> {
        use sha2::{Digest, Sha256};
        let key = Self::photo_key(sha256);
        let stream = match self.store.get(&Path::from(key.as_str())).await {
            Ok(got) => got.into_stream(),
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(blob_err(&key)(e)),
        };
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let mut stream = std::pin::pin!(stream);
        while let Some(piece) = stream.try_next().await.map_err(blob_err(&key))? {
            bytes += piece.len() as u64;
            hasher.update(&piece);
        }
        Ok(Some((gridwalk_evidence::hex(&hasher.finalize()), bytes)))
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

    /// The object name of the list thumbnail made from the photo with this SHA-256.
    #[must_use]
    pub fn thumb_key(sha256: &str) -> String {
        format!("thumbs/{}/{sha256}.jpg", &sha256[..2.min(sha256.len())])
    }

    /// A photo's thumbnail, if one was made and kept.
    pub async fn thumb(&self, sha256: &str) -> Result<Option<Bytes>, BlobError> {
        let key = Self::thumb_key(sha256);
        match self.store.get(&Path::from(key.as_str())).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(blob_err(&key))?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_err(&key)(e)),
        }
    }

    /// Keeps a photo's thumbnail.
    pub async fn put_thumb(&self, sha256: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.put(&Self::thumb_key(sha256), bytes).await
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
            flush_local(root, key).await?;
        }
        Ok(())
    }
}

/// Flushes a local object, off the async workers.
async fn flush_local(root: &FsPath, key: &str) -> Result<(), BlobError> {
    let file = root.join(key);
    tokio::task::spawn_blocking(move || flush(&file))
        .await
        .map_err(|e| BlobError(format!("flushing {key}: {e}")))?
        .map_err(|e| BlobError(format!("flushing {key}: {e}")))
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
