//! Opening the local SQLite database: durability settings and numbered migrations.
//!
//! WAL with `synchronous = FULL` makes every committed transaction durable when `COMMIT`
//! returns (the WAL is fsynced on each commit), while readers never block the writer.
//! Migrations are SQL files numbered from 1, applied in order on open inside one
//! transaction each, and recorded in `PRAGMA user_version`; a landed migration is never
//! edited, only followed by a new one.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_uploads.sql"),
    include_str!("../migrations/0003_central.sql"),
    include_str!("../migrations/0004_profile.sql"),
    include_str!("../migrations/0005_tasks.sql"),
    include_str!("../migrations/0006_device_keys.sql"),
    include_str!("../migrations/0007_others_reports.sql"),
    include_str!("../migrations/0008_centre_photos.sql"),
    include_str!("../migrations/0009_storage.sql"),
    include_str!("../migrations/0010_components.sql"),
];

/// Opens (creating if needed) the database at `path` and brings its schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    create_private(path)?;
    let mut conn = Connection::open(path)?;
    // Erased values (a token moved out of the database) are overwritten, not left in
    // free space.
    conn.pragma_update(None, "secure_delete", "on")?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "full")?;
    conn.pragma_update(None, "foreign_keys", "on")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Creates the database file owner-only (0600) before SQLite opens it, and makes an existing
/// one and its WAL and shared-memory files so; SQLite gives the files it creates next to a
/// database the database's own mode.
fn create_private(path: &Path) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(|e| Error::io(path, e))?;
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            crate::secrets::restrict(&file, false).map_err(|e| Error::io(&file, e))?;
        }
    }
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if current > known {
        return Err(Error::SchemaTooNew {
            found: current,
            known,
        });
    }
    for (n, sql) in (1..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(current).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", n)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("field.db");
        let conn = open(&path).expect("first open");
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, i64::try_from(MIGRATIONS.len()).expect("few"));
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        // 2 = FULL: the WAL is fsynced at every commit, so a returned call is durable.
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .expect("synchronous");
        assert_eq!(sync, 2);
        drop(conn);
        open(&path).expect("second open applies nothing and succeeds");
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("field.db");
        drop(open(&path).expect("open"));
        let conn = Connection::open(&path).expect("raw open");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        let err = open(&path).expect_err("newer schema refused");
        assert!(err.to_string().contains("schema 99"), "{err}");
    }
}
