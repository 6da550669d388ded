//! Findings: what the lock trace of a migration shows a DBA should know, each with the
//! statement (file:line), the relation, the lock and what it blocks, the safer pattern, and the
//! relation's size on the database it ran against. Rules (one file each in [`rules`]) are pure
//! functions over a read-only [`Context`]: the trace, the statements, the catalog after the
//! migration; they never touch a database, so each is tested on its own.

pub mod catalogue;
pub mod grade;
pub mod rules;

use std::collections::HashMap;

use crate::db::lock_modes::LockMode;
use crate::db::snapshot::{Snapshot, SnapshotDiff};
use crate::db::split::Statement;
use crate::plan::{AcceptedFinding, LockRule, Migration};
use crate::run_result::{Finding, MigrationResult, StatementTrace};

/// What the rules read.
pub struct Context<'a> {
    pub migration: &'a MigrationResult,
    pub statements: &'a [Statement],
    /// Rows of pre-existing tables before the migration, from the statistics.
    pub rows: &'a HashMap<String, Option<i64>>,
    /// Rows the tables held where the statements ran, before the migration: the same as
    /// `rows`, except on a clone of staging's schema (empty tables; `rows` are staging's).
    pub rows_here: &'a HashMap<String, Option<i64>>,
    /// Bytes (with indexes and TOAST) of the relations the migration locked, read before its
    /// COMMIT (on a clone of staging's schema, staging's).
    pub bytes: &'a HashMap<String, i64>,
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

    /// A relation's size on the target: its rows before the migration and its bytes.
    pub fn size(&self, relation: &str) -> grade::Size {
        grade::Size { rows: self.rows(relation), bytes: self.bytes.get(relation).copied() }
    }

    /// Rows `relation` held where the statements ran (what a statement here worked through).
    pub fn rows_here(&self, relation: &str) -> Option<i64> {
        self.rows_here.get(relation).copied().flatten()
    }

    pub fn file(&self) -> &str {
        &self.migration.file
    }
}

