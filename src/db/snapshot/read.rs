//! Taking a snapshot: the catalog queries, pipelined on the client's connection (and the
//! deparsing ones on a second connection when one can be opened), then the snapshot built from
//! their rows.

use std::collections::HashMap;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config};

use super::catalog::Catalog;
use super::queries::*;
use super::{Kind, Replication, Snapshot};
use crate::db::DbError;

impl Snapshot {
    /// Read the catalog on `client`; with `second`, the queries that call PostgreSQL's
    /// deparsers (and the database figures) on a second connection opened from it, in the
    /// client's search path, so that both server processes work at once.
    pub(super) async fn read(client: &Client, second: Option<&Config>, with_figures: bool) -> Result<Self, DbError> {
        let open_second = async {
            match second {
                // Only an optimisation: without it, everything runs on `client`.
                Some(config) => crate::db::connect_config(config).await.ok(),
                None => None,
            }
        };
        let (setup, second) = tokio::join!(client.query_one(SETUP, &[]), open_second);
        let setup = setup.map_err(DbError::query)?;
        let v15 = setup.get::<_, i32>(0) >= 150_000;
        let search_path: Vec<String> = setup.get(1);
        let (pid, path_setting): (i32, &str) = (setup.get(2), setup.get(3));
        // Another session cannot see the client's temporary objects, which a deparser may name.
        let second = second.filter(|_| !search_path.iter().any(|s| s.starts_with("pg_temp_")));
        let deparser = match &second {
            Some(other) => {
                other.query_one("SELECT set_config('search_path', $1, false)", &[&path_setting]).await.map_err(DbError::query)?;
                other
            }
            None => client,
        };
        let (indexes_sql, constraints_sql) =
            if v15 { (&*INDEXES_15, &*CONSTRAINTS_15) } else { (&*INDEXES_14, &*CONSTRAINTS_14) };
        let (catalog_rows, deparsed) = tokio::try_join!(
            async {
                tokio::try_join!(
                    client.query(&*NAMESPACES, &[]),
                    client.query(&*RELS, &[]),
                    client.query(&*SHADOWS, &[]),
                    client.query(&*COLUMNS, &[]),
                    client.query(indexes_sql, &[]),
                    client.query(OPCLASSES, &[]),
                    client.query(ACCESS_METHODS, &[]),
                    client.query(constraints_sql, &[]),
                )
            },
            async {
                tokio::try_join!(
                    deparser.query(DEFAULTS, &[]),
                    deparser.query(&*POLICIES, &[]),
                    deparser.query(&*FUNCTIONS, &[]),
                    deparser.query(&*TRIGGERS, &[]),
                    deparser.query(&*RELATIONS, &[]),
                    async {
                        match with_figures {
                            true => deparser.query_one(FIGURES, &[&pid]).await.map(Some),
                            false => Ok(None),
                        }
                    },
                )
            },
        )
        .map_err(DbError::query)?;
        drop(second);
        let (namespaces, rels, shadows, columns, indexes, opclasses, access_methods, constraints) = catalog_rows;
        let (defaults, policies, functions, triggers, relations, figures) = deparsed;

        let catalog =
            Catalog::new(&namespaces, &rels, &shadows, &indexes, &columns, &defaults, &opclasses, &access_methods, &search_path);
        let mut snap = Snapshot::default();
        let mut tables = Vec::new();
        for (oid, rel) in &catalog.rels {
            if rel.kind == b'r' as i8 || rel.kind == b'p' as i8 {
                let name = catalog.qualified(rel, None);
                if rel.rls {
                    snap.rls_enabled.insert(name.clone());
                }
                tables.push((name, catalog.table_definition(*oid)));
            }
        }

        // Keys and foreign keys written here, and those left to the deparser.
        let (mut foreign_keys, mut other_constraints, mut index_defs) = (Vec::new(), Vec::new(), Vec::new());
        let mut deparse_constraints: Vec<(u32, String, Kind)> = vec![];
        for row in &constraints {
            let Some(rel) = catalog.rels.get(&row.get::<_, u32>(1)) else { continue };
            let name = catalog.qualified(rel, Some(row.get::<_, &str>(2)));
            let kind = if row.get::<_, i8>(3) == b'f' as i8 { Kind::ForeignKey } else { Kind::Constraint };
            let def = match row.get::<_, Option<String>>(15) {
                Some(def) => Some(def),
                None => catalog.constraint_definition(row),
            };
            match (def, kind) {
                (Some(def), Kind::ForeignKey) => foreign_keys.push((name, def)),
                (Some(def), _) => other_constraints.push((name, def)),
                (None, _) => deparse_constraints.push((row.get(0), name, kind)),
            }
        }
        let mut deparse_indexes: Vec<(u32, String)> = vec![];
        for row in &indexes {
            let oid: u32 = row.get(0);
            let Some(rel) = catalog.rels.get(&oid) else { continue };
            let name = catalog.qualified(rel, None);
            match catalog.index_definition(rel, row) {
                Some(def) => index_defs.push((name, def)),
                None => deparse_indexes.push((oid, name)),
            }
        }
        if !deparse_constraints.is_empty() || !deparse_indexes.is_empty() {
            let constraint_oids: Vec<u32> = deparse_constraints.iter().map(|c| c.0).collect();
            let index_oids: Vec<u32> = deparse_indexes.iter().map(|i| i.0).collect();
            let (constraint_params, index_params): ([&(dyn ToSql + Sync); 1], [&(dyn ToSql + Sync); 1]) =
                ([&constraint_oids], [&index_oids]);
            let (constraint_rows, index_rows) = tokio::try_join!(
                client.query("SELECT o, pg_get_constraintdef(o) FROM unnest($1::oid[]) o", &constraint_params),
                client.query("SELECT o, pg_get_indexdef(o) FROM unnest($1::oid[]) o", &index_params),
            )
            .map_err(DbError::query)?;
            let mut defs: HashMap<u32, Option<String>> = constraint_rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            for (oid, name, kind) in deparse_constraints {
                let def = defs.remove(&oid).flatten().unwrap_or_default();
                match kind {
                    Kind::ForeignKey => foreign_keys.push((name, def)),
                    _ => other_constraints.push((name, def)),
                }
            }
            let mut defs: HashMap<u32, Option<String>> = index_rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            for (oid, name) in deparse_indexes {
                index_defs.push((name, defs.remove(&oid).flatten().unwrap_or_default()));
            }
        }
        // Collected, then built in one go (a BTreeMap built from a list sorts it once, far
        // cheaper than one insert at a time).
        for (kind, objects) in [
            (Kind::Table, tables),
            (Kind::ForeignKey, foreign_keys),
            (Kind::Constraint, other_constraints),
            (Kind::Index, index_defs),
        ] {
            if !objects.is_empty() {
                snap.objects.insert(kind, objects.into_iter().collect());
            }
        }

        for (rows, kind) in [(&policies, Kind::Policy), (&functions, Kind::Function), (&triggers, Kind::Trigger)] {
            for row in rows {
                snap.objects.entry(kind).or_default().insert(row.get(0), row.get(1));
            }
        }
        for row in &relations {
            let kind = if row.get::<_, bool>(2) { Kind::View } else { Kind::Sequence };
            snap.objects.entry(kind).or_default().insert(row.get(0), row.get(1));
        }
        let Some(figures) = figures else { return Ok(snap) };
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
}
