//! Applying migrations: each file split into statements as psql would, run one by one in a
//! transaction with the plan's timeouts, timed per statement, recorded in the ledger in the
//! same transaction. On error or cancel the transaction is rolled back and the error names
//! the file, line and column. A statement that waits for another session's lock names who
//! holds it ([`super::blockers`]).

use std::collections::{HashMap, VecDeque};
use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt, TryStreamExt};
use tokio::sync::mpsc::UnboundedSender;
use tokio_postgres::{Client, SimpleQueryStream};

use super::event::{Event, Step};
use super::trace::{self, Tracer};
use super::{blockers, poll};
use crate::db::migration_file::SqlFile;
use crate::db::split::{self, Statement};
use crate::db::{describe, ledger};
use crate::plan::{Execution, LoadedPlan, Migration};
use crate::run_result::{EarlierApply, LockTaken, MigrationResult, MigrationStatus, StatementTiming};

/// Read and split every migration of the plan; problems are returned in words, one per file.
pub fn prepare(plan: &LoadedPlan) -> (Vec<Option<SqlFile>>, Vec<String>) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut problems = Vec::new();
    let prepared = plan
        .plan
        .migrations
        .iter()
        .map(|m| {
            let mut prepared = match SqlFile::read_relative(&plan.resolve(&m.file), &cwd) {
                Ok(p) => p,
                Err(problem) => {
                    problems.push(problem.to_string());
                    return None;
                }
            };
            if !m.non_transactional {
                strip_own_transaction(&mut prepared);
            }
            let (shown, statements) = (&prepared.shown, &prepared.statements);
            if !m.non_transactional {
                for s in statements.iter().filter(|s| split::controls_transaction(&s.sql)) {
                    let shown = s.source(shown, "").0;
                    let first = s.sql.split_whitespace().collect::<Vec<_>>().join(" ");
                    problems.push(format!(
                        "{shown}:{}:{}: `{first}` inside migration {}: pgstage applies each migration in one transaction of its own (with its ledger record), and transaction control in the file would commit or end it part way; remove it (a BEGIN at the top with a COMMIT at the end is taken off by itself), or mark the migration `non_transactional: true`",
                        s.line, s.column, m.id
                    ));
                }
                for s in statements.iter().filter(|s| s.non_transactional.is_some()) {
                    let shown = s.source(shown, "").0;
                    let kind = s.non_transactional.unwrap().describe();
                    problems.push(format!(
                        "{shown}:{}:{}: {kind} cannot run inside a transaction; mark migration {} `non_transactional: true` in the plan to apply it statement by statement",
                        s.line, s.column, m.id
                    ));
                }
            }
            Some(prepared)
        })
        .collect();
    problems.extend(super::rollback::problems(plan));
    (prepared, problems)
}

/// Take off a file's own transaction around all of it (a plain `BEGIN` or `START TRANSACTION`
/// first, `COMMIT` or `END` last, as Sqitch writes deploy scripts): the transaction pgstage
/// opens takes its place. Returns whether there was one.
pub fn strip_own_transaction(p: &mut SqlFile) -> bool {
    let opens = p.statements.first().is_some_and(|s| split::opens_plain_transaction(&s.sql));
    let closes = p.statements.len() >= 2 && p.statements.last().is_some_and(|s| split::commits_transaction(&s.sql));
    if opens && closes {
        p.statements.pop();
        p.statements.remove(0);
    }
    opens && closes
}

/// Everything applying needs from the run.
pub struct Context<'a> {
    pub client: &'a Client,
    /// The session `client` belongs to (for cancel requests).
    pub session: &'a crate::db::connect::Session,
    pub execution: &'a Execution,
    pub run_id: &'a str,
    pub operator: &'a str,
    pub plan_name: &'a str,
    pub cancelled: &'a AtomicBool,
    pub events: &'a UnboundedSender<Event>,
    /// The run's second connection, which watches for lock waits (none: not watched).
    pub watcher: Option<&'a Client>,
    /// The session's server process id.
    pub pid: i32,
    /// Probe whether reads and writes of each locked pre-existing table could go on.
    pub probe: bool,
}

