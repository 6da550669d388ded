//! `pgstage init DIR`: a plan drafted from a migrations folder. The files before `--from`
//! become the baseline, the rest the batch; down (revert) files become the rollback, in
//! reverse order. The batch is rehearsed on a sandbox through the engine, and what each
//! migration created and how long it took fill the draft: objects by name, verification
//! checks for them, schema counts, a time range, explicit criteria. The draft as written is
//! then loaded and rehearsed again: it must end GO. With `--clone-from` the rehearsals run on a
//! clone of staging's schema instead (its baseline is staging's, `baseline.cloned_from`).

mod altered;
mod enums;
mod fill;
mod losses;
mod schemas;
mod verify;

pub use fill::range_around;

use std::path::{Path, PathBuf};

use super::rehearse::{self, Rig};
use super::sources::{self, MigrationFile, Sources};
use super::{DraftError, Journal, Output, relative, render};
use crate::db::layout::same_version;
use crate::db::migration_file::SqlFile;
use crate::plan::{
    Baseline, Creates, Criterion, CriterionKind, LoadedPlan, Migration, Plan, Rollback, Rule, Section, TargetGuard,
};
use crate::run_result::RunResult;

/// What `pgstage init` is asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub dir: PathBuf,
    /// The first migration of the batch; the files before it are the baseline.
    pub from: Option<String>,
    /// The schema the plan's counts are of (`baseline.schema`); by default `public`, or the
    /// schema the batch touches most when it leaves `public` alone.
    pub schema: Option<String>,
    pub output: Output,
    /// The server binaries the rehearsal's sandbox runs.
    pub server: crate::sandbox::ServerChoice,
    /// Rehearse on a clone of this database's schema (a connection string: staging) instead
    /// of a sandbox built from the folder's files: for a folder whose baseline its files
    /// cannot rebuild (roles, extensions, schemas made by other tools, only the newest
    /// migrations present). The files before `--from` are then taken as staging holds them.
    pub clone_from: Option<String>,
}

/// A draft written, and how it did on the sandbox.
#[derive(Debug)]
pub struct Drafted {
    pub plan_path: PathBuf,
    pub plan: Plan,
    /// The rollback script written beside the plan (from down files), if any.
    pub written_rollback: Option<PathBuf>,
    /// The draft as written, rehearsed.
    pub confirmed: RunResult,
    /// The folder's files not read, and why.
    pub left_out: Vec<sources::LeftOut>,
    /// The drafted data-loss reasons the user must write before the plan loads (each at
    /// file:line:col); the rehearsal above ran the plan as drafted.
    pub reasons_to_write: Vec<String>,
}

/// The folder read and the arguments checked, before any sandbox starts.
#[derive(Debug)]
pub struct Prepared {
    sources: Sources,
    /// Where the batch starts in `sources.migrations`.
    split: usize,
    /// The plan's directory (absolute) and file.
    dir: PathBuf,
    plan_path: PathBuf,
}

/// Read the folder and check every argument (`--from`, the files to write): the errors a
/// user can fix without a sandbox come before one starts.
pub fn prepare(options: &InitOptions) -> Result<Prepared, DraftError> {
    let sources = sources::discover(&options.dir)?;
    let split = match &options.from {
        None => 0,
        Some(from) => sources.migrations.iter().position(|m| is_from(m, from)).ok_or_else(|| DraftError::UnknownFrom {
            from: from.clone(),
            dir: options.dir.clone(),
            known: sources.migrations.iter().map(|m| m.version.as_str()).collect::<Vec<_>>().join(", "),
        })?,
    };
    let out = &options.output;
    let dir = out.dir()?;
    let plan_path = dir.join(out.plan.file_name().unwrap_or("plan.ron".as_ref()));
    out.may_write(&plan_path)?;
    out.may_write(&rollback_path(&plan_path))?;
    Ok(Prepared { sources, split, dir, plan_path })
}

