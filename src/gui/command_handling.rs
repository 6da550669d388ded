//! The one place where the operator's [`UiCommand`]s change the window: open a plan, tick the
//! checklist, start, step, pause, cancel or reset a run, test a connection, export the report,
//! switch tabs and themes, answer the modal question. Each command is a method of the app, so
//! a command does the same from a button, a shortcut or a test.

use std::path::Path;

use super::app::{ConnStatus, PgstageApp, Tab};
use super::command::UiCommand;
use super::confirm::{Confirm, Discarding};
use super::dialog::Pick;
use super::log::Level;
use super::panels::verdict::SignOffForm;
use super::run_state::{RunView, StepStatus};
use super::worker::{Command, Target};
use crate::engine::RunOptions;
use crate::plan::{self, LoadedPlan};
use crate::run_result::Acknowledgement;

const MAX_RECENT: usize = 8;

impl PgstageApp {
    /// Do what the operator asked.
    pub fn apply(&mut self, ctx: &egui::Context, command: UiCommand) {
        match command {
            UiCommand::OpenPlan(path) => self.open_plan(&path),
            UiCommand::AskPath(what) => self.ask_path(what),
            UiCommand::Ack { item, title, on } => self.set_ack(&item, &title, on),
            UiCommand::SetOperator(name) => self.settings.operator = name,
            UiCommand::RunAll => self.run_command(true),
            UiCommand::NextStep => self.run_command(false),
            UiCommand::Pause => self.pause(),
            UiCommand::Cancel => self.cancel(),
            UiCommand::NewRun => self.new_run(),
            UiCommand::TestConnection => self.test_connection(),
            UiCommand::Export(path) => self.export_to(&path),
            UiCommand::ShowTab(tab) => self.tab = tab,
            UiCommand::Compare(path) => self.compare_with(&path),
            UiCommand::ToggleTheme => {
                self.settings.dark = !self.settings.dark;
                ctx.set_theme(if self.settings.dark { egui::Theme::Dark } else { egui::Theme::Light });
            }
            UiCommand::ClearLog => self.log.clear(),
            UiCommand::Answer(yes) => self.answer(yes),
        }
    }

    /// A finished run whose report was not written anywhere: discarding it loses it.
    pub fn unexported_result(&self) -> bool {
        self.run.result.is_some() && !self.exported
    }

    /// Load a plan, after asking when that would discard an unexported result. A load error
    /// is shown in the window (file:line:col), not a crash.
    pub fn open_plan(&mut self, path: &Path) {
        if self.unexported_result() {
            self.confirm = Some(Confirm::Discard(Discarding::ForPlan(path.to_owned())));
            return;
        }
        self.load_plan(path);
    }

    fn load_plan(&mut self, path: &Path) {
        if super::review::is_run_result(path) {
            self.open_review(path);
            return;
        }
        self.imported = None;
        let loaded = if path.extension().is_some_and(|e| e == "md") {
            crate::gui::import::draft(path).map(|(loaded, mapping)| {
                self.imported = Some(mapping);
                loaded
            })
        } else {
            plan::load(path).map_err(|e| e.to_string())
        };
        match loaded {
            Ok(loaded) => {
                self.log(format!("plan loaded: {}", path.display()));
                self.settings.recent_plans.retain(|p| p != path);
                self.settings.recent_plans.insert(0, path.to_owned());
                self.settings.recent_plans.truncate(MAX_RECENT);
                self.verdict.export_path = default_report_name(&loaded);
                self.plan = Some(loaded);
                self.plan_error = None;
                self.reset_run();
            }
            Err(e) => {
                self.log_at(Level::Error, format!("plan not loaded: {e}"));
                self.plan_error = Some(e);
            }
        }
        self.tab = Tab::Plan;
    }

