//! `index-without-concurrently`: `CREATE INDEX` without `CONCURRENTLY` on a table that had
//! rows takes SHARE on it for the whole build and the rest of the transaction: every INSERT,
//! UPDATE and DELETE waits. Safer: `CREATE INDEX CONCURRENTLY` in a migration of its own
//! (`non_transactional: true`), then check the index is valid.

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape, sized};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule = Rule { id: LockRule::IndexWithoutConcurrently, summary: "index built without CONCURRENTLY", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        let is_index = sql.starts_with("CREATE INDEX") || sql.starts_with("CREATE UNIQUE INDEX");
        if !is_index || sql.contains(" CONCURRENTLY ") {
            continue;
        }
        for l in t.locks.iter().filter(|l| l.mode == LockMode::Share && l.kind.contains("table")) {
            let message =
                format!("CREATE INDEX without CONCURRENTLY took SHARE on {} for {:.1} ms: writes waited", l.relation, l.held_ms);
            out.push(sized(
                ctx,
                RULE.id,
                t,
                l,
                "writes",
                message,
                "CREATE INDEX CONCURRENTLY, in a migration of its own marked non_transactional; then check the index is valid",
            ));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::IndexWithoutConcurrently,
    severity: crate::findings::grade::SCALED_POLICY,
    detects: "CREATE INDEX without CONCURRENTLY on a table that had rows (SHARE held for the build: writes wait)",
    why: "every INSERT, UPDATE and DELETE of the table waits for the whole build and the rest of the transaction",
    safer: "CREATE INDEX CONCURRENTLY in a migration of its own (non_transactional: true), then check the index is valid",
    bad: &["CREATE INDEX customers_region_idx ON public.customers (region);"],
    good: &["CREATE INDEX CONCURRENTLY customers_region_idx ON public.customers (region);"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};
    use crate::run_result::FindingSeverity;

    #[test]
    fn an_index_on_a_table_with_rows_is_an_error_and_concurrently_is_fine() {
        let build = |rows: i64, ms: f64| {
            Fixture::new().rows("public.users", Some(rows)).statement(
                3,
                "CREATE INDEX idx_users_email ON public.users (email)",
                ms,
                &[("public.users", "ShareLock")],
                ms + 8.0,
            )
        };
        let f = build(2_000_000, 3_000.0).findings(10_000);
        assert_eq!(rules_of(&f), ["index-without-concurrently"]);
        assert_eq!(f[0].severity, FindingSeverity::Error, "3 s of blocked writes against a 10 s limit");
        assert!(f[0].estimate.contains("2,000,000 rows"), "{}", f[0].estimate);
        let f = build(500_000, 750.0).findings(20_000);
        assert_eq!(f[0].severity, FindingSeverity::Warning, "under a quarter of a 20 s limit");
        let f = build(2_000_000, 3_000.0).findings(20_000);
        assert_eq!(f[0].severity, FindingSeverity::Error, "a table of 1,000,000 rows or more, whatever the limit");
        let f = build(5_000, 12.0).findings(10_000);
        assert_eq!(f[0].severity, FindingSeverity::Info, "a tiny table: 12 ms is the statement's own cost");
        let f = Fixture::new()
            .rows("public.users", Some(0))
            .statement(3, "create index i on public.users (email)", 1.0, &[("public.users", "ShareLock")], 2.0)
            .findings(10_000);
        assert_eq!(f[0].severity, FindingSeverity::Info, "an empty table says so");
        let f = Fixture::new()
            .statement(
                3,
                "CREATE INDEX CONCURRENTLY i ON public.users (email)",
                1.0,
                &[("public.users", "ShareUpdateExclusiveLock")],
                2.0,
            )
            .findings(10_000);
        assert!(f.is_empty());
    }
}
