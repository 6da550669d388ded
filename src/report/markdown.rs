//! The Markdown execution log, modelled on the run-book's `WEEK_2_TUESDAY_EXECUTION_LOG.md`:
//! header, pre-flight and acknowledgements, migrations, every check, schema summary, rollback
//! rehearsal, deviations, verdict and a sign-off block. Text from the run result is escaped
//! for Markdown tables ([`cell`]); multi-line text goes into fenced blocks ([`fenced`]).

use std::fmt::Write;

use super::claims;
use super::content::{self as c, SectionChecks};
use super::{Reviewed, SignOff, cell};
use crate::plan::Section;
use crate::run_result::{CheckResult, Met, MigrationStatus, Outcome, RunResult, Status};

pub fn render(r: &RunResult, signoff: &[SignOff], reviewed: Option<&Reviewed>) -> String {
    let mut o = String::new();
    header(&mut o, r);
    if let Some(reviewed) = reviewed {
        let _ = writeln!(o, "> 🔎 **Review.** {}\n", cell(&reviewed.sentence()));
    }
    failure(&mut o, r);
    summary(&mut o, r);
    preflight(&mut o, r);
    migrations(&mut o, r);
    for section in c::check_sections() {
        if section == Section::SchemaSummary {
            schema_summary(&mut o, r);
        } else {
            checks_section(&mut o, r, &c::section(r, section));
        }
    }
    super::locks::markdown(&mut o, r);
    rollback(&mut o, r);
    deviations(&mut o, r);
    verdict(&mut o, r);
    sign_off(&mut o, r, signoff);
    o
}

/// An inline code span (e.g. a path or checksum), safe in a table cell.
fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let longest = longest_run(&text, '`');
    let ticks = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{ticks}{pad}{}{pad}{ticks}", text.replace('|', "\\|"))
}

