//! Findings: what the lock trace of a migration shows a DBA should know, each with the
//! statement (file:line), the relation, the lock and what it blocks, the safer pattern, and the
//! relation's size on the database it ran against. Rules (one file each in [`rules`]) are pure
//! functions over a read-only [`Context`]: the trace, the statements, the catalog after the
//! migration; they never touch a database, so each is tested on its own.

pub mod catalogue;
pub mod rules;

use std::collections::HashMap;

use crate::db::lock_modes::LockMode;
use crate::db::snapshot::{Snapshot, SnapshotDiff};
use crate::db::split::Statement;
use crate::plan::{AcceptedFinding, LockRule, Migration};
use crate::run_result::{Finding, FindingSeverity, MigrationResult, StatementTrace};

/// What the rules read.
pub struct Context<'a> {
    pub migration: &'a MigrationResult,
    pub statements: &'a [Statement],
    /// Rows of pre-existing tables before the migration, from the statistics.
    pub rows: &'a HashMap<String, Option<i64>>,
    /// The catalog after the migration, and what it changed.
    pub after: &'a Snapshot,
    pub diff: &'a SnapshotDiff,
    pub max_write_lock_ms: u64,
}

impl Context<'_> {
    /// The SQL of the statement a trace belongs to.
    pub fn sql(&self, trace: &StatementTrace) -> &str {
        self.statements.iter().find(|s| s.line == trace.line).map_or("", |s| s.sql.as_str())
    }

    /// Rows of a pre-existing table before the migration (`None`: unknown).
    pub fn rows(&self, table: &str) -> Option<i64> {
        self.rows.get(table).copied().flatten()
    }

    pub fn file(&self) -> &str {
        &self.migration.file
    }
}

