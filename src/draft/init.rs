//! `pgstage init DIR`: a plan drafted from a migrations folder. The files before `--from`
//! become the baseline, the rest the batch; down (revert) files become the rollback, in
//! reverse order. The batch is rehearsed on a sandbox through the engine, and what each
//! migration created and how long it took fill the draft: objects by name, verification
//! checks for them, schema counts, a time range, explicit criteria. The draft as written is
//! then loaded and rehearsed again: it must end GO.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::rehearse::{self, Rig};
use super::sources::{self, MigrationFile, Sources};
use super::{DraftError, Journal, Output, relative, render};
use crate::check::Observed;
use crate::db::layout::same_version;
use crate::db::migration_file::SqlFile;
use crate::db::quote_literal;
use crate::db::snapshot::Kind;
use crate::plan::{
    Baseline, Check, Creates, Criterion, CriterionKind, Expect, LoadedPlan, Metric, Migration, MsRange, Plan, Probe, Rollback,
    Rule, Section, Severity, TargetGuard,
};
use crate::run_result::{MigrationResult, RunResult};

/// What `pgstage init` is asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub dir: PathBuf,
    /// The first migration of the batch; the files before it are the baseline.
    pub from: Option<String>,
    pub output: Output,
    /// The server binaries the rehearsal's sandbox runs.
    pub server: crate::sandbox::ServerChoice,
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
    let (rollback, written_rollback) = rollback_script(&sources, batch, &plan_path, out, journal)?;
    let mut plan = skeleton(&sources, baseline, batch, &dir, rollback.as_deref());
    let measuring = LoadedPlan { plan: plan.clone(), path: plan_path.clone(), dir: dir.clone() };
    let rig = Rig::start(options.server.clone(), &measuring).await?;
    let run = rig.rehearse(&measuring).await?;
    let failures = rehearse::failures(&run);
    if !failures.is_empty() {
        return Err(DraftError::MigrationFailed(failures));
    }
    let mut review = fill(&mut plan, &run, !baseline.is_empty());
    verify_checks(&rig, &sources, &mut plan, &mut review).await?;
    criteria(&mut plan);
    let header = header(&plan, &sources, options, &run, &review, written_rollback.as_deref());
    journal.write(out, &plan_path, &render::plan_text(&plan, &header))?;
    let loaded = crate::plan::load(&plan_path).map_err(|e| DraftError::Invalid(e.to_string()))?;
    let confirmed = rig.rehearse(&loaded).await?;
    Ok(Drafted { plan_path, plan: loaded.plan, written_rollback, confirmed, left_out: sources.ignored })
}

/// The rollback script written beside the plan `next.ron`: `next.rollback.sql`.
fn rollback_path(plan_path: &Path) -> PathBuf {
    plan_path.with_extension("rollback.sql")
}

/// The rollback: the down files of the batch in reverse order (written beside the plan as
/// one script), else the folder's own `rollback.sql`. Returns the path and whether written.
fn rollback_script(
    sources: &Sources,
    batch: &[MigrationFile],
    plan_path: &Path,
    out: &Output,
    journal: &mut Journal,
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
                text.push_str(&format!("\n-- {}\n{}\n", d.path.display(), sql.trim_end()));
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
        rollback: rollback.map(|p| Rollback { script: relative(dir, p), rehearse: true, expect_baseline: true, checks: vec![] }),
        criteria: vec![],
        team: vec![],
        timeline: vec![],
    }
}

/// `public.name(args)` → `name`; `public.table.name` → (`table`, `name`).
fn bare(name: &str) -> &str {
    let name = name.split('(').next().unwrap_or(name);
    name.rsplit('.').next().unwrap_or(name)
}

fn in_schema<'a>(names: &'a [String], schema: &str) -> impl Iterator<Item = &'a String> {
    let prefix = format!("{schema}.");
    names.iter().filter(move |n| n.starts_with(&prefix))
}

fn created(m: &MigrationResult, kind: Kind) -> &[String] {
    m.created.get(kind.label()).map_or(&[], Vec::as_slice)
}

/// A range around a time measured on the sandbox: half of it to three times it, plus 20 ms.
pub fn range_around(ms: f64) -> MsRange {
    MsRange((ms / 2.0).floor() as u64, (ms * 3.0).ceil() as u64 + 20)
}

fn check(id: String, group: &str, title: String, probe: Probe, expect: Expect) -> Check {
    Check { id, title, group: group.to_owned(), probe, expect, on_miss: Severity::Fail, invariant: false }
}

