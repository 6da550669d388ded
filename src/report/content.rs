//! What every human-readable format says, computed once: the Markdown and HTML reports
//! render the same facts (sections, deviations, schema summary, sign-off lines) from here, so
//! they never disagree.

use crate::db::snapshot::Kind;
use crate::plan::{CriterionKind, MsRange, Section};
use crate::run_result::{
    BaselineSource, CheckResult, Met, MigrationResult, MigrationStatus, Outcome, RunResult, Status, TableChange,
};

/// A section of checks, in run order, with its title for people.
pub struct SectionChecks<'a> {
    pub title: &'static str,
    pub checks: Vec<&'a CheckResult>,
}

/// The check sections after pre-flight and before the rollback (pre-flight and rollback have
/// report sections of their own), in run order.
pub fn check_sections() -> impl Iterator<Item = Section> {
    Section::ALL.iter().copied().filter(|s| !matches!(s, Section::Preflight | Section::Rollback))
}

/// A section's title in reports.
pub fn section_title(section: Section) -> &'static str {
    match section {
        Section::Preflight => "Pre-flight",
        Section::Verification => "Verification",
        Section::SchemaSummary => "Schema summary checks",
        Section::Integrity => "Integrity",
        Section::SampleData => "Sample data",
        Section::Rls => "Row-level security",
        Section::Performance => "Performance",
        Section::Rollback => "Rollback rehearsal",
    }
}

pub fn section(r: &RunResult, section: Section) -> SectionChecks<'_> {
    SectionChecks { title: section_title(section), checks: r.section(section).iter().collect() }
}

/// The automated pre-flight checks (manual items are listed with the acknowledgements).
pub fn preflight_checks(r: &RunResult) -> Vec<&CheckResult> {
    r.preflight.iter().filter(|c| c.group != "manual").collect()
}

/// One manual pre-flight item: who owns it, who acknowledged it and when.
pub struct ManualRow {
    pub item: String,
    pub title: String,
    pub owner: String,
    pub by: String,
    pub at: String,
    pub acknowledged: bool,
}

/// The manual items: the acknowledgements, and the items the gate found unacknowledged.
pub fn manual_rows(r: &RunResult) -> Vec<ManualRow> {
    let mut rows: Vec<ManualRow> = r
        .acknowledgements
        .iter()
        .map(|a| ManualRow {
            item: a.item.clone(),
            title: a.title.clone(),
            owner: r.preflight.iter().find(|c| c.group == "manual" && c.id == a.item).map_or(String::new(), |c| c.detail.clone()),
            by: a.by.clone(),
            at: a.at.clone(),
            acknowledged: true,
        })
        .collect();
    for c in r.preflight.iter().filter(|c| c.group == "manual" && c.status != Status::Pass) {
        if !rows.iter().any(|m| m.item == c.id) {
            rows.push(ManualRow {
                item: c.id.clone(),
                title: c.title.clone(),
                owner: c.detail.clone(),
                by: String::new(),
                at: String::new(),
                acknowledged: false,
            });
        }
    }
    rows
}

/// Why a section holds no result: not reached, or nothing planned.
pub fn empty_reason(r: &RunResult) -> String {
    match &r.outcome {
        Outcome::Completed => "No checks of this kind in the plan.".into(),
        Outcome::Failed { step, .. } => format!("Not reached: the run failed at {step}."),
        Outcome::Cancelled { step } => format!("Not reached: the run was cancelled during {step}."),
        Outcome::InProgress => "Not reached yet: the run is in progress.".into(),
    }
}

/// The run's outcome in words (one line; the error is shown separately).
pub fn outcome_line(o: &Outcome) -> String {
    match o {
        Outcome::Completed => "Completed: every step ran".into(),
        Outcome::Failed { step, .. } => format!("FAILED at {step}"),
        Outcome::Cancelled { step } => format!("CANCELLED by the operator during {step}"),
        Outcome::InProgress => "IN PROGRESS: a partial result".into(),
    }
}