/// What the ledger says about a migration before applying it.
pub enum LedgerState {
    New,
    Applied(ledger::Entry),
    Drift(String),
}

/// What the ledger says of `m` (`ledger_exists`: this run has created it if it was missing).
pub async fn ledger_state(client: &Client, m: &Migration, p: &SqlFile, ledger_exists: bool) -> Result<LedgerState, String> {
    let entry = ledger::entry(client, &m.id, ledger_exists).await.map_err(|e| e.to_string())?;
    Ok(match entry {
        None => LedgerState::New,
        Some(e) if e.checksum == p.checksum => LedgerState::Applied(e),
        Some(e) => LedgerState::Drift(format!(
            "{}: drift: migration {} was applied on {} (run {}) with checksum {}, but the file{} now has checksum {}{}{}; refusing to continue",
            p.shown,
            m.id,
            e.applied_at,
            e.run_id,
            &e.checksum[..12.min(e.checksum.len())],
            ledger::included_words(p.included.iter().map(|f| f.shown.as_str())),
            &p.checksum[..12],
            ledger::line_endings_note(&e.checksum, &p.script),
            ledger::own_bytes_note(&e.checksum, &p.own_checksum, &p.checksum, &m.id, !p.included.is_empty()),
        )),
    })
}

/// Run the statements of `p`, timed one by one; fills `result`'s progress, timings and lock
/// waits, and on failure or cancel its status and error (file:line:column), and returns false
/// (the caller rolls back). In a transaction (`in_transaction`, opened by the caller) the
/// statements are pipelined: sent together, each still its own query with its own result, so
/// the server runs them back to back as `psql -f` would, without a round trip between them; an
/// error aborts the transaction, and nothing after it takes effect. When the locks are probed,
/// the probes run on the reader's session while the next statements do, and answer before the
/// statements' end (so before COMMIT) without holding the pipeline back. Outside a
/// transaction (a non-transactional migration, or a file with its own transaction control)
/// each statement is sent only once the previous one succeeded.
pub async fn run_statements(
    ctx: &Context<'_>,
    step: Step,
    p: &SqlFile,
    result: &mut MigrationResult,
    mut tracer: Option<&mut Tracer>,
    in_transaction: bool,
) -> bool {
    let started = Instant::now();
    let total = p.statements.len();
    let pipelined = in_transaction && !p.statements.iter().any(|s| split::controls_transaction(&s.sql));
    // The trace query rides in the same query as the statements that may lock a pre-existing
    // relation.
    let traced: Vec<bool> = p.statements.iter().map(|s| tracer.as_ref().is_some_and(|t| t.traces(s))).collect();
    let max_oid = tracer.as_ref().map_or(0, |t| t.max_oid);
    let sql = |i: usize| match traced[i] && in_transaction {
        true => trace::traced(&p.statements[i].sql, max_oid),
        false => p.statements[i].sql.clone(),
    };
    // Outside a transaction no trace query can ride along: the reader polls instead.
    let polled: Option<(poll::Relations, Vec<u32>)> = match (in_transaction, ctx.watcher, tracer.as_ref()) {
        (false, Some(_), Some(t)) => {
            let relations = t.polled_relations();
            let oids = relations.keys().copied().collect();
            Some((relations, oids))
        }
        _ => None,
    };
    let mut sent = VecDeque::new();
    let mut probes = FuturesUnordered::new();
    let mut last = Instant::now();
    for (i, statement) in p.statements.iter().enumerate() {
        if ctx.cancelled.load(Ordering::SeqCst) {
            stop(ctx, sent).await;
            result.status = MigrationStatus::Cancelled;
            result.error =
                Some(format!("{}: cancelled before statement {} of {total} (line {})", p.shown, i + 1, statement.line));
            return false;
        }
        let first = statement.sql.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
        let what = format!("line {}: {}", statement.line, first.chars().take(80).collect::<String>());
        let _ = ctx.events.send(Event::Progress { step, done: i, total, what });
        if sent.is_empty() {
            // The next statements, sent at once: in a pipeline all of them, else just this one.
            let end = if pipelined { total } else { i + 1 };
            last = Instant::now();
            for k in i..end {
                match ctx.client.simple_query_raw(&sql(k)).await {
                    Ok(stream) => sent.push_back(stream),
                    Err(e) => {
                        fail(ctx, p, &p.statements[k], e, false, started, result);
                        stop(ctx, sent).await;
                        return false;
                    }
                }
            }
        }
        let stream = sent.pop_front().expect("the statement was sent");
        let seen = Mutex::new(None);
        let held = Mutex::new(HashMap::new());
        let polling = polled.as_ref().filter(|_| traced[i]);
        let outcome = {
            let at = format!("{}:{}", statement.source(&p.shown, &p.script).0, statement.line);
            let watch = async {
                match ctx.watcher {
                    Some(reader) => {
                        let blockers = blockers::watch(reader, ctx.pid, at, ctx.execution.other_sessions_sql, ctx.events, &seen);
                        match polling {
                            Some((relations, _)) => {
                                let locks = poll::watch(reader, ctx.pid, relations, ctx.probe, last, &held);
                                tokio::join!(blockers, locks);
                            }
                            None => blockers.await,
                        }
                    }
                    None => std::future::pending().await,
                }
            };
            let (mut run, mut watch) = (pin!(stream.try_collect::<Vec<_>>()), pin!(watch));
            // While the statement runs: the probes of earlier ones, and the cancel request
            // again for as long as the operator's cancel has not ended it.
            loop {
                tokio::select! {
                    outcome = &mut run => break outcome,
                    Some((t, l, (read, write))) = probes.next(), if !probes.is_empty() => {
                        settle(tracer.as_deref_mut(), t, l, read, write);
                    }
                    () = watch.as_mut() => unreachable!("the watcher never ends"),
                    () = tokio::time::sleep(RECANCEL), if ctx.cancelled.load(Ordering::SeqCst) => {
                        let _ = ctx.session.cancel().await;
                    }
                }
            }
        };
        let done = Instant::now();
        let ms = (done - last).as_secs_f64() * 1000.0;
        last = done;
        let wait = seen.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(mut wait) = wait.clone() {
            // Failed while waiting (a lock timeout): it waited all along. Otherwise the last
            // look is the wait known for sure.
            if outcome.is_err() {
                wait.waited_ms = ms;
            }
            result.lock_waits.push(wait);
        }
        let messages = match outcome {
            Ok(messages) => messages,
            Err(e) => {
                fail(ctx, p, statement, e, wait.is_some(), started, result);
                stop(ctx, sent).await;
                return false;
            }
        };
        if let (Some(tracer), Some((_, oids))) = (tracer.as_deref_mut(), polling) {
            // A statement outside a transaction: what the poll saw, and its rewrites.
            let storage = poll::storage(ctx.client, oids).await.unwrap_or_default();
            let held = held.into_inner().unwrap_or_else(|e| e.into_inner());
            let waited = wait.as_ref().map_or(0.0, |w| w.waited_ms);
            tracer.observe_polled(statement, &p.shown, ms, waited, &held, &storage);
        } else if let Some(tracer) = tracer.as_deref_mut()
            && traced[i]
            && in_transaction
            && tracer.observe(statement, &p.shown, ms, wait.as_ref().map_or(0.0, |w| w.waited_ms), &messages).is_some()
            && ctx.probe
            && let Some(reader) = ctx.watcher
        {
            // Locks that can keep reads or writes waiting, on tables: ask another session
            // while the next statements run (the locks are held until COMMIT).
            let t = tracer.traces.len() - 1;
            for (l, lock) in tracer.traces[t].locks.iter().enumerate().filter(|(_, l)| probed(l)) {
                let relation = lock.relation.clone();
                probes.push(async move { (t, l, trace::probe(reader, &relation).await) });
            }
        }
        if sent.is_empty() {
            // The end of the pipeline (or, outside one, of the statement, which may end the
            // file's own transaction): the probes answer before the locks can go.
            while let Some((t, l, (read, write))) = probes.next().await {
                settle(tracer.as_deref_mut(), t, l, read, write);
            }
        }
        result.statement_timings.push(StatementTiming { line: statement.line, ms });
        result.statements_done = i + 1;
        let what = statement.sql.lines().next().unwrap_or_default().chars().take(80).collect();
        let _ = ctx.events.send(Event::Progress { step, done: i + 1, total, what });
    }
    result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let what = AFTER_THE_STATEMENTS.to_owned();
    let _ = ctx.events.send(Event::Progress { step, done: total, total, what });
    true
}

