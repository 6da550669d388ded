//! `set-not-null-scan`: `ALTER COLUMN … SET NOT NULL` on a table with rows holds ACCESS
//! EXCLUSIVE while it scans every row (unless a valid CHECK already proves no NULL, PostgreSQL
//! 12+): reads and writes wait. Safer: `ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID`,
//! `VALIDATE CONSTRAINT` (no ACCESS EXCLUSIVE), then `SET NOT NULL` (no scan), then drop the
//! check.

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, scanned_under_access_exclusive, shape, sized, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule = Rule { id: LockRule::SetNotNullScan, summary: "SET NOT NULL by a full scan", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        if !sql.starts_with("ALTER TABLE") || !sql.contains("SET NOT NULL") {
            continue;
        }
        // Only where the server scanned: a validated CHECK (col IS NOT NULL) proves the column
        // without one, and a lock taken by an earlier statement is still the one it ran under.
        for relation in scanned_under_access_exclusive(t) {
            let lock = t.locks.iter().find(|l| &l.relation == relation && l.mode == LockMode::AccessExclusive);
            let message = format!("SET NOT NULL on {relation} scanned it under ACCESS EXCLUSIVE");
            let advice = "ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT; then SET NOT NULL (no scan); drop the check";
            out.push(match lock {
                Some(l) => sized(ctx, RULE.id, t, l, "reads and writes", message, advice),
                None => under(ctx, RULE.id, t, relation, LockMode::AccessExclusive, message, advice),
            });
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::SetNotNullScan,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one",
    detects: "ALTER COLUMN … SET NOT NULL that scanned the table under ACCESS EXCLUSIVE (no validated CHECK proved it)",
    why: "reads and writes of the table wait while every row is read",
    safer: "ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT in a later migration; then SET NOT NULL (no scan) and drop the check",
    bad: &["ALTER TABLE public.customers ALTER COLUMN email SET NOT NULL;"],
    good: &[
        "-- customers_region_present CHECK (region IS NOT NULL) is validated already: no scan\nALTER TABLE public.customers ALTER COLUMN region SET NOT NULL;\nALTER TABLE public.customers DROP CONSTRAINT customers_region_present;",
    ],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn set_not_null_that_scanned_under_access_exclusive_is_found() {
        let f = Fixture::new()
            .rows("public.users", Some(10))
            .statement(
                2,
                "ALTER TABLE public.users ALTER COLUMN email SET NOT NULL",
                3.0,
                &[("public.users", "AccessExclusiveLock")],
                3.0,
            )
            .scanned("public.users")
            .findings(10_000);
        assert_eq!(rules_of(&f), ["set-not-null-scan"]);
    }

    #[test]
    fn set_not_null_proven_without_a_scan_is_not_a_finding() {
        let f = Fixture::new()
            .rows("public.users", Some(10))
            .statement(
                2,
                "ALTER TABLE public.users ALTER COLUMN email SET NOT NULL",
                3.0,
                &[("public.users", "AccessExclusiveLock")],
                3.0,
            )
            .findings(10_000);
        assert!(!rules_of(&f).contains(&"set-not-null-scan"), "{:?}", rules_of(&f));
    }

    #[test]
    fn a_second_set_not_null_under_the_same_lock_is_found_too() {
        let sql = "ALTER TABLE public.users ALTER COLUMN email SET NOT NULL";
        let f = Fixture::new()
            .rows("public.users", Some(10))
            .statement(2, sql, 3.0, &[("public.users", "AccessExclusiveLock")], 3.0)
            .scanned("public.users")
            .statement(3, "ALTER TABLE public.users ALTER COLUMN name SET NOT NULL", 3.0, &[], 3.0)
            .scanned("public.users")
            .findings(10_000);
        let lines: Vec<&str> = f.iter().filter(|x| x.rule == "set-not-null-scan").map(|x| x.statement.as_str()).collect();
        assert_eq!(lines, ["900.sql:2", "900.sql:3"]);
    }
}
