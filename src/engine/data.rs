//! What a migration did to pre-existing data, measured in its own transaction before COMMIT:
//! rows inserted, updated and deleted per table (`pg_stat_get_xact_tuples_*`, the counters of
//! `pg_stat_xact_user_tables`, which count this transaction alone, never the application's
//! concurrent traffic), tables truncated or rewritten (a new `relfilenode`), tables dropped or
//! renamed, and columns dropped or renamed (by their numbers in `pg_attribute`: a renamed
//! column keeps its number). Row figures before come from the statistics (`pg_class.reltuples`,
//! what the last ANALYZE, VACUUM or index build measured), marked an estimate when the table
//! changed much since its last ANALYZE; a table never analyzed is counted (bounded).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use crate::db::quote_ident;
use crate::db::snapshot::{Kind, Scope, Snapshot};
use crate::run_result::{ColumnRename, TableChange};

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
    /// `rows` is not fresh: the table changed by more than a tenth since its statistics were
    /// taken, or a bounded count stopped at its cap.
    estimated: bool,
}

/// Modifications since the last ANALYZE above this share of the rows make the statistics'
/// row figure an estimate.
const FRESH_SHARE: f64 = 0.1;

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
    /// The sequential-scan counter of each pre-existing table as last read in the open
    /// transaction (`pg_stat_get_xact_numscans`): the trace tells a statement that scanned a
    /// table by its difference.
    pub scans: HashMap<u32, i64>,
    /// The live columns (attnum → name) of each pre-existing table, as last read: a column
    /// renamed keeps its number, a dropped one loses it.
    columns: HashMap<u32, BTreeMap<i16, String>>,
    /// The table of each pre-existing index (index oid → table oid): an index's figure is its
    /// table's rows (its own `reltuples` counts entries, dead versions included).
    index_tables: HashMap<u32, u32>,
    /// Partitioned tables' row figures from their statistics (the sum ANALYZE took over the
    /// partitions), when they have one.
    partitioned: HashMap<u32, i64>,
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
                "SELECT c.oid, n.nspname, c.relname, c.relfilenode::int8, c.reltuples::float8, c.relkind::text,
                        EXISTS (SELECT FROM pg_catalog.pg_event_trigger WHERE evtenabled <> 'D'),
                        CASE WHEN c.relkind IN ('r', 'm') THEN pg_catalog.pg_stat_get_mod_since_analyze(c.oid) END,
                        (SELECT i.indrelid FROM pg_catalog.pg_index i WHERE i.indexrelid = c.oid)
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
    let mut index_tables = HashMap::new();
    let mut partitioned = HashMap::new();
    for r in &rows {
        let (schema, relname, relkind): (String, String, String) = (r.get(1), r.get(2), r.get(5));
        let name = format!("{schema}.{relname}");
        if matches!(relkind.as_str(), "r" | "p" | "m") {
            table_names.insert(relname.clone());
        }
        relation_names.insert(relname.clone());
        let oid: u32 = r.get(0);
        relations.insert(oid, (name.clone(), relkind.clone(), r.get(3)));
        if let Some(table) = r.get::<_, Option<u32>>(8) {
            index_tables.insert(oid, table);
        }
        // The statistics' figure: -1 never analyzed nor vacuumed (0 may be that too, before
        // PostgreSQL 14, or empty when analyzed: counted below either way). Never the
        // cumulative statistics' live-tuple count, which an ANALYZE in the session that loaded
        // the table doubles (its inserts reach the statistics after the ANALYZE has set it).
        let reltuples: f64 = r.get(4);
        let statistics = (reltuples > 0.0).then_some(reltuples.round() as i64);
        if relkind == "p" {
            if let Some(n) = statistics {
                partitioned.insert(oid, n);
            }
            continue;
        }
        if !matches!(relkind.as_str(), "r" | "m") || !pre_existing.contains(name.as_str()) {
            continue;
        }
        let changed = r.get::<_, Option<i64>>(7).unwrap_or(0) as f64;
        let estimated = statistics.is_some() && changed > reltuples * FRESH_SHARE;
        tables.insert(oid, Table { name, schema, relname, relfilenode: r.get(3), rows: statistics, estimated });
    }
    // Statistics say nothing (never analyzed) or zero: count, reading at most COUNT_CAP rows.
    for (oid, t) in tables.iter_mut().filter(|(_, t)| t.rows.is_none()) {
        t.rows = counted.get(oid).copied();
        t.estimated = t.rows.is_some_and(|n| n >= COUNT_CAP);
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
                t.estimated = n >= COUNT_CAP;
                counted.insert(oid, n);
            }
        }
    }
    let oids: Vec<u32> = tables.keys().copied().collect();
    let columns = columns_of(client, &oids).await?;
    Ok(Before {
        tables,
        relations,
        relation_names,
        table_names,
        event_triggers,
        counted: HashMap::new(),
        scans: HashMap::new(),
        columns,
        index_tables,
        partitioned,
    })
}

