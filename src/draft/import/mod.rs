//! `pgstage import RUNBOOK.md --migrations DIR`: a plan drafted from a Markdown run-book
//! ([`runbook`](super::runbook) reads it) and the migrations folder it names. The run-book's
//! figures become checks, its migrations are matched to files, and every line is accounted
//! for: mapped to a plan element, or listed in the draft's notes as unmapped. Where the
//! run-book contradicts itself the notes say so (its own statements compared, then the plan
//! lint on the draft). The checks it states are drafted in `checks`, its criteria and
//! rollback in `criteria`.

mod checks;
mod criteria;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use checks::{counted, counts_disagree, preflight, table_counts, verification};
use criteria::{criteria, rollback};

use super::runbook::{self, CriterionRule, Figure, Figured, Mapping, RunBook, Target};
use super::sources::{self, Sources};
use super::{DraftError, relative};
use crate::db::quote_literal;
use crate::plan::{
    Baseline, Check, Creates, Criterion, CriterionKind, Expect, ManualItem, Metric, Migration, MsRange, Plan, Probe,
    Responsibility, Rollback, Rule, Section, Severity, TargetGuard, TimelineEntry,
};

/// A plan drafted from a run-book, and what became of each of its lines.
#[derive(Debug, Clone)]
pub struct Imported {
    pub plan: Plan,
    pub mapping: Vec<Mapping>,
    /// Where the run-book contradicts itself (also in the plan's notes).
    pub contradictions: Vec<String>,
    /// A rollback script to write beside the plan (the run-book's own SQL), when the
    /// migrations folder has none: (file name, text).
    pub rollback_script: Option<(String, String)>,
}

impl Imported {
    pub fn unmapped(&self) -> impl Iterator<Item = &Mapping> {
        self.mapping.iter().filter(|m| matches!(m.to, Target::Unmapped(_)))
    }
}

