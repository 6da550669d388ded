//! The run engine: executes a plan against a database as an explicit state machine,
//! pre-flight → migrations → verification → integrity → performance → rollback rehearsal →
//! verdict, sending an [`Event`] for everything it does.
//!
//! Drive it step by step ([`Engine::step`]), or to the end ([`Engine::run`]); pause between
//! steps and cancel mid-statement through [`Controls`]. [`Engine::start`] refuses a target
//! the plan does not allow and takes the per-database runner lock; [`Engine::finish`]
//! releases it and returns the [`RunResult`].

pub mod apply;
mod baseline;
pub mod blockers;
pub mod clone;
mod data;
mod drift;
pub mod event;
pub mod guard;
mod objects;
pub mod poll;
mod rollback;
mod scope;
pub use scope::plan_schemas;
mod steps;
pub mod trace;
pub mod verdict;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use tokio::sync::mpsc::UnboundedSender;

pub use event::{Event, Step};

use crate::db::connect::Session;
use crate::db::migration_file::SqlFile;
use crate::db::snapshot::Snapshot;
use crate::db::{DbError, describe, ledger};
use crate::plan::{LoadedPlan, Section, TransactionMode};
use crate::rehearsal::RehearsedBaseline;
use crate::run_result::{
    Acknowledgement, BaselineSource, CheckResult, FORMAT_VERSION, MigrationResult, Outcome, PlanInfo, Rehearsal, RunResult,
    SandboxInfo, SchemaCounts, Verdict,
};

/// Why a run could not start. Failures once it runs are part of the [`RunResult`].
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("refusing to run against this database: {0} (override only if you are sure it is not production)")]
    TargetRefused(String),
    #[error("another runner holds this database: {holder} in progress since {since} (from {client}); nothing was touched")]
    Locked { holder: String, since: String, client: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// How a run is started.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Who runs it (recorded in the ledger and the report).
    pub operator: String,
    /// Manual items acknowledged up front (the CLI's `--ack`); more can be added with
    /// [`Engine::acknowledge`] before the migrations start.
    pub acknowledgements: Vec<Acknowledgement>,
    /// Run even though the plan's target guard refuses this database.
    pub override_target_guard: bool,
    /// The sandbox the session is on, if it is (stated in the report).
    pub sandbox: Option<SandboxInfo>,
    /// For a database: the plan's last rehearsal on record (see `pgstage::rehearsal`).
    pub rehearsal: Option<Rehearsal>,
    /// For a database: the catalog that rehearsal started from, compared with the target's
    /// (`PF-DRIFT`).
    pub rehearsed_baseline: Option<RehearsedBaseline>,
    /// For a sandbox seeded with staging's schema: where it came from, and staging's table
    /// sizes, which the lock findings are graded by.
    pub clone: Option<crate::sandbox::clone::Cloned>,
}

/// Pause and cancel, usable from another task while the engine runs.
#[derive(Clone)]
pub struct Controls {
    session: Arc<Session>,
    cancelled: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
}

impl Controls {
    /// Stop before the next step ([`Engine::run`] returns; [`Engine::step`] continues).
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }

    /// A pause was asked for and the run has not yet stopped for it (or been resumed).
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Cancel the run: the running statement gets PostgreSQL's cancel request, the migration
    /// in progress is rolled back, and no further step runs.
    pub async fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let _ = self.session.cancel().await;
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