/// Whether `--from` names migration `m`: its version (`1.20`, `000002` as `2`), its version
/// as the file spells it (`V1_20`, `V1_20__name.sql`), its file name, or its Sqitch name.
fn is_from(m: &MigrationFile, from: &str) -> bool {
    let file = m.path.file_name().unwrap_or_default().to_string_lossy();
    // `V1_20` is Flyway's spelling of 1.20 only with the `__` that ends a version.
    let name = if from.contains("__") { from.to_owned() } else { format!("{from}__") };
    let spelled = crate::db::layout::FileName::parse(&name).version;
    same_version(&m.version, from) || same_version(&m.version, &spelled) || file == from
}

/// Draft, write and confirm a plan for the folder ([`prepare`]d). A failed draft writes
/// nothing: the files it wrote are removed (or, with `--force`, put back as they were).
pub async fn init(options: &InitOptions, prepared: Prepared) -> Result<Drafted, DraftError> {
    let mut journal = Journal::default();
    let drafted = draft(options, prepared, &mut journal).await;
    if drafted.is_err() {
        journal.undo();
    }
    drafted
}

async fn draft(options: &InitOptions, prepared: Prepared, journal: &mut Journal) -> Result<Drafted, DraftError> {
    let Prepared { sources, split, dir, plan_path } = prepared;
    let (baseline, batch) = sources.migrations.split_at(split);
    let out = &options.output;
    let mut origins = Vec::new();
    let (rollback, written_rollback) = rollback_script(&sources, batch, &plan_path, out, journal, &mut origins)?;
    // On a clone, staging holds the baseline: its files are not replayed.
    let replayed = if options.clone_from.is_some() { &[][..] } else { baseline };
    let mut plan = skeleton(&sources, replayed, batch, &dir, rollback.as_deref());
    // Sqitch verify scripts run in the rehearsal right after their change, as Sqitch runs them.
    let mut verify_review = Vec::new();
    let verify = verify::verify_checks(&sources, &plan, &mut verify_review);
    plan.verification.extend(verify.iter().cloned());
    let measuring = |plan: &Plan| LoadedPlan { plan: enums::measuring(plan), path: plan_path.clone(), dir: dir.clone() };
    // On a sandbox built from the folder's files, a failure on something they never create
    // (seeding the baseline, or the batch) points at --clone-from.
    let files_only = |e| match e {
        DraftError::MigrationFailed(mut failures) if options.clone_from.is_none() => {
            failures.extend(clone_hint(&failures.join("\n"), baseline.len(), &options.dir));
            DraftError::MigrationFailed(failures)
        }
        DraftError::Rehearsal(why) if options.clone_from.is_none() => match clone_hint(&why, baseline.len(), &options.dir) {
            Some(hint) => DraftError::Rehearsal(format!("{why}\n  {hint}")),
            None => DraftError::Rehearsal(why),
        },
        e => e,
    };
    let rig = match &options.clone_from {
        Some(staging) => {
            let rig = Rig::start_clone(options.server.clone(), staging, &measuring(&plan)).await?;
            plan.baseline.cloned_from = rig.clone_info().map(|c| c.source.clone());
            rig
        }
        None => Rig::start(options.server.clone(), &measuring(&plan)).await?,
    };
    // A failure in the rollback drafted from the down files is told at the down file too.
    let drafted = written_rollback.as_deref().map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned());
    let in_down_files = |e| match e {
        DraftError::MigrationFailed(failures) => {
            DraftError::MigrationFailed(failures.into_iter().map(|f| in_down_file(f, drafted.as_deref(), &origins)).collect())
        }
        e => e,
    };
    let mut run = measure(&rig, &measuring(&plan)).await.map_err(in_down_files).map_err(files_only)?;
    let schema = schemas::choose(options.schema.as_deref(), &run, &plan.baseline.schema);
    if schema != plan.baseline.schema {
        // The counts before and after are of the plan's schema: measured again for this one.
        plan.baseline.schema = schema;
        run = measure(&rig, &measuring(&plan)).await.map_err(in_down_files)?;
    }
    // The verify checks ran in the measuring rehearsal; they are drafted below from what they saw.
    plan.verification.clear();
    // A clone holds staging's baseline whatever the folder holds.
    let has_baseline = !baseline.is_empty() || options.clone_from.is_some();
    let mut review = fill::fill(&mut plan, &run, has_baseline);
    if let Some(counts) =
        review.iter_mut().find(|r| r.starts_with("pre-flight: the baseline counts")).filter(|_| run.clone.is_some())
    {
        *counts = "pre-flight: the baseline counts are staging's, read on the clone of its schema: a run finds them there unless staging changed".into();
    }
    review.append(&mut verify_review);
    schemas::counts(&rig, &mut plan, &run, has_baseline, &mut review).await?;
    losses::declare(&mut plan, &run, &mut review);
    altered::checks(&rig, &mut plan, &run, &mut review).await?;
    enums::checks(&rig, &mut plan, &run, &dir).await?;
    verify::verify_as_rehearsed(verify, &run, &mut plan, &mut review);
    criteria(&mut plan);
    let header = header(&plan, &sources, options, &run, &review, written_rollback.as_deref());
    journal.write(out, &plan_path, &render::plan_text(&plan, &header))?;
    let (loaded, reasons_to_write) = reload(&plan_path, &plan, &dir)?;
    let confirmed = rig.rehearse(&loaded).await?;
    Ok(Drafted { plan_path, plan: loaded.plan, written_rollback, confirmed, left_out: sources.ignored, reasons_to_write })
}

