//! What a migration did to pre-existing data, measured in its own transaction before COMMIT:
//! rows inserted, updated and deleted per table (`pg_stat_get_xact_tuples_*`, the counters of
//! `pg_stat_xact_user_tables`, which count this transaction alone, never the application's
//! concurrent traffic), tables truncated or rewritten (a new `relfilenode`), tables dropped;
//! and, from the catalog diff after it, the columns it dropped. Row figures before come from
//! the statistics, not from scanning.

use std::collections::{BTreeSet, HashMap, HashSet};

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use crate::db::quote_ident;
use crate::db::snapshot::{Kind, Scope, Snapshot, SnapshotDiff};
use crate::run_result::TableChange;

/// Schemas whose tables are never pre-existing data: the system's and pgstage's own.
const USER_TABLES: &str = "c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstage') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// At most this many tables of unknown size get a bounded count before a migration.
const MAX_PROBES: usize = 2_000;

/// A bounded count reads at most this many rows of a table (a figure of at least this many
/// rows stands for "big").
const COUNT_CAP: i64 = 100_000;

/// A pre-existing table as it was before a migration.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    schema: String,
    relname: String,
    relfilenode: i64,
    rows: Option<i64>,
}

/// The pre-existing tables before a migration (or a batch).
#[derive(Debug, Clone, Default)]
pub struct Before {
    tables: HashMap<u32, Table>,
    /// Every relation of the user schemas as it was before the migration: oid → (`schema.name`,
    /// `relkind`, `relfilenode`). What the lock trace follows.
    pub relations: HashMap<u32, (String, String, i64)>,
    /// The names (unqualified) of them all, and of the tables, partitioned tables and
    /// materialized views among them: a statement that names none of them cannot lock one
    /// (but for code it runs).
    pub relation_names: HashSet<String>,
    pub table_names: HashSet<String>,
    /// The database has enabled event triggers (code that may run after any DDL statement).
    pub event_triggers: bool,
    /// The row counters as last read in the open transaction: at its start ([`Before::begin`]),
    /// then after each migration of a batch.
    counted: HashMap<u32, (i64, i64, i64)>,
}

