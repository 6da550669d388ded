//! Reading a Markdown staging run-book line by line: the sections of the Week 2 one
//! (`sections`: metadata, the pre-execution checklist and expected initial state, the
//! execution timeline with each migration, function checks, success criteria, expected
//! results, rollback, go/no-go, team, timeline summary and notes), and what a run-book says
//! wherever it says it (`anywhere`: "✅ x table exists", "Expected: N tables created", the
//! schema's counts in lines or Markdown tables, migration files, a rollback under any heading
//! or a fenced block of DROP statements). Every line is recorded with what it became
//! ([`Mapping`]): a plan element, layout (blank lines, rules, fences, headings of lists), or
//! nothing (unmapped, with the reason).

use std::collections::{HashMap, HashSet};

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
    /// 1-based line it was read from (0: not known).
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Figured {
    Tables,
    NewTables,
    ForeignKeys,
    NewForeignKeys,
    Policies,
    NewPolicies,
    Indexes,
    NewIndexes,
    NewFunctions,
    DatabaseSizeMb,
}

/// A success criterion line and the rule it reads as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionLine {
    pub group: String,
    pub title: String,
    pub rule: CriterionRule,
    /// What the line also says that no check measures ("triggers fire").
    pub unchecked: Vec<String>,
    pub line: usize,
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
    /// The schema's counts the line names ("59 tables, 82+ foreign keys"): met only by the
    /// checks of those counts.
    Counts(Vec<Figure>),
    /// "16/16 verification queries PASS": the run-book's verification items, this many.
    Verified(Option<usize>),
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
    /// Per migration: "Expected: N tables created" (migration id, N, line).
    pub table_counts: Vec<(String, i64, usize)>,
    pub rollback_sql: Vec<String>,
    /// The lines the rollback SQL was read from, and the heading it stood under.
    pub rollback_lines: Vec<usize>,
    pub rollback_heading: Option<String>,
    pub rollback_tables: Option<i64>,
    pub documented_ranges: Vec<(String, (u64, u64), usize)>,
    pub team: Vec<(String, String, String)>,
    pub notes: Vec<String>,
    pub mapping: Vec<Mapping>,
}

mod anywhere;
mod sections;
mod words;

/// Read the run-book's text.
pub fn read(text: &str) -> RunBook {
    let lines: Vec<&str> = text.lines().collect();
    let mut r = Reader { shape: Shape::of(&lines), ..Default::default() };
    for (i, line) in lines.iter().enumerate() {
        let to = r.line(i + 1, line);
        r.book.mapping.push(Mapping { line: i + 1, text: (*line).to_owned(), to });
    }
    r.drop_blocks();
    r.book
}

/// What a line-by-line reading cannot see from the line itself: which lines head a Markdown
/// table (the next one is its `|---|` rule), and which fenced blocks hold only DROP
/// statements (line → block).
#[derive(Default)]
struct Shape {
    table_headers: HashSet<usize>,
    drop_fences: HashMap<usize, usize>,
}

impl Shape {
    fn of(lines: &[&str]) -> Shape {
        let mut shape = Shape::default();
        let rule = |l: &str| {
            let l = l.trim();
            l.starts_with('|') && l.contains('-') && l.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
        };
        let mut fence: Option<usize> = None;
        let mut blocks = 0;
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t.starts_with("```") {
                match fence.take() {
                    None => fence = Some(i + 1),
                    Some(start) => {
                        let inner = &lines[start..i];
                        let statements: Vec<&str> =
                            inner.iter().map(|l| l.trim()).filter(|l| !l.is_empty() && !l.starts_with("--")).collect();
                        if !statements.is_empty() && statements.iter().all(|l| l.to_uppercase().starts_with("DROP ")) {
                            for n in start + 1..=i {
                                shape.drop_fences.insert(n, blocks);
                            }
                            blocks += 1;
                        }
                    }
                }
            } else if fence.is_none() && t.starts_with('|') && lines.get(i + 1).is_some_and(|l| rule(l)) && !rule(t) {
                shape.table_headers.insert(i + 1);
            }
        }
        shape
    }
}

#[derive(Default)]
pub(super) struct Reader {
    book: RunBook,
    shape: Shape,
    /// The `##` section, upper case, without emoji (rollback and criteria headings of any
    /// wording read as `ROLLBACK PROCEDURE` and `SUCCESS CRITERIA`).
    section: String,
    /// The `###` heading.
    sub: String,
    code: bool,
    /// The current label: criteria group, checklist part, team phase, migration in the timeline.
    group: String,
    /// The migration the lines last named ("Verify Migration 013:", `002_invoices.sql`).
    about: String,
    /// A count's label on the line before its value ("Foreign key count:").
    label: Option<(Figured, String)>,
    /// The columns of the Markdown table being read, lower case.
    columns: Vec<String>,
    /// Inside a statement of the rollback's SQL: whether it is a SELECT.
    statement: Option<bool>,
    /// DROP statements of fenced blocks outside the rollback section: (block, line, text).
    drops: Vec<(usize, usize, String)>,
}

