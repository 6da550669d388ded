//! GO / NO-GO: each of the plan's success criteria judged against the run result, with its
//! reason. A hard criterion not met, or a run that did not complete, makes it NO-GO.

use super::result::{CriterionResult, Met, MigrationStatus, Outcome, RunResult, Status, Verdict};
use crate::plan::{Criterion, CriterionKind, Metric, Plan, Probe, Rule};

pub fn decide(plan: &Plan, run: &RunResult) -> Verdict {
    let criteria: Vec<CriterionResult> = plan.criteria.iter().map(|c| judge(c, plan, run)).collect();
    let mut reasons = Vec::new();
    match &run.outcome {
        Outcome::Completed => {}
        Outcome::Failed { step, error } => reasons.push(format!("the run failed at {step}: {error}")),
        Outcome::Cancelled { step } => reasons.push(format!("the run was cancelled during {step}")),
        Outcome::InProgress => reasons.push("the run did not finish".into()),
    }
    for c in criteria.iter().filter(|c| c.kind == CriterionKind::Hard && c.met == Met::No) {
        reasons.push(format!("{}: {}", c.title, c.reason));
    }
    Verdict { go: reasons.is_empty(), criteria, reasons }
}

fn judge(c: &Criterion, plan: &Plan, run: &RunResult) -> CriterionResult {
    let (met, reason) = evaluate(&c.rule, plan, run);
    CriterionResult { id: c.id.clone(), group: c.group.clone(), title: c.title.clone(), kind: c.kind, met, reason }
}

fn yes_no(ok: bool, yes: String, no: String) -> (Met, String) {
    if ok { (Met::Yes, yes) } else { (Met::No, no) }
}

fn evaluate(rule: &Rule, plan: &Plan, run: &RunResult) -> (Met, String) {
    match rule {
        Rule::AllMigrationsApplied => {
            let bad: Vec<String> = run
                .migrations
                .iter()
                .filter(|m| !matches!(m.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied))
                .map(|m| format!("{} {:?}{}", m.id, m.status, m.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()))
                .collect();
            yes_no(
                bad.is_empty() && run.migrations.len() == plan.migrations.len(),
                format!("{} of {} applied without error", run.migrations.len(), plan.migrations.len()),
                format!("not applied: {}", bad.join("; ")),
            )
        }
        Rule::TotalMigrationMsBelow(limit) => {
            let total = run.total_migration_ms();
            yes_no(total < *limit as f64, format!("{total:.1} ms < {limit} ms"), format!("{total:.1} ms ≥ {limit} ms"))
        }
        Rule::MigrationsWithinExpectedRange => {
            let off: Vec<String> = run
                .migrations
                .iter()
                .filter(|m| m.status == MigrationStatus::Applied)
                .filter(|m| !m.expected_ms.contains(m.duration_ms.round() as u64))
                .map(|m| {
                    let side = if m.duration_ms < m.expected_ms.min() as f64 { "faster" } else { "slower" };
                    format!(
                        "{} took {:.1} ms ({side} than {}–{} ms)",
                        m.id,
                        m.duration_ms,
                        m.expected_ms.min(),
                        m.expected_ms.max()
                    )
                })
                .collect();
            yes_no(off.is_empty(), "every migration within its range".into(), off.join("; "))
        }
        Rule::CreatedObjectsAsExpected => {
            let mut off: Vec<String> =
                run.migrations.iter().flat_map(|m| m.object_mismatches.iter().map(move |x| format!("{}: {x}", m.id))).collect();
            let unverified: Vec<&str> = run
                .migrations
                .iter()
                .filter(|m| !matches!(m.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied))
                .map(|m| m.id.as_str())
                .collect();
            if !unverified.is_empty() {
                off.push(format!("not verified, not applied: {}", unverified.join(", ")));
            }
            yes_no(off.is_empty(), "every migration created what it announced".into(), off.join("; "))
        }
        Rule::SectionsPass(sections) => {
            let checks: Vec<_> = sections.iter().flat_map(|s| run.section(s)).collect();
            if checks.is_empty() {
                return (Met::NotApplicable, format!("no check ran in {}", sections.join(", ")));
            }
            let failed: Vec<String> =
                checks.iter().filter(|c| c.status == Status::Fail).map(|c| format!("{} ({})", c.id, c.actual)).collect();
            let passed = checks.iter().filter(|c| c.status == Status::Pass).count();
            yes_no(
                failed.is_empty(),
                format!("{passed}/{} passed, none failed", checks.len()),
                format!("{} failed: {}", failed.len(), failed.join(", ")),
            )
        }
        Rule::ManualItemsAcknowledged => {
            let missing: Vec<&str> = plan
                .preflight
                .manual
                .iter()
                .filter(|i| !run.acknowledgements.iter().any(|a| a.item == i.id))
                .map(|i| i.id.as_str())
                .collect();
            yes_no(
                missing.is_empty(),
                format!("{} items acknowledged", run.acknowledgements.len()),
                format!("not acknowledged: {}", missing.join(", ")),
            )
        }
        Rule::NoDataLoss => from_check(run, "INT-ROWCOUNTS"),
        Rule::NoOrphans => from_check(run, "INT-ORPHANS"),
        Rule::NoSlowQueries => {
            let limit = plan.performance.slow_query_ms as f64;
            let slow: Vec<String> =
                run.all_checks().filter(|c| c.duration_ms > limit).map(|c| format!("{} {:.0} ms", c.id, c.duration_ms)).collect();
            let ran = run.all_checks().count();
            if ran == 0 {
                return (Met::NotApplicable, "no check query ran".into());
            }
            yes_no(slow.is_empty(), format!("all {ran} check queries under {limit:.0} ms"), slow.join(", "))
        }
        Rule::RollbackMatchesBaseline => match &run.rollback {
            None => (Met::NotApplicable, "no rollback rehearsal".into()),
            Some(r) if r.matches_baseline() => (Met::Yes, "the catalog after rollback equals the baseline".into()),
            Some(r) => {
                let d = &r.diff_from_baseline;
                let why = r.error.clone().unwrap_or_else(|| {
                    format!("{} objects left, {} missing, {} changed", d.appeared.len(), d.vanished.len(), d.changed.len())
                });
                (Met::No, why)
            }
        },
        Rule::ReplicationLagAtMost(limit) => {
            let lag_check = plan.preflight.checks.iter().find(|c| c.probe == Probe::Metric(Metric::ReplicationLagSeconds));
            match lag_check.and_then(|check| run.preflight.iter().find(|c| c.id == check.id)) {
                None => (Met::NotApplicable, "replication lag was not measured".into()),
                Some(c) if c.status == Status::NotApplicable => (Met::NotApplicable, c.actual.clone()),
                Some(c) => match c.actual.parse::<f64>() {
                    Ok(lag) => yes_no(lag <= *limit as f64, format!("{lag} s"), format!("{lag} s > {limit} s")),
                    Err(_) => (Met::No, format!("unknown lag: {}", c.actual)),
                },
            }
        }
    }
}

/// A criterion that mirrors one built-in check.
fn from_check(run: &RunResult, id: &str) -> (Met, String) {
    match run.all_checks().find(|c| c.id == id) {
        None => (Met::NotApplicable, format!("check {id} did not run")),
        Some(c) => {
            let text = if c.detail.is_empty() { c.actual.clone() } else { format!("{}: {}", c.actual, c.detail) };
            yes_no(c.status == Status::Pass, text.clone(), text)
        }
    }
}
