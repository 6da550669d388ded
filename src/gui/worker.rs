//! The GUI's worker: all database work, on the tokio runtime, never on the UI thread.
//! The UI sends [`Command`]s; the worker answers with [`Message`]s and asks for a repaint
//! after each one. Pause and cancel bypass the queue through the engine's [`Controls`].

use std::path::PathBuf;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::db::connect::{self, ConnectOptions, Session};
use crate::engine::{Controls, Engine, Event, RunOptions};
use crate::plan::LoadedPlan;
use crate::rehearsal::{self, Record};
use crate::run_result::major_of;
use crate::sandbox::clone::Cloned;
use crate::sandbox::{CloneStep, Sandbox, SandboxOptions, ServerBinaries, ServerChoice, StartStep};

/// Where to run. Its `Debug` never shows a connection string (it may hold a password).
#[derive(Clone, PartialEq)]
pub enum Target {
    /// A throwaway local cluster seeded with the plan's baseline (a fresh database per run),
    /// on the server binaries chosen.
    Sandbox(ServerChoice),
    /// A libpq connection string or URL (it may hold a password: never log it).
    Connection(String),
    /// The window's connection fields as a connection string (a password in it was typed in
    /// the Password field, and messages say so).
    Fields(String),
    /// A sandbox of staging's major version seeded with a clone of staging's schema (read
    /// only, no row copied); staging is a `Connection` or `Fields` (it may hold a password).
    Clone(Box<Target>),
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sandbox(choice) => f.debug_tuple("Sandbox").field(choice).finish(),
            Target::Connection(_) => f.write_str("Connection(<connection string, not shown>)"),
            Target::Fields(_) => f.write_str("Fields(<connection fields, not shown>)"),
            Target::Clone(staging) => f.debug_tuple("Clone").field(staging).finish(),
        }
    }
}

pub enum Command {
    TestConnection {
        target: Target,
        plan: LoadedPlan,
    },
    Start {
        plan: LoadedPlan,
        target: Target,
        /// Boxed: it may carry the rehearsed baseline's catalog.
        options: Box<RunOptions>,
        run_all: bool,
    },
    Step,
    RunAll,
    /// Cancel between steps: mark the run cancelled, then let the next step record it (in
    /// this order: no statement of the next step may start).
    CancelPaused,
    Acknowledge {
        item: String,
        by: String,
    },
}

pub enum Message {
    /// A line for the log pane.
    Log(String),
    /// Connected; `refused` says why the plan's target guard would refuse a run there.
    ConnectionOk {
        what: String,
        refused: Option<String>,
    },
    ConnectionFailed(String),
    Started(Controls),
    StartFailed(String),
    /// An engine event, and when the worker received it (steps are timed by it: the UI may
    /// drain several events in one frame).
    Engine(Box<Event>, std::time::Instant),
    /// The PostgreSQL server binaries found on this machine (sent once, at start).
    Versions(Vec<ServerBinaries>),
    /// What the worker is preparing before a run can start (the sandbox's start, seeding),
    /// shown beside the spinner; `None` once it is done.
    Preparing(Option<String>),
    /// The worker finished a command and waits for the next.
    Idle,
}

pub struct Worker {
    commands: UnboundedSender<Command>,
    messages: UnboundedReceiver<Message>,
}

impl Worker {
    /// Spawn the worker on `runtime`, recording sandbox runs as rehearsals in `record` and
    /// reading it for runs on a database; `repaint` is called after every message.
    pub fn spawn(runtime: &tokio::runtime::Handle, record: Option<Record>, repaint: impl Fn() + Send + Sync + 'static) -> Self {
        let (commands, command_rx) = unbounded_channel();
        let (message_tx, messages) = unbounded_channel();
        let out = Outbox { tx: message_tx, repaint: std::sync::Arc::new(repaint) };
        let found = out.clone();
        // Each candidate's `postgres --version` runs off the UI thread.
        runtime.spawn(async move {
            if let Ok(versions) = tokio::task::spawn_blocking(crate::sandbox::installed).await {
                found.send(Message::Versions(versions));
            }
        });
        runtime.spawn(work(command_rx, out, record));
        Self { commands, messages }
    }

    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// The messages that arrived since the last call (never blocks).
    pub fn drain(&mut self) -> Vec<Message> {
        let mut out = Vec::new();
        while let Ok(m) = self.messages.try_recv() {
            out.push(m);
        }
        out
    }
}