/// Fill the draft from the rehearsal; returns what to review, in words.
fn fill(plan: &mut Plan, run: &RunResult, has_baseline: bool) -> Vec<String> {
    let schema = plan.baseline.schema.clone();
    let lit = |s: &str| quote_literal(s);
    let mut review = Vec::new();
    let mut new_tables = Vec::new();
    let mut functions_total = 0;
    for (m, r) in plan.migrations.iter_mut().zip(&run.migrations) {
        let tables: Vec<String> = in_schema(created(r, Kind::Table), &schema).map(|t| bare(t).to_owned()).collect();
        let mut functions: Vec<String> = in_schema(created(r, Kind::Function), &schema).map(|f| bare(f).to_owned()).collect();
        functions.dedup();
        functions_total += functions.len();
        let constraints: Vec<&str> = created(r, Kind::Constraint).iter().map(|c| bare(c)).collect();
        let indexes: Vec<&String> = created(r, Kind::Index).iter().filter(|i| !constraints.contains(&bare(i))).collect();
        let count = |n: usize| (n > 0).then_some(n as u32);
        m.creates = Creates {
            tables: tables.clone(),
            functions: functions.clone(),
            indexes: count(indexes.len()),
            policies: count(created(r, Kind::Policy).len()),
            triggers: count(created(r, Kind::Trigger).len()),
            foreign_keys: count(created(r, Kind::ForeignKey).len()),
        };
        m.expected_ms = Some(range_around(r.duration_ms));
        let mut n = 0;
        let mut id = || {
            n += 1;
            format!("V-{}-{n:02}", m.id)
        };
        for t in &tables {
            let sql = format!("SELECT to_regclass({}) IS NOT NULL", lit(&format!("{schema}.{t}")));
            plan.verification.push(check(id(), &m.id, format!("table {t} exists"), Probe::Sql(sql), Expect::True));
        }
        for f in &functions {
            let sql = format!(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = {} AND p.proname = {})",
                lit(&schema),
                lit(f)
            );
            plan.verification.push(check(id(), &m.id, format!("function {f} exists"), Probe::Sql(sql), Expect::True));
        }
        for i in indexes {
            let sql = format!("SELECT to_regclass({}) IS NOT NULL", lit(i));
            plan.verification.push(check(id(), &m.id, format!("index {} exists", bare(i)), Probe::Sql(sql), Expect::True));
        }
        for (kind, catalog, column, what) in
            [(Kind::Policy, "pg_policy", "polname", "policy"), (Kind::Trigger, "pg_trigger", "tgname", "trigger")]
        {
            let rel = if kind == Kind::Policy { "polrelid" } else { "tgrelid" };
            for name in in_schema(created(r, kind), &schema) {
                let mut parts = name.splitn(3, '.').skip(1);
                let (Some(table), Some(member)) = (parts.next(), parts.next()) else { continue };
                let sql = format!(
                    "SELECT EXISTS (SELECT 1 FROM pg_catalog.{catalog} x JOIN pg_catalog.pg_class c ON c.oid = x.{rel} JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {} AND c.relname = {} AND x.{column} = {})",
                    lit(&schema),
                    lit(table),
                    lit(member)
                );
                plan.verification.push(check(
                    id(),
                    &m.id,
                    format!("{what} {member} on {table} exists"),
                    Probe::Sql(sql),
                    Expect::True,
                ));
            }
        }
        review.push(format!(
            "migration {}: {:.1} ms on the sandbox, so expected_ms {}; staging, with data, is slower: widen the range",
            m.id,
            r.duration_ms,
            MsRange::label(m.expected_ms)
        ));
        new_tables.extend(tables);
    }
    let before = &run.schema_counts.before;
    let after = &run.schema_counts.after;
    let n = |counts: &BTreeMap<Kind, usize>, k: Kind| counts.get(&k).copied().unwrap_or(0) as i64;
    if has_baseline {
        for (kind, metric, what) in [
            (Kind::Table, Metric::Tables, "tables"),
            (Kind::ForeignKey, Metric::ForeignKeys, "foreign keys"),
            (Kind::Policy, Metric::Policies, "RLS policies"),
        ] {
            let id = format!("PF-{}", what.replace(' ', "-").to_uppercase());
            let title = format!("Baseline: {} {what}", n(before, kind));
            plan.preflight.checks.push(check(id, "baseline", title, Probe::Metric(metric), Expect::Equals(n(before, kind))));
        }
        review.push("pre-flight: the baseline counts are the sandbox's; check them against staging".into());
    }
    if !new_tables.is_empty() {
        let list = new_tables.iter().map(|t| lit(t)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {} AND c.relkind IN ('r', 'p') AND c.relname IN ({list})",
            lit(&schema)
        );
        let title = format!("None of the {} new tables exists yet", new_tables.len());
        plan.preflight.checks.push(check("PF-NEW-ABSENT".into(), "safety", title, Probe::Sql(sql), Expect::Equals(0)));
    }
    let s = |id: &str, title: String, metric: Metric, expect: Expect| {
        check(id.to_owned(), "summary", title, Probe::Metric(metric), expect)
    };
    let tables_after = n(after, Kind::Table);
    plan.schema_summary.push(s("S-TABLES", format!("Tables: {tables_after}"), Metric::Tables, Expect::Equals(tables_after)));
    let new = |k: Kind| run.migrations.iter().map(|m| in_schema(created(m, k), &schema).count()).sum::<usize>() as i64;
    for (kind, metric, what) in [
        (Kind::Table, Metric::NewTables, "tables"),
        (Kind::ForeignKey, Metric::NewForeignKeys, "foreign keys"),
        (Kind::Policy, Metric::NewPolicies, "RLS policies"),
        (Kind::Trigger, Metric::NewTriggers, "triggers"),
    ] {
        if new(kind) > 0 {
            let id = format!("S-NEW-{}", what.replace(' ', "-").to_uppercase());
            plan.schema_summary.push(s(&id, format!("New {what}: {}", new(kind)), metric, Expect::Equals(new(kind))));
        }
    }
    if functions_total > 0 {
        let title = format!("New functions: {functions_total}+");
        plan.schema_summary.push(s("S-NEW-FUNCTIONS", title, Metric::NewFunctions, Expect::AtLeast(functions_total as i64)));
    }
    if let Some(r) = &mut plan.rollback {
        let tables = n(before, Kind::Table);
        r.checks.push(s("R-TABLES", format!("Back to {tables} tables"), Metric::Tables, Expect::Equals(tables)));
    }
    review.push("add the manual items the operator acknowledges (backup taken, files reviewed), checks of your data (sample_data), RLS isolation tests (rls) and index usage (performance)".into());
    review
}

