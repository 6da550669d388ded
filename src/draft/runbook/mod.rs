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

mod sections;
mod words;

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

pub(super) struct Reader {
    book: RunBook,
    /// The `##` section, upper case, without emoji.
    section: String,
    /// The `###` heading.
    sub: String,
    code: bool,
    /// The current label: criteria group, checklist part, team phase, migration in the timeline.
    group: String,
}

pub(super) fn el(s: impl Into<String>) -> Target {
    Target::Element(s.into())
}

pub(super) fn unmapped(why: &str) -> Target {
    Target::Unmapped(why.to_owned())
}
