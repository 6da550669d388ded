//! The privileges granted on the objects of some schemas (the schemas themselves, their tables,
//! views, sequences and functions), as a drift check compares them: who may do what, without
//! the grantor and without the owner's own rights (a staging built by one role and a sandbox
//! built by another differ there by design).

use std::collections::BTreeMap;

use tokio_postgres::Client;

use crate::db::DbError;

/// Object (`schema`, `schema.relation`, `schema.function(args)`) → its grants, one
/// `grantee=privileges` per role, sorted, `PUBLIC` for everyone; objects with none granted
/// beyond their owner are left out.
pub type Grants = BTreeMap<String, String>;

/// One query; `aclexplode` spells each grant, so the text is the same on every version.
/// Relations and functions are found through their dependency on their schema (an index),
/// never by reading all of `pg_class` and `pg_proc`.
const GRANTS: &str = concat!(
    "WITH objects(name, owner, acl) AS (
        SELECT n.nspname::text, n.nspowner, n.nspacl FROM pg_catalog.pg_namespace n
        WHERE n.nspname = ANY ($1::text[])
        UNION ALL
        SELECT n.nspname || '.' || c.relname, c.relowner, c.relacl FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY ($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relacl IS NOT NULL
          AND ",
    crate::db::in_namespaces!("c.oid", "pg_class", "= ANY ($1::text[])"),
    "
        UNION ALL
        SELECT n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
               p.proowner, p.proacl FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY ($1::text[]) AND p.proacl IS NOT NULL
          AND ",
    crate::db::in_namespaces!("p.oid", "pg_proc", "= ANY ($1::text[])"),
    "
     )
     SELECT o.name, coalesce(r.rolname::text, 'PUBLIC'),
            string_agg(a.privilege_type || CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END, ', '
                       ORDER BY a.privilege_type)
     FROM objects o
     CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) a
     LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
     WHERE a.grantee <> o.owner
     GROUP BY 1, 2
     ORDER BY 1, 2"
);

/// The grants on the objects of `schemas`.
pub async fn read(client: &Client, schemas: &[String]) -> Result<Grants, DbError> {
    let rows = client.query(GRANTS, &[&schemas]).await.map_err(DbError::query)?;
    let mut grants = Grants::new();
    for row in rows {
        let (object, grantee, privileges): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let entry = grants.entry(object).or_default();
        if !entry.is_empty() {
            entry.push_str("; ");
        }
        entry.push_str(&format!("{grantee}: {privileges}"));
    }
    Ok(grants)
}
