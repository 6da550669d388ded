//! Privileges of new objects: every role that holds a privilege on (nearly) all pre-existing
//! tables, sequences or functions of the plan's schema must hold it on the new ones too.
//!
//! The usual miss: `ALTER DEFAULT PRIVILEGES` (without `FOR ROLE`) applies only to objects
//! later created by the role that ran it; when the migrations run as another role, an API role
//! such as `authenticated` gets none of those grants and `permission denied` on the new tables.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use tokio_postgres::Client;

use crate::db::snapshot::{Kind, Snapshot};
use crate::db::{DbError, in_namespaces};
use crate::run_result::{CheckResult, Status};

/// "Nearly all": the share of pre-existing objects a role must hold a privilege on for the
/// new ones to be expected to have it too.
pub const NEARLY_ALL: f64 = 0.9;

/// The schema's tables, sequences and functions with their grants; found through their
/// dependency on the schema (an index), never by reading all of `pg_class` and `pg_proc` (100 ms
/// on a staging of 500,000 relations).
const ACLS: &str = concat!(
    "
    SELECT c.oid, n.nspname || '.' || c.relname, CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END,
           pg_catalog.pg_get_userbyid(c.relowner), a.grantee, coalesce(r.rolname, 'PUBLIC'), a.privilege_type
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN LATERAL pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::\"char\", c.relowner))) a
           ON a.grantee <> c.relowner
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'S')
      AND ",
    in_namespaces!("c.oid", "pg_class", "= $1"),
    "
    UNION ALL
    SELECT p.oid, n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', 'function',
           pg_catalog.pg_get_userbyid(p.proowner), a.grantee, coalesce(r.rolname, 'PUBLIC'), a.privilege_type
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    LEFT JOIN LATERAL pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f'::\"char\", p.proowner))) a ON a.grantee <> p.proowner
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = $1 AND p.prokind IN ('f', 'p')
      AND ",
    in_namespaces!("p.oid", "pg_proc", "= $1")
);

/// Of one class of pre-existing objects: how many, and per (grantee oid, grantee, privilege)
/// on how many of them.
type Held<'a> = (usize, BTreeMap<(u32, &'a str, &'a str), usize>);

/// One object of the schema with its owner and explicit grants.
#[derive(Default)]
struct Object {
    oid: u32,
    class: String,
    owner: String,
    /// (grantee oid, grantee name, privilege).
    grants: BTreeSet<(u32, String, String)>,
}

