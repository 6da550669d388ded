//! Taking a snapshot: the catalog queries, pipelined on the client's connection and, given a
//! helper connection, split between both so that two server processes work at once; then the
//! snapshot built from their rows.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row};

use super::catalog::{Catalog, OidMap, Quoter};
use super::copy::CopyRows;
use super::expressions;
use super::queries::*;
use super::scope::Scope;
use super::{Kind, Snapshot};
use crate::db::DbError;

impl Snapshot {
    /// Read the catalog on `client`, and on `helper` (another connection to the same database)
    /// when given: the helper reads the relations, then the columns (with a hash join, which
    /// the planner does not pick but costs a third less than 10,000 index scans) and triggers
    /// in the client's search path (which decides how `format_type` and the deparsers qualify
    /// names): everything that reads `pg_class` and `pg_attribute`; the client reads the rest.
    /// If the client's session has temporary objects (which another session cannot see), the
    /// columns and triggers are read on the client. A second round deparses what the catalog
    /// rows cannot say.
    ///
    /// Only what `scope` covers is read, filtered on the server.
    pub(super) async fn read(client: &Client, helper: Option<&Client>, scope: &Scope) -> Result<Self, DbError> {
        let sql = |template: &str| scoped(template, scope);
        let (namespaces_sql, defaults_sql, policies_sql, functions_sql) =
            (sql(NAMESPACES), sql(DEFAULTS), sql(POLICIES), sql(FUNCTIONS));
        let (rels_sql, columns_sql, triggers_sql, shadows_sql) = (sql(RELS), sql(COLUMNS), sql(TRIGGERS), sql(SHADOWS));
        let (indexes_14, indexes_15) = (sql(INDEXES_14), sql(INDEXES_15));
        let constraints = |plain: &str| sql(&CONSTRAINTS_SQL.replace("{plain}", plain));
        let (constraints_14, constraints_15, constraints_18) =
            (constraints(PLAIN_14), constraints(PLAIN_15), constraints(PLAIN_18));
        let nestloop = if scope.is_everything() { "off" } else { "on" };
        let (to_client, setup_for_client) = tokio::sync::oneshot::channel();
        let (to_helper, setup_for_helper) = tokio::sync::oneshot::channel();
        let received = |r: Result<Setup, _>| r.map_err(|_| DbError::Query("the catalog set-up query failed".into()));
        let on_client = async {
            tokio::try_join!(
                async {
                    let setup = Setup::read(client).await?;
                    let _ = to_client.send(setup.clone());
                    let _ = to_helper.send(setup.clone());
                    Ok(setup)
                },
                query(client, &namespaces_sql, &[]),
                query(client, OPCLASSES, &[]),
                query(client, ACCESS_METHODS, &[]),
                query(client, ROLES, &[]),
                CopyRows::read(client, &defaults_sql, DEFAULTS_WIDTH),
                CopyRows::read(client, &policies_sql, POLICIES_WIDTH),
                query(client, &functions_sql, &[]),
                async {
                    let setup = received(setup_for_client.await)?;
                    let (indexes, constraints) = match setup.version {
                        180_000.. => (&indexes_15, &constraints_18),
                        150_000.. => (&indexes_15, &constraints_15),
                        _ => (&indexes_14, &constraints_14),
                    };
                    tokio::try_join!(
                        CopyRows::read(client, indexes, INDEXES_WIDTH),
                        CopyRows::read(client, constraints, CONSTRAINTS_WIDTH),
                    )
                },
            )
        };
        let on_helper = async {
            tokio::try_join!(
                async {
                    match helper {
                        Some(h) => query(h, HELPER_SETTINGS, &[(&nestloop, Type::TEXT)]).await.map(|_| ()),
                        None => Ok(()),
                    }
                },
                CopyRows::read(helper.unwrap_or(client), &rels_sql, RELS_WIDTH),
                async {
                    let setup = received(setup_for_helper.await)?;
                    let on_path = match helper {
                        Some(h) if !setup.search_path.iter().any(|s| s.starts_with("pg_temp_")) => {
                            query(h, "SELECT set_config('search_path', $1, false)", &[(&setup.search_path_setting, Type::TEXT)])
                                .await?;
                            h
                        }
                        _ => client,
                    };
                    let path: [(&(dyn ToSql + Sync), Type); 1] = [(&setup.search_path, Type::TEXT_ARRAY)];
                    tokio::try_join!(
                        CopyRows::read(on_path, &columns_sql, COLUMNS_WIDTH),
                        query(on_path, &triggers_sql, &[]),
                        query(helper.unwrap_or(client), &shadows_sql, &path),
                    )
                },
            )
        };
        let (client_rows, helper_rows) = tokio::try_join!(on_client, on_helper)?;
        let (setup, namespaces, opclasses, access_methods, roles, defaults, policies, functions, (indexes, constraints)) =
            client_rows;
        let ((), rels, (columns, triggers, shadows)) = helper_rows;
        let quoter = Quoter::new(setup.keywords, setup.quote_all);
        let search_path = setup.search_path;
        let catalog =
            Catalog::new(&quoter, &namespaces, &rels, &shadows, &indexes, &columns, &opclasses, &access_methods, &search_path);

        // Keys, foreign keys and indexes written here (on two threads: the server is done);
        // what is left to the deparsers.
        let ((mut foreign_keys, mut other_constraints, mut not_nulls, deparse_constraints), (mut index_defs, deparse_indexes)) =
            beside(|| constraint_definitions(&catalog, &constraints), || index_definitions(&catalog, &indexes));
        if setup.version < 180_000 {
            not_nulls = catalog.column_not_nulls();
        }
        let (default_groups, default_of) = expressions::defaults(&defaults);
        let policies = expressions::policies(&policies, &catalog);
        let views_and_sequences: Vec<u32> =
            catalog.rels.iter().filter(|(_, rel)| matches!(rel.kind as u8, b'v' | b'm' | b'S')).map(|(oid, _)| *oid).collect();

        let constraint_oids: Vec<u32> = deparse_constraints.iter().map(|c| c.0).collect();
        let index_oids: Vec<u32> = deparse_indexes.iter().map(|i| i.0).collect();
        let (constraint_rows, index_rows, default_rows, policy_rows, relation_rows) = tokio::try_join!(
            deparse(client, DEPARSE_CONSTRAINTS, &constraint_oids),
            deparse(client, DEPARSE_INDEXES, &index_oids),
            deparse(client, DEPARSE_DEFAULTS, &default_groups.deparse),
            deparse(client, DEPARSE_POLICIES, &policies.groups.deparse),
            deparse(client, DEPARSE_RELATIONS, &views_and_sequences),
        )?;

        let deparsed = |rows: &[Row]| rows.iter().map(|r| (r.get(0), r.get(1))).collect::<OidMap<u32, Option<String>>>();
        let (mut constraint_defs, mut index_deparsed) = (deparsed(&constraint_rows), deparsed(&index_rows));
        for (oid, name, kind) in deparse_constraints {
            let def = constraint_defs.remove(&oid).flatten().unwrap_or_default();
            match kind {
                Kind::ForeignKey => foreign_keys.push((name, def)),
                Kind::NotNull => not_nulls.push((name, def)),
                _ => other_constraints.push((name, def)),
            }
        }
        for (oid, name) in deparse_indexes {
            index_defs.push((name, index_deparsed.remove(&oid).flatten().unwrap_or_default()));
        }
        let expressions: Vec<Option<&str>> = default_groups.deparsed(&default_rows, |r| r.get(1));
        let column_defaults: OidMap<(u32, i16), &str> =
            default_of.iter().filter_map(|(column, group)| Some((*column, expressions[*group]?))).collect();
        let conditions: Vec<(Option<String>, Option<String>)> = policies.groups.deparsed(&policy_rows, |r| (r.get(1), r.get(2)));
        let role_names: OidMap<u32, String> = roles.iter().map(|r| (r.get(0), r.get(1))).collect();

        // Sorted into maps on a thread of their own while the tables are written here.
        let sorted = |list: Vec<(String, String)>| list.into_iter().collect::<BTreeMap<_, _>>();
        let (keys_and_indexes, (tables, rls_enabled)) = beside(
            || {
                [
                    (Kind::ForeignKey, sorted(foreign_keys)),
                    (Kind::Constraint, sorted(other_constraints)),
                    (Kind::NotNull, sorted(not_nulls)),
                    (Kind::Index, sorted(index_defs)),
                ]
            },
            || {
                let mut tables = Vec::new();
                let mut rls_enabled = BTreeSet::new();
                for (oid, rel) in &catalog.rels {
                    if rel.kind == b'r' as i8 || rel.kind == b'p' as i8 {
                        let name = catalog.qualified(rel, None);
                        if rel.rls {
                            rls_enabled.insert(name.clone());
                        }
                        tables.push((name, catalog.table_definition(*oid, &column_defaults)));
                    }
                }
                (sorted(tables), rls_enabled)
            },
        );
        let (mut views, mut sequences) = (Vec::new(), Vec::new());
        for r in &relation_rows {
            let Some(rel) = catalog.rels.get(&r.get::<_, u32>(0)) else { continue };
            let list = if rel.kind == b'S' as i8 { &mut sequences } else { &mut views };
            list.push((catalog.qualified(rel, None), r.get::<_, Option<String>>(1).unwrap_or_default()));
        }
        let named = |rows: &[Row]| rows.iter().map(|r| (r.get(0), r.get(1))).collect::<Named>();
        let mut snap = Snapshot { objects: keys_and_indexes.into_iter().collect(), rls_enabled };
        snap.objects.insert(Kind::Table, tables);
        for (kind, objects) in [
            (Kind::Policy, policies.definitions(&catalog, &conditions, &role_names)),
            (Kind::Function, named(&functions)),
            (Kind::Trigger, named(&triggers)),
            (Kind::View, views),
            (Kind::Sequence, sequences),
        ] {
            snap.objects.insert(kind, sorted(objects));
        }
        snap.objects.retain(|_, objects| !objects.is_empty());
        Ok(snap)
    }
}

