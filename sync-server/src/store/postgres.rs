//! The PostgreSQL backend, for a city's whole workforce: tokio-postgres behind a deadpool
//! connection pool, statements prepared once per connection. (sqlx is avoided on purpose:
//! even unused, its SQLite driver claims the `sqlite3` native library, which rusqlite's
//! bundled SQLite already links.)
//!
//! Write transactions run at READ COMMITTED and lock the rows they change with
//! `FOR NO KEY UPDATE` ([`DIALECT`]): a device's row orders its pushes, a report's row its
//! edits and steps, while another transaction may still insert rows that refer to them
//! (a plain `FOR UPDATE` would make such foreign-key checks wait, and two tablets editing
//! each other's reports deadlocked). Reads that need one consistent state run in a
//! read-only REPEATABLE READ transaction. Many rows go in with one `INSERT … SELECT FROM
//! unnest(…)` over arrays, one array per column.

use gridwalk_protocol::message::msg;
use std::error::Error;

use async_trait::async_trait;
use bytes::{BufMut, BytesMut};
use chrono::{DateTime, NaiveDateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};

use super::sql::chain::backfill;
use super::sql::migrate::{Ledger, migrate};
use super::sql::search;
use super::sql::{Database, Dialect, Mode, Row, Sql, Ty, Value, Work, check_values};
use super::{StoreError, StoreResult};

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_photos.sql"),
    include_str!("../../migrations/postgres/0003_edits_feed.sql"),
    include_str!("../../migrations/postgres/0004_cases.sql"),
    include_str!("../../migrations/postgres/0005_observed_seconds.sql"),
    include_str!("../../migrations/postgres/0006_trust.sql"),
    include_str!("../../migrations/postgres/0008_chains.sql"),
    include_str!("../../migrations/postgres/0009_claims.sql"),
    include_str!("../../migrations/postgres/0010_roles.sql"),
    include_str!("../../migrations/postgres/0011_device_keys.sql"),
    include_str!("../../migrations/postgres/0012_chained_signatures.sql"),
    include_str!("../../migrations/postgres/0013_queues.sql"),
    include_str!("../../migrations/postgres/0014_device_model.sql"),
    include_str!("../../migrations/postgres/0015_overview.sql"),
    include_str!("../../migrations/postgres/0016_branches.sql"),
    include_str!("../../migrations/postgres/0017_ports.sql"),
    include_str!("../../migrations/postgres/0018_case_photos.sql"),
    include_str!("../../migrations/postgres/0019_step_deadlines.sql"),
    include_str!("../../migrations/postgres/0020_enrollment_codes.sql"),
    include_str!("../../migrations/postgres/0021_components.sql"),
];

/// Applied migrations are rows of `schema_migrations`; an advisory lock keeps a second
/// server starting at the same moment from migrating too.
const LEDGER: Ledger = Ledger {
    lock: Some("SELECT pg_advisory_xact_lock(7402117)"),
    prepare: Some("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)"),
    current: "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
    record: "INSERT INTO schema_migrations (version) VALUES ($1)",
    check: None,
};

/// PostgreSQL's way with lists, locks and JSON.
pub const DIALECT: Dialect = Dialect {
    name: "PostgreSQL",
    lock: " FOR NO KEY UPDATE",
    any: |expr, n| format!("{expr} = ANY(${n})"),
    json_text: |column, key| format!("{column} ->> '{key}'"),
    bytewise: " COLLATE \"C\"",
};

/// The PostgreSQL backend.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish()
    }
}

