//! `domain-constraint-scan`: `ALTER DOMAIN … ADD CONSTRAINT` without `NOT VALID` checks every
//! value of every column of the domain, in every table, holding SHARE on each: their writes
//! wait for the scans. Raised for each table the trace saw it lock against writes. Safer: `ADD
//! CONSTRAINT … NOT VALID` (new values checked at once), then `VALIDATE CONSTRAINT` in a later
//! migration, off-hours.

use super::Rule;
use crate::db::lock_modes::Blocks;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule = Rule {
    id: LockRule::DomainConstraintScan,
    summary: "ALTER DOMAIN … ADD CONSTRAINT checks every column of the domain",
    check,
};

const ADVICE: &str = "ALTER DOMAIN … ADD CONSTRAINT … NOT VALID (new values checked at once), then VALIDATE CONSTRAINT in a later migration, off-hours";

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        if !sql.starts_with("ALTER DOMAIN") || !sql.contains(" ADD ") || sql.contains(" NOT VALID") {
            continue;
        }
        for l in t.locks.iter().filter(|l| l.kind.contains("table") && l.blocks.is_some_and(|b| b != Blocks::DdlOnly)) {
            let message =
                format!("the domain's new constraint was checked on every row of {} under {}: writes waited", l.relation, l.mode);
            out.push(under(ctx, RULE.id, t, &l.relation, l.mode, message, ADVICE));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::DomainConstraintScan,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one (per table using the domain)",
    detects: "ALTER DOMAIN … ADD CONSTRAINT without NOT VALID (measured: the tables whose columns use the domain locked against writes)",
    why: "every value of every column of the domain is checked, in every table, while their writes wait",
    safer: ADVICE,
    bad: &["ALTER DOMAIN public.money_cents ADD CONSTRAINT money_cents_positive CHECK (VALUE >= 0);"],
    good: &["ALTER DOMAIN public.money_cents ADD CONSTRAINT money_cents_positive CHECK (VALUE >= 0) NOT VALID;"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    const ID: &str = "domain-constraint-scan";

    #[test]
    fn a_domain_constraint_that_locked_writes_is_found_and_not_valid_is_not() {
        let lock = [("public.orders", "ShareLock")];
        let sql = "ALTER DOMAIN public.cents ADD CONSTRAINT cents_positive CHECK (VALUE >= 0)";
        let bad = Fixture::new().rows("public.orders", Some(10_000)).statement(2, sql, 5.0, &lock, 5.0).findings(100_000);
        assert_eq!(rules_of(&bad), [ID]);
        let good = Fixture::new()
            .rows("public.orders", Some(10_000))
            .statement(2, &format!("{sql} NOT VALID"), 0.2, &[], 0.2)
            .findings(100_000);
        assert!(!rules_of(&good).contains(&ID), "{good:?}");
    }
}
