//! `check-without-not-valid`: `ALTER TABLE … ADD CONSTRAINT … CHECK (…)` without `NOT VALID`
//! checks every row while it holds ACCESS EXCLUSIVE: reads and writes wait for the scan. Safer:
//! `ADD CONSTRAINT … CHECK (…) NOT VALID` (a catalog change), then `VALIDATE CONSTRAINT` in a
//! later migration (SHARE UPDATE EXCLUSIVE: reads and writes go on). Raised where the trace saw
//! the statement read the table.

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, scanned_under_access_exclusive, shape, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule = Rule { id: LockRule::CheckWithoutNotValid, summary: "CHECK constraint added without NOT VALID", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        if !sql.starts_with("ALTER TABLE") || !sql.contains(" CHECK") || !sql.contains(" ADD ") || sql.contains(" NOT VALID") {
            continue;
        }
        for relation in scanned_under_access_exclusive(t) {
            let message = format!("the CHECK constraint was verified on every row of {relation} under ACCESS EXCLUSIVE");
            out.push(under(
                ctx,
                RULE.id,
                t,
                relation,
                LockMode::AccessExclusive,
                message,
                "ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT in a later migration",
            ));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::CheckWithoutNotValid,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one",
    detects: "a CHECK constraint added by ALTER TABLE without NOT VALID (every row checked under ACCESS EXCLUSIVE)",
    why: "reads and writes wait while every row is checked",
    safer: "ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT in a later migration",
    bad: &["ALTER TABLE public.orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);"],
    good: &["ALTER TABLE public.orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn a_check_that_scanned_is_found_and_not_valid_is_not() {
        let lock = [("public.moves", "AccessExclusiveLock")];
        let bad = Fixture::new()
            .rows("public.moves", Some(10_000))
            .statement(2, "ALTER TABLE public.moves ADD CONSTRAINT moves_budget CHECK (budget_cents < 10000000)", 9.0, &lock, 9.0)
            .scanned("public.moves")
            .findings(100_000);
        assert_eq!(rules_of(&bad), ["check-without-not-valid"]);
        let good = Fixture::new()
            .rows("public.moves", Some(10_000))
            .statement(
                2,
                "ALTER TABLE public.moves ADD CONSTRAINT moves_budget CHECK (budget_cents < 10000000) NOT VALID",
                0.5,
                &lock,
                0.5,
            )
            .findings(100_000);
        assert!(!rules_of(&good).contains(&"check-without-not-valid"), "{good:?}");
    }
}