/// Where the rehearsal on a sandbox built from the folder's files failed on something those
/// files never create (a role, a relation, a schema, a type, a function, an extension):
/// the line pointing at `--clone-from`.
fn clone_hint(failures: &str, baseline_files: usize, dir: &Path) -> Option<String> {
    let missing = failures.contains("does not exist") || failures.contains("is not available");
    missing.then(|| {
        format!(
            "the sandbox held only what the folder's files build ({baseline_files} baseline file{}): when staging holds what they \
             do not create (roles, extensions, schemas made by other tools, migrations older than the folder), draft on a \
             clone of staging's schema instead: `pgstage init {} --clone-from CONN` (read-only, no row copied)",
            if baseline_files == 1 { "" } else { "s" },
            dir.display()
        )
    })
}

/// A rehearsal of the plan as drafted so far, which must apply every migration.
async fn measure(rig: &Rig, plan: &LoadedPlan) -> Result<RunResult, DraftError> {
    let run = rig.rehearse(plan).await?;
    let failures = rehearse::failures(&run);
    if failures.is_empty() { Ok(run) } else { Err(DraftError::MigrationFailed(failures)) }
}

/// The draft as written, loaded. Its only problems may be the data-loss reasons left for the
/// user to write (returned, each at file:line:col): then the plan drafted in memory, which the
/// file holds, is the one rehearsed.
fn reload(plan_path: &Path, plan: &Plan, dir: &Path) -> Result<(LoadedPlan, Vec<String>), DraftError> {
    match crate::plan::load(plan_path) {
        Ok(loaded) => Ok((loaded, vec![])),
        Err(crate::plan::PlanError::Invalid { path, problems })
            if problems.iter().all(|p| p.field.contains(".data_loss[") && p.field.ends_with(".reason")) =>
        {
            let at = problems.iter().map(|p| format!("{}:{p}", path.display())).collect();
            Ok((LoadedPlan { plan: plan.clone(), path: plan_path.to_owned(), dir: dir.to_owned() }, at))
        }
        Err(e) => Err(DraftError::Invalid(e.to_string())),
    }
}

/// The rollback script written beside the plan `next.ron`: `next.rollback.sql`.
fn rollback_path(plan_path: &Path) -> PathBuf {
    plan_path.with_extension("rollback.sql")
}

/// The rollback: the down files of the batch in reverse order (written beside the plan as
/// one script), else the folder's own `rollback.sql`. Returns the path and whether written;
/// `origins`: the line of the script where each down file starts, and the file.
fn rollback_script(
    sources: &Sources,
    batch: &[MigrationFile],
    plan_path: &Path,
    out: &Output,
    journal: &mut Journal,
    origins: &mut Vec<(usize, PathBuf)>,
) -> Result<(Option<PathBuf>, Option<PathBuf>), DraftError> {
    let downs: Option<Vec<&MigrationFile>> = batch.iter().rev().map(|m| sources.down_of(&m.version)).collect();
    match downs {
        Some(downs) if !downs.is_empty() => {
            let path = rollback_path(plan_path);
            let mut text = format!(
                "-- The rollback of {}: its down files in reverse order, written by `pgstage init`.\n",
                plan_path.file_name().unwrap_or_default().to_string_lossy()
            );
            for d in downs {
                let sql = SqlFile::read(&d.path)?.script;
                text.push_str(&format!("\n-- {}\n", d.path.display()));
                origins.push((text.matches('\n').count() + 1, d.path.clone()));
                text.push_str(&format!("{}\n", sql.trim_end()));
                if !sql.trim_end().ends_with(';') {
                    text.push_str(";\n");
                }
            }
            journal.write(out, &path, &text)?;
            Ok((Some(path.clone()), Some(path)))
        }
        _ => Ok((sources.rollback.clone(), None)),
    }
}

