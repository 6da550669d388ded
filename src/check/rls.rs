//! Row-level security isolation: as the plan's role, with the user claim set to each subject
//! in turn, a table shows none of the other workspaces' rows and all of the subject's own.
//! Everything runs in one transaction that is always rolled back; each table under a
//! SAVEPOINT of its own, so that one table's error (reported as the server gave it: SQLSTATE,
//! detail, hint) leaves the other tables' results intact.
//!
//! The cost follows a workspace, not the table: the subject's own rows are counted through the
//! workspace column (its index, where there is one); of other workspaces' rows, a sample of at
//! most [`FOREIGN_SAMPLE`] is taken as the connecting role (their `ctid`s), and as the subject
//! only those rows are looked up (a TID scan), so a policy that calls a function per row is
//! never evaluated over the whole table.

use std::time::Instant;

use tokio_postgres::Client;

use crate::db::{DbError, describe, quote_ident, quote_literal};
use crate::plan::RlsTest;
use crate::run_result::{CheckResult, Status};

/// Rows of other workspaces sampled at most (enough to prove a leak, or that there is
/// something to hide).
pub const FOREIGN_SAMPLE: i64 = 1000;

/// One result per table of the test.
pub async fn run(client: &Client, test: &RlsTest, statement_timeout_ms: u64) -> Result<Vec<CheckResult>, DbError> {
    client
        .batch_execute(&format!("BEGIN; SET LOCAL statement_timeout = {statement_timeout_ms}"))
        .await
        .map_err(DbError::query)?;
    let outcome = isolate(client, test).await;
    client.batch_execute("ROLLBACK").await.map_err(DbError::query)?;
    outcome
}

async fn isolate(client: &Client, test: &RlsTest) -> Result<Vec<CheckResult>, DbError> {
    if let Some(setup) = &test.setup
        && let Err(e) = client.batch_execute(setup).await
    {
        let why = format!("setup failed: {}", describe(&e));
        return Ok(test.tables.iter().map(|t| failed(test, t, why.clone(), setup.clone())).collect());
    }
    let mut results = Vec::new();
    for table in &test.tables {
        client.batch_execute("SAVEPOINT pgstage_rls").await.map_err(DbError::query)?;
        let started = Instant::now();
        match one_table(client, test, table).await {
            Ok(mut r) => {
                client.batch_execute("RELEASE SAVEPOINT pgstage_rls").await.map_err(DbError::query)?;
                r.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
                results.push(r);
            }
            Err((e, sql)) => {
                // The first error is the one that counts; rolling back to the savepoint also
                // undoes SET LOCAL ROLE and the claim.
                client.batch_execute("ROLLBACK TO SAVEPOINT pgstage_rls").await.map_err(DbError::query)?;
                let mut r = failed(test, table, describe(&e), sql);
                r.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
                results.push(r);
            }
        }
    }
    Ok(results)
}

/// The subject's own rows of `table`, counted as the current role.
fn own_sql(table: &str, workspace: &str) -> String {
    format!("SELECT count(*) FROM public.{} WHERE workspace_id = {}", quote_ident(table), quote_literal(workspace))
}

/// As the connecting role: the `ctid`s of up to [`FOREIGN_SAMPLE`] rows of other workspaces,
/// as an array literal.
fn sample_sql(table: &str, workspace: &str) -> String {
    format!(
        "SELECT count(*), coalesce(array_agg(ctid)::text, '{{}}') FROM (SELECT ctid FROM public.{} WHERE workspace_id <> {} LIMIT {FOREIGN_SAMPLE}) f",
        quote_ident(table),
        quote_literal(workspace)
    )
}

/// As the subject: how many of the sampled rows are visible.
fn visible_sql(table: &str, sample: &str) -> String {
    format!("SELECT count(*) FROM public.{} WHERE ctid = ANY ({}::tid[])", quote_ident(table), quote_literal(sample))
}

fn shown(n: i64) -> String {
    if n >= FOREIGN_SAMPLE { format!("{n} (a sample)") } else { n.to_string() }
}

