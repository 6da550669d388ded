//! GO / NO-GO: each success criterion judged against the run result, with its reason. A hard
//! criterion not met or not reached, a run that did not complete, or a run in which no check
//! ran makes it NO-GO. A criterion whose inputs did not run is "not reached", never met.

use crate::plan::{Criterion, CriterionKind, Metric, Plan, Probe, Rule, Section};
use crate::run_result::{CriterionResult, Met, MigrationResult, MigrationStatus, Outcome, RunResult, Status, Verdict};

pub fn decide(plan: &Plan, run: &RunResult) -> Verdict {
    let (criteria, default_criteria) = plan.effective_criteria();
    let criteria: Vec<CriterionResult> = criteria.iter().map(|c| judge(c, plan, run)).collect();
    let mut reasons = Vec::new();
    match &run.outcome {
        Outcome::Completed => {}
        Outcome::Failed { step, error } => reasons.push(format!("the run failed at {step}: {error}")),
        Outcome::Cancelled { step } => reasons.push(format!("the run was cancelled during {step}")),
        Outcome::InProgress => reasons.push("the run did not finish".into()),
    }
    for c in criteria.iter().filter(|c| c.kind == CriterionKind::Hard) {
        match c.met {
            Met::No => reasons.push(format!("{}: {}", c.title, c.reason)),
            Met::NotReached if run.outcome == Outcome::Completed => {
                reasons.push(format!("{}: not reached: {}", c.title, c.reason))
            }
            _ => {}
        }
    }
    // Checks that could have failed: not the manual items, not the reading of the files or
    // the plan's own lint.
    let judged = run
        .all_checks()
        .filter(|c| c.status != Status::NotApplicable && c.group != "manual" && !["PF-FILES", "PF-PLAN"].contains(&c.id.as_str()))
        .count();
    if judged == 0 && reasons.is_empty() {
        reasons.push("no check ran: a GO needs at least one check that could fail".into());
    }
    if !criteria.iter().any(|c| c.kind == CriterionKind::Hard && c.met == Met::Yes) && reasons.is_empty() {
        reasons.push("no hard criterion was met".into());
    }
    Verdict { go: reasons.is_empty(), criteria, reasons, default_criteria, able_to_fail: able_to_fail(run) }
}

fn judge(c: &Criterion, plan: &Plan, run: &RunResult) -> CriterionResult {
    let (met, reason) = evaluate(&c.rule, plan, run);
    CriterionResult { id: c.id.clone(), group: c.group.clone(), title: c.title.clone(), kind: c.kind, met, reason }
}

fn yes_no(ok: bool, yes: String, no: String) -> (Met, String) {
    if ok { (Met::Yes, yes) } else { (Met::No, no) }
}

fn is_in(m: &MigrationResult) -> bool {
    matches!(m.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied)
}

/// Migrations that are not in the database, when none of them failed: what was not reached.
fn not_reached(run: &RunResult) -> Option<String> {
    let missing: Vec<&str> = run.migrations.iter().filter(|m| !is_in(m)).map(|m| m.id.as_str()).collect();
    (!missing.is_empty()).then(|| format!("migrations not applied: {}", missing.join(", ")))
}

fn earlier_note(run: &RunResult) -> String {
    let earlier: Vec<&str> =
        run.migrations.iter().filter(|m| m.status == MigrationStatus::AlreadyApplied).map(|m| m.id.as_str()).collect();
    if earlier.is_empty() { String::new() } else { format!(" ({} as the ledger recorded them)", earlier.join(", ")) }
}