/// Read the pre-existing tables of `baseline` (by name) with their storage and row estimate;
/// outside the migration's transaction, so the counts hold no lock while it runs. Tables
/// counted by an earlier migration of the run (`counted`, by oid) are not counted again. Only
/// the relations `scope` covers are read (filtered on the server).
pub async fn before(
    client: &Client,
    baseline: &Snapshot,
    scope: &Scope,
    counted: &mut HashMap<u32, i64>,
) -> Result<Before, tokio_postgres::Error> {
    let pre_existing: BTreeSet<&str> = baseline.names(Kind::Table).map(String::as_str).collect();
    let rows = client
        .query_typed(
            &format!(
                "SELECT c.oid, n.nspname, c.relname, c.relfilenode::int8,
                        greatest(c.reltuples::int8, pg_catalog.pg_stat_get_live_tuples(c.oid)), c.relkind::text,
                        EXISTS (SELECT FROM pg_catalog.pg_event_trigger WHERE evtenabled <> 'D')
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE {USER_TABLES} AND {in_scope}",
                USER_TABLES =
                    USER_TABLES.replace("c.relkind IN ('r', 'm')", "c.relkind IN ('r', 'p', 'm', 'i', 'I', 'S', 'v', 'f')"),
                in_scope = scope.relation_sql("c"),
            ),
            &[],
        )
        .await?;
    let mut tables = HashMap::new();
    let mut relations = HashMap::new();
    let mut table_names = HashSet::new();
    let mut relation_names = HashSet::new();
    let event_triggers = rows.first().is_some_and(|r| r.get(6));
    for r in &rows {
        let (schema, relname, relkind): (String, String, String) = (r.get(1), r.get(2), r.get(5));
        let name = format!("{schema}.{relname}");
        if matches!(relkind.as_str(), "r" | "p" | "m") {
            table_names.insert(relname.clone());
        }
        relation_names.insert(relname.clone());
        relations.insert(r.get::<_, u32>(0), (name.clone(), relkind.clone(), r.get(3)));
        if !matches!(relkind.as_str(), "r" | "m") || !pre_existing.contains(name.as_str()) {
            continue;
        }
        let estimate: i64 = r.get(4);
        let rows = (estimate > 0).then_some(estimate);
        tables.insert(r.get::<_, u32>(0), Table { name, schema, relname, relfilenode: r.get(3), rows });
    }
    // Statistics say nothing (never analyzed) or zero: count, reading at most COUNT_CAP rows.
    for (oid, t) in tables.iter_mut().filter(|(_, t)| t.rows.is_none()) {
        t.rows = counted.get(oid).copied();
    }
    let mut unknown: Vec<u32> = tables.iter().filter(|(_, t)| t.rows.is_none()).map(|(oid, _)| *oid).take(MAX_PROBES).collect();
    if !unknown.is_empty() {
        // Not those another session holds (or waits for) in ACCESS EXCLUSIVE: the count would
        // wait for it, and their rows are only a figure for the findings (left unknown).
        let held: HashSet<u32> = client
            .query_typed(
                "SELECT relation FROM pg_catalog.pg_locks
                 WHERE relation = ANY ($1) AND mode = 'AccessExclusiveLock' AND pid <> pg_catalog.pg_backend_pid()",
                &[(&unknown, Type::OID_ARRAY)],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        unknown.retain(|oid| !held.contains(oid));
    }
    if !unknown.is_empty() {
        let sql = unknown
            .iter()
            .map(|oid| {
                let t = &tables[oid];
                format!(
                    "SELECT {oid}::oid, (SELECT count(*) FROM (SELECT 1 FROM {}.{} LIMIT {COUNT_CAP}) s)",
                    quote_ident(&t.schema),
                    quote_ident(&t.relname)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let counts = match client.query(&sql, &[]).await {
            Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => vec![],
            counts => counts?,
        };
        for r in counts {
            let (oid, n): (u32, i64) = (r.get(0), r.get(1));
            if let Some(t) = tables.get_mut(&oid) {
                t.rows = Some(n);
                counted.insert(oid, n);
            }
        }
    }
    Ok(Before { tables, relations, relation_names, table_names, event_triggers, counted: HashMap::new() })
}

impl Before {
    /// Open the migration's (or the batch's) transaction with `begin_sql` and, in the same
    /// round trip, read the row counters of the pre-existing tables as they stand at its start.
    /// Those counters (`pg_stat_get_xact_tuples_*`) still hold the session's earlier
    /// transactions until the server flushes them (about once a second when idle, on every
    /// version), so the migration's own changes are their difference at its end
    /// ([`Before::after`]), never their value.
    pub async fn begin(&mut self, client: &Client, begin_sql: &str) -> Result<(), tokio_postgres::Error> {
        let oids: Vec<String> = self.tables.keys().map(u32::to_string).collect();
        let sql = format!(
            "{begin_sql};\nSELECT c.oid, pg_catalog.pg_stat_get_xact_tuples_inserted(c.oid), \
             pg_catalog.pg_stat_get_xact_tuples_updated(c.oid), pg_catalog.pg_stat_get_xact_tuples_deleted(c.oid) \
             FROM pg_catalog.pg_class c WHERE c.oid = ANY ('{{{}}}'::pg_catalog.oid[])",
            oids.join(",")
        );
        self.counted.clear();
        for m in client.simple_query(&sql).await? {
            let tokio_postgres::SimpleQueryMessage::Row(r) = m else { continue };
            let n = |i: usize| r.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            if let Some(oid) = r.get(0).and_then(|v| v.parse::<u32>().ok()) {
                self.counted.insert(oid, (n(1), n(2), n(3)));
            }
        }
        Ok(())
    }

    /// Rows of each pre-existing table before the migration (statistics; `None`: unknown).
    pub fn rows(&self) -> HashMap<String, Option<i64>> {
        self.tables.values().map(|t| (t.name.clone(), t.rows)).collect()
    }

    /// Inside the migration's transaction, after its statements: what it did to each
    /// pre-existing table. Updates `self` so that the next migration of a batch is measured
    /// from here.
    pub async fn after(&mut self, client: &Client) -> Result<Vec<TableChange>, tokio_postgres::Error> {
        let oids: Vec<u32> = self.tables.keys().copied().collect();
        let rows = client
            .query_typed(
                "SELECT c.oid, c.relfilenode::int8, pg_catalog.pg_stat_get_xact_tuples_inserted(c.oid),
                        pg_catalog.pg_stat_get_xact_tuples_updated(c.oid), pg_catalog.pg_stat_get_xact_tuples_deleted(c.oid)
                 FROM pg_catalog.pg_class c WHERE c.oid = ANY($1)",
                &[(&oids, Type::OID_ARRAY)],
            )
            .await?;
        let mut seen = BTreeSet::new();
        let mut changes = Vec::new();
        for r in &rows {
            let oid: u32 = r.get(0);
            seen.insert(oid);
            let Some(table) = self.tables.get(&oid).cloned() else { continue };
            let counts: (i64, i64, i64) = (r.get(2), r.get(3), r.get(4));
            let earlier = self.counted.insert(oid, counts).unwrap_or_default();
            let (inserted, updated, deleted) = (counts.0 - earlier.0, counts.1 - earlier.1, counts.2 - earlier.2);
            let relfilenode: i64 = r.get(1);
            let new_storage = relfilenode != table.relfilenode;
            let mut change = TableChange {
                table: table.name.clone(),
                inserted,
                updated,
                deleted,
                rows_before: table.rows,
                ..Default::default()
            };
            if new_storage {
                let sql = format!("SELECT EXISTS (SELECT 1 FROM {}.{})", quote_ident(&table.schema), quote_ident(&table.relname));
                let any: bool = client.query_one(&sql, &[]).await?.get(0);
                // Emptied, and not known to have been empty: truncated (TRUNCATE does not
                // count in n_tup_del). New storage with rows kept: rewritten.
                change.truncated = !any && table.rows != Some(0);
                change.rewritten = !change.truncated;
                if let Some(t) = self.tables.get_mut(&oid) {
                    t.relfilenode = relfilenode;
                }
            }
            if inserted != 0 || updated != 0 || deleted != 0 || new_storage {
                changes.push(change);
            }
        }
        for (oid, table) in &self.tables {
            if !seen.contains(oid) {
                changes.push(TableChange {
                    table: table.name.clone(),
                    dropped: true,
                    rows_before: table.rows,
                    ..Default::default()
                });
            }
        }
        self.tables.retain(|oid, _| seen.contains(oid));
        changes.sort_by(|a, b| a.table.cmp(&b.table));
        Ok(changes)
    }
}

/// Add the columns of pre-existing tables that `diff` (before → after one migration, or a
/// batch) shows dropped. `pre_existing` is the baseline.
pub fn add_dropped_columns(changes: &mut Vec<TableChange>, diff: &SnapshotDiff, pre_existing: &Snapshot) {
    let baseline_tables = pre_existing.objects.get(&Kind::Table);
    for c in diff.changed.iter().filter(|c| c.object.kind == Kind::Table) {
        if !baseline_tables.is_some_and(|t| t.contains_key(&c.object.name)) {
            continue;
        }
        let after: BTreeSet<String> = column_names(&c.after).into_iter().collect();
        let dropped: Vec<String> = column_names(&c.before).into_iter().filter(|col| !after.contains(col)).collect();
        if dropped.is_empty() {
            continue;
        }
        match changes.iter_mut().find(|t| t.table == c.object.name) {
            Some(t) => t.dropped_columns.extend(dropped),
            None => changes.push(TableChange { table: c.object.name.clone(), dropped_columns: dropped, ..Default::default() }),
        }
    }
    changes.sort_by(|a, b| a.table.cmp(&b.table));
}

/// Column names of a snapshot table definition ("name type[ not null][ default …], …"):
/// split at the commas outside quotes, parentheses and brackets; unquoted.
pub fn column_names(definition: &str) -> Vec<String> {
    let mut names = Vec::new();
    let (mut depth, mut single, mut double) = (0i32, false, false);
    let mut start = 0;
    let bytes = definition.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'(' | b'[' if !single && !double => depth += 1,
            b')' | b']' if !single && !double => depth -= 1,
            b',' if !single && !double && depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                names.push(first_identifier(&definition[start..i]));
                start = i + 2;
            }
            _ => {}
        }
    }
    if !definition[start..].trim().is_empty() {
        names.push(first_identifier(&definition[start..]));
    }
    names
}

fn first_identifier(column: &str) -> String {
    let column = column.trim_start();
    if let Some(rest) = column.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    name.push('"');
                    chars.next();
                }
                '"' => break,
                c => name.push(c),
            }
        }
        name
    } else {
        column.split(' ').next().unwrap_or_default().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_split_outside_quotes_and_parentheses() {
        let def = r#"id uuid not null default gen_random_uuid(), "we, ird""x" text default 'a, b'::text, tags text[] default ARRAY['x', 'y'], n numeric(10, 2)"#;
        assert_eq!(column_names(def), ["id", "we, ird\"x", "tags", "n"]);
        assert!(column_names("").is_empty());
    }
}
