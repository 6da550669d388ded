//! `write-lock-held-too-long`: a lock that blocks writes (SHARE, SHARE ROW EXCLUSIVE,
//! EXCLUSIVE) or reads and writes (ACCESS EXCLUSIVE) of a pre-existing relation held longer
//! than the plan's `execution.max_write_lock_ms`: for that long, the application's writes
//! queued. Safer: shorter transactions (split the migration), `NOT VALID` foreign keys,
//! `CONCURRENTLY` indexes, and the lock-taking statements last.

use super::Rule;
use crate::db::lock_modes::Blocks;
use crate::findings::Context;
use crate::findings::catalogue::Doc;
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule =
    Rule { id: LockRule::WriteLockHeldTooLong, summary: "a write-blocking lock held longer than the plan's limit", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        for l in &t.locks {
            let blocks = l.blocks.unwrap_or(Blocks::DdlOnly);
            if blocks == Blocks::DdlOnly || l.held_ms <= ctx.max_write_lock_ms as f64 {
                continue;
            }
            out.push(Finding {
                severity: FindingSeverity::Warning,
                statement: t.statement.clone(),
                relation: l.relation.clone(),
                lock: l.mode.to_string(),
                blocks: blocks.label().into(),
                message: format!(
                    "{} on {} held {:.0} ms (the plan allows {} ms): {} waited that long",
                    l.mode.sql_name(),
                    l.relation,
                    l.held_ms,
                    ctx.max_write_lock_ms,
                    blocks.label()
                ),
                advice: "split the migration so the lock is held for less; take write-blocking locks late in the transaction"
                    .into(),
                ..Finding::of(RULE.id)
            });
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::WriteLockHeldTooLong,
    severity: "warning",
    detects: "a lock blocking writes (SHARE and stronger) on a pre-existing table held longer than the plan's execution.max_write_lock_ms",
    why: "for that long the application's writes queued",
    safer: "shorter transactions (split the migration), NOT VALID constraints, CONCURRENTLY indexes, the lock-taking statements last",
    bad: &["LOCK TABLE public.orders IN SHARE MODE;\nSELECT pg_sleep(1.5); -- stands for a long backfill while the lock is held"],
    good: &["SELECT pg_sleep(1.5); -- the long work first, without the lock\nLOCK TABLE public.orders IN SHARE MODE;"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn only_write_blocking_locks_over_the_limit() {
        let f = Fixture::new()
            .statement(
                1,
                "CREATE TABLE t (w uuid REFERENCES public.workspaces (id))",
                1.0,
                &[("public.workspaces", "ShareRowExclusiveLock")],
                1500.0,
            )
            .findings(1000);
        assert_eq!(rules_of(&f), ["write-lock-held-too-long"]);
        assert!(
            Fixture::new()
                .statement(1, "SELECT * FROM public.workspaces", 1.0, &[("public.workspaces", "AccessShareLock")], 5000.0)
                .findings(1000)
                .is_empty()
        );
    }
}