#[derive(Clone)]
struct Outbox {
    tx: UnboundedSender<Message>,
    repaint: std::sync::Arc<dyn Fn() + Send + Sync>,
}

impl Outbox {
    fn send(&self, m: Message) {
        let _ = self.tx.send(m);
        (self.repaint)();
    }
}

struct State {
    out: Outbox,
    /// The sandbox, and the choice it was started for (`None`: a clone's, never reused:
    /// staging's roles are the cluster's).
    sandbox: Option<(Option<ServerChoice>, Sandbox)>,
    /// The clone the session [`State::session`] made last is on, for the run's options.
    cloned: Option<Cloned>,
    runs: u32,
    engine: Option<Engine>,
    record: Option<Record>,
}

async fn work(mut commands: UnboundedReceiver<Command>, out: Outbox, record: Option<Record>) {
    let mut state = State { out, sandbox: None, cloned: None, runs: 0, engine: None, record };
    while let Some(command) = commands.recv().await {
        match command {
            Command::TestConnection { target: Target::Clone(staging), plan } => match state.test_staging(&staging, &plan).await {
                Ok(what) => state.out.send(Message::ConnectionOk { what, refused: None }),
                Err(e) => state.out.send(Message::ConnectionFailed(e)),
            },
            Command::TestConnection { target, plan } => match state.session(&target, &plan).await {
                Ok(s) => {
                    let what = format!("{} — PostgreSQL {}{}", s.target, s.server_version, if s.tls { ", TLS" } else { "" });
                    let host = crate::engine::guard::host_of(&s.target);
                    let refused = match crate::engine::guard::refusal(&s.client, &plan.plan.target, &host).await {
                        Ok(refused) => refused,
                        Err(e) => Some(format!("the guard could not read the database's name and marks: {e}")),
                    };
                    state.out.send(Message::ConnectionOk { what, refused })
                }
                Err(e) => state.out.send(Message::ConnectionFailed(e)),
            },
            Command::Start { plan, target, options, run_all } => {
                state.engine = None;
                match state.start(plan, target, *options).await {
                    Ok(()) if run_all => state.run_all().await,
                    Ok(()) => {}
                    Err(e) => state.out.send(Message::StartFailed(e)),
                }
            }
            Command::Step => state.step().await,
            Command::RunAll => state.run_all().await,
            Command::CancelPaused => {
                if let Some(engine) = &state.engine {
                    engine.controls().cancel().await;
                }
                state.step().await;
            }
            Command::Acknowledge { item, by } => {
                if let Some(engine) = &mut state.engine {
                    engine.acknowledge(&item, &by);
                }
            }
        }
        state.out.send(Message::Idle);
    }
}

impl State {
    /// Say what the worker is preparing (in the log and beside the spinner).
    fn preparing(&self, what: String) {
        self.out.send(Message::Log(format!("{what}…")));
        self.out.send(Message::Preparing(Some(format!("{what}…"))));
    }

