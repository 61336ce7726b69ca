//! One SQL text for both databases.
//!
//! The case store's statements are written once, here and in the modules below, against a
//! small interface every backend provides ([`Sql`]: run a statement with [`Value`]
//! parameters, get [`Row`]s of [`Value`]s back, insert many rows at once). Parameters are
//! written `$1`, `$2`, … in both dialects. What differs between SQLite and PostgreSQL is
//! named once per backend in its [`Dialect`]: how a list is passed as one parameter, how a
//! row is locked for the rest of a transaction, how a JSON field is read. How many rows go
//! in one statement, and how values map to column types (a UUID is `TEXT` on SQLite and
//! `UUID` on PostgreSQL, a time `TEXT` or `TIMESTAMPTZ`, JSON `TEXT` or `JSONB`), is each
//! backend's own business.
//!
//! A unit of work runs in one transaction through [`Database::run`]: the backend opens the
//! transaction in the asked [`Mode`], hands the work a `&mut dyn Sql`, and commits when the
//! work returns `Ok` (rolls back on `Err`). The work follows one shape: lock and load what
//! the decision needs, ask [`crate::domain`], write what it returns.

pub mod chain;
pub mod console;
pub mod feed;
pub mod map;
pub mod migrate;
pub mod people;
pub mod ports;
pub mod reference;
pub mod reports;
pub mod search;
pub mod steps;
pub mod uploads;

use gridwalk_protocol::message::msg;
use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use futures_util::future::BoxFuture;
use gridwalk_protocol::{CaseState, CellCode, DeviceId, PhotoId, ReportId, TaskId, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{StoreError, StoreResult};

/// A parameter or a column value, the same on both databases.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(String),
    Uuid(Uuid),
    Time(DateTime<Utc>),
    /// JSON text (a `JSONB` column on PostgreSQL).
    Json(String),
    /// A list passed as one parameter (see [`Dialect::any`]).
    List(Vec<Value>),
    /// A number the databases cannot hold (a `u64` beyond `i64::MAX`); binding it fails in
    /// words instead of storing something else.
    TooLarge(u64),
}

impl Value {
    /// A value as JSON text.
    pub fn json<T: Serialize + ?Sized>(v: &T) -> StoreResult<Self> {
        serde_json::to_string(v)
            .map(Value::Json)
            .map_err(|e| StoreError::Corrupt(format!("a value does not serialise: {e}")))
    }

    /// A list of values, for [`Dialect::any`].
    pub fn list<T: Into<Value>>(items: impl IntoIterator<Item = T>) -> Self {
        Value::List(items.into_iter().map(Into::into).collect())
    }
}

macro_rules! value_from {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from($v: $t) -> Self {
                $e
            }
        })*
    };
}

value_from! {
    i64 => |n| Value::Int(n),
    u32 => |n| Value::Int(i64::from(n)),
    u64 => |n| i64::try_from(n).map_or(Value::TooLarge(n), Value::Int),
    usize => |n| i64::try_from(n).map_or(Value::TooLarge(u64::MAX), Value::Int),
    f64 => |x| Value::Real(x),
    bool => |b| Value::Bool(b),
    String => |s| Value::Text(s),
    &str => |s| Value::Text(s.to_owned()),
    &String => |s| Value::Text(s.clone()),
    Uuid => |u| Value::Uuid(u),
    DateTime<Utc> => |t| Value::Time(t),
    DateTime<FixedOffset> => |t| Value::Time(t.to_utc()),
    CaseState => |s| Value::Text(s.as_str().to_owned()),
    &CellCode => |c| Value::Text(c.as_str().to_owned()),
}

macro_rules! id_value {
    ($($t:ty),*) => {
        $(impl From<$t> for Value {
            fn from(id: $t) -> Self {
                Value::Uuid(*id.as_uuid())
            }
        }
        impl FromValue for $t {
            fn from_value(v: &Value) -> Result<Self, String> {
                <$t>::try_from(Uuid::from_value(v)?).map_err(|e| e.to_string())
            }
        })*
    };
}

id_value!(ReportId, DeviceId, UserId, PhotoId, TaskId);

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a statement: `params![a, b, c]`.
macro_rules! params {
    ($($v:expr),* $(,)?) => {
        vec![$($crate::store::sql::Value::from($v)),*]
    };
}
pub(crate) use params;

/// A column value read back into a Rust type; `Err` says what was found instead.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self, String>;
}

fn found(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Text(s) | Value::Json(s) => format!("{:?}", s.chars().take(40).collect::<String>()),
        other => format!("{other:?}"),
    }
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Int(n) => Ok(*n),
            Value::Bool(b) => Ok(i64::from(*b)),
            other => Err(format!("an integer, not {}", found(other))),
        }
    }
}

impl FromValue for u64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        let n = i64::from_value(v)?;
        u64::try_from(n).map_err(|_| format!("a count, not {n}"))
    }
}

