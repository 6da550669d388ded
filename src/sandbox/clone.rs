//! A sandbox seeded with staging's own schema instead of the plan's baseline scripts
//! (`pgstage run --sandbox --clone-from CONN`): the real `pg_dump --schema-only` of the plan's
//! schemas, restored with `pg_restore` after the roles the schema names (without passwords) and
//! the extensions it uses (where the sandbox has them) are made. No row is copied; the sizes the
//! lock findings are graded by (rows and bytes per table) are read from staging's statistics
//! and handed to the run ([`Cloned::sizes`]).
//!
//! Staging is only read: one connection at a time (pgstage's own, read-only, then pg_dump's,
//! whose transaction is read-only), both under the plan's `lock_timeout` (pg_dump's
//! `--lock-wait-timeout`), nothing written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::dump_tools::{self, DumpTools};
use super::progress::{CloneProgress, CloneStep, tell};
use super::{Sandbox, SandboxError, io};
use crate::db::conninfo::ConnInfo;
use crate::db::snapshot::Scope;
use crate::db::{self, DbError, quote_ident};
use crate::run_result::CloneInfo;

/// What [`clone_schema`] made.
#[derive(Debug, Clone)]
pub struct Cloned {
    pub info: CloneInfo,
    /// `schema.table` → (rows, bytes) on staging: its planner estimate and its size with
    /// indexes and TOAST.
    pub sizes: BTreeMap<String, (i64, i64)>,
}

/// What pgstage reads on staging before the dump.
struct Staging {
    version: String,
    major: u32,
    schemas: Vec<String>,
    roles: Vec<Role>,
    memberships: Vec<(String, String)>,
    extensions: Vec<(String, String)>,
    sizes: BTreeMap<String, (i64, i64)>,
}

struct Role {
    name: String,
    login: bool,
    bypass_rls: bool,
}

/// The schemas of the functions, types and relations that the objects of schemas `$1` (their
/// relations, functions and types, and the policies, defaults, triggers, constraints and rules
/// of their relations) depend on.
const USED_SCHEMAS: &str = "
    WITH inside AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ANY ($1)),
    used AS (
        SELECT d.refclassid, d.refobjid FROM pg_catalog.pg_depend d
        WHERE d.refclassid IN ('pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_type'::regclass, 'pg_catalog.pg_class'::regclass)
          AND CASE d.classid
              WHEN 'pg_catalog.pg_class'::regclass THEN (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = d.objid)
              WHEN 'pg_catalog.pg_proc'::regclass THEN (SELECT pronamespace FROM pg_catalog.pg_proc WHERE oid = d.objid)
              WHEN 'pg_catalog.pg_type'::regclass THEN (SELECT typnamespace FROM pg_catalog.pg_type WHERE oid = d.objid)
              WHEN 'pg_catalog.pg_policy'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_policy p
                  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid WHERE p.oid = d.objid)
              WHEN 'pg_catalog.pg_attrdef'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_attrdef a
                  JOIN pg_catalog.pg_class c ON c.oid = a.adrelid WHERE a.oid = d.objid)
              WHEN 'pg_catalog.pg_trigger'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_trigger t
                  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid WHERE t.oid = d.objid)
              WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT connamespace FROM pg_catalog.pg_constraint WHERE oid = d.objid)
              WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_rewrite r
                  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid)
              END IN (SELECT oid FROM inside)
    )
    SELECT DISTINCT n.nspname::text FROM used u
    JOIN pg_catalog.pg_namespace n ON n.oid = CASE u.refclassid
        WHEN 'pg_catalog.pg_proc'::regclass THEN (SELECT pronamespace FROM pg_catalog.pg_proc WHERE oid = u.refobjid)
        WHEN 'pg_catalog.pg_type'::regclass THEN (SELECT typnamespace FROM pg_catalog.pg_type WHERE oid = u.refobjid)
        ELSE (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = u.refobjid) END
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'";

/// Staging's major version (the sandbox must run the same one).
pub async fn staging_major(staging: &Client) -> Result<u32, SandboxError> {
    let row = staging.query_one("SELECT current_setting('server_version_num')::int4", &[]).await.map_err(q)?;
    Ok((row.get::<_, i32>(0) / 10_000) as u32)
}