fn failed(sql: &str, e: impl Error + Send + Sync + 'static) -> StoreError {
    let words = sql.split_whitespace().take(5).collect::<Vec<_>>().join(" ");
    StoreError::database(format!("PostgreSQL: {words}"), e)
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies migrations. `schema`, if given, is
    /// created if needed and used by every connection (tests run side by side this way).
    pub async fn connect(url: &str, schema: Option<&str>) -> StoreResult<Self> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| failed("parsing the URL", e))?;
        if let Some(schema) = schema {
            if schema.is_empty()
                || !schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(StoreError::Invalid(msg!(
                    BODY_INVALID,
                    why = format!("{schema:?} is not a plain schema name")
                )));
            }
            let (client, conn) = config
                .connect(NoTls)
                .await
                .map_err(|e| failed("connecting", e))?;
            let task = tokio::spawn(conn);
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .await
                .map_err(|e| failed("CREATE SCHEMA", e))?;
            drop(client);
            let _ = task.await;
            config.options(format!("-c search_path={schema}"));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| failed("building the pool", e))?;
        let store = Self { pool };
        migrate(&store, MIGRATIONS, LEDGER).await?;
        backfill(&store).await?;
        search::backfill(&store).await?;
        Ok(store)
    }
}

#[async_trait]
impl Database for PgStore {
    async fn run<T: Send + 'static>(&self, mode: Mode, work: Work<T>) -> StoreResult<T> {
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| failed("taking a connection", e))?;
        let begin = match mode {
            Mode::Read => None,
            Mode::Snapshot => Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
            Mode::Write => Some("BEGIN"),
        };
        // The session owns the connection before BEGIN is sent: if this request is dropped
        // while BEGIN is in flight, the session's drop keeps the connection out of the pool.
        let mut session = PgTx {
            client: Some(client),
            open: begin.is_some(),
        };
        if let Some(begin) = begin {
            session.script(begin).await?;
        }
        let (mut session, result) = work(Box::new(session)).await;
        match result {
            Ok(v) => {
                session.finish(true).await?;
                Ok(v)
            }
            Err(e) => {
                // The error that ended the work is the one to report.
                let _ = session.finish(false).await;
                Err(e)
            }
        }
    }
}

/// One PostgreSQL unit of work's session: a pooled connection, in a transaction unless
/// the unit only reads statement by statement.
struct PgTx {
    client: Option<deadpool_postgres::Object>,
    /// A transaction is open on the connection.
    open: bool,
}

impl Drop for PgTx {
    fn drop(&mut self) {
        // Dropped with its transaction open (its request was cancelled midway): the
        // connection must not go back to the pool like that. Taking it out of the pool and
        // closing it makes the server roll the transaction back.
        if self.open
            && let Some(client) = self.client.take()
        {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

impl PgTx {
    fn client(&self) -> StoreResult<&deadpool_postgres::Object> {
        self.client.as_ref().ok_or_else(|| StoreError::Database {
            what: "PostgreSQL".into(),
            source: "the session has ended".into(),
        })
    }

    async fn prepare(&self, sql: &str) -> StoreResult<tokio_postgres::Statement> {
        self.client()?
            .prepare_cached(sql)
            .await
            .map_err(|e| failed(sql, e))
    }
}

#[async_trait]
impl Sql for PgTx {
    fn dialect(&self) -> Dialect {
        DIALECT
    }

    async fn query(&mut self, sql: &str, params: Vec<Value>) -> StoreResult<Vec<Row>> {
        check_values(&params)?;
        let stmt = self.prepare(sql).await?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.client()?
            .query(&stmt, &refs)
            .await
            .map_err(|e| failed(sql, e))?
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<_, Value>(i))
                    .collect::<Result<_, _>>()
                    .map(Row)
                    .map_err(|e| failed(sql, e))
            })
            .collect()
    }

    async fn execute(&mut self, sql: &str, params: Vec<Value>) -> StoreResult<u64> {
        check_values(&params)?;
        let stmt = self.prepare(sql).await?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.client()?
            .execute(&stmt, &refs)
            .await
            .map_err(|e| failed(sql, e))
    }

