//! Taking a snapshot: the catalog queries, pipelined on the client's connection and, given a
//! helper connection, split between both so that two server processes work at once; then the
//! snapshot built from their rows.

use std::collections::HashMap;

use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::catalog::{Catalog, Quoter};
use super::copy::CopyRows;
use super::queries::*;
use super::{Kind, Snapshot};
use crate::db::DbError;

impl Snapshot {
    /// Read the catalog on `client`, and on `helper` (another connection to the same database)
    /// when given. The helper reads relations at once, then indexes and (in the client's
    /// search path, which decides how deparsers qualify names) constraints, functions,
    /// triggers, views and sequences; the client reads columns, defaults and policies. If the
    /// client's session has temporary objects (which another session cannot see), what
    /// depends on the search path stays on the client.
    pub(super) async fn read(client: &Client, helper: Option<&Client>) -> Result<Self, DbError> {
        let (setup_sent, setup_received) = tokio::sync::oneshot::channel();
        let on_client = async {
            tokio::try_join!(
                async {
                    let setup = Setup::read(client).await?;
                    let _ = setup_sent.send(setup.clone());
                    Ok(setup)
                },
                query(client, &NAMESPACES),
                query(client, &SHADOWS),
                CopyRows::read(client, &COLUMNS, COLUMNS_WIDTH),
                query(client, OPCLASSES),
                query(client, ACCESS_METHODS),
                query(client, DEFAULTS),
                query(client, &POLICIES),
            )
        };
        let any = helper.unwrap_or(client);
        let on_helper = async {
            tokio::try_join!(CopyRows::read(any, &RELS, RELS_WIDTH), async {
                let setup: Setup = setup_received.await.map_err(|_| DbError::Query("the catalog set-up query failed".into()))?;
                // Another session cannot see the client's temporary objects, which a deparser may name.
                let on_path = match helper {
                    Some(h) if !setup.search_path.iter().any(|s| s.starts_with("pg_temp_")) => {
                        h.query_one("SELECT set_config('search_path', $1, false)", &[&setup.search_path_setting])
                            .await
                            .map_err(DbError::query)?;
                        h
                    }
                    _ => client,
                };
                let (indexes_sql, constraints_sql) =
                    if setup.v15 { (&*INDEXES_15, &*CONSTRAINTS_15) } else { (&*INDEXES_14, &*CONSTRAINTS_14) };
                let rows = tokio::try_join!(
                    CopyRows::read(any, indexes_sql, INDEXES_WIDTH),
                    CopyRows::read(on_path, constraints_sql, CONSTRAINTS_WIDTH),
                    query(on_path, &FUNCTIONS),
                    query(on_path, &TRIGGERS),
                    query(on_path, &RELATIONS),
                )?;
                Ok((on_path, rows))
            })
        };
        let (client_rows, helper_rows) = tokio::try_join!(on_client, on_helper)?;
        let (setup, namespaces, shadows, columns, opclasses, access_methods, defaults, policies) = client_rows;
        let (rels, (on_path, (indexes, constraints, functions, triggers, relations))) = helper_rows;
        let quoter = Quoter::new(setup.keywords, setup.quote_all);
        let search_path = setup.search_path;

        let catalog = Catalog::new(
            &quoter,
            &namespaces,
            &rels,
            &shadows,
            &indexes,
            &columns,
            &defaults,
            &opclasses,
            &access_methods,
            &search_path,
        );
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
        for row in constraints.rows() {
            let Some(rel) = catalog.rels.get(&row.oid(1)) else { continue };
            let name = catalog.qualified(rel, Some(row.str(2)));
            let kind = if row.char(3) == b'f' { Kind::ForeignKey } else { Kind::Constraint };
            let def = match row.opt(15) {
                Some(def) => Some(def.to_owned()),
                None => catalog.constraint_definition(row),
            };
            match (def, kind) {
                (Some(def), Kind::ForeignKey) => foreign_keys.push((name, def)),
                (Some(def), _) => other_constraints.push((name, def)),
                (None, _) => deparse_constraints.push((row.oid(0), name, kind)),
            }
        }
        let mut deparse_indexes: Vec<(u32, String)> = vec![];
        for row in indexes.rows() {
            let oid = row.oid(0);
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
                on_path.query("SELECT o, pg_get_constraintdef(o) FROM unnest($1::oid[]) o", &constraint_params),
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
        Ok(snap)
    }
}

/// What the rest of a snapshot needs to know about the client's session.
#[derive(Clone)]
struct Setup {
    v15: bool,
    /// The effective search path, with the implicit schemas.
    search_path: Vec<String>,
    /// The `search_path` setting, for a helper connection.
    search_path_setting: String,
    quote_all: bool,
    /// Keywords `quote_ident` quotes.
    keywords: Vec<String>,
}

impl Setup {
    async fn read(client: &Client) -> Result<Self, DbError> {
        let row = client.query_one(SETUP, &[]).await.map_err(DbError::query)?;
        Ok(Setup {
            v15: row.get::<_, i32>(0) >= 150_000,
            search_path: row.get(1),
            search_path_setting: row.get(2),
            quote_all: row.get(3),
            keywords: row.get::<_, Option<Vec<String>>>(4).unwrap_or_default(),
        })
    }
}

async fn query(client: &Client, sql: &str) -> Result<Vec<tokio_postgres::Row>, DbError> {
    client.query(sql, &[]).await.map_err(DbError::query)
}