/// The server in words: its version, and for a sandbox that it is one (not staging) and
/// whose binaries it ran.
pub fn server_line(r: &RunResult) -> String {
    match &r.sandbox {
        Some(s) => format!(
            "PostgreSQL {} (sandbox: a throwaway local cluster, not staging; PostgreSQL {} from {}){}",
            r.server_version,
            s.version,
            s.bindir,
            r.clone.as_ref().map_or(String::new(), |c| format!("; {}", c.sentence()))
        ),
        None => format!("PostgreSQL {}", r.server_version),
    }
}

/// For a run on a database: the plan's last rehearsal on record (when there is one), and the
/// warning when it ran on another major version.
pub fn rehearsal_line(r: &RunResult) -> Option<String> {
    let h = r.rehearsal.as_ref()?;
    let line = format!(
        "sandbox run {} on PostgreSQL {}, {} ({})",
        h.run_id,
        h.server_version,
        h.finished_at,
        if h.go { "GO" } else { "NO-GO" }
    );
    Some(match r.rehearsal_warning() {
        Some(warning) => format!("{line}. WARNING: {warning}"),
        None => line,
    })
}

/// "GO", "NO-GO", or undecided while the run is in progress.
pub fn verdict_word(r: &RunResult) -> &'static str {
    if r.outcome == Outcome::InProgress && r.verdict.criteria.is_empty() {
        "NOT DECIDED"
    } else if r.verdict.go {
        "GO"
    } else {
        "NO-GO"
    }
}

/// `user@host:port/dbname` split for the header (never holds a password).
pub struct TargetParts {
    pub user: String,
    pub host: String,
    pub port: String,
    pub database: String,
}

pub fn target_parts(target: &str) -> TargetParts {
    let (user, rest) = target.rsplit_once('@').map_or(("", target), |(u, r)| (u, r));
    let (hostport, database) = rest.rsplit_once('/').map_or((rest, ""), |(h, d)| (h, d));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit() || c == ',') => (h, p),
        _ => (hostport, ""),
    };
    TargetParts { user: user.into(), host: host.into(), port: port.into(), database: database.into() }
}

/// Milliseconds for people: two decimals under 1 ms, one under 100 ms, seconds from 10 s.
pub fn fmt_ms(ms: f64) -> String {
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

pub fn range_text(m: &MigrationResult) -> String {
    MsRange::label(m.expected_ms)
}

/// How a migration's time compares with its expected range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    Faster,
    Within,
    Slower,
    /// Not applied in this run (failed, cancelled, not run, already applied).
    NotMeasured,
}

pub fn timing(m: &MigrationResult) -> Timing {
    if m.status != MigrationStatus::Applied {
        return Timing::NotMeasured;
    }
    // As the verdict judges it: the time as printed (`fmt_ms`), range inclusive.
    let Some(range) = m.expected_ms else { return Timing::NotMeasured };
    match range.judge(m.duration_ms) {
        std::cmp::Ordering::Less => Timing::Faster,
        std::cmp::Ordering::Equal => Timing::Within,
        std::cmp::Ordering::Greater => Timing::Slower,
    }
}

pub fn timing_text(m: &MigrationResult) -> &'static str {
    match timing(m) {
        Timing::Faster => "faster",
        Timing::Within => "within range",
        Timing::Slower => "SLOWER",
        Timing::NotMeasured => "–",
    }
}

pub fn migration_status_label(s: &MigrationStatus) -> &'static str {
    match s {
        MigrationStatus::Applied => "APPLIED",
        MigrationStatus::AlreadyApplied => "ALREADY APPLIED",
        MigrationStatus::Failed => "FAILED",
        MigrationStatus::Cancelled => "CANCELLED",
        MigrationStatus::NotRun => "NOT RUN",
    }
}

