//! The command line: a bare `pgstage` (or `pgstage gui [PLAN]`) opens the window, and
//! `pgstage FILE` (or `pgstage open FILE`) opens a plan or reviews a run result (`.json`) in it;
//! `pgstage run PLAN` runs a plan headless (exit code 0 GO, 1 NO-GO, 2 error);
//! `pgstage check PLAN` validates a plan offline; `pgstage init DIR` and `pgstage import
//! RUNBOOK.md` draft one; `pgstage rules` lists the lock rules; `pgstage sandbox [PLAN]` starts the sandbox seeded with the plan's
//! baseline and keeps it until Ctrl-C. Errors are printed readably.

mod args;
mod check;
mod draft;
mod run;
mod server;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use pgstage::plan::{self, LoadedPlan};
use pgstage::sandbox::{SUPERUSER, Sandbox, SandboxOptions};

/// The plan bundled with pgstage, used when none is given.
pub(crate) const DEFAULT_PLAN: &str = "plans/week2_staging.ron";

#[derive(Parser)]
#[command(name = "pgstage", version, about = "Validate a batch of PostgreSQL migrations on staging")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// A plan (.ron) to open in the window, or a run result (.json) to review there.
    file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Open the window (what a bare `pgstage` does).
    Gui {
        /// The plan to open.
        #[arg(default_value = DEFAULT_PLAN)]
        plan: PathBuf,
    },
    /// Open a plan, or review a run result (`report.json`) read-only, in the window.
    Open {
        /// The plan (.ron) or the run result (.json).
        file: PathBuf,
        /// Another run result to compare the one opened with (the Compare tab).
        #[arg(long, value_name = "B.json")]
        compare: Option<PathBuf>,
    },
    /// Run a plan headless: pre-flight, migrations, checks, rollback rehearsal, verdict.
    Run(run::RunArgs),
    /// Load and validate a plan: every problem at once, its files as the run reads them, and
    /// its contradictions; no database unless --rehearse.
    Check(check::CheckArgs),
    /// Draft a plan from a migrations folder, rehearsed on the sandbox.
    Init(draft::InitArgs),
    /// Draft a plan from a Markdown run-book and the migrations it lists.
    Import(draft::ImportArgs),
    /// Compare two run results of a plan (e.g. the rehearsal and the staging run): which
    /// criteria, checks, migrations, timings, lock findings and schema counts differ. Exit 0:
    /// no difference, 1: differences, 2: a file could not be read.
    Compare {
        /// The first run result (.json), e.g. the sandbox rehearsal.
        a: PathBuf,
        /// The second run result (.json), e.g. the staging run.
        b: PathBuf,
    },
    /// List every lock rule: id, severity, what it detects, why it matters, the safer way, and
    /// its bad and good examples.
    Rules {
        /// Only this rule (its id, as a plan's `accept` names it).
        rule: Option<String>,
    },
    /// Start a throwaway PostgreSQL seeded with the plan's baseline; Ctrl-C stops and deletes it.
    Sandbox {
        /// The plan whose baseline seeds the sandbox.
        #[arg(default_value = DEFAULT_PLAN)]
        plan: PathBuf,
        #[command(flatten)]
        server: server::ServerArgs,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C, SIGTERM and SIGHUP stop every sandbox and exit; `run` asks for the first one
    // while its engine runs (cancel, roll back, then report).
    pgstage::sandbox::install_signal_handler();
    let result = match cli.command {
        Some(Command::Run(args)) => return run::main(args),
        Some(Command::Compare { a, b }) => return compare(&a, &b),
        Some(Command::Check(args)) => check::main(&args),
        Some(Command::Init(args)) => draft::init_main(&args),
        Some(Command::Import(args)) => draft::import_main(&args),
        Some(Command::Rules { rule }) => rules(rule.as_deref()),
        Some(Command::Sandbox { server, .. }) if server.list_versions => server::list(&server),
        Some(Command::Sandbox { plan, server }) => sandbox(&plan, &server),
        Some(Command::Gui { plan }) => window(plan, None),
        Some(Command::Open { file, compare }) => open(file, compare),
        None => match cli.file {
            Some(file) => open(file, None),
            None => window(PathBuf::from(DEFAULT_PLAN), None),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("pgstage: {message}");
            ExitCode::from(2)
        }
    }
}

