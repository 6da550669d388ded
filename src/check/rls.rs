//! Row-level security isolation: as the plan's role, with the user claim set to each subject
//! in turn, a table shows none of the other workspaces' rows and all of the subject's own.
//! Everything runs in one transaction that is always rolled back.

use std::time::Instant;

use tokio_postgres::Client;

use crate::db::{DbError, describe, quote_ident, quote_literal};
use crate::engine::result::{CheckResult, Status};
use crate::plan::RlsTest;

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
        return Ok(vec![failed(test, "setup", describe(&e))]);
    }
    let mut results = Vec::new();
    for table in &test.tables {
        let started = Instant::now();
        let mut lines = Vec::new();
        let mut ok = true;
        let mut proves_something = true;
        let mut sql_used = String::new();
        for subject in &test.subjects {
            let ws = quote_literal(&subject.workspace_id);
            let count_sql = format!(
                "SELECT count(*) FILTER (WHERE workspace_id::text = {ws}), count(*) FILTER (WHERE workspace_id::text <> {ws}) FROM public.{}",
                quote_ident(table)
            );
            // As the connecting user (owner): what exists.
            let totals = match client.query_one(&count_sql, &[]).await {
                Ok(row) => (row.get::<_, i64>(0), row.get::<_, i64>(1)),
                Err(e) => return Ok(vec![failed(test, table, describe(&e))]),
            };
            // As the role, with the subject's claim: what is visible.
            let as_subject = format!(
                "SET LOCAL ROLE {}; SELECT set_config({}, {}, true)",
                quote_ident(&test.role),
                quote_literal(&test.claim),
                quote_literal(&subject.user_id)
            );
            let visible = async {
                client.batch_execute(&as_subject).await?;
                let row = client.query_one(&count_sql, &[]).await;
                client.batch_execute("RESET ROLE").await?;
                row.map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1)))
            }
            .await;
            let visible = match visible {
                Ok(v) => v,
                Err(e) => return Ok(vec![failed(test, table, describe(&e))]),
            };
            sql_used = count_sql;
            ok &= visible.1 == 0 && visible.0 == totals.0;
            proves_something &= totals.1 > 0;
            lines.push(format!(
                "{} sees {}/{} own and {}/{} foreign rows",
                subject.label, visible.0, totals.0, visible.1, totals.1
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
        results.push(CheckResult {
            id: format!("{}:{table}", test.id),
            group: "rls".into(),
            title: format!("{}: {table}", test.title),
            expected: "0 foreign rows visible, all own rows".into(),
            actual: lines.join("; "),
            status,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            sql: sql_used,
            detail,
            metric: None,
        });
    }
    Ok(results)
}

fn failed(test: &RlsTest, table: &str, error: String) -> CheckResult {
    CheckResult {
        id: format!("{}:{table}", test.id),
        group: "rls".into(),
        title: format!("{}: {table}", test.title),
        expected: "0 foreign rows visible, all own rows".into(),
        actual: "error".into(),
        status: Status::Fail,
        duration_ms: 0.0,
        sql: test.setup.clone().unwrap_or_default(),
        detail: error,
        metric: None,
    }
}
