//! JUnit XML, so CI systems show the run as tests: one `<testsuite>` per section (pre-flight,
//! migrations, every check section, rollback, verdict), a `<testcase>` per check, per
//! migration and per criterion. FAIL is a `<failure>` with its message; N/A, skipped, not run
//! and not reached are `<skipped/>`; WARN passes with the warning in `<system-out>`. The
//! `verdict` suite holds the run's outcome (a failed or cancelled run fails there, naming the
//! step and the error) and the GO / NO-GO criteria.

use std::fmt::Write;

use super::content as c;
use super::escape as e;
use crate::plan::{CriterionKind, Section};
use crate::run_result::{CheckResult, Met, MigrationStatus, Outcome, RunResult, Status};

enum Verdict {
    Pass,
    Failure { kind: &'static str, message: String, body: String },
    Skipped(String),
}

struct Case {
    name: String,
    seconds: f64,
    verdict: Verdict,
    out: String,
}

struct Suite {
    name: &'static str,
    cases: Vec<Case>,
}

pub fn render(r: &RunResult) -> String {
    let mut suites = vec![Suite { name: Section::Preflight.as_str(), cases: r.preflight.iter().map(check_case).collect() }];
    suites.push(Suite { name: "migrations", cases: r.migrations.iter().map(migration_case).collect() });
    for section in c::check_sections() {
        suites.push(Suite { name: section.as_str(), cases: checks_or_not_reached(r, r.section(section)) });
    }
    suites.push(Suite { name: "locks", cases: lock_cases(r) });
    suites.push(Suite { name: Section::Rollback.as_str(), cases: rollback_cases(r) });
    suites.push(Suite { name: "verdict", cases: verdict_cases(r) });

    let count = |s: &Suite, f: fn(&Verdict) -> bool| s.cases.iter().filter(|c| f(&c.verdict)).count();
    let failed = |v: &Verdict| matches!(v, Verdict::Failure { .. });
    let skipped = |v: &Verdict| matches!(v, Verdict::Skipped(_));
    let time = |s: &Suite| s.cases.iter().map(|c| c.seconds).sum::<f64>();

    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\" timestamp=\"{}\">",
        e(&format!("pgstage: {}", r.plan.name)),
        suites.iter().map(|s| s.cases.len()).sum::<usize>(),
        suites.iter().map(|s| count(s, failed)).sum::<usize>(),
        suites.iter().map(|s| count(s, skipped)).sum::<usize>(),
        suites.iter().map(time).sum::<f64>(),
        e(&r.started_at)
    );
    for (i, s) in suites.iter().enumerate() {
        let _ = writeln!(
            o,
            "  <testsuite id=\"{i}\" name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\" timestamp=\"{}\">",
            s.name,
            s.cases.len(),
            count(s, failed),
            count(s, skipped),
            time(s),
            e(&r.started_at)
        );
        if i == 0 {
            properties(&mut o, r);
        }
        for case in &s.cases {
            let _ = write!(
                o,
                "    <testcase classname=\"pgstage.{}\" name=\"{}\" time=\"{:.3}\"",
                s.name,
                e(&case.name),
                case.seconds
            );
            if matches!(case.verdict, Verdict::Pass) && case.out.is_empty() {
                o.push_str("/>\n");
                continue;
            }
            o.push_str(">\n");
            match &case.verdict {
                Verdict::Pass => {}
                Verdict::Failure { kind, message, body } => {
                    let _ = writeln!(o, "      <failure type=\"{kind}\" message=\"{}\">{}</failure>", e(message), e(body));
                }
                Verdict::Skipped(message) => {
                    let _ = writeln!(o, "      <skipped message=\"{}\"/>", e(message));
                }
            }
            if !case.out.is_empty() {
                let _ = writeln!(o, "      <system-out>{}</system-out>", e(&case.out));
            }
            o.push_str("    </testcase>\n");
        }
        o.push_str("  </testsuite>\n");
    }
    o.push_str("</testsuites>\n");
    o
}

fn properties(o: &mut String, r: &RunResult) {
    let props = [
        ("run_id", r.run_id.as_str()),
        ("plan", r.plan.name.as_str()),
        ("plan_path", r.plan.path.as_str()),
        ("plan_checksum", r.plan.checksum.as_str()),
        ("phase", r.plan.phase.as_str()),
        ("operator", r.operator.as_str()),
        ("target", r.target.as_str()),
        ("server_version", r.server_version.as_str()),
        ("started_at", r.started_at.as_str()),
        ("finished_at", r.finished_at.as_str()),
        ("verdict", c::verdict_word(r)),
    ];
    o.push_str("    <properties>\n");
    for (k, v) in props {
        let _ = writeln!(o, "      <property name=\"{k}\" value=\"{}\"/>", e(v));
    }
    if !r.verdict.able_to_fail.is_empty() {
        let _ = writeln!(o, "      <property name=\"able_to_fail\" value=\"{}\"/>", e(&r.verdict.able_to_fail));
    }
    let sandbox = r.sandbox.as_ref().map(|_| ("sandbox", c::server_line(r)));
    for (k, v) in sandbox.into_iter().chain(c::rehearsal_line(r).map(|l| ("rehearsal", l))) {
        let _ = writeln!(o, "      <property name=\"{k}\" value=\"{}\"/>", e(&v));
    }
    o.push_str("    </properties>\n");
}

