//! What a catalog read covers: the whole catalog, or only the schemas a plan covers. A staging
//! may hold thousands of tables the plan never touches (a schema per tenant, partitions by the
//! thousand); a scoped read filters on the server, by namespace oid, before anything else.
//!
//! A scope is resolved once, with a few cheap queries: the schemas the plan names (its own, those
//! its SQL names, the session's search path), and, transitively, the schemas their foreign keys
//! reference; the relations outside them that reach into them (a foreign key from outside, a
//! view over one of their tables), which a `DROP … CASCADE` or a type change would reach; and
//! every namespace that exists now, so that one made later (a migration's `CREATE SCHEMA`) is
//! in scope without another query.

use std::collections::BTreeSet;

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::db::{DbError, quote_literal};

/// The part of the catalog a snapshot (and the engine's other catalog reads) covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// `None`: every schema.
    limit: Option<Limit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Limit {
    /// Schemas in scope, by name.
    schemas: BTreeSet<String>,
    /// Every namespace that existed when the scope was resolved: any other one is new.
    known: Vec<u32>,
    /// Relations outside those schemas that reach into them (foreign keys, views).
    outside: Vec<u32>,
}

/// The namespaces named and those on the search path.
const NAMED: &str = "SELECT coalesce(array_agg(n.oid), '{}') FROM pg_catalog.pg_namespace n
     WHERE n.nspname = ANY ($1::text[]) OR n.nspname = ANY (pg_catalog.current_schemas(false))";

/// The namespaces of the tables that the foreign keys of the relations in the namespaces `$1`
/// reference. One step of the closure, run until it finds nothing new (in SQL, a recursive
/// query, planned for any number of namespaces, read the dependencies of all of them: 140 ms
/// on a staging of 1,000 schemas, where this reads those of the few asked, through the index).
const REFERENCED: &str = "SELECT coalesce(array_agg(DISTINCT r.relnamespace), '{}') FROM pg_catalog.pg_depend d
     JOIN pg_catalog.pg_constraint k ON k.conrelid = d.objid AND k.contype = 'f'
     JOIN pg_catalog.pg_class r ON r.oid = k.confrelid
     WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.refobjid = ANY ($1::pg_catalog.oid[])
       AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass";

/// For the namespaces in scope (`$1`): their names; every namespace's oid; the relations
/// outside them whose foreign keys or views reach into them. Every lookup goes through an
/// index: a relation's dependency on its namespace, an object's on the relation it references
/// (`pg_depend`), never a scan of `pg_class` or `pg_constraint`.
const RESOLVE: &str = "WITH ns(oid) AS (SELECT unnest($1::pg_catalog.oid[])), inside AS (
        SELECT d.objid AS oid FROM pg_catalog.pg_depend d
        WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.refobjid IN (SELECT oid FROM ns)
          AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
     )
     SELECT (SELECT array_agg(n.nspname::text) FROM pg_catalog.pg_namespace n WHERE n.oid IN (SELECT oid FROM ns)),
            (SELECT array_agg(n.oid) FROM pg_catalog.pg_namespace n),
            (SELECT array_agg(DISTINCT o) FROM (
                SELECT k.conrelid AS o FROM pg_catalog.pg_depend d
                JOIN pg_catalog.pg_constraint k ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND k.oid = d.objid
                WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid IN (SELECT oid FROM inside)
                  AND k.contype = 'f' AND k.conrelid NOT IN (SELECT oid FROM inside)
                UNION
                SELECT w.ev_class FROM pg_catalog.pg_depend d
                JOIN pg_catalog.pg_rewrite w ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND w.oid = d.objid
                WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid IN (SELECT oid FROM inside)
                  AND w.ev_class NOT IN (SELECT oid FROM inside)) reaching)";

/// The oids a query of one array parameter returns (one row, one array).
async fn oids(
    client: &Client,
    sql: &str,
    param: &(dyn tokio_postgres::types::ToSql + Sync),
    ty: Type,
) -> Result<Vec<u32>, DbError> {
    let rows = client.query_typed(sql, &[(param, ty)]).await.map_err(DbError::query)?;
    Ok(rows.first().map(|r| r.get(0)).unwrap_or_default())
}

impl Scope {
    /// The whole catalog.
    pub fn everything() -> Self {
        Scope { limit: None }
    }

