//! The window: state, `logic` (drain the worker's messages and dialog answers) and `ui`
//! (top bar, tabs, log pane; each tab is a panel in `panels/`). Persisted settings are one
//! `#[serde(default)]` struct; passwords are never in it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::dialog::{Dialogs, Pick};
use super::panels;
use super::run_state::RunView;
use super::table::TableState;
use super::worker::{Command, Message, Target, Worker};
use crate::engine::{Acknowledgement, RunOptions};
use crate::plan::{self, LoadedPlan};
use crate::sandbox::{ServerBinaries, ServerChoice};

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

/// How the connection is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnMode {
    Sandbox,
    Fields,
    String,
}

pub struct ConnectionForm {
    pub mode: ConnMode,
    pub host: String,
    pub port: String,
    pub dbname: String,
    pub user: String,
    pub password: String,
    pub sslmode: String,
    pub conninfo: String,
    /// The PostgreSQL server binaries found (`None` until the worker has looked).
    pub pg_versions: Option<Vec<ServerBinaries>>,
    /// The sandbox's server: the binaries in this directory, or the first found.
    pub pg_bindir: Option<PathBuf>,
}

impl Default for ConnectionForm {
    fn default() -> Self {
        Self {
            mode: ConnMode::Sandbox,
            host: "localhost".into(),
            port: "5432".into(),
            dbname: String::new(),
            user: String::new(),
            password: String::new(),
            sslmode: "prefer".into(),
            conninfo: String::new(),
            pg_versions: None,
            pg_bindir: None,
        }
    }
}

impl ConnectionForm {
    pub fn target(&self) -> Target {
        match self.mode {
            ConnMode::Sandbox => Target::Sandbox(match &self.pg_bindir {
                Some(dir) => ServerChoice::BinDir(dir.clone()),
                None => ServerChoice::Default,
            }),
            ConnMode::String => Target::Connection(self.conninfo.clone()),
            ConnMode::Fields => {
                let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
                let mut parts = vec![];
                for (k, v) in [
                    ("host", &self.host),
                    ("port", &self.port),
                    ("dbname", &self.dbname),
                    ("user", &self.user),
                    ("password", &self.password),
                    ("sslmode", &self.sslmode),
                ] {
                    if !v.trim().is_empty() {
                        parts.push(format!("{k}={}", quote(v.trim())));
                    }
                }
                Target::Connection(parts.join(" "))
            }
        }
    }

