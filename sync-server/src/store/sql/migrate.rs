//! The one migration runner. Each backend has its numbered SQL files
//! (`sync-server/migrations/{sqlite,postgres}/NNNN_*.sql`, never edited once landed) and
//! keeps the number applied its own way ([`Ledger`]); the runner applies the missing
//! ones, in order, in one transaction, so a half-migrated database cannot happen, and
//! refuses a database from a newer server rather than touch it.

use super::{Database, Mode, Sql, params, tx};
use crate::store::{StoreError, StoreResult};
use gridwalk_protocol::message::msg;

/// How a backend records which migrations it has applied.
#[derive(Debug, Clone, Copy)]
pub struct Ledger {
    /// Run first in the migrating transaction (to keep other servers out while it runs).
    pub lock: Option<&'static str>,
    /// Makes sure the ledger exists.
    pub prepare: Option<&'static str>,
    /// Reads the number of migrations applied.
    pub current: &'static str,
    /// Records migration `n` as applied (`$1` is `n`, or `{n}` where a parameter cannot go).
    pub record: &'static str,
    /// A query that must return no rows after each migration (a consistency check).
    pub check: Option<&'static str>,
}

/// Applies the migrations not yet applied.
pub async fn migrate<D: Database>(
    db: &D,
    migrations: &'static [&'static str],
    ledger: Ledger,
) -> StoreResult<()> {
    tx!(db, Mode::Write, |tx| { run(tx, migrations, ledger).await })
}

async fn run(tx: &mut dyn Sql, migrations: &[&str], ledger: Ledger) -> StoreResult<()> {
    if let Some(lock) = ledger.lock {
        tx.query(lock, vec![]).await?;
    }
    if let Some(prepare) = ledger.prepare {
        tx.script(prepare).await?;
    }
    let current: u64 = tx.one(ledger.current, vec![]).await?.get(0)?;
    let known = migrations.len() as u64;
    if current > known {
        return Err(StoreError::Invalid(msg!(
            SCHEMA_NEWER,
            current = current,
            known = known
        )));
    }
    for (n, sql) in (1u64..).zip(migrations).skip_while(|(n, _)| *n <= current) {
        tx.script(sql).await?;
        if let Some(check) = ledger.check
            && let Some(row) = tx.opt(check, vec![]).await?
        {
            return Err(StoreError::Corrupt(format!(
                "migration {n} leaves a broken reference in {}",
                row.get::<String>(0)?
            )));
        }
        if ledger.record.contains("{n}") {
            tx.script(&ledger.record.replace("{n}", &n.to_string()))
                .await?;
        } else {
            tx.execute(ledger.record, params![n]).await?;
        }
    }
    Ok(())
}

/// Asserts that `migrations` holds every file of `migrations/<backend>/`, in file-name
/// order. The runner numbers a migration by its place in the list, and a store records
/// only how many it has applied: a file slotted in before one that has landed would be
/// skipped on every store already past it, and the landed one run twice.
#[cfg(test)]
pub fn assert_in_file_order(backend: &str, migrations: &[&str]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the migrations directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let names: Vec<_> = files
        .iter()
        .map(|p| {
            p.file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        files.len(),
        migrations.len(),
        "{backend}: the list and the files differ in number: {names:?}"
    );
    for (i, (file, sql)) in files.iter().zip(migrations).enumerate() {
        let text = std::fs::read_to_string(file).expect("a migration file");
        assert!(
            text == *sql,
            "{backend}: migration {} in the list is not {} (keep the list in file-name order)",
            i + 1,
            names[i]
        );
    }
}