async fn one_table(client: &Client, test: &RlsTest, table: &str) -> Result<CheckResult, (tokio_postgres::Error, String)> {
    // What exists is counted as the connecting role: it must not be subject to the policies.
    let subject_sql = format!(
        "SELECT c.relrowsecurity AND (c.relforcerowsecurity OR NOT pg_catalog.pg_has_role(c.relowner, 'USAGE'))
                AND NOT (SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
         FROM pg_catalog.pg_class c WHERE c.oid = {}::regclass",
        quote_literal(&format!("public.{}", quote_ident(table)))
    );
    let subject: bool = client.query_one(&subject_sql, &[]).await.map_err(|e| (e, subject_sql.clone()))?.get(0);
    if subject {
        let why = format!(
            "the connecting role is itself subject to the row-level security of {table}, so it cannot count what exists there; \
             run the test as the table's owner or a role with BYPASSRLS"
        );
        return Ok(failed(test, table, why, subject_sql));
    }
    let mut lines = Vec::new();
    let mut ok = true;
    let mut proves_something = true;
    let mut sql_used = String::new();
    for subject in &test.subjects {
        let own = own_sql(table, &subject.workspace_id);
        let sample = sample_sql(table, &subject.workspace_id);
        let count = |sql: String| async move {
            let n: i64 = client.query_one(&sql, &[]).await.map_err(|e| (e, sql.clone()))?.get(0);
            Ok::<i64, (tokio_postgres::Error, String)>(n)
        };
        // As the connecting role: what exists.
        let own_total = count(own.clone()).await?;
        let row = client.query_one(&sample, &[]).await.map_err(|e| (e, sample.clone()))?;
        let (foreign_total, ctids): (i64, String) = (row.get(0), row.get(1));
        let totals = (own_total, foreign_total);
        // As the role, with the subject's claim: what is visible.
        let as_subject = format!(
            "SET LOCAL ROLE {}; SELECT set_config({}, {}, true)",
            quote_ident(&test.role),
            quote_literal(&test.claim),
            quote_literal(&subject.user_id)
        );
        client.batch_execute(&as_subject).await.map_err(|e| (e, as_subject.clone()))?;
        let visible = (count(own.clone()).await?, count(visible_sql(table, &ctids)).await?);
        client.batch_execute("RESET ROLE").await.map_err(|e| (e, "RESET ROLE".to_owned()))?;
        sql_used = format!("{own};\n{sample};\n-- then as {}: the sampled rows by ctid", test.role);
        ok &= visible.1 == 0 && visible.0 == totals.0;
        proves_something &= totals.1 > 0;
        lines.push(format!(
            "{} sees {}/{} own and {}/{} foreign rows",
            subject.label,
            visible.0,
            totals.0,
            shown(visible.1),
            shown(totals.1)
        ));
    }
    let status = match (ok, proves_something) {
        (false, _) => Status::Fail,
        (true, false) => Status::Warn,
        (true, true) => Status::Pass,
    };
    let mut detail = lines.join("; ");
    if !proves_something {
        detail.push_str(" (no rows of another workspace to hide: the test proves nothing; add them in `setup`)");
    }
    Ok(CheckResult {
        id: format!("{}:{table}", test.id),
        group: "rls".into(),
        title: format!("{}: {table}", test.title),
        expected: "0 foreign rows visible, all own rows".into(),
        actual: lines.join("; "),
        status,
        duration_ms: 0.0,
        sql: sql_used,
        detail,
        metric: None,
    })
}

fn failed(test: &RlsTest, table: &str, error: String, sql: String) -> CheckResult {
    CheckResult {
        id: format!("{}:{table}", test.id),
        group: "rls".into(),
        title: format!("{}: {table}", test.title),
        expected: "0 foreign rows visible, all own rows".into(),
        actual: error.lines().next().unwrap_or("error").to_owned(),
        status: Status::Fail,
        duration_ms: 0.0,
        sql,
        detail: error,
        metric: None,
    }
}
