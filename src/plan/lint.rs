//! Plan lint: the plan's own contradictions, found without a database. Announced
//! per-migration counts against the schema-summary thresholds and the baseline figures (less
//! the tables the migrations declare they drop);
//! timeline entries that overlap, or whose minutes do not add up to `planned_hours`; a
//! criterion over a section with no check; the same check twice. Findings are warnings: a
//! plan with findings still runs. `pgstage check` prints them; the pre-flight may too.

use std::fmt;

use super::model::{Check, Expect, Loss, Metric, Plan, Probe, Rule};

/// Which contradiction a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LintRule {
    /// Per-migration announced counts do not reach (or exceed) what a check expects.
    AnnouncedCounts,
    /// Two timeline entries overlap.
    TimelineOverlap,
    /// The timeline's minutes differ from `planned_hours`.
    TimelineHours,
    /// A criterion requires a section that has no check.
    EmptySection,
    /// Two checks of one moment measure the same thing with the same expectation.
    DuplicateCheck,
    /// A migration announces objects its SQL, rehearsed on a sandbox, does not create (found
    /// by the rehearsal, not by [`lint`]).
    RehearsedCounts,
}

impl LintRule {
    pub const ALL: [LintRule; 6] = [
        LintRule::AnnouncedCounts,
        LintRule::TimelineOverlap,
        LintRule::TimelineHours,
        LintRule::EmptySection,
        LintRule::DuplicateCheck,
        LintRule::RehearsedCounts,
    ];

    pub fn id(self) -> &'static str {
        match self {
            LintRule::AnnouncedCounts => "announced-counts",
            LintRule::TimelineOverlap => "timeline-overlap",
            LintRule::TimelineHours => "timeline-hours",
            LintRule::EmptySection => "empty-section",
            LintRule::DuplicateCheck => "duplicate-check",
            LintRule::RehearsedCounts => "rehearsed-counts",
        }
    }
}

impl fmt::Display for LintRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One contradiction in a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradiction {
    pub rule: LintRule,
    /// The field it is about, as in plan errors (`schema_summary[4]`).
    pub field: String,
    pub message: String,
}

impl fmt::Display for Contradiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] `{}`: {}", self.rule, self.field, self.message)
    }
}

/// Every contradiction of `plan`, in the order of the rules.
pub fn lint(plan: &Plan) -> Vec<Contradiction> {
    let mut out = Vec::new();
    announced_counts(plan, &mut out);
    timeline(plan, &mut out);
    empty_sections(plan, &mut out);
    duplicates(plan, &mut out);
    out
}

/// What the migrations announce of one kind of object.
struct Announced {
    what: &'static str,
    total: Metric,
    new: Metric,
    /// The sum over the migrations that say.
    sum: u64,
    /// How many migrations say.
    saying: usize,
}

fn announced(plan: &Plan) -> Vec<Announced> {
    let ms = &plan.migrations;
    // Names in the plan's schema only: the counts (`Tables`, `NewTables`…) are of that schema.
    let ours =
        |names: &[String]| names.iter().filter(|n| n.split_once('.').is_none_or(|(s, _)| s == plan.baseline.schema)).count();
    let names = |f: fn(&super::Migration) -> &[String]| {
        let saying = ms.iter().filter(|m| !f(m).is_empty()).count();
        (ms.iter().map(|m| ours(f(m)) as u64).sum(), saying)
    };
    let counts = |f: fn(&super::Migration) -> Option<u32>| {
        (ms.iter().filter_map(f).map(u64::from).sum(), ms.iter().filter(|m| f(m).is_some()).count())
    };
    let rows = [
        ("tables", Metric::Tables, Metric::NewTables, names(|m| &m.creates.tables)),
        ("functions", Metric::Functions, Metric::NewFunctions, names(|m| &m.creates.functions)),
        ("indexes", Metric::Indexes, Metric::NewIndexes, counts(|m| m.creates.indexes)),
        ("RLS policies", Metric::Policies, Metric::NewPolicies, counts(|m| m.creates.policies)),
        ("triggers", Metric::Triggers, Metric::NewTriggers, counts(|m| m.creates.triggers)),
        ("foreign keys", Metric::ForeignKeys, Metric::NewForeignKeys, counts(|m| m.creates.foreign_keys)),
    ];
    rows.into_iter()
        .filter(|r| r.3.1 > 0)
        .map(|(what, total, new, (sum, saying))| Announced { what, total, new, sum, saying })
        .collect()
}

/// The lowest value an expectation allows, and whether it is exact.
fn floor(expect: &Expect) -> Option<(i64, bool)> {
    match expect {
        Expect::Equals(n) => Some((*n, true)),
        Expect::AtLeast(n) | Expect::Between(n, _) => Some((*n, false)),
        _ => None,
    }
}