/// "5 tables, 16 foreign keys, …" in the snapshot's kind order ("none" when nothing appeared),
/// then what the migration altered and dropped of what existed ("none; altered: 2 tables").
pub fn created_text(m: &MigrationResult) -> String {
    let parts: Vec<String> = Kind::ALL
        .iter()
        .filter_map(|k| m.created.get(k.label()).filter(|v| !v.is_empty()).map(|v| count_of(v.len(), k.label())))
        .chain(
            m.created
                .iter()
                .filter(|(k, v)| !v.is_empty() && !Kind::ALL.iter().any(|x| x.label() == k.as_str()))
                .map(|(k, v)| count_of(v.len(), k)),
        )
        .collect();
    let created = if parts.is_empty() { "none".into() } else { parts.join(", ") };
    let mut out = vec![created];
    for (what, refs) in
        [("altered", m.altered.iter().map(|c| &c.object).collect::<Vec<_>>()), ("dropped", m.dropped.iter().collect())]
    {
        let counts: Vec<String> = Kind::ALL
            .iter()
            .map(|k| refs.iter().filter(|o| o.kind == *k).count())
            .zip(Kind::ALL)
            .filter(|(n, _)| *n > 0)
            .map(|(n, k)| count_of(n, k.label()))
            .collect();
        if !counts.is_empty() {
            out.push(format!("{what}: {}", counts.join(", ")));
        }
    }
    out.join("; ")
}

/// "1 function", "2 functions", "1 RLS policy", "1 index".
pub fn count_of(n: usize, plural: &str) -> String {
    if n != 1 {
        return format!("{n} {plural}");
    }
    let one = if let Some(stem) = plural.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = plural.strip_suffix("xes") {
        format!("{stem}x")
    } else {
        plural.strip_suffix('s').unwrap_or(plural).to_owned()
    };
    format!("1 {one}")
}

/// Created objects against what the plan announced.
pub fn objects_verdict(m: &MigrationResult) -> String {
    match m.status {
        MigrationStatus::Applied if m.object_mismatches.is_empty() => "as announced".into(),
        MigrationStatus::Applied => m.object_mismatches.join("; "),
        MigrationStatus::AlreadyApplied if m.object_mismatches.is_empty() => "present (applied earlier)".into(),
        MigrationStatus::AlreadyApplied => m.object_mismatches.join("; "),
        MigrationStatus::Failed | MigrationStatus::Cancelled => "rolled back: nothing kept".into(),
        MigrationStatus::NotRun => "–".into(),
    }
}

/// The slowest statement of a migration: (line, ms).
pub fn slowest_statement(m: &MigrationResult) -> Option<(usize, f64)> {
    m.statement_timings.iter().max_by(|a, b| a.ms.total_cmp(&b.ms)).map(|t| (t.line, t.ms))
}

/// The migration's time with statement progress, e.g. "37.9 ms (36/36 statements)".
pub fn statements_text(m: &MigrationResult) -> String {
    format!("{}/{}", m.statements_done, m.statements)
}

/// A row of the schema summary: one kind, before / after / what the plan expects.
pub struct SchemaRow {
    pub kind: Kind,
    pub before: Option<usize>,
    pub after: Option<usize>,
    /// The plan's expectations for this kind, from the schema-summary checks.
    pub expected: Vec<Expectation>,
}

/// One schema-summary check's expectation on a kind's count.
pub struct Expectation {
    /// The check's `expected` text, e.g. "≥ 82".
    pub text: String,
    /// It counts only new objects (e.g. "New functions: 12").
    pub new: bool,
    pub id: String,
    pub status: Status,
}

impl Expectation {
    /// "≥ 82", or "≥ 12 new".
    pub fn shown(&self) -> String {
        if self.new { format!("{} new", self.text) } else { self.text.clone() }
    }

