//! Catalog snapshots: every user object (tables, foreign keys, other constraints, indexes,
//! RLS policies, functions, triggers, views, sequences) with a definition to compare, read
//! from `pg_catalog` (never the slow `information_schema` views).
//! A [`SnapshotDiff`] says what appeared, vanished and changed between two snapshots.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use tokio_postgres::Client;

use super::{DbError, quote_ident};

/// The kinds of object a snapshot records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Table,
    ForeignKey,
    /// Primary key, unique, check and exclusion constraints (never NOT NULL, on any version).
    Constraint,
    Index,
    Policy,
    Function,
    Trigger,
    View,
    Sequence,
    /// NOT NULL constraints: on PostgreSQL 18 the catalog's own (`pg_constraint`, contype
    /// `n`, with their names, NO INHERIT and NOT VALID); before 18, which keeps none, one per
    /// NOT NULL column of a table, named as 18 names them. So on every version the count is
    /// that of the NOT NULL columns of tables (18 also catalogues a NOT VALID one).
    NotNull,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Table,
        Kind::ForeignKey,
        Kind::Constraint,
        Kind::NotNull,
        Kind::Index,
        Kind::Policy,
        Kind::Function,
        Kind::Trigger,
        Kind::View,
        Kind::Sequence,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Table => "tables",
            Kind::ForeignKey => "foreign keys",
            Kind::Constraint => "other constraints",
            Kind::Index => "indexes",
            Kind::Policy => "RLS policies",
            Kind::Function => "functions",
            Kind::Trigger => "triggers",
            Kind::View => "views",
            Kind::Sequence => "sequences",
            Kind::NotNull => "NOT NULL constraints",
        }
    }
}

/// Schemas never part of a snapshot: the system's and pgstage's own ledger.
const SKIP_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstage') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// What the catalog held at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Per kind: qualified name (`schema.name`, or `schema.table.name` for objects that
    /// belong to a table, `schema.name(args)` for functions) → definition.
    pub objects: BTreeMap<Kind, BTreeMap<String, String>>,
    /// Tables with row-level security enabled.
    pub rls_enabled: BTreeSet<String>,
}

impl Snapshot {
    /// Read the whole catalog; the queries are pipelined on one connection.
    ///
    /// Tables, keys, foreign keys and indexes are read as plain catalog rows and their
    /// definitions written here, exactly as `format_type`, `pg_get_constraintdef` and
    /// `pg_get_indexdef` write them: calling those deparsers once per object looks each
    /// relation up, which on 10,000 tables takes most of a second. Whatever takes more than
    /// column names (expression or partial indexes, operator classes or collations other than
    /// the column's default, DESC / NULLS FIRST, INCLUDE, storage options, NULLS NOT DISTINCT,
    /// ON DELETE SET NULL (columns), checks and exclusions) is still left to PostgreSQL's
    /// deparser in a second round trip, with one of each distinct column default and policy
    /// condition (`expressions`). The big catalogs are read through COPY.
    pub async fn take(client: &Client) -> Result<Self, DbError> {
        Self::read(client, None, &Scope::everything()).await
    }

    /// The same snapshot as [`Snapshot::take`], with the queries split between `client` and
    /// `helper`, another connection to the same database, so that two server processes read
    /// the catalog at once. The helper's session is the snapshot's to set: it gets the
    /// client's search path and planner settings of its own (`HELPER_SETTINGS`).
    pub async fn take_with(client: &Client, helper: Option<&Client>) -> Result<Self, DbError> {
        Self::read(client, helper, &Scope::everything()).await
    }

    /// The snapshot of what `scope` covers only ([`Scope`]): the schemas a plan covers, what
    /// their foreign keys and views reach, and schemas made after the scope was resolved; the
    /// rest of the catalog is never read. As [`Snapshot::take_with`] otherwise.
    pub async fn take_scoped(client: &Client, helper: Option<&Client>, scope: &Scope) -> Result<Self, DbError> {
        Self::read(client, helper, scope).await
    }

    /// Objects of `kind`, all schemas.
    pub fn names(&self, kind: Kind) -> impl Iterator<Item = &String> {
        self.objects.get(&kind).into_iter().flat_map(|m| m.keys())
    }

    /// How many objects of `kind` live in `schema`.
    pub fn count(&self, kind: Kind, schema: &str) -> usize {
        let prefix = format!("{schema}.");
        self.names(kind).filter(|n| n.starts_with(&prefix)).count()
    }

