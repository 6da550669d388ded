//! Catalog snapshots: every user object (tables, foreign keys, other constraints, indexes,
//! RLS policies, functions, triggers, views, sequences) with a definition to compare, read
//! from `pg_catalog` (never the slow `information_schema` views), plus database figures.
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
    /// Primary key, unique, check and exclusion constraints.
    Constraint,
    Index,
    Policy,
    Function,
    Trigger,
    View,
    Sequence,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Table,
        Kind::ForeignKey,
        Kind::Constraint,
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
    pub database_size_bytes: i64,
    /// Other sessions connected to this database.
    pub active_connections: i64,
    pub replication: Replication,
    pub server_version: String,
}

/// Replication as seen from the connected server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Replication {
    /// A primary with no replica attached: lag is not applicable.
    #[default]
    NoReplicas,
    /// A primary with replicas: the worst replay lag, seconds (0 when none reported).
    Primary { replicas: i64, max_lag_seconds: f64 },
    /// A standby: seconds since the last replayed transaction.
    Standby { lag_seconds: f64 },
}

impl Snapshot {
    /// Read the whole catalog; the queries are pipelined on one connection.
    pub async fn take(client: &Client) -> Result<Self, DbError> {
        let (tables, constraints, indexes, policies, functions, triggers, relations, figures) = tokio::try_join!(
            client.query(&*TABLES, &[]),
            client.query(&*CONSTRAINTS, &[]),
            client.query(&*INDEXES, &[]),
            client.query(&*POLICIES, &[]),
            client.query(&*FUNCTIONS, &[]),
            client.query(&*TRIGGERS, &[]),
            client.query(&*RELATIONS, &[]),
            client.query_one(FIGURES, &[]),
        )
        .map_err(DbError::query)?;

        let mut snap = Snapshot::default();
        let mut put = |kind: Kind, name: String, def: String| {
            snap.objects.entry(kind).or_default().insert(name, def);
        };
        let mut rls = BTreeSet::new();
        for row in &tables {
            let name: String = row.get(0);
            if row.get::<_, bool>(2) {
                rls.insert(name.clone());
            }
            put(Kind::Table, name, row.get(1));
        }
        for row in &constraints {
            let kind = if row.get::<_, bool>(2) { Kind::ForeignKey } else { Kind::Constraint };
            put(kind, row.get(0), row.get(1));
        }
        for (rows, kind) in [(&indexes, Kind::Index), (&policies, Kind::Policy), (&functions, Kind::Function), (&triggers, Kind::Trigger)] {
            for row in rows {
                put(kind, row.get(0), row.get(1));
            }
        }
        for row in &relations {
            let kind = if row.get::<_, bool>(2) { Kind::View } else { Kind::Sequence };
            put(kind, row.get(0), row.get(1));
        }
        snap.rls_enabled = rls;
        snap.database_size_bytes = figures.get(0);
        snap.active_connections = figures.get(1);
        snap.server_version = figures.get(5);
        let in_recovery: bool = figures.get(2);
        let replicas: i64 = figures.get(3);
        let lag: Option<f64> = figures.get(4);
        snap.replication = match (in_recovery, replicas) {
            (true, _) => Replication::Standby { lag_seconds: lag.unwrap_or(0.0) },
            (false, 0) => Replication::NoReplicas,
            (false, n) => Replication::Primary { replicas: n, max_lag_seconds: lag.unwrap_or(0.0) },
        };
        Ok(snap)
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
        .map(|t| {
            format!("SELECT {}::text, count(*) FROM {}.{}", super::quote_literal(t), quote_ident(schema), quote_ident(t))
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows = client.query(&sql, &[]).await.map_err(DbError::query)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

macro_rules! catalog_query {
    ($name:ident, $sql:expr) => {
        static $name: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| $sql.replace("{skip}", SKIP_SCHEMAS));
    };
}

// name, definition (columns, types, not-null), rls enabled
catalog_query!(
    TABLES,
    "SELECT n.nspname || '.' || c.relname,
            coalesce((SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                        || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
                      FROM pg_attribute a
                      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ''),
            c.relrowsecurity
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND {skip}"
);

// name, definition, is foreign key
catalog_query!(
    CONSTRAINTS,
    "SELECT n.nspname || '.' || c.relname || '.' || k.conname, pg_get_constraintdef(k.oid), k.contype = 'f'
     FROM pg_constraint k
     JOIN pg_class c ON c.oid = k.conrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype IN ('f', 'p', 'u', 'c', 'x') AND {skip}"
);

catalog_query!(
    INDEXES,
    "SELECT n.nspname || '.' || ci.relname, pg_get_indexdef(i.indexrelid)
     FROM pg_index i
     JOIN pg_class ci ON ci.oid = i.indexrelid
     JOIN pg_namespace n ON n.oid = ci.relnamespace
     WHERE {skip}"
);

catalog_query!(
    POLICIES,
    "SELECT n.nspname || '.' || c.relname || '.' || p.polname,
            CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END
            || CASE WHEN p.polpermissive THEN '' ELSE ' RESTRICTIVE' END
            || ' TO ' || coalesce((SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname)
                                   FROM pg_roles r WHERE r.oid = ANY (p.polroles)), 'public')
            || coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
            || coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
     FROM pg_policy p
     JOIN pg_class c ON c.oid = p.polrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE {skip}"
);

// Functions and procedures, without those an extension owns.
catalog_query!(
    FUNCTIONS,
    "SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
            CASE WHEN p.prokind = 'a' THEN 'aggregate'
                 ELSE 'returns ' || pg_get_function_result(p.oid) || ', body md5 ' || md5(pg_get_functiondef(p.oid)) END
     FROM pg_proc p
     JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE {skip}
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                       WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
);

catalog_query!(
    TRIGGERS,
    "SELECT n.nspname || '.' || c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
     FROM pg_trigger t
     JOIN pg_class c ON c.oid = t.tgrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.tgisinternal AND {skip}"
);

// Views (definition md5) and sequences (type and bounds); is view
catalog_query!(
    RELATIONS,
    "SELECT n.nspname || '.' || c.relname,
            CASE WHEN c.relkind IN ('v', 'm') THEN c.relkind::text || ' md5 ' || md5(pg_get_viewdef(c.oid))
                 ELSE (SELECT format_type(s.seqtypid, NULL) || ' ' || s.seqmin || '..' || s.seqmax
                       FROM pg_sequence s WHERE s.seqrelid = c.oid) END,
            c.relkind IN ('v', 'm')
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm', 'S') AND {skip}"
);

const FIGURES: &str = "SELECT pg_database_size(current_database()),
        (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()),
        pg_is_in_recovery(),
        (SELECT count(*) FROM pg_stat_replication),
        CASE WHEN pg_is_in_recovery()
             THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
             ELSE (SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_stat_replication) END,
        current_setting('server_version')";
