//! `pgstage run`: the whole plan, headless, with a progress display, a summary table, an
//! optional report, and the verdict as the exit code. Ctrl-C (or SIGTERM, SIGHUP) cancels the
//! run (the running statement is cancelled, its migration rolled back) and still reports; a
//! second one, or one before the run or after it, stops the sandbox and exits at once.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use pgstage::db::connect::{self, ConnectOptions, Session};
use pgstage::engine::{Engine, Event, RunOptions};
use pgstage::plan::CriterionKind;
use pgstage::plan::{self, LoadedPlan};
use pgstage::rehearsal::{self, Record};
use pgstage::report::{Format, claims};
use pgstage::run_result::{Acknowledgement, Met, MigrationStatus, Rehearsal, RunResult, Status, major_of};
use pgstage::sandbox::{Sandbox, SandboxOptions};

#[derive(Args)]
pub struct RunArgs {
    /// The plan file (RON).
    plan: PathBuf,
    /// The database: a libpq connection string or postgres:// URL (PG* variables and
    /// ~/.pgpass fill in what it leaves out). Without it, the sandbox.
    #[arg(long, conflicts_with = "sandbox")]
    db: Option<String>,
    /// Run on a throwaway sandbox seeded with the plan's baseline (the default).
    #[arg(long)]
    sandbox: bool,
    /// Seed the sandbox with staging's own schema instead of the plan's baseline: read from
    /// this database (libpq string or URL) with pg_dump --schema-only, read-only, no row
    /// copied; the sandbox runs staging's major version and grades findings by staging's sizes.
    #[arg(long, value_name = "CONN", conflicts_with = "db")]
    clone_from: Option<String>,
    /// Acknowledge a manual pre-flight item by id (repeatable).
    #[arg(long = "ack", value_name = "ITEM")]
    acks: Vec<String>,
    /// Acknowledge every manual pre-flight item.
    #[arg(long)]
    ack_all: bool,
    /// Who runs the plan (default: the login name).
    #[arg(long)]
    operator: Option<String>,
    #[arg(long, help = report_help())]
    report: Option<PathBuf>,
    /// Run even though the plan's target guard refuses the database.
    #[arg(long)]
    override_target_guard: bool,
    #[command(flatten)]
    server: super::server::ServerArgs,
}

/// `--report`'s help: where the report goes, and its formats.
fn report_help() -> String {
    format!("Write the execution report here; the format follows the extension: {} (JUnit)", Format::choices())
}

pub fn main(args: RunArgs) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(args)) {
        Ok(result) if result.verdict.go => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(message) => fail(message),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("pgstage: {message}");
    ExitCode::from(2)
}

async fn run(args: RunArgs) -> Result<RunResult, String> {
    if args.db.is_some() && args.server.given() {
        return Err("--pg-version, --pg-bindir and --list-versions choose the sandbox's server: not with --db".into());
    }
    if args.server.list_versions {
        super::server::list(&args.server)?;
        std::process::exit(0);
    }
    let loaded = plan::load(&args.plan).map_err(|e| e.to_string())?;
    super::print_summary(&loaded);
    // The files are the plan's: refused here, before any connection or sandbox, as `check`
    // refuses them.
    super::check::files(&loaded, &args.plan)?;
    // The sandbox lives until the run is over.
    let (session, sandbox, clone) = match (&args.db, &args.clone_from) {
        (Some(conn), _) => (connect::connect(conn, &ConnectOptions::default()).await.map_err(|e| e.to_string())?, None, None),
        (None, Some(staging)) => {
            let (session, sandbox, cloned) = clone_session(&loaded, staging, &args.server).await?;
            (session, Some(sandbox), Some(cloned))
        }
        (None, None) => {
            let (session, sandbox) = sandbox_session(&loaded, &args.server).await?;
            (session, Some(sandbox), None)
        }
    };
    println!("target: {} (PostgreSQL {}{})", session.target, session.server_version, if session.tls { ", TLS" } else { "" });
    let operator = args.operator.clone().unwrap_or_else(|| ConnectOptions::default().os_user);
    let acknowledgements = acknowledgements(&loaded, &args, &operator)?;
    let record = Record::default_location();
    let (rehearsal, rehearsed_baseline) = match (&sandbox, &record) {
        (None, Some(record)) => (last_rehearsal(&loaded, record, &session.server_version), rehearsed_baseline(&loaded, record)),
        _ => (None, None),
    };
    let options = RunOptions {
        operator,
        acknowledgements,
        override_target_guard: args.override_target_guard,
        sandbox: sandbox.as_ref().map(Sandbox::info),
        rehearsal,
        rehearsed_baseline,
        clone,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            print_event(&event);
        }
    });
    let mut engine = Engine::start(loaded, session, options, tx).await.map_err(|e| e.to_string())?;
    if let Some(warning) = engine.result().rehearsal_warning() {
        println!("WARNING: {warning}");
    }
    let controls = engine.controls();
    // The first Ctrl-C (or SIGTERM, SIGHUP) cancels and the run still reports; a second one,
    // or one outside the engine's run, stops the sandbox and exits at once.
    let (signalled, mut signal) = tokio::sync::mpsc::unbounded_channel();
    pgstage::sandbox::on_signal(Some(Box::new(move |sig| {
        let _ = signalled.send(sig);
    })));
    let ctrl_c = tokio::spawn(async move {
        if signal.recv().await.is_some() {
            println!("\ncancelling: the running statement is cancelled and its migration rolled back");
            controls.cancel().await;
        }
    });
    engine.run().await;
    let baseline = engine.rehearsed_baseline().cloned();
    let result = engine.finish().await;
    pgstage::sandbox::on_signal(None);
    ctrl_c.abort();
    let _ = printer.await;
    print_summary(&result);
    if let Some(record) = &record {
        match record.remember(&result, baseline.as_ref()) {
            Ok(true) => println!("rehearsal recorded in {}", record.path().display()),
            Ok(false) => {}
            Err(e) => eprintln!("pgstage: warning: {e}"),
        }
    }
    if let Some(path) = &args.report {
        pgstage::report::write(&result, path).map_err(|e| e.to_string())?;
        println!("report: {}", path.display());
    }
    Ok(result)
}