/// Draft a plan from `runbook`; paths in it are relative to `plan_dir`.
pub fn import(runbook: &Path, migrations: &Path, baseline: &[PathBuf], plan_dir: &Path) -> Result<Imported, DraftError> {
    let text = std::fs::read_to_string(runbook).map_err(|source| DraftError::RunBook { path: runbook.to_owned(), source })?;
    let book = runbook::read(&text);
    let sources = sources::discover(migrations)?;
    let mut baseline_files = Vec::new();
    let mut sample_data = None;
    for dir in baseline {
        let s = sources::discover(dir)?;
        baseline_files.extend(s.migrations.iter().map(|m| relative(plan_dir, &m.path)));
        sample_data = s.sample_data.as_ref().map(|p| relative(plan_dir, p)).or(sample_data);
    }
    let mut contradictions = own_contradictions(&book);
    let mut plan = Plan {
        name: book.title.clone(),
        phase: book.phase.clone(),
        scheduled: [book.date.as_str(), book.time.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
        planned_hours: book.planned_hours.unwrap_or(0.0),
        objective: book.objective.clone(),
        notes: vec![],
        target: TargetGuard {
            allow_databases: ["*staging*", "*stage*", "*sandbox*", "pgstage_*"].map(String::from).to_vec(),
            deny_databases: ["*prod*", "*production*", "*live*"].map(String::from).to_vec(),
            deny_hosts: vec!["*prod*".into()],
            refuse_marked_production: true,
        },
        execution: Default::default(),
        baseline: Baseline { migrations: baseline_files, sample_data, ..Default::default() },
        preflight: Default::default(),
        migrations: migrations_of(&book, &sources, plan_dir)?,
        verification: verification(&book),
        schema_summary: vec![],
        integrity: Default::default(),
        sample_data: vec![],
        rls: vec![],
        performance: Default::default(),
        rollback: None,
        criteria: vec![],
        team: book
            .team
            .iter()
            .map(|(phase, role, duty)| Responsibility { phase: phase.clone(), role: role.clone(), duty: duty.clone() })
            .collect(),
        timeline: timeline(&book),
    };
    preflight(&book, &mut plan);
    let mut book = book;
    // "f function exists" under a migration's heading: a function that migration creates.
    for item in &book.items {
        if let Some(f) = &item.function
            && !plan.migrations.iter().any(|m| m.creates.functions.contains(f))
            && let Some(m) = plan.migrations.iter_mut().find(|m| crate::db::layout::same_version(&m.id, &item.group))
        {
            m.creates.functions.push(f.clone());
        }
    }
    for f in &book.summary {
        counted(&mut plan.schema_summary, f);
    }
    let criteria_counts: Vec<&Figure> = book
        .criteria
        .iter()
        .flat_map(|c| match &c.rule {
            CriterionRule::Counts(f) => f.iter().collect(),
            _ => vec![],
        })
        .collect();
    contradictions.extend(counts_disagree(&book.summary.iter().chain(criteria_counts).collect::<Vec<_>>()));
    contradictions.extend(counts_disagree(&book.initial.iter().collect::<Vec<_>>()));
    table_counts(&mut book, &mut plan, &mut contradictions);
    let tables: Vec<String> = plan.migrations.iter().flat_map(|m| m.creates.tables.clone()).collect();
    criteria(&mut book, &mut plan, &tables);
    let (rollback_script, rollback_note) = rollback(&book, &sources, &mut plan, plan_dir, &mut contradictions);
    for f in crate::plan::lint(&plan) {
        contradictions.push(format!("plan lint [{}] {}: {}", f.rule, f.field, f.message));
    }
    plan.notes = notes(&book, &contradictions, &rollback_note);
    Ok(Imported { plan, mapping: book.mapping, contradictions, rollback_script })
}

fn migrations_of(book: &RunBook, sources: &Sources, dir: &Path) -> Result<Vec<Migration>, DraftError> {
    let mut out = Vec::new();
    for a in &book.migrations {
        let file = sources
            .migrations
            .iter()
            .find(|f| f.path.file_name().is_some_and(|n| n.to_string_lossy() == a.file))
            .or_else(|| sources.migrations.iter().find(|f| crate::db::layout::same_version(&f.version, &a.id)))
            .ok_or_else(|| {
                DraftError::Invalid(format!("the run-book's migration {} ({}) is not in {}", a.id, a.file, sources.dir.display()))
            })?;
        out.push(Migration {
            id: a.id.clone(),
            title: if a.title.is_empty() { file.description.clone() } else { a.title.clone() },
            file: relative(dir, &file.path),
            expected_ms: a.range.map(|(lo, hi)| MsRange(lo, hi)),
            creates: Creates {
                tables: a.tables.clone(),
                functions: a.functions.clone(),
                indexes: a.indexes,
                policies: a.policies,
                triggers: a.triggers,
                foreign_keys: None,
            },
            non_transactional: file.non_transactional,
            data_loss: vec![],
            accept: vec![],
        });
    }
    Ok(out)
}

/// The plan's timeline: the run-book's summary (else its detailed headings), steps from the
/// detail put in the entry whose time they fall in.
fn timeline(book: &RunBook) -> Vec<TimelineEntry> {
    let slots = if book.slots.is_empty() { &book.detail } else { &book.slots };
    let clock = |at: &str| at.split_once(':').and_then(|(h, m)| Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?));
    let mut out: Vec<TimelineEntry> = slots
        .iter()
        .map(|s| TimelineEntry { at: s.at.clone(), minutes: s.minutes, phase: s.phase.clone(), steps: vec![] })
        .collect();
    for (at, step) in &book.steps {
        let t = clock(at).unwrap_or(0);
        let i = out.iter().rposition(|e| clock(&e.at).is_some_and(|s| s <= t)).unwrap_or(0);
        if let Some(e) = out.get_mut(i) {
            e.steps.push(step.clone());
        }
    }
    out
}