    /// The connection as remembered: never with its password.
    pub fn remembered(&self) -> Option<String> {
        let Target::Connection(conninfo) = self.target() else { return None };
        let mut info = crate::db::conninfo::parse(&conninfo).ok()?;
        info.password = None;
        Some(info.redacted())
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
    pub conn_status: Option<Result<String, String>>,
    /// The worker is processing a command.
    pub busy: bool,
    /// Manual items ticked by the operator: id → who / when.
    pub acks: BTreeMap<String, Acknowledgement>,
    pub run: RunView,
    pub checks_table: TableState,
    pub migrations_table: TableState,
    pub locks: super::panels::locks::LocksPanel,
    pub signoff: SignOffForm,
    pub export_path: String,
    pub export_status: Option<Result<String, String>>,
    pub log: Vec<String>,
    pub override_guard: bool,
}

impl PgstageApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let settings: Settings = if options.persist {
            cc.storage.and_then(|s| eframe::get_value(s, SETTINGS_KEY)).unwrap_or_default()
        } else {
            Settings::default()
        };
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
            log: Vec::new(),
            override_guard: false,
        };
        if app.settings.operator.is_empty() {
            app.settings.operator = crate::db::connect::ConnectOptions::default().os_user;
        }
        if let Some(path) = options.plan {
            app.open_plan(&path);
        }
        app
    }

    /// Load a plan (or draft one from a Markdown run-book); a load error is shown in the
    /// window (file:line:col), not a crash.
    pub fn open_plan(&mut self, path: &Path) {
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
                self.acks.clear();
                self.run = RunView::default();
            }
            Err(e) => {
                self.log(format!("plan not loaded: {e}"));
                self.plan_error = Some(e);
            }
        }
        self.tab = Tab::Plan;
    }

    pub fn log(&mut self, line: impl Into<String>) {
        self.log.push(line.into());
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

    /// Start a run (if none is under way) and run all of it, or just its next step.
    pub fn run_command(&mut self, all: bool) {
        if self.run.active() {
            self.worker.send(if all { Command::RunAll } else { Command::Step });
            self.busy = true;
            return;
        }
        let Some(plan) = self.plan.clone() else {
            self.log("open a plan first");
            return;
        };
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
        self.worker.send(Command::Start { plan, target: self.conn.target(), options, run_all: all });
        if !all {
            self.worker.send(Command::Step);
        }
        self.busy = true;
        self.tab = Tab::Run;
    }

    pub fn pause(&mut self) {
        if let Some(c) = &self.run.controls {
            c.pause();
            self.log("pausing after the current step");
        }
    }

    pub fn cancel(&mut self) {
        if let Some(c) = self.run.controls.clone() {
            self.log("cancelling: the running statement is cancelled and its migration rolled back");
            self.runtime.spawn(async move { c.cancel().await });
            if !self.busy {
                // Between steps: one more step records the cancellation and finishes the run.
                self.worker.send(Command::Step);
                self.busy = true;
            }
        }
    }

    pub fn test_connection(&mut self) {
        let Some(plan) = self.plan.clone() else {
            self.conn_status = Some(Err("open a plan first (the sandbox is seeded with its baseline)".into()));
            return;
        };
        self.conn_status = None;
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
        self.export_status = Some(match crate::report::write_with(result, signoff, path) {
            Ok(()) => Ok(format!("report written: {}", path.display())),
            Err(e) => Err(e.to_string()),
        });
        if let Some(Ok(m)) | Some(Err(m)) = self.export_status.clone() {
            self.log(m);
        }
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Log(line) => self.log(line),
            Message::ConnectionOk(what) => {
                self.log(format!("connection OK: {what}"));
                self.conn_status = Some(Ok(what));
            }
            Message::ConnectionFailed(e) => {
                self.log(format!("connection failed: {e}"));
                self.conn_status = Some(Err(e));
            }
            Message::Started(controls) => self.run = RunView::new(controls),
            Message::StartFailed(e) => {
                self.log(format!("run not started: {e}"));
                self.conn_status = Some(Err(e));
                self.tab = Tab::Connect;
            }
            Message::Engine(event) => {
                match &*event {
                    crate::engine::Event::Log(line) => self.log(line.clone()),
                    crate::engine::Event::LockWait(w)
                        if self.run.lock_wait.as_ref().is_none_or(|l| l.statement != w.statement) =>
                    {
                        self.log(format!("lock wait: {}", crate::engine::blockers::sentence(w)));
                    }
                    _ => {}
                }
                let finished = matches!(*event, crate::engine::Event::Finished(_));
                self.run.apply(*event);
                if finished {
                    let verdict = self.run.result.as_ref().is_some_and(|r| r.verdict.go);
                    self.log(format!("verdict: {}", if verdict { "GO" } else { "NO-GO" }));
                    self.tab = Tab::Verdict;
                }
            }
            Message::Versions(found) => self.conn.pg_versions = Some(found),
            Message::Idle => self.busy = false,
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, Modifiers};
        let typing = ctx.egui_wants_keyboard_input();
        let (open, export, space, escape) = ctx.input_mut(|i| {
            (
                i.consume_key(Modifiers::COMMAND, Key::O),
                i.consume_key(Modifiers::COMMAND, Key::E),
                !typing && i.consume_key(Modifiers::NONE, Key::Space),
                i.consume_key(Modifiers::NONE, Key::Escape),
            )
        });
        if open {
            self.ask_path(Pick::OpenPlan);
        }
        if export {
            self.ask_path(Pick::SaveReport);
        }
        if space && !self.busy && self.run.result.is_none() {
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
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.persist {
            eframe::set_value(storage, SETTINGS_KEY, &self.settings);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_connections_never_keep_the_password() {
        let mut form = ConnectionForm {
            mode: ConnMode::Fields,
            host: "staging.db".into(),
            dbname: "app_staging".into(),
            user: "dba".into(),
            password: "s3cr3t pass'word".into(),
            ..Default::default()
        };
        let Target::Connection(conninfo) = form.target() else { panic!("fields give a connection") };
        assert!(conninfo.contains("password='s3cr3t pass\\'word'"), "the session gets it: {conninfo}");
        let remembered = form.remembered().unwrap();
        assert!(!remembered.contains("s3cr3t") && !remembered.contains("password"), "{remembered}");
        assert!(remembered.contains("host=staging.db") && remembered.contains("dbname=app_staging"), "{remembered}");

        form.mode = ConnMode::String;
        form.conninfo = "postgres://dba:hunter2@staging.db:5433/app_staging?sslmode=verify-full".into();
        let remembered = form.remembered().unwrap();
        assert!(!remembered.contains("hunter2"), "{remembered}");
        assert!(remembered.contains("sslmode=verify-full"), "{remembered}");
        let settings = Settings { recent_connections: vec![remembered], ..Default::default() };
        assert!(!ron::to_string(&settings).unwrap().contains("hunter2"));

        form.mode = ConnMode::Sandbox;
        assert_eq!(form.remembered(), None);
    }
}