fn check_case(ch: &CheckResult) -> Case {
    let said =
        format!("expected {}, got {}", super::content::value_text(ch, &ch.expected), super::content::value_text(ch, &ch.actual));
    let mut body = said.clone();
    if let Some(note) = c::check_note(ch) {
        body.push_str(&format!("\n{note}"));
    }
    if !ch.sql.trim().is_empty() {
        body.push_str(&format!("\nSQL:\n{}", ch.sql.trim()));
    }
    let (verdict, out) = match ch.status {
        Status::Pass => (Verdict::Pass, String::new()),
        Status::Fail => (Verdict::Failure { kind: "FAIL", message: c::first_line(&said).to_owned(), body }, String::new()),
        Status::Warn => (Verdict::Pass, format!("WARN: {body}")),
        Status::NotApplicable if ch.actual.to_lowercase().starts_with("n/a") => {
            (Verdict::Skipped(ch.actual.clone()), String::new())
        }
        Status::NotApplicable => (Verdict::Skipped(format!("N/A: {}", ch.actual)), String::new()),
        Status::Skipped => (Verdict::Skipped(format!("skipped: {}", ch.actual)), String::new()),
    };
    Case { name: format!("{}: {}", ch.id, ch.title), seconds: ch.duration_ms / 1000.0, verdict, out }
}

fn checks_or_not_reached(r: &RunResult, checks: &[CheckResult]) -> Vec<Case> {
    if checks.is_empty() && r.outcome != Outcome::Completed {
        return vec![Case {
            name: "(not reached)".into(),
            seconds: 0.0,
            verdict: Verdict::Skipped(c::empty_reason(r)),
            out: String::new(),
        }];
    }
    checks.iter().map(check_case).collect()
}

fn migration_case(m: &crate::run_result::MigrationResult) -> Case {
    let name = format!("{} {}", m.id, m.title);
    let against = match c::timing(m) {
        c::Timing::NotMeasured => String::new(),
        _ => format!(", {}", c::timing_text(m)),
    };
    let timing = format!(
        "{}: {} in {} (expected {}{against}), {} statements; created {}",
        m.file,
        c::migration_status_label(&m.status),
        c::fmt_ms(m.duration_ms),
        c::range_text(m),
        c::statements_text(m),
        c::created_text(m)
    );
    let verdict = match m.status {
        MigrationStatus::Applied if m.object_mismatches.is_empty() => Verdict::Pass,
        MigrationStatus::Applied => Verdict::Failure {
            kind: "objects",
            message: format!("created objects differ from the plan: {}", m.object_mismatches.join("; ")),
            body: timing.clone(),
        },
        MigrationStatus::AlreadyApplied => Verdict::Pass,
        MigrationStatus::Failed => {
            let error = m.error.clone().unwrap_or_default();
            Verdict::Failure { kind: "FAILED", message: c::first_line(&error).to_owned(), body: error }
        }
        MigrationStatus::Cancelled => Verdict::Failure {
            kind: "CANCELLED",
            message: format!("cancelled after {} of {} statements, rolled back", m.statements_done, m.statements),
            body: m.error.clone().unwrap_or_default(),
        },
        MigrationStatus::NotRun => Verdict::Skipped("not run: an earlier step failed or was cancelled".into()),
    };
    Case { name, seconds: m.duration_ms / 1000.0, verdict, out: timing }
}

fn rollback_cases(r: &RunResult) -> Vec<Case> {
    let Some(rb) = &r.rollback else {
        return checks_or_not_reached(r, &[]);
    };
    let d = &rb.diff_from_baseline;
    let diff = format!("{} objects left, {} missing, {} changed", d.appeared.len(), d.vanished.len(), d.changed.len());
    let mut listing = String::new();
    for x in &d.appeared {
        listing.push_str(&format!("left behind: {} {}\n", x.kind.label(), x.name));
    }
    for x in &d.vanished {
        listing.push_str(&format!("missing: {} {}\n", x.kind.label(), x.name));
    }
    for x in &d.changed {
        listing.push_str(&format!("changed: {} {}: {} -> {}\n", x.object.kind.label(), x.object.name, x.before, x.after));
    }
    let verdict = match &rb.error {
        Some(err) => Verdict::Failure { kind: "FAILED", message: c::first_line(err).to_owned(), body: err.clone() },
        None if !d.is_empty() => {
            Verdict::Failure { kind: "FAIL", message: format!("not back to the baseline: {diff}"), body: listing }
        }
        None => Verdict::Pass,
    };
    let out = format!(
        "{}: {} in {}; re-applied afterwards: {}",
        rb.script,
        diff,
        c::fmt_ms(rb.duration_ms),
        if rb.reapplied { "yes" } else { "no" }
    );
    let mut cases =
        vec![Case { name: "Rollback returns to the baseline".into(), seconds: rb.duration_ms / 1000.0, verdict, out }];
    cases.extend(rb.checks.iter().map(check_case));
    cases
}

