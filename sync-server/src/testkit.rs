//! Real case stores for tests, of either kind: what the server's own tests and the
//! system tests (`tests/`) share. Not used by the server itself.
//!
//! SQLite is a file in a directory the test owns; PostgreSQL is `GRIDWALK_TEST_PG`
//! (default: the local `test` database), each store in a schema of its own that the test
//! drops when it passes ([`drop_schema`]), so tests run side by side. Every store comes
//! with the fixtures loaded. [`on_every_backend!`](crate::on_every_backend) makes one
//! `#[tokio::test]` per backend of each scenario `async fn name(backend: Backend)`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::services::admin;
use crate::store::CaseStore;
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The repository's `fixtures/` directory.
#[must_use]
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The PostgreSQL the tests use.
#[must_use]
pub fn pg_url() -> String {
    std::env::var("GRIDWALK_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres:gridwalk@127.0.0.1:5432/test".into())
}

/// Runs SQL on the test PostgreSQL outside any test schema.
///
/// # Panics
/// When PostgreSQL cannot be reached or refuses the SQL: the test cannot go on.
pub async fn pg_execute(sql: &str) {
    let (client, conn) = tokio_postgres::connect(&pg_url(), tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", pg_url()));
    tokio::spawn(conn);
    client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Drops a test's PostgreSQL schema (left in place when a test fails, for a look).
pub async fn drop_schema(schema: Option<String>) {
    if let Some(schema) = schema {
        pg_execute(&format!("DROP SCHEMA {schema} CASCADE")).await;
    }
}

/// A fresh case store of the given kind, with the fixtures loaded (SQLite under `dir`);
/// for PostgreSQL, also the schema it lives in.
///
/// # Panics
/// When the store cannot be opened or the fixtures loaded: the test cannot go on.
pub async fn case_store(backend: Backend, dir: &Path) -> (Arc<dyn CaseStore>, Option<String>) {
    let (store, schema): (Arc<dyn CaseStore>, _) = match backend {
        Backend::Sqlite => {
            let store = SqliteStore::open(&dir.join("cases.db"))
                .await
                .unwrap_or_else(|e| panic!("opening SQLite: {e}"));
            (Arc::new(store), None)
        }
        Backend::Postgres => {
            let schema = format!("gw_test_{}", uuid::Uuid::now_v7().simple());
            let store = PgStore::connect(&pg_url(), Some(&schema))
                .await
                .unwrap_or_else(|e| panic!("connecting to PostgreSQL: {e}"));
            (Arc::new(store), Some(schema))
        }
    };
    admin::load_fixtures(store.as_ref(), &fixtures())
        .await
        .unwrap_or_else(|e| panic!("loading the fixtures: {e:#}"));
    (store, schema)
}

/// One `#[tokio::test]` per backend for each scenario `async fn name(backend: Backend)`,
/// in modules `sqlite` and `postgres`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::testkit::Backend::Sqlite).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::testkit::Backend::Postgres).await;
            })*
        }
    };
}