    async fn insert_rows(
        &mut self,
        table: &str,
        columns: &[(&str, Ty)],
        rows: Vec<Vec<Value>>,
        tail: &str,
    ) -> StoreResult<()> {
        let mut arrays: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); columns.len()];
        for row in rows {
            check_values(&row)?;
            for (array, v) in arrays.iter_mut().zip(row) {
                array.push(v);
            }
        }
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let casts: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| format!("${}::{}[]", i + 1, array_type(*ty)))
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) SELECT * FROM unnest({}) {tail}",
            names.join(", "),
            casts.join(", ")
        );
        let params: Vec<Value> = arrays.into_iter().map(Value::List).collect();
        self.execute(&sql, params).await.map(|_| ())
    }

    async fn script(&mut self, sql: &str) -> StoreResult<()> {
        self.client()?
            .batch_execute(sql)
            .await
            .map_err(|e| failed(sql, e))
    }

    async fn finish(&mut self, commit: bool) -> StoreResult<()> {
        if !self.open {
            return Ok(());
        }
        let end = if commit { "COMMIT" } else { "ROLLBACK" };
        self.script(end).await?;
        self.open = false;
        Ok(())
    }
}

fn array_type(ty: Ty) -> &'static str {
    match ty {
        Ty::Int => "bigint",
        Ty::Real => "float8",
        Ty::Bool => "bool",
        Ty::Text => "text",
        Ty::Uuid => "uuid",
        Ty::Time => "timestamptz",
        Ty::Json => "jsonb",
    }
}

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) => match *ty {
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => (*n as f64).to_sql(ty, out),
                _ => n.to_sql(ty, out),
            },
            Value::Real(x) => x.to_sql(ty, out),
            Value::Bool(b) => b.to_sql(ty, out),
            Value::Text(s) => match *ty {
                Type::UUID => uuid::Uuid::parse_str(s)?.to_sql(ty, out),
                Type::JSON | Type::JSONB => json(s, ty, out),
                _ => s.as_str().to_sql(ty, out),
            },
            Value::Uuid(u) => match *ty {
                Type::TEXT | Type::VARCHAR => u.to_string().to_sql(ty, out),
                _ => u.to_sql(ty, out),
            },
            Value::Time(t) => t.to_sql(ty, out),
            Value::Json(s) => json(s, ty, out),
            Value::List(items) => match ty.kind() {
                Kind::Array(_) => items.to_sql(ty, out),
                _ => Err(format!("a list given where {ty} is expected").into()),
            },
            Value::TooLarge(n) => Err(format!("{n} is too large to store").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// JSON text as a `JSON` or `JSONB` parameter (`JSONB`'s binary form is a version byte,
/// 1, then the text).
fn json(s: &str, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    match *ty {
        Type::JSONB => {
            out.put_u8(1);
            out.put_slice(s.as_bytes());
            Ok(IsNull::No)
        }
        Type::JSON => {
            out.put_slice(s.as_bytes());
            Ok(IsNull::No)
        }
        _ => s.to_sql(ty, out),
    }
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(match *ty {
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::UUID => Value::Uuid(uuid::Uuid::from_sql(ty, raw)?),
            Type::TIMESTAMPTZ => Value::Time(DateTime::<Utc>::from_sql(ty, raw)?),
            Type::TIMESTAMP => Value::Time(NaiveDateTime::from_sql(ty, raw)?.and_utc()),
            Type::JSON => Value::Json(std::str::from_utf8(raw)?.to_owned()),
            Type::JSONB => match raw.split_first() {
                Some((1, text)) => Value::Json(std::str::from_utf8(text)?.to_owned()),
                _ => return Err("an unknown JSONB format".into()),
            },
            Type::VOID => Value::Null,
            _ if <&str as FromSql>::accepts(ty) => {
                Value::Text(<&str>::from_sql(ty, raw)?.to_owned())
            }
            _ => {
                return Err(format!("a column of type {ty}, which the store does not read").into());
            }
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migration_list_is_every_file_in_name_order() {
        crate::store::sql::migrate::assert_in_file_order("postgres", MIGRATIONS);
    }
}
