//! The embedded SQLite backend: the default, for one office or a demo. One connection
//! behind a mutex, used from a blocking thread; WAL with `synchronous = FULL`, so an answer
//! sent to a device is never for a write that a power cut could undo. Write transactions
//! are `BEGIN IMMEDIATE`: one writer at a time, which is all the locking SQLite needs.
//!
//! A unit of work ([`Database::run`]) runs whole on the blocking thread: its statements
//! complete as they are called, so its future finishes in one poll.

use std::borrow::Cow;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::sql::chain::backfill;
use super::sql::migrate::{Ledger, migrate};
use super::sql::search;
use super::sql::{Database, Dialect, Mode, Row, Sql, Ty, Value, Work, check_values};
use super::{StoreError, StoreResult};

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_photos.sql"),
    include_str!("../../migrations/sqlite/0003_edits_feed.sql"),
    include_str!("../../migrations/sqlite/0004_cases.sql"),
    include_str!("../../migrations/sqlite/0005_trust.sql"),
    include_str!("../../migrations/sqlite/0007_chains.sql"),
    include_str!("../../migrations/sqlite/0008_claims.sql"),
    include_str!("../../migrations/sqlite/0009_roles.sql"),
    include_str!("../../migrations/sqlite/0010_device_keys.sql"),
    include_str!("../../migrations/sqlite/0011_chained_signatures.sql"),
    include_str!("../../migrations/sqlite/0012_queues.sql"),
    include_str!("../../migrations/sqlite/0013_device_model.sql"),
    include_str!("../../migrations/sqlite/0014_overview.sql"),
    include_str!("../../migrations/sqlite/0015_branches.sql"),
    include_str!("../../migrations/sqlite/0016_ports.sql"),
    include_str!("../../migrations/sqlite/0017_case_photos.sql"),
    include_str!("../../migrations/sqlite/0018_step_deadlines.sql"),
    include_str!("../../migrations/sqlite/0019_enrollment_codes.sql"),
    include_str!("../../migrations/sqlite/0020_components.sql"),
];

/// The schema version lives in `PRAGMA user_version`; after each migration every foreign
/// key must still hold (migrations run with foreign keys off, since SQLite changes a
/// constraint by rebuilding the table).
const LEDGER: Ledger = Ledger {
    lock: None,
    prepare: None,
    current: "PRAGMA user_version",
    record: "PRAGMA user_version = {n}",
    check: Some("PRAGMA foreign_key_check"),
};

/// SQLite's way with lists, locks and JSON.
pub const DIALECT: Dialect = Dialect {
    name: "SQLite",
    lock: "",
    any: |expr, n| format!("{expr} IN (SELECT value FROM json_each(${n}))"),
    json_text: |column, key| format!("json_extract({column}, '$.{key}')"),
    bytewise: "",
};

/// The SQLite backend.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

// `Connection` is `Send` but not `Sync`; the mutex hands it to one thread at a time.

fn failed(sql: &str, e: rusqlite::Error) -> StoreError {
    let words = sql.split_whitespace().take(5).collect::<Vec<_>>().join(" ");
    StoreError::database(format!("SQLite: {words}"), e)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open(path).map_err(|e| failed("opening", e))?;
        let setup = |c: &Connection| -> rusqlite::Result<()> {
            c.pragma_update(None, "journal_mode", "wal")?;
            c.pragma_update(None, "synchronous", "full")?;
            c.busy_timeout(std::time::Duration::from_secs(10))?;
            c.set_prepared_statement_cache_capacity(256);
            c.pragma_update(None, "foreign_keys", "off")
        };
        setup(&conn).map_err(|e| failed("setting up", e))?;
        let store = Self {
            conn: Arc::new(Mutex::new(conn)),
        };
        migrate(&store, MIGRATIONS, LEDGER).await?;
        backfill(&store).await?;
        search::backfill(&store).await?;
        store
            .conn
            .lock()
            .await
            .pragma_update(None, "foreign_keys", "on")
            .map_err(|e| failed("foreign_keys on", e))?;
        Ok(store)
    }
}

#[async_trait]
impl Database for SqliteStore {
    async fn run<T: Send + 'static>(&self, mode: Mode, work: Work<T>) -> StoreResult<T> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || run_on(conn.blocking_lock_owned(), mode, work))
            .await
            .map_err(|e| StoreError::database("the SQLite task", e))?
    }
}

fn run_on<T>(conn: OwnedMutexGuard<Connection>, mode: Mode, work: Work<T>) -> StoreResult<T> {
    // A task that panicked mid-transaction left it open; SQLite keeps nothing of it.
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")
            .map_err(|e| failed("ROLLBACK", e))?;
    }
    let begin = match mode {
        Mode::Read => None,
        Mode::Snapshot => Some("BEGIN DEFERRED"),
        Mode::Write => Some("BEGIN IMMEDIATE"),
    };
    if let Some(begin) = begin {
        conn.execute_batch(begin).map_err(|e| failed(begin, e))?;
    }
    let (mut session, result) = ready(work(Box::new(SqliteTx { conn })))?;
    match (begin, result) {
        (None, r) => r,
        (Some(_), Ok(v)) => {
            ready(session.finish(true))??;
            Ok(v)
        }
        (Some(_), Err(e)) => {
            // The error that ended the work is the one to report.
            let _ = ready(session.finish(false));
            Err(e)
        }
    }
}

