//! The window: state, `logic` (drain the worker's messages and dialog answers) and `ui`
//! (top bar, tabs, log pane; each tab is a panel in `panels/`). Persisted settings are one
//! `#[serde(default)]` struct; passwords are never in it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::confirm::{Confirm, Discarding};
pub use super::connection::{ConnMode, ConnectionForm};
use super::dialog::{Dialogs, Pick};
use super::log::{Level, LogLine};
use super::panels;
use super::run_state::RunView;
use super::table::TableState;
use super::worker::{Command, Message, Target, Worker};
use crate::engine::{Event, RunOptions};
use crate::plan::{self, LoadedPlan};
use crate::run_result::{Acknowledgement, MigrationStatus};

const SETTINGS_KEY: &str = "pgstage";
const MAX_RECENT: usize = 8;

/// What the window remembers between sessions. No password, ever.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub recent_plans: Vec<PathBuf>,
    /// Connection strings with any password removed.
    pub recent_connections: Vec<String>,
    pub dark: bool,
    pub operator: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self { recent_plans: vec![], recent_connections: vec![], dark: true, operator: String::new() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Plan,
    Connect,
    Run,
    Results,
    Locks,
    Charts,
    Verdict,
}

impl Tab {
    pub const ALL: [Tab; 7] = [Tab::Plan, Tab::Connect, Tab::Run, Tab::Results, Tab::Locks, Tab::Charts, Tab::Verdict];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Plan => "Plan",
            Tab::Connect => "Connect & pre-flight",
            Tab::Run => "Run",
            Tab::Results => "Results",
            Tab::Locks => "Locks",
            Tab::Charts => "Charts",
            Tab::Verdict => "Verdict & export",
        }
    }
}

/// Sign-off fields that go into the exported report.
#[derive(Debug, Clone, Default)]
pub struct SignOffForm {
    pub name: String,
    pub role: String,
    pub comment: String,
}

/// How the app is started (the binary uses the defaults; tests inject their own).
pub struct AppOptions {
    pub plan: Option<PathBuf>,
    pub dialogs: Arc<dyn Dialogs>,
    pub runtime: tokio::runtime::Handle,
    /// Read and write eframe storage (off in tests).
    pub persist: bool,
}

pub struct PgstageApp {
    pub settings: Settings,
    pub(crate) persist: bool,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) worker: Worker,
    pub(crate) dialogs: Arc<dyn Dialogs>,
    pending_pick: Option<(Pick, std::sync::mpsc::Receiver<Option<PathBuf>>)>,
    pub plan: Option<LoadedPlan>,
    pub plan_error: Option<String>,
    /// When the plan was drafted from a run-book: what became of each of its lines.
    pub imported: Option<Vec<crate::draft::runbook::Mapping>>,
    pub tab: Tab,
    pub conn: ConnectionForm,
    /// The last connection test's (or refused start's) answer, for the target it was about.
    pub conn_status: Option<ConnStatus>,
    /// The worker is processing a command.
    pub busy: bool,
    /// Manual items ticked by the operator for the next run: id → who / when.
    pub acks: BTreeMap<String, Acknowledgement>,
    pub run: RunView,
    pub checks_table: TableState,
    pub migrations_table: TableState,
    pub locks: super::panels::locks::LocksPanel,
    pub signoff: SignOffForm,
    pub export_path: String,
    pub export_status: Option<Result<String, String>>,
    /// The finished run's report was written somewhere (nothing is lost by discarding it).
    pub exported: bool,
    pub log: Vec<LogLine>,
    pub override_guard: bool,
    /// A question the operator must answer before anything else (a modal).
    pub confirm: Option<Confirm>,
    /// A path field to focus on the next frame (Ctrl+O / Ctrl+E without a native dialog).
    pub focus: Option<Pick>,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnStatus {
    /// Connected; the plan's target guard refuses this database when `refused` says why.
    Connected {
        what: String,
        refused: Option<String>,
    },
    Failed(String),
}