pub struct Engine {
    plan: LoadedPlan,
    session: Arc<Session>,
    /// A second, read-only connection catalog snapshots split their queries over (none if it
    /// could not be opened: then the session does all).
    reader: Option<CatalogReader>,
    controls: Controls,
    events: UnboundedSender<Event>,
    steps: Vec<Step>,
    next: usize,
    prepared: Vec<Option<SqlFile>>,
    /// A migration of the plan attaches, inherits or renames tables ([`trace::reparents`]),
    /// read once from the prepared files: the trace then follows more statements.
    reparenting: bool,
    /// The catalog before the plan's migrations: measured by this run's pre-flight, or recorded
    /// by the run that applied the first of them.
    baseline: Snapshot,
    /// False when earlier migrations left no recorded baseline (then `baseline` is the
    /// catalog as this run found it, good only for telling this run's changes).
    baseline_known: bool,
    /// The baseline is still to be recorded, in the first migration's transaction.
    record_baseline: bool,
    /// The session's server process id (watched for lock waits).
    pid: i32,
    /// pgstage's own session settings, set again after each migration.
    settings: apply::SessionSettings,
    /// The ledger is known to exist (this run made sure of it before the first migration).
    ledger_ready: bool,
    /// Rows of pre-existing tables without statistics, counted once per run (by oid).
    counted: std::collections::HashMap<u32, i64>,
    /// What the run's catalog reads cover, once resolved ([`scope`]).
    scope: Option<crate::db::snapshot::Scope>,
    current: Snapshot,
    result: RunResult,
    started: Instant,
    /// On a database: the rehearsed catalog to compare with (taken by the pre-flight). On a
    /// sandbox: the catalog this run started from, once measured ([`Engine::rehearsed_baseline`]).
    rehearsed: Option<RehearsedBaseline>,
    /// The sandbox is a clone of staging's schema ([`RunOptions::clone`]).
    clone: Option<crate::sandbox::clone::Cloned>,
    /// The database's size, asked on a connection of its own while the pre-flight runs (only
    /// while it runs, and only if one of its checks asks for it).
    size_ahead: Option<crate::db::figures::SizeAhead>,
}

/// The run's second connection, read-only, for catalog snapshots.
struct CatalogReader {
    session: Session,
    /// Its server process, not counted among other sessions.
    pid: i32,
    /// The query for the sessions a migration blocks, once prepared ([`trace::blocked_by`]).
    blocked: tokio::sync::OnceCell<tokio_postgres::Statement>,
}

impl CatalogReader {
    async fn open(session: &Session, run_id: &str) -> Option<Self> {
        let reader = session.open_another().await.ok()?;
        let row = reader
            .client
            .query_one(
                "SELECT pg_backend_pid(), set_config('application_name', $1, false),
                        set_config('default_transaction_read_only', 'on', false)",
                &[&format!("pgstage run {run_id} (catalog reader)")],
            )
            .await
            .ok()?;
        // Best effort: a database without PL/pgSQL gets no probe answers anyway.
        let _ = reader.client.batch_execute(&trace::reader_warm_up_sql()).await;
        Some(CatalogReader { pid: row.get(0), session: reader, blocked: Default::default() })
    }
}

fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn new_run_id() -> String {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace([':', '-'], "");
    format!("{stamp}-{:04x}", (nanos.subsec_nanos() ^ std::process::id()) & 0xffff)
}

impl Engine {
    /// Check the target guard, take the runner lock, and get ready to run `plan`.
    pub async fn start(
        plan: LoadedPlan,
        session: Session,
        options: RunOptions,
        events: UnboundedSender<Event>,
    ) -> Result<Self, EngineError> {
        let run_id = new_run_id();
        // The catalog reader connects while the session is checked and set up (and is given
        // up if the session is refused).
        let ((pid, settings), reader) = tokio::try_join!(Self::set_up(&plan, &session, &options, &events, &run_id), async {
            Ok(CatalogReader::open(&session, &run_id).await)
        })?;
        let steps = steps_of(&plan);
        let text = std::fs::read(&plan.path).unwrap_or_default();
        let p = &plan.plan;
        let result = RunResult {
            format_version: FORMAT_VERSION,
            run_id: run_id.clone(),
            plan: PlanInfo {
                name: p.name.clone(),
                phase: p.phase.clone(),
                path: plan.path.display().to_string(),
                checksum: ledger::checksum(&text),
                scheduled: p.scheduled.clone(),
                planned_hours: p.planned_hours,
            },
            operator: options.operator.clone(),
            started_at: now(),
            finished_at: String::new(),
            target: session.target.clone(),
            server_version: session.server_version.clone(),
            outcome: Outcome::InProgress,
            acknowledgements: options.acknowledgements.clone(),
            preflight: vec![],
            migrations: p.migrations.iter().map(|m| MigrationResult::not_run(m, None)).collect(),
            verification: vec![],
            schema_summary: vec![],
            integrity: vec![],
            sample_data: vec![],
            rls: vec![],
            performance: vec![],
            rollback: None,
            schema_counts: SchemaCounts { schema: p.baseline.schema.clone(), ..Default::default() },
            baseline: BaselineSource::Measured,
            completed_steps: vec![],
            sensitivity: vec![],
            verdict: Verdict {
                go: false,
                criteria: vec![],
                reasons: vec![],
                default_criteria: false,
                able_to_fail: String::new(),
            },
            sandbox: options.sandbox.clone(),
            rehearsal: options.rehearsal.clone(),
            drift: vec![],
            clone: options.clone.as_ref().map(|c| c.info.clone()),
        };
        let session = Arc::new(session);
        let controls = Controls {
            session: session.clone(),
            cancelled: Arc::new(AtomicBool::new(false)),
            paused: Arc::new(AtomicBool::new(false)),
        };
        let _ = events.send(Event::RunStarted { run_id, steps: steps.iter().map(|s| (*s, step_title(&plan, *s))).collect() });
        Ok(Self {
            plan,
            session,
            reader,
            controls,
            events,
            steps,
            next: 0,
            prepared: vec![],
            reparenting: false,
            baseline: Snapshot::default(),
            baseline_known: false,
            record_baseline: false,
            pid,
            settings,
            ledger_ready: false,
            counted: Default::default(),
            scope: None,
            current: Snapshot::default(),
            result,
            started: Instant::now(),
            rehearsed: options.rehearsed_baseline,
            clone: options.clone,
            size_ahead: None,
        })
    }

