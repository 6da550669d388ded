//! The Locks section of every report: per statement, the locks taken on pre-existing
//! relations (mode, what it blocks, how long it was held, what probes from another session
//! saw), the findings with their advice (accepted ones marked, never hidden) and the
//! application sessions kept waiting. Markdown and HTML render the same rows from here.

use std::fmt::Write;

use super::cell;
use super::content::{count_of, fmt_ms};
use super::escape as e;
use crate::run_result::{BlockedSession, Finding, LockTaken, MigrationResult, RunResult, StatementTrace};

/// One lock of the trace, in words.
pub struct LockRow {
    pub migration: String,
    pub statement: String,
    pub relation: String,
    pub kind: String,
    pub mode: String,
    pub blocks: String,
    pub held: String,
    pub reads: &'static str,
    pub writes: &'static str,
}

/// What a probe from another session saw: "blocked", "go on", or "–" (not probed).
pub fn probe(p: Option<bool>) -> &'static str {
    match p {
        Some(true) => "blocked",
        Some(false) => "go on",
        None => "–",
    }
}

impl LockRow {
    pub fn new(m: &MigrationResult, t: &StatementTrace, l: &LockTaken) -> Self {
        LockRow {
            migration: m.id.clone(),
            statement: t.statement.clone(),
            relation: l.relation.clone(),
            kind: l.kind.clone(),
            mode: l.mode.to_string(),
            blocks: l.blocks.map_or("–", |b| b.label()).to_owned(),
            held: fmt_ms(l.held_ms),
            reads: probe(l.read_blocked),
            writes: probe(l.write_blocked),
        }
    }
}

pub fn lock_rows(r: &RunResult) -> Vec<LockRow> {
    r.migrations
        .iter()
        .flat_map(|m| m.trace.iter().flat_map(move |t| t.locks.iter().map(move |l| LockRow::new(m, t, l))))
        .collect()
}

/// The application sessions each migration kept waiting.
fn blocked(r: &RunResult) -> impl Iterator<Item = (&str, &BlockedSession)> {
    r.migrations.iter().flat_map(|m| m.blocked_sessions.iter().map(move |b| (m.id.as_str(), b)))
}

/// What a finding saw, with its estimate when there is one.
fn what(f: &Finding) -> String {
    if f.estimate.is_empty() { f.message.clone() } else { format!("{} ({})", f.message, f.estimate) }
}

pub fn findings(r: &RunResult) -> Vec<(&str, &Finding)> {
    r.migrations.iter().flat_map(|m| m.findings.iter().map(move |f| (m.id.as_str(), f))).collect()
}

/// "open", or "accepted: reason".
pub fn finding_status(f: &Finding) -> String {
    f.accepted.as_ref().map_or("open".into(), |reason| format!("accepted: {reason}"))
}

/// The relation's size here, in words ("–" when it was not measured: a table's cell).
pub fn size_text(f: &Finding) -> String {
    known_size(f).unwrap_or_else(|| "–".into())
}

/// The relation's size here, in words, when it was measured.
pub fn known_size(f: &Finding) -> Option<String> {
    let rows = |n: i64| {
        let estimate = if f.rows_estimated { " (estimate)" } else { "" };
        format!("{}{estimate}", count_of(n as usize, "rows"))
    };
    Some(match (f.rows, f.bytes) {
        (Some(0), _) if !f.rows_estimated => "empty".into(),
        (Some(n), Some(b)) => format!("{}, {:.1} MB", rows(n), b as f64 / 1_048_576.0),
        (Some(n), None) => rows(n),
        (None, Some(b)) => format!("rows unknown, {:.1} MB", b as f64 / 1_048_576.0),
        (None, None) => return None,
    })
}

