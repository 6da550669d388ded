//! Reading a Markdown staging run-book shaped like the Week 2 one, line by line: metadata
//! (`**Scheduled Date**: …`), the pre-execution checklist and expected initial state, the
//! execution timeline with each migration (file, expected time, tables, objects), function
//! checks, success criteria, expected results (verification items, schema summary),
//! rollback, go/no-go, team, timeline summary and notes. Every line is recorded with what it
//! became ([`Mapping`]): a plan element, layout (blank lines, rules, fences, headings of
//! lists), or nothing (unmapped, with the reason).

use crate::plan::Section;

/// What became of one line of the run-book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// 1-based.
    pub line: usize,
    pub text: String,
    pub to: Target,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The plan element it became, e.g. `migrations[013].expected_ms`.
    Element(String),
    /// Blank lines, rules, code fences, headings and list labels.
    Layout,
    /// Nothing in the plan says it: why.
    Unmapped(String),
}

/// A migration as the run-book announces it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Announced {
    pub id: String,
    pub title: String,
    pub file: String,
    pub range: Option<(u64, u64)>,
    pub tables: Vec<String>,
    /// Functions named in the function checks, `(from Migration 014)`.
    pub functions: Vec<String>,
    /// "Adds: … 3 functions": the count the migration's own line says.
    pub functions_said: Option<u32>,
    pub indexes: Option<u32>,
    pub policies: Option<u32>,
    pub triggers: Option<u32>,
}

/// A verification item: `✅ positioning table exists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub group: String,
    pub title: String,
    pub tables: Vec<String>,
    pub function: Option<String>,
}

/// A figure with a threshold: `TABLE COUNT: 59 (43 + 16 new)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub what: Figured,
    pub value: i64,
    /// `59+`: at least.
    pub at_least: bool,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Figured {
    Tables,
    NewTables,
    ForeignKeys,
    Policies,
    Indexes,
    NewFunctions,
    DatabaseSizeMb,
}

/// A success criterion line and the rule it reads as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionLine {
    pub group: String,
    pub title: String,
    pub rule: CriterionRule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CriterionRule {
    AllApplied,
    TotalMsBelow(u64),
    NoDataLoss,
    Section(Section),
    NoOrphans,
    NoSlowQueries(u64),
    ReplicationLag(u64),
    /// RLS enabled and working on the new tables (an integrity check).
    RlsOn,
}

/// A timeline entry: `09:00 - 09:30: Preparation (30 min)` or `### 09:30 - … (1 hour)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub at: String,
    pub minutes: u32,
    pub phase: String,
    pub line: usize,
}

/// Everything read from the run-book.
#[derive(Debug, Clone, Default)]
pub struct RunBook {
    pub title: String,
    pub phase: String,
    pub date: String,
    pub time: String,
    pub planned_hours: Option<f64>,
    /// "Expected Duration", "Total: 5 hours": other statements of the planned hours, with lines.
    pub hours_said: Vec<(f64, usize)>,
    pub objective: String,
    pub manual: Vec<String>,
    pub initial: Vec<Figure>,
    pub safety: Vec<&'static str>,
    pub migrations: Vec<Announced>,
    pub items: Vec<Item>,
    /// Per query set: (group, checks it says to expect, line).
    pub item_counts: Vec<(String, usize, usize)>,
    pub summary: Vec<Figure>,
    pub criteria: Vec<CriterionLine>,
    pub detail: Vec<Slot>,
    pub slots: Vec<Slot>,
    /// Timeline steps: (time of the step or of its section, text).
    pub steps: Vec<(String, String)>,
    pub rollback_sql: Vec<String>,
    pub rollback_tables: Option<i64>,
    pub documented_ranges: Vec<(String, (u64, u64), usize)>,
    pub team: Vec<(String, String, String)>,
    pub notes: Vec<String>,
    pub mapping: Vec<Mapping>,
}

fn numbers(s: &str) -> Vec<i64> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            cur.push(c);
        } else if !cur.is_empty() {
            out.extend(cur.parse::<i64>().ok());
            cur.clear();
        }
    }
    out
}