/// The check: pre-existing objects are those of `baseline`, new ones those of `now` that are
/// not in it.
pub async fn check(client: &Client, schema: &str, baseline: &Snapshot, now: &Snapshot) -> Result<CheckResult, DbError> {
    let started = Instant::now();
    let rows = client.query(ACLS, &[&schema]).await.map_err(DbError::query)?;
    let mut objects: BTreeMap<String, Object> = BTreeMap::new();
    for r in &rows {
        let o = objects.entry(r.get(1)).or_default();
        (o.oid, o.class, o.owner) = (r.get(0), r.get(2), r.get(3));
        if let (Some(grantee), Some(privilege)) = (r.get::<_, Option<u32>>(4), r.get::<_, Option<String>>(6)) {
            o.grants.insert((grantee, r.get(5), privilege));
        }
    }
    let known = |kind: Kind, snap: &Snapshot, name: &str| snap.objects.get(&kind).is_some_and(|o| o.contains_key(name));
    let kind_of = |class: &str| match class {
        "sequence" => Kind::Sequence,
        "function" => Kind::Function,
        _ => Kind::Table,
    };
    // Per class: how many pre-existing objects, and per (grantee, privilege) on how many.
    let mut pre: BTreeMap<&str, Held> = BTreeMap::new();
    let mut new: Vec<(&str, &Object)> = Vec::new();
    for (name, o) in &objects {
        let kind = kind_of(&o.class);
        if known(kind, baseline, name) {
            let entry = pre.entry(o.class.as_str()).or_default();
            entry.0 += 1;
            for (grantee, role, privilege) in &o.grants {
                *entry.1.entry((*grantee, role.as_str(), privilege.as_str())).or_default() += 1;
            }
        } else if known(kind, now, name) {
            new.push((name, o));
        }
    }
    // The (object, grantee, privilege) each new object should have.
    let mut expected: Vec<(&str, &Object, u32, &str, &str)> = Vec::new();
    for (name, o) in &new {
        let Some((total, held)) = pre.get(o.class.as_str()) else { continue };
        for ((grantee, role, privilege), n) in held {
            if *n as f64 >= (*total as f64 * NEARLY_ALL).ceil()
                && !o.grants.contains(&(*grantee, role.to_string(), privilege.to_string()))
            {
                expected.push((name, o, *grantee, role, privilege));
            }
        }
    }
    // Not granted directly: the role may still hold it (membership, PUBLIC, superuser).
    let (mut objs, mut grantees, mut privileges, mut classes) = (Vec::<u32>::new(), Vec::<u32>::new(), Vec::new(), Vec::new());
    for (_, o, grantee, _, privilege) in expected.iter().filter(|e| e.2 != 0) {
        objs.push(o.oid);
        grantees.push(*grantee);
        privileges.push(privilege.to_string());
        classes.push(o.class.clone());
    }
    let held: BTreeSet<(u32, u32, String)> = if objs.is_empty() {
        BTreeSet::new()
    } else {
        client
            .query(
                "SELECT o, g, p FROM unnest($1::oid[], $2::oid[], $3::text[], $4::text[]) u(o, g, p, k)
                 WHERE CASE k WHEN 'table' THEN pg_catalog.has_table_privilege(g, o, p)
                              WHEN 'sequence' THEN pg_catalog.has_sequence_privilege(g, o, p)
                              ELSE pg_catalog.has_function_privilege(g, o, p) END",
                &[&objs, &grantees, &privileges, &classes],
            )
            .await
            .map_err(DbError::query)?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    };
    // role → privilege → objects missing it.
    let mut missing: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    let mut owners = BTreeSet::new();
    for (name, o, grantee, role, privilege) in &expected {
        if *grantee != 0 && held.contains(&(o.oid, *grantee, privilege.to_string())) {
            continue;
        }
        missing.entry(role).or_default().entry(privilege).or_default().push(name);
        owners.insert(o.owner.as_str());
    }
    let checked = new.len();
    let title = format!("Privileges of the {checked} new tables, sequences and functions match the pre-existing ones'");
    let sql = ACLS.trim().to_owned();
    if missing.is_empty() {
        return Ok(result(
            title,
            format!("{checked} new objects, none missing a grant"),
            Status::Pass,
            String::new(),
            sql,
            started,
        ));
    }
    let mut lines = Vec::new();
    let mut count = 0;
    for (role, privileges) in &missing {
        for (privilege, names) in privileges {
            count += names.len();
            lines.push(format!("{role} lacks {privilege} on {}", names.join(", ")));
        }
    }
    let setters = default_privilege_roles(client, schema).await?;
    let owners: Vec<&str> = owners.into_iter().collect();
    lines.push(format!(
        "usual cause: default privileges (ALTER DEFAULT PRIVILEGES) belong to the role that set them ({}) and apply only to objects \
         that role creates; the new objects belong to {}. Grant them in the migrations, or ALTER DEFAULT PRIVILEGES FOR ROLE {} …",
        if setters.is_empty() { "none set in this schema".to_owned() } else { setters.join(", ") },
        owners.join(", "),
        owners.first().copied().unwrap_or("the migrating role"),
    ));
    Ok(result(title, format!("{count} grants missing"), Status::Fail, lines.join("\n"), sql, started))
}

fn result(title: String, actual: String, status: Status, detail: String, sql: String, started: Instant) -> CheckResult {
    CheckResult {
        id: "INT-PRIVILEGES".into(),
        group: "integrity".into(),
        title,
        expected: "every grant the pre-existing objects have".into(),
        actual,
        status,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        sql,
        detail,
        metric: None,
    }
}

/// Roles that set default privileges for `schema` (or for every schema).
async fn default_privilege_roles(client: &Client, schema: &str) -> Result<Vec<String>, DbError> {
    let rows = client
        .query(
            "SELECT DISTINCT pg_catalog.pg_get_userbyid(d.defaclrole) FROM pg_catalog.pg_default_acl d
             LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
             WHERE d.defaclnamespace = 0 OR n.nspname = $1 ORDER BY 1",
            &[&schema],
        )
        .await
        .map_err(DbError::query)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