/// Upper-cased SQL with runs of whitespace made single spaces, for matching statement shapes.
pub fn shape(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// Severity for a pattern whose cost grows with the table: an error on a table with rows, a
/// warning when the size is unknown, information on an empty one.
pub fn by_size(rows: Option<i64>) -> FindingSeverity {
    match rows {
        Some(0) => FindingSeverity::Info,
        Some(_) => FindingSeverity::Error,
        None => FindingSeverity::Warning,
    }
}

/// A finding about a scan or a rewrite of `lock`'s relation by the statement of `trace`: its
/// severity and estimate follow the relation's size here.
pub fn sized(
    ctx: &Context,
    rule: LockRule,
    trace: &StatementTrace,
    lock: &crate::run_result::LockTaken,
    blocks: &str,
    message: String,
    advice: &str,
) -> Finding {
    let rows = ctx.rows(&lock.relation);
    Finding {
        severity: by_size(rows),
        statement: trace.statement.clone(),
        relation: lock.relation.clone(),
        lock: lock.mode.to_string(),
        blocks: blocks.into(),
        message,
        advice: advice.into(),
        estimate: estimate(rows, trace.ms),
        ..Finding::of(rule)
    }
}

/// A finding about statement `t` on `relation`, which it ran under `mode` (taken by it or by an
/// earlier statement of the transaction): its severity and estimate follow the relation's size
/// here and the time the statement ran.
pub fn under(
    ctx: &Context,
    rule: LockRule,
    t: &StatementTrace,
    relation: &str,
    mode: LockMode,
    message: String,
    advice: &str,
) -> Finding {
    let rows = ctx.rows(relation);
    Finding {
        severity: by_size(rows),
        statement: t.statement.clone(),
        relation: relation.to_owned(),
        lock: mode.to_string(),
        blocks: mode.blocks().label().into(),
        message,
        advice: advice.into(),
        estimate: estimate(rows, t.ms),
        ..Finding::of(rule)
    }
}

/// The pre-existing tables statement `t` read in full while ACCESS EXCLUSIVE was held on them
/// (by it or by an earlier statement of the transaction): reads and writes waited for the scan.
pub fn scanned_under_access_exclusive(t: &StatementTrace) -> impl Iterator<Item = &String> {
    t.scanned.iter().filter(|r| t.held_on(r) == Some(LockMode::AccessExclusive))
}

/// Every rule over one migration.
pub fn find(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules::ALL {
        out.extend((rule.check)(ctx));
    }
    out
}

/// Mark the findings the plan accepts for this migration, with the reason.
pub fn apply_acceptances(findings: &mut [Finding], m: &Migration, schema: &str) {
    for f in findings {
        if let Some(a) = m.accept.iter().find(|a| accepts(a, f, schema)) {
            f.accepted = Some(a.reason.clone());
        }
    }
}

fn accepts(a: &AcceptedFinding, f: &Finding, schema: &str) -> bool {
    let relation_ok = match &a.relation {
        None => true,
        Some(r) if r.contains('.') => *r == f.relation,
        Some(r) => format!("{schema}.{r}") == f.relation,
    };
    a.rule == f.rule && relation_ok
}

/// The size-weighted words of a finding about a scan or a rewrite that held `ms` here.
pub fn estimate(rows: Option<i64>, ms: f64) -> String {
    match rows {
        Some(0) => "empty here: nothing was scanned; on a table with rows the lock lasts as long as the scan".into(),
        Some(n) => {
            let rate = n as f64 / (ms / 1000.0).max(0.000_1);
            format!(
                "{n} rows here, lock held {ms:.1} ms (about {rate:.0} rows/s): some {:.0} s per 10 million rows",
                10_000_000.0 / rate.max(1.0)
            )
        }
        None => format!("size unknown here; held {ms:.1} ms"),
    }
}

#[cfg(test)]
pub(crate) mod test_utils {
    //! Build a migration result with a trace, for the rules' own tests.

    use super::*;
    use crate::db::lock_modes::LockMode;
    use crate::plan::MsRange;
    use crate::run_result::{HeldLock, LockTaken, MigrationStatus};

    pub struct Fixture {
        pub migration: MigrationResult,
        pub statements: Vec<Statement>,
        pub rows: HashMap<String, Option<i64>>,
        pub after: Snapshot,
        pub diff: SnapshotDiff,
    }

    impl Fixture {
        /// A migration that sets its own `lock_timeout` (line 1), as a careful file does: the
        /// rules' tests then see only what their statements do.
        pub fn new() -> Self {
            Fixture::without_lock_timeout().sql(1, "SET lock_timeout = '2s'")
        }

        /// A migration with no statement yet.
        pub fn without_lock_timeout() -> Self {
            let m = Migration {
                id: "900".into(),
                title: "fixture".into(),
                file: "900.sql".into(),
                expected_ms: Some(MsRange(0, 1)),
                creates: Default::default(),
                non_transactional: false,
                data_loss: vec![],
                accept: vec![],
            };
            let mut migration = crate::run_result::MigrationResult::not_run(&m, None);
            migration.status = MigrationStatus::Applied;
            Fixture {
                migration,
                statements: vec![],
                rows: HashMap::new(),
                after: Snapshot::default(),
                diff: SnapshotDiff::default(),
            }
        }

        /// A statement at `line` that took `locks` ((relation, mode)) and held them `held_ms`;
        /// it ran under those and every lock taken before it.
        pub fn statement(mut self, line: usize, sql: &str, ms: f64, locks: &[(&str, &str)], held_ms: f64) -> Self {
            self.statements.push(crate::db::split::split(sql).unwrap().remove(0));
            self.statements.last_mut().unwrap().line = line;
            let mut held: Vec<HeldLock> = self.migration.trace.last().map(|t| t.held.clone()).unwrap_or_default();
            for (relation, mode) in locks {
                let mode: LockMode = mode.parse().expect("a lock mode");
                match held.iter_mut().find(|h| h.relation == *relation) {
                    Some(h) => h.mode = h.mode.max(mode),
                    None => held.push(HeldLock { relation: (*relation).into(), mode }),
                }
            }
            self.migration.trace.push(StatementTrace {
                waited_ms: 0.0,
                held,
                scanned: vec![],
                statement: format!("900.sql:{line}"),
                line,
                sql: sql.into(),
                at_ms: 0.0,
                ms,
                locks: locks
                    .iter()
                    .map(|(r, m)| {
                        let mode: LockMode = m.parse().expect("a lock mode");
                        LockTaken {
                            relation: (*r).into(),
                            kind: "table".into(),
                            mode,
                            blocks: Some(mode.blocks()),
                            held_ms,
                            read_blocked: None,
                            write_blocked: None,
                        }
                    })
                    .collect(),
                rewrote: vec![],
                truncated: vec![],
                outside_transaction: false,
            });
            self
        }

        /// A statement at `line` that the trace did not follow (it locked nothing).
        pub fn sql(mut self, line: usize, sql: &str) -> Self {
            self.statements.push(crate::db::split::split(sql).unwrap().remove(0));
            self.statements.last_mut().unwrap().line = line;
            self
        }

        /// The last statement also took `mode` on the index `relation`.
        pub fn index_lock(mut self, relation: &str, mode: &str) -> Self {
            let mode: LockMode = mode.parse().expect("a lock mode");
            let t = self.migration.trace.last_mut().unwrap();
            t.locks.push(LockTaken {
                relation: relation.into(),
                kind: "index".into(),
                mode,
                blocks: Some(mode.blocks()),
                held_ms: t.ms,
                read_blocked: None,
                write_blocked: None,
            });
            t.held.push(HeldLock { relation: relation.into(), mode });
            self
        }

        /// The last statement read `relation` in full.
        pub fn scanned(mut self, relation: &str) -> Self {
            self.migration.trace.last_mut().unwrap().scanned.push(relation.into());
            self
        }

        pub fn rewrote(mut self, relation: &str) -> Self {
            self.migration.trace.last_mut().unwrap().rewrote.push(relation.into());
            self
        }

        pub fn rows(mut self, table: &str, n: Option<i64>) -> Self {
            self.rows.insert(table.into(), n);
            self
        }

        pub fn findings(&self, max_write_lock_ms: u64) -> Vec<Finding> {
            let ctx = Context {
                migration: &self.migration,
                statements: &self.statements,
                rows: &self.rows,
                after: &self.after,
                diff: &self.diff,
                max_write_lock_ms,
            };
            find(&ctx)
        }
    }

    pub fn rules_of(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.rule.as_str()).collect()
    }
}