/// Read staging's schema for the plan's schemas (`named`, and what their foreign keys reach)
/// over `staging` (a session on it) and pg_dump (connecting with `conninfo`), and build it in
/// the sandbox's new database `dbname`, telling each step to `progress`.
pub async fn clone_schema(
    staging: &Client,
    conninfo: &str,
    named: &BTreeSet<String>,
    lock_timeout_ms: u64,
    sandbox: &Sandbox,
    dbname: &str,
    progress: &CloneProgress,
) -> Result<Cloned, SandboxError> {
    tell(progress, CloneStep::ReadSchema);
    let facts = read_staging(staging, named, lock_timeout_ms).await?;
    let tools = dump_tools::find(facts.major)?;
    let admin = db::connect_config(&sandbox.config("postgres")).await.map_err(on)?;
    db::create_database(&admin, dbname, None).await.map_err(on)?;
    tell(progress, CloneStep::Roles);
    let roles_created = make_roles(&admin, &facts).await?;
    drop(admin);
    let client = db::connect_config(&sandbox.config(dbname)).await.map_err(on)?;
    tell(progress, CloneStep::Extensions);
    let extensions_missing = make_extensions(&client, &facts).await?;
    // The schemas the sandbox has now (`public`, those made for extensions): not made again.
    let made_schemas: Vec<String> = client
        .query("SELECT nspname::text FROM pg_catalog.pg_namespace", &[])
        .await
        .map_err(q)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let taken_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let dump = sandbox.dir.join("staging-schema.dump");
    tell(progress, CloneStep::Dump);
    let script = dump_and_restore(&tools, conninfo, &facts, lock_timeout_ms, &dump, &made_schemas);
    let _ = std::fs::remove_file(&dump);
    tell(progress, CloneStep::Restore);
    client
        .batch_execute(&script?)
        .await
        .map_err(|e| SandboxError::Clone(format!("restoring staging's schema into the sandbox: {}", DbError::query(e))))?;
    let planner_statistics = with_statistics(&tools, &facts);
    if !planner_statistics {
        // Statistics of the empty tables, as a fresh schema has them.
        client.batch_execute("ANALYZE").await.map_err(q)?;
    }
    let source = conninfo.parse::<ConnInfo>().map(|c| c.describe_target()).unwrap_or_else(|_| "staging".into());
    Ok(Cloned {
        info: CloneInfo {
            source,
            server_version: facts.version,
            taken_at,
            schemas: facts.schemas,
            rows_copied: 0,
            roles_created,
            extensions_missing,
            pg_dump: tools.version,
            planner_statistics,
        },
        sizes: facts.sizes,
    })
}

async fn read_staging(staging: &Client, named: &BTreeSet<String>, lock_timeout_ms: u64) -> Result<Staging, SandboxError> {
    staging
        .batch_execute(&format!("SET default_transaction_read_only = on; SET lock_timeout = {lock_timeout_ms}"))
        .await
        .map_err(q)?;
    let scope = Scope::resolve(staging, named).await.map_err(on)?;
    let mut schemas: BTreeSet<String> = scope.schemas().cloned().unwrap_or_default();
    // What their objects use from other schemas (a policy calling auth.uid(), a column of a
    // type defined elsewhere), until nothing new comes.
    loop {
        let list: Vec<String> = schemas.iter().cloned().collect();
        let used: Vec<String> =
            staging.query_typed(USED_SCHEMAS, &[(&list, Type::TEXT_ARRAY)]).await.map_err(q)?.iter().map(|r| r.get(0)).collect();
        let before = schemas.len();
        schemas.extend(used);
        if schemas.len() == before {
            break;
        }
    }
    let schemas: Vec<String> = schemas.into_iter().collect();
    let version: String = staging.query_one("SHOW server_version", &[]).await.map_err(q)?.get(0);
    let major = staging_major(staging).await?;
    let roles = staging
        .query("SELECT rolname::text, rolcanlogin, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname !~ '^pg_' ORDER BY 1", &[])
        .await
        .map_err(q)?
        .iter()
        .map(|r| Role { name: r.get(0), login: r.get(1), bypass_rls: r.get(2) })
        .collect();
    let memberships = pairs(
        staging,
        "SELECT g.rolname::text, m.rolname::text FROM pg_catalog.pg_auth_members a
         JOIN pg_catalog.pg_roles g ON g.oid = a.roleid JOIN pg_catalog.pg_roles m ON m.oid = a.member
         WHERE g.rolname !~ '^pg_' AND m.rolname !~ '^pg_' ORDER BY 1, 2",
    )
    .await?;
    let extensions = pairs(
        staging,
        "SELECT e.extname::text, n.nspname::text FROM pg_catalog.pg_extension e
         JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1",
    )
    .await?;
    let sizes = staging
        .query_typed(
            "SELECT n.nspname || '.' || c.relname, greatest(c.reltuples, 0)::int8, pg_catalog.pg_total_relation_size(c.oid)
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ANY ($1) AND c.relkind IN ('r', 'p', 'm')",
            &[(&schemas, Type::TEXT_ARRAY)],
        )
        .await
        .map_err(q)?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    Ok(Staging { version, major, schemas, roles, memberships, extensions, sizes })
}