/// Sqitch verify scripts of the batch as checks: their statements as written (the script's
/// own top-level `BEGIN` / `ROLLBACK` left out, a `DO $$ BEGIN … END $$` body kept whole),
/// expecting the rows it returned on the rehearsed database. A script of comments only is
/// not a check, and the draft says so.
async fn verify_checks(rig: &Rig, sources: &Sources, plan: &mut Plan, review: &mut Vec<String>) -> Result<(), DraftError> {
    let is_tx = |sql: &str| {
        let words: Vec<String> = sql.split_whitespace().map(str::to_uppercase).collect();
        matches!(words.first().map(String::as_str), Some("BEGIN" | "ROLLBACK" | "COMMIT" | "START" | "END" | "ABORT"))
            && words.len() <= 3
    };
    for (change, path) in &sources.verify {
        if !plan.migrations.iter().any(|m| &m.id == change) {
            continue;
        }
        let statements = match SqlFile::read(path) {
            Ok(f) => f.statements,
            Err(e) => {
                review.push(format!("Sqitch verify script {e}; not a check"));
                continue;
            }
        };
        let kept: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).filter(|s| !is_tx(s)).collect();
        if kept.is_empty() {
            review.push(format!("Sqitch verify script {} has no statement (comments only): not a check", path.display()));
            continue;
        }
        let sql = kept.join(";\n\n");
        let expect = match rig.observe(&sql).await? {
            Observed::Value { rows: 0, .. } => Expect::NoRows,
            Observed::Value { rows, .. } => Expect::Rows(rows),
            Observed::Error { code, message } => {
                let why = format!("ERROR: {message} (SQLSTATE {code})");
                review
                    .push(format!("Sqitch verify script {} fails on the rehearsed database: {why}; not a check", path.display()));
                continue;
            }
            Observed::NotApplicable(why) => {
                review.push(format!("Sqitch verify script {}: {why}; not a check", path.display()));
                continue;
            }
        };
        let title = format!("Sqitch verify: {change}");
        plan.verification.push(check(format!("V-{change}-VERIFY"), change, title, Probe::Sql(sql), expect));
    }
    Ok(())
}

/// The criteria, written out: all migrations applied, objects as announced, sections pass,
/// no data loss, the rollback back to the baseline; times as an expectation only.
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
            "Drafted by `pgstage init {}{}` from {} ({} in the batch, {} in the baseline); rehearsed on PostgreSQL {}.",
            options.dir.display(),
            options.from.as_ref().map(|f| format!(" --from {f}")).unwrap_or_default(),
            sources.layout.name(),
            plan.migrations.len(),
            plan.baseline.migrations.len(),
            run.server_version
        ),
        "Paths are relative to this file. Review before use:".into(),
    ];
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
    h
}