/// What a step does once its statements ran (shown while it lasts, which a lock held by
/// another session can make seconds).
const AFTER_THE_STATEMENTS: &str = "statements done: ledger, COMMIT, catalog snapshot";

/// How often a cancelled run asks the server again to cancel what it runs (a cancel request
/// that arrives between two pipelined statements is dropped by the server).
const RECANCEL: Duration = Duration::from_millis(100);

/// A probe's answer, into the lock it asked about (trace `t`, lock `l`).
fn settle(tracer: Option<&mut Tracer>, t: usize, l: usize, read: Option<bool>, write: Option<bool>) {
    if let Some(tracer) = tracer {
        tracer.settle(t, l, read, write);
    }
}

/// Locks the probes ask about: on tables, in a mode that keeps reads or writes waiting.
fn probed(lock: &LockTaken) -> bool {
    matches!(lock.kind.as_str(), "table" | "partitioned table" | "materialized view")
        && lock.blocks.is_some_and(|b| b != crate::db::lock_modes::Blocks::DdlOnly)
}

/// After a failure or a cancel: the statements already sent end as errors in the aborted
/// transaction. Wait for them, asking the server to cancel whichever one is still running
/// when the operator cancelled, so that the rollback that follows is not kept waiting.
async fn stop(ctx: &Context<'_>, sent: VecDeque<SimpleQueryStream>) {
    for stream in sent {
        let mut rest = pin!(stream.try_collect::<Vec<_>>());
        loop {
            tokio::select! {
                _ = &mut rest => break,
                () = tokio::time::sleep(RECANCEL) => {
                    if ctx.cancelled.load(Ordering::SeqCst) {
                        let _ = ctx.session.cancel().await;
                    }
                }
            }
        }
    }
}