/// Runs a future that never waits (SQLite work: every statement completes as it is
/// called) to its end, in one poll. If it did wait, dropping it drops the connection's
/// guard with the transaction open, which the next unit of work rolls back.
fn ready<F: Future>(fut: F) -> StoreResult<F::Output> {
    match pin!(fut).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => Ok(out),
        Poll::Pending => Err(StoreError::Database {
            what: "running SQLite work".into(),
            source: "it waited on something other than SQLite".into(),
        }),
    }
}

/// Statements are written with `$1`, `$2`, …; SQLite numbers its parameters `?1`, `?2`, …
/// (a `$1` there would be a parameter *named* `$1`, numbered by where it first appears).
fn positional(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '$' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value as V;
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(V::Null),
            Value::Int(n) => ToSqlOutput::Owned(V::Integer(*n)),
            Value::Real(x) => ToSqlOutput::Owned(V::Real(*x)),
            Value::Bool(b) => ToSqlOutput::Owned(V::Integer(i64::from(*b))),
            Value::Text(s) | Value::Json(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Uuid(_) | Value::Time(_) => ToSqlOutput::Owned(V::Text(text(self))),
            Value::List(items) => {
                let list: Vec<serde_json::Value> = items.iter().map(json_item).collect();
                ToSqlOutput::Owned(V::Text(serde_json::Value::Array(list).to_string()))
            }
            Value::TooLarge(n) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("{n} is too large to store").into(),
                ));
            }
        })
    }
}

/// How SQLite keeps a UUID (hyphenated) and a time (rusqlite's `%F %T%.f%:z`, which sorts).
fn text(v: &Value) -> String {
    match v {
        Value::Uuid(u) => u.to_string(),
        Value::Time(t) => t.format("%F %T%.f%:z").to_string(),
        Value::Text(s) | Value::Json(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn json_item(v: &Value) -> serde_json::Value {
    match v {
        Value::Null | Value::TooLarge(_) | Value::List(_) => serde_json::Value::Null,
        Value::Int(n) => (*n).into(),
        Value::Real(x) => (*x).into(),
        Value::Bool(b) => (*b).into(),
        other => text(other).into(),
    }
}

fn read(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            Value::Text(String::from_utf8_lossy(t).into_owned())
        }
    }
}

/// One SQLite unit of work's session: the connection, held for the whole unit.
struct SqliteTx {
    conn: OwnedMutexGuard<Connection>,
}

#[async_trait]
impl Sql for SqliteTx {
    fn dialect(&self) -> Dialect {
        DIALECT
    }

    async fn query(&mut self, sql: &str, params: Vec<Value>) -> StoreResult<Vec<Row>> {
        check_values(&params)?;
        let run = || -> rusqlite::Result<Vec<Row>> {
            let mut stmt = self.conn.prepare_cached(&positional(sql))?;
            let width = stmt.column_count();
            let mut rows = stmt.query(rusqlite::params_from_iter(&params))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(Row((0..width)
                    .map(|i| row.get_ref(i).map(read))
                    .collect::<rusqlite::Result<_>>()?));
            }
            Ok(out)
        };
        run().map_err(|e| failed(sql, e))
    }

    async fn execute(&mut self, sql: &str, params: Vec<Value>) -> StoreResult<u64> {
        check_values(&params)?;
        self.conn
            .prepare_cached(&positional(sql))
            .and_then(|mut s| s.execute(rusqlite::params_from_iter(&params)))
            .map(|n| n as u64)
            .map_err(|e| failed(sql, e))
    }

    async fn insert_rows(
        &mut self,
        table: &str,
        columns: &[(&str, Ty)],
        rows: Vec<Vec<Value>>,
        tail: &str,
    ) -> StoreResult<()> {
        // SQLite runs in-process: one prepared statement per row costs no round trip.
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({}) {tail}",
            names.join(", "),
            marks.join(", ")
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| failed(&sql, e))?;
        for row in &rows {
            check_values(row)?;
            stmt.execute(rusqlite::params_from_iter(row))
                .map_err(|e| failed(&sql, e))?;
        }
        Ok(())
    }

    async fn script(&mut self, sql: &str) -> StoreResult<()> {
        self.conn.execute_batch(sql).map_err(|e| failed(sql, e))
    }

    async fn finish(&mut self, commit: bool) -> StoreResult<()> {
        let end = if commit { "COMMIT" } else { "ROLLBACK" };
        self.conn.execute_batch(end).map_err(|e| failed(end, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migration_list_is_every_file_in_name_order() {
        crate::store::sql::migrate::assert_in_file_order("sqlite", MIGRATIONS);
    }

    #[test]
    fn parameters_are_renumbered_outside_quoted_text() {
        assert_eq!(
            positional("SELECT json_extract(o, '$.outcome') FROM t WHERE a = $1 AND b = $12"),
            "SELECT json_extract(o, '$.outcome') FROM t WHERE a = ?1 AND b = ?12"
        );
        assert!(matches!(positional("SELECT 1"), Cow::Borrowed(_)));
    }

    #[test]
    fn values_are_stored_the_way_earlier_versions_stored_them() {
        let u = uuid::Uuid::now_v7();
        assert_eq!(text(&Value::Uuid(u)), u.to_string());
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-21T09:00:00.5Z")
            .expect("time")
            .to_utc();
        assert_eq!(text(&Value::Time(t)), "2026-11-21 09:00:00.500+00:00");
    }
}
