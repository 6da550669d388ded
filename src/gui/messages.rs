//! What the worker's messages and the engine's events do to the window: the connection
//! answer on the Connect panel, the run's state, and a log line for each thing worth keeping
//! (steps, migrations, lock waits, the outcome and the verdict).

use super::app::{ConnStatus, PgstageApp, Tab};
use super::log::Level;
use super::panels::run::{seconds, step_word};
use super::run_state::{RunView, StepStatus};
use super::worker::Message;
use crate::engine::Event;
use crate::run_result::MigrationStatus;

impl PgstageApp {
    pub(crate) fn handle(&mut self, message: Message) {
        match message {
            Message::Log(line) => self.log(line),
            Message::ConnectionOk { what, refused } => {
                match &refused {
                    None => self.log_at(Level::Success, format!("connection OK: {what}")),
                    Some(why) => {
                        self.log_at(Level::Warning, format!("connected to {what}, but the target guard refuses it: {why}"))
                    }
                }
                self.connect.status = Some(ConnStatus::Connected { what, refused });
            }
            Message::ConnectionFailed(e) => {
                self.log_at(Level::Error, format!("connection failed: {e}"));
                self.connect.status = Some(ConnStatus::Failed(e));
            }
            Message::Started(controls) => {
                self.preparing = None;
                self.log(format!("run started on {}", self.target_words()));
                self.run = RunView::new(controls);
            }
            Message::StartFailed(e) => {
                self.log_at(Level::Error, format!("run not started: {e}"));
                self.connect.form.tested = Some(self.connect.form.target());
                self.connect.status = Some(ConnStatus::Failed(format!("run not started: {e}")));
                self.tab = Tab::Connect;
            }
            Message::Engine(event, at) => self.engine_event(*event, at),
            Message::Versions(found) => self.connect.form.pg_versions = Some(found),
            Message::Preparing(what) => self.preparing = what,
            Message::Idle => {
                self.busy = false;
                self.preparing = None;
            }
        }
    }

    fn engine_event(&mut self, event: Event, at: std::time::Instant) {
        match &event {
            Event::Log(line) => self.log(line.clone()),
            Event::LockWait(w) if self.run.lock_wait.as_ref().is_none_or(|l| l.statement != w.statement) => {
                self.log_at(Level::Warning, format!("lock wait: {}", w.sentence()));
            }
            Event::StepStarted { title, .. } => {
                let n = self.run.steps.iter().position(|s| &s.title == title).map_or(0, |i| i + 1);
                self.log(format!("step {n}/{} started: {title}", self.run.steps.len()));
            }
            Event::MigrationFinished(m) => {
                let c = crate::report::content::fmt_ms;
                match m.status {
                    MigrationStatus::Applied => self.log_at(
                        Level::Success,
                        format!("{} applied: its {} statements took {}", m.id, m.statements_done, c(m.duration_ms)),
                    ),
                    MigrationStatus::AlreadyApplied => self.log(format!("{} already applied (ledger): skipped", m.id)),
                    MigrationStatus::Failed => self.log_at(
                        Level::Error,
                        format!("{} failed and was rolled back: {}", m.id, m.error.clone().unwrap_or_default()),
                    ),
                    MigrationStatus::Cancelled => self.log_at(Level::Warning, format!("{} cancelled and rolled back", m.id)),
                    MigrationStatus::NotRun => {}
                }
            }
            _ => {}
        }
        let finished_step = match &event {
            Event::StepFinished { step, .. } => Some(*step),
            _ => None,
        };
        let finished = matches!(event, Event::Finished(_));
        self.run.apply_at(event, at);
        if let Some(step) = finished_step
            && let Some(s) = self.run.steps.iter().find(|s| s.step == step)
        {
            let took = RunView::elapsed(s).map(|d| seconds(d.as_secs_f64())).unwrap_or_default();
            // A migration's step takes longer than its statements (the statement time logged
            // above and shown on its bar): say which time this is.
            let line = match s.step {
                crate::engine::Step::Migration(_) => {
                    format!(
                        "{}: {} (the whole step {took}: statements, lock trace, catalog reads, COMMIT)",
                        s.title,
                        step_word(s)
                    )
                }
                _ => format!("{}: {} ({took})", s.title, step_word(s)),
            };
            let level = if s.status == StepStatus::Done { Level::Success } else { Level::Error };
            self.log_at(level, line);
        }
        if finished && let Some(r) = self.run.result.clone() {
            use crate::run_result::Outcome;
            match &r.outcome {
                Outcome::Failed { step, error } => self.log_at(Level::Error, format!("run failed at {step}: {error}")),
                Outcome::Cancelled { step } if self.run.steps.iter().any(|s| &s.title == step && s.started.is_some()) => {
                    self.log_at(Level::Warning, format!("run cancelled during {step}"))
                }
                Outcome::Cancelled { step } => {
                    self.log_at(Level::Warning, format!("run cancelled between steps, before {step} started"))
                }
                _ => {}
            }
            let word = crate::report::content::verdict_word(&r);
            let rehearsal = if r.sandbox.is_some() { " (rehearsal on a throwaway sandbox, not staging)" } else { "" };
            self.log_at(if r.verdict.go { Level::Success } else { Level::Error }, format!("verdict: {word}{rehearsal}"));
            self.tab = Tab::Verdict;
        }
    }
}