/// The roles staging has that the sandbox lacks, without passwords; their memberships.
async fn make_roles(admin: &Client, facts: &Staging) -> Result<Vec<String>, SandboxError> {
    let existing: BTreeSet<String> =
        admin.query("SELECT rolname::text FROM pg_catalog.pg_roles", &[]).await.map_err(q)?.iter().map(|r| r.get(0)).collect();
    let mut created = Vec::new();
    for role in facts.roles.iter().filter(|r| !existing.contains(&r.name)) {
        let sql = format!(
            "CREATE ROLE {} {} {}",
            quote_ident(&role.name),
            if role.login { "LOGIN" } else { "NOLOGIN" },
            if role.bypass_rls { "BYPASSRLS" } else { "NOBYPASSRLS" }
        );
        admin.batch_execute(&sql).await.map_err(q)?;
        created.push(role.name.clone());
    }
    for (group, member) in &facts.memberships {
        admin.batch_execute(&format!("GRANT {} TO {}", quote_ident(group), quote_ident(member))).await.map_err(q)?;
    }
    Ok(created)
}

/// Staging's extensions the sandbox has, in their schemas; returns those the sandbox lacks.
async fn make_extensions(client: &Client, facts: &Staging) -> Result<Vec<String>, SandboxError> {
    let available: BTreeSet<String> = client
        .query("SELECT name::text FROM pg_catalog.pg_available_extensions", &[])
        .await
        .map_err(q)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut missing = Vec::new();
    for (extension, schema) in &facts.extensions {
        if !available.contains(extension) {
            missing.push(extension.clone());
            continue;
        }
        let exists: bool = client
            .query_one("SELECT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1)", &[schema])
            .await
            .map_err(q)?
            .get(0);
        if !exists {
            client.batch_execute(&format!("CREATE SCHEMA {}", quote_ident(schema))).await.map_err(q)?;
        }
        client
            .batch_execute(&format!("CREATE EXTENSION IF NOT EXISTS {} SCHEMA {}", quote_ident(extension), quote_ident(schema)))
            .await
            .map_err(q)?;
    }
    Ok(missing)
}