/// A fenced block that `text` cannot close early.
fn fenced(o: &mut String, lang: &str, text: &str) {
    let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
    let _ = writeln!(o, "{fence}{lang}\n{}\n{fence}\n", text.trim_end());
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in text.chars() {
        run = if x == ch { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ PASS",
        Status::Fail => "❌ FAIL",
        Status::Warn => "⚠️ WARN",
        Status::NotApplicable => "➖ N/A",
        Status::Skipped => "⏭️ SKIPPED",
    }
}

fn migration_status(s: &MigrationStatus) -> String {
    let icon = match s {
        MigrationStatus::Applied | MigrationStatus::AlreadyApplied => "✅",
        MigrationStatus::Failed => "❌",
        MigrationStatus::Cancelled => "⛔",
        MigrationStatus::NotRun => "➖",
    };
    format!("{icon} {}", c::migration_status_label(s))
}

fn header(o: &mut String, r: &RunResult) {
    let t = c::target_parts(&r.target);
    let word = c::verdict_word(r);
    let icon = match word {
        "GO" => "✅",
        "NO-GO" => "❌",
        _ => "⏳",
    };
    let _ = writeln!(o, "# Execution Log: {}\n", cell(&r.plan.name));
    if let Some(notice) = claims::rehearsal_notice(r) {
        let _ = writeln!(o, "> ⚠️ **{}.** {}\n", claims::REHEARSAL_TITLE, cell(&notice));
    }
    let all = c::Tally::of(r.all_checks());
    let applied =
        r.migrations.iter().filter(|m| matches!(m.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied)).count();
    let missed = claims::failed_criteria(r);
    let missed = if missed.is_empty() { String::new() } else { format!(" Not met: {}.", cell(&missed.join("; "))) };
    let able = claims::able_to_fail_summary(r).map_or(String::new(), |a| format!("; {}", cell(&a)));
    let _ = writeln!(
        o,
        "> **Verdict: {icon} {}**.{missed} {}. Migrations: {applied}/{} applied, {} in total. Checks: {}{able}.\n",
        claims::verdict_headline(r),
        cell(&c::outcome_line(&r.outcome)),
        r.migrations.len(),
        c::fmt_ms(r.total_migration_ms()),
        all.text()
    );
    let finished = if r.finished_at.is_empty() {
        "not finished".to_string()
    } else {
        match c::elapsed(&r.started_at, &r.finished_at) {
            Some(d) => format!("{} (run time {d})", cell(&r.finished_at)),
            None => cell(&r.finished_at),
        }
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("Plan", cell(&r.plan.name)),
        ("Phase", cell(&r.plan.phase)),
        ("Plan file", code(&r.plan.path)),
        ("Plan checksum (SHA-256)", code(&r.plan.checksum)),
        ("Scheduled", format!("{} (planned {})", cell(&r.plan.scheduled), c::hours(r.plan.planned_hours))),
        ("Run id", code(&r.run_id)),
        ("Operator", cell(&r.operator)),
        ("Started", cell(&r.started_at)),
        ("Finished", finished),
        ("Server", cell(&c::server_line(r))),
        ("Host", if t.port.is_empty() { code(&t.host) } else { format!("{} port {}", code(&t.host), cell(&t.port)) }),
        ("Database", format!("{} as user {}", code(&t.database), code(&t.user))),
        ("Outcome", cell(&c::outcome_line(&r.outcome))),
        ("Baseline", cell(&c::baseline_line(r))),
        ("Report", format!("pgstage {}, run result format_version {}", env!("CARGO_PKG_VERSION"), r.format_version)),
    ];
    if let Some(line) = c::rehearsal_line(r) {
        let after_database = rows.iter().position(|(k, _)| *k == "Database").map_or(rows.len(), |i| i + 1);
        rows.insert(after_database, ("Rehearsal", cell(&line)));
    }
    o.push_str("| | |\n|---|---|\n");
    for (k, v) in rows {
        let _ = writeln!(o, "| **{k}** | {v} |");
    }
    o.push('\n');
}

fn failure(o: &mut String, r: &RunResult) {
    match &r.outcome {
        Outcome::Failed { step, error } => {
            let _ = writeln!(o, "## ❌ Failure\n\nThe run stopped at **{}**. The error:\n", cell(step));
            fenced(o, "text", error);
            target_state(o, r);
        }
        Outcome::Cancelled { step } => {
            let _ = writeln!(
                o,
                "## ⛔ Cancelled\n\nThe operator cancelled the run during **{}**; the migration in progress was rolled back.\n",
                cell(step)
            );
            target_state(o, r);
        }
        Outcome::InProgress => {
            o.push_str("## ⏳ In progress\n\nThe run has not finished: this report shows what has happened so far.\n\n");
        }
        Outcome::Completed => {}
    }
}

/// What the stopped run left on the target, and what to do next.
fn target_state(o: &mut String, r: &RunResult) {
    if let Some(state) = claims::target_state(r) {
        let _ = writeln!(o, "**State left:** {}\n", cell(&state));
    }
}

fn summary(o: &mut String, r: &RunResult) {
    o.push_str("## Summary\n\n| Section | Checks | Pass | Fail | Warn | N/A | Skipped |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (title, t) in c::summary_rows(r) {
        if t.total() == 0 && r.outcome != Outcome::Completed {
            let _ = writeln!(o, "| {title} | not reached | | | | | |");
            continue;
        }
        let _ = writeln!(o, "| {title} | {} | {} | {} | {} | {} | {} |", t.total(), t.pass, t.fail, t.warn, t.na, t.skipped);
    }
    let all = c::Tally::of(r.all_checks());
    let _ = writeln!(
        o,
        "| **All** | **{}** | **{}** | **{}** | **{}** | **{}** | **{}** |\n",
        all.total(),
        all.pass,
        all.fail,
        all.warn,
        all.na,
        all.skipped
    );
}

fn checks_table(o: &mut String, r: &RunResult, checks: &[&CheckResult]) {
    if checks.is_empty() {
        let _ = writeln!(o, "{}\n", c::empty_reason(r));
        return;
    }
    let _ = writeln!(o, "Result: {}.\n", c::Tally::of(checks.iter().copied()).text());
    o.push_str("| ID | Group | Check | Expected | Actual | Status | Time |\n|---|---|---|---|---|---|---:|\n");
    for ch in checks {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&ch.id),
            cell(&ch.group),
            cell(&ch.title),
            cell(&c::value_text(ch, &ch.expected)),
            cell(&c::value_text(ch, &ch.actual)),
            status(ch.status),
            c::fmt_ms(ch.duration_ms)
        );
    }
    o.push('\n');
    check_notes(o, checks);
}

