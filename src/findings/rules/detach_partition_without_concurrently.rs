//! `detach-partition-without-concurrently`: `ALTER TABLE … DETACH PARTITION` without
//! `CONCURRENTLY` holds ACCESS EXCLUSIVE on the partitioned table and the partition: every read
//! and write of the whole table waits, behind any query already running on it. Raised where the
//! trace saw the statement take it. Safer (PostgreSQL 14+): `DETACH PARTITION … CONCURRENTLY`
//! in a migration of its own (`non_transactional: true`; SHARE UPDATE EXCLUSIVE), then
//! `DETACH PARTITION … FINALIZE` should it be interrupted.

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule =
    Rule { id: LockRule::DetachPartitionWithoutConcurrently, summary: "DETACH PARTITION without CONCURRENTLY", check };

const ADVICE: &str = "ALTER TABLE … DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+) in a migration of its own (non_transactional: true); DETACH PARTITION … FINALIZE if it is interrupted";

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        if !sql.starts_with("ALTER TABLE")
            || !sql.contains(" DETACH PARTITION ")
            || sql.contains(" CONCURRENTLY")
            || sql.contains(" FINALIZE")
        {
            continue;
        }
        for l in t.locks.iter().filter(|l| l.kind.contains("table") && l.mode == LockMode::AccessExclusive) {
            let message = format!("DETACH PARTITION held ACCESS EXCLUSIVE on {}: reads and writes waited", l.relation);
            out.push(under(ctx, RULE.id, t, &l.relation, l.mode, message, ADVICE));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::DetachPartitionWithoutConcurrently,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one",
    detects: "ALTER TABLE … DETACH PARTITION without CONCURRENTLY (measured: ACCESS EXCLUSIVE on the partitioned table and the partition)",
    why: "every read and write of the whole partitioned table waits, and the lock queues behind any query already running on it",
    safer: ADVICE,
    bad: &["ALTER TABLE public.measurements DETACH PARTITION public.measurements_2025;"],
    good: &["ALTER TABLE public.measurements DETACH PARTITION public.measurements_2025 CONCURRENTLY;"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    const ID: &str = "detach-partition-without-concurrently";

    #[test]
    fn a_detach_under_access_exclusive_is_found_and_concurrently_is_not() {
        let sql = "ALTER TABLE public.events DETACH PARTITION public.events_2025";
        let bad = Fixture::new()
            .rows("public.events_2025", Some(10_000))
            .statement(
                2,
                sql,
                1.0,
                &[("public.events", "AccessExclusiveLock"), ("public.events_2025", "AccessExclusiveLock")],
                1.0,
            )
            .findings(100_000);
        assert_eq!(rules_of(&bad).iter().filter(|r| **r == ID).count(), 2, "{bad:?}");
        let good = Fixture::new()
            .statement(2, &format!("{sql} CONCURRENTLY"), 1.0, &[("public.events", "ShareUpdateExclusiveLock")], 1.0)
            .findings(100_000);
        assert!(!rules_of(&good).contains(&ID), "{good:?}");
    }
}
