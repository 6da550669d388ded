//! The ledger and the runner lock, in the database's own `pgstage` schema.
//!
//! The ledger (`pgstage.ledger`) records each applied migration: checksum, timing, run id,
//! operator. A file whose checksum differs from the recorded one is drift. The lock is a
//! session advisory lock: one runner per database; a second one learns which run holds it
//! and since when (from the holder's `application_name` and `backend_start`).

use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use super::{DbError, quote_literal};

/// The advisory lock key: "pgstage" in ASCII, so it is recognisable in `pg_locks`.
pub const LOCK_KEY: i64 = 0x0070_6773_7461_6765;

/// SHA-256 of a file's bytes, hex.
pub fn checksum(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What the ledger knows of one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub migration: String,
    pub checksum: String,
    pub run_id: String,
    pub applied_at: String,
}

/// Create the `pgstage` schema and ledger table if missing.
pub async fn ensure(client: &Client) -> Result<(), DbError> {
    client
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS pgstage;
             CREATE TABLE IF NOT EXISTS pgstage.ledger (
                 migration   text PRIMARY KEY,
                 file        text NOT NULL,
                 checksum    text NOT NULL,
                 applied_at  timestamptz NOT NULL DEFAULT now(),
                 duration_ms double precision NOT NULL,
                 run_id      text NOT NULL,
                 operator    text NOT NULL,
                 plan        text NOT NULL
             );",
        )
        .await
        .map_err(DbError::query)
}

/// The ledger entry of `migration`, if applied. `None` also when there is no ledger yet.
pub async fn entry(client: &Client, migration: &str) -> Result<Option<Entry>, DbError> {
    let exists: bool =
        client.query_one("SELECT to_regclass('pgstage.ledger') IS NOT NULL", &[]).await.map_err(DbError::query)?.get(0);
    if !exists {
        return Ok(None);
    }
    let row = client
        .query_opt(
            "SELECT migration, checksum, run_id, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             FROM pgstage.ledger WHERE migration = $1",
            &[&migration],
        )
        .await
        .map_err(DbError::query)?;
    Ok(row.map(|r| Entry { migration: r.get(0), checksum: r.get(1), run_id: r.get(2), applied_at: r.get(3) }))
}

/// The statement that records an applied migration; run inside the migration's transaction
/// so that the migration and its ledger row commit together or not at all.
pub fn record_sql(
    migration: &str,
    file: &str,
    checksum: &str,
    duration_ms: f64,
    run_id: &str,
    operator: &str,
    plan: &str,
) -> String {
    format!(
        "INSERT INTO pgstage.ledger (migration, file, checksum, duration_ms, run_id, operator, plan) VALUES ({}, {}, {}, {duration_ms}, {}, {}, {})",
        quote_literal(migration),
        quote_literal(file),
        quote_literal(checksum),
        quote_literal(run_id),
        quote_literal(operator),
        quote_literal(plan)
    )
}

/// Forget `migrations` (after a rollback rehearsal removed their objects).
pub fn forget_sql(migrations: &[&str]) -> String {
    let list = migrations.iter().map(|m| quote_literal(m)).collect::<Vec<_>>().join(", ");
    format!("DELETE FROM pgstage.ledger WHERE migration IN ({list})")
}

/// Who holds the runner lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The holder's application_name, e.g. "pgstage run 20261124T0930Z-ab12".
    pub application: String,
    pub since: String,
    pub client: String,
}

/// Take the runner lock for this session, or say who has it.
pub async fn try_lock(client: &Client) -> Result<Result<(), Holder>, DbError> {
    let got: bool = client.query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY]).await.map_err(DbError::query)?.get(0);
    if got {
        return Ok(Ok(()));
    }
    let row = client
        .query_opt(
            "SELECT a.application_name,
                    to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),
                    coalesce(a.usename || '@' || coalesce(host(a.client_addr), 'local'), '?')
             FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
            &[&LOCK_KEY],
        )
        .await
        .map_err(DbError::query)?;
    Ok(Err(match row {
        Some(r) => Holder { application: r.get(0), since: r.get(1), client: r.get(2) },
        None => Holder { application: "another pgstage run".into(), since: "unknown".into(), client: "?".into() },
    }))
}

pub async fn unlock(client: &Client) -> Result<(), DbError> {
    client.query_one("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).await.map_err(DbError::query)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(checksum(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