impl Before {
    /// The table of each pre-existing index, by name (`schema.name` → `schema.name`).
    pub fn index_table_names(&self) -> HashMap<String, String> {
        let name = |oid: &u32| self.relations.get(oid).map(|(name, ..)| name.clone());
        self.index_tables.iter().filter_map(|(index, table)| Some((name(index)?, name(table)?))).collect()
    }

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
             pg_catalog.pg_stat_get_xact_tuples_updated(c.oid), pg_catalog.pg_stat_get_xact_tuples_deleted(c.oid), \
             pg_catalog.pg_stat_get_xact_numscans(c.oid) \
             FROM pg_catalog.pg_class c WHERE c.oid = ANY ('{{{}}}'::pg_catalog.oid[])",
            oids.join(",")
        );
        self.counted.clear();
        self.scans.clear();
        for m in client.simple_query(&sql).await? {
            let tokio_postgres::SimpleQueryMessage::Row(r) = m else { continue };
            let n = |i: usize| r.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            if let Some(oid) = r.get(0).and_then(|v| v.parse::<u32>().ok()) {
                self.counted.insert(oid, (n(1), n(2), n(3)));
                self.scans.insert(oid, n(4));
            }
        }
        Ok(())
    }

    /// Rows of each pre-existing table before the migration (statistics; `None`: unknown).
    pub fn rows(&self) -> HashMap<String, Option<i64>> {
        self.tables.values().map(|t| (t.name.clone(), t.rows)).collect()
    }

    /// The row figure a finding about `relation` (`schema.name`) shows, and whether it is an
    /// estimate: a table's own, an index's table's, a partitioned table's statistics.
    pub fn figure(&self, relation: &str) -> Option<(i64, bool)> {
        let table = self.table_oid(relation)?;
        match self.tables.get(&table) {
            Some(t) => t.rows.map(|n| (n, t.estimated)),
            None => self.partitioned.get(&table).map(|n| (*n, false)),
        }
    }

    /// The `schema.name` of the table whose rows a finding about `relation` counts: its own,
    /// or an index's table's.
    pub fn table_of(&self, relation: &str) -> Option<&str> {
        self.relations.get(&self.table_oid(relation)?).map(|(name, ..)| name.as_str())
    }

    fn table_oid(&self, relation: &str) -> Option<u32> {
        let (oid, _) = self.relations.iter().find(|(_, (name, ..))| name == relation)?;
        Some(*self.index_tables.get(oid).unwrap_or(oid))
    }

    /// Inside the migration's transaction, after its statements: what it did to each
    /// pre-existing table. Updates `self` so that the next migration of a batch is measured
    /// from here.
    pub async fn after(&mut self, client: &Client) -> Result<Vec<TableChange>, tokio_postgres::Error> {
        let oids: Vec<u32> = self.tables.keys().copied().collect();
        let rows = client
            .query_typed(
                "SELECT c.oid, c.relfilenode::int8, pg_catalog.pg_stat_get_xact_tuples_inserted(c.oid),
                        pg_catalog.pg_stat_get_xact_tuples_updated(c.oid), pg_catalog.pg_stat_get_xact_tuples_deleted(c.oid),
                        n.nspname, c.relname
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($1)",
                &[(&oids, Type::OID_ARRAY)],
            )
            .await?;
        let mut columns = columns_of(client, &oids).await?;
        let mut seen = BTreeSet::new();
        let mut changes = Vec::new();
        for r in &rows {
            let oid: u32 = r.get(0);
            seen.insert(oid);
            let Some(table) = self.tables.get_mut(&oid) else { continue };
            // Renamed (or moved to another schema): the same table, by its oid, under its new name.
            let (schema, relname): (String, String) = (r.get(5), r.get(6));
            let renamed_to = (schema != table.schema || relname != table.relname).then(|| format!("{schema}.{relname}"));
            let name_before = table.name.clone();
            if let Some(name) = &renamed_to {
                (table.name, table.schema, table.relname) = (name.clone(), schema, relname);
            }
            let table = table.clone();
            let counts: (i64, i64, i64) = (r.get(2), r.get(3), r.get(4));
            let earlier = self.counted.insert(oid, counts).unwrap_or_default();
            let (inserted, updated, deleted) = (counts.0 - earlier.0, counts.1 - earlier.1, counts.2 - earlier.2);
            let relfilenode: i64 = r.get(1);
            let new_storage = relfilenode != table.relfilenode;
            let mut change = TableChange {
                table: name_before,
                renamed_to: renamed_to.clone(),
                inserted,
                updated,
                deleted,
                rows_before: table.rows,
                rows_estimated: table.estimated,
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
            let now = columns.remove(&oid).unwrap_or_default();
            if let Some(was) = self.columns.insert(oid, now.clone()) {
                (change.dropped_columns, change.renamed_columns) = column_changes(&was, &now);
            }
            let columns_changed = !change.dropped_columns.is_empty() || !change.renamed_columns.is_empty();
            if inserted != 0 || updated != 0 || deleted != 0 || new_storage || renamed_to.is_some() || columns_changed {
                changes.push(change);
            }
        }
        for (oid, table) in &self.tables {
            if !seen.contains(oid) {
                changes.push(TableChange {
                    table: table.name.clone(),
                    dropped: true,
                    rows_before: table.rows,
                    rows_estimated: table.estimated,
                    ..Default::default()
                });
            }
        }
        self.tables.retain(|oid, _| seen.contains(oid));
        changes.sort_by(|a, b| a.table.cmp(&b.table));
        Ok(changes)
    }
}