/// What the run-book says twice, differently.
fn own_contradictions(book: &RunBook) -> Vec<String> {
    let mut out = Vec::new();
    for m in &book.migrations {
        if let Some(said) = m.functions_said
            && said as usize != m.functions.len()
            && !m.functions.is_empty()
        {
            out.push(format!(
                "migration {} \"adds {said} functions\" but the function checks name {} ({}); the plan follows the names",
                m.id,
                m.functions.len(),
                m.functions.join(", ")
            ));
        }
    }
    let said: u32 = book.migrations.iter().filter_map(|m| m.functions_said).sum();
    let named: usize = book.migrations.iter().map(|m| m.functions.len()).sum();
    if let Some(f) = book.summary.iter().find(|f| f.what == Figured::NewFunctions)
        && (said as i64) < f.value
    {
        out.push(format!(
            "the migrations' own lines add {said} functions, below the criteria's {}+ (the function checks name {named})",
            f.value
        ));
    }
    for s in &book.detail {
        if let Some(sum) = book.slots.iter().find(|x| x.at == s.at)
            && sum.minutes != s.minutes
        {
            out.push(format!(
                "the timeline gives \"{}\" {} min at line {} and {} min in the summary at line {}; the plan follows the summary",
                s.phase, s.minutes, s.line, sum.minutes, sum.line
            ));
        }
    }
    for pair in book.detail.windows(2) {
        let clock = |at: &str| at.split_once(':').and_then(|(h, m)| Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?));
        if let (Some(a), Some(b)) = (clock(&pair[0].at), clock(&pair[1].at))
            && b < a + pair[0].minutes
        {
            out.push(format!(
                "\"{}\" (line {}) starts at {} while \"{}\" runs {} min from {}",
                pair[1].phase, pair[1].line, pair[1].at, pair[0].phase, pair[0].minutes, pair[0].at
            ));
        }
    }
    if let Some(planned) = book.planned_hours {
        let minutes: u32 = book.slots.iter().map(|s| s.minutes).sum();
        if minutes > 0 && minutes as f64 != planned * 60.0 {
            out.push(format!(
                "the timeline summary's entries add up to {:.1} h, the run-book plans {planned} h",
                minutes as f64 / 60.0
            ));
        }
        for (h, line) in book.hours_said.iter().filter(|(h, _)| *h != planned) {
            out.push(format!("line {line} says {h} h, the run-book plans {planned} h"));
        }
    }
    for (id, range, line) in &book.documented_ranges {
        if let Some(m) = book.migrations.iter().find(|m| &m.id == id)
            && m.range.is_some_and(|r| r != *range)
        {
            out.push(format!("line {line} gives migration {id} {}–{} ms, its execution step says otherwise", range.0, range.1));
        }
    }
    for (group, expected, line) in &book.item_counts {
        let listed = book.items.iter().filter(|i| &i.group == group).count();
        if listed != *expected {
            out.push(format!("line {line} expects {expected} checks for {group}, it lists {listed}"));
        }
    }
    out
}

fn notes(book: &RunBook, contradictions: &[String], rollback: &str) -> Vec<String> {
    let mapped = book.mapping.iter().filter(|m| matches!(m.to, Target::Element(_))).count();
    let layout = book.mapping.iter().filter(|m| m.to == Target::Layout).count();
    let unmapped: Vec<&Mapping> = book.mapping.iter().filter(|m| matches!(m.to, Target::Unmapped(_))).collect();
    let mut out = vec![format!(
        "Imported from a run-book of {} lines: {mapped} mapped to plan elements, {layout} layout, {} unmapped (listed below).",
        book.mapping.len(),
        unmapped.len()
    )];
    out.push(rollback.to_owned());
    out.extend(contradictions.iter().map(|c| format!("Contradiction: {c}")));
    out.extend(book.notes.iter().map(|n| format!("From the run-book's notes: {n}")));
    for m in unmapped {
        if let Target::Unmapped(why) = &m.to {
            out.push(format!("Unmapped line {}: \"{}\" ({why})", m.line, m.text.trim()));
        }
    }
    out
}

/// The migrations folder a run-book's files are in, and the folders before it (their
/// versions all lower) as its baseline: looked for beside the run-book and under
/// `migrations/` there and in the current directory. For the window, which has no flags.
pub fn folders_for(runbook: &Path) -> Option<(PathBuf, Vec<PathBuf>)> {
    let text = std::fs::read_to_string(runbook).ok()?;
    let first = runbook::read(&text).migrations.into_iter().next()?;
    let here = runbook.parent().unwrap_or(Path::new("."));
    let mut candidates = vec![here.to_owned()];
    for root in [here.join("migrations"), PathBuf::from("migrations")] {
        let mut dirs: Vec<PathBuf> =
            std::fs::read_dir(&root).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        candidates.extend(dirs);
    }
    let found = candidates.into_iter().find(|d| d.join(&first.file).is_file())?;
    let first_version = crate::db::layout::version_order(&first.id);
    let mut baseline: Vec<PathBuf> = std::fs::read_dir(found.parent()?)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && *p != found)
        .filter(|p| {
            sources::discover(p)
                .is_ok_and(|s| s.migrations.iter().all(|m| crate::db::layout::version_order(&m.version) < first_version))
        })
        .collect();
    baseline.sort();
    Some((found, baseline))
}