    /// Per-kind counts in `schema`.
    pub fn counts(&self, schema: &str) -> BTreeMap<Kind, usize> {
        Kind::ALL.iter().map(|&k| (k, self.count(k, schema))).collect()
    }

    /// Tables of `schema`, unqualified.
    pub fn tables_in(&self, schema: &str) -> Vec<String> {
        let prefix = format!("{schema}.");
        self.names(Kind::Table).filter_map(|n| n.strip_prefix(&prefix)).map(str::to_owned).collect()
    }

    /// What changed from `self` (before) to `after`.
    pub fn diff(&self, after: &Snapshot) -> SnapshotDiff {
        let empty = BTreeMap::new();
        let mut diff = SnapshotDiff::default();
        for kind in Kind::ALL {
            let before_objects = self.objects.get(&kind).unwrap_or(&empty);
            let after_objects = after.objects.get(&kind).unwrap_or(&empty);
            for (name, def) in after_objects {
                match before_objects.get(name) {
                    None => diff.appeared.push(ObjectRef { kind, name: name.clone() }),
                    Some(old) if old != def => diff.changed.push(Change {
                        object: ObjectRef { kind, name: name.clone() },
                        before: old.clone(),
                        after: def.clone(),
                    }),
                    Some(_) => {}
                }
            }
            for name in before_objects.keys().filter(|n| !after_objects.contains_key(*n)) {
                diff.vanished.push(ObjectRef { kind, name: name.clone() });
            }
        }
        for table in after.rls_enabled.symmetric_difference(&self.rls_enabled) {
            if self.objects.get(&Kind::Table).is_some_and(|t| t.contains_key(table))
                && after.objects.get(&Kind::Table).is_some_and(|t| t.contains_key(table))
            {
                diff.changed.push(Change {
                    object: ObjectRef { kind: Kind::Table, name: table.clone() },
                    before: format!("row level security {}", on_off(self.rls_enabled.contains(table))),
                    after: format!("row level security {}", on_off(after.rls_enabled.contains(table))),
                });
            }
        }
        diff
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "enabled" } else { "disabled" }
}

/// One object of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: Kind,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub object: ObjectRef,
    pub before: String,
    pub after: String,
}

/// The difference between two snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotDiff {
    pub appeared: Vec<ObjectRef>,
    pub vanished: Vec<ObjectRef>,
    pub changed: Vec<Change>,
}

impl SnapshotDiff {
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.vanished.is_empty() && self.changed.is_empty()
    }

    /// Objects of `kind` that appeared.
    pub fn appeared_of(&self, kind: Kind) -> impl Iterator<Item = &str> {
        self.appeared.iter().filter(move |o| o.kind == kind).map(|o| o.name.as_str())
    }
}

/// The name PostgreSQL 18 gives a NOT NULL constraint made without one:
/// `<table>_<column>_not_null`, the longer of the two names shortened (at a character
/// boundary) until the whole fits in 63 bytes, as `makeObjectName` does. (18 adds a number
/// when that name is taken; the snapshot of an older server, which has no such names, does not.)
pub fn not_null_name(table: &str, column: &str) -> String {
    const LABEL: &str = "not_null";
    let available = 63 - LABEL.len() - 2;
    let (mut t, mut c) = (table.len(), column.len());
    while t + c > available {
        if t > c { t -= 1 } else { c -= 1 }
    }
    format!("{}_{}_{LABEL}", &table[..table.floor_char_boundary(t)], &column[..column.floor_char_boundary(c)])
}

/// Exact row counts of every table in `schema` (one query; `count(*)` on each table).
pub async fn row_counts(client: &Client, schema: &str) -> Result<BTreeMap<String, i64>, DbError> {
    let tables: Vec<String> = client
        .query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1",
            &[&schema],
        )
        .await
        .map_err(DbError::query)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if tables.is_empty() {
        return Ok(BTreeMap::new());
    }
    let sql = tables
        .iter()
        .map(|t| format!("SELECT {}::text, count(*) FROM {}.{}", super::quote_literal(t), quote_ident(schema), quote_ident(t)))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows = client.query(&sql, &[]).await.map_err(DbError::query)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

mod catalog;
mod copy;
mod expressions;
pub mod grants;
mod queries;
mod read;
mod scope;

pub use scope::Scope;