async fn sandbox_session(plan: &LoadedPlan, server: &super::server::ServerArgs) -> Result<(Session, Sandbox), String> {
    let options = SandboxOptions { server: server.choice(), ..Default::default() };
    let started = std::time::Instant::now();
    let (sandbox, source) = Sandbox::start_with_baseline(&options, plan).await.map_err(|e| e.to_string())?;
    println!("{}", server.using(sandbox.binaries()));
    let dbname = "pgstage_sandbox";
    sandbox.seed(plan, dbname).await.map_err(|e| e.to_string())?;
    println!(
        "sandbox: {} ready in {:.2} s (server {:.2} s), baseline {source}",
        sandbox.binaries().version,
        started.elapsed().as_secs_f64(),
        sandbox.startup.as_secs_f64(),
    );
    let session = connect::connect_config(&sandbox.config(dbname)).await.map_err(|e| e.to_string())?;
    Ok((session, sandbox))
}

/// A sandbox of staging's major version seeded with staging's schema (`--clone-from`).
async fn clone_session(
    plan: &LoadedPlan,
    staging: &str,
    server: &super::server::ServerArgs,
) -> Result<(Session, Sandbox, pgstage::sandbox::clone::Cloned), String> {
    use pgstage::engine::clone::{CloneRequest, clone_staging};
    // Each step as it begins: pg_dump of a big schema takes a while.
    let (progress, mut steps) = tokio::sync::mpsc::unbounded_channel::<pgstage::sandbox::CloneStep>();
    let printer = tokio::spawn(async move {
        while let Some(step) = steps.recv().await {
            println!("{}", step.line());
        }
    });
    let request = CloneRequest {
        staging,
        connect: ConnectOptions::default(),
        server: server.choice(),
        dbname: "pgstage_sandbox",
        progress: Some(progress),
    };
    let made = clone_staging(plan, request).await;
    let _ = printer.await;
    let made = made.map_err(|e| format!("--clone-from: {e}"))?;
    println!("sandbox: {} started in {:.2} s", made.sandbox.binaries().version, made.sandbox.startup.as_secs_f64());
    println!("clone: {} ({:.2} s)", made.cloned.info.sentence(), made.took.as_secs_f64());
    if let Some(file) = &made.sample_data {
        println!("clone: the plan's sample data loaded from {}", file.display());
    }
    Ok((made.session, made.sandbox, made.cloned))
}

/// The catalog the plan's last rehearsal on record started from (a warning when it cannot be read).
fn rehearsed_baseline(plan: &LoadedPlan, record: &Record) -> Option<pgstage::rehearsal::RehearsedBaseline> {
    record.baseline(&rehearsal::plan_checksum(plan)).unwrap_or_else(|e| {
        eprintln!("pgstage: warning: {e}");
        None
    })
}

/// The plan's last rehearsal on record, said in a line (a warning when on another major
/// version than `server_version`'s).
fn last_rehearsal(plan: &LoadedPlan, record: &Record, server_version: &str) -> Option<Rehearsal> {
    match record.last(&rehearsal::plan_checksum(plan)) {
        Ok(Some(r)) => {
            if major_of(server_version) == Some(r.major) {
                println!(
                    "rehearsal: sandbox run {} on PostgreSQL {} ({}), the same major version",
                    r.run_id, r.server_version, r.finished_at
                );
            }
            Some(r)
        }
        Ok(None) => {
            println!("rehearsal: none of this plan (as it is now) on record in {}", record.path().display());
            None
        }
        Err(e) => {
            eprintln!("pgstage: warning: {e}");
            None
        }
    }
}

