//! What the window knows of the run in progress, rebuilt from the engine's events: the steps
//! and their status, progress of the running migration, the results as they arrive, and the
//! final run result.

use std::time::{Duration, Instant};

use crate::engine::{Controls, Event, Step};
use crate::plan::Section;
use crate::run_result::{CheckResult, MigrationResult, RunResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    /// It stopped with an error, or some of its checks failed.
    Failed,
    /// The operator cancelled it while it ran.
    Cancelled,
    /// The run ended before it (an earlier step failed, or the run was cancelled).
    NotRun,
}

#[derive(Debug, Clone)]
pub struct StepView {
    pub step: Step,
    pub title: String,
    pub status: StepStatus,
    pub started: Option<Instant>,
    pub elapsed: Option<Duration>,
    /// Units done / total (statements of a migration, checks of a section).
    pub progress: (usize, usize),
    /// The unit being worked on.
    pub what: String,
    /// Checks of this step that failed.
    pub failed_checks: usize,
}

/// One row of the checks table: a check result and the section it belongs to.
#[derive(Debug, Clone)]
pub struct CheckRow {
    pub section: String,
    pub result: CheckResult,
}

#[derive(Default)]
pub struct RunView {
    pub run_id: Option<String>,
    pub controls: Option<Controls>,
    pub steps: Vec<StepView>,
    pub migrations: Vec<MigrationResult>,
    pub checks: Vec<CheckRow>,
    pub result: Option<RunResult>,
    /// Bumped whenever `checks` or `migrations` change (tables re-sort then).
    pub version: u64,
    pub started: Option<Instant>,
    /// When the final result arrived (the overall elapsed time stops there).
    pub finished: Option<Instant>,
    /// The operator cancelled the run.
    pub cancelled: bool,
    /// The statement now waiting for another session's lock, and who holds it.
    pub lock_wait: Option<crate::run_result::LockWait>,
    /// The target's differences from the rehearsed baseline (`PF-DRIFT`).
    pub drift: Vec<crate::run_result::Drift>,
}

impl RunView {
    pub fn new(controls: Controls) -> Self {
        Self { controls: Some(controls), started: Some(Instant::now()), ..Default::default() }
    }

    /// A finished run as the window shows it, from its result alone (e.g. a frozen `run.json`):
    /// its migrations and checks, no steps, no controls.
    pub fn finished(result: RunResult) -> Self {
        let mut run = Self { steps: recorded_steps(&result), run_id: Some(result.run_id.clone()), ..Default::default() };
        run.apply(Event::Finished(Box::new(result)));
        run
    }

    /// Whether the run is under way (started, not finished).
    pub fn active(&self) -> bool {
        self.controls.is_some() && self.result.is_none()
    }