/// Details of checks that say more than their row, and the SQL of checks that did not pass.
fn check_notes(o: &mut String, checks: &[&CheckResult]) {
    for ch in checks {
        let note = c::check_note(ch);
        let sql = (ch.status != Status::Pass && !ch.sql.trim().is_empty()).then_some(ch.sql.trim());
        if note.is_none() && sql.is_none() {
            continue;
        }
        let _ = writeln!(o, "**{}** ({}):\n", cell(&ch.id), ch.status.label());
        if let Some(note) = note {
            fenced(o, "text", note);
        }
        if let Some(sql) = sql {
            fenced(o, "sql", sql);
        }
    }
}

fn preflight(o: &mut String, r: &RunResult) {
    o.push_str("## Pre-flight\n\n### Checks\n\n");
    checks_table(o, r, &c::preflight_checks(r));
    if !r.drift.is_empty() {
        o.push_str("### Drift from the rehearsed baseline\n\nWhat this database holds that the plan's sandbox rehearsal did not, or lacks:\n\n");
        o.push_str("| Kind | Object | Difference |\n|---|---|---|\n");
        for d in &r.drift {
            let _ = writeln!(o, "| {} | {} | {} |", cell(&d.kind), code(&d.object), cell(&d.what));
        }
        o.push('\n');
    }
    o.push_str("### Manual items\n\n");
    let rows = c::manual_rows(r);
    if rows.is_empty() {
        let _ = writeln!(
            o,
            "{}\n",
            if r.outcome == Outcome::Completed { "No manual items in the plan." } else { "None acknowledged." }
        );
        return;
    }
    o.push_str("| Item | What | Owner | Acknowledged by | At | Status |\n|---|---|---|---|---|---|\n");
    for m in rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&m.item),
            cell(&m.title),
            cell(&m.owner),
            if m.acknowledged { cell(&m.by) } else { "–".into() },
            if m.acknowledged { cell(&m.at) } else { "–".into() },
            if m.acknowledged { "✅ acknowledged" } else { "❌ NOT ACKNOWLEDGED" }
        );
    }
    o.push('\n');
}

fn migrations(o: &mut String, r: &RunResult) {
    o.push_str("## Migrations\n\n");
    if r.migrations.is_empty() {
        o.push_str("No migrations in the plan.\n\n");
        return;
    }
    let applied = r.migrations.iter().filter(|m| m.status == MigrationStatus::Applied).count();
    let _ = writeln!(
        o,
        "Total migration time: {} ({applied} of {} applied in this run).\n",
        c::fmt_ms(r.total_migration_ms()),
        r.migrations.len()
    );
    o.push_str("| Migration | Title | Expected | Actual | vs expected | Statements | Objects created | vs plan | Status |\n");
    o.push_str("|---|---|---:|---:|---|---:|---|---|---|\n");
    for m in &r.migrations {
        let actual = if m.status == MigrationStatus::NotRun { "–".to_string() } else { c::fmt_ms(m.duration_ms) };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&m.id),
            cell(&m.title),
            c::range_text(m),
            actual,
            c::timing_text(m),
            c::statements_text(m),
            cell(&c::created_text(m)),
            cell(&c::objects_verdict(m)),
            migration_status(&m.status)
        );
    }
    o.push_str("\nIndexes created include those backing primary keys and unique constraints.\n\n");
    o.push_str("| Migration | File | SHA-256 | Slowest statement |\n|---|---|---|---|\n");
    for m in &r.migrations {
        let slowest = c::slowest_statement(m).map_or("–".into(), |(line, ms)| format!("line {line}: {}", c::fmt_ms(ms)));
        let _ = writeln!(o, "| {} | {} | {} | {} |", cell(&m.id), code(&m.file), code(&m.checksum), slowest);
    }
    o.push('\n');
    let earlier: Vec<String> =
        r.migrations.iter().filter_map(|m| c::earlier_text(m).map(|t| format!("- {}: {}", cell(&m.id), cell(&t)))).collect();
    if !earlier.is_empty() {
        let _ = writeln!(o, "Applied by an earlier run (from the ledger):\n\n{}\n", earlier.join("\n"));
    }
    let data = c::data_lines(r);
    if !data.is_empty() {
        o.push_str("### What the migrations did to pre-existing data\n\nMeasured in each migration's own transaction (the application's concurrent traffic never counts):\n\n");
        for (id, lines) in &data {
            let _ = writeln!(o, "- **{}**: {}", cell(id), cell(&lines.join("; ")));
        }
        o.push('\n');
    }
    let waits = c::lock_wait_lines(r);
    if !waits.is_empty() {
        o.push_str("### Lock waits\n\n");
        for w in &waits {
            let _ = writeln!(o, "- {}", cell(w));
        }
        o.push('\n');
    }
    for m in r.migrations.iter().filter(|m| m.error.is_some()) {
        let _ = writeln!(
            o,
            "### Migration {} – {}: {}\n\nFile {}, stopped after {} of {} statements. The error:\n",
            cell(&m.id),
            cell(&m.title),
            c::migration_status_label(&m.status),
            code(&m.file),
            m.statements_done,
            m.statements
        );
        fenced(o, "text", m.error.as_deref().unwrap_or_default());
    }
}