/// "+ 15 new", "60+ new", "16 new" in a check's title: the number said to be new.
fn new_in_title(title: &str) -> Option<i64> {
    let words: Vec<&str> = title.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        let next = w[1].trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        (next == "new").then(|| w[0].trim_matches(|c: char| !c.is_ascii_digit()).parse().ok()).flatten()
    })
}

fn announced_counts(plan: &Plan, out: &mut Vec<Contradiction>) {
    let baseline = |metric: Metric| {
        plan.preflight.checks.iter().find(|c| c.probe == Probe::Metric(metric)).and_then(|c| floor(&c.expect).map(|f| (c, f)))
    };
    let after =
        plan.verification.iter().map(|c| ("verification", c)).chain(plan.schema_summary.iter().map(|c| ("schema_summary", c)));
    let after: Vec<(String, &Check)> = {
        let mut seen = std::collections::HashMap::new();
        after
            .map(|(section, c)| {
                let i = seen.entry(section).or_insert(0usize);
                *i += 1;
                (format!("{section}[{}]", *i - 1), c)
            })
            .collect()
    };
    // Tables of the plan's schema the migrations declare they drop: gone from the total.
    let dropped = plan
        .migrations
        .iter()
        .flat_map(|m| &m.data_loss)
        .filter(|d| d.what == Loss::DropTable && d.table.split_once('.').is_none_or(|(s, _)| s == plan.baseline.schema))
        .count() as i64;
    for a in announced(plan) {
        let gone = if a.total == Metric::Tables { dropped } else { 0 };
        let dropping = if gone > 0 { format!(" and drop {gone}") } else { String::new() };
        let partial = if a.saying < plan.migrations.len() {
            format!(" ({} of {} migrations say)", a.saying, plan.migrations.len())
        } else {
            String::new()
        };
        let sum = a.sum as i64;
        for (field, c) in &after {
            let mut said = false;
            if c.probe == Probe::Metric(a.new) {
                let message = match c.expect {
                    Expect::Equals(v) if v != sum => {
                        Some(format!("{} expects {v} new {}, the migrations announce {sum}{partial}", c.id, a.what))
                    }
                    Expect::AtLeast(v) if sum < v => {
                        Some(format!("{} expects at least {v} new {}, the migrations announce {sum}{partial}", c.id, a.what))
                    }
                    Expect::AtMost(v) if sum > v => {
                        Some(format!("{} expects at most {v} new {}, the migrations announce {sum}", c.id, a.what))
                    }
                    _ => None,
                };
                if let Some(message) = message {
                    out.push(Contradiction { rule: LintRule::AnnouncedCounts, field: field.clone(), message });
                    said = true;
                }
            }
            if c.probe == Probe::Metric(a.total)
                && let Some((b_check, (b, exact))) = baseline(a.total)
            {
                let base = if exact { format!("{b}") } else { format!("at least {b}") };
                let message = match c.expect {
                    Expect::Equals(v) if exact && b + sum - gone != v => Some(format!(
                        "{} expects {v} {} in all; the baseline has {base} ({}) and the migrations announce {sum} more{dropping}{partial}: {}",
                        c.id,
                        a.what,
                        b_check.id,
                        b + sum - gone
                    )),
                    Expect::AtLeast(v) if b + sum - gone < v => Some(format!(
                        "{} expects at least {v} {}; from the baseline's {base} ({}) that needs {} new, the migrations announce {sum}{dropping}{partial}",
                        c.id,
                        a.what,
                        b_check.id,
                        v - b + gone
                    )),
                    _ => None,
                };
                if let Some(message) = message {
                    out.push(Contradiction { rule: LintRule::AnnouncedCounts, field: field.clone(), message });
                    said = true;
                }
            }
            let about_kind = c.probe == Probe::Metric(a.total) || c.probe == Probe::Metric(a.new);
            if about_kind
                && !said
                && let Some(n) = new_in_title(&c.title)
                && n != sum
            {
                let message =
                    format!("{} says \"{}\": {n} new {}, but the migrations announce {sum}{partial}", c.id, c.title, a.what);
                out.push(Contradiction { rule: LintRule::AnnouncedCounts, field: field.clone(), message });
            }
        }
    }
}

/// "09:30" → minutes since midnight.
fn clock(at: &str) -> Option<u32> {
    let (h, m) = at.trim().split_once(':')?;
    Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?)
}