/// Run `a` on a thread of its own while `b` runs on this one.
fn beside<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        (a.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), b)
    })
}

type Named = Vec<(String, String)>;

/// Foreign keys, other constraints and NOT NULL constraints written from their rows, and
/// those left to the deparser (oid, name, kind).
fn constraint_definitions(catalog: &Catalog, constraints: &CopyRows) -> (Named, Named, Named, Vec<(u32, String, Kind)>) {
    let (mut foreign_keys, mut others, mut not_nulls, mut leftover) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in constraints.rows() {
        let Some(rel) = catalog.rels.get(&row.oid(1)) else { continue };
        let name = catalog.qualified(rel, Some(row.str(2)));
        let kind = match row.char(3) {
            b'f' => Kind::ForeignKey,
            b'n' => Kind::NotNull,
            _ => Kind::Constraint,
        };
        let def = match row.opt(15) {
            Some(def) => Some(def.to_owned()),
            None => catalog.constraint_definition(row),
        };
        match (def, kind) {
            (Some(def), Kind::ForeignKey) => foreign_keys.push((name, def)),
            (Some(def), Kind::NotNull) => not_nulls.push((name, def)),
            (Some(def), _) => others.push((name, def)),
            (None, _) => leftover.push((row.oid(0), name, kind)),
        }
    }
    (foreign_keys, others, not_nulls, leftover)
}