    /// The session's part of [`Engine::start`]: the target guard, the runner lock, its name
    /// and settings; returns its server process id and those settings.
    async fn set_up(
        plan: &LoadedPlan,
        session: &Session,
        options: &RunOptions,
        events: &UnboundedSender<Event>,
        run_id: &str,
    ) -> Result<(i32, apply::SessionSettings), EngineError> {
        let client = &session.client;
        let host = guard::host_of(&session.target);
        if let Some(why) = guard::refusal(client, &plan.plan.target, &host).await? {
            if !options.override_target_guard {
                return Err(EngineError::TargetRefused(why));
            }
            let _ = events.send(Event::Log(format!("target guard overridden: {why}")));
        }
        if let Err(h) = ledger::try_lock(client).await? {
            return Err(EngineError::Locked { holder: h.application, since: h.since, client: h.client });
        }
        // If pgstage dies mid-statement, the server notices within a second, rolls back and
        // frees the lock, instead of finishing a long statement first (PostgreSQL 14+; not on
        // every platform).
        let check_interval = client.batch_execute("SET client_connection_check_interval = 1000").await.is_ok();
        // Nothing the run does waits longer than the plan's lock timeout for another
        // session's lock: not a migration, and not a snapshot or a check either.
        let settings = apply::SessionSettings::new(&plan.plan.execution, run_id, check_interval);
        client.batch_execute(settings.sql()).await.map_err(DbError::query)?;
        let warm_up = trace::warm_up_sql();
        let (pid, _) = tokio::join!(client.query_one("SELECT pg_backend_pid()", &[]), client.batch_execute(&warm_up));
        let pid: i32 = pid.map_err(DbError::query)?.get(0);
        Ok((pid, settings))
    }

    pub fn controls(&self) -> Controls {
        self.controls.clone()
    }

    /// The steps of this run, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The step [`Engine::step`] would run, or `None` when the run is over.
    pub fn next_step(&self) -> Option<Step> {
        if self.result.outcome != Outcome::InProgress {
            return None;
        }
        self.steps.get(self.next).copied()
    }

    /// The result so far.
    pub fn result(&self) -> &RunResult {
        &self.result
    }

    /// Acknowledge a manual pre-flight item (who and when are recorded).
    pub fn acknowledge(&mut self, item: &str, by: &str) -> bool {
        let Some(manual) = self.plan.plan.preflight.manual.iter().find(|m| m.id == item) else { return false };
        self.result.acknowledgements.retain(|a| a.item != item);
        self.result.acknowledgements.push(Acknowledgement {
            item: item.to_owned(),
            title: manual.title.clone(),
            by: by.to_owned(),
            at: now(),
        });
        true
    }

    /// Run every remaining step, unless paused or cancelled on the way.
    pub async fn run(&mut self) {
        while self.next_step().is_some() && !self.controls.paused.load(Ordering::SeqCst) {
            self.step().await;
        }
    }

