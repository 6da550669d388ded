//! `pgstage init DIR` and `pgstage import RUNBOOK.md`: draft a plan, write it, and say how
//! it did when rehearsed on the sandbox.

use std::path::PathBuf;

use clap::Args;
use pgstage::draft::import::import;
use pgstage::draft::init::{InitOptions, init, prepare};
use pgstage::draft::render;
use pgstage::draft::runbook::Target;

use super::args::OutputArgs;
use super::server::{self, ServerArgs};

#[derive(Args)]
pub struct InitArgs {
    /// The migrations folder: numbered files, Flyway, golang-migrate or Sqitch.
    dir: PathBuf,
    /// The first migration of the batch (its version or Sqitch name); the ones before it
    /// are the baseline. Default: every file is in the batch.
    #[arg(long, value_name = "ID")]
    from: Option<String>,
    /// The schema the plan's counts are of. Default: `public`, or, for a batch that leaves
    /// `public` alone, the schema it touches most; every other schema it touches gets table
    /// counts of its own.
    #[arg(long, value_name = "NAME")]
    schema: Option<String>,
    /// Rehearse on a clone of this database's schema (staging: libpq string or URL; read
    /// with pg_dump --schema-only, read-only, no row copied) instead of a sandbox built from
    /// the folder's files: for a folder whose files cannot rebuild staging (roles,
    /// extensions, schemas made by other tools, only the newest migrations present).
    #[arg(long, value_name = "CONN")]
    clone_from: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The run-book (Markdown).
    runbook: PathBuf,
    /// The folder holding the migrations the run-book lists.
    #[arg(long, value_name = "DIR")]
    migrations: PathBuf,
    /// A folder whose migrations build the starting state (e.g. last week's), for the
    /// sandbox; repeatable, applied in order.
    #[arg(long, value_name = "DIR")]
    baseline: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    server: ServerArgs,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the async runtime: {e}"))
}

pub fn init_main(args: &InitArgs) -> Result<(), String> {
    if args.server.list_versions {
        return server::list(&args.server);
    }
    let options = InitOptions {
        dir: args.dir.clone(),
        from: args.from.clone(),
        schema: args.schema.clone(),
        output: args.output.output(),
        server: args.server.choice(),
        clone_from: args.clone_from.clone(),
    };
    let prepared = prepare(&options).map_err(|e| e.to_string())?;
    match &args.clone_from {
        Some(_) => println!("rehearsing {} on a clone of staging's schema…", args.dir.display()),
        None => println!("rehearsing {} on a sandbox…", args.dir.display()),
    }
    let drafted = runtime()?.block_on(init(&options, prepared)).map_err(|e| e.to_string())?;
    if let Some(clone) = &drafted.confirmed.clone {
        println!("clone: {}", clone.sentence());
    }
    for (m, r) in drafted.plan.migrations.iter().zip(&drafted.confirmed.migrations) {
        let what = pgstage::report::content::created_text(r);
        println!("  {} {}: {}, created {what}", m.id, m.title, pgstage::report::content::fmt_ms(r.duration_ms));
    }
    for f in &drafted.left_out {
        println!("  left out, not read: {f}");
    }
    if let Some(p) = &drafted.written_rollback {
        println!("rollback: {} (the down files in reverse order)", p.display());
    }
    println!("plan: {}", drafted.plan_path.display());
    super::check::print_findings(&pgstage::plan::lint(&drafted.plan));
    lock_findings(&drafted.confirmed);
    verdict(&drafted.confirmed)?;
    if !drafted.reasons_to_write.is_empty() {
        println!(
            "before the plan runs, write the reason of each loss drafted from the rehearsal ({}; `pgstage check` and `run` refuse it until then):",
            drafted.reasons_to_write.len()
        );
        for at in &drafted.reasons_to_write {
            println!("  {at}");
        }
    }
    Ok(())
}

pub fn import_main(args: &ImportArgs) -> Result<(), String> {
    if args.server.list_versions {
        return server::list(&args.server);
    }
    let out = args.output.output();
    let dir = out.dir().map_err(|e| e.to_string())?;
    let plan_path = dir.join(args.output.plan.file_name().unwrap_or("plan.ron".as_ref()));
    out.may_write(&plan_path).map_err(|e| e.to_string())?;
    let imported = import(&args.runbook, &args.migrations, &args.baseline, &dir).map_err(|e| e.to_string())?;
    if let Some((name, text)) = &imported.rollback_script {
        out.write(&dir.join(name), text).map_err(|e| e.to_string())?;
        println!("rollback: {} (the run-book's own SQL)", dir.join(name).display());
    }
    let p = &imported.plan;
    let header = vec![
        p.name.clone(),
        format!(
            "Drafted by `pgstage import {} --migrations {}` from the run-book; paths are relative to this file.",
            args.runbook.display(),
            args.migrations.display()
        ),
        "Review before use: the notes list the run-book's contradictions and every line not mapped to the plan.".into(),
    ];
    out.write(&plan_path, &render::plan_text(p, &header)).map_err(|e| e.to_string())?;
    let mapped = imported.mapping.iter().filter(|m| matches!(m.to, Target::Element(_))).count();
    println!(
        "run-book: {} lines, {mapped} mapped, {} unmapped (listed in the plan's notes)",
        imported.mapping.len(),
        imported.unmapped().count()
    );
    for c in &imported.contradictions {
        println!("  contradiction: {c}");
    }
    println!("plan: {}", plan_path.display());
    let loaded = pgstage::plan::load(&plan_path).map_err(|e| e.to_string())?;
    println!("rehearsing the draft on a sandbox…");
    let run = runtime()?
        .block_on(async { pgstage::draft::rehearse::Rig::start(args.server.choice(), &loaded).await?.rehearse(&loaded).await })
        .map_err(|e| e.to_string())?;
    lock_findings(&run);
    verdict(&run)
}

/// The lock findings of the draft's rehearsal, graded on the sandbox, and how the plan accepts
/// one that stands in the way (criterion `C-LOCKS`).
fn lock_findings(run: &pgstage::run_result::RunResult) {
    let found: Vec<_> = run.migrations.iter().flat_map(|m| &m.findings).collect();
    if found.is_empty() {
        println!("lock findings of the rehearsal: none");
        return;
    }
    println!("lock findings of the rehearsal ({}):", found.len());
    for f in &found {
        let estimate = if f.estimate.is_empty() { String::new() } else { format!(" ({})", f.estimate) };
        let accepted = f.accepted.as_ref().map(|r| format!(" [accepted: {r}]")).unwrap_or_default();
        println!("  {} {} at {} on {}: {}{estimate}{accepted}", f.severity.label(), f.rule, f.statement, f.relation, f.message);
    }
    let open_errors = found.iter().filter(|f| f.accepted.is_none() && f.severity == pgstage::run_result::FindingSeverity::Error);
    for f in open_errors {
        println!(
            "  to go ahead with {} on {}: {}; or accept it in its migration with the reason: accept: [(rule: \"{}\", relation: Some(\"{}\"), reason: \"…\")]",
            f.rule, f.relation, f.advice, f.rule, f.relation
        );
    }
}

/// The draft as written, rehearsed: GO, or why not.
fn verdict(run: &pgstage::run_result::RunResult) -> Result<(), String> {
    if run.verdict.go {
        let on = if run.clone.is_some() { "a clone of staging's schema" } else { "the sandbox" };
        println!("the draft, rehearsed on {on}: GO");
        Ok(())
    } else {
        Err(format!("the draft, rehearsed on the sandbox, is NO-GO: {}", run.verdict.reasons.join("; ")))
    }
}