impl PgstageApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let settings: Settings = if options.persist {
            cc.storage.and_then(|s| eframe::get_value(s, SETTINGS_KEY)).unwrap_or_default()
        } else {
            Settings::default()
        };
        panels::style::apply(&cc.egui_ctx);
        cc.egui_ctx.set_theme(if settings.dark { egui::Theme::Dark } else { egui::Theme::Light });
        let ctx = cc.egui_ctx.clone();
        // Rehearsals are recorded only where settings are (not by the tests' windows).
        let record = if options.persist { crate::rehearsal::Record::default_location() } else { None };
        let worker = Worker::spawn(&options.runtime, record, move || ctx.request_repaint());
        let mut app = Self {
            settings,
            persist: options.persist,
            runtime: options.runtime,
            worker,
            dialogs: options.dialogs,
            pending_pick: None,
            plan: None,
            plan_error: None,
            imported: None,
            tab: Tab::Plan,
            conn: ConnectionForm::default(),
            conn_status: None,
            busy: false,
            acks: BTreeMap::new(),
            run: RunView::default(),
            checks_table: TableState::default(),
            migrations_table: TableState::default(),
            locks: Default::default(),
            signoff: SignOffForm::default(),
            export_path: String::new(),
            export_status: None,
            exported: false,
            log: Vec::new(),
            override_guard: false,
            confirm: None,
            focus: None,
        };
        if app.settings.operator.is_empty() {
            app.settings.operator = crate::db::connect::ConnectOptions::default().os_user;
        }
        if let Some(path) = options.plan {
            app.open_plan(&path);
        }
        app
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
                self.export_path = default_report_name(&loaded);
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

    /// Forget the run shown: its result, sign-off and checklist (the next run starts empty).
    fn reset_run(&mut self) {
        self.run = RunView::default();
        self.acks.clear();
        self.signoff = SignOffForm::default();
        self.export_status = None;
        self.exported = false;
        self.checks_table.selected = None;
        self.migrations_table.selected = None;
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

    pub fn log(&mut self, line: impl Into<String>) {
        self.log.push(LogLine::from_text(line));
    }

    pub fn log_at(&mut self, level: Level, line: impl Into<String>) {
        self.log.push(LogLine::new(level, line));
    }

    /// The log as text, one line each (for tests and copying).
    pub fn log_text(&self) -> String {
        self.log.iter().map(|l| format!("{l}\n")).collect()
    }

    pub fn ask_path(&mut self, what: Pick) {
        if self.pending_pick.is_some() {
            return;
        }
        if !self.dialogs.available() {
            let hint = match what {
                Pick::OpenPlan => "type the plan's path in the Plan tab",
                Pick::SaveReport => "type the report's path in the Verdict & export tab",
            };
            self.log(format!("no native file dialog is available here (no xdg portal, no zenity): {hint}"));
            self.tab = if what == Pick::OpenPlan { Tab::Plan } else { Tab::Verdict };
            self.focus = Some(what);
            return;
        }
        let suggested = self.export_path.clone();
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

    /// The manual checklist items not ticked yet (a run cannot start before they are).
    pub fn unticked(&self) -> Vec<String> {
        let Some(plan) = &self.plan else { return vec![] };
        plan.plan.preflight.manual.iter().filter(|m| !self.acks.contains_key(&m.id)).map(|m| m.title.clone()).collect()
    }

    /// Why a run cannot start now, if it cannot.
    pub fn why_not_startable(&self) -> Option<String> {
        if self.plan.is_none() {
            return Some("Open a plan first".into());
        }
        if self.busy {
            return Some("The worker is busy".into());
        }
        let unticked = self.unticked();
        (!unticked.is_empty()).then(|| {
            format!(
                "Tick the manual checklist first (Plan tab): {} not confirmed yet — {}",
                crate::report::content::count_of(unticked.len(), "items"),
                unticked.join(", ")
            )
        })
    }

    /// Start a run (if none is under way) and run all of it, or just its next step.
    pub fn run_command(&mut self, all: bool) {
        if self.run.active() {
            self.worker.send(if all { Command::RunAll } else { Command::Step });
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
        if let Some(remembered) = self.conn.remembered() {
            self.settings.recent_connections.retain(|c| c != &remembered);
            self.settings.recent_connections.insert(0, remembered);
            self.settings.recent_connections.truncate(MAX_RECENT);
        }
        let options = RunOptions {
            operator: self.settings.operator.clone(),
            acknowledgements: self.acks.values().cloned().collect(),
            override_target_guard: self.override_guard,
            ..Default::default()
        };
        self.run = RunView::default();
        self.export_status = None;
        self.exported = false;
        self.worker.send(Command::Start { plan, target: self.conn.target(), options, run_all: all });
        if !all {
            self.worker.send(Command::Step);
        }
        self.log(format!("run requested on {}", self.target_words()));
        self.busy = true;
        self.tab = Tab::Run;
    }

    /// The target in words, for the log and the header.
    pub fn target_words(&self) -> String {
        match self.conn.target() {
            Target::Sandbox(choice) => format!("a throwaway sandbox ({choice})"),
            Target::Connection(_) => self.conn.remembered().unwrap_or_else(|| "the connection given".into()),
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

    /// Ask before cancelling the run.
    pub fn cancel(&mut self) {
        if self.run.active() {
            self.confirm = Some(Confirm::Cancel);
        }
    }

    fn cancel_now(&mut self) {
        let Some(c) = self.run.controls.clone() else { return };
        if self.busy && self.run.current().is_some() {
            self.log_at(Level::Warning, "cancelling: the running statement is cancelled and its migration rolled back");
        } else {
            let next = self.run.steps.iter().find(|s| s.status == super::run_state::StepStatus::Pending).map(|s| s.title.clone());
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
            self.conn_status = Some(ConnStatus::Failed("open a plan first (the sandbox is seeded with its baseline)".into()));
            return;
        };
        self.conn_status = None;
        self.conn.tested = Some(self.conn.target());
        self.worker.send(Command::TestConnection { target: self.conn.target(), plan });
        self.busy = true;
    }

    /// Write the report of the finished run to `path` (format from the extension).
    pub fn export_to(&mut self, path: &Path) {
        let Some(result) = &self.run.result else {
            self.export_status = Some(Err("no finished run to export yet".into()));
            return;
        };
        let signoff = [crate::report::SignOff {
            name: self.signoff.name.clone(),
            role: self.signoff.role.clone(),
            comment: self.signoff.comment.clone(),
        }];
        let signoff: &[crate::report::SignOff] = if self.signoff.name.trim().is_empty() { &[] } else { &signoff };
        let written = if path.as_os_str().is_empty() {
            Err("type a path for the report first (.md, .html, .json or .xml)".to_owned())
        } else {
            crate::report::write_with(result, signoff, path).map_err(|e| format!("report not written: {e}"))
        };
        match &written {
            Ok(()) => {
                self.exported = true;
                self.log_at(Level::Success, format!("report written: {}", path.display()));
            }
            Err(e) => self.log_at(Level::Error, e.clone()),
        }
        self.export_status = Some(written.map(|()| format!("report written: {}", path.display())));
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Log(line) => self.log(line),
            Message::ConnectionOk { what, refused } => {
                match &refused {
                    None => self.log_at(Level::Success, format!("connection OK: {what}")),
                    Some(why) => {
                        self.log_at(Level::Warning, format!("connected to {what}, but the target guard refuses it: {why}"))
                    }
                }
                self.conn_status = Some(ConnStatus::Connected { what, refused });
            }
            Message::ConnectionFailed(e) => {
                self.log_at(Level::Error, format!("connection failed: {e}"));
                self.conn_status = Some(ConnStatus::Failed(e));
            }
            Message::Started(controls) => {
                self.log(format!("run started on {}", self.target_words()));
                self.run = RunView::new(controls);
            }
            Message::StartFailed(e) => {
                self.log_at(Level::Error, format!("run not started: {e}"));
                self.conn.tested = Some(self.conn.target());
                self.conn_status = Some(ConnStatus::Failed(format!("run not started: {e}")));
                self.tab = Tab::Connect;
            }
            Message::Engine(event, at) => self.engine_event(*event, at),
            Message::Versions(found) => self.conn.pg_versions = Some(found),
            Message::Idle => self.busy = false,
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
                        format!("{} applied in {} ({} statements)", m.id, c(m.duration_ms), m.statements_done),
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
            let took = RunView::elapsed(s).map(|d| crate::gui::panels::run::seconds(d.as_secs_f64())).unwrap_or_default();
            let line = format!("{}: {} ({took})", s.title, crate::gui::panels::run::step_word(s));
            let level = if s.status == super::run_state::StepStatus::Done { Level::Success } else { Level::Error };
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

    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, Modifiers};
        if self.confirm.is_some() {
            return;
        }
        let typing = ctx.egui_wants_keyboard_input();
        let (open, export, space, escape) = ctx.input_mut(|i| {
            (
                i.consume_key(Modifiers::COMMAND, Key::O),
                i.consume_key(Modifiers::COMMAND, Key::E),
                !typing && i.consume_key(Modifiers::NONE, Key::Space),
                !typing && i.consume_key(Modifiers::NONE, Key::Escape),
            )
        });
        if open {
            self.ask_path(Pick::OpenPlan);
        }
        if export {
            self.ask_path(Pick::SaveReport);
        }
        if space && self.run.result.is_none() && self.why_not_startable().is_none() {
            self.run_command(false);
        }
        if escape {
            self.pause();
        }
    }
}

fn default_report_name(plan: &LoadedPlan) -> String {
    let stem = plan.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "plan".into());
    format!("{stem}_execution_report.html")
}

impl eframe::App for PgstageApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        for message in self.worker.drain() {
            self.handle(message);
        }
        if let Some((what, rx)) = &self.pending_pick
            && let Ok(answer) = rx.try_recv()
        {
            let what = *what;
            self.pending_pick = None;
            match (what, answer) {
                (Pick::OpenPlan, Some(path)) => self.open_plan(&path),
                (Pick::SaveReport, Some(path)) => {
                    self.export_path = path.display().to_string();
                    self.export_to(&path);
                }
                (_, None) => self.log("file dialog closed without a choice"),
            }
        }
        // A test or a refused start is about the target it was for: not about another one.
        if self.conn.tested.as_ref().is_some_and(|t| *t != self.conn.target()) {
            self.conn.tested = None;
            self.conn_status = None;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.shortcuts(&ctx);
        if self.run.active() || self.pending_pick.is_some() {
            // Elapsed times tick while a step runs; the worker's messages repaint too.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
        panels::top_bar(self, ui);
        panels::log_pane(self, ui);
        egui::CentralPanel::default_margins().show(ui, |ui| match self.tab {
            Tab::Plan => panels::plan::show(self, ui),
            Tab::Connect => panels::connect::show(self, ui),
            Tab::Run => panels::run::show(self, ui),
            Tab::Results => panels::results::show(self, ui),
            Tab::Locks => self.locks.show(ui, &self.run.migrations, self.run.version),
            Tab::Charts => panels::charts::show(self, ui),
            Tab::Verdict => panels::verdict::show(self, ui),
        });
        if let Some(answer) = super::confirm::show(self, &ctx) {
            self.answer(answer);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.persist {
            eframe::set_value(storage, SETTINGS_KEY, &self.settings);
        }
    }
}