/// Print the comparison of two run results; exit 1 when they differ (as `diff` does).
fn compare(a: &std::path::Path, b: &std::path::Path) -> ExitCode {
    let read = |p: &std::path::Path| pgstage::compare::read(p).map_err(|e| e.to_string());
    match read(a).and_then(|ra| Ok((ra, read(b)?))) {
        Ok((ra, rb)) => {
            let comparison = pgstage::compare::compare(&ra, &rb);
            print!("{}", pgstage::compare::text(&comparison));
            if comparison.differ() { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(message) => {
            eprintln!("pgstage: {message}");
            ExitCode::from(2)
        }
    }
}

/// Print the catalogue of lock rules, or one rule of it.
fn rules(rule: Option<&str>) -> Result<(), String> {
    use pgstage::findings::catalogue;
    match rule {
        None => print!("{}", catalogue::render()),
        Some(id) => {
            let id: pgstage::plan::LockRule = id.parse().map_err(|e: pgstage::plan::UnknownName| e.to_string())?;
            print!("{}", catalogue::render_rule(id));
        }
    }
    Ok(())
}

/// Open `file` in the window, once it is known to be there (a typo is an error here, not an
/// empty window).
fn open(file: PathBuf, compare: Option<PathBuf>) -> Result<(), String> {
    if !file.is_file() {
        return Err(format!("{}: no such file (a plan .ron or a run result .json)", file.display()));
    }
    if let Some(other) = &compare {
        pgstage::compare::read(other).map_err(|e| e.to_string())?;
    }
    window(file, compare)
}

#[cfg(feature = "gui")]
fn window(plan: PathBuf, compare: Option<PathBuf>) -> Result<(), String> {
    pgstage::gui::run(Some(plan), compare)
}

#[cfg(not(feature = "gui"))]
fn window(_plan: PathBuf, _compare: Option<PathBuf>) -> Result<(), String> {
    Err("this pgstage was built without the window (`--no-default-features`): use `pgstage run`, `check`, `init`, `import` or `sandbox`, or build with the default features".to_owned())
}

pub(crate) fn print_summary(loaded: &LoadedPlan) {
    let p = &loaded.plan;
    let mut head = p.name.clone();
    if !p.phase.is_empty() {
        head += &format!(" ({})", p.phase);
    }
    if !p.scheduled.is_empty() {
        head += &format!(", scheduled {}", p.scheduled);
    }
    if p.planned_hours > 0.0 {
        head += &format!(", {} h planned", p.planned_hours);
    }
    println!("{head}");
    println!(
        "  {} migrations, {} pre-flight checks + {} manual items, {} verification checks, {} schema-summary checks",
        p.migrations.len(),
        p.preflight.checks.len(),
        p.preflight.manual.len(),
        p.verification.len(),
        p.schema_summary.len()
    );
    for note in &p.notes {
        println!("  note: {note}");
    }
}

fn sandbox(path: &Path, server: &server::ServerArgs) -> Result<(), String> {
    let loaded = plan::load(path).map_err(|e| e.to_string())?;
    print_summary(&loaded);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let started = Instant::now();
    let options = SandboxOptions { tcp: true, server: server.choice(), ..Default::default() };
    let (sandbox, source) = runtime.block_on(Sandbox::start_with_baseline(&options, &loaded)).map_err(|e| e.to_string())?;
    println!("{}", server.using(sandbox.binaries()));
    println!("sandbox: {} started in {:.2} s", sandbox.binaries().version, sandbox.startup.as_secs_f64());
    let dbname = "staging";
    let seeded = runtime.block_on(sandbox.seed(&loaded, dbname)).map_err(|e| e.to_string())?;
    println!(
        "sandbox: baseline {source}, in {:.2} s (ready {:.2} s after start)",
        seeded.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    // The password goes to no terminal and no log: it is in a file only this user can read.
    println!("connect: psql \"{}\"", sandbox.conninfo(dbname));
    if let (Some(tcp), Some(passfile)) = (sandbox.tcp_conninfo(dbname), sandbox.passfile()) {
        println!("     or: PGPASSFILE={} psql \"{tcp}\"", passfile.display());
        println!(
            "     or: postgres://{}@127.0.0.1:{}/{dbname} with the password in {}",
            SUPERUSER,
            sandbox.port(),
            passfile.display()
        );
    }
    println!(
        "No other user can connect: the socket's directory is closed to them (mode 0700), and TCP needs this sandbox's own password."
    );
    println!("Ctrl-C stops the sandbox and deletes it.");
    loop {
        std::thread::park();
    }
}