/// A rehearsal failure at `line` of the rollback drafted from the down files (`drafted`, a
/// file a failed draft does not keep), told at the down file and line it came from.
fn in_down_file(failure: String, drafted: Option<&str>, origins: &[(usize, PathBuf)]) -> String {
    let Some(name) = drafted else { return failure };
    let Some(at) = failure.find(&format!("{name}:")) else { return failure };
    let rest = &failure[at + name.len() + 1..];
    let Some(line) = rest.split(':').next().and_then(|l| l.parse::<usize>().ok()) else { return failure };
    let Some((first, down)) = origins.iter().rev().find(|(first, _)| *first <= line) else { return failure };
    format!(
        "{failure}\n    (that is {}:{}, in the rollback drafted from the down files, which a failed draft does not keep)",
        down.display(),
        line - first + 1
    )
}

fn skeleton(sources: &Sources, baseline: &[MigrationFile], batch: &[MigrationFile], dir: &Path, rollback: Option<&Path>) -> Plan {
    let folder = sources.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "migrations".into());
    let first = batch.first().map_or("", |m| m.version.as_str());
    let last = batch.last().map_or("", |m| m.version.as_str());
    let range = if first == last { first.to_owned() } else { format!("{first}–{last}") };
    let sample_data = sources.sample_data.as_ref().filter(|_| !baseline.is_empty()).map(|p| relative(dir, p));
    Plan {
        name: format!("{folder}: migrations {range}"),
        phase: String::new(),
        scheduled: String::new(),
        planned_hours: 0.0,
        objective: format!("Validate migrations {range} ({}) on staging.", sources.layout.name()),
        notes: vec![],
        target: TargetGuard {
            deny_databases: ["*prod*", "*production*", "*live*"].map(String::from).to_vec(),
            deny_hosts: vec!["*prod*".into()],
            ..Default::default()
        },
        execution: Default::default(),
        baseline: Baseline {
            migrations: baseline.iter().map(|m| relative(dir, &m.path)).collect(),
            sample_data,
            ..Default::default()
        },
        preflight: Default::default(),
        migrations: batch
            .iter()
            .map(|m| Migration {
                id: m.version.clone(),
                title: m.description.clone(),
                file: relative(dir, &m.path),
                expected_ms: None,
                creates: Creates::default(),
                non_transactional: m.non_transactional,
                data_loss: vec![],
                accept: vec![],
            })
            .collect(),
        verification: vec![],
        schema_summary: vec![],
        integrity: Default::default(),
        sample_data: vec![],
        rls: vec![],
        performance: Default::default(),
        rollback: rollback.map(|p| Rollback {
            script: relative(dir, p),
            rehearse: true,
            expect_baseline: true,
            // A down file with DROP INDEX CONCURRENTLY…: run in segments, as its up file is.
            non_transactional: SqlFile::read(p).is_ok_and(|f| f.non_transactional()),
            checks: vec![],
        }),
        criteria: vec![],
        team: vec![],
        timeline: vec![],
    }
}