impl FromValue for u32 {
    fn from_value(v: &Value) -> Result<Self, String> {
        let n = i64::from_value(v)?;
        u32::try_from(n).map_err(|_| format!("a small count, not {n}"))
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Real(x) => Ok(*x),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(n) => Ok(*n as f64),
            other => Err(format!("a number, not {}", found(other))),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::Int(n) => Ok(*n != 0),
            other => Err(format!("a truth value, not {}", found(other))),
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Text(s) | Value::Json(s) => Ok(s.clone()),
            Value::Uuid(u) => Ok(u.to_string()),
            other => Err(format!("text, not {}", found(other))),
        }
    }
}

impl FromValue for Uuid {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Uuid(u) => Ok(*u),
            Value::Text(s) => Uuid::parse_str(s).map_err(|e| format!("a UUID, not {s:?}: {e}")),
            other => Err(format!("a UUID, not {}", found(other))),
        }
    }
}

impl FromValue for DateTime<Utc> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Time(t) => Ok(*t),
            Value::Text(s) => parse_time(s),
            other => Err(format!("a time, not {}", found(other))),
        }
    }
}

/// Reads a time as SQLite keeps it: `2026-11-21 09:00:00.123+00:00` (rusqlite's form) or
/// RFC 3339 (`2026-11-21T09:00:00Z`, as some migrations wrote it).
fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_str(s, "%F %T%.f%:z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .map(|t| t.to_utc())
        .map_err(|e| format!("a time, not {s:?}: {e}"))
}

impl FromValue for CaseState {
    fn from_value(v: &Value) -> Result<Self, String> {
        String::from_value(v)?.parse().map_err(|e| format!("{e}"))
    }
}