/// `"09:30"` at the start of `s`.
fn clock(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    (b.len() >= 5
        && b[0].is_ascii_digit()
        && b[1].is_ascii_digit()
        && b[2] == b':'
        && b[3].is_ascii_digit()
        && b[4].is_ascii_digit())
    .then(|| s[..5].to_owned())
}

/// `(30 min)`, `(1 hour)`, `(1.5 hours)` → minutes.
fn duration(s: &str) -> Option<u32> {
    let inside = s.rsplit_once('(')?.1.split(')').next()?;
    let (n, unit) = inside.trim().split_once(' ')?;
    let n: f64 = n.parse().ok()?;
    match unit.trim() {
        u if u.starts_with("min") => Some(n as u32),
        u if u.starts_with("hour") => Some((n * 60.0).round() as u32),
        _ => None,
    }
}

/// A tree line's text: `  ├─ Apply: x.sql` → `Apply: x.sql`.
fn tree_text(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '├' | '└' | '─' | '│' | '-' | '*' | '✅')).trim()
}

/// Names in `(a, b, c)`.
fn listed(s: &str) -> Vec<String> {
    let Some(inside) = s.split_once('(').map(|(_, r)| r.split(')').next().unwrap_or(r)) else { return vec![] };
    inside.split(',').map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect()
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn figure(what: Figured, text: &str, title: &str) -> Option<Figure> {
    let t = tree_text(text);
    let after = t.split_once(':').map_or(t, |(_, r)| r).trim();
    let n = *numbers(after.split('(').next().unwrap_or(after)).first()?;
    let at_least = after.split_whitespace().next().is_some_and(|w| w.ends_with('+'));
    Some(Figure { what, value: n, at_least, title: title.to_owned() })
}

/// Which figure a schema-summary line is about.
fn figured(upper: &str) -> Option<Figured> {
    Some(match upper {
        u if u.starts_with("WEEK") && u.contains("TABLES") || u.contains("NEW TABLES") => Figured::NewTables,
        u if u.contains("TABLE") => Figured::Tables,
        u if u.contains("FOREIGN KEY") => Figured::ForeignKeys,
        u if u.contains("POLIC") => Figured::Policies,
        u if u.contains("INDEX") => Figured::Indexes,
        u if u.contains("FUNCTION") => Figured::NewFunctions,
        u if u.contains("SIZE") => Figured::DatabaseSizeMb,
        _ => return None,
    })
}

/// Read the run-book's text.
pub fn read(text: &str) -> RunBook {
    let mut r =
        Reader { book: RunBook::default(), section: String::new(), sub: String::new(), code: false, group: String::new() };
    for (i, line) in text.lines().enumerate() {
        let to = r.line(i + 1, line);
        r.book.mapping.push(Mapping { line: i + 1, text: line.to_owned(), to });
    }
    r.book
}

struct Reader {
    book: RunBook,
    /// The `##` section, upper case, without emoji.
    section: String,
    /// The `###` heading.
    sub: String,
    code: bool,
    /// The current label: criteria group, checklist part, team phase, migration in the timeline.
    group: String,
}

fn el(s: impl Into<String>) -> Target {
    Target::Element(s.into())
}

fn unmapped(why: &str) -> Target {
    Target::Unmapped(why.to_owned())
}

impl Reader {
    fn line(&mut self, n: usize, raw: &str) -> Target {
        let line = raw.trim();
        if line.starts_with("```") {
            self.code = !self.code;
            return Target::Layout;
        }
        if line.is_empty() || line == "---" || line.chars().all(|c| c == '─') {
            return Target::Layout;
        }
        if !self.code {
            if let Some(title) = line.strip_prefix("# ") {
                self.book.title = title.trim().to_owned();
                return el("name");
            }
            if let Some(h) = line.strip_prefix("## ") {
                self.section = h.chars().filter(|c| c.is_ascii()).collect::<String>().trim().to_uppercase();
                self.sub.clear();
                self.group.clear();
                return Target::Layout;
            }
            if let Some(h) = line.strip_prefix("### ") {
                self.sub = h.trim().to_owned();
                self.group.clear();
                return self.sub_heading(n);
            }
            if let Some(t) = self.metadata(n, line) {
                return t;
            }
        }
        match self.section.as_str() {
            "OBJECTIVE" => {
                self.book.objective = line.to_owned();
                el("objective")
            }
            "PRE-EXECUTION CHECKLIST" => self.checklist(line),
            "EXECUTION TIMELINE" => self.timeline(line),
            "SUCCESS CRITERIA" => self.criteria(line),
            "EXPECTED RESULTS" => self.expected(n, line),
            "ROLLBACK PROCEDURE" => self.rollback(line),
            "DOCUMENTATION TO GENERATE" => self.documentation(n, line),
            "GO/NO-GO DECISION POINT" => self.go_no_go(line),
            "TEAM RESPONSIBILITIES" => self.team(line),
            "TIMELINE SUMMARY" => self.summary(n, line),
            "NOTES FOR EXECUTION" => {
                self.book.notes.push(line.replace("**", ""));
                el("notes")
            }
            _ => unmapped("outside any section pgstage reads"),
        }
    }

    fn metadata(&mut self, n: usize, line: &str) -> Option<Target> {
        let rest = line.strip_prefix("**")?;
        let (key, value) = rest.split_once("**:")?;
        let value = value.trim();
        Some(match key.trim() {
            "Scheduled Date" => {
                self.book.date = value.split_whitespace().next().unwrap_or_default().to_owned();
                el("scheduled")
            }
            "Scheduled Execution" => {
                if let Some(t) = value.split_whitespace().find_map(clock) {
                    self.book.time = t;
                }
                el("scheduled")
            }
            "Phase" => {
                self.book.phase = value.to_owned();
                el("phase")
            }
            "Planned Hours" => {
                self.book.planned_hours = numbers(value).first().map(|h| *h as f64);
                el("planned_hours")
            }
            "Expected Duration" => {
                if let Some(h) = numbers(value).first() {
                    self.book.hours_said.push((*h as f64, n));
                }
                el("planned_hours")
            }
            "Expected Result" => el("criteria"),
            _ => unmapped("a status or sign-off of the run-book itself, not something to run"),
        })
    }

    fn sub_heading(&mut self, n: usize) -> Target {
        let h = self.sub.clone();
        match self.section.as_str() {
            "EXECUTION TIMELINE" => {
                let Some(at) = clock(&h) else { return unmapped("a timeline heading without a time") };
                let phase = h[5..].trim_start_matches([' ', '-']).split('(').next().unwrap_or("").trim().to_owned();
                let minutes = duration(&h).unwrap_or(0);
                self.book.detail.push(Slot { at: at.clone(), minutes, phase, line: n });
                self.group = at.clone();
                el(format!("timeline at {at}"))
            }
            "EXPECTED RESULTS" if h.contains("Migration") => {
                let id = numbers(h.split_once("Migration").map_or("", |(_, r)| r)).first().map(|v| format!("{v:03}"));
                let title = h.split_once(" - ").map_or(String::new(), |(_, t)| t.trim().to_owned());
                if let Some(id) = &id
                    && let Some(m) = self.book.migrations.iter_mut().find(|m| &m.id == id)
                    && !title.is_empty()
                {
                    m.title = title;
                }
                self.group = id.clone().unwrap_or_default();
                el(format!("verification (group {})", self.group))
            }
            "EXPECTED RESULTS" if h.contains("Schema Summary") => el("schema_summary"),
            "EXPECTED RESULTS" => el("criteria (verification)"),
            "ROLLBACK PROCEDURE" if h.contains("Option 2") => el("rollback"),
            "ROLLBACK PROCEDURE" => unmapped("a backup restore: pgstage rehearses the rollback script, not a restore"),
            "TEAM RESPONSIBILITIES" => {
                self.group = h;
                el("team")
            }
            _ => el("report (pgstage writes the execution report)"),
        }
    }

    fn checklist(&mut self, line: &str) -> Target {
        if line.ends_with(':') {
            self.group = line.to_owned();
            return Target::Layout;
        }
        if let Some(item) = line.strip_prefix("- [x]").or_else(|| line.strip_prefix("- [ ]")) {
            self.book.manual.push(item.trim().to_owned());
            return el(format!("preflight.manual[{}]", self.book.manual.len() - 1));
        }
        let text = tree_text(line);
        let upper = text.to_uppercase();
        if self.group.starts_with("Expected Initial State")
            && let Some(what) = figured(&upper)
            && let Some(f) = figure(what, text, text)
        {
            self.book.initial.push(f);
            return el("preflight.checks (baseline)");
        }
        unmapped("a checklist line pgstage cannot read")
    }

    fn migration(&mut self) -> Option<&mut Announced> {
        let id = self.group.strip_prefix("migration ")?.to_owned();
        self.book.migrations.iter_mut().find(|m| m.id == id)
    }

    fn timeline(&mut self, line: &str) -> Target {
        let text = tree_text(line);
        let at = clock(line);
        if let Some(at) = &at
            && let Some(rest) = line.split_once("Execute Migration")
        {
            let id = numbers(rest.1).first().map(|v| format!("{v:03}")).unwrap_or_default();
            self.book.migrations.push(Announced { id: id.clone(), ..Default::default() });
            self.group = format!("migration {id}");
            self.book.steps.push((at.clone(), format!("Apply {id}")));
            return el(format!("migrations[{id}]"));
        }
        if let Some(at) = &at {
            // A new timed step ends the migration block.
            if !self.group.is_empty() && self.group.starts_with("migration ") {
                self.group = self.book.detail.last().map(|s| s.at.clone()).unwrap_or_default();
            }
            self.book.steps.push((at.clone(), text[5..].trim_start_matches([' ', '-']).to_owned()));
            return el(format!("timeline step at {at}"));
        }
        let lower = text.to_lowercase();
        if let Some(m) = self.migration() {
            let id = m.id.clone();
            if let Some(file) = text.strip_prefix("Apply:") {
                m.file = file.trim().to_owned();
                return el(format!("migrations[{id}].file"));
            }
            if lower.starts_with("expected execution") {
                let n = numbers(text);
                if n.len() >= 2 {
                    m.range = Some((n[0] as u64, n[1] as u64));
                    return el(format!("migrations[{id}].expected_ms"));
                }
            }
            if let Some(rest) = text.strip_prefix("Creates:") {
                m.tables = listed(rest);
                return el(format!("migrations[{id}].creates.tables"));
            }
            if let Some(rest) = text.strip_prefix("Adds:") {
                for part in rest.split(',') {
                    let n = numbers(part).first().map(|v| *v as u32);
                    let p = part.to_lowercase();
                    if p.contains("index") {
                        m.indexes = n;
                    } else if p.contains("polic") {
                        m.policies = n;
                    } else if p.contains("trigger") {
                        m.triggers = n;
                    } else if p.contains("function") {
                        m.functions_said = n;
                    }
                }
                return el(format!("migrations[{id}].creates"));
            }
        }
        if let Some(rest) = text.strip_prefix("Check:")
            && let Some((name, from)) = rest.split_once("(from Migration")
            && is_ident(name.trim())
        {
            let id = numbers(from).first().map(|v| format!("{v:03}")).unwrap_or_default();
            if let Some(m) = self.book.migrations.iter_mut().find(|m| m.id == id) {
                m.functions.push(name.trim().to_owned());
                return el(format!("migrations[{id}].creates.functions"));
            }
        }
        let safety: Option<&'static str> = match lower {
            l if l.starts_with("active connections") => Some("connections"),
            l if l.starts_with("replication lag") => Some("replication"),
            l if l.starts_with("database size") => Some("size"),
            _ => None,
        };
        if let Some(s) = safety {
            self.book.safety.push(s);
            return el(format!("preflight.checks ({s})"));
        }
        let at = self.book.detail.last().map(|s| s.at.clone()).unwrap_or_default();
        self.book.steps.push((at.clone(), text.to_owned()));
        el(format!("timeline step at {at}"))
    }

    fn criteria(&mut self, line: &str) -> Target {
        if line.ends_with("CRITERIA:") {
            let g = line.trim_end_matches(':').replace(" CRITERIA", "");
            self.group = g.chars().next().map_or(String::new(), |c| c.to_string() + &g[1..].to_lowercase());
            return el(format!("criteria (group {})", self.group));
        }
        if line.ends_with(':') {
            return el("criteria (every one hard: all must hold for GO)");
        }
        let title = tree_text(line).to_owned();
        let l = title.to_lowercase();
        let n = numbers(&title).first().copied();
        let rule = if l.contains("migrations execute") || l.contains("without errors") {
            CriterionRule::AllApplied
        } else if l.contains("execution time") && l.contains('<') {
            let v = n.unwrap_or(0) as u64;
            CriterionRule::TotalMsBelow(if l.contains("second") { v * 1000 } else { v })
        } else if l.contains("data loss") {
            CriterionRule::NoDataLoss
        } else if l.contains("verification queries") {
            CriterionRule::Section(Section::Verification)
        } else if l.contains("orphan") || l.contains("relationships valid") {
            CriterionRule::NoOrphans
        } else if l.contains("constraint") || l.contains("conflicts") {
            CriterionRule::Section(Section::Integrity)
        } else if l.contains("rls policies working") {
            CriterionRule::RlsOn
        } else if l.contains("slow queries") {
            CriterionRule::NoSlowQueries(if l.contains("1s") { 1000 } else { n.unwrap_or(1) as u64 * 1000 })
        } else if l.contains("replication lag") {
            CriterionRule::ReplicationLag(n.unwrap_or(0) as u64)
        } else if let Some(what) = figured(&title.to_uppercase()).filter(|_| n.is_some()) {
            if what == Figured::NewFunctions
                && let Some(f) = figure(what, &format!("x: {title}"), &title)
            {
                self.book.summary.push(f);
            }
            CriterionRule::Section(Section::SchemaSummary)
        } else if l.contains("triggers firing") {
            CriterionRule::Section(Section::SchemaSummary)
        } else {
            return unmapped("no measure for it: pgstage cannot judge it (add a check if it matters)");
        };
        let target = format!("criteria ({:?})", rule);
        self.book.criteria.push(CriterionLine { group: self.group.clone(), title, rule });
        el(target)
    }

    fn expected(&mut self, n: usize, line: &str) -> Target {
        let text = tree_text(line);
        if self.sub.contains("Migration") {
            if let Some(rest) = line.strip_prefix("--") {
                if let Some(k) = numbers(rest).first() {
                    self.book.item_counts.push((self.group.clone(), *k as usize, n));
                }
                return el(format!("verification (group {})", self.group));
            }
            if text.starts_with("Result:") {
                return el(format!("verification (group {})", self.group));
            }
            let words: Vec<&str> = text.split_whitespace().collect();
            let function = (words.len() == 3 && words[1] == "function").then(|| words[0].to_owned());
            let tables: Vec<String> = if function.is_some() {
                vec![]
            } else {
                text.split(" table")
                    .next()
                    .unwrap_or("")
                    .split('&')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| is_ident(t))
                    .collect()
            };
            if function.is_none() && tables.is_empty() {
                return unmapped("a verification item pgstage cannot read");
            }
            self.book.items.push(Item { group: self.group.clone(), title: text.to_owned(), tables, function });
            return el(format!("verification[{}]", self.book.items.len() - 1));
        }
        if self.sub.contains("Schema Summary") {
            if line.starts_with("--") {
                return Target::Layout;
            }
            let upper = text.to_uppercase();
            if let Some(what) = figured(&upper)
                && let Some(f) = figure(what, text, text)
            {
                self.book.summary.push(f);
                // "70+ existing": the baseline figure.
                if let Some(existing) = text.split('(').nth(1).filter(|e| e.contains("existing"))
                    && let Some(v) = numbers(existing).first()
                {
                    let title = format!("{}: {v}+ existing", text.split(':').next().unwrap_or(""));
                    self.book.initial.push(Figure { what, value: *v, at_least: true, title });
                }
                return el(format!("schema_summary ({what:?})"));
            }
            return unmapped("a schema summary line pgstage cannot read");
        }
        // Overall verification result.
        let upper = text.to_uppercase();
        if upper.contains("READINESS") {
            el("verdict")
        } else if upper.contains("SCHEMA_EXPANSION") {
            el("schema_summary (Tables)")
        } else {
            el("criteria (Section(\"verification\"))")
        }
    }

    fn rollback(&mut self, line: &str) -> Target {
        if !self.sub.contains("Option 2") {
            return if self.sub.is_empty() {
                Target::Layout
            } else {
                unmapped("a backup restore: pgstage rehearses the rollback script, not a restore")
            };
        }
        if let Some(c) = line.strip_prefix("--") {
            if c.contains("Expected:")
                && let Some(v) = numbers(c).first()
            {
                self.book.rollback_tables = Some(*v);
                return el("rollback.checks (Tables)");
            }
            return el("rollback");
        }
        if line.to_uppercase().starts_with("SELECT") || line.to_uppercase().starts_with("WHERE") {
            return el("rollback.checks (Tables, read from pg_catalog)");
        }
        self.book.rollback_sql.push(line.to_owned());
        el("rollback.script")
    }

    fn documentation(&mut self, n: usize, line: &str) -> Target {
        let text = tree_text(line);
        if let Some(rest) = text.strip_prefix("Migration ")
            && let Some((id, tail)) = rest.split_once(':')
            && let [lo, hi, ..] = numbers(tail.split_once("expected").map_or("", |(_, r)| r))[..]
        {
            self.book.documented_ranges.push((id.trim().to_owned(), (lo as u64, hi as u64), n));
            return el(format!("migrations[{}].expected_ms", id.trim()));
        }
        el("report (pgstage writes the execution report)")
    }

    fn go_no_go(&mut self, line: &str) -> Target {
        let l = line.to_lowercase();
        if l.starts_with("decision") {
            el("verdict")
        } else if l.contains("verification queries") {
            el("criteria (Section(\"verification\"))")
        } else if l.contains("table count") || l.contains("functions created") {
            el("schema_summary")
        } else if l.contains("foreign keys") {
            el("criteria (NoOrphans)")
        } else if l.contains("rls") {
            el("criteria (RlsOn)")
        } else if l.contains("schema errors") {
            el("criteria (AllApplied)")
        } else if l.ends_with(':') {
            Target::Layout
        } else {
            unmapped("a go/no-go question pgstage cannot read")
        }
    }

    fn team(&mut self, line: &str) -> Target {
        let Some(rest) = line.strip_prefix("- **") else { return unmapped("a team line pgstage cannot read") };
        let Some((role, duty)) = rest.split_once("**:") else { return unmapped("a team line pgstage cannot read") };
        self.book.team.push((self.group.clone(), role.trim().to_owned(), duty.trim().to_owned()));
        el(format!("team[{}]", self.book.team.len() - 1))
    }

    fn summary(&mut self, n: usize, line: &str) -> Target {
        if let Some(at) = clock(line)
            && let Some((_, rest)) = line[5..].split_once(':')
        {
            let phase = rest.split('(').next().unwrap_or("").trim().to_owned();
            let minutes = duration(rest).unwrap_or(0);
            self.book.slots.push(Slot { at: at.clone(), minutes, phase, line: n });
            return el(format!("timeline at {at}"));
        }
        let l = line.to_lowercase();
        if l.starts_with("total:") {
            if let Some(h) = numbers(line).first() {
                self.book.hours_said.push((*h as f64, n));
            }
            return el("planned_hours");
        }
        if l.contains("migration time") {
            return el("criteria (TotalMsBelow)");
        }
        if l.contains("verification time") {
            return el("timeline step at 10:00");
        }
        if numbers(line).len() >= 3 {
            return el("scheduled");
        }
        unmapped("a timeline line pgstage cannot read")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_readers() {
        assert_eq!(duration("09:30 - Migration Execution Phase (1 hour)"), Some(60));
        assert_eq!(duration("Verification Phase (1.5 hours)"), Some(90));
        assert_eq!(clock("09:15 - Final"), Some("09:15".into()));
        assert_eq!(tree_text("  │  ├─ Apply: x.sql"), "Apply: x.sql");
        assert_eq!(listed("5 tables (a, b, c)"), ["a", "b", "c"]);
        assert_eq!(numbers("400-500ms"), [400, 500]);
    }
}