/// The criteria, written out: all migrations applied, objects as announced, sections pass,
/// no data loss, no lock finding graded an error left unaccepted, the rollback back to the
/// baseline; times as an expectation only.
fn criteria(plan: &mut Plan) {
    let c = |id: &str, group: &str, title: &str, rule: Rule, kind: CriterionKind| Criterion {
        id: id.into(),
        title: title.into(),
        group: group.into(),
        rule,
        kind,
    };
    let hard = CriterionKind::Hard;
    let n = plan.migrations.len();
    let mut out = vec![
        c("C-APPLIED", "Execution", &format!("All {n} migrations apply without error"), Rule::AllMigrationsApplied, hard),
        c("C-OBJECTS", "Execution", "Each migration creates the objects it announces", Rule::CreatedObjectsAsExpected, hard),
        c(
            "C-RANGES",
            "Execution",
            "Each migration within its expected time",
            Rule::MigrationsWithinExpectedRange,
            CriterionKind::Expectation,
        ),
    ];
    let sections: Vec<Section> = [Section::Preflight, Section::Verification, Section::SchemaSummary, Section::Integrity]
        .into_iter()
        .filter(|s| plan.section_has_checks(*s))
        .collect();
    let names: Vec<&str> = sections.iter().map(|s| s.as_str()).collect();
    out.push(c(
        "C-SECTIONS",
        "Verification",
        &format!("Every check passes: {}", names.join(", ")),
        Rule::SectionsPass(sections),
        hard,
    ));
    out.push(c("C-NO-LOSS", "Integrity", "No data loss (row counts of existing tables unchanged)", Rule::NoDataLoss, hard));
    out.push(c("C-LOCKS", "Locks", crate::plan::LOCKS_TITLE, Rule::NoLockFindings(crate::plan::FindingSeverity::Error), hard));
    if plan.rollback.is_some() {
        out.push(c(
            "C-ROLLBACK",
            "Rollback",
            "The rollback returns exactly to the baseline",
            Rule::RollbackMatchesBaseline,
            hard,
        ));
    }
    plan.criteria = out;
}

fn header(
    plan: &Plan,
    sources: &Sources,
    options: &InitOptions,
    run: &RunResult,
    review: &[String],
    rollback: Option<&Path>,
) -> Vec<String> {
    let mut h = vec![
        plan.name.clone(),
        format!(
            "Drafted by `pgstage init {}{}{}` from {} ({} in the batch, {}); rehearsed on PostgreSQL {}.",
            options.dir.display(),
            options.from.as_ref().map(|f| format!(" --from {f}")).unwrap_or_default(),
            plan.baseline.cloned_from.as_ref().map(|c| format!(" --clone-from {c}")).unwrap_or_default(),
            sources.layout.name(),
            plan.migrations.len(),
            match &plan.baseline.cloned_from {
                Some(_) => "the baseline staging's own schema".to_owned(),
                None => format!("{} in the baseline", plan.baseline.migrations.len()),
            },
            run.server_version
        ),
    ];
    let before = sources.migrations.len() - plan.migrations.len();
    if let Some(clone) = &run.clone {
        if before > 0 {
            h.push(format!("The {before} files before the batch were not replayed: staging holds what they made."));
        }
        h.push(format!(
            "Its baseline is staging's own schema: it was {}. Rehearse it on a sandbox with `pgstage run PLAN --sandbox --clone-from CONN` (a sandbox built from files refuses it).",
            clone.sentence()
        ));
    }
    h.push("Paths are relative to this file. Review before use:".into());
    h.extend(review.iter().map(|r| format!("  - {r}")));
    if let Some(p) = rollback {
        h.push(format!(
            "  - the rollback {} was written from the down files: keep it with the plan",
            p.file_name().unwrap_or_default().to_string_lossy()
        ));
    }
    if plan.rollback.is_none() {
        h.push("  - there is no rollback: add one (rollback.script) so that the run rehearses it".into());
    }
    for p in &sources.ignored {
        h.push(format!("  - left out, not read: {p}"));
    }
    // The rehearsal's lock findings worth a decision: C-LOCKS stops on an error the plan does
    // not accept (`accept` in its migration, with the reason).
    let findings = run.migrations.iter().flat_map(|m| &m.findings);
    for f in findings.filter(|f| f.severity >= crate::plan::FindingSeverity::Warning) {
        h.push(format!(
            "  - lock finding ({} on the sandbox): {} at {} on {}: {}; fix it or accept it in its migration with a reason",
            f.severity.label(),
            f.rule,
            f.statement,
            f.relation,
            f.message
        ));
    }
    h
}
