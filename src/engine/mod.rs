//! The run engine: executes a plan against a database as an explicit state machine,
//! pre-flight → migrations → verification → integrity → performance → rollback rehearsal →
//! verdict, sending an [`Event`] for everything it does.
//!
//! Drive it step by step ([`Engine::step`]), or to the end ([`Engine::run`]); pause between
//! steps and cancel mid-statement through [`Controls`]. [`Engine::start`] refuses a target
//! the plan does not allow and takes the per-database runner lock; [`Engine::finish`]
//! releases it and returns the [`RunResult`].

pub mod apply;
pub mod event;
pub mod guard;
pub mod result;
pub mod verdict;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use tokio::sync::mpsc::UnboundedSender;

pub use event::{Event, Step};
pub use result::*;

use crate::check::{self, TxMode};
use crate::db::connect::Session;
use crate::db::snapshot::{Kind, Snapshot, row_counts};
use crate::db::{DbError, describe, ledger};
use crate::plan::{LoadedPlan, Migration, TransactionMode};
use apply::{LedgerState, Prepared};

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
    controls: Controls,
    events: UnboundedSender<Event>,
    steps: Vec<Step>,
    next: usize,
    prepared: Vec<Option<Prepared>>,
    baseline: Snapshot,
    baseline_rows: BTreeMap<String, i64>,
    current: Snapshot,
    result: RunResult,
    started: Instant,
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
        let client = &session.client;
        let host = session.target.split('@').nth(1).unwrap_or("").split([':', '/']).next().unwrap_or("").to_owned();
        if let Some(why) = guard::refusal(client, &plan.plan.target, &host).await? {
            if !options.override_target_guard {
                return Err(EngineError::TargetRefused(why));
            }
            let _ = events.send(Event::Log(format!("target guard overridden: {why}")));
        }
        if let Err(h) = ledger::try_lock(client).await? {
            return Err(EngineError::Locked { holder: h.application, since: h.since, client: h.client });
        }
        let run_id = new_run_id();
        client
            .batch_execute(&format!("SET application_name = {}", crate::db::quote_literal(&format!("pgstage run {run_id}"))))
            .await
            .map_err(DbError::query)?;
        // If pgstage dies mid-statement, the server notices within a second, rolls back and
        // frees the lock, instead of finishing a long statement first (PostgreSQL 14+).
        let _ = client.batch_execute("SET client_connection_check_interval = 1000").await;
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
            migrations: p.migrations.iter().map(|m| apply::not_run(m, None)).collect(),
            verification: vec![],
            schema_summary: vec![],
            integrity: vec![],
            sample_data: vec![],
            rls: vec![],
            performance: vec![],
            rollback: None,
            schema_counts: SchemaCounts { schema: p.baseline.schema.clone(), ..Default::default() },
            verdict: Verdict { go: false, criteria: vec![], reasons: vec![] },
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
            controls,
            events,
            steps,
            next: 0,
            prepared: vec![],
            baseline: Snapshot::default(),
            baseline_rows: BTreeMap::new(),
            current: Snapshot::default(),
            result,
            started: Instant::now(),
        })
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

    fn record(&mut self, section: &str, result: CheckResult) {
        let _ = self.events.send(Event::CheckFinished { section: section.to_owned(), result: result.clone() });
        let list = match section {
            "preflight" => &mut self.result.preflight,
            "verification" => &mut self.result.verification,
            "schema_summary" => &mut self.result.schema_summary,
            "integrity" => &mut self.result.integrity,
            "sample_data" => &mut self.result.sample_data,
            "rls" => &mut self.result.rls,
            "performance" => &mut self.result.performance,
            "rollback" => match &mut self.result.rollback {
                Some(r) => &mut r.checks,
                None => return,
            },
            _ => return,
        };
        list.push(result);
    }

    async fn snapshot(&self) -> Result<Snapshot, StepEnd> {
        Snapshot::take(self.client()).await.map_err(|e| StepEnd::Failed(e.to_string()))
    }

    async fn preflight(&mut self) -> Result<(), StepEnd> {
        let (prepared, problems) = apply::prepare(&self.plan);
        self.prepared = prepared;
        for (i, m) in self.plan.plan.migrations.iter().enumerate() {
            self.result.migrations[i] = apply::not_run(m, self.prepared[i].as_ref());
        }
        let files = CheckResult {
            id: "PF-FILES".into(),
            group: "migrations".into(),
            title: "Migration files readable, split, free of non-transactional surprises".into(),
            expected: "no problem".into(),
            actual: if problems.is_empty() { "no problem".into() } else { format!("{} problems", problems.len()) },
            status: if problems.is_empty() { Status::Pass } else { Status::Fail },
            duration_ms: 0.0,
            sql: String::new(),
            detail: problems.join("\n"),
        };
        self.record("preflight", files);
        self.baseline = self.snapshot().await?;
        self.current = self.baseline.clone();
        let schema = self.schema().to_owned();
        self.baseline_rows = row_counts(self.client(), &schema).await.map_err(|e| StepEnd::Failed(e.to_string()))?;
        self.result.schema_counts.before = self.baseline.counts(&schema);
        let checks = self.plan.plan.preflight.checks.clone();
        for (i, c) in checks.iter().enumerate() {
            let r = check::run(self.client(), c, TxMode::ReadOnly, self.timeout(), &self.baseline, &self.baseline, &schema)
                .await
                .map_err(|e| StepEnd::Failed(e.to_string()))?;
            self.record("preflight", r);
            let _ = self.events.send(Event::Progress { step: Step::Preflight, done: i + 1, total: checks.len(), what: c.title.clone() });
        }
        Ok(())
    }

    /// The gate before the first migration: pre-flight passed and manual items acknowledged.
    fn gate(&mut self) -> Result<(), StepEnd> {
        let manual = self.plan.plan.preflight.manual.clone();
        for item in &manual {
            let ack = self.result.acknowledgements.iter().find(|a| a.item == item.id).cloned();
            let r = CheckResult {
                id: item.id.clone(),
                group: "manual".into(),
                title: item.title.clone(),
                expected: "acknowledged".into(),
                actual: ack.as_ref().map_or("not acknowledged".into(), |a| format!("by {} at {}", a.by, a.at)),
                status: if ack.is_some() { Status::Pass } else { Status::Fail },
                duration_ms: 0.0,
                sql: String::new(),
                detail: item.owner.clone(),
            };
            self.record("preflight", r);
        }
        let failed: Vec<String> =
            self.result.preflight.iter().filter(|c| c.status == Status::Fail).map(|c| format!("{} ({})", c.id, c.actual)).collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(StepEnd::Failed(format!("pre-flight not passed, migrations not started: {}", failed.join(", "))))
        }
    }

    async fn migrations(&mut self, first: usize) -> Result<(), StepEnd> {
        if first == 0 {
            self.gate()?;
            ledger::ensure(self.client()).await.map_err(|e| StepEnd::Failed(e.to_string()))?;
        }
        let batch = self.plan.plan.execution.transaction == TransactionMode::Batch;
        let range = if batch { 0..self.plan.plan.migrations.len() } else { first..first + 1 };
        if batch {
            self.client().batch_execute(&apply::begin_sql(&self.plan.plan.execution)).await.map_err(db_failed)?;
        }
        for i in range.clone() {
            if let Err(end) = self.apply_one(i, batch).await {
                if batch {
                    let _ = self.client().batch_execute("ROLLBACK").await;
                    for m in &mut self.result.migrations[range.start..i] {
                        m.status = MigrationStatus::Failed;
                        m.error = Some("rolled back with the batch".into());
                    }
                }
                return Err(end);
            }
        }
        if batch {
            self.client().batch_execute("COMMIT").await.map_err(db_failed)?;
        }
        Ok(())
    }

    async fn apply_one(&mut self, i: usize, in_batch: bool) -> Result<(), StepEnd> {
        let m: Migration = self.plan.plan.migrations[i].clone();
        let p = self.prepared[i].clone().ok_or_else(|| StepEnd::Failed(format!("migration {} could not be prepared", m.id)))?;
        let step = if in_batch { Step::Migration(0) } else { Step::Migration(i) };
        let mut result = apply::not_run(&m, Some(&p));
        match apply::ledger_state(self.client(), &m, &p).await.map_err(StepEnd::Failed)? {
            LedgerState::Applied => {
                result.status = MigrationStatus::AlreadyApplied;
                self.finish_migration(i, result);
                return Ok(());
            }
            LedgerState::Drift(why) => {
                result.status = MigrationStatus::Failed;
                result.error = Some(why.clone());
                self.finish_migration(i, result);
                return Err(StepEnd::Failed(why));
            }
            LedgerState::New => {}
        }
        let own_tx = !in_batch && !m.non_transactional;
        if own_tx {
            self.client().batch_execute(&apply::begin_sql(&self.plan.plan.execution)).await.map_err(db_failed)?;
        } else if m.non_transactional {
            // Statement by statement, each committed on its own: the timeouts go on the session.
            self.client().batch_execute(&apply::session_timeouts_sql(&self.plan.plan.execution)).await.map_err(db_failed)?;
        }
        let ctx = apply::Context {
            client: self.client(),
            execution: &self.plan.plan.execution,
            run_id: &self.result.run_id,
            operator: &self.result.operator,
            plan_name: &self.result.plan.name,
            cancelled: &self.controls.cancelled,
            events: &self.events,
        };
        let ok = apply::run_statements(&ctx, step, &m, &p, &mut result).await;
        if m.non_transactional {
            let _ = self.client().batch_execute("RESET lock_timeout; RESET statement_timeout").await;
        }
        if !ok {
            if own_tx {
                let _ = self.client().batch_execute("ROLLBACK").await;
            }
            let end = match result.status {
                MigrationStatus::Cancelled => StepEnd::Cancelled,
                _ => StepEnd::Failed(result.error.clone().unwrap_or_default()),
            };
            self.finish_migration(i, result);
            return Err(end);
        }
        if own_tx {
            if let Err(e) = self.client().batch_execute("COMMIT").await {
                result.status = MigrationStatus::Failed;
                result.error = Some(format!("{}: commit failed: {}", p.shown, describe(&e)));
                let why = result.error.clone().unwrap_or_default();
                self.finish_migration(i, result);
                return Err(StepEnd::Failed(why));
            }
        }
        if !in_batch {
            let after = self.snapshot().await?;
            compare_created(&m, &self.current.diff(&after), &after, &mut result);
            self.current = after;
        }
        self.finish_migration(i, result);
        Ok(())
    }

    fn finish_migration(&mut self, i: usize, result: MigrationResult) {
        let _ = self.events.send(Event::MigrationFinished(result.clone()));
        self.result.migrations[i] = result;
    }

    async fn verification(&mut self) -> Result<(), StepEnd> {
        self.current = self.snapshot().await?;
        let schema = self.schema().to_owned();
        self.result.schema_counts.after = self.current.counts(&schema);
        if self.plan.plan.execution.transaction == TransactionMode::Batch {
            // One snapshot diff for the whole batch: attribute objects per migration by name.
            let diff = self.baseline.diff(&self.current);
            for (i, m) in self.plan.plan.migrations.iter().enumerate() {
                compare_created_tables_only(m, &diff, &mut self.result.migrations[i]);
            }
        }
        let plan = self.plan.plan.clone();
        let sections = [("verification", &plan.verification, TxMode::ReadOnly), ("schema_summary", &plan.schema_summary, TxMode::ReadOnly), ("sample_data", &plan.sample_data, TxMode::RolledBack)];
        let total = sections.iter().map(|s| s.1.len()).sum::<usize>() + plan.rls.len();
        let mut done = 0;
        for (section, checks, mode) in sections {
            for c in checks {
                let r = check::run(self.client(), c, mode, self.timeout(), &self.current, &self.baseline, &schema).await.map_err(db_end)?;
                self.record(section, r);
                done += 1;
                let _ = self.events.send(Event::Progress { step: Step::Verification, done, total, what: c.title.clone() });
                self.stop_if_cancelled()?;
            }
        }
        for t in &plan.rls {
            for r in check::rls::run(self.client(), t, self.timeout()).await.map_err(db_end)? {
                self.record("rls", r);
            }
            done += 1;
            let _ = self.events.send(Event::Progress { step: Step::Verification, done, total, what: t.title.clone() });
        }
        Ok(())
    }

    async fn integrity(&mut self) -> Result<(), StepEnd> {
        let integrity = self.plan.plan.integrity.clone();
        if integrity.constraints_validated {
            let r = check::integrity::constraints_validated(self.client()).await.map_err(db_end)?;
            self.record("integrity", r);
        }
        if integrity.no_orphans {
            let r = check::integrity::no_orphans(self.client(), self.timeout()).await.map_err(db_end)?;
            self.record("integrity", r);
        }
        if integrity.row_counts_unchanged {
            let schema = self.schema().to_owned();
            let now = row_counts(self.client(), &schema).await.map_err(db_end)?;
            self.record("integrity", check::integrity::row_counts_unchanged(&self.baseline_rows, &now));
        }
        let schema = self.schema().to_owned();
        for c in &integrity.checks {
            let r = check::run(self.client(), c, TxMode::ReadOnly, self.timeout(), &self.current, &self.baseline, &schema).await.map_err(db_end)?;
            self.record("integrity", r);
        }
        Ok(())
    }

    async fn performance(&mut self) -> Result<(), StepEnd> {
        for u in self.plan.plan.performance.index_usage.clone() {
            let r = check::performance::index_usage(self.client(), &u, self.timeout()).await.map_err(db_end)?;
            self.record("performance", r);
            self.stop_if_cancelled()?;
        }
        Ok(())
    }

    async fn rollback(&mut self) -> Result<(), StepEnd> {
        let Some(rollback) = self.plan.plan.rollback.clone() else { return Ok(()) };
        let file = self.plan.resolve(&rollback.script);
        let started = Instant::now();
        let mut result = RollbackResult {
            script: file.display().to_string(),
            duration_ms: 0.0,
            diff_from_baseline: Default::default(),
            checks: vec![],
            reapplied: false,
            error: None,
        };
        let applied: Vec<String> = self
            .result
            .migrations
            .iter()
            .filter(|m| matches!(m.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied))
            .map(|m| m.id.clone())
            .collect();
        let ids: Vec<&str> = applied.iter().map(String::as_str).collect();
        let script = std::fs::read_to_string(&file).map_err(|e| StepEnd::Failed(format!("{}: {e}", file.display())))?;
        let sql = format!("{}; {script}; {}; COMMIT", apply::begin_sql(&self.plan.plan.execution), ledger::forget_sql(&ids));
        if let Err(e) = self.client().batch_execute(&sql).await {
            let _ = self.client().batch_execute("ROLLBACK").await;
            result.error = Some(format!("{}: {}", file.display(), describe(&e)));
        }
        result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let after = self.snapshot().await?;
        result.diff_from_baseline = self.baseline.diff(&after);
        self.result.rollback = Some(result);
        let schema = self.schema().to_owned();
        for c in &rollback.checks {
            let r = check::run(self.client(), c, TxMode::ReadOnly, self.timeout(), &after, &self.baseline, &schema).await.map_err(db_end)?;
            self.record("rollback", r);
        }
        self.current = after;
        if self.result.rollback.as_ref().is_some_and(|r| r.error.is_some()) {
            return Err(StepEnd::Failed(self.result.rollback.as_ref().and_then(|r| r.error.clone()).unwrap_or_default()));
        }
        // Re-apply, so the rehearsal leaves staging migrated as the run found it after step 2.
        let migrations = self.result.migrations.clone();
        for (i, m) in self.plan.plan.migrations.clone().iter().enumerate() {
            if !matches!(migrations[i].status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied) {
                continue;
            }
            self.client().batch_execute(&apply::begin_sql(&self.plan.plan.execution)).await.map_err(db_failed)?;
            let p = self.prepared[i].clone().expect("applied migrations were prepared");
            let ctx = apply::Context {
                client: self.client(),
                execution: &self.plan.plan.execution,
                run_id: &self.result.run_id,
                operator: &self.result.operator,
                plan_name: &self.result.plan.name,
                cancelled: &self.controls.cancelled,
                events: &self.events,
            };
            let mut again = apply::not_run(m, Some(&p));
            if !apply::run_statements(&ctx, Step::Rollback, m, &p, &mut again).await {
                let _ = self.client().batch_execute("ROLLBACK").await;
                let why = format!("re-applying after the rollback rehearsal: {}", again.error.unwrap_or_default());
                if let Some(r) = &mut self.result.rollback {
                    r.error = Some(why.clone());
                }
                return Err(StepEnd::Failed(why));
            }
            self.client().batch_execute("COMMIT").await.map_err(db_failed)?;
        }
        if let Some(r) = &mut self.result.rollback {
            r.reapplied = true;
        }
        self.current = self.snapshot().await?;
        Ok(())
    }

    fn stop_if_cancelled(&self) -> Result<(), StepEnd> {
        if self.controls.is_cancelled() { Err(StepEnd::Cancelled) } else { Ok(()) }
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

/// Compare what a migration created (snapshot diff) with what the plan announced.
fn compare_created(m: &Migration, diff: &crate::db::snapshot::SnapshotDiff, after: &Snapshot, result: &mut MigrationResult) {
    for kind in Kind::ALL {
        let names: Vec<String> = diff.appeared_of(kind).map(str::to_owned).collect();
        if !names.is_empty() {
            result.created.insert(kind.label().to_owned(), names);
        }
    }
    compare_created_tables_only(m, diff, result);
    for t in diff.appeared_of(Kind::Table).map(|t| t.split_once('.').map_or(t, |(_, n)| n)) {
        if !m.creates.tables.iter().any(|x| x == t) {
            result.object_mismatches.push(format!("table {t} created but not announced"));
        }
    }
    let constraint_indexes = diff
        .appeared_of(Kind::Constraint)
        .filter(|n| {
            after.objects.get(&Kind::Constraint).and_then(|c| c.get(*n)).is_some_and(|d| d.starts_with("PRIMARY KEY") || d.starts_with("UNIQUE"))
        })
        .count();
    let counts = [
        ("indexes", m.creates.indexes, diff.appeared_of(Kind::Index).count().saturating_sub(constraint_indexes)),
        ("RLS policies", m.creates.policies, diff.appeared_of(Kind::Policy).count()),
        ("triggers", m.creates.triggers, diff.appeared_of(Kind::Trigger).count()),
        ("foreign keys", m.creates.foreign_keys, diff.appeared_of(Kind::ForeignKey).count()),
    ];
    for (what, expected, actual) in counts {
        if let Some(expected) = expected {
            if expected as usize != actual {
                result.object_mismatches.push(format!("{what}: expected {expected}, created {actual}"));
            }
        }
    }
    let functions: Vec<String> = diff
        .appeared_of(Kind::Function)
        .map(|f| f.split_once('.').map_or(f, |(_, n)| n).split('(').next().unwrap_or(f).to_owned())
        .collect();
    for f in &m.creates.functions {
        if !functions.contains(f) {
            result.object_mismatches.push(format!("function {f} not created"));
        }
    }
    for f in functions.iter().filter(|f| !m.creates.functions.contains(f)) {
        result.object_mismatches.push(format!("function {f} created but not announced"));
    }
}

fn compare_created_tables_only(m: &Migration, diff: &crate::db::snapshot::SnapshotDiff, result: &mut MigrationResult) {
    let tables: Vec<&str> = diff.appeared_of(Kind::Table).map(|t| t.split_once('.').map_or(t, |(_, n)| n)).collect();
    for t in &m.creates.tables {
        if !tables.contains(&t.as_str()) && result.status == MigrationStatus::Applied {
            result.object_mismatches.push(format!("table {t} not created"));
        }
    }
}