fn evaluate(rule: &Rule, plan: &Plan, run: &RunResult) -> (Met, String) {
    match rule {
        Rule::AllMigrationsApplied => {
            if plan.migrations.is_empty() {
                return (Met::NotApplicable, "the plan has no migration".into());
            }
            let failed: Vec<String> = run
                .migrations
                .iter()
                .filter(|m| matches!(m.status, MigrationStatus::Failed | MigrationStatus::Cancelled))
                .map(|m| format!("{} {:?}{}", m.id, m.status, m.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()))
                .collect();
            if !failed.is_empty() {
                return (Met::No, format!("not applied: {}", failed.join("; ")));
            }
            if let Some(why) = not_reached(run) {
                return (Met::NotReached, why);
            }
            let earlier = run.migrations.iter().filter(|m| m.status == MigrationStatus::AlreadyApplied).count();
            let now = run.migrations.len() - earlier;
            let how = if earlier == 0 { String::new() } else { format!(" ({now} by this run, {earlier} earlier)") };
            (Met::Yes, format!("{} of {} applied without error{how}", run.migrations.len(), plan.migrations.len()))
        }
        Rule::TotalMigrationMsBelow(limit) => {
            if let Some(why) = not_reached(run) {
                return (Met::NotReached, why);
            }
            let total = run.total_migration_ms();
            let note = earlier_note(run);
            yes_no(
                total < *limit as f64,
                format!("{total:.1} ms < {limit} ms{note}"),
                format!("{total:.1} ms ≥ {limit} ms{note}"),
            )
        }
        Rule::MigrationsWithinExpectedRange => {
            if let Some(why) = not_reached(run) {
                return (Met::NotReached, why);
            }
            let off: Vec<String> = run
                .migrations
                .iter()
                .filter_map(|m| m.expected_ms.filter(|r| r.judge(m.duration_ms).is_ne()).map(|r| (m, r)))
                .map(|(m, r)| {
                    let side = if r.judge(m.duration_ms).is_lt() { "faster" } else { "slower" };
                    format!("{} took {:.1} ms ({side} than {}–{} ms)", m.id, m.duration_ms, r.min(), r.max())
                })
                .collect();
            yes_no(off.is_empty(), format!("every migration within its range{}", earlier_note(run)), off.join("; "))
        }
        Rule::CreatedObjectsAsExpected => {
            let off: Vec<String> =
                run.migrations.iter().flat_map(|m| m.object_mismatches.iter().map(move |x| format!("{}: {x}", m.id))).collect();
            if !off.is_empty() {
                return (Met::No, off.join("; "));
            }
            if let Some(why) = not_reached(run) {
                return (Met::NotReached, format!("not verified: {why}"));
            }
            if !run.reached(Section::Verification) && run.migrations.iter().any(|m| m.status == MigrationStatus::AlreadyApplied) {
                return (Met::NotReached, "migrations applied earlier are verified at the verification step, not reached".into());
            }
            (Met::Yes, "every migration created what it announced".into())
        }
        Rule::SectionsPass(sections) => sections_pass(plan, run, sections),
        Rule::ChecksPass(ids) => checks_pass(plan, run, ids),
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
        Rule::NoDataLoss => from_check(run, "INT-DATA-LOSS", Section::Integrity),
        Rule::NoOrphans => from_check(run, "INT-ORPHANS", Section::Integrity),
        Rule::NoSlowQueries => {
            let unreached: Vec<Section> = [Section::Verification, Section::Integrity, Section::Performance]
                .into_iter()
                .filter(|s| !run.reached(*s))
                .collect();
            if !unreached.is_empty() {
                return (Met::NotReached, format!("not reached: {}", names(&unreached)));
            }
            // The queries the migrations can make slow: those run on the migrated schema (and
            // the rolled-back one). The pre-flight's read the server before the batch (its
            // size stats every file of the database: a second on 100,000 tables).
            let limit = plan.performance.slow_query_ms as f64;
            let after = || Section::ALL.iter().filter(|s| **s != Section::Preflight).flat_map(|s| run.section(*s));
            let slow: Vec<String> =
                after().filter(|c| c.duration_ms > limit).map(|c| format!("{} {:.0} ms", c.id, c.duration_ms)).collect();
            let ran = after().filter(|c| !c.sql.is_empty()).count();
            if ran == 0 {
                return (Met::NotApplicable, "no check query ran".into());
            }
            yes_no(
                slow.is_empty(),
                format!("all {ran} check queries on the migrated schema under {limit:.0} ms"),
                slow.join(", "),
            )
        }
        Rule::RollbackMatchesBaseline => match &run.rollback {
            None if plan.rollback.as_ref().is_some_and(|r| r.rehearse) => {
                (Met::NotReached, "the rollback rehearsal did not run".into())
            }
            None => (Met::NotApplicable, "no rollback rehearsal".into()),
            Some(r) if cancelled_in_rollback(run) => (
                Met::NotReached,
                format!(
                    "the operator cancelled the rollback rehearsal before it ended: {}",
                    r.error.as_deref().unwrap_or_default().lines().next().unwrap_or_default()
                ),
            ),
            Some(r) if r.matches_baseline() => (Met::Yes, "the catalog after rollback equals the baseline".into()),
            Some(r) if r.error.is_none() && r.baseline_unknown => {
                (Met::NotReached, "no baseline was recorded before the earlier migrations: nothing to compare with".into())
            }
            Some(r) => {
                let d = &r.diff_from_baseline;
                let why = r.error.clone().unwrap_or_else(|| {
                    format!("{} objects left, {} missing, {} changed", d.appeared.len(), d.vanished.len(), d.changed.len())
                });
                (Met::No, why)
            }
        },
        Rule::NoLockFindings(severity) => {
            let bad: Vec<String> = run
                .migrations
                .iter()
                .flat_map(|m| m.findings.iter().map(move |f| (m, f)))
                .filter(|(_, f)| f.accepted.is_none() && f.severity >= *severity)
                .map(|(m, f)| format!("{}: {} {} at {} on {}", m.id, f.severity.label(), f.rule, f.statement, f.relation))
                .collect();
            if !bad.is_empty() {
                return (Met::No, bad.join("; "));
            }
            if let Some(why) = not_reached(run) {
                return (Met::NotReached, why);
            }
            let accepted = run.migrations.iter().flat_map(|m| &m.findings).filter(|f| f.accepted.is_some()).count();
            (Met::Yes, format!("no unaccepted {} finding or worse ({accepted} accepted){}", severity.label(), earlier_note(run)))
        }
        Rule::MaxBlockedMs(limit) => {
            let probed: Vec<(&str, &crate::run_result::LockTaken)> = run
                .migrations
                .iter()
                .flat_map(|m| m.trace.iter().flat_map(move |t| t.locks.iter().map(move |l| (t.statement.as_str(), l))))
                .filter(|(_, l)| l.read_blocked.is_some() || l.write_blocked.is_some())
                .collect();
            let over: Vec<String> = probed
                .iter()
                .filter(|(_, l)| (l.read_blocked == Some(true) || l.write_blocked == Some(true)) && l.held_ms > *limit as f64)
                .map(|(at, l)| {
                    let what = if l.read_blocked == Some(true) { "reads and writes" } else { "writes" };
                    format!("{what} of {} blocked {:.0} ms from {at} ({} held to COMMIT)", l.relation, l.held_ms, l.mode)
                })
                .collect();
            if !over.is_empty() {
                return (Met::No, over.join("; "));
            }
            if let Some(why) = not_reached(run) {
                return (Met::NotReached, why);
            }
            if probed.is_empty() {
                return (Met::NotApplicable, "no lock of a pre-existing table was probed".into());
            }
            let max = probed
                .iter()
                .filter(|(_, l)| l.read_blocked == Some(true) || l.write_blocked == Some(true))
                .map(|(_, l)| l.held_ms)
                .fold(0.0, f64::max);
            (Met::Yes, format!("longest block {max:.0} ms ≤ {limit} ms{}", earlier_note(run)))
        }
        Rule::ReplicationLagAtMost(limit) => {
            let lag_check = plan.preflight.checks.iter().find(|c| c.probe == Probe::Metric(Metric::ReplicationLagSeconds));
            match lag_check.and_then(|check| run.preflight.iter().find(|c| c.id == check.id)) {
                None if lag_check.is_some() => (Met::NotReached, "replication lag was not measured".into()),
                None => (Met::NotApplicable, "the plan measures no replication lag".into()),
                Some(c) if c.status == Status::NotApplicable => (Met::NotApplicable, c.actual.clone()),
                Some(c) => match c.actual.parse::<f64>() {
                    Ok(lag) => yes_no(lag <= *limit as f64, format!("{lag} s"), format!("{lag} s > {limit} s")),
                    Err(_) => (Met::No, format!("unknown lag: {}", c.actual)),
                },
            }
        }
    }
}