fn schema_summary(o: &mut String, r: &RunResult) {
    let _ = writeln!(
        o,
        "## Schema summary\n\nObject counts in schema {}, before and after the migrations, against the plan's expectations.\n",
        code(&r.schema_counts.schema)
    );
    let show = |v: Option<usize>| v.map_or("–".to_string(), |n| n.to_string());
    o.push_str("| Objects | Before | After | New | Expected |\n|---|---:|---:|---:|---|\n");
    for row in c::schema_rows(r) {
        let new = row.new_objects().map_or("–".into(), |n| format!("{n:+}"));
        let _ = writeln!(
            o,
            "| {} | {} | {} | {new} | {} |",
            row.label(),
            show(row.before),
            show(row.after),
            cell(&row.expected_text())
        );
    }
    o.push('\n');
    if r.schema_counts.after.is_empty() {
        o.push_str("After: not measured (the run stopped before verification).\n\n");
    }
    let others = c::other_counts(r);
    if !others.is_empty() {
        let _ = writeln!(o, "Also: {}.\n", cell(&others.join(", ")));
    }
    o.push_str("### Schema summary checks\n\n");
    checks_table(o, r, &c::section(r, Section::SchemaSummary).checks);
}

fn checks_section(o: &mut String, r: &RunResult, s: &SectionChecks) {
    let _ = writeln!(o, "## {}\n", s.title);
    checks_table(o, r, &s.checks);
}

fn rollback(o: &mut String, r: &RunResult) {
    o.push_str("## Rollback rehearsal\n\n");
    let Some(rb) = &r.rollback else {
        let why =
            if r.outcome == Outcome::Completed { "No rollback rehearsal in the plan.".to_string() } else { c::empty_reason(r) };
        let _ = writeln!(o, "{why}\n");
        return;
    };
    let d = &rb.diff_from_baseline;
    let matches = if rb.matches_baseline() {
        "✅ yes: the catalog after the rollback equals the baseline".to_string()
    } else {
        "❌ NO".to_string()
    };
    o.push_str("| | |\n|---|---|\n");
    let _ = writeln!(o, "| **Script** | {} |", code(&rb.script));
    let _ = writeln!(o, "| **Time** | {} |", c::fmt_ms(rb.duration_ms));
    let _ = writeln!(o, "| **Back to the baseline** | {matches} |");
    let _ =
        writeln!(o, "| **Differences** | {} left, {} missing, {} changed |", d.appeared.len(), d.vanished.len(), d.changed.len());
    let _ = writeln!(o, "| **Migrations re-applied afterwards** | {} |\n", if rb.reapplied { "yes" } else { "no" });
    if let Some(e) = &rb.error {
        o.push_str("The rollback failed:\n\n");
        fenced(o, "text", e);
    }
    if !d.is_empty() {
        o.push_str("Differences from the baseline:\n\n");
        for x in &d.appeared {
            let _ = writeln!(o, "- left behind: {} {}", x.kind.label(), code(&x.name));
        }
        for x in &d.vanished {
            let _ = writeln!(o, "- missing: {} {}", x.kind.label(), code(&x.name));
        }
        for x in &d.changed {
            let _ = writeln!(
                o,
                "- changed: {} {}: {} → {}",
                x.object.kind.label(),
                code(&x.object.name),
                cell(&x.before),
                cell(&x.after)
            );
        }
        o.push('\n');
    }
    o.push_str("### Checks after the rollback\n\n");
    checks_table(o, r, &rb.checks.iter().collect::<Vec<_>>());
}

