//! The ledger, the recorded baseline and the runner lock, in the database's own `pgstage`
//! schema.
//!
//! The ledger (`pgstage.ledger`) records each applied migration: checksum, timing, run id,
//! operator, and what it did to pre-existing data. A file whose checksum differs from the
//! recorded one is drift. The checksum ([`migration_checksum`]) is the SHA-256 of the file's
//! bytes; for a file that includes others (psql's `\i` / `\ir`), the SHA-256 of the SHA-256s
//! of the file and of each file it includes, so that a changed included file is drift too. The recorded baseline (`pgstage.baseline`) keeps, per plan, the
//! pre-flight results and the catalog snapshot taken before its first migration was applied,
//! so that a resumed or repeated run judges against the state before the batch. The lock is a
//! session advisory lock: one runner per database; a second one learns which run holds it
//! and since when (from the holder's `application_name` and `backend_start`).

use sha2::{Digest, Sha256};
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::{DbError, quote_literal};

/// The advisory lock key: "pgstage" in ASCII, so it is recognisable in `pg_locks`.
pub const LOCK_KEY: i64 = 0x0070_6773_7461_6765;

/// SHA-256 of a file's bytes, hex.
pub fn checksum(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The checksum the ledger records for a migration file of bytes `own` (its SHA-256, hex:
/// [`checksum`]) that includes the files of SHA-256 `included` (hex, in the order psql reads
/// them): `own` itself when it includes none (what pgstage has always recorded); else the
/// SHA-256 of their hex SHA-256s, the file's own first, each on a line ending in `\n`, which
/// `sha256sum FILE INCLUDED… | cut -c1-64 | sha256sum` gives.
pub fn migration_checksum<'a>(own: &str, included: impl IntoIterator<Item = &'a str>) -> String {
    let mut included = included.into_iter().peekable();
    if included.peek().is_none() {
        return own.to_owned();
    }
    let mut lines = format!("{own}\n");
    for sha in included {
        lines += sha;
        lines += "\n";
    }
    checksum(lines.as_bytes())
}

/// For a file whose checksum differs from the one recorded: when the recorded one is of the
/// same text with other line endings (CRLF and LF swapped, with or without a byte-order
/// mark), the sentence that says so and what to do; else nothing. The ledger's checksum is of
/// the bytes, so such a file is still refused (README, "Drift").
pub fn line_endings_note(recorded: &str, script: &str) -> String {
    let lf = script.replace("\r\n", "\n");
    let crlf = lf.replace('\n', "\r\n");
    let same = [lf, crlf]
        .iter()
        .any(|text| checksum(text.as_bytes()) == recorded || checksum(format!("\u{feff}{text}").as_bytes()) == recorded);
    if same {
        " (only the line endings differ: the statements are the same, but the ledger records the file's bytes; restore \
         the line endings it was applied with, e.g. check git's core.autocrlf or the editor's setting)"
            .to_owned()
    } else {
        String::new()
    }
}

/// How a drift message names the files a migration includes (as shown, in the order read,
/// each once): ` and the files it includes (a.sql, b.sql)`; nothing when none.
pub fn included_words<'a>(included: impl IntoIterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for name in included {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() { String::new() } else { format!(" and the files it includes ({})", names.join(", ")) }
}

/// For a migration that includes files (`includes`) whose recorded checksum is of its own
/// bytes alone (`own`: as pgstage recorded it before the checksum covered included files):
/// the sentence that says the file itself is unchanged and how to record the new checksum
/// (`now`) once the included files are known to be as applied; else nothing.
pub fn own_bytes_note(recorded: &str, own: &str, now: &str, migration: &str, includes: bool) -> String {
    if !includes || recorded != own {
        return String::new();
    }
    format!(
        " (the ledger's checksum is of this file alone, as recorded before pgstage's checksum covered the files a \
         migration includes: the file itself is unchanged, the files it includes cannot be compared; if they are as \
         applied, record the new checksum: UPDATE pgstage.ledger SET checksum = '{now}' WHERE migration = {})",
        quote_literal(migration)
    )
}

/// What the ledger knows of one migration.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub migration: String,
    pub checksum: String,
    pub run_id: String,
    pub applied_at: String,
    pub operator: String,
    pub duration_ms: f64,
    /// What it did to pre-existing data (JSON), when the run that applied it recorded it.
    pub data: Option<String>,
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
             );
             ALTER TABLE pgstage.ledger ADD COLUMN IF NOT EXISTS data_changes jsonb;
             CREATE TABLE IF NOT EXISTS pgstage.baseline (
                 plan_key    text PRIMARY KEY,
                 plan        text NOT NULL,
                 run_id      text NOT NULL,
                 recorded_at timestamptz NOT NULL DEFAULT now(),
                 preflight   jsonb NOT NULL,
                 snapshot    jsonb NOT NULL
             );",
        )
        .await
        .map_err(DbError::query)
}

async fn table_exists(client: &Client, table: &str) -> Result<bool, DbError> {
    let rows = client.query_typed("SELECT to_regclass($1) IS NOT NULL", &[(&table, Type::TEXT)]).await.map_err(DbError::query)?;
    Ok(rows.first().is_some_and(|r| r.get(0)))
}

/// The ledger entry of `migration`, if applied. `None` also when there is no ledger yet
/// (unless `exists`: the caller made sure there is one).
pub async fn entry(client: &Client, migration: &str, exists: bool) -> Result<Option<Entry>, DbError> {
    if !exists && !table_exists(client, "pgstage.ledger").await? {
        return Ok(None);
    }
    // One round trip each (no separate prepare): this runs before every migration.
    let rows = client
        .query_typed(
            "SELECT migration, checksum, run_id, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    operator, duration_ms, to_jsonb(l) ->> 'data_changes'
             FROM pgstage.ledger l WHERE migration = $1",
            &[(&migration, Type::TEXT)],
        )
        .await
        .map_err(DbError::query)?;
    let row = rows.into_iter().next();
    Ok(row.map(|r| Entry {
        migration: r.get(0),
        checksum: r.get(1),
        run_id: r.get(2),
        applied_at: r.get(3),
        operator: r.get(4),
        duration_ms: r.get(5),
        data: r.get(6),
    }))
}