/// The operator's cancel ended the rollback rehearsal (in its script, or in the re-apply that
/// follows it: either ends the run as cancelled): what it judges was not reached.
fn cancelled_in_rollback(run: &RunResult) -> bool {
    !run.reached(Section::Rollback) && matches!(run.outcome, Outcome::Cancelled { .. })
}

fn sections_pass(plan: &Plan, run: &RunResult, sections: &[Section]) -> (Met, String) {
    let checks: Vec<_> = sections.iter().flat_map(|s| run.section(*s)).collect();
    let failed: Vec<String> =
        checks.iter().filter(|c| c.status == Status::Fail).map(|c| format!("{} ({})", c.id, c.actual)).collect();
    if !failed.is_empty() {
        return (Met::No, format!("{} failed: {}", failed.len(), failed.join(", ")));
    }
    let unreached: Vec<Section> = sections.iter().copied().filter(|s| plan.section_has_checks(*s) && !run.reached(*s)).collect();
    if !unreached.is_empty() {
        let ran = if checks.is_empty() { String::new() } else { format!(" ({} checks ran before it stopped)", checks.len()) };
        return (Met::NotReached, format!("not reached: {}{ran}", names(&unreached)));
    }
    if checks.is_empty() {
        return (Met::NotApplicable, format!("no check in {}", names(sections)));
    }
    // Per section, so "16/16 verification queries" reads 16/16, not the sum with the summary.
    let per: Vec<String> = sections
        .iter()
        .map(|s| (s, run.section(*s)))
        .filter(|(_, c)| !c.is_empty())
        .map(|(s, c)| {
            let passed = c.iter().filter(|c| c.status == Status::Pass).count();
            if sections.len() == 1 { format!("{passed}/{} passed", c.len()) } else { format!("{s} {passed}/{} passed", c.len()) }
        })
        .collect();
    (Met::Yes, format!("{}, none failed", per.join(", ")))
}