fn dump_and_restore(
    tools: &DumpTools,
    conninfo: &str,
    facts: &Staging,
    lock_timeout_ms: u64,
    dump: &Path,
    made_schemas: &[String],
) -> Result<String, SandboxError> {
    // The password goes to pg_dump in its environment, never on its command line.
    let mut source: ConnInfo = conninfo.parse().map_err(|e| SandboxError::Clone(format!("the connection string: {e}")))?;
    let password = source.password.take();
    let mut pg_dump = Command::new(tools.dir.join("pg_dump"));
    // From PostgreSQL 18 on, pg_dump carries the planner's statistics (pg_class's rows and
    // pages, pg_statistic), which a restore into 18 sets: the clone then plans as staging does.
    if with_statistics(tools, facts) {
        pg_dump.args(["--no-data", "--statistics"]);
    } else {
        pg_dump.arg("--schema-only");
    }
    pg_dump
        .arg("--format=custom")
        .arg(format!("--lock-wait-timeout={lock_timeout_ms}ms"))
        .args(["--no-tablespaces", "--no-subscriptions", "--no-publications", "--no-security-labels"])
        .arg(format!("--file={}", dump.display()))
        .env("PGAPPNAME", "pgstage clone (pg_dump)");
    for schema in &facts.schemas {
        pg_dump.arg(format!("--schema={}", quote_ident(schema)));
    }
    pg_dump.arg(format!("--dbname={}", source.redacted()));
    if let Some(password) = password {
        pg_dump.env("PGPASSWORD", password.expose());
    }
    run(&mut pg_dump, "pg_dump of staging's schema")?;
    let listing =
        Command::new(tools.dir.join("pg_restore")).arg("--list").arg(dump).output().map_err(io("running pg_restore --list"))?;
    if !listing.status.success() {
        return Err(SandboxError::Clone(format!("pg_restore --list: {}", String::from_utf8_lossy(&listing.stderr).trim())));
    }
    // The schemas the sandbox has already.
    let list: String = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|line| !made_schemas.iter().any(|s| line.contains(&format!(" SCHEMA - {s} "))))
        .map(|line| format!("{line}\n"))
        .collect();
    let list_file = dump.with_extension("list");
    std::fs::write(&list_file, list).map_err(io("writing the restore list"))?;
    // pg_restore writes the script and pgstage runs it, in one transaction: pg_restore 18
    // connected to an older server still sends `SET transaction_timeout` (17+ only), and its
    // script opens with psql's `\restrict`, which only psql reads.
    let script = Command::new(tools.dir.join("pg_restore"))
        .args(["--no-tablespaces", "--file=-"])
        .arg(format!("--use-list={}", list_file.display()))
        .arg(dump)
        .output()
        .map_err(io("running pg_restore"));
    let _ = std::fs::remove_file(&list_file);
    let script = script?;
    if !script.status.success() {
        return Err(SandboxError::Clone(format!(
            "pg_restore of staging's schema failed ({}): {}",
            script.status,
            String::from_utf8_lossy(&script.stderr).trim()
        )));
    }
    Ok(restorable(&String::from_utf8_lossy(&script.stdout)))
}

/// pg_restore's script as the sandbox runs it: without psql's meta-commands (`\restrict`,
/// `\unrestrict`) and without `SET transaction_timeout`, which servers before 17 refuse (it
/// is 0 there anyway).
fn restorable(script: &str) -> String {
    // Only the exact lines pg_restore writes: a function's body may hold a line starting with
    // a backslash.
    let psql = |line: &str| line.starts_with("\\restrict ") || line.starts_with("\\unrestrict ");
    script.lines().filter(|line| !psql(line) && *line != "SET transaction_timeout = 0;").fold(
        String::with_capacity(script.len()),
        |mut out, line| {
            out.push_str(line);
            out.push('\n');
            out
        },
    )
}

/// The two text columns of `sql`'s rows.
async fn pairs(client: &Client, sql: &str) -> Result<Vec<(String, String)>, SandboxError> {
    Ok(client.query(sql, &[]).await.map_err(q)?.iter().map(|r| (r.get(0), r.get(1))).collect())
}

fn with_statistics(tools: &DumpTools, facts: &Staging) -> bool {
    tools.major >= 18 && facts.major >= 18
}

fn q(e: tokio_postgres::Error) -> SandboxError {
    on(DbError::query(e))
}

fn on(e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Clone(e.to_string())
}

fn run(command: &mut Command, what: &str) -> Result<(), SandboxError> {
    let out = command.output().map_err(io(format!("running {what}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(SandboxError::Clone(format!("{what} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_restore_script_loses_only_psqls_lines_and_transaction_timeout() {
        let script = "\\restrict abc\nSET transaction_timeout = 0;\nCREATE FUNCTION f() RETURNS text AS $$\n\\d+ kept\n$$ LANGUAGE sql;\n\\unrestrict abc\n";
        assert_eq!(super::restorable(script), "CREATE FUNCTION f() RETURNS text AS $$\n\\d+ kept\n$$ LANGUAGE sql;\n");
    }
}