    pub fn current(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.status == StepStatus::Running)
    }

    /// Overall progress, 0..=1: finished steps plus the running one's fraction.
    pub fn fraction(&self) -> f32 {
        if self.result.is_some() {
            return 1.0;
        }
        if self.steps.is_empty() {
            return 0.0;
        }
        let done = self.steps.iter().filter(|s| matches!(s.status, StepStatus::Done | StepStatus::Failed)).count() as f32;
        let running = self
            .steps
            .iter()
            .find(|s| s.status == StepStatus::Running)
            .map_or(0.0, |s| if s.progress.1 > 0 { s.progress.0 as f32 / s.progress.1 as f32 } else { 0.0 });
        ((done + running) / self.steps.len() as f32).min(1.0)
    }

    pub fn apply(&mut self, event: Event) {
        self.apply_at(event, Instant::now());
    }

    /// Apply `event`, received at `at` (steps are timed by when their events arrived).
    pub fn apply_at(&mut self, event: Event, at: Instant) {
        match event {
            Event::RunStarted { run_id, steps } => {
                self.run_id = Some(run_id);
                self.steps = steps
                    .into_iter()
                    .map(|(step, title)| StepView {
                        step,
                        title,
                        status: StepStatus::Pending,
                        started: None,
                        elapsed: None,
                        progress: (0, 0),
                        what: String::new(),
                        failed_checks: 0,
                    })
                    .collect();
            }
            Event::Drift(drift) => self.drift = drift,
            Event::StepStarted { step, .. } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Running;
                    s.started = Some(at);
                }
            }
            Event::Progress { step, done, total, what } => {
                self.lock_wait = None;
                if let Some(s) = self.step_mut(step) {
                    s.progress = (done, total);
                    s.what = what;
                }
            }
            Event::StepFinished { step, ok } => {
                let cancelled = self.cancelled;
                if let Some(s) = self.step_mut(step) {
                    s.status = match (ok, cancelled) {
                        (true, _) if s.failed_checks == 0 => StepStatus::Done,
                        (true, _) | (false, false) => StepStatus::Failed,
                        (false, true) => StepStatus::Cancelled,
                    };
                    s.elapsed = s.started.map(|t| at.saturating_duration_since(t));
                }
            }
            Event::CheckFinished { section, result } => {
                if result.status == crate::run_result::Status::Fail
                    && let Some(s) = self.steps.iter_mut().find(|s| s.status == StepStatus::Running)
                {
                    s.failed_checks += 1;
                }
                self.checks.push(CheckRow { section: section.to_string(), result });
                self.bump();
            }
            Event::MigrationFinished(m) => {
                match self.migrations.iter_mut().find(|x| x.id == m.id) {
                    Some(x) => *x = *m,
                    None => self.migrations.push(*m),
                }
                self.bump();
            }
            Event::Finished(result) => {
                self.migrations = result.migrations.clone();
                self.drift = result.drift.clone();
                self.checks = Section::ALL
                    .iter()
                    .flat_map(|s| result.section(*s).iter().map(move |r| CheckRow { section: s.to_string(), result: r.clone() }))
                    .collect();
                for s in &mut self.steps {
                    if matches!(s.status, StepStatus::Pending | StepStatus::Running) {
                        s.status = StepStatus::NotRun;
                    }
                }
                self.result = Some(*result);
                self.finished = Some(at);
                self.bump();
            }
            Event::LockWait(wait) => self.lock_wait = Some(*wait),
            Event::Log(_) => {}
        }
    }

    /// A new version, never one an earlier run of this window had: a table whose order was
    /// computed for the last run (of this plan or another) is never taken as current.
    fn bump(&mut self) {
        static LAST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        self.version = LAST.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    }

    fn step_mut(&mut self, step: Step) -> Option<&mut StepView> {
        self.steps.iter_mut().find(|s| s.step == step)
    }

    /// Time since the run started, stopped when it finished.
    pub fn total_elapsed(&self) -> Option<Duration> {
        let started = self.started?;
        Some(self.finished.map_or_else(|| started.elapsed(), |f| f.duration_since(started)))
    }

    /// Elapsed time of a step (running or finished).
    pub fn elapsed(step: &StepView) -> Option<Duration> {
        step.elapsed.or_else(|| step.started.map(|t| t.elapsed()))
    }
}

/// A finished run's steps as its result records them (a review has no events): each section
/// done when it ran to its end, each migration as it ended, the rest not run; no times (the
/// result keeps the migrations' own).
fn recorded_steps(r: &RunResult) -> Vec<StepView> {
    use crate::run_result::{MigrationStatus, Status};
    let done = |section: &str| r.completed_steps.iter().any(|s| s == section);
    let failed = |checks: &[crate::run_result::CheckResult]| checks.iter().filter(|c| c.status == Status::Fail).count();
    let view = |step: Step, title: String, status: StepStatus, failed_checks: usize| StepView {
        step,
        title,
        status,
        started: None,
        elapsed: None,
        progress: (0, 0),
        what: String::new(),
        failed_checks,
    };
    let section = |step: Step, title: &str, checks: &[crate::run_result::CheckResult]| {
        let status = match (done(step.section()), failed(checks)) {
            (true, 0) => StepStatus::Done,
            (true, _) => StepStatus::Failed,
            (false, _) => StepStatus::NotRun,
        };
        view(step, title.to_owned(), status, failed(checks))
    };
    let mut steps = vec![section(Step::Preflight, "Pre-flight", &r.preflight)];
    for (i, m) in r.migrations.iter().enumerate() {
        let status = match m.status {
            MigrationStatus::Applied | MigrationStatus::AlreadyApplied => StepStatus::Done,
            MigrationStatus::Failed => StepStatus::Failed,
            MigrationStatus::Cancelled => StepStatus::Cancelled,
            MigrationStatus::NotRun => StepStatus::NotRun,
        };
        steps.push(view(Step::Migration(i), format!("Migration {} – {}", m.id, m.title), status, 0));
    }
    let verification: Vec<_> = r.verification.iter().chain(&r.schema_summary).cloned().collect();
    steps.push(section(Step::Verification, "Verification", &verification));
    let integrity: Vec<_> = r.integrity.iter().chain(&r.sample_data).chain(&r.rls).cloned().collect();
    steps.push(section(Step::Integrity, "Integrity", &integrity));
    steps.push(section(Step::Performance, "Performance", &r.performance));
    steps.push(section(Step::Rollback, "Rollback rehearsal", &[]));
    steps.push(view(Step::Verdict, "Verdict".into(), StepStatus::Done, 0));
    steps
}