fn verdict_cases(r: &RunResult) -> Vec<Case> {
    let outcome = match &r.outcome {
        Outcome::Completed => Verdict::Pass,
        Outcome::Failed { step, error } => Verdict::Failure {
            kind: "FAILED",
            message: format!("the run failed at {step}: {}", c::first_line(error)),
            body: error.clone(),
        },
        Outcome::Cancelled { step } => {
            Verdict::Failure { kind: "CANCELLED", message: format!("the run was cancelled during {step}"), body: String::new() }
        }
        Outcome::InProgress => Verdict::Skipped("the run is in progress".into()),
    };
    let mut cases = vec![Case { name: "Run completed".into(), seconds: 0.0, verdict: outcome, out: c::outcome_line(&r.outcome) }];
    for k in &r.verdict.criteria {
        let (verdict, out) = match (k.met, k.kind) {
            (Met::Yes, _) => (Verdict::Pass, k.reason.clone()),
            (Met::No, CriterionKind::Hard) => (
                Verdict::Failure { kind: "NOT MET", message: c::first_line(&k.reason).to_owned(), body: k.reason.clone() },
                String::new(),
            ),
            (Met::No, CriterionKind::Expectation) => {
                (Verdict::Pass, format!("expectation not met (not a blocker): {}", k.reason))
            }
            (Met::NotApplicable, _) => (Verdict::Skipped(format!("n/a: {}", k.reason)), String::new()),
            (Met::NotReached, CriterionKind::Hard) => (
                Verdict::Failure { kind: "NOT REACHED", message: c::first_line(&k.reason).to_owned(), body: k.reason.clone() },
                String::new(),
            ),
            (Met::NotReached, CriterionKind::Expectation) => {
                (Verdict::Skipped(format!("not reached: {}", k.reason)), String::new())
            }
        };
        cases.push(Case { name: format!("{}: {}", k.id, k.title), seconds: 0.0, verdict, out });
    }
    let go = if r.verdict.go {
        Verdict::Pass
    } else if r.outcome == Outcome::InProgress && r.verdict.criteria.is_empty() {
        Verdict::Skipped("not decided: the run is in progress".into())
    } else {
        Verdict::Failure { kind: "NO-GO", message: "NO-GO".into(), body: r.verdict.reasons.join("\n") }
    };
    cases.push(Case { name: "Verdict: GO".into(), seconds: 0.0, verdict: go, out: String::new() });
    cases
}

/// A case per lock finding: an error is a failure, a warning passes with it in
/// `<system-out>`, information and accepted findings pass saying so.
fn lock_cases(r: &RunResult) -> Vec<Case> {
    super::locks::findings(r)
        .into_iter()
        .map(|(id, f)| {
            let body = finding_body(f);
            let (verdict, out) = match (&f.accepted, f.severity) {
                (Some(reason), _) => (Verdict::Pass, format!("accepted by the plan: {reason}\n{body}")),
                (None, crate::run_result::FindingSeverity::Error) => {
                    (Verdict::Failure { kind: "LOCK FINDING", message: f.message.clone(), body }, String::new())
                }
                (None, severity) => (Verdict::Pass, format!("{}: {body}", severity.label().to_uppercase())),
            };
            Case { name: format!("{id}: {} at {}", f.rule, f.statement), seconds: 0.0, verdict, out }
        })
        .collect()
}

/// A finding's lines: what it saw, where, the relation with its size when measured, the lock
/// when it is about one, what is safer. Nothing unknown is printed, not even as empty brackets.
fn finding_body(f: &crate::run_result::Finding) -> String {
    let mut lines = vec![f.message.clone(), format!("statement: {}", f.statement)];
    if !f.relation.is_empty() {
        let size = super::locks::known_size(f).map(|s| format!(" ({s})")).unwrap_or_default();
        lines.push(format!("relation: {}{size}", f.relation));
    }
    if !f.lock.is_empty() {
        let blocks = if f.blocks.is_empty() { String::new() } else { format!(" (blocks {})", f.blocks) };
        lines.push(format!("lock: {}{blocks}", f.lock));
    }
    lines.push(format!("safer: {}", f.advice));
    lines.join("\n")
}
