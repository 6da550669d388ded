//! The window: its wiring (worker, dialogs, settings, the panels, the run, the log, the modal
//! question), `logic` (drain the worker's messages and dialog answers) and `ui` (top bar, tabs,
//! log pane; each tab is a panel in `panels/` that owns its own state, reads a [`View`] and
//! asks for changes with [`UiCommand`]s, applied in [`super::command_handling`]). Persisted
//! settings are one `#[serde(default)]` struct; passwords are never in it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::command::UiCommand;
use super::confirm::Confirm;
pub use super::connection::{ConnMode, ConnStatus, ConnectionForm, Seed};
use super::dialog::{Dialogs, Pick};
use super::log::{Level, LogLine};
use super::panels::{self, ComparePanel, ConnectPanel, LocksPanel, PlanPanel, ResultsPanel, RunPanel, VerdictPanel};
use super::run_state::RunView;
use super::view::View;
use super::worker::Worker;
use crate::plan::LoadedPlan;
use crate::run_result::Acknowledgement;

const SETTINGS_KEY: &str = "pgstage";

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
    Compare,
}

impl Tab {
    pub const ALL: [Tab; 8] =
        [Tab::Plan, Tab::Connect, Tab::Run, Tab::Results, Tab::Locks, Tab::Charts, Tab::Verdict, Tab::Compare];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Plan => "Plan",
            Tab::Connect => "Connect & pre-flight",
            Tab::Run => "Run",
            Tab::Results => "Results",
            Tab::Locks => "Locks",
            Tab::Charts => "Charts",
            Tab::Verdict => "Verdict & export",
            Tab::Compare => "Compare",
        }
    }
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
    pub(crate) pending_pick: Option<(Pick, std::sync::mpsc::Receiver<Option<PathBuf>>)>,
    pub plan: Option<LoadedPlan>,
    pub plan_error: Option<String>,
    /// When the plan was drafted from a run-book: what became of each of its lines.
    pub imported: Option<Vec<crate::draft::runbook::Mapping>>,
    pub tab: Tab,
    /// The worker is processing a command.
    pub busy: bool,
    /// What the worker prepares before the run starts (the sandbox's start, its seeding).
    pub preparing: Option<String>,
    /// Manual items ticked by the operator for the next run: id → who / when.
    pub acks: BTreeMap<String, Acknowledgement>,
    pub run: RunView,
    /// The finished run's report was written somewhere (nothing is lost by discarding it).
    pub exported: bool,
    pub log: Vec<LogLine>,
    /// A question the operator must answer before anything else (a modal).
    pub(crate) confirm: Option<Confirm>,
    /// The run was asked to run all its steps (not one step): what a held run resumes.
    pub(crate) running_all: bool,
    /// The Cancel… question paused the run: "Keep running" resumes it.
    pub(crate) held_for_cancel: bool,
    /// The window's title as last set.
    title: String,
    /// A run result opened read-only (the review mode), with its checksum as read.
    pub review: Option<super::review::Review>,
    pub plan_panel: PlanPanel,
    pub connect: ConnectPanel,
    pub run_panel: RunPanel,
    pub results: ResultsPanel,
    pub locks: LocksPanel,
    pub compare: ComparePanel,
    pub verdict: VerdictPanel,
}