    /// The schemas `named` (those a plan and its SQL name; names that are no schema are
    /// ignored), with what they reach and what reaches into them (see the module's doc).
    pub async fn resolve(client: &Client, named: &BTreeSet<String>) -> Result<Self, DbError> {
        let named: Vec<&str> = named.iter().map(String::as_str).collect();
        // The schemas named, then, transitively, those their foreign keys reference.
        let mut ns: BTreeSet<u32> = oids(client, NAMED, &named, Type::TEXT_ARRAY).await?.into_iter().collect();
        let mut asked: Vec<u32> = ns.iter().copied().collect();
        while !asked.is_empty() {
            let found = oids(client, REFERENCED, &asked, Type::OID_ARRAY).await?;
            asked = found.into_iter().filter(|oid| ns.insert(*oid)).collect();
        }
        let ns: Vec<u32> = ns.into_iter().collect();
        let row = client.query_typed(RESOLVE, &[(&ns, Type::OID_ARRAY)]).await.map_err(DbError::query)?;
        let row = row.first().ok_or_else(|| DbError::Query("the scope query returned no row".into()))?;
        let schemas: Option<Vec<String>> = row.get(0);
        let known: Option<Vec<u32>> = row.get(1);
        let outside: Option<Vec<u32>> = row.get(2);
        Ok(Scope {
            limit: Some(Limit {
                schemas: schemas.unwrap_or_default().into_iter().collect(),
                known: known.unwrap_or_default(),
                outside: outside.unwrap_or_default(),
            }),
        })
    }

    /// The schemas in scope (`None`: all), besides those made after it was resolved.
    pub fn schemas(&self) -> Option<&BTreeSet<String>> {
        self.limit.as_ref().map(|l| &l.schemas)
    }

    /// Relations outside the schemas in scope that reach into them (by oid).
    pub fn outside(&self) -> &[u32] {
        self.limit.as_ref().map_or(&[], |l| &l.outside)
    }

    /// Whether the scope is the whole catalog.
    pub fn is_everything(&self) -> bool {
        self.limit.is_none()
    }

    /// A condition on the `pg_namespace` row `n`: the namespace is in scope (named, or made
    /// after the scope was resolved). Literals only: it also goes into COPY queries.
    pub fn namespace_sql(&self, n: &str) -> String {
        let Some(limit) = &self.limit else { return "true".into() };
        let names: Vec<String> = limit.schemas.iter().map(|s| quote_literal(s)).collect();
        format!(
            "({n}.nspname = ANY (ARRAY[{}]::text[]) OR {n}.oid <> ALL ('{{{}}}'::pg_catalog.oid[]))",
            names.join(", "),
            limit.known.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
        )
    }

    /// The oids of the relations in scope, as a subquery: those that depend on a namespace in
    /// scope (tables, views, sequences: a relation records that dependency, through an index,
    /// where finding them by `relnamespace` would read all of `pg_class`), their indexes, and
    /// the relations outside that reach in. (Composite types and TOAST tables record none:
    /// a snapshot does not list them.)
    fn relations_sql(&self, limit: &Limit) -> String {
        let owned = format!(
            "SELECT sd.objid FROM pg_catalog.pg_depend sd
             WHERE sd.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
               AND sd.refobjid IN (SELECT sn.oid FROM pg_catalog.pg_namespace sn WHERE {})
               AND sd.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
             UNION ALL SELECT unnest('{{{}}}'::pg_catalog.oid[])",
            self.namespace_sql("sn"),
            limit.outside.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
        );
        format!(
            "WITH owned AS ({owned}) SELECT objid FROM owned
             UNION ALL SELECT si.indexrelid FROM pg_catalog.pg_index si WHERE si.indrelid IN (SELECT objid FROM owned)"
        )
    }

    /// A condition on the `pg_class` row `c`: the relation is in scope (in a schema in scope,
    /// or outside and reaching in).
    pub fn relation_sql(&self, c: &str) -> String {
        self.relation_oid_sql(&format!("{c}.oid"))
    }

    /// A condition that the relation oid in `column` is in scope.
    pub fn relation_oid_sql(&self, column: &str) -> String {
        match &self.limit {
            None => "true".into(),
            Some(limit) => format!("{column} IN ({})", self.relations_sql(limit)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_filters_nothing_and_a_limit_quotes_its_names() {
        let all = Scope::everything();
        assert_eq!(all.namespace_sql("n"), "true");
        assert_eq!(all.relation_oid_sql("x.y"), "true");
        let some = Scope { limit: Some(Limit { schemas: ["it's".to_owned()].into(), known: vec![11, 2200], outside: vec![] }) };
        assert_eq!(
            some.namespace_sql("n"),
            "(n.nspname = ANY (ARRAY['it''s']::text[]) OR n.oid <> ALL ('{11,2200}'::pg_catalog.oid[]))"
        );
        assert!(some.relation_sql("c").starts_with("c.oid IN (WITH owned AS"));
    }
}
