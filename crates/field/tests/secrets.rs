//! The device keeps its token and signing key out of the plain database, in a private data
//! directory, and signs every mutation it queues (issue 13: "the device keeps its token in
//! plain text in a 0644 database").
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{ready_draft, reference};
use gridwalk_field::secrets::SecretsChoice;
use gridwalk_field::{Engine, FieldConfig};
use gridwalk_protocol::signing::{decode_public_key, verify};

const TOKEN: &str = "d3v1ce-t0ken-that-must-stay-out-of-the-database";

/// The engine under test keeps its secrets in the fallback file (this machine has no
/// desktop keyring), whatever the environment says.
fn open(dir: &Path) -> Engine {
    let mut config = FieldConfig::new(dir);
    config.secrets = SecretsChoice::File;
    Engine::open(config, reference()).unwrap()
}

/// The bytes of the database and its write-ahead log.
fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["field.db", "field.db-wal"] {
        if let Ok(b) = std::fs::read(dir.join(name)) {
            all.extend(b);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_token_is_kept_out_of_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    engine
        .configure_sync("https://centre.example", TOKEN)
        .unwrap();
    let settings = engine.sync_settings().unwrap().unwrap();
    assert_eq!(settings.token, TOKEN);
    assert!(engine.sync_status().unwrap().configured);
    assert!(
        !contains(&database_bytes(dir.path()), TOKEN),
        "the token is not in the database or its log"
    );
    let secrets = std::fs::read_to_string(dir.path().join("secrets.json")).unwrap();
    assert!(secrets.contains(TOKEN), "it is in the secrets file");
    assert!(
        secrets.contains("signing_key"),
        "the key was made at enrollment"
    );
    drop(engine);
    let again = open(dir.path());
    assert_eq!(again.sync_settings().unwrap().unwrap().token, TOKEN);
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_its_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let engine = open(&data);
    engine
        .configure_sync("https://centre.example", TOKEN)
        .unwrap();
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("field.db")), 0o600, "database");
    assert_eq!(mode(&data.join("field.db-wal")), 0o600, "write-ahead log");
    assert_eq!(mode(&data.join("secrets.json")), 0o600, "secrets");

    // A directory and database an older version left readable by all are made private.
    drop(engine);
    for (path, m) in [(&data, 0o755), (&data.join("field.db"), 0o644)] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
    }
    drop(open(&data));
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("field.db")), 0o600);
}

/// A database as the previous version left it: migrations 1–5, the token in `sync_state`.
fn old_database(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let conn = rusqlite::Connection::open(dir.join("field.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    for sql in [
        include_str!("../migrations/0001_init.sql"),
        include_str!("../migrations/0002_uploads.sql"),
        include_str!("../migrations/0003_central.sql"),
        include_str!("../migrations/0004_profile.sql"),
        include_str!("../migrations/0005_tasks.sql"),
    ] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 5).unwrap();
    conn.execute(
        "INSERT INTO device (singleton, device_id, created_at)
         VALUES (1, '0192d0c4-0000-7000-8000-000000000001', '2026-11-01T00:00:00Z')",
        [],
    )
    .unwrap();
    conn.execute(
        "UPDATE sync_state SET server_url = 'https://centre.example', token = ?1",
        [TOKEN],
    )
    .unwrap();
    drop(conn);
    assert!(contains(&database_bytes(dir), TOKEN), "the old way");
}

#[test]
fn an_older_devices_token_moves_out_of_its_database_on_open() {
    let dir = tempfile::tempdir().unwrap();
    old_database(dir.path());
    let engine = open(dir.path());
    let settings = engine.sync_settings().unwrap().unwrap();
    assert_eq!(
        (settings.server_url.as_str(), settings.token.as_str()),
        ("https://centre.example", TOKEN),
        "the device stays set up"
    );
    assert!(
        !contains(&database_bytes(dir.path()), TOKEN),
        "erased from the database, its free space and its log"
    );
    drop(engine);
    assert_eq!(
        open(dir.path()).sync_settings().unwrap().unwrap().token,
        TOKEN
    );
}

#[test]
fn every_queued_mutation_is_signed_once_by_the_devices_own_key() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    engine.sign_in(&common::inspector()).unwrap();
    for _ in 0..2 {
        let d = engine.create_draft().unwrap();
        ready_draft(&engine, d.id, None);
        engine.finalize(d.id).unwrap();
    }
    let key = decode_public_key(&engine.public_key().unwrap()).unwrap();
    let first = engine.pending_mutations(10).unwrap();
    assert_eq!(first.len(), 2);
    for m in &first {
        assert_eq!(verify(&key, m), Ok(()), "mutation {}", m.id);
    }
    let public = engine.public_key().unwrap();
    drop(engine);
    // Reopened (and so on every retry): the same key, the same signatures.
    let engine = open(dir.path());
    assert_eq!(engine.public_key().unwrap(), public);
    assert_eq!(engine.pending_mutations(10).unwrap(), first);
    let req = engine.push_request("test").unwrap();
    assert_eq!(req.public_key.as_deref(), Some(public.as_str()));
    let secrets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("secrets.json")).unwrap()).unwrap();
    let seed = secrets["signing_key"].as_str().unwrap();
    assert!(
        !contains(&database_bytes(dir.path()), seed),
        "the key is not in the database"
    );
}

/// A device whose key was lost (its secret file wiped, the database kept) makes a new one,
/// and what it had queued is signed again by it: after the device is enrolled again the
/// centre knows only the new key, and entries signed by the old one would be refused for
/// ever (found by an attack on the signing work: every sync then failed `422`).
#[test]
fn queued_entries_are_signed_again_by_a_new_key_after_the_old_one_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    engine.sign_in(&common::inspector()).unwrap();
    let d = engine.create_draft().unwrap();
    ready_draft(&engine, d.id, None);
    engine.finalize(d.id).unwrap();
    let old = engine.public_key().unwrap();
    let before = engine.pending_mutations(10).unwrap();
    drop(engine);

    std::fs::remove_file(dir.path().join("secrets.json")).unwrap();
    let engine = open(dir.path());
    let new = engine.public_key().unwrap();
    assert_ne!(new, old, "a new key");
    let after = engine.pending_mutations(10).unwrap();
    assert_eq!(after.len(), before.len());
    let key = decode_public_key(&new).unwrap();
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(
            verify(&key, a),
            Ok(()),
            "mutation {} under the new key",
            a.id
        );
        assert_eq!((a.id, &a.body), (b.id, &b.body), "the same content");
        assert_ne!(a.signature, b.signature);
    }
    // And kept: the next round sends the very same signatures.
    assert_eq!(engine.pending_mutations(10).unwrap(), after);
}