    /// A session on the target; for the sandbox, a fresh database seeded with the baseline.
    async fn session(&mut self, target: &Target, plan: &LoadedPlan) -> Result<Session, String> {
        match target {
            Target::Connection(conninfo) | Target::Fields(conninfo) => {
                let options = ConnectOptions { from_fields: matches!(target, Target::Fields(_)), ..Default::default() };
                connect::connect(conninfo, &options).await.map_err(|e| e.to_string())
            }
            Target::Clone(staging) => self.clone_session(staging, plan).await,
            Target::Sandbox(choice) => {
                if self.sandbox.as_ref().is_some_and(|(running, _)| running.as_ref() != Some(choice)) {
                    self.sandbox = None; // another version asked for (or a clone's): stop this one
                }
                if self.sandbox.is_none() {
                    self.preparing(format!("starting the sandbox: PostgreSQL ({choice})"));
                    // Each step of the start, told by the sandbox as it begins, in the log and
                    // beside the spinner (until the start returns and the sender is dropped).
                    let (progress, mut steps) = tokio::sync::mpsc::unbounded_channel::<StartStep>();
                    let out = self.out.clone();
                    let forward = tokio::spawn(async move {
                        while let Some(step) = steps.recv().await {
                            out.send(Message::Log(format!("sandbox: {}…", step.words())));
                            out.send(Message::Preparing(Some(format!("starting the sandbox: {}…", step.words()))));
                        }
                    });
                    let options = SandboxOptions { server: choice.clone(), progress: Some(progress), ..Default::default() };
                    let started = Sandbox::start_with_baseline(&options, plan).await;
                    drop(options);
                    let _ = forward.await; // every step told before what follows
                    let (sandbox, source) = started.map_err(|e| e.to_string())?;
                    self.out.send(Message::Log(format!(
                        "sandbox: {} started in {:.2} s, baseline {source}",
                        sandbox.binaries(),
                        sandbox.startup.as_secs_f64()
                    )));
                    self.sandbox = Some((Some(choice.clone()), sandbox));
                }
                let (_, sandbox) = self.sandbox.as_ref().expect("started above");
                self.runs += 1;
                let dbname = format!("pgstage_sandbox_{}", self.runs);
                self.preparing(format!("seeding the sandbox with the plan's baseline ({dbname})"));
                let took = sandbox.seed(plan, &dbname).await.map_err(|e| e.to_string())?;
                self.out.send(Message::Log(format!("sandbox: baseline seeded in {dbname} in {:.2} s", took.as_secs_f64())));
                let (_, sandbox) = self.sandbox.as_ref().expect("started above");
                connect::connect_config(&sandbox.config(&dbname)).await.map_err(|e| e.to_string())
            }
        }
    }

    /// A fresh sandbox of staging's major version holding a clone of staging's schema (the
    /// path `pgstage run --clone-from` takes), each step told in the log and beside the spinner.
    async fn clone_session(&mut self, staging: &Target, plan: &LoadedPlan) -> Result<Session, String> {
        let (Target::Connection(conninfo) | Target::Fields(conninfo)) = staging else {
            return Err("a clone is read from a database given by its fields or a connection string".into());
        };
        // A cluster of its own: the roles a clone makes are the cluster's, not its database's.
        self.sandbox = None;
        self.cloned = None;
        self.runs += 1;
        let dbname = format!("pgstage_sandbox_{}", self.runs);
        let (progress, mut steps) = unbounded_channel::<CloneStep>();
        let out = self.out.clone();
        let forward = tokio::spawn(async move {
            while let Some(step) = steps.recv().await {
                out.send(Message::Log(step.line()));
                out.send(Message::Preparing(Some(step.line())));
            }
        });
        let request = crate::engine::clone::CloneRequest {
            staging: conninfo,
            connect: ConnectOptions { from_fields: matches!(staging, Target::Fields(_)), ..Default::default() },
            server: ServerChoice::Default,
            dbname: &dbname,
            progress: Some(progress),
        };
        let made = crate::engine::clone::clone_staging(plan, request).await;
        let _ = forward.await; // every step told before what follows
        let made = made.map_err(|e| e.to_string())?;
        self.out.send(Message::Log(format!(
            "sandbox: {} started in {:.2} s; {} ({:.2} s)",
            made.sandbox.binaries(),
            made.sandbox.startup.as_secs_f64(),
            made.cloned.info.sentence(),
            made.took.as_secs_f64()
        )));
        self.sandbox = Some((None, made.sandbox));
        self.cloned = Some(made.cloned);
        Ok(made.session)
    }

    /// "Test connection" for a clone: staging answers, and this machine can clone it (server
    /// binaries of its major version, a pg_dump able to dump it); nothing is started.
    async fn test_staging(&mut self, staging: &Target, plan: &LoadedPlan) -> Result<String, String> {
        let session = self.session(staging, plan).await?;
        let major = crate::sandbox::clone::staging_major(&session.client).await.map_err(|e| e.to_string())?;
        let found = tokio::task::spawn_blocking(move || {
            let server = crate::sandbox::installed().into_iter().find(|b| b.major == major);
            (server, crate::sandbox::dump_tools::find(major))
        })
        .await
        .map_err(|e| e.to_string())?;
        let server = found.0.ok_or_else(|| {
            format!(
                "staging {} runs PostgreSQL {}: no PostgreSQL {major} server binaries on this machine for its sandbox; {}",
                session.target,
                session.server_version,
                crate::sandbox::INSTALL_HINT
            )
        })?;
        let tools = found.1.map_err(|e| format!("staging {} runs PostgreSQL {}: {e}", session.target, session.server_version))?;
        Ok(format!(
            "staging {} — PostgreSQL {}{}: a run clones its schema with {} into a sandbox of PostgreSQL {}",
            session.target,
            session.server_version,
            if session.tls { ", TLS" } else { "" },
            tools.version,
            server.number()
        ))
    }