    /// The lowest count the expectation allows, as a total (new ones added to `before`), when
    /// its text is `= n`, `≥ n` or `a – b`.
    pub fn threshold(&self, before: Option<usize>) -> Option<f64> {
        let t = self.text.trim();
        let n: f64 = if let Some(rest) = t.strip_prefix('=').or_else(|| t.strip_prefix('≥')) {
            rest.trim().parse().ok()?
        } else {
            t.split_once('–')?.0.trim().parse().ok()?
        };
        if self.new { Some(before? as f64 + n) } else { Some(n) }
    }
}

impl SchemaRow {
    pub fn label(&self) -> &'static str {
        self.kind.label()
    }

    pub fn new_objects(&self) -> Option<i64> {
        Some(self.after? as i64 - self.before? as i64)
    }

    pub fn expected_text(&self) -> String {
        if self.expected.is_empty() {
            return "–".into();
        }
        self.expected.iter().map(|x| format!("{} ({} {})", x.shown(), x.id, x.status.label())).collect::<Vec<_>>().join("; ")
    }
}

/// The kinds the schema summary shows (the run-book's thresholds are about these).
pub const SUMMARY_KINDS: [Kind; 6] = [Kind::Table, Kind::ForeignKey, Kind::Policy, Kind::Index, Kind::Function, Kind::Trigger];

/// Which kind a schema-summary check is about, and whether it counts new objects only: from
/// the catalog metric it measured (a check with an SQL probe is not an object count here).
fn check_kind(c: &CheckResult) -> Option<(Kind, bool)> {
    c.metric.and_then(crate::check::counted)
}

pub fn schema_rows(r: &RunResult) -> Vec<SchemaRow> {
    let counts = &r.schema_counts;
    SUMMARY_KINDS
        .iter()
        .map(|&kind| {
            let expected = r
                .schema_summary
                .iter()
                .filter_map(|c| {
                    let (k, new) = check_kind(c)?;
                    (k == kind).then(|| Expectation { text: c.expected.clone(), new, id: c.id.clone(), status: c.status })
                })
                .collect();
            SchemaRow { kind, before: counts.before.get(&kind).copied(), after: counts.after.get(&kind).copied(), expected }
        })
        .collect()
}

/// The kinds not in the summary table, "label before → after" (for a line under the table).
pub fn other_counts(r: &RunResult) -> Vec<String> {
    let c = &r.schema_counts;
    Kind::ALL
        .iter()
        .filter(|k| !SUMMARY_KINDS.contains(k))
        .filter(|k| c.before.contains_key(k) || c.after.contains_key(k))
        .map(|k| {
            let show = |v: Option<&usize>| v.map_or("–".to_string(), |n| n.to_string());
            format!("{} {} → {}", k.label(), show(c.before.get(k)), show(c.after.get(k)))
        })
        .collect()
}

/// Pass / fail / warn / n/a / skipped counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub na: usize,
    pub skipped: usize,
}

impl Tally {
    pub fn of<'a>(checks: impl IntoIterator<Item = &'a CheckResult>) -> Self {
        let mut t = Tally::default();
        for c in checks {
            match c.status {
                Status::Pass => t.pass += 1,
                Status::Fail => t.fail += 1,
                Status::Warn => t.warn += 1,
                Status::NotApplicable => t.na += 1,
                Status::Skipped => t.skipped += 1,
            }
        }
        t
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.warn + self.na + self.skipped
    }

    /// "16/16 PASS" or "13/15 PASS, 1 WARN, 1 N/A".
    pub fn text(&self) -> String {
        let mut s = format!("{}/{} PASS", self.pass, self.total());
        for (n, l) in [(self.fail, "FAIL"), (self.warn, "WARN"), (self.na, "N/A"), (self.skipped, "SKIPPED")] {
            if n > 0 {
                s.push_str(&format!(", {n} {l}"));
            }
        }
        s
    }
}

