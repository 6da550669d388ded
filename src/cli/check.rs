//! `pgstage check PLAN [--rehearse]`: every problem of the plan at once, the offline checks
//! the run's pre-flight makes on its files (read, split, statements that cannot run in a
//! transaction), and the plan's own contradictions (lint). `--rehearse` also runs the plan
//! on a sandbox, reports objects a migration announces but does not create, and refuses a
//! plan whose rehearsal ends NO-GO (with the verdict's reasons).

use std::path::{Path, PathBuf};

use clap::Args;
use pgstage::engine::apply;
use pgstage::plan::{self, Contradiction};

#[derive(Args)]
pub struct CheckArgs {
    /// The plan file (RON).
    plan: PathBuf,
    /// Also rehearse the plan on a sandbox: what each migration creates against what it
    /// announces.
    #[arg(long)]
    rehearse: bool,
    /// With --rehearse: the server binaries the sandbox runs.
    #[command(flatten)]
    server: super::server::ServerArgs,
}

pub fn main(args: &CheckArgs) -> Result<(), String> {
    if args.server.list_versions {
        return super::server::list(&args.server);
    }
    let loaded = plan::load(&args.plan).map_err(|e| e.to_string())?;
    super::print_summary(&loaded);
    files(&loaded, &args.plan)?;
    let mut findings = plan::lint(&loaded.plan);
    if args.rehearse {
        let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let run = runtime.block_on(async {
            let rig = pgstage::draft::rehearse::Rig::start(args.server.choice(), &loaded).await?;
            rig.rehearse(&loaded).await
        });
        let run = run.map_err(|e| e.to_string())?;
        let failures = pgstage::draft::rehearse::failures(&run);
        if !failures.is_empty() {
            return Err(format!("the rehearsal on the sandbox failed: {}", failures.join("; ")));
        }
        findings.extend(pgstage::draft::rehearse::mismatches(&run));
        println!(
            "rehearsed on the sandbox (PostgreSQL {}): {:.0} ms of migrations, {}",
            run.server_version,
            run.total_migration_ms(),
            if run.verdict.go { "GO" } else { "NO-GO" }
        );
        if !run.verdict.go {
            print_findings(&findings);
            let reasons: Vec<String> = run.verdict.reasons.iter().map(|r| format!("\n  - {r}")).collect();
            return Err(format!("the plan, rehearsed on the sandbox, is NO-GO:{}", reasons.concat()));
        }
    }
    print_findings(&findings);
    if findings.is_empty() {
        println!("plan OK");
    } else {
        println!("plan OK, with {} contradiction{} to review", findings.len(), if findings.len() == 1 { "" } else { "s" });
    }
    Ok(())
}

/// The offline checks of the plan's migration files (read, split, statements that cannot run
/// in a transaction), as `pgstage check` and `pgstage run` make them before any connection:
/// every problem at once, each at file:line:col.
pub fn files(loaded: &plan::LoadedPlan, path: &Path) -> Result<(), String> {
    let (_, problems) = apply::prepare(loaded);
    if problems.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
    Err(format!(
        "plan {}: the run would refuse its migration files ({} problem{}):\n{}",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        list.join("\n")
    ))
}

pub fn print_findings(findings: &[Contradiction]) {
    for f in findings {
        println!("  lint: {f}");
    }
}