    /// Open a run result read-only in the tabs (the review mode); its plan too when its file
    /// is still where the run read it (for the SQL listings).
    fn open_review(&mut self, path: &Path) {
        match super::review::open(path) {
            Ok((result, review)) => {
                self.reset_run();
                self.log(format!(
                    "reviewing {} (SHA-256 {}): read-only, the run is not repeated",
                    path.display(),
                    review.reviewed.sha256
                ));
                let plan_file = Path::new(&result.plan.path);
                self.plan = plan::load(plan_file).ok().filter(|p| crate::rehearsal::plan_checksum(p) == result.plan.checksum);
                self.plan_error = None;
                self.imported = None;
                let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "run".into());
                self.verdict.export_path = format!("{stem}_review.html");
                self.run = RunView::finished(result);
                self.review = Some(review);
                self.exported = true; // the run result is on disk already: nothing is lost
                self.tab = Tab::Verdict;
            }
            Err(e) => {
                self.log_at(Level::Error, format!("run result not opened: {e}"));
                self.plan_error = Some(e);
                self.tab = Tab::Plan;
            }
        }
    }

    /// Compare the run shown with the run result in `path` (read once; the file is never
    /// written). A file that is no run result is said in the Compare tab.
    pub fn compare_with(&mut self, path: &Path) {
        self.tab = Tab::Compare;
        self.compare.path = path.display().to_string();
        let Some(shown) = &self.run.result else {
            self.compare.error = Some("no finished run to compare: run the plan or open a run result first".into());
            return;
        };
        match crate::compare::read(path) {
            Ok(other) => {
                let comparison = crate::compare::compare(shown, &other);
                self.log(format!(
                    "compared with {}: {}",
                    path.display(),
                    crate::report::content::count_of(comparison.differences.len(), "differences")
                ));
                self.compare.compared = Some((path.to_owned(), comparison));
                self.compare.error = None;
            }
            Err(e) => {
                self.log_at(Level::Error, format!("not compared: {e}"));
                self.compare.compared = None;
                self.compare.error = Some(e.to_string());
            }
        }
    }

    /// Forget the run shown: its result, sign-off and checklist (the next run starts empty).
    fn reset_run(&mut self) {
        self.review = None;
        self.run = RunView::default();
        self.acks.clear();
        self.verdict.signoff = SignOffForm::default();
        self.verdict.export_status = None;
        self.exported = false;
        self.results.forget_run();
        self.compare.forget();
        self.locks.table.filter.clear();
        self.locks.table.selected = None;
    }

    /// Prepare a new run after a finished one (asks first when its result was not exported).
    pub fn new_run(&mut self) {
        if self.unexported_result() {
            self.confirm = Some(Confirm::Discard(Discarding::ForNewRun));
            return;
        }
        self.reset_run();
        self.log("new run: tick the manual checklist (Plan tab), then Run all or Next step");
        self.tab = Tab::Plan;
    }

    /// The operator's answer to the open question.
    pub fn answer(&mut self, yes: bool) {
        let Some(question) = self.confirm.take() else { return };
        if !yes {
            if question == Confirm::Cancel {
                self.keep_running();
            }
            return;
        }
        match question {
            Confirm::Discard(what) => {
                self.exported = true; // the operator chose to lose it
                match what {
                    Discarding::ForNewRun => self.new_run(),
                    Discarding::ForPlan(path) => self.load_plan(&path),
                }
            }
            Confirm::Cancel => self.cancel_now(),
        }
    }

    pub fn ask_path(&mut self, what: Pick) {
        if self.pending_pick.is_some() {
            return;
        }
        if !self.dialogs.available() {
            let hint = match what {
                Pick::OpenPlan => "type the plan's path in the Plan tab",
                Pick::SaveReport => "type the report's path in the Verdict & export tab",
                Pick::OpenRun => "type the other run result's path in the Compare tab",
            };
            self.log(format!("no native file dialog is available here (no xdg portal, no zenity): {hint}"));
            match what {
                Pick::OpenPlan => {
                    self.tab = Tab::Plan;
                    self.plan_panel.focus = true;
                }
                Pick::OpenRun => {
                    self.tab = Tab::Compare;
                    self.compare.focus = true;
                }
                Pick::SaveReport => {
                    self.tab = Tab::Verdict;
                    self.verdict.focus = true;
                }
            }
            return;
        }
        let suggested = self.verdict.export_path.clone();
        self.pending_pick = Some((what, self.dialogs.pick(what, &suggested)));
    }

    /// Tick or untick a manual item, recording who and when.
    pub fn set_ack(&mut self, item: &str, title: &str, on: bool) {
        if on {
            let ack = Acknowledgement {
                item: item.to_owned(),
                title: title.to_owned(),
                by: self.settings.operator.clone(),
                at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            };
            if self.run.active() {
                self.worker.send(Command::Acknowledge { item: item.to_owned(), by: ack.by.clone() });
            }
            self.acks.insert(item.to_owned(), ack);
        } else {
            self.acks.remove(item);
        }
    }

    /// Why a run cannot start now, if it cannot.
    pub fn why_not_startable(&self) -> Option<String> {
        self.view().why_not_startable()
    }

    /// Start a run (if none is under way) and run all of it, or just its next step.
    pub fn run_command(&mut self, all: bool) {
        if self.run.active() {
            self.worker.send(if all { Command::RunAll } else { Command::Step });
            self.running_all = all;
            self.busy = true;
            return;
        }
        if self.run.result.is_some() {
            self.new_run();
            return;
        }
        if let Some(why) = self.why_not_startable() {
            self.log_at(Level::Warning, format!("run not started: {why}"));
            return;
        }
        let Some(plan) = self.plan.clone() else { return };
        if let Some(remembered) = self.connect.form.remembered() {
            self.settings.recent_connections.retain(|c| c != &remembered);
            self.settings.recent_connections.insert(0, remembered);
            self.settings.recent_connections.truncate(MAX_RECENT);
        }
        let options = RunOptions {
            operator: self.settings.operator.clone(),
            acknowledgements: self.acks.values().cloned().collect(),
            override_target_guard: self.connect.override_guard,
            ..Default::default()
        };
        self.run = RunView::default();
        self.verdict.export_status = None;
        self.exported = false;
        self.running_all = all;
        self.worker.send(Command::Start { plan, target: self.connect.form.target(), options: Box::new(options), run_all: all });
        if !all {
            self.worker.send(Command::Step);
        }
        self.log(format!("run requested on {}", self.target_words()));
        self.busy = true;
        self.tab = Tab::Run;
    }

    /// The target in words, for the log and the header.
    pub fn target_words(&self) -> String {
        match self.connect.form.target() {
            Target::Sandbox(choice) => format!("a throwaway sandbox ({choice})"),
            Target::Clone(_) => format!(
                "a throwaway sandbox holding a clone of staging's schema ({})",
                self.connect.form.remembered().unwrap_or_else(|| "the connection given".into())
            ),
            Target::Connection(_) | Target::Fields(_) => {
                self.connect.form.remembered().unwrap_or_else(|| "the connection given".into())
            }
        }
    }

    pub fn pause(&mut self) {
        if let Some(c) = &self.run.controls
            && self.busy
            && self.run.active()
        {
            c.pause();
            self.log("pausing after the current step");
        }
    }

    /// Ask before cancelling the run. While the question is open the run holds: the step
    /// under way goes on, no further step starts, so what the question names is what a
    /// confirmation cancels.
    pub fn cancel(&mut self) {
        if !self.run.active() {
            return;
        }
        if let Some(c) = &self.run.controls
            && self.busy
        {
            c.pause();
            self.held_for_cancel = true;
        }
        self.confirm = Some(Confirm::Cancel);
    }

    /// The operator kept the run: release the hold the question put on it.
    fn keep_running(&mut self) {
        if !std::mem::take(&mut self.held_for_cancel) {
            return;
        }
        let Some(c) = &self.run.controls else { return };
        if self.busy {
            c.resume(); // the step under way had not ended: the run goes on after it
        } else if self.running_all {
            self.worker.send(Command::RunAll); // it stopped after its step: carry on
            self.busy = true;
        }
        self.log("run resumed: not cancelled");
    }

    fn cancel_now(&mut self) {
        self.held_for_cancel = false;
        let Some(c) = self.run.controls.clone() else { return };
        if self.busy && self.run.current().is_some() {
            self.log_at(Level::Warning, "cancelling: the running statement is cancelled and its migration rolled back");
        } else {
            let next = self.run.steps.iter().find(|s| s.status == StepStatus::Pending).map(|s| s.title.clone());
            self.log_at(
                Level::Warning,
                format!(
                    "cancelling between steps: nothing was running, nothing is rolled back; the run stops before {}",
                    next.unwrap_or_else(|| "its end".into())
                ),
            );
        }
        self.run.cancelled = true;
        if self.busy {
            self.runtime.spawn(async move { c.cancel().await });
        } else {
            // Between steps: the worker marks the run cancelled, then one more step records
            // the cancellation and finishes the run.
            self.worker.send(Command::CancelPaused);
            self.busy = true;
        }
    }

    pub fn test_connection(&mut self) {
        let Some(plan) = self.plan.clone() else {
            self.connect.status = Some(ConnStatus::Failed("open a plan first (the sandbox is seeded with its baseline)".into()));
            return;
        };
        self.connect.status = None;
        self.connect.form.tested = Some(self.connect.form.target());
        self.worker.send(Command::TestConnection { target: self.connect.form.target(), plan });
        self.busy = true;
    }

    /// Write the report of the finished run to `path` (format from the extension).
    pub fn export_to(&mut self, path: &Path) {
        let Some(result) = &self.run.result else {
            self.verdict.export_status = Some(Err("no finished run to export yet".into()));
            return;
        };
        let form = &self.verdict.signoff;
        let signoff = [crate::report::SignOff {
            name: form.name.clone(),
            role: form.role.clone(),
            decision: form.decision.clone(),
            comment: form.comment.clone(),
        }];
        let signoff: &[crate::report::SignOff] = if form.name.trim().is_empty() { &[] } else { &signoff };
        let reviewed = self.review.as_ref().map(|r| &r.reviewed);
        let written = if path.as_os_str().is_empty() {
            Err(format!("type a path for the report first ({})", crate::report::Format::choices()))
        } else if self.review.as_ref().is_some_and(|r| same_file(&r.path, path)) {
            Err("that is the run result under review: it is never overwritten, choose another name".to_owned())
        } else {
            crate::report::write_reviewed(result, signoff, reviewed, path).map_err(|e| format!("report not written: {e}"))
        };
        match &written {
            Ok(()) => {
                self.exported = true;
                self.log_at(Level::Success, format!("report written: {}", path.display()));
            }
            Err(e) => self.log_at(Level::Error, e.clone()),
        }
        self.verdict.export_status = Some(written.map(|()| format!("report written: {}", path.display())));
    }
}

fn default_report_name(plan: &LoadedPlan) -> String {
    let stem = plan.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "plan".into());
    format!("{stem}_execution_report.html")
}

/// Whether two paths name the same file (the same path, or the same file through another one).
fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}