/// The summary rows: every section with its tally (sections that ran nothing included).
pub fn summary_rows(r: &RunResult) -> Vec<(&'static str, Tally)> {
    Section::ALL.iter().map(|s| (section_title(*s), Tally::of(r.section(*s)))).collect()
}

/// A check's detail worth showing beside its row (not a repeat of `actual`).
pub fn check_note(c: &CheckResult) -> Option<&str> {
    let d = c.detail.trim();
    (!d.is_empty() && d != c.actual.trim()).then_some(d)
}

/// Everything that differs from the plan, each in one sentence, in run order.
pub fn deviations(r: &RunResult) -> Vec<String> {
    let mut out = Vec::new();
    match &r.outcome {
        Outcome::Completed => {}
        Outcome::Failed { step, error } => out.push(format!("The run failed at {step}: {}", first_line(error))),
        Outcome::Cancelled { step } => out.push(format!("The run was cancelled by the operator during {step}.")),
        Outcome::InProgress => out.push("The run has not finished: this report is a partial result.".into()),
    }
    let deviating = |c: &CheckResult| c.status != Status::Pass;
    let describe = |section: Section, c: &CheckResult| {
        let mut s = format!(
            "{} {} ({}): {}: expected {}, got {}",
            c.status.label(),
            c.id,
            section_title(section),
            c.title,
            value_text(c, &c.expected),
            value_text(c, &c.actual)
        );
        if let Some(note) = check_note(c) {
            s.push_str(&format!(" ({})", first_line(note)));
        }
        s
    };
    for c in r.preflight.iter().filter(|c| deviating(c)) {
        out.push(describe(Section::Preflight, c));
    }
    for m in &r.migrations {
        let id = &m.id;
        match m.status {
            MigrationStatus::Applied => {
                match timing(m) {
                    Timing::Faster => out.push(format!(
                        "Migration {id} took {}: faster than expected ({}).",
                        fmt_ms(m.duration_ms),
                        range_text(m)
                    )),
                    Timing::Slower => out.push(format!(
                        "Migration {id} took {}: slower than expected ({}).",
                        fmt_ms(m.duration_ms),
                        range_text(m)
                    )),
                    _ => {}
                }
                for x in &m.object_mismatches {
                    out.push(format!("Migration {id}: {x}."));
                }
            }
            MigrationStatus::AlreadyApplied => {
                out.push(format!("Migration {id} was already applied (same checksum): not run again."))
            }
            MigrationStatus::Failed => out.push(format!(
                "Migration {id} FAILED after {} of {} statements and was rolled back: {}",
                m.statements_done,
                m.statements,
                first_line(m.error.as_deref().unwrap_or("no error recorded"))
            )),
            MigrationStatus::Cancelled => out.push(format!(
                "Migration {id} was cancelled after {} of {} statements and rolled back.",
                m.statements_done, m.statements
            )),
            MigrationStatus::NotRun => out.push(format!("Migration {id} was not run.")),
        }
    }
    for section in check_sections() {
        let checks = r.section(section);
        if checks.is_empty() && r.outcome != Outcome::Completed {
            out.push(format!("{}: not reached, no check ran.", section_title(section)));
        }
        for c in checks.iter().filter(|c| deviating(c)) {
            out.push(describe(section, c));
        }
    }
    match &r.rollback {
        None if r.outcome != Outcome::Completed => out.push("Rollback rehearsal: not reached.".into()),
        None => {}
        Some(rb) => {
            if let Some(e) = &rb.error {
                out.push(format!("The rollback rehearsal failed: {}", first_line(e)));
            }
            let d = &rb.diff_from_baseline;
            if !d.is_empty() {
                out.push(format!(
                    "After the rollback the catalog differs from the baseline: {} objects left, {} missing, {} changed.",
                    d.appeared.len(),
                    d.vanished.len(),
                    d.changed.len()
                ));
            }
            for c in rb.checks.iter().filter(|c| deviating(c)) {
                out.push(describe(Section::Rollback, c));
            }
            if !rb.reapplied && rb.error.is_none() {
                out.push("The migrations were not re-applied after the rollback rehearsal.".into());
            }
        }
    }
    out
}