/// Which of `migrations` the ledger holds (none when there is no ledger yet).
pub async fn applied_of(client: &Client, migrations: &[String]) -> Result<Vec<String>, DbError> {
    if !table_exists(client, "pgstage.ledger").await? {
        return Ok(Vec::new());
    }
    let rows = client
        .query("SELECT migration FROM pgstage.ledger WHERE migration = ANY($1) ORDER BY migration", &[&migrations])
        .await
        .map_err(DbError::query)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// A baseline recorded when a plan's first migration was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedBaseline {
    pub run_id: String,
    pub recorded_at: String,
    /// The pre-flight results then (JSON).
    pub preflight: String,
    /// The catalog snapshot then (JSON).
    pub snapshot: String,
}

/// The baseline recorded for the plan whose first migration is `plan_key`.
pub async fn recorded_baseline(client: &Client, plan_key: &str) -> Result<Option<RecordedBaseline>, DbError> {
    if !table_exists(client, "pgstage.baseline").await? {
        return Ok(None);
    }
    let row = client
        .query_opt(
            "SELECT run_id, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), preflight::text, snapshot::text
             FROM pgstage.baseline WHERE plan_key = $1",
            &[&plan_key],
        )
        .await
        .map_err(DbError::query)?;
    Ok(row.map(|r| RecordedBaseline { run_id: r.get(0), recorded_at: r.get(1), preflight: r.get(2), snapshot: r.get(3) }))
}

/// Record (or replace) the baseline of the plan whose first migration is `plan_key`; run in
/// the transaction of the first migration applied, so both commit together.
pub async fn record_baseline(
    client: &Client,
    plan_key: &str,
    plan: &str,
    run_id: &str,
    preflight_json: &str,
    snapshot_json: &str,
) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO pgstage.baseline (plan_key, plan, run_id, preflight, snapshot) VALUES ($1, $2, $3, $4::text::jsonb, $5::text::jsonb)
             ON CONFLICT (plan_key) DO UPDATE SET plan = EXCLUDED.plan, run_id = EXCLUDED.run_id, recorded_at = now(),
                 preflight = EXCLUDED.preflight, snapshot = EXCLUDED.snapshot",
            &[&plan_key, &plan, &run_id, &preflight_json, &snapshot_json],
        )
        .await
        .map_err(DbError::query)?;
    Ok(())
}

/// The statement that records an applied migration; run inside the migration's transaction
/// so that the migration and its ledger row commit together or not at all. `data` is what it
/// did to pre-existing data, as JSON.
#[allow(clippy::too_many_arguments)]
pub fn record_sql(
    migration: &str,
    file: &str,
    checksum: &str,
    duration_ms: f64,
    run_id: &str,
    operator: &str,
    plan: &str,
    data: &str,
) -> String {
    format!(
        "INSERT INTO pgstage.ledger (migration, file, checksum, duration_ms, run_id, operator, plan, data_changes) VALUES ({}, {}, {}, {duration_ms}, {}, {}, {}, {}::jsonb)",
        quote_literal(migration),
        quote_literal(file),
        quote_literal(checksum),
        quote_literal(run_id),
        quote_literal(operator),
        quote_literal(plan),
        quote_literal(data)
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
    fn a_change_of_line_endings_only_is_named() {
        let lf = "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n";
        let crlf = lf.replace('\n', "\r\n");
        assert!(line_endings_note(&checksum(lf.as_bytes()), &crlf).starts_with(" (only the line endings differ"));
        assert!(line_endings_note(&checksum(crlf.as_bytes()), lf).starts_with(" (only the line endings differ"));
        assert_eq!(line_endings_note(&checksum(lf.as_bytes()), &lf.replace("1", "2")), "");
    }

    #[test]
    fn a_migration_without_includes_keeps_the_plain_sha256_and_one_with_includes_covers_them() {
        let (abc, def) = (checksum(b"abc"), checksum(b"def"));
        assert_eq!(migration_checksum(&abc, []), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // `printf abc > a.sql; printf def > b.sql; sha256sum a.sql b.sql | cut -c1-64 | sha256sum`
        let both = migration_checksum(&abc, [def.as_str()]);
        assert_eq!(both, "de7ad4a6c2f0daea4b2e717eba13e90728ecb1f46840b4450916325b95905ea1");
        assert_ne!(migration_checksum(&abc, [def.as_str(), def.as_str()]), both, "each read counts");
        assert_ne!(migration_checksum(&def, [abc.as_str()]), both, "in order");
    }

    #[test]
    fn a_checksum_of_the_file_alone_is_told_as_such_for_a_file_with_includes() {
        let note = own_bytes_note("aaa", "aaa", "bbb", "013", true);
        assert!(note.contains("of this file alone") && note.ends_with("SET checksum = 'bbb' WHERE migration = '013')"), "{note}");
        assert_eq!(own_bytes_note("aaa", "aaa", "aaa", "013", false), "", "no includes: no such note");
        assert_eq!(own_bytes_note("ccc", "aaa", "bbb", "013", true), "", "another checksum: changed");
        assert_eq!(included_words(["a.sql", "b.sql", "a.sql"]), " and the files it includes (a.sql, b.sql)");
        assert_eq!(included_words([]), "");
    }

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(checksum(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
