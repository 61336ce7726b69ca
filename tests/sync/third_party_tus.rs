//! A tus client we did not write — `tuspy` from PyPI — uploads a photo to the server, in
//! chunks, with a SHA-1 checksum on each. The client is installed into a virtualenv under
//! Cargo's target directory on first use ([`gridwalk_system_tests::python_venv`]).
#![allow(clippy::unwrap_used)]

use gridwalk_system_tests::*;

const SCRIPT: &str = r#"
import sys
from tusclient import client

endpoint, token, path, report, photo = sys.argv[1:6]
c = client.TusClient(endpoint, headers={"Authorization": "Bearer " + token})
up = c.uploader(
    path,
    chunk_size=5000,
    metadata={"report": report, "photo": photo, "filename": "photo.jpg"},
    upload_checksum=True,
)
up.upload()
print(up.url)
print(up.offset)
"#;

async fn tuspy_uploads_a_photo_in_checksummed_chunks(backend: Backend) {
    let python = tokio::task::spawn_blocking(python_venv)
        .await
        .unwrap()
        .join("python");
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    capture(&engine, &[fixtures().join("photos/orient-6.jpg")], RUBBISH);
    let token = enroll(&s, &engine).await;
    let client = connect(&engine, &s.url, &token);
    push_records(&engine, &client).await;
    let photo = engine.photos_to_upload().unwrap().remove(0);
    let path = device_photo_path(dir.path(), &photo.sha256);
    assert!(photo.bytes > 10_000, "spans several 5000-byte chunks");

    let script = dir.path().join("upload.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let endpoint = format!("{}/v1/uploads/", s.url);
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .args([&endpoint, &token])
        .arg(&path)
        .args([photo.report.to_string(), photo.id.to_string()])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "tuspy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let url = lines.next().unwrap();
    assert!(url.starts_with(&endpoint), "{url}");
    assert_eq!(lines.next().unwrap(), photo.bytes.to_string());

    assert_eq!(
        s.blobs.photo(&photo.sha256).await.unwrap(),
        std::fs::read(&path).unwrap()
    );
    let stored = s.store.report(photo.report).await.unwrap().unwrap();
    assert_eq!(stored.state.as_str(), "pending_review");
    // The engine, asking next, learns the photo is there and sends nothing.
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!(
        (
            done.photos.uploaded,
            done.photos.already_held,
            done.photos.bytes_sent
        ),
        (0, 1, 0)
    );
    s.finish().await;
}

on_every_backend!(tuspy_uploads_a_photo_in_checksummed_chunks);