/// A criterion's result in words: "met", "NOT MET", "not met (expectation)", "n/a", "not reached".
pub fn met_label(met: Met, kind: CriterionKind) -> &'static str {
    match (met, kind) {
        (Met::Yes, _) => "met",
        (Met::No, CriterionKind::Hard) => "NOT MET",
        (Met::No, CriterionKind::Expectation) => "not met (expectation)",
        (Met::NotApplicable, _) => "n/a",
        (Met::NotReached, _) => "not reached",
    }
}

pub fn kind_label(kind: CriterionKind) -> &'static str {
    match kind {
        CriterionKind::Hard => "hard",
        CriterionKind::Expectation => "expectation",
    }
}

/// The roles offered for signature when no sign-off is given: the owners of the manual
/// pre-flight items (the run result carries no team list), else three blank lines.
pub fn blank_signoff_roles(r: &RunResult) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for c in r.preflight.iter().filter(|c| c.group == "manual") {
        let owner = c.detail.trim();
        if !owner.is_empty() && !roles.iter().any(|x| x == owner) {
            roles.push(owner.to_owned());
        }
    }
    if roles.is_empty() {
        roles = vec![String::new(); 3];
    }
    roles
}

pub fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim_end()
}

/// The plan's planned hours, "5 h" or "2.5 h".
pub fn hours(h: f64) -> String {
    if h.fract() == 0.0 { format!("{h:.0} h") } else { format!("{h} h") }
}

/// Seconds between two RFC 3339 timestamps, when both parse.
pub fn elapsed(start: &str, end: &str) -> Option<String> {
    let a = humantime::parse_rfc3339(start).ok()?;
    let b = humantime::parse_rfc3339(end).ok()?;
    let d = b.duration_since(a).ok()?;
    Some(humantime::format_duration(std::time::Duration::from_secs(d.as_secs())).to_string())
}

/// Where the run's baseline came from, in a sentence.
pub fn baseline_line(r: &RunResult) -> String {
    match &r.baseline {
        BaselineSource::Measured => "measured by this run's pre-flight, before any migration of the plan".into(),
        BaselineSource::Recorded { run_id, recorded_at } => {
            format!(
                "recorded by run {run_id} at {recorded_at}, before the plan's first migration (this run resumes or repeats it)"
            )
        }
        BaselineSource::Unknown { why } => format!("unknown: {why}"),
    }
}

/// "applied at … by run … (operator)" for a migration the ledger already held.
pub fn earlier_text(m: &MigrationResult) -> Option<String> {
    m.applied_earlier.as_ref().map(|e| format!("applied at {} by run {} ({})", e.applied_at, e.run_id, e.operator))
}

/// What one migration did to one pre-existing table, in words.
pub fn table_change_text(t: &TableChange) -> String {
    let mut parts = Vec::new();
    if t.dropped {
        parts.push("table dropped".to_owned());
    }
    if t.truncated {
        parts.push("truncated".to_owned());
    }
    if t.rewritten {
        parts.push("rewritten".to_owned());
    }
    for (n, what) in [(t.inserted, "inserted"), (t.updated, "updated"), (t.deleted, "deleted")] {
        if n > 0 {
            parts.push(format!("{} {what}", count_of(n as usize, "rows")));
        }
    }
    if let Some(to) = &t.renamed_to {
        parts.push(format!("renamed to {to}"));
    }
    for c in &t.renamed_columns {
        parts.push(format!("column {} renamed to {}", c.from, c.to));
    }
    for c in &t.dropped_columns {
        parts.push(format!("column {c} dropped"));
    }
    let estimate = if t.rows_estimated { ", an estimate: statistics not fresh" } else { "" };
    let before = t.rows_before.map_or(String::new(), |n| format!(" (about {} before{estimate})", count_of(n as usize, "rows")));
    format!("{}: {}{before}", t.table, parts.join(", "))
}