/// Upper-cased SQL with runs of whitespace made single spaces, for matching statement shapes.
pub fn shape(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// A finding about a scan or a rewrite of `lock`'s relation by the statement of `trace`,
/// graded by what the lock cost here ([`grade::scaled`]): the relation's size, the statement's
/// time under the lock, the plan's limit.
pub fn sized(
    ctx: &Context,
    rule: LockRule,
    trace: &StatementTrace,
    lock: &crate::run_result::LockTaken,
    blocks: &str,
    message: String,
    advice: &str,
) -> Finding {
    let size = ctx.size(&lock.relation);
    let here = ctx.rows_here(&lock.relation);
    let grade = grade::scaled(size, here, worked_ms(trace), blocks, ctx.max_write_lock_ms);
    Finding {
        statement: trace.statement.clone(),
        relation: lock.relation.clone(),
        lock: lock.mode.to_string(),
        blocks: blocks.into(),
        message,
        advice: advice.into(),
        ..graded(rule, size, grade)
    }
}

/// A finding about statement `t` on `relation`, which it ran under `mode` (taken by it or by an
/// earlier statement of the transaction), graded by what the lock cost here
/// ([`grade::scaled`]): the relation's size, the statement's time, the plan's limit.
pub fn under(
    ctx: &Context,
    rule: LockRule,
    t: &StatementTrace,
    relation: &str,
    mode: LockMode,
    message: String,
    advice: &str,
) -> Finding {
    let size = ctx.size(relation);
    let blocks = mode.blocks().label();
    let grade = grade::scaled(size, ctx.rows_here(relation), worked_ms(t), blocks, ctx.max_write_lock_ms);
    Finding {
        statement: t.statement.clone(),
        relation: relation.to_owned(),
        lock: mode.to_string(),
        blocks: blocks.into(),
        message,
        advice: advice.into(),
        ..graded(rule, size, grade)
    }
}

/// A finding of `rule` on a relation of `size`, with its grade: severity, the relation's
/// size, and the words the grade stands on (`estimate`). The rule fills in the rest.
pub fn graded(rule: LockRule, size: grade::Size, grade: grade::Grade) -> Finding {
    Finding { severity: grade.severity, rows: size.rows, bytes: size.bytes, estimate: grade.text, ..Finding::of(rule) }
}

/// How long statement `t` itself worked under its locks: its time, less its wait for another
/// session's lock (before the wait it held nothing new).
pub fn worked_ms(t: &StatementTrace) -> f64 {
    (t.ms - t.waited_ms).max(0.0)
}

/// The pre-existing tables statement `t` read in full while ACCESS EXCLUSIVE was held on them
/// (by it or by an earlier statement of the transaction): reads and writes waited for the scan.
pub fn scanned_under_access_exclusive(t: &StatementTrace) -> impl Iterator<Item = &String> {
    t.scanned.iter().filter(|r| t.held_on(r) == Some(LockMode::AccessExclusive))
}

/// Every rule over one migration. A lock held past the plan's limit is not said twice: where
/// another finding already graded the same lock of the same statement by its time, and nothing
/// after that statement kept it much longer, `write-lock-held-too-long` adds nothing (accepting
/// the one accepts the lock it measured).
pub fn find(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules::ALL {
        out.extend((rule.check)(ctx));
    }
    let graded_elsewhere = |f: &Finding| {
        f.rule == LockRule::WriteLockHeldTooLong
            && out.iter().any(|o| {
                o.rule != LockRule::WriteLockHeldTooLong
                    && !o.estimate.is_empty()
                    && (&o.statement, &o.relation, &o.lock) == (&f.statement, &f.relation, &f.lock)
            })
            && ctx.migration.trace.iter().filter(|t| t.statement == f.statement).any(|t| {
                t.locks.iter().any(|l| {
                    l.relation == f.relation
                        && l.mode.to_string() == f.lock
                        && l.held_ms - worked_ms(t) < ctx.max_write_lock_ms as f64 / grade::ERROR_SHARE
                })
            })
    };
    let redundant: Vec<bool> = out.iter().map(graded_elsewhere).collect();
    let mut keep = redundant.iter().map(|r| !r);
    out.retain(|_| keep.next().unwrap_or(true));
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
        /// Rows where the statements ran, when not `rows` (a clone of staging's schema).
        pub rows_here: Option<HashMap<String, Option<i64>>>,
        pub bytes: HashMap<String, i64>,
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
                rows_here: None,
                bytes: HashMap::new(),
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

        /// `table` held `n` rows where the statements ran, while it has the rows given by
        /// [`Fixture::rows`] on the target (a clone of staging's schema is empty).
        pub fn rows_here(mut self, table: &str, n: Option<i64>) -> Self {
            self.rows_here.get_or_insert_with(|| self.rows.clone()).insert(table.into(), n);
            self
        }

        pub fn findings(&self, max_write_lock_ms: u64) -> Vec<Finding> {
            let ctx = Context {
                migration: &self.migration,
                statements: &self.statements,
                rows: &self.rows,
                rows_here: self.rows_here.as_ref().unwrap_or(&self.rows),
                bytes: &self.bytes,
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

#[cfg(test)]
mod tests {
    use super::test_utils::{Fixture, rules_of};

    /// An index build of 2,000,000 rows that held SHARE for 3 s, then `held_ms` in all.
    fn build(held_ms: f64) -> Fixture {
        Fixture::new().rows("public.users", Some(2_000_000)).statement(
            3,
            "CREATE INDEX idx_users_email ON public.users (email)",
            3_000.0,
            &[("public.users", "ShareLock")],
            held_ms,
        )
    }

    #[test]
    fn on_a_clone_a_finding_is_graded_by_the_targets_rows_not_the_empty_tables_time() {
        let clone = |n| {
            Fixture::new().rows("public.users", Some(n)).rows_here("public.users", Some(0)).statement(
                3,
                "CREATE INDEX idx_users_email ON public.users (email)",
                4.0,
                &[("public.users", "ShareLock")],
                5.0,
            )
        };
        let f = clone(2_000_000).findings(1_000);
        assert_eq!(f[0].severity, crate::run_result::FindingSeverity::Error, "{}", f[0].estimate);
        assert!(f[0].estimate.contains("~2.0 s of blocked writes estimated for 2,000,000 rows"), "{}", f[0].estimate);
        let f = clone(0).findings(1_000);
        assert_eq!(f[0].severity, crate::run_result::FindingSeverity::Info, "empty on the target too");
    }

    #[test]
    fn a_lock_over_the_limit_is_said_once_unless_later_statements_kept_it_longer() {
        assert_eq!(rules_of(&build(3_010.0).findings(1_000)), ["index-without-concurrently"]);
        let both = build(5_000.0).findings(1_000);
        assert_eq!(rules_of(&both), ["index-without-concurrently", "write-lock-held-too-long"], "2 s more under the lock");
    }
}