impl FromValue for CellCode {
    fn from_value(v: &Value) -> Result<Self, String> {
        String::from_value(v)?.parse().map_err(|e| format!("{e}"))
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A JSON column read into `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromValue for Json<T> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Json(s) | Value::Text(s) => serde_json::from_str(s)
                .map(Json)
                .map_err(|e| format!("JSON of the expected shape ({e})")),
            other => Err(format!("JSON, not {}", found(other))),
        }
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `i` as a `T`; a value of another shape is [`StoreError::Corrupt`].
    pub fn get<T: FromValue>(&self, i: usize) -> StoreResult<T> {
        let v = self.0.get(i).unwrap_or(&Value::Null);
        T::from_value(v).map_err(|e| StoreError::Corrupt(format!("column {i}: expected {e}")))
    }

    /// Column `i`, a JSON column, read into a `T`.
    pub fn json<T: DeserializeOwned>(&self, i: usize) -> StoreResult<T> {
        self.get::<Json<T>>(i).map(|j| j.0)
    }

    /// Column `i` of a nullable JSON column.
    pub fn json_opt<T: DeserializeOwned>(&self, i: usize) -> StoreResult<Option<T>> {
        Ok(self.get::<Option<Json<T>>>(i)?.map(|j| j.0))
    }
}

/// A column's type, for the backends that must name it (PostgreSQL casts the arrays it
/// inserts many rows from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Int,
    Real,
    Bool,
    Text,
    Uuid,
    Time,
    Json,
}

/// What differs between the SQL of the two databases, named in one place per backend.
#[derive(Clone, Copy)]
pub struct Dialect {
    pub name: &'static str,
    /// Appended to a `SELECT` that reads rows the transaction will write: PostgreSQL locks
    /// them (`FOR NO KEY UPDATE`, which still lets other transactions check foreign keys
    /// against them); SQLite's write transactions already exclude every other writer.
    pub lock: &'static str,
    /// `expr` equals one of the list bound at parameter `n` ([`Value::List`]).
    pub any: fn(expr: &str, n: usize) -> String,
    /// The text of field `key` of the JSON column `column`.
    pub json_text: fn(column: &str, key: &str) -> String,
    /// Appended to a text column in `ORDER BY` to sort it by bytes (code point order), as
    /// SQLite does by default, rather than by the server's locale.
    pub bytewise: &'static str,
}

impl fmt::Debug for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// How a unit of work uses the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads that need no common snapshot (each statement on its own).
    Read,
    /// Reads that must see one consistent state.
    Snapshot,
    /// Reads and writes that must not interleave with other writers' on the same rows.
    Write,
}

/// A database session inside one unit of work.
#[async_trait]
pub trait Sql: Send {
    fn dialect(&self) -> Dialect;

    /// Runs a statement and returns its rows (of a `RETURNING` clause too).
    async fn query(&mut self, sql: &str, params: Vec<Value>) -> StoreResult<Vec<Row>>;

    /// Runs a statement and returns how many rows it changed.
    async fn execute(&mut self, sql: &str, params: Vec<Value>) -> StoreResult<u64>;

    /// Inserts `rows` (at least one) into `table`'s `columns` (`tail` may be an
    /// `ON CONFLICT` clause), in as few statements as the backend can; callers use
    /// [`insert_many`](#method.insert_many), which allows none.
    async fn insert_rows(
        &mut self,
        table: &str,
        columns: &[(&str, Ty)],
        rows: Vec<Vec<Value>>,
        tail: &str,
    ) -> StoreResult<()>;

    /// Runs a script of statements without parameters (a migration).
    async fn script(&mut self, sql: &str) -> StoreResult<()>;

    /// Ends the unit's transaction: commits, or rolls back. Only the backend calls it.
    async fn finish(&mut self, commit: bool) -> StoreResult<()>;
}

impl dyn Sql + '_ {
    /// The only row of a statement; none is [`StoreError::Corrupt`] (the caller knows
    /// there is one).
    pub async fn one(&mut self, sql: &str, params: Vec<Value>) -> StoreResult<Row> {
        self.opt(sql, params)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("no row from {}", first_words(sql))))
    }

    /// Inserts `rows` into `table`'s `columns` (`tail` may be an `ON CONFLICT` clause), in
    /// as few statements as the backend can; no rows, no statement.
    pub async fn insert_many(
        &mut self,
        table: &str,
        columns: &[(&str, Ty)],
        rows: Vec<Vec<Value>>,
        tail: &str,
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.insert_rows(table, columns, rows, tail).await
    }

    /// The first row of a statement, if any.
    pub async fn opt(&mut self, sql: &str, params: Vec<Value>) -> StoreResult<Option<Row>> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }
}

fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ")
}

/// A session of one unit of work, owned while the work runs.
pub type Session = Box<dyn Sql>;

/// The work of one transaction: it takes the session, and gives it back with its answer
/// (so the backend can commit or roll back). Owning the session, rather than borrowing
/// it, keeps the work's future free of higher-ranked lifetimes, for which the compiler
/// cannot always prove `Send`.
pub type Work<T> =
    Box<dyn FnOnce(Session) -> BoxFuture<'static, (Session, StoreResult<T>)> + Send + 'static>;

/// A database the shared statements run on: the two backends.
#[async_trait]
pub trait Database: Send + Sync + fmt::Debug + 'static {
    /// Runs `work` in one transaction of the given mode; commits on `Ok`, rolls back on
    /// `Err`.
    async fn run<T: Send + 'static>(&self, mode: Mode, work: Work<T>) -> StoreResult<T>;
}

/// Runs a unit of work: `tx!(db, Mode::Write, |tx| { … })` with `tx: &mut dyn Sql`; the
/// block's value (a `StoreResult`) is the answer, and `return` leaves the block.
macro_rules! tx {
    ($db:expr, $mode:expr, |$tx:ident| $body:block) => {
        $crate::store::sql::Database::run(
            $db,
            $mode,
            Box::new(move |mut session: $crate::store::sql::Session| {
                Box::pin(async move {
                    let result = {
                        let $tx: &mut dyn $crate::store::sql::Sql = &mut *session;
                        async move { $body }.await
                    };
                    (session, result)
                })
            }),
        )
        .await
    };
}
pub(crate) use tx;

/// Refuses, in words, parameters the databases cannot hold ([`Value::TooLarge`]), before
/// anything is sent.
pub fn check_values(params: &[Value]) -> StoreResult<()> {
    match params.iter().find(|p| matches!(p, Value::TooLarge(_))) {
        Some(Value::TooLarge(n)) => Err(StoreError::Invalid(msg!(VALUE_TOO_LARGE, n = n))),
        _ => Ok(()),
    }
}

/// The text a serde enum is stored as (`"event"`, `"urgent"`, `"leader"`).
pub(crate) fn tag<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A serde enum back from its stored text.
pub(crate) fn untag<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| StoreError::Corrupt(format!("{s:?}: {e}")))
}

/// Column `i` of `row` as a serde enum stored by [`tag`].
pub(crate) fn tagged<T: DeserializeOwned>(row: &Row, i: usize) -> StoreResult<T> {
    untag(&row.get::<String>(i)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_back_in_both_stored_forms() {
        let t = parse_time("2026-11-21 09:00:00.5+00:00").expect("rusqlite's form");
        assert_eq!(t.to_rfc3339(), "2026-11-21T09:00:00.500+00:00");
        let t = parse_time("1970-01-01T00:00:00Z").expect("RFC 3339");
        assert_eq!(t.timestamp(), 0);
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn values_of_the_wrong_shape_say_what_they_are() {
        let row = Row(vec![Value::Text("x".into()), Value::Int(-1), Value::Null]);
        let e = row.get::<i64>(0).expect_err("text is no integer");
        assert!(e.to_string().contains("an integer, not \"x\""), "{e}");
        assert!(row.get::<u64>(1).is_err(), "a count is never negative");
        assert_eq!(row.get::<Option<String>>(2).expect("null"), None);
        assert_eq!(Value::from(u64::MAX), Value::TooLarge(u64::MAX));
        assert_eq!(Value::from(7u64), Value::Int(7));
    }
}
