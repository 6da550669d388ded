//! Data integrity after the migrations: every constraint validated, and no orphaned row for
//! the foreign keys PostgreSQL does not already guarantee (or for every one, on request). No
//! data loss and privileges of new objects live in their own modules.

use std::time::Instant;

use tokio_postgres::Client;

use crate::db::DbError;
use crate::db::snapshot::Scope;
use crate::run_result::{CheckResult, Status};

/// Schemas integrity checks never look at.
const SKIP: &str = "('pg_catalog', 'information_schema', 'pgstage')";

/// A result of this section; `ok` decides pass or fail.
struct Outcome<'a> {
    id: &'a str,
    title: String,
    expected: &'a str,
    actual: String,
    ok: bool,
    sql: &'a str,
    detail: String,
}

impl Outcome<'_> {
    fn into_result(self, started: Instant) -> CheckResult {
        CheckResult {
            id: self.id.into(),
            group: "integrity".into(),
            title: self.title,
            expected: self.expected.into(),
            actual: self.actual,
            status: if self.ok { Status::Pass } else { Status::Fail },
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            sql: self.sql.into(),
            detail: self.detail,
            metric: None,
        }
    }
}

/// Constraints left `NOT VALID` (their rows were never checked), in every schema.
pub async fn constraints_validated(client: &Client) -> Result<CheckResult, DbError> {
    constraints_validated_in(client, &Scope::everything()).await
}

/// Constraints left `NOT VALID` on the tables `scope` covers.
pub async fn constraints_validated_in(client: &Client, scope: &Scope) -> Result<CheckResult, DbError> {
    let started = Instant::now();
    let sql = format!(
        "SELECT n.nspname || '.' || c.relname || '.' || k.conname
         FROM pg_catalog.pg_constraint k
         JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT k.convalidated AND n.nspname NOT IN {SKIP} AND {} ORDER BY 1",
        scope.relation_sql("c")
    );
    let rows = client.query(&sql, &[]).await.map_err(DbError::query)?;
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    Ok(Outcome {
        id: "INT-VALIDATED",
        title: "All constraints validated (none left NOT VALID)".into(),
        expected: "0 not validated",
        actual: format!("{} not validated", names.len()),
        ok: names.is_empty(),
        sql: &sql,
        detail: names.join(", "),
    }
    .into_result(started))
}

/// Which foreign keys [`no_orphans`] scans.
pub enum OrphanScope<'a> {
    /// Every foreign key (a full scan of every referencing table).
    All,
    /// NOT VALID ones, those whose enforcement triggers are disabled, and these
    /// (`schema.table.constraint`, as snapshots name them: the ones the batch added or changed).
    Unguaranteed { changed: &'a [String] },
}

/// One query per database: for the foreign keys in `scope`, the rows whose (non-null) key
/// has no parent; for a foreign key with PERIOD (PostgreSQL 18), whose period the parents with
/// the same other columns do not cover together. Runs in a read-only transaction.
pub async fn no_orphans(client: &Client, statement_timeout_ms: u64, scope: OrphanScope<'_>) -> Result<CheckResult, DbError> {
    no_orphans_in(client, statement_timeout_ms, scope, &Scope::everything()).await
}

