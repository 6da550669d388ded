//! Applying migrations: each file split into statements as psql would, run one by one in a
//! transaction with the plan's timeouts, timed per statement, recorded in the ledger in the
//! same transaction. On error or cancel the transaction is rolled back and the error names
//! the file, line and column.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;
use tokio_postgres::Client;

use super::event::{Event, Step};
use super::result::{MigrationResult, MigrationStatus, StatementTiming};
use crate::db::split::{self, Statement};
use crate::db::{describe, ledger};
use crate::plan::{Execution, LoadedPlan, Migration};

/// A migration file read, checksummed and split, before anything runs.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub file: PathBuf,
    /// The path as shown in messages (relative to the working directory when possible).
    pub shown: String,
    pub script: String,
    pub checksum: String,
    pub statements: Vec<Statement>,
}

/// Read and split every migration of the plan; problems are returned in words, one per file.
pub fn prepare(plan: &LoadedPlan) -> (Vec<Option<Prepared>>, Vec<String>) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut problems = Vec::new();
    let prepared = plan
        .plan
        .migrations
        .iter()
        .map(|m| {
            let file = plan.resolve(&m.file);
            let shown = file.strip_prefix(&cwd).unwrap_or(&file).display().to_string();
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                Err(e) => {
                    problems.push(format!("{shown}: cannot read: {e}"));
                    return None;
                }
            };
            let script = String::from_utf8_lossy(&bytes).into_owned();
            let statements = match split::split(&script) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("{shown}: {e}"));
                    return None;
                }
            };
            if !m.non_transactional {
                for s in statements.iter().filter(|s| s.non_transactional.is_some()) {
                    let kind = s.non_transactional.unwrap().describe();
                    problems.push(format!(
                        "{shown}:{}:{}: {kind} cannot run inside a transaction; mark migration {} `non_transactional: true` in the plan to apply it statement by statement",
                        s.line, s.column, m.id
                    ));
                }
            }
            Some(Prepared { checksum: ledger::checksum(&bytes), file, shown, script, statements })
        })
        .collect();
    (prepared, problems)
}

/// Everything applying needs from the run.
pub struct Context<'a> {
    pub client: &'a Client,
    pub execution: &'a Execution,
    pub run_id: &'a str,
    pub operator: &'a str,
    pub plan_name: &'a str,
    pub cancelled: &'a AtomicBool,
    pub events: &'a UnboundedSender<Event>,
}

/// A migration result before anything ran.
pub fn not_run(m: &Migration, p: Option<&Prepared>) -> MigrationResult {
    MigrationResult {
        id: m.id.clone(),
        title: m.title.clone(),
        file: p.map_or_else(|| m.file.display().to_string(), |p| p.shown.clone()),
        checksum: p.map(|p| p.checksum.clone()).unwrap_or_default(),
        expected_ms: m.expected_ms,
        status: MigrationStatus::NotRun,
        duration_ms: 0.0,
        statements: p.map_or(0, |p| p.statements.len()),
        statements_done: 0,
        statement_timings: Vec::new(),
        created: Default::default(),
        object_mismatches: Vec::new(),
        error: None,
    }
}

/// What the ledger says about a migration before applying it.
pub enum LedgerState {
    New,
    Applied,
    Drift(String),
}

pub async fn ledger_state(client: &Client, m: &Migration, p: &Prepared) -> Result<LedgerState, String> {
    let entry = ledger::entry(client, &m.id).await.map_err(|e| e.to_string())?;
    Ok(match entry {
        None => LedgerState::New,
        Some(e) if e.checksum == p.checksum => LedgerState::Applied,
        Some(e) => LedgerState::Drift(format!(
            "{}: drift: migration {} was applied on {} (run {}) with checksum {}, but the file now has checksum {}; refusing to continue",
            p.shown,
            m.id,
            e.applied_at,
            e.run_id,
            &e.checksum[..12.min(e.checksum.len())],
            &p.checksum[..12]
        )),
    })
}

/// Run a migration's statements in the current transaction (opened by the caller) and record
/// it in the ledger. Fills `result`; returns false when it failed or was cancelled (the
/// caller rolls back).
pub async fn run_statements(ctx: &Context<'_>, step: Step, m: &Migration, p: &Prepared, result: &mut MigrationResult) -> bool {
    let started = Instant::now();
    let total = p.statements.len();
    for (i, statement) in p.statements.iter().enumerate() {
        if ctx.cancelled.load(Ordering::SeqCst) {
            result.status = MigrationStatus::Cancelled;
            result.error =
                Some(format!("{}: cancelled before statement {} of {total} (line {})", p.shown, i + 1, statement.line));
            return false;
        }
        let t = Instant::now();
        if let Err(e) = ctx.client.batch_execute(&statement.sql).await {
            let cancelled =
                ctx.cancelled.load(Ordering::SeqCst) && e.code() == Some(&tokio_postgres::error::SqlState::QUERY_CANCELED);
            let (line, column) = match e.as_db_error().and_then(|d| d.position()) {
                Some(tokio_postgres::error::ErrorPosition::Original(pos)) => split::locate(&p.script, statement, *pos as usize),
                _ => (statement.line, statement.column),
            };
            result.status = if cancelled { MigrationStatus::Cancelled } else { MigrationStatus::Failed };
            let what = if cancelled {
                "cancelled by the operator".to_owned()
            } else if ctx.client.is_closed() || e.as_db_error().is_some_and(|d| matches!(d.severity(), "FATAL" | "PANIC")) {
                format!("connection lost: {}", describe(&e))
            } else {
                describe(&e)
            };
            result.error = Some(format!("{}:{line}:{column}: {what}", p.shown));
            result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            return false;
        }
        result.statement_timings.push(StatementTiming { line: statement.line, ms: t.elapsed().as_secs_f64() * 1000.0 });
        result.statements_done = i + 1;
        let what = statement.sql.lines().next().unwrap_or_default().chars().take(80).collect();
        let _ = ctx.events.send(Event::Progress { step, done: i + 1, total, what });
    }
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let record = ledger::record_sql(&m.id, &p.shown, &p.checksum, duration_ms, ctx.run_id, ctx.operator, ctx.plan_name);
    if let Err(e) = ctx.client.batch_execute(&record).await {
        result.status = MigrationStatus::Failed;
        result.error = Some(format!("{}: recording in the ledger failed: {}", p.shown, describe(&e)));
        return false;
    }
    result.duration_ms = duration_ms;
    result.status = MigrationStatus::Applied;
    true
}

/// `BEGIN` with the plan's timeouts.
pub fn begin_sql(execution: &Execution) -> String {
    format!(
        "BEGIN; SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
        execution.lock_timeout_ms, execution.statement_timeout_ms
    )
}

/// The plan's timeouts for the whole session (for migrations that run outside a transaction).
pub fn session_timeouts_sql(execution: &Execution) -> String {
    format!("SET lock_timeout = {}; SET statement_timeout = {}", execution.lock_timeout_ms, execution.statement_timeout_ms)
}
