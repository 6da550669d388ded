//! The HTML report: one self-contained file (inline CSS, inline SVG charts, no script, no
//! external resource) with the same content as the Markdown log, readable in any browser and
//! printable on A4 for signature. Every piece of text from the run result goes through
//! [`super::escape`].

use std::fmt::Write;

use super::claims;
use super::content::{self as c, SectionChecks};
use super::escape as e;
use super::{Reviewed, SignOff, svg};
use crate::plan::{CriterionKind, Section};
use crate::run_result::{CheckResult, Met, MigrationStatus, Outcome, RunResult, Status};

const CSS: &str = r#"
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --head: #f3f5f7;
        --pass: #1a7f37; --fail: #c62828; --warn: #f0c000; --na: #e4e7eb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: #fff; max-width: 1100px; margin: 24px auto; padding: 0 24px; }
h1 { font-size: 24px; margin: 0 0 10px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p { margin: 6px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
/* Long paths and the 11 columns of the findings: break anywhere rather than widen the page. */
td code, table.findings td { overflow-wrap: anywhere; }
code.hash { word-break: break-all; }
table.compact { width: auto; min-width: 55%; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; overflow-wrap: normal; }
td.nowrap { white-space: nowrap; overflow-wrap: normal; }
table.kv th { width: 210px; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; background: #f6f8fa;
      border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; margin: 4px 0 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.error { border-color: var(--fail); background: #fff5f5; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 3px; font-size: 12px; font-weight: 700; white-space: nowrap; }
.b-pass { background: var(--pass); color: #fff; }
.b-fail { background: var(--fail); color: #fff; }
.b-warn { background: var(--warn); color: #1f2328; }
.b-na { background: var(--na); color: #1f2328; }
.verdict { display: flex; flex-wrap: wrap; align-items: baseline; gap: 16px; padding: 12px 16px; border-radius: 6px; color: #fff; margin: 0 0 14px; }
.verdict strong { font-size: 26px; letter-spacing: .5px; white-space: nowrap; }
.verdict span { font-size: 14px; }
.v-go { background: var(--pass); } .v-nogo { background: var(--fail); } .v-undecided { background: #57606a; }
.rehearsal { border: 2px solid #9a6700; background: #fff8c5; color: var(--ink); padding: 8px 12px; border-radius: 6px; margin: 0 0 10px; }
.verdict em { font-style: normal; font-size: 16px; font-weight: 600; white-space: normal; }
.notice { border-left: 5px solid var(--fail); background: #fff5f5; padding: 8px 12px; margin: 8px 0; }
.muted { color: var(--muted); }
figure { margin: 10px 0 14px; padding: 8px 10px; border: 1px solid var(--line); border-radius: 4px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
ul { margin: 6px 0 12px; padding-left: 22px; }
li { margin: 2px 0; }
table.sign td { height: 46px; vertical-align: bottom; }
footer { margin-top: 24px; font-size: 12px; color: var(--muted); }
@page { size: A4; margin: 14mm 12mm 16mm;
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #57606a; } }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  h1 { font-size: 17pt; } h2 { font-size: 13pt; margin-top: 16px; } h3 { font-size: 11pt; }
  table { font-size: 8.5pt; } code, pre { font-size: 8pt; } .badge { font-size: 7.5pt; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr, figure, pre, .verdict, .notice { break-inside: avoid; page-break-inside: avoid; }
  section.signoff { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

pub fn render(r: &RunResult, signoff: &[SignOff], reviewed: Option<&Reviewed>) -> String {
    let mut o = String::new();
    let title = format!("Execution Log: {}", r.plan.name);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"pgstage {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        e(&title)
    );
    let _ = writeln!(o, "<h1>{}</h1>", e(&title));
    header(&mut o, r);
    if let Some(reviewed) = reviewed {
        let _ = writeln!(o, "<div class=\"rehearsal\"><strong>Review.</strong> {}</div>", e(&reviewed.sentence()));
    }
    failure(&mut o, r);
    summary(&mut o, r);
    charts(&mut o, r);
    preflight(&mut o, r);
    migrations(&mut o, r);
    for section in c::check_sections() {
        if section == Section::SchemaSummary {
            schema_summary(&mut o, r);
        } else {
            checks_section(&mut o, r, &c::section(r, section));
        }
    }
    super::locks::html(&mut o, r);
    rollback(&mut o, r);
    deviations(&mut o, r);
    verdict(&mut o, r);
    sign_off(&mut o, r, signoff);
    let _ = writeln!(
        o,
        "<footer>pgstage {} · run {} · run result format_version {}</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        e(&r.run_id),
        r.format_version
    );
    o
}

fn badge(s: Status) -> String {
    let class = match s {
        Status::Pass => "b-pass",
        Status::Fail => "b-fail",
        Status::Warn => "b-warn",
        Status::NotApplicable | Status::Skipped => "b-na",
    };
    format!("<span class=\"badge {class}\">{}</span>", s.label())
}

fn migration_badge(s: &MigrationStatus) -> String {
    let class = match s {
        MigrationStatus::Applied | MigrationStatus::AlreadyApplied => "b-pass",
        MigrationStatus::Failed | MigrationStatus::Cancelled => "b-fail",
        MigrationStatus::NotRun => "b-na",
    };
    format!("<span class=\"badge {class}\">{}</span>", c::migration_status_label(s))
}

/// Escaped text whose line breaks stay visible.
fn lines(s: &str) -> String {
    e(s.trim_end()).replace('\n', "<br>")
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", e(s))
}

fn pre(o: &mut String, class: &str, text: &str) {
    let _ = writeln!(o, "<pre class=\"{class}\">{}</pre>", e(text.trim_end()));
}

fn header(o: &mut String, r: &RunResult) {
    let word = c::verdict_word(r);
    let class = match word {
        "GO" => "v-go",
        "NO-GO" => "v-nogo",
        _ => "v-undecided",
    };
    let all = c::Tally::of(r.all_checks());
    let applied =
        r.migrations.iter().filter(|m| matches!(m.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied)).count();
    if let Some(notice) = claims::rehearsal_notice(r) {
        let _ = writeln!(o, "<div class=\"rehearsal\"><strong>{}.</strong> {}</div>", claims::REHEARSAL_TITLE, e(&notice));
    }
    let scope = if r.sandbox.is_some() { format!(" <em>{}</em>", claims::REHEARSAL_SCOPE) } else { String::new() };
    let missed = claims::failed_criteria(r);
    let missed = if missed.is_empty() { String::new() } else { format!("<b>Not met: {}.</b> ", e(&missed.join("; "))) };
    let able = claims::able_to_fail_summary(r).map_or(String::new(), |a| format!("; {}", e(&a)));
    let _ = writeln!(
        o,
        "<div class=\"verdict {class}\"><strong>Verdict: {word}{scope}</strong><span>{missed}{}. Migrations: {applied}/{} applied, {} in total. Checks: {}{able}.</span></div>",
        e(&c::outcome_line(&r.outcome)),
        r.migrations.len(),
        e(&c::fmt_ms(r.total_migration_ms())),
        e(&all.text())
    );
    let t = c::target_parts(&r.target);
    let finished = if r.finished_at.is_empty() {
        "not finished".to_string()
    } else {
        match c::elapsed(&r.started_at, &r.finished_at) {
            Some(d) => format!("{} (run time {})", e(&r.finished_at), e(&d)),
            None => e(&r.finished_at),
        }
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("Plan", e(&r.plan.name)),
        ("Phase", e(&r.plan.phase)),
        ("Plan file", code(&r.plan.path)),
        ("Plan checksum (SHA-256)", format!("<code class=\"hash\">{}</code>", e(&r.plan.checksum))),
        ("Scheduled", format!("{} (planned {})", e(&r.plan.scheduled), c::hours(r.plan.planned_hours))),
        ("Run id", code(&r.run_id)),
        ("Operator", e(&r.operator)),
        ("Started", e(&r.started_at)),
        ("Finished", finished),
        ("Server", e(&c::server_line(r))),
        ("Host", if t.port.is_empty() { code(&t.host) } else { format!("{} port {}", code(&t.host), e(&t.port)) }),
        ("Database", format!("{} as user {}", code(&t.database), code(&t.user))),
        ("Outcome", e(&c::outcome_line(&r.outcome))),
        ("Baseline", e(&c::baseline_line(r))),
        ("Report", format!("pgstage {}, run result format_version {}", env!("CARGO_PKG_VERSION"), r.format_version)),
    ];
    if let Some(line) = c::rehearsal_line(r) {
        let after_database = rows.iter().position(|(k, _)| *k == "Database").map_or(rows.len(), |i| i + 1);
        rows.insert(after_database, ("Rehearsal", e(&line)));
    }
    o.push_str("<table class=\"kv\">\n");
    for (k, v) in rows {
        let _ = writeln!(o, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    o.push_str("</table>\n");
}

fn failure(o: &mut String, r: &RunResult) {
    match &r.outcome {
        Outcome::Failed { step, error } => {
            let _ = writeln!(
                o,
                "<h2>Failure</h2>\n<div class=\"notice\"><p>The run stopped at <strong>{}</strong>. The error:</p>",
                e(step)
            );
            pre(o, "error", error);
            target_state(o, r);
            o.push_str("</div>\n");
        }
        Outcome::Cancelled { step } => {
            let _ = writeln!(
                o,
                "<h2>Cancelled</h2>\n<div class=\"notice\"><p>The operator cancelled the run during <strong>{}</strong>; the migration in progress was rolled back.</p>",
                e(step)
            );
            target_state(o, r);
            o.push_str("</div>\n");
        }
        Outcome::InProgress => {
            o.push_str("<h2>In progress</h2>\n<div class=\"notice\"><p>The run has not finished: this report shows what has happened so far.</p></div>\n");
        }
        Outcome::Completed => {}
    }
}

/// What the stopped run left on the target, and what to do next.
fn target_state(o: &mut String, r: &RunResult) {
    if let Some(state) = claims::target_state(r) {
        let _ = writeln!(o, "<p><strong>State left:</strong> {}</p>", e(&state));
    }
}

fn summary(o: &mut String, r: &RunResult) {
    o.push_str("<h2>Summary</h2>\n<table class=\"compact\">\n<thead><tr><th>Section</th><th class=\"num\">Checks</th><th class=\"num\">Pass</th><th class=\"num\">Fail</th><th class=\"num\">Warn</th><th class=\"num\">N/A</th><th class=\"num\">Skipped</th></tr></thead>\n<tbody>\n");
    let row = |o: &mut String, title: &str, t: c::Tally, strong: bool| {
        let (a, b) = if strong { ("<strong>", "</strong>") } else { ("", "") };
        let _ = writeln!(
            o,
            "<tr><td>{a}{title}{b}</td><td class=\"num\">{a}{}{b}</td><td class=\"num\">{a}{}{b}</td><td class=\"num\">{a}{}{b}</td><td class=\"num\">{a}{}{b}</td><td class=\"num\">{a}{}{b}</td><td class=\"num\">{a}{}{b}</td></tr>",
            t.total(),
            t.pass,
            t.fail,
            t.warn,
            t.na,
            t.skipped
        );
    };
    for (title, t) in c::summary_rows(r) {
        if t.total() == 0 && r.outcome != Outcome::Completed {
            let _ = writeln!(o, "<tr><td>{title}</td><td class=\"muted\" colspan=\"6\">not reached</td></tr>");
            continue;
        }
        row(o, title, t, false);
    }
    row(o, "All", c::Tally::of(r.all_checks()), true);
    o.push_str("</tbody>\n</table>\n");
}

fn charts(o: &mut String, r: &RunResult) {
    o.push_str("<figure>\n<figcaption>Schema objects before and after the migrations</figcaption>\n");
    o.push_str(&svg::schema_chart(&c::schema_rows(r)));
    o.push_str("</figure>\n");
    if !r.migrations.is_empty() {
        o.push_str("<figure>\n<figcaption>Migration timings: actual against the expected range</figcaption>\n");
        o.push_str(&svg::timing_chart(&r.migrations));
        o.push_str("</figure>\n");
    }
}

fn checks_table(o: &mut String, r: &RunResult, checks: &[&CheckResult]) {
    if checks.is_empty() {
        let _ = writeln!(o, "<p class=\"muted\">{}</p>", e(&c::empty_reason(r)));
        return;
    }
    let _ = writeln!(o, "<p>Result: {}.</p>", e(&c::Tally::of(checks.iter().copied()).text()));
    o.push_str("<table>\n<thead><tr><th>ID</th><th>Group</th><th>Check</th><th>Expected</th><th>Actual</th><th>Status</th><th class=\"num\">Time</th></tr></thead>\n<tbody>\n");
    for ch in checks {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            e(&ch.id),
            e(&ch.group),
            e(&ch.title),
            lines(&c::value_text(ch, &ch.expected)),
            lines(&c::value_text(ch, &ch.actual)),
            badge(ch.status),
            c::fmt_ms(ch.duration_ms)
        );
    }
    o.push_str("</tbody>\n</table>\n");
    for ch in checks {
        let note = c::check_note(ch);
        let sql = (ch.status != Status::Pass && !ch.sql.trim().is_empty()).then_some(ch.sql.trim());
        if note.is_none() && sql.is_none() {
            continue;
        }
        let _ = writeln!(o, "<p><strong>{}</strong> ({}):</p>", e(&ch.id), ch.status.label());
        if let Some(note) = note {
            pre(o, "note", note);
        }
        if let Some(sql) = sql {
            pre(o, "sql", sql);
        }
    }
}

fn preflight(o: &mut String, r: &RunResult) {
    o.push_str("<h2>Pre-flight</h2>\n<h3>Checks</h3>\n");
    checks_table(o, r, &c::preflight_checks(r));
    if !r.drift.is_empty() {
        o.push_str("<h3>Drift from the rehearsed baseline</h3>\n<p>What this database holds that the plan's sandbox rehearsal did not, or lacks:</p>\n");
        o.push_str("<table>\n<thead><tr><th>Kind</th><th>Object</th><th>Difference</th></tr></thead>\n<tbody>\n");
        for d in &r.drift {
            let _ = writeln!(
                o,
                "<tr><td class=\"nowrap\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
                e(&d.kind),
                e(&d.object),
                e(&d.what)
            );
        }
        o.push_str("</tbody>\n</table>\n");
    }
    o.push_str("<h3>Manual items</h3>\n");
    let rows = c::manual_rows(r);
    if rows.is_empty() {
        let _ = writeln!(
            o,
            "<p class=\"muted\">{}</p>",
            if r.outcome == Outcome::Completed { "No manual items in the plan." } else { "None acknowledged." }
        );
        return;
    }
    o.push_str("<table>\n<thead><tr><th>Item</th><th>What</th><th>Owner</th><th>Acknowledged by</th><th>At</th><th>Status</th></tr></thead>\n<tbody>\n");
    for m in rows {
        let dash = || "–".to_string();
        let _ = writeln!(
            o,
            "<tr><td class=\"nowrap\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td>{}</td></tr>",
            e(&m.item),
            e(&m.title),
            e(&m.owner),
            if m.acknowledged { e(&m.by) } else { dash() },
            if m.acknowledged { e(&m.at) } else { dash() },
            if m.acknowledged {
                "<span class=\"badge b-pass\">ACKNOWLEDGED</span>"
            } else {
                "<span class=\"badge b-fail\">NOT ACKNOWLEDGED</span>"
            }
        );
    }
    o.push_str("</tbody>\n</table>\n");
}

fn migrations(o: &mut String, r: &RunResult) {
    o.push_str("<h2>Migrations</h2>\n");
    if r.migrations.is_empty() {
        o.push_str("<p class=\"muted\">No migrations in the plan.</p>\n");
        return;
    }
    let applied = r.migrations.iter().filter(|m| m.status == MigrationStatus::Applied).count();
    let _ = writeln!(
        o,
        "<p>Total migration time: {} ({applied} of {} applied in this run).</p>",
        e(&c::fmt_ms(r.total_migration_ms())),
        r.migrations.len()
    );
    o.push_str("<table>\n<thead><tr><th>Migration</th><th>Title</th><th class=\"num\">Expected</th><th class=\"num\">Actual</th><th>vs expected</th><th class=\"num\">Statements</th><th>Objects created</th><th>vs plan</th><th>Status</th></tr></thead>\n<tbody>\n");
    for m in &r.migrations {
        let actual = if m.status == MigrationStatus::NotRun { "–".to_string() } else { c::fmt_ms(m.duration_ms) };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&m.id),
            e(&m.title),
            e(&c::range_text(m)),
            e(&actual),
            c::timing_text(m),
            c::statements_text(m),
            e(&c::created_text(m)),
            e(&c::objects_verdict(m)),
            migration_badge(&m.status)
        );
    }
    o.push_str(
        "</tbody>\n</table>\n<p class=\"muted\">Indexes created include those backing primary keys and unique constraints.</p>\n",
    );
    o.push_str(
        "<table>\n<thead><tr><th>Migration</th><th>File</th><th>SHA-256</th><th>Slowest statement</th></tr></thead>\n<tbody>\n",
    );
    for m in &r.migrations {
        let slowest = c::slowest_statement(m).map_or("–".into(), |(line, ms)| format!("line {line}: {}", c::fmt_ms(ms)));
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td><code class=\"hash\">{}</code></td><td class=\"nowrap\">{}</td></tr>",
            e(&m.id),
            code(&m.file),
            e(&m.checksum),
            slowest
        );
    }
    o.push_str("</tbody>\n</table>\n");
    let earlier: Vec<String> =
        r.migrations.iter().filter_map(|m| c::earlier_text(m).map(|t| format!("<li>{}: {}</li>", e(&m.id), e(&t)))).collect();
    if !earlier.is_empty() {
        let _ = writeln!(o, "<p>Applied by an earlier run (from the ledger):</p>\n<ul>{}</ul>", earlier.join(""));
    }
    let data = c::data_lines(r);
    if !data.is_empty() {
        o.push_str("<h3>What the migrations did to pre-existing data</h3>\n<p class=\"muted\">Measured in each migration's own transaction (the application's concurrent traffic never counts).</p>\n<ul>\n");
        for (id, lines) in &data {
            let _ = writeln!(o, "<li><strong>{}</strong>: {}</li>", e(id), e(&lines.join("; ")));
        }
        o.push_str("</ul>\n");
    }
    let waits = c::lock_wait_lines(r);
    if !waits.is_empty() {
        o.push_str("<h3>Lock waits</h3>\n<ul>\n");
        for w in &waits {
            let _ = writeln!(o, "<li>{}</li>", e(w));
        }
        o.push_str("</ul>\n");
    }
    for m in r.migrations.iter().filter(|m| m.error.is_some()) {
        let _ = writeln!(
            o,
            "<h3>Migration {} – {}: {}</h3>\n<p>File {}, stopped after {} of {} statements. The error:</p>",
            e(&m.id),
            e(&m.title),
            c::migration_status_label(&m.status),
            code(&m.file),
            m.statements_done,
            m.statements
        );
        pre(o, "error", m.error.as_deref().unwrap_or_default());
    }
}

fn schema_summary(o: &mut String, r: &RunResult) {
    let _ = writeln!(
        o,
        "<h2>Schema summary</h2>\n<p>Object counts in schema {}, before and after the migrations, against the plan's expectations.</p>",
        code(&r.schema_counts.schema)
    );
    let show = |v: Option<usize>| v.map_or("–".to_string(), |n| n.to_string());
    o.push_str("<table class=\"compact\">\n<thead><tr><th>Objects</th><th class=\"num\">Before</th><th class=\"num\">After</th><th class=\"num\">New</th><th>Expected</th></tr></thead>\n<tbody>\n");
    for row in c::schema_rows(r) {
        let new = row.new_objects().map_or("–".into(), |n| format!("{n:+}"));
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{new}</td><td>{}</td></tr>",
            row.label(),
            show(row.before),
            show(row.after),
            e(&row.expected_text())
        );
    }
    o.push_str("</tbody>\n</table>\n");
    if r.schema_counts.after.is_empty() {
        o.push_str("<p class=\"muted\">After: not measured (the run stopped before verification).</p>\n");
    }
    let others = c::other_counts(r);
    if !others.is_empty() {
        let _ = writeln!(o, "<p class=\"muted\">Also: {}.</p>", e(&others.join(", ")));
    }
    o.push_str("<h3>Schema summary checks</h3>\n");
    checks_table(o, r, &c::section(r, Section::SchemaSummary).checks);
}

fn checks_section(o: &mut String, r: &RunResult, s: &SectionChecks) {
    let _ = writeln!(o, "<h2>{}</h2>", s.title);
    checks_table(o, r, &s.checks);
}

fn rollback(o: &mut String, r: &RunResult) {
    o.push_str("<h2>Rollback rehearsal</h2>\n");
    let Some(rb) = &r.rollback else {
        let why =
            if r.outcome == Outcome::Completed { "No rollback rehearsal in the plan.".to_string() } else { c::empty_reason(r) };
        let _ = writeln!(o, "<p class=\"muted\">{}</p>", e(&why));
        return;
    };
    let d = &rb.diff_from_baseline;
    let matches = if rb.matches_baseline() {
        "<span class=\"badge b-pass\">YES</span> the catalog after the rollback equals the baseline"
    } else {
        "<span class=\"badge b-fail\">NO</span>"
    };
    o.push_str("<table class=\"kv\">\n");
    let _ = writeln!(o, "<tr><th>Script</th><td>{}</td></tr>", code(&rb.script));
    let _ = writeln!(o, "<tr><th>Time</th><td>{}</td></tr>", c::fmt_ms(rb.duration_ms));
    let _ = writeln!(o, "<tr><th>Back to the baseline</th><td>{matches}</td></tr>");
    let _ = writeln!(
        o,
        "<tr><th>Differences</th><td>{} left, {} missing, {} changed</td></tr>",
        d.appeared.len(),
        d.vanished.len(),
        d.changed.len()
    );
    let _ = writeln!(o, "<tr><th>Migrations re-applied afterwards</th><td>{}</td></tr>", if rb.reapplied { "yes" } else { "no" });
    o.push_str("</table>\n");
    if let Some(err) = &rb.error {
        o.push_str("<p>The rollback failed:</p>\n");
        pre(o, "error", err);
    }
    if !d.is_empty() {
        o.push_str("<p>Differences from the baseline:</p>\n<ul>\n");
        for x in &d.appeared {
            let _ = writeln!(o, "<li>left behind: {} {}</li>", x.kind.label(), code(&x.name));
        }
        for x in &d.vanished {
            let _ = writeln!(o, "<li>missing: {} {}</li>", x.kind.label(), code(&x.name));
        }
        for x in &d.changed {
            let _ = writeln!(
                o,
                "<li>changed: {} {}: {} → {}</li>",
                x.object.kind.label(),
                code(&x.object.name),
                e(&x.before),
                e(&x.after)
            );
        }
        o.push_str("</ul>\n");
    }
    o.push_str("<h3>Checks after the rollback</h3>\n");
    checks_table(o, r, &rb.checks.iter().collect::<Vec<_>>());
}

fn deviations(o: &mut String, r: &RunResult) {
    o.push_str("<h2>Deviations from the plan</h2>\n");
    let list = c::deviations(r);
    if list.is_empty() {
        o.push_str("<p>None: everything ran as the plan expected.</p>\n");
        return;
    }
    o.push_str("<ul>\n");
    for d in list {
        let _ = writeln!(o, "<li>{}</li>", e(&d));
    }
    o.push_str("</ul>\n");
}

fn verdict(o: &mut String, r: &RunResult) {
    let word = c::verdict_word(r);
    let _ = writeln!(o, "<h2>Verdict: {}</h2>", claims::verdict_headline(r));
    if r.verdict.default_criteria {
        o.push_str("<p>The plan names no criteria: pgstage's default set judged this run.</p>\n");
    }
    if let Some(able) = claims::able_to_fail_summary(r) {
        let _ = writeln!(o, "<p><strong>Checks proven able to fail:</strong> {}.</p>", e(&able));
    }
    if r.verdict.criteria.is_empty() {
        o.push_str("<p class=\"muted\">No criteria judged yet.</p>\n");
    } else {
        o.push_str("<table>\n<thead><tr><th style=\"width:13%\">ID</th><th style=\"width:10%\">Group</th><th style=\"width:27%\">Criterion</th><th style=\"width:8%\">Kind</th><th style=\"width:10%\">Result</th><th>Reason</th></tr></thead>\n<tbody>\n");
        for k in &r.verdict.criteria {
            let class = match (k.met, k.kind) {
                (Met::Yes, _) => "b-pass",
                (Met::No, CriterionKind::Hard) => "b-fail",
                (Met::No, _) => "b-warn",
                (Met::NotApplicable, _) => "b-na",
                (Met::NotReached, _) => "b-warn",
            };
            let _ = writeln!(
                o,
                "<tr><td class=\"nowrap\">{}</td><td>{}</td><td>{}</td><td>{}</td><td><span class=\"badge {class}\">{}</span></td><td>{}</td></tr>",
                e(&k.id),
                e(&k.group),
                e(&k.title),
                c::kind_label(k.kind),
                c::met_label(k.met, k.kind),
                lines(&k.reason)
            );
        }
        o.push_str("</tbody>\n</table>\n");
    }
    if !r.verdict.reasons.is_empty() {
        let _ = writeln!(o, "<p>Reasons for {word}:</p>\n<ul>");
        for reason in &r.verdict.reasons {
            let _ = writeln!(o, "<li>{}</li>", lines(reason));
        }
        o.push_str("</ul>\n");
    } else if let Some((verdict, rest)) = claims::go_sentence(r) {
        let _ = writeln!(o, "<p>Every hard criterion is met: <strong>{verdict}</strong>{rest}</p>");
    }
}

fn sign_off(o: &mut String, r: &RunResult, signoff: &[SignOff]) {
    let _ = writeln!(
        o,
        "<section class=\"signoff\">\n<h2>Sign-off</h2>\n<p>By signing, the signatories confirm the results above and the verdict <strong>{}</strong>.</p>",
        c::verdict_word(r)
    );
    o.push_str("<table class=\"sign\">\n<thead><tr><th style=\"width:22%\">Name</th><th style=\"width:18%\">Role</th><th style=\"width:24%\">Comment</th><th style=\"width:24%\">Signature</th><th style=\"width:12%\">Date</th></tr></thead>\n<tbody>\n");
    if signoff.is_empty() {
        for role in c::blank_signoff_roles(r) {
            let _ = writeln!(o, "<tr><td></td><td>{}</td><td></td><td></td><td></td></tr>", e(&role));
        }
    } else {
        for s in signoff {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td></td><td></td></tr>",
                e(&s.name),
                e(&s.role),
                e(&super::markdown::signed_comment(s))
            );
        }
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}