fn deviations(o: &mut String, r: &RunResult) {
    o.push_str("## Deviations from the plan\n\n");
    let list = c::deviations(r);
    if list.is_empty() {
        o.push_str("None: everything ran as the plan expected.\n\n");
        return;
    }
    for d in list {
        let _ = writeln!(o, "- {}", cell(&d));
    }
    o.push('\n');
}

fn verdict(o: &mut String, r: &RunResult) {
    let word = c::verdict_word(r);
    let _ = writeln!(o, "## Verdict: {}\n", claims::verdict_headline(r));
    if r.verdict.default_criteria {
        o.push_str("The plan names no criteria: pgstage's default set judged this run.\n\n");
    }
    if let Some(able) = claims::able_to_fail_summary(r) {
        let _ = writeln!(o, "**Checks proven able to fail:** {}.\n", cell(&able));
    }
    if r.verdict.criteria.is_empty() {
        o.push_str("No criteria judged yet.\n\n");
    } else {
        o.push_str("| ID | Group | Criterion | Kind | Result | Reason |\n|---|---|---|---|---|---|\n");
        for k in &r.verdict.criteria {
            let icon = match (k.met, k.kind) {
                (Met::Yes, _) => "✅",
                (Met::No, crate::plan::CriterionKind::Hard) => "❌",
                (Met::No, _) => "⚠️",
                (Met::NotApplicable, _) => "➖",
                (Met::NotReached, _) => "⏸️",
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {icon} {} | {} |",
                cell(&k.id),
                cell(&k.group),
                cell(&k.title),
                c::kind_label(k.kind),
                c::met_label(k.met, k.kind),
                cell(&k.reason)
            );
        }
        o.push('\n');
    }
    if !r.verdict.reasons.is_empty() {
        let _ = writeln!(o, "Reasons for {word}:\n");
        for reason in &r.verdict.reasons {
            let _ = writeln!(o, "- {}", cell(reason));
        }
        o.push('\n');
    } else if let Some((verdict, rest)) = claims::go_sentence(r) {
        let _ = writeln!(o, "Every hard criterion is met: **{verdict}**{rest}\n");
    }
}

fn sign_off(o: &mut String, r: &RunResult, signoff: &[SignOff]) {
    let _ = writeln!(
        o,
        "## Sign-off\n\nBy signing, the signatories confirm the results above and the verdict **{}**.\n",
        c::verdict_word(r)
    );
    o.push_str("| Name | Role | Comment | Signature | Date |\n|---|---|---|---|---|\n");
    // Lines to write on: runs of underscores render as themselves in a table cell.
    let (line, date) = ("_".repeat(24), "_".repeat(12));
    if signoff.is_empty() {
        for role in c::blank_signoff_roles(r) {
            let role = if role.is_empty() { line.clone() } else { cell(&role) };
            let _ = writeln!(o, "| {line} | {role} | | {line} | {date} |");
        }
    } else {
        for s in signoff {
            let comment = signed_comment(s);
            let _ = writeln!(o, "| {} | {} | {} | {line} | {date} |", cell(&s.name), cell(&s.role), cell(&comment));
        }
    }
}

/// The comment cell of a sign-off: its decision first, when one was given.
pub(super) fn signed_comment(s: &SignOff) -> String {
    match (s.decision.trim(), s.comment.trim()) {
        ("", comment) => comment.to_owned(),
        (decision, "") => format!("Decision: {decision}"),
        (decision, comment) => format!("Decision: {decision}. {comment}"),
    }
}