/// The read-only [`View`] of the app for this frame. A macro rather than a method: it borrows
/// only the fields it reads, so a panel (another field) can be borrowed mutably beside it.
macro_rules! view_of {
    ($app:expr) => {
        View {
            plan: $app.plan.as_ref(),
            plan_error: $app.plan_error.as_deref(),
            imported: $app.imported.as_deref(),
            run: &$app.run,
            acks: &$app.acks,
            busy: $app.busy,
            preparing: $app.preparing.as_deref(),
            settings: &$app.settings,
            log: &$app.log,
            target_is_sandbox: $app.connect.form.mode == ConnMode::Sandbox,
            target_is_clone: $app.connect.form.mode == ConnMode::Sandbox && $app.connect.form.seed == Seed::Clone,
            dialogs: $app.dialogs.as_ref(),
            review: $app.review.as_ref(),
        }
    };
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
            busy: false,
            preparing: None,
            acks: BTreeMap::new(),
            run: RunView::default(),
            exported: false,
            log: Vec::new(),
            confirm: None,
            running_all: false,
            held_for_cancel: false,
            title: String::new(),
            review: None,
            plan_panel: PlanPanel::default(),
            connect: ConnectPanel::default(),
            run_panel: RunPanel,
            results: ResultsPanel::default(),
            locks: LocksPanel::default(),
            compare: ComparePanel::default(),
            verdict: VerdictPanel::default(),
        };
        if app.settings.operator.is_empty() {
            app.settings.operator = crate::db::connect::ConnectOptions::default().os_user;
        }
        if let Some(path) = options.plan {
            app.open_plan(&path);
        }
        app
    }

    /// What the panels read of the window, for this frame.
    pub fn view(&self) -> View<'_> {
        view_of!(self)
    }

    pub fn log(&mut self, line: impl Into<String>) {
        self.log.push(LogLine::from_text(line));
    }

    pub fn log_at(&mut self, level: Level, line: impl Into<String>) {
        self.log.push(LogLine::new(level, line));
    }

    /// The log as text, one line each (for tests and copying).
    pub fn log_text(&self) -> String {
        super::log::text(&self.log)
    }

    /// The keyboard's commands: Ctrl+O, Ctrl+E, Space (next step), F5 (run all), Esc (pause),
    /// Ctrl+1 … Ctrl+8 (the tabs, in their order).
    fn shortcuts(&self, ctx: &egui::Context, commands: &mut Vec<UiCommand>) {
        use egui::{Key, Modifiers};
        if self.confirm.is_some() {
            return;
        }
        let typing = ctx.egui_wants_keyboard_input();
        const DIGITS: [Key; 8] = [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6, Key::Num7, Key::Num8];
        let (open, export, space, f5, escape, tab) = ctx.input_mut(|i| {
            (
                i.consume_key(Modifiers::COMMAND, Key::O),
                i.consume_key(Modifiers::COMMAND, Key::E),
                !typing && i.consume_key(Modifiers::NONE, Key::Space),
                i.consume_key(Modifiers::NONE, Key::F5),
                !typing && i.consume_key(Modifiers::NONE, Key::Escape),
                DIGITS.iter().position(|k| i.consume_key(Modifiers::COMMAND, *k)),
            )
        });
        if let Some(t) = tab {
            commands.push(UiCommand::ShowTab(Tab::ALL[t]));
        }
        // What the Run all button allows: a new run when startable, a paused one between steps.
        let startable =
            self.run.result.is_none() && if self.run.active() { !self.busy } else { self.why_not_startable().is_none() };
        if f5 && startable {
            commands.push(UiCommand::RunAll);
        }
        if open {
            commands.push(UiCommand::AskPath(Pick::OpenPlan));
        }
        if export {
            commands.push(UiCommand::AskPath(Pick::SaveReport));
        }
        if space && self.run.result.is_none() && self.why_not_startable().is_none() {
            commands.push(UiCommand::NextStep);
        }
        if escape {
            commands.push(UiCommand::Pause);
        }
    }

    /// Apply the commands pushed so far, in order.
    fn apply_all(&mut self, ctx: &egui::Context, commands: &mut Vec<UiCommand>) {
        for command in commands.drain(..) {
            self.apply(ctx, command);
        }
    }

    /// The window's title: the plan and where its run stands ("running: …", "finished: GO"),
    /// so that a run is followed from the task bar (and from a script: `xdotool getwindowname`).
    pub fn window_title(&self) -> String {
        let view = self.view();
        let state = match (&self.preparing, view.review) {
            (_, Some(_)) => format!("review, {}", panels::run::overall_text(&view)),
            (Some(step), None) if view.run.result.is_none() => format!("preparing: {step}"),
            _ => panels::run::overall_text(&view),
        };
        let plan = self.plan.as_ref().map(|p| &p.plan.name).or(self.run.result.as_ref().map(|r| &r.plan.name));
        match plan {
            Some(name) => format!("pgstage — {name} — {state}"),
            None => format!("pgstage — {state}"),
        }
    }

    /// The tab shown, drawn by its panel.
    fn central(&mut self, ui: &mut egui::Ui, commands: &mut Vec<UiCommand>) {
        let view = view_of!(self);
        egui::CentralPanel::default_margins().show(ui, |ui| match self.tab {
            Tab::Plan => self.plan_panel.show(ui, &view, commands),
            Tab::Connect => self.connect.show(ui, &view, commands),
            Tab::Run => self.run_panel.show(ui, &view, commands),
            Tab::Results => self.results.show(ui, &view),
            Tab::Locks => self.locks.show(ui, &view.run.migrations, view.run.version),
            Tab::Charts => panels::charts::show(ui, &view),
            Tab::Verdict => self.verdict.show(ui, &view, commands),
            Tab::Compare => self.compare.show(ui, &view, commands),
        });
    }
}

impl eframe::App for PgstageApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // A plan or a run result dropped on the window opens as Ctrl+O would open it.
        let dropped = ctx.input(|i| {
            i.raw.dropped_files.iter().find_map(|f| Some(f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()))
        });
        if let Some(path) = dropped {
            self.open_plan(&path);
        }
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
                (Pick::OpenRun, Some(path)) => self.compare_with(&path),
                (Pick::SaveReport, Some(path)) => {
                    self.verdict.export_path = path.display().to_string();
                    self.export_to(&path);
                }
                (_, None) => self.log("file dialog closed without a choice"),
            }
        }
        // A test or a refused start is about the target it was for: not about another one.
        let form = &mut self.connect.form;
        if form.tested.as_ref().is_some_and(|t| *t != form.target()) {
            form.tested = None;
            self.connect.status = None;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        // Each part's commands are applied before the next part is drawn (a tab chosen in the
        // top bar is the one drawn below it, in the same frame).
        let mut commands = Vec::new();
        self.shortcuts(&ctx, &mut commands);
        self.apply_all(&ctx, &mut commands);
        if self.run.active() || self.pending_pick.is_some() {
            // Elapsed times tick while a step runs; the worker's messages repaint too.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
        panels::top_bar(ui, &self.view(), self.tab, &mut commands);
        self.apply_all(&ctx, &mut commands);
        panels::log_pane(ui, &self.view(), &mut commands);
        self.apply_all(&ctx, &mut commands);
        self.central(ui, &mut commands);
        self.apply_all(&ctx, &mut commands);
        if let Some(question) = &self.confirm
            && let Some(answer) = super::confirm::show(question, &self.view(), &ctx)
        {
            commands.push(UiCommand::Answer(answer));
        }
        self.apply_all(&ctx, &mut commands);
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.persist {
            eframe::set_value(storage, SETTINGS_KEY, &self.settings);
        }
    }
}