/// A statement failed (or was cancelled): fill `result` with the error at file:line:column,
/// and who blocked it when it waited for a lock.
fn fail(
    ctx: &Context<'_>,
    p: &SqlFile,
    statement: &Statement,
    e: tokio_postgres::Error,
    waited: bool,
    started: Instant,
    result: &mut MigrationResult,
) {
    let cancelled = ctx.cancelled.load(Ordering::SeqCst) && e.code() == Some(&tokio_postgres::error::SqlState::QUERY_CANCELED);
    // The file the statement is in: the migration's, or one it includes (`\ir`).
    let (shown, script) = statement.source(&p.shown, &p.script);
    let (line, column) = match e.as_db_error().and_then(|d| d.position()) {
        Some(tokio_postgres::error::ErrorPosition::Original(pos)) => split::locate(script, statement, *pos as usize),
        _ => (statement.line, statement.column),
    };
    result.status = if cancelled { MigrationStatus::Cancelled } else { MigrationStatus::Failed };
    let mut what = if cancelled {
        "cancelled by the operator".to_owned()
    } else if ctx.client.is_closed() || e.as_db_error().is_some_and(|d| matches!(d.severity(), "FATAL" | "PANIC")) {
        format!("connection lost: {}", describe(&e))
    } else {
        describe(&e)
    };
    if let Some(wait) = result.lock_waits.last().filter(|_| waited) {
        what.push_str(&format!("\n  {}", wait.sentence()));
    }
    result.error = Some(format!("{shown}:{line}:{column}: {what}"));
    result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
}