/// Each named check ran and passed; its actual value is the reason.
fn checks_pass(plan: &Plan, run: &RunResult, ids: &[String]) -> (Met, String) {
    if ids.is_empty() {
        return (Met::NotApplicable, "no check named".into());
    }
    let mut said = Vec::new();
    let mut failed = Vec::new();
    let mut unreached = Vec::new();
    for id in ids {
        match run.all_checks().find(|c| &c.id == id) {
            Some(c) if c.status == Status::Fail => failed.push(format!("{id} {}", c.actual)),
            Some(c) if c.status == Status::Pass || c.status == Status::Warn => said.push(format!("{id} {}", c.actual)),
            Some(c) => unreached.push(format!("{id} {}", c.status.label())),
            None => match plan.section_of_check(id) {
                Some(s) if !run.reached(s) => unreached.push(format!("{id} ({s} not reached)")),
                Some(_) => unreached.push(format!("{id} did not run")),
                None => failed.push(format!("{id}: no such check in the plan")),
            },
        }
    }
    if !failed.is_empty() {
        (Met::No, format!("failed: {}", failed.join(", ")))
    } else if !unreached.is_empty() {
        (Met::NotReached, format!("not reached: {}", unreached.join(", ")))
    } else {
        (Met::Yes, format!("passed: {}", said.join(", ")))
    }
}

/// A criterion that mirrors one built-in check of `section`.
fn from_check(run: &RunResult, id: &str, section: Section) -> (Met, String) {
    match run.section(section).iter().find(|c| c.id == id) {
        None if !run.reached(section) => (Met::NotReached, format!("check {id} did not run: {section} not reached")),
        None => (Met::NotApplicable, format!("check {id} is not part of the plan")),
        Some(c) => {
            let text = if c.detail.is_empty() { c.actual.clone() } else { format!("{}: {}", c.actual, c.detail) };
            yes_no(c.status == Status::Pass, text.clone(), text)
        }
    }
}

/// "verification, integrity".
fn names(sections: &[Section]) -> String {
    sections.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// How many verification and schema checks were shown able to fail, and which were not.
fn able_to_fail(run: &RunResult) -> String {
    use crate::run_result::Able;
    if run.sensitivity.is_empty() {
        return String::new();
    }
    let of = |a: Able| run.sensitivity.iter().filter(|s| s.verdict == a).map(|s| s.id.as_str()).collect::<Vec<_>>();
    let shown = of(Able::ShownAbleToFail);
    let mut text = format!(
        "{} of {} verification and schema checks shown able to fail (they fail on the baseline state)",
        shown.len(),
        run.sensitivity.len()
    );
    for (what, ids) in [
        ("insensitive", of(Able::Insensitive)),
        ("invariant by the plan", of(Able::Invariant)),
        ("not run on the baseline", of(Able::Unknown)),
    ] {
        if !ids.is_empty() {
            text.push_str(&format!("; {what}: {}", ids.join(", ")));
        }
    }
    text
}