/// Indexes written from their rows, and those left to the deparser (oid, name).
fn index_definitions(catalog: &Catalog, indexes: &CopyRows) -> (Named, Vec<(u32, String)>) {
    let (mut defs, mut leftover) = (Vec::new(), Vec::new());
    for row in indexes.rows() {
        let oid = row.oid(0);
        let Some(rel) = catalog.rels.get(&oid) else { continue };
        let name = catalog.qualified(rel, None);
        match catalog.index_definition(rel, row) {
            Some(def) => defs.push((name, def)),
            None => leftover.push((oid, name)),
        }
    }
    (defs, leftover)
}

/// What the rest of a snapshot needs to know about the client's session.
#[derive(Clone)]
struct Setup {
    /// `server_version_num`.
    version: i32,
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
        let rows = query(client, SETUP, &[]).await?;
        let row = rows.first().ok_or_else(|| DbError::Query("the catalog set-up query returned no row".into()))?;
        Ok(Setup {
            version: row.get(0),
            search_path: row.get(1),
            search_path_setting: row.get(2),
            quote_all: row.get(3),
            keywords: row.get::<_, Option<Vec<String>>>(4).unwrap_or_default(),
        })
    }
}

/// One query in one round trip (parse, bind and execute sent together, no separate prepare):
/// a snapshot's queries are each run once.
async fn query(client: &Client, sql: &str, params: &[(&(dyn ToSql + Sync), Type)]) -> Result<Vec<Row>, DbError> {
    client.query_typed(sql, params).await.map_err(DbError::query)
}

/// The deparsing query `sql` for `oids`, when there are any.
async fn deparse(client: &Client, sql: &str, oids: &[u32]) -> Result<Vec<Row>, DbError> {
    if oids.is_empty() {
        return Ok(vec![]);
    }
    query(client, sql, &[(&oids, Type::OID_ARRAY)]).await
}