fn timeline(plan: &Plan, out: &mut Vec<Contradiction>) {
    let t = &plan.timeline;
    for (i, pair) in t.windows(2).enumerate() {
        let (Some(a), Some(b)) = (clock(&pair[0].at), clock(&pair[1].at)) else { continue };
        if b < a + pair[0].minutes {
            let end = a + pair[0].minutes;
            out.push(Contradiction {
                rule: LintRule::TimelineOverlap,
                field: format!("timeline[{}]", i + 1),
                message: format!(
                    "\"{}\" starts at {} while \"{}\" ({} + {} min) runs until {:02}:{:02}",
                    pair[1].phase,
                    pair[1].at,
                    pair[0].phase,
                    pair[0].at,
                    pair[0].minutes,
                    end / 60,
                    end % 60
                ),
            });
        }
    }
    let minutes: u32 = t.iter().map(|e| e.minutes).sum();
    let planned = (plan.planned_hours * 60.0).round() as u32;
    if !t.is_empty() && plan.planned_hours > 0.0 && minutes != planned {
        out.push(Contradiction {
            rule: LintRule::TimelineHours,
            field: "timeline".into(),
            message: format!(
                "the timeline adds up to {minutes} min ({:.1} h), the plan's planned_hours is {} h",
                minutes as f64 / 60.0,
                plan.planned_hours
            ),
        });
    }
}

fn empty_sections(plan: &Plan, out: &mut Vec<Contradiction>) {
    for (i, c) in plan.criteria.iter().enumerate() {
        let Rule::SectionsPass(sections) = &c.rule else { continue };
        for s in sections.iter().filter(|s| !plan.section_has_checks(**s)) {
            out.push(Contradiction {
                rule: LintRule::EmptySection,
                field: format!("criteria[{i}].rule"),
                message: format!(
                    "{} (\"{}\") requires section {s} to pass, but it has no check: it would pass on nothing",
                    c.id, c.title
                ),
            });
        }
    }
}

fn duplicates(plan: &Plan, out: &mut Vec<Contradiction>) {
    // Checks that run at the same moment: before, after the migrations, after the rollback.
    let moments: [Vec<(String, &Check)>; 4] = [
        listed("preflight.checks", &plan.preflight.checks),
        [
            listed("verification", &plan.verification),
            listed("schema_summary", &plan.schema_summary),
            listed("integrity.checks", &plan.integrity.checks),
        ]
        .concat(),
        listed("sample_data", &plan.sample_data),
        plan.rollback.as_ref().map_or_else(Vec::new, |r| listed("rollback.checks", &r.checks)),
    ];
    for checks in &moments {
        for (j, (field, c)) in checks.iter().enumerate() {
            if let Some((_, first)) = checks[..j].iter().find(|(_, d)| d.probe == c.probe && d.expect == c.expect) {
                out.push(Contradiction {
                    rule: LintRule::DuplicateCheck,
                    field: field.clone(),
                    message: format!("{} measures the same as {} with the same expectation", c.id, first.id),
                });
            }
        }
    }
}

fn listed<'a>(section: &str, checks: &'a [Check]) -> Vec<(String, &'a Check)> {
    checks.iter().enumerate().map(|(i, c)| (format!("{section}[{i}]"), c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_said_new_in_titles() {
        assert_eq!(new_in_title("Indexes: 130+ (70+ existing + 60+ new)"), Some(60));
        assert_eq!(new_in_title("RLS policies: 33+ (18 + 15 new)"), Some(15));
        assert_eq!(new_in_title("New functions: 12"), None);
        assert_eq!(clock("09:30"), Some(570));
    }

    #[test]
    fn a_table_the_plan_declares_dropped_is_not_counted() {
        // 3 tables, one created, one dropped: 3 after. Without the declaration, 4 expected.
        let text = |loss: &str| {
            format!(
                r#"(
                preflight: (checks: [(id: "PF-TABLES", title: "Baseline: 3 tables", group: "baseline", probe: Metric(Tables), expect: Equals(3))]),
                migrations: [(id: "2", title: "t", file: "2.sql", creates: (tables: ["b"]), data_loss: [{loss}])],
                schema_summary: [(id: "S-TABLES", title: "Tables: 3", group: "summary", probe: Metric(Tables), expect: Equals(3))],
            )"#
            )
        };
        let plan = |loss: &str| ron::from_str::<Plan>(&text(loss)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lint(&plan(r#"(table: "a", what: DropTable, reason: "merged into b")"#)), vec![]);
        assert_eq!(lint(&plan(r#"(table: "other.a", what: DropTable, reason: "another schema's")"#)).len(), 1);
        let found = lint(&plan(""));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("announce 1 more: 4"), "{}", found[0].message);
    }

    #[test]
    fn every_rule_has_a_distinct_id() {
        let ids: std::collections::HashSet<&str> = LintRule::ALL.iter().map(|r| r.id()).collect();
        assert_eq!(ids.len(), LintRule::ALL.len());
    }
}
