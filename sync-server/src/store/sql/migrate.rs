//! The one migration runner. Each backend has its numbered SQL files
//! (`sync-server/migrations/{sqlite,postgres}/NNNN_*.sql`, never edited once landed) and
//! keeps the number applied its own way ([`Ledger`]); the runner applies the missing
//! ones, in order, in one transaction, so a half-migrated database cannot happen, and
//! refuses a database from a newer server rather than touch it.

use super::{Database, Mode, Sql, params, tx};
use crate::store::{StoreError, StoreResult};

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
        return Err(StoreError::Invalid(format!(
            "the database has schema {current}, newer than this server's {known}: \
             run a newer gridwalk-sync"
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