fn acknowledgements(plan: &LoadedPlan, args: &RunArgs, operator: &str) -> Result<Vec<Acknowledgement>, String> {
    let manual = &plan.plan.preflight.manual;
    for id in &args.acks {
        if !manual.iter().any(|m| &m.id == id) {
            let known: Vec<&str> = manual.iter().map(|m| m.id.as_str()).collect();
            return Err(format!("--ack {id}: no such manual item (the plan has: {})", known.join(", ")));
        }
    }
    let at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    Ok(manual
        .iter()
        .filter(|m| args.ack_all || args.acks.contains(&m.id))
        .map(|m| Acknowledgement { item: m.id.clone(), title: m.title.clone(), by: operator.to_owned(), at: at.clone() })
        .collect())
}

fn print_event(event: &Event) {
    match event {
        Event::RunStarted { run_id, steps } => println!("run {run_id}: {} steps", steps.len()),
        Event::StepStarted { title, .. } => println!("\n▶ {title}"),
        Event::CheckFinished { result, .. } => {
            let mut line = format!(
                "  {:<7} {:<14} {}  (expected {}, got {})",
                result.status.label(),
                result.id,
                result.title,
                result.expected,
                result.actual
            );
            if matches!(result.status, Status::Fail | Status::Warn) && !result.detail.is_empty() {
                line += &format!("\n          {}", result.detail.replace('\n', "\n          "));
            }
            println!("{line}");
        }
        Event::MigrationFinished(m) => {
            let status = match m.status {
                MigrationStatus::Applied => "APPLIED",
                MigrationStatus::AlreadyApplied => "ALREADY",
                MigrationStatus::Failed => "FAILED",
                MigrationStatus::Cancelled => "CANCELLED",
                MigrationStatus::NotRun => "NOT RUN",
            };
            println!(
                "  {status:<9} {} {} statements in {} (expected {})",
                m.file,
                m.statements_done,
                pgstage::report::content::fmt_ms(m.duration_ms),
                pgstage::plan::MsRange::label(m.expected_ms)
            );
            for x in &m.object_mismatches {
                println!("            objects: {x}");
            }
            if let Some(e) = &m.error {
                println!("            {e}");
            }
        }
        Event::Log(line) => println!("  {line}"),
        Event::LockWait(wait) => {
            // The first look, then every five seconds of the same wait.
            static LAST: std::sync::Mutex<Option<(String, f64)>> = std::sync::Mutex::new(None);
            let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
            let due = last.as_ref().is_none_or(|(s, at)| *s != wait.statement || wait.waited_ms - at >= 5000.0);
            if due {
                println!("  WAITING   {}", wait.sentence());
                *last = Some((wait.statement.clone(), wait.waited_ms));
            }
        }
        // Drift is listed under its PF-DRIFT line.
        Event::Progress { .. } | Event::StepFinished { .. } | Event::Drift(_) | Event::Finished(_) => {}
    }
}

fn print_summary(r: &RunResult) {
    println!("\n{:<16} {:>5} {:>5} {:>5} {:>5}", "section", "pass", "fail", "warn", "n/a");
    for &section in plan::Section::ALL {
        let checks = r.section(section);
        if checks.is_empty() {
            continue;
        }
        let n = |s: Status| checks.iter().filter(|c| c.status == s).count();
        println!(
            "{section:<16} {:>5} {:>5} {:>5} {:>5}",
            n(Status::Pass),
            n(Status::Fail),
            n(Status::Warn),
            n(Status::NotApplicable)
        );
    }
    println!("migrations: {:.0} ms in total", r.total_migration_ms());
    println!();
    for c in &r.verdict.criteria {
        let met = match (c.met, c.kind) {
            (Met::Yes, _) => "✔",
            (Met::No, CriterionKind::Hard) => "✘",
            (Met::No, CriterionKind::Expectation) => "!",
            (Met::NotApplicable, _) => "–",
            (Met::NotReached, _) => "…",
        };
        println!("  {met} {:<60} {}", c.title, c.reason);
    }
    println!(
        "  (✔ met, ✘ hard criterion not met, ! expectation not met: a deviation, not a blocker, – not applicable, … not reached: what it judges did not run)"
    );
    if let Some(warning) = r.rehearsal_warning() {
        println!("\nWARNING: {warning}");
    }
    if let Some(able) = claims::able_to_fail_summary(r) {
        println!("\nchecks: {able}");
    }
    if let Some(state) = claims::target_state(r) {
        println!("\n{state}");
    }
    println!("\nVERDICT: {}", claims::verdict_headline(r));
    for reason in &r.verdict.reasons {
        println!("  - {reason}");
    }
}