/// Record an applied migration in the ledger, in its transaction (with what it did to the
/// data); marks `result` applied, or failed when recording fails.
pub async fn record(ctx: &Context<'_>, m: &Migration, p: &SqlFile, result: &mut MigrationResult) -> bool {
    let data = serde_json::to_string(&result.data).unwrap_or_default();
    let sql =
        ledger::record_sql(&m.id, &p.shown, &p.checksum, result.duration_ms, ctx.run_id, ctx.operator, ctx.plan_name, &data);
    if let Err(e) = ctx.client.batch_execute(&sql).await {
        result.status = MigrationStatus::Failed;
        result.error = Some(format!("{}: recording in the ledger failed: {}", p.shown, describe(&e)));
        return false;
    }
    result.status = MigrationStatus::Applied;
    true
}

/// A migration the ledger already holds, as this run reports it: the time, run, operator and
/// data changes the ledger recorded.
pub fn already_applied(result: &mut MigrationResult, entry: ledger::Entry) {
    result.status = MigrationStatus::AlreadyApplied;
    result.duration_ms = entry.duration_ms;
    result.statements_done = result.statements;
    if let Some(data) = entry.data.as_deref().and_then(|d| serde_json::from_str(d).ok()) {
        result.data = data;
    }
    result.applied_earlier = Some(EarlierApply { run_id: entry.run_id, operator: entry.operator, applied_at: entry.applied_at });
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

/// pgstage's own settings of the run's session, set when it starts and again after each
/// migration. `RESET ALL` first: a migration's own `SET` (not `LOCAL`: `search_path`, `role`,
/// `lock_timeout`, `session_replication_role`…) outlives its transaction, where `psql -1 -f`
/// would have ended the session with the file; left set, it would change what the next
/// migration does and how pgstage's own reads deparse the catalog.
#[derive(Debug, Clone)]
pub struct SessionSettings(String);

impl SessionSettings {
    /// The run's name, the plan's lock timeout (nothing waits longer for another session's
    /// lock), no statement timeout (checks set their own) and, where the server took it, the
    /// check for a client gone mid-statement.
    pub fn new(execution: &Execution, run_id: &str, check_interval: bool) -> Self {
        let mut sql = format!(
            "RESET ALL; SET application_name = {}; SET lock_timeout = {}",
            crate::db::quote_literal(&format!("pgstage run {run_id}")),
            execution.lock_timeout_ms
        );
        if check_interval {
            sql.push_str("; SET client_connection_check_interval = 1000");
        }
        SessionSettings(sql)
    }

    pub fn sql(&self) -> &str {
        &self.0
    }

    /// `COMMIT`, then the session's settings again, in the same round trip.
    pub fn commit_sql(&self) -> String {
        format!("COMMIT; {}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn prepared(script: &str) -> SqlFile {
        SqlFile {
            file: PathBuf::from("m.sql"),
            shown: "m.sql".into(),
            script: script.into(),
            statements: split::split(script).unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn a_files_own_transaction_around_all_of_it_is_taken_off_and_nothing_else() {
        let mut p = prepared("BEGIN;\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nCOMMIT;\n");
        assert!(strip_own_transaction(&mut p));
        let lines: Vec<usize> = p.statements.iter().map(|s| s.line).collect();
        assert_eq!(lines, [2, 3], "the statements keep their lines");
        for script in [
            "BEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE a (id int);\nCOMMIT;",
            "BEGIN;\nCREATE TABLE a (id int);",
            "CREATE TABLE a (id int);\nCOMMIT;",
            "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);",
            "COMMIT;",
        ] {
            let mut p = prepared(script);
            let before = p.statements.len();
            assert!(!strip_own_transaction(&mut p), "{script}");
            assert_eq!(p.statements.len(), before, "{script}");
        }
    }
}
