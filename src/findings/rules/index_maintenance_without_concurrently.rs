//! `index-maintenance-without-concurrently`: `REINDEX` without `CONCURRENTLY` holds ACCESS
//! EXCLUSIVE on each index it rebuilds (every query that plans on the table waits: the planner
//! opens all its indexes) and SHARE on the table (writes wait); `DROP INDEX` without
//! `CONCURRENTLY` holds ACCESS EXCLUSIVE on the table. Safer: `REINDEX … CONCURRENTLY`, `DROP
//! INDEX CONCURRENTLY`, each in a migration of its own (`non_transactional: true`).

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule =
    Rule { id: LockRule::IndexMaintenanceWithoutConcurrently, summary: "REINDEX or DROP INDEX without CONCURRENTLY", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        let (reindex, drop) = (sql.starts_with("REINDEX "), sql.starts_with("DROP INDEX "));
        if !(reindex || drop) || sql.contains(" CONCURRENTLY") {
            continue;
        }
        // The tables whose reads or writes it kept waiting: for REINDEX, the table of the
        // indexes it held ACCESS EXCLUSIVE (the table's own lock is SHARE); for DROP INDEX, the
        // table it locked.
        let tables =
            t.locks.iter().filter(|l| l.kind.contains("table") && l.blocks != Some(crate::db::lock_modes::Blocks::DdlOnly));
        let indexes_held = t.locks.iter().any(|l| l.kind.contains("index") && l.mode == LockMode::AccessExclusive);
        for l in tables {
            let (what, advice) = if reindex {
                (
                    "REINDEX held its indexes ACCESS EXCLUSIVE: reads and writes of",
                    "REINDEX … CONCURRENTLY, in a migration of its own marked non_transactional",
                )
            } else {
                (
                    "DROP INDEX held ACCESS EXCLUSIVE: reads and writes of",
                    "DROP INDEX CONCURRENTLY, in a migration of its own marked non_transactional",
                )
            };
            if reindex && !indexes_held {
                continue;
            }
            let message = format!("{what} {} waited", l.relation);
            out.push(under(ctx, RULE.id, t, &l.relation, LockMode::AccessExclusive.max(l.mode), message, advice));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::IndexMaintenanceWithoutConcurrently,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one",
    detects: "REINDEX or DROP INDEX without CONCURRENTLY (ACCESS EXCLUSIVE on the index or the table)",
    why: "DROP INDEX blocks reads and writes of the table; REINDEX blocks writes and every query that plans on the table",
    safer: "DROP INDEX CONCURRENTLY, REINDEX … CONCURRENTLY, each in a migration of its own (non_transactional: true); VACUUM FULL and CLUSTER: pg_repack, or a copy",
    bad: &["DROP INDEX public.customers_email_idx;"],
    good: &["DROP INDEX CONCURRENTLY public.customers_email_idx;"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    const ID: &str = "index-maintenance-without-concurrently";

    #[test]
    fn reindex_and_drop_index_without_concurrently_are_found_and_with_it_are_not() {
        let reindex = Fixture::new()
            .rows("public.users", Some(10_000))
            .statement(2, "REINDEX TABLE public.users", 30.0, &[("public.users", "ShareLock")], 30.0)
            .index_lock("public.users_pkey", "AccessExclusiveLock")
            .findings(100_000);
        assert!(rules_of(&reindex).contains(&ID), "{reindex:?}");
        let drop = Fixture::new()
            .rows("public.users", Some(10_000))
            .statement(2, "DROP INDEX public.users_email_idx", 0.3, &[("public.users", "AccessExclusiveLock")], 0.3)
            .findings(100_000);
        assert!(rules_of(&drop).contains(&ID), "{drop:?}");
        let concurrently = Fixture::new()
            .rows("public.users", Some(10_000))
            .statement(
                2,
                "DROP INDEX CONCURRENTLY public.users_email_idx",
                0.3,
                &[("public.users", "ShareUpdateExclusiveLock")],
                0.3,
            )
            .findings(100_000);
        assert!(!rules_of(&concurrently).contains(&ID), "{concurrently:?}");
    }
}