pub fn markdown(o: &mut String, r: &RunResult) {
    o.push_str("## Locks\n\n");
    let rows = lock_rows(r);
    if rows.is_empty() {
        o.push_str("No lock on a pre-existing relation was traced.\n\n");
    } else {
        o.push_str("Locks each statement took on pre-existing relations, held until its migration's COMMIT; probes from another session right after the statement: could a read, a write, go on?\n\n");
        o.push_str("| Migration | Statement | Relation | Kind | Lock | Blocks | Held | Reads | Writes |\n|---|---|---|---|---|---|---:|---|---|\n");
        for l in &rows {
            let _ = writeln!(
                o,
                "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} |",
                cell(&l.migration),
                l.statement,
                cell(&l.relation),
                l.kind,
                l.mode,
                l.blocks,
                l.held,
                l.reads,
                l.writes
            );
        }
        o.push('\n');
    }
    let found = findings(r);
    o.push_str("### Findings\n\n");
    if found.is_empty() {
        o.push_str("None.\n\n");
    } else {
        o.push_str("| Migration | Severity | Rule | Statement | Relation | Lock | Blocks | Size here | What happened | Safer pattern | Status |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (id, f) in &found {
            let what = what(f);
            let _ = writeln!(
                o,
                "| {} | {} | {} | `{}` | {} | {} | {} | {} | {} | {} | {} |",
                cell(id),
                f.severity.label(),
                f.rule,
                f.statement,
                cell(&f.relation),
                f.lock,
                f.blocks,
                size_text(f),
                cell(&what),
                cell(&f.advice),
                cell(&finding_status(f))
            );
        }
        o.push('\n');
    }
    let blocked: Vec<String> = blocked(r)
        .map(|(id, b)| {
            format!(
                "- {id}: pid {} ({}, user {}) waited {}: `{}`",
                b.pid,
                b.application_name,
                b.user,
                fmt_ms(b.waited_ms),
                b.query.replace('`', "'")
            )
        })
        .collect();
    if !blocked.is_empty() {
        let _ = writeln!(o, "### Application sessions kept waiting\n\n{}\n", blocked.join("\n"));
    }
}

pub fn html(o: &mut String, r: &RunResult) {
    o.push_str("<h2>Locks</h2>\n");
    let rows = lock_rows(r);
    if rows.is_empty() {
        o.push_str("<p class=\"muted\">No lock on a pre-existing relation was traced.</p>\n");
    } else {
        o.push_str("<p class=\"muted\">Locks each statement took on pre-existing relations, held until its migration's COMMIT; probes from another session right after the statement: could a read, a write, go on?</p>\n");
        o.push_str("<table>\n<thead><tr><th>Migration</th><th>Statement</th><th>Relation</th><th>Kind</th><th>Lock</th><th>Blocks</th><th class=\"num\">Held</th><th>Reads</th><th>Writes</th></tr></thead>\n<tbody>\n");
        for l in &rows {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                e(&l.migration),
                e(&l.statement),
                e(&l.relation),
                e(&l.kind),
                e(&l.mode),
                e(&l.blocks),
                e(&l.held),
                l.reads,
                l.writes
            );
        }
        o.push_str("</tbody>\n</table>\n");
    }
    o.push_str("<h3>Findings</h3>\n");
    let found = findings(r);
    if found.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        o.push_str("<table class=\"findings\">\n<thead><tr><th>Migration</th><th>Severity</th><th>Rule</th><th>Statement</th><th>Relation</th><th>Lock</th><th>Blocks</th><th>Size here</th><th>What happened</th><th>Safer pattern</th><th>Status</th></tr></thead>\n<tbody>\n");
        for (id, f) in &found {
            let what = what(f);
            let class = match (f.accepted.is_some(), f.severity) {
                (true, _) => "b-na",
                (_, crate::run_result::FindingSeverity::Error) => "b-fail",
                (_, crate::run_result::FindingSeverity::Warning) => "b-warn",
                _ => "b-na",
            };
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td><span class=\"badge {class}\">{}</span></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(id),
                f.severity.label(),
                e(f.rule.as_str()),
                e(&f.statement),
                e(&f.relation),
                e(&f.lock),
                e(&f.blocks),
                e(&size_text(f)),
                e(&what),
                e(&f.advice),
                e(&finding_status(f))
            );
        }
        o.push_str("</tbody>\n</table>\n");
    }
    let blocked: Vec<String> = blocked(r)
        .map(|(id, b)| {
            format!(
                "<li>{}: pid {} ({}, user {}) waited {}: <code>{}</code></li>",
                e(id),
                b.pid,
                e(&b.application_name),
                e(&b.user),
                fmt_ms(b.waited_ms),
                e(&b.query)
            )
        })
        .collect();
    if !blocked.is_empty() {
        let _ = writeln!(o, "<h3>Application sessions kept waiting</h3>\n<ul>{}</ul>", blocked.join(""));
    }
}
