//! What a report may claim, and no more: a sandbox run says it is a rehearsal wherever its
//! verdict is named, a NO-GO names the criteria it missed, every summary says how many checks
//! were shown able to fail (and which were not), and a run that stopped says what it left on
//! the target and what to do next. Shared by the Markdown and HTML reports, the CLI's summary
//! and the window.

use super::content::{first_line, verdict_word};
use crate::plan::CriterionKind;
use crate::run_result::{Met, MigrationStatus, Outcome, RunResult};

/// What a sandbox run is, where a verdict is named: "GO on a sandbox rehearsal — not a
/// staging validation".
pub const REHEARSAL_SCOPE: &str = "on a sandbox rehearsal — not a staging validation";

/// The verdict word with what it is about: for a sandbox run, that it is a rehearsal.
pub fn verdict_headline(r: &RunResult) -> String {
    match &r.sandbox {
        Some(_) => format!("{} {REHEARSAL_SCOPE}", verdict_word(r)),
        None => verdict_word(r).to_owned(),
    }
}

/// A sandbox run's title, at the top of its report and in the window.
pub const REHEARSAL_TITLE: &str = "REHEARSAL on a throwaway sandbox — not a staging validation";

/// For a sandbox run, under [`REHEARSAL_TITLE`]: what a rehearsal is and what it is not.
pub fn rehearsal_notice(r: &RunResult) -> Option<String> {
    r.sandbox.as_ref().map(|s| {
        format!(
            "This run went to pgstage's local sandbox (PostgreSQL {}, {}, deleted after the run): no live traffic, no other roles, no \
             real data. Its verdict says how the plan behaved there; validate the plan on staging next.",
            s.version,
            seeded(r)
        )
    })
}

/// What a sandbox was seeded with, in words.
fn seeded(r: &RunResult) -> &'static str {
    match &r.clone {
        Some(_) => "seeded with a clone of staging's schema and none of its rows",
        None => "seeded from the plan's baseline",
    }
}

/// The closing sentence of a GO (none for NO-GO, whose reasons are listed instead): a
/// rehearsal never claims more than a rehearsal.
pub fn go_sentence(r: &RunResult) -> Option<(&'static str, &'static str)> {
    let sentence = match &r.sandbox {
        Some(_) => ("GO on a sandbox rehearsal — not a staging validation", ". Validate the plan on staging next."),
        None => ("GO", " for the production migration."),
    };
    (r.verdict.go && r.verdict.reasons.is_empty()).then_some(sentence)
}

/// The hard criteria not met, by title (what a NO-GO banner names); when none was missed,
/// the first reason for NO-GO (a run that failed or was cancelled).
pub fn failed_criteria(r: &RunResult) -> Vec<String> {
    if r.verdict.go {
        return Vec::new();
    }
    let missed: Vec<String> = r
        .verdict
        .criteria
        .iter()
        .filter(|c| c.kind == CriterionKind::Hard && c.met == Met::No)
        .map(|c| c.title.clone())
        .collect();
    if !missed.is_empty() {
        return missed;
    }
    r.verdict.reasons.first().map(|x| vec![first_line(x).to_owned()]).unwrap_or_default()
}

/// How many verification and schema checks were shown able to fail, and which were not (with
/// why): "22 of 23 verification and schema checks shown able to fail; not shown: VER-07
/// (INSENSITIVE: passes on the baseline too)". `None` when the run measured no check on the baseline.
pub fn able_to_fail_summary(r: &RunResult) -> Option<String> {
    use crate::run_result::Able;
    if r.sensitivity.is_empty() {
        return None;
    }
    let shown = r.sensitivity.iter().filter(|s| s.verdict == Able::ShownAbleToFail).count();
    let mut text = format!("{shown} of {} verification and schema checks shown able to fail", r.sensitivity.len());
    let not: Vec<String> = r
        .sensitivity
        .iter()
        .filter(|s| s.verdict != Able::ShownAbleToFail)
        .map(|s| format!("{} ({})", s.id, s.verdict.label()))
        .collect();
    if !not.is_empty() {
        text.push_str(&format!("; not shown: {}", not.join(", ")));
    }
    Some(text)
}

/// After a run that stopped: what it left on the target and what to do next. `None` for a
/// completed run.
pub fn target_state(r: &RunResult) -> Option<String> {
    let stopped = match &r.outcome {
        Outcome::Failed { step, .. } => format!("failed at {step}"),
        Outcome::Cancelled { step } => format!("was cancelled during {step}"),
        Outcome::Completed | Outcome::InProgress => return None,
    };
    let ids = |f: &dyn Fn(&MigrationStatus) -> bool| -> Vec<&str> {
        r.migrations.iter().filter(|m| f(&m.status)).map(|m| m.id.as_str()).collect()
    };
    let kept = ids(&|s| matches!(s, MigrationStatus::Applied | MigrationStatus::AlreadyApplied));
    let undone = ids(&|s| matches!(s, MigrationStatus::Failed | MigrationStatus::Cancelled));
    let not_run = ids(&|s| *s == MigrationStatus::NotRun);
    let on = if r.sandbox.is_some() { "the sandbox" } else { "the target database" };
    let mut parts = vec![format!("The run {stopped}.")];
    if kept.is_empty() {
        parts.push(format!("No migration of the plan is committed on {on}."));
    } else {
        let verb = if kept.len() == 1 { "stays" } else { "stay" };
        parts.push(format!("{} {verb} committed on {on} (recorded in its ledger).", and_list(&kept)));
    }
    if !undone.is_empty() {
        parts.push(format!("{} was rolled back: nothing of it is kept.", and_list(&undone)));
    }
    if !not_run.is_empty() {
        parts.push(format!("{} did not run.", and_list(&not_run)));
    }
    parts.push(if r.sandbox.is_some() {
        "Nothing to undo: the sandbox is deleted after the run. Next: fix the cause and rehearse the plan again.".to_owned()
    } else if kept.is_empty() {
        "Next: fix the cause and run the plan again.".to_owned()
    } else {
        format!(
            "Next: either fix the cause and run the plan again, which resumes (the ledger skips {} and applies the rest), \
             or undo the batch with the plan's rollback script.",
            and_list(&kept)
        )
    });
    Some(parts.join(" "))
}

/// "013", "013 and 014", "013, 014 and 016".
fn and_list(ids: &[&str]) -> String {
    match ids.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => ids.concat(),
    }
}

/// For a sandbox run, what its verdict means, by how it ended (the window's rehearsal banner).
pub fn rehearsal_meaning(r: &RunResult) -> Option<String> {
    let s = r.sandbox.as_ref()?;
    let place = format!(
        "This run went to {} on pgstage's local sandbox (PostgreSQL {}, {}, deleted on exit): no \
         live traffic, no other roles, no real data.",
        verdict_word(r),
        s.version,
        seeded(r)
    );
    let meaning = match &r.outcome {
        Outcome::Completed if r.verdict.go => {
            "It says the plan runs clean there; it says nothing yet about staging. Validate the plan on staging next.".to_owned()
        }
        Outcome::Completed => {
            "The plan misses its criteria even there (listed below): fix them before going to staging.".to_owned()
        }
        Outcome::Failed { step, .. } => {
            format!("The plan does not run clean even there: it failed at {step}. Fix it and rehearse again before staging.")
        }
        Outcome::Cancelled { step } => {
            format!("The rehearsal was cancelled during {step}: it says nothing about how the rest of the plan runs.")
        }
        Outcome::InProgress => "The rehearsal has not finished: it says nothing yet.".to_owned(),
    };
    Some(format!("{place} {meaning}"))
}
