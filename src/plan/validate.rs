//! Checking a parsed plan for what the parser cannot see: duplicate ids, files that do not
//! exist, ranges that cannot be met. All problems are collected, not just the first. (Names of
//! sections and lock rules are typed: the parser already refuses an unknown one.)

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use super::model::{Check, Expect, Plan, Probe, TransactionMode};

/// One thing wrong with a plan, located by its line, column and field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based; 0 until the loader has placed it in the file.
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    /// `14:13: in `migrations[1].expected_msec`: …` (the loader puts the file name first).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: in `{}`: {}", self.line, self.column, self.field, self.message)
    }
}

/// Validate `plan`, resolving file paths against `dir` (the plan file's directory).
pub fn validate(plan: &Plan, dir: &Path) -> Vec<Problem> {
    let mut v = Validator { dir, problems: Vec::new(), ids: HashMap::new() };
    v.plan(plan);
    v.problems
}

struct Validator<'a> {
    dir: &'a Path,
    problems: Vec<Problem>,
    /// id → field path of its first use.
    ids: HashMap<String, String>,
}

impl Validator<'_> {
    fn problem(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem { line: 0, column: 0, field: field.into(), message: message.into() });
    }

    fn id(&mut self, id: &str, field: String) {
        if id.trim().is_empty() {
            self.problem(field, "id is empty");
        } else if let Some(first) = self.ids.get(id) {
            let message = format!("duplicate id \"{id}\" (first used at `{first}`)");
            self.problem(field, message);
        } else {
            self.ids.insert(id.to_owned(), field);
        }
    }

    fn file(&mut self, path: &Path, field: String) {
        let full = super::resolve(self.dir, path);
        if !full.is_file() {
            self.problem(field, format!("file not found: {}", full.display()));
        }
    }

    fn plan(&mut self, plan: &Plan) {
        if !(plan.planned_hours.is_finite() && plan.planned_hours >= 0.0) {
            self.problem(
                "planned_hours",
                format!("must be a positive number of hours (or left out), got {}", plan.planned_hours),
            );
        }
        for (i, path) in plan.baseline.migrations.iter().enumerate() {
            self.file(path, format!("baseline.migrations[{i}]"));
        }
        if let Some(path) = &plan.baseline.sample_data {
            self.file(path, "baseline.sample_data".into());
        }
        self.checks(&plan.preflight.checks, "preflight.checks");
        for (i, item) in plan.preflight.manual.iter().enumerate() {
            self.id(&item.id, format!("preflight.manual[{i}].id"));
        }
        if plan.migrations.is_empty() {
            self.problem("migrations", "the plan has no migration");
        }
        let mut files = HashMap::new();
        for (i, m) in plan.migrations.iter().enumerate() {
            let at = format!("migrations[{i}]");
            self.id(&m.id, format!("{at}.id"));
            self.file(&m.file, format!("{at}.file"));
            if let Some(first) = files.insert(m.file.clone(), i) {
                self.problem(format!("{at}.file"), format!("same file as migrations[{first}]"));
            }
            if m.non_transactional && plan.execution.transaction == TransactionMode::Batch {
                self.problem(
                    format!("{at}.non_transactional"),
                    "a migration that cannot run in a transaction cannot be part of a one-transaction batch (execution.transaction: Batch)",
                );
            }
            if let Some(r) = m.expected_ms
                && r.min() > r.max()
            {
                let message = format!("impossible range: minimum {} ms is above maximum {} ms", r.min(), r.max());
                self.problem(format!("{at}.expected_ms"), message);
            }
            for (j, d) in m.data_loss.iter().enumerate().filter(|(_, d)| !d.reason_written()) {
                let message = format!(
                    "the reason for this loss ({} {}) is not written: say why it is intended, or the loss is not accepted unread",
                    d.table,
                    d.what.describe()
                );
                self.problem(format!("{at}.data_loss[{j}].reason"), message);
            }
        }
        self.checks(&plan.verification, "verification");
        for (i, c) in plan.verification.iter().enumerate() {
            let Some(after) = &c.after else { continue };
            let at = format!("verification[{i}].after");
            if !plan.migrations.iter().any(|m| &m.id == after) {
                let ids: Vec<&str> = plan.migrations.iter().map(|m| m.id.as_str()).collect();
                self.problem(at, format!("no migration {after} in the plan (it has: {})", ids.join(", ")));
            } else if matches!(c.probe, Probe::Metric(_)) {
                self.problem(at, "a check run right after a migration reads SQL (Sql probe), not a catalog figure");
            }
        }
        self.checks(&plan.schema_summary, "schema_summary");
        self.checks(&plan.integrity.checks, "integrity.checks");
        self.checks(&plan.sample_data, "sample_data");
        for (i, t) in plan.rls.iter().enumerate() {
            self.id(&t.id, format!("rls[{i}].id"));
            if t.subjects.len() < 2 {
                self.problem(format!("rls[{i}].subjects"), "an isolation test needs at least two subjects");
            }
            if t.tables.is_empty() {
                self.problem(format!("rls[{i}].tables"), "no table to test");
            }
        }
        for (i, u) in plan.performance.index_usage.iter().enumerate() {
            self.id(&u.id, format!("performance.index_usage[{i}].id"));
            if u.sql.trim().is_empty() {
                self.problem(format!("performance.index_usage[{i}].sql"), "SQL is empty");
            }
        }
        if let Some(rollback) = &plan.rollback {
            self.file(&rollback.script, "rollback.script".into());
            self.checks(&rollback.checks, "rollback.checks");
        }
        for (i, c) in plan.criteria.iter().enumerate() {
            self.id(&c.id, format!("criteria[{i}].id"));
            if let super::model::Rule::ChecksPass(ids) = &c.rule {
                if ids.is_empty() {
                    self.problem(format!("criteria[{i}].rule"), "ChecksPass names no check: it would pass on nothing");
                }
                for id in ids.iter().filter(|id| plan.section_of_check(id).is_none()) {
                    self.problem(format!("criteria[{i}].rule"), format!("no check \"{id}\" in the plan"));
                }
            }
        }
    }

    fn checks(&mut self, checks: &[Check], section: &str) {
        for (i, check) in checks.iter().enumerate() {
            let at = format!("{section}[{i}]");
            self.id(&check.id, format!("{at}.id"));
            match &check.probe {
                Probe::Sql(sql) if sql.trim().is_empty() => self.problem(format!("{at}.probe"), "SQL is empty"),
                Probe::Metric(_)
                    if matches!(check.expect, Expect::Exists | Expect::NoRows | Expect::Rows(_) | Expect::Fails(_)) =>
                {
                    self.problem(format!("{at}.expect"), "a metric is a number: use Equals, AtLeast, AtMost, Between or About")
                }
                _ => {}
            }
            match check.expect {
                Expect::Between(lo, hi) if lo > hi => {
                    self.problem(format!("{at}.expect"), format!("impossible range: {lo} is above {hi}"))
                }
                Expect::About { value, tolerance_pct }
                    if !(value.is_finite() && tolerance_pct.is_finite() && tolerance_pct >= 0.0) =>
                {
                    self.problem(format!("{at}.expect"), "tolerance must be a finite, non-negative percentage")
                }
                Expect::Fails(ref code) if !(code.len() == 5 && code.chars().all(|c| c.is_ascii_alphanumeric())) => {
                    self.problem(format!("{at}.expect"), format!("\"{code}\" is not a SQLSTATE (five letters or digits)"))
                }
                _ => {}
            }
            if check.after.is_some() && section != "verification" {
                self.problem(format!("{at}.after"), "only a verification check runs right after a migration");
            }
        }
    }
}