pub(super) fn el(s: impl Into<String>) -> Target {
    Target::Element(s.into())
}

pub(super) fn unmapped(why: &str) -> Target {
    Target::Unmapped(why.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(book: &RunBook, line: usize) -> Target {
        book.mapping[line - 1].to.clone()
    }

    #[test]
    fn rollback_under_any_heading_statement_by_statement() {
        let book = read(
            "# T\n\n## How to revert\n\n```sql\nDELETE FROM t\nWHERE a = 1;\nSELECT count(*)\nFROM t;\nDROP TABLE u;\n-- Expected: 3 tables\n```\n",
        );
        assert_eq!(book.rollback_sql, ["DELETE FROM t", "WHERE a = 1;", "DROP TABLE u;"], "the WHERE of a DELETE is SQL");
        assert_eq!(book.rollback_lines, [6, 7, 10]);
        assert_eq!(book.rollback_tables, Some(3));
        assert_eq!(book.rollback_heading.as_deref(), Some("How to revert"));
        assert_eq!(to(&book, 9), Target::Element("rollback.checks (Tables, read from pg_catalog)".into()));
    }

    #[test]
    fn a_block_of_drops_is_the_rollback_when_nothing_else_is() {
        let text = "# T\n\n## Appendix\n\n```sql\n-- clean up\nDROP TABLE b;\nDROP TABLE a;\n```\n\n```\nDROP VIEW v;\n```\n";
        let book = read(text);
        assert_eq!(book.rollback_sql, ["DROP TABLE b;", "DROP TABLE a;"]);
        assert_eq!(book.rollback_heading.as_deref(), Some("a fenced block of DROP statements"));
        assert!(matches!(to(&book, 12), Target::Unmapped(why) if why.contains("from line 7): not run")), "{:?}", to(&book, 12));
        let with_section = format!("{text}\n## Rollback\n\n```sql\nDROP TABLE c;\n```\n");
        let book = read(&with_section);
        assert_eq!(book.rollback_sql, ["DROP TABLE c;"], "the rollback section's SQL first");
        assert!(matches!(to(&book, 7), Target::Unmapped(_)));
    }

    #[test]
    fn counts_in_a_table_by_their_columns() {
        let book = read(
            "# T\n\n## Figures\n\n| Figure | Before | After | New |\n|---|---|---|---|\n| Tables | 43 | 62 | 19 |\n| Foreign keys | 42 | 98+ | |\n| Colour | red | blue | |\n",
        );
        let f = |v: &[Figure]| v.iter().map(|f| (f.what, f.value, f.at_least)).collect::<Vec<_>>();
        assert_eq!(f(&book.initial), [(Figured::Tables, 43, false), (Figured::ForeignKeys, 42, false)]);
        assert_eq!(
            f(&book.summary),
            [(Figured::Tables, 62, false), (Figured::NewTables, 19, false), (Figured::ForeignKeys, 98, true)]
        );
        assert_eq!(to(&book, 5), Target::Layout);
        assert_eq!(to(&book, 9), Target::Unmapped("a table row pgstage cannot read".into()));
    }

    #[test]
    fn a_criterion_names_what_it_leaves_unchecked() {
        let book = read("# T\n\n## Definition of done / acceptance\n\n- [ ] 62 tables, 170+ indexes and triggers fire\n");
        let c = &book.criteria[0];
        let CriterionRule::Counts(counts) = &c.rule else { panic!("{c:?}") };
        assert_eq!(
            counts.iter().map(|f| (f.what, f.value, f.at_least)).collect::<Vec<_>>(),
            [(Figured::Tables, 62, false), (Figured::Indexes, 170, true)]
        );
        assert_eq!(c.unchecked, ["triggers fire"]);
        assert!(matches!(to(&book, 5), Target::Unmapped(why) if why.contains("no check measures \"triggers fire\"")));
        let table =
            read("# T\n\n## Success criteria\n\n| Criterion | Met |\n|---|---|\n| Tables | 62 |\n| 98+ foreign keys | ✅ |\n");
        let counts: Vec<(Figured, i64, bool)> = table
            .criteria
            .iter()
            .flat_map(|c| match &c.rule {
                CriterionRule::Counts(f) => f.iter().map(|f| (f.what, f.value, f.at_least)).collect(),
                _ => vec![],
            })
            .collect();
        assert_eq!(counts, [(Figured::Tables, 62, false), (Figured::ForeignKeys, 98, true)], "{:?}", table.criteria);
    }
}