/// [`no_orphans`] for the foreign keys of the tables `within` covers.
pub async fn no_orphans_in(
    client: &Client,
    statement_timeout_ms: u64,
    scope: OrphanScope<'_>,
    within: &Scope,
) -> Result<CheckResult, DbError> {
    let started = Instant::now();
    let (filter, changed, which) = match scope {
        OrphanScope::All => ("$1::text[] IS NOT NULL", vec![], "every foreign key"),
        OrphanScope::Unguaranteed { changed } => (
            "(NOT k.convalidated OR n.nspname || '.' || c.relname || '.' || k.conname = ANY($1)
              OR EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgconstraint = k.oid AND t.tgenabled = 'D'))",
            changed.to_vec(),
            "NOT VALID, unenforced, or added or changed by the migrations; PostgreSQL guarantees the others",
        ),
    };
    let version: i32 =
        client.query_one("SELECT current_setting('server_version_num')::int", &[]).await.map_err(DbError::query)?.get(0);
    let period = if version >= 180_000 { "k.conperiod" } else { "false" };
    let fks = client
        .query(
            &format!(
                "SELECT n.nspname || '.' || c.relname || '.' || k.conname,
                        quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                        quote_ident(pn.nspname) || '.' || quote_ident(p.relname),
                        array(SELECT quote_ident(a.attname) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
                              JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.ord),
                        array(SELECT quote_ident(a.attname) FROM unnest(k.confkey) WITH ORDINALITY u(num, ord)
                              JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num ORDER BY u.ord),
                        {period}
                 FROM pg_catalog.pg_constraint k
                 JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_catalog.pg_class p ON p.oid = k.confrelid
                 JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
                 WHERE k.contype = 'f' AND n.nspname NOT IN {SKIP} AND {filter} AND {within} ORDER BY 1",
                within = within.relation_sql("c"),
            ),
            &[&changed],
        )
        .await
        .map_err(DbError::query)?;
    if fks.is_empty() {
        let outcome = Outcome {
            id: "INT-ORPHANS",
            title: format!("No orphaned records (no foreign key to scan: {which})"),
            expected: "0 orphaned rows",
            actual: "no foreign keys to scan".into(),
            ok: true,
            sql: "",
            detail: String::new(),
        };
        return Ok(outcome.into_result(started));
    }
    let parts: Vec<String> = fks
        .iter()
        .map(|r| {
            let (name, child, parent): (String, String, String) = (r.get(0), r.get(1), r.get(2));
            let (ccols, pcols, period): (Vec<String>, Vec<String>, bool) = (r.get(3), r.get(4), r.get(5));
            let not_null = ccols.iter().map(|c| format!("c.{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
            let name = crate::db::quote_literal(&name);
            let equal = |pairs: &[String], parents: &[String]| {
                pairs.iter().zip(parents).map(|(c, p)| format!("p.{p} = c.{c}")).collect::<Vec<_>>().join(" AND ")
            };
            match (period, ccols.split_last(), pcols.split_last()) {
                (true, Some((c_period, c_rest)), Some((p_period, p_rest))) => format!(
                    "SELECT {name}::text, count(*) FROM {child} c WHERE {not_null} AND NOT coalesce(c.{c_period} <@ \
                     (SELECT range_agg(p.{p_period}) FROM {parent} p WHERE {}), false)",
                    if c_rest.is_empty() { "true".to_owned() } else { equal(c_rest, p_rest) }
                ),
                _ => format!(
                    "SELECT {name}::text, count(*) FROM {child} c WHERE {not_null} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {})",
                    equal(&ccols, &pcols)
                ),
            }
        })
        .collect();
    let sql = parts.join("\nUNION ALL\n");
    // Nested loops over the children, probing the parents' keys (always indexed): the cost
    // follows the referencing rows, never a hash of a whole big parent table.
    client
        .batch_execute(&format!(
            "BEGIN READ ONLY; SET LOCAL statement_timeout = {statement_timeout_ms};
             SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
        ))
        .await
        .map_err(DbError::query)?;
    let rows = client.query(&sql, &[]).await;
    client.batch_execute("ROLLBACK").await.map_err(DbError::query)?;
    let rows = rows.map_err(DbError::query)?;
    let orphans: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).filter(|(_, n)| *n > 0).collect();
    let total: i64 = orphans.iter().map(|(_, n)| n).sum();
    Ok(Outcome {
        id: "INT-ORPHANS",
        title: format!("No orphaned records ({} foreign keys scanned: {which})", fks.len()),
        expected: "0 orphaned rows",
        actual: format!("{total} orphaned rows"),
        ok: orphans.is_empty(),
        sql: &sql,
        detail: orphans.iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", "),
    }
    .into_result(started))
}