    async fn start(&mut self, plan: LoadedPlan, target: Target, mut options: RunOptions) -> Result<(), String> {
        let session = self.session(&target, &plan).await?;
        self.out.send(Message::Log(format!("connected to {} (PostgreSQL {})", session.target, session.server_version)));
        match (&target, &self.sandbox, &self.record) {
            (Target::Sandbox(_), Some((_, sandbox)), _) => options.sandbox = Some(sandbox.info()),
            (Target::Clone(_), Some((_, sandbox)), _) => {
                options.sandbox = Some(sandbox.info());
                options.clone = self.cloned.take();
            }
            (Target::Connection(_) | Target::Fields(_), _, Some(record)) => {
                let checksum = rehearsal::plan_checksum(&plan);
                match record.last(&checksum) {
                    Ok(last) => options.rehearsal = last,
                    Err(e) => self.out.send(Message::Log(format!("warning: {e}"))),
                }
                match record.baseline(&checksum) {
                    Ok(baseline) => options.rehearsed_baseline = baseline,
                    Err(e) => self.out.send(Message::Log(format!("warning: {e}"))),
                }
            }
            _ => {}
        }
        if let Some(r) = &options.rehearsal
            && major_of(&session.server_version) == Some(r.major)
        {
            self.out.send(Message::Log(format!(
                "rehearsal: sandbox run {} on PostgreSQL {}, the same major version",
                r.run_id, r.server_version
            )));
        }
        let (tx, mut rx) = unbounded_channel::<Event>();
        let out = self.out.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                out.send(Message::Engine(Box::new(event), std::time::Instant::now()));
            }
        });
        let engine = Engine::start(plan, session, options, tx).await.map_err(|e| e.to_string())?;
        if let Some(warning) = engine.result().rehearsal_warning() {
            self.out.send(Message::Log(format!("WARNING: {warning}")));
        }
        self.out.send(Message::Started(engine.controls()));
        self.engine = Some(engine);
        Ok(())
    }

    async fn step(&mut self) {
        if let Some(engine) = &mut self.engine {
            engine.controls().resume();
            engine.step().await;
        }
        self.finish_if_over().await;
    }

    async fn run_all(&mut self) {
        if let Some(engine) = &mut self.engine {
            engine.controls().resume();
            engine.run().await;
        }
        self.finish_if_over().await;
    }

    async fn finish_if_over(&mut self) {
        let over = self.engine.as_ref().is_some_and(|e| e.next_step().is_none());
        if over && let Some(engine) = self.engine.take() {
            let baseline = engine.rehearsed_baseline().cloned();
            let result = engine.finish().await;
            if let Some(record) = &self.record {
                match record.remember(&result, baseline.as_ref()) {
                    Ok(true) => self.out.send(Message::Log(format!("rehearsal recorded in {}", record.path().display()))),
                    Ok(false) => {}
                    Err(e) => self.out.send(Message::Log(format!("warning: {e}"))),
                }
            }
        }
    }
}

/// A plan file picked in a native dialog, or a report path, delivered to the UI later.
pub type PathPick = std::sync::mpsc::Receiver<Option<PathBuf>>;

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn a_target_debugged_never_shows_its_password() {
        let staging = "host=staging user=dba password=hunter2".to_owned();
        for target in [
            Target::Connection(staging.clone()),
            Target::Fields(staging.clone()),
            Target::Clone(Box::new(Target::Connection(staging.clone()))),
        ] {
            let shown = format!("{target:?}");
            assert!(!shown.contains("hunter2") && shown.contains("not shown"), "{shown}");
        }
    }
}