/// The columns dropped, and those renamed, from `before` to `after` (attnum → name): the
/// catalog keeps a column's number through a rename, and a dropped column's number is gone.
pub fn column_changes(before: &BTreeMap<i16, String>, after: &BTreeMap<i16, String>) -> (Vec<String>, Vec<ColumnRename>) {
    let (mut dropped, mut renamed) = (Vec::new(), Vec::new());
    for (attnum, name) in before {
        match after.get(attnum) {
            None => dropped.push(name.clone()),
            Some(to) if to != name => renamed.push(ColumnRename { from: name.clone(), to: to.clone() }),
            Some(_) => {}
        }
    }
    (dropped, renamed)
}

/// The live columns (attnum → name) of each of `oids`.
async fn columns_of(client: &Client, oids: &[u32]) -> Result<HashMap<u32, BTreeMap<i16, String>>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "SELECT attrelid, attnum, attname::text FROM pg_catalog.pg_attribute
             WHERE attrelid = ANY ($1) AND attnum > 0 AND NOT attisdropped",
            &[(&oids, Type::OID_ARRAY)],
        )
        .await?;
    let mut columns: HashMap<u32, BTreeMap<i16, String>> = HashMap::new();
    for r in &rows {
        columns.entry(r.get(0)).or_default().insert(r.get(1), r.get(2));
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[(i16, &str)]) -> BTreeMap<i16, String> {
        names.iter().map(|(n, name)| (*n, (*name).to_owned())).collect()
    }

    #[test]
    fn a_renamed_column_keeps_its_number_and_a_dropped_one_loses_it() {
        let before = cols(&[(1, "id"), (2, "email"), (3, "note"), (4, "ip")]);
        let renamed = |from: &str, to: &str| ColumnRename { from: from.into(), to: to.into() };
        assert_eq!(
            column_changes(&before, &cols(&[(1, "id"), (2, "mail"), (3, "note"), (4, "ip")])),
            (vec![], vec![renamed("email", "mail")])
        );
        // Dropped, and another of the same name and type added: a loss, whatever its name.
        assert_eq!(
            column_changes(&before, &cols(&[(1, "id"), (2, "email"), (3, "note"), (5, "ip")])),
            (vec!["ip".to_owned()], vec![])
        );
        assert_eq!(
            column_changes(&before, &cols(&[(1, "id"), (3, "note"), (4, "address")])),
            (vec!["email".to_owned()], vec![renamed("ip", "address")])
        );
    }
}