/// Per migration that ran or was found applied: what it did to pre-existing data.
pub fn data_lines(r: &RunResult) -> Vec<(String, Vec<String>)> {
    r.migrations
        .iter()
        .filter(|m| matches!(m.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied))
        .map(|m| {
            let mut lines: Vec<String> = m.data.tables.iter().map(table_change_text).collect();
            // Tables whose definition changed (ADD COLUMN, ALTER COLUMN TYPE, DROP NOT NULL…).
            for c in m.altered.iter().filter(|c| c.object.kind == Kind::Table) {
                match m.data.tables.iter().position(|t| t.table == c.object.name) {
                    Some(i) => lines[i].push_str("; definition altered"),
                    None => lines.push(format!("{}: definition altered, no row changed", c.object.name)),
                }
            }
            if lines.is_empty() {
                lines.push("no pre-existing table touched".into());
            }
            if !m.data.rows_measured {
                lines.push("row counts not measured (non-transactional, or applied by a run that recorded none)".into());
            }
            (m.id.clone(), lines)
        })
        .collect()
}

/// Every lock wait of the run (migrations and rollback), each in a sentence.
pub fn lock_wait_lines(r: &RunResult) -> Vec<String> {
    r.migrations
        .iter()
        .flat_map(|m| &m.lock_waits)
        .chain(r.rollback.iter().flat_map(|x| &x.lock_waits))
        .map(crate::run_result::LockWait::sentence)
        .collect()
}

/// A check's expected or actual value as shown: with its unit (MB, s), booleans written the
/// same way on both sides, and "1 row" not "1 rows". The window and every report write values
/// through this.
pub fn value_text(r: &CheckResult, value: &str) -> String {
    use crate::plan::Metric;
    let value = match value {
        // psql's way of writing a boolean, as the server sends it in text: a reader wants
        // the words the plan wrote ("true", "false").
        "t" if matches!(r.expected.as_str(), "true" | "false") => "true",
        "f" if matches!(r.expected.as_str(), "true" | "false") => "false",
        "1 rows" => "1 row",
        v => v,
    };
    let number = value.trim_start_matches(['=', '≥', '≤', '≈', ' ']).chars().next().is_some_and(|c| c.is_ascii_digit());
    let unit = match r.metric {
        Some(Metric::DatabaseSizeMb) if number => "MB",
        Some(Metric::ReplicationLagSeconds) if number => "s",
        _ => return value.to_owned(),
    };
    match value.split_once(" (± ") {
        Some((v, tolerance)) => format!("{v} {unit} (± {tolerance}"),
        None => format!("{value} {unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_is_split_into_user_host_port_database() {
        let t = target_parts("dba@db.staging.example:5432/staging_main");
        assert_eq!(
            (t.user.as_str(), t.host.as_str(), t.port.as_str(), t.database.as_str()),
            ("dba", "db.staging.example", "5432", "staging_main")
        );
        let t = target_parts("postgres@/tmp/pgstage-sandbox-1-0:54320/pgstage_sandbox");
        assert_eq!(
            (t.host.as_str(), t.port.as_str(), t.database.as_str()),
            ("/tmp/pgstage-sandbox-1-0", "54320", "pgstage_sandbox")
        );
        let t = target_parts("al@ice@[::1]:5433/db");
        assert_eq!((t.user.as_str(), t.host.as_str(), t.port.as_str()), ("al@ice", "[::1]", "5433"));
    }

    #[test]
    fn milliseconds_read_well() {
        assert_eq!(fmt_ms(0.0018), "0.00 ms");
        assert_eq!(fmt_ms(37.936), "37.9 ms");
        assert_eq!(fmt_ms(412.4), "412 ms");
        assert_eq!(fmt_ms(12_345.0), "12.3 s");
    }
}