    /// Run the next step; returns the step that ran.
    pub async fn step(&mut self) -> Option<Step> {
        let step = self.next_step()?;
        if self.controls.is_cancelled() {
            self.result.outcome = Outcome::Cancelled { step: step_title(&self.plan, step) };
            return None;
        }
        let title = step_title(&self.plan, step);
        let _ = self.events.send(Event::StepStarted { step, title: title.clone() });
        let outcome = match step {
            Step::Preflight => self.preflight().await,
            Step::Migration(i) => self.migrations(i).await,
            Step::Verification => self.verification().await,
            Step::Integrity => self.integrity().await,
            Step::Performance => self.performance().await,
            Step::Rollback => self.rollback().await,
            Step::Verdict => Ok(()),
        };
        let ok = match outcome {
            Ok(()) => true,
            Err(StepEnd::Failed(error)) => {
                self.result.outcome = Outcome::Failed { step: title, error };
                false
            }
            Err(StepEnd::Cancelled) => {
                self.result.outcome = Outcome::Cancelled { step: title };
                false
            }
        };
        self.next += 1;
        let last_migration = !matches!(self.steps.get(self.next), Some(Step::Migration(_)));
        if ok && (!matches!(step, Step::Migration(_)) || last_migration) && step != Step::Verdict {
            self.result.completed_steps.push(step.section().to_owned());
        }
        if ok && self.next == self.steps.len() {
            self.result.outcome = Outcome::Completed;
        }
        let _ = self.events.send(Event::StepFinished { step, ok });
        Some(step)
    }

    /// Decide the verdict, release the lock, and return the result.
    pub async fn finish(mut self) -> RunResult {
        if self.result.outcome == Outcome::InProgress && self.controls.is_cancelled() {
            let step = self.next_step().map(|s| step_title(&self.plan, s)).unwrap_or_default();
            self.result.outcome = Outcome::Cancelled { step };
        }
        self.judge_sensitivity();
        self.result.verdict = verdict::decide(&self.plan.plan, &self.result);
        self.result.finished_at = now();
        let _ = ledger::unlock(&self.session.client).await;
        let _ = self.events.send(Event::Log(format!("run finished in {:.1} s", self.started.elapsed().as_secs_f64())));
        let _ = self.events.send(Event::Finished(Box::new(self.result.clone())));
        self.result
    }

    fn client(&self) -> &tokio_postgres::Client {
        &self.session.client
    }

    fn schema(&self) -> &str {
        &self.plan.plan.baseline.schema
    }

    fn timeout(&self) -> u64 {
        self.plan.plan.execution.statement_timeout_ms
    }

    fn record(&mut self, section: Section, result: CheckResult) {
        let _ = self.events.send(Event::CheckFinished { section, result: result.clone() });
        if let Some(list) = self.result.section_mut(section) {
            list.push(result);
        }
    }
}

/// How a step ended early.
enum StepEnd {
    Failed(String),
    Cancelled,
}

fn db_failed(e: tokio_postgres::Error) -> StepEnd {
    StepEnd::Failed(describe(&e))
}

fn db_end(e: DbError) -> StepEnd {
    StepEnd::Failed(e.to_string())
}

/// The steps a plan's run is made of.
fn steps_of(plan: &LoadedPlan) -> Vec<Step> {
    let p = &plan.plan;
    let mut steps = vec![Step::Preflight];
    match p.execution.transaction {
        TransactionMode::PerMigration => steps.extend((0..p.migrations.len()).map(Step::Migration)),
        TransactionMode::Batch => steps.push(Step::Migration(0)),
    }
    steps.extend([Step::Verification, Step::Integrity, Step::Performance]);
    if p.rollback.as_ref().is_some_and(|r| r.rehearse) {
        steps.push(Step::Rollback);
    }
    steps.push(Step::Verdict);
    steps
}

/// A step's name for people.
pub fn step_title(plan: &LoadedPlan, step: Step) -> String {
    let p = &plan.plan;
    match step {
        Step::Preflight => "Pre-flight".into(),
        Step::Migration(_) if p.execution.transaction == TransactionMode::Batch => "Migrations (one transaction)".into(),
        Step::Migration(i) => p.migrations.get(i).map_or("Migration".into(), |m| format!("Migration {} – {}", m.id, m.title)),
        Step::Verification => "Verification".into(),
        Step::Integrity => "Integrity".into(),
        Step::Performance => "Performance".into(),
        Step::Rollback => "Rollback rehearsal".into(),
        Step::Verdict => "Verdict".into(),
    }
}
