//! `validate-in-same-transaction`: `VALIDATE CONSTRAINT` alone takes SHARE UPDATE EXCLUSIVE
//! (reads and writes go on), but in the transaction whose `ADD CONSTRAINT … NOT VALID` took
//! ACCESS EXCLUSIVE, its scan runs under that lock: the `NOT VALID` bought nothing. Safer: the
//! `VALIDATE` in a later migration (its own transaction). Raised where the trace saw the
//! `VALIDATE` read the table under ACCESS EXCLUSIVE.

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, scanned_under_access_exclusive, shape, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule =
    Rule { id: LockRule::ValidateInSameTransaction, summary: "VALIDATE CONSTRAINT under the lock its ADD took", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        if !sql.starts_with("ALTER TABLE") || !sql.contains(" VALIDATE CONSTRAINT ") {
            continue;
        }
        for relation in scanned_under_access_exclusive(t) {
            let message = format!(
                "VALIDATE CONSTRAINT scanned {relation} under the ACCESS EXCLUSIVE lock an earlier statement of the transaction took"
            );
            out.push(under(
                ctx,
                RULE.id,
                t,
                relation,
                LockMode::AccessExclusive,
                message,
                "VALIDATE CONSTRAINT in a later migration (its own transaction: SHARE UPDATE EXCLUSIVE, reads and writes go on)",
            ));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::ValidateInSameTransaction,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one",
    detects: "VALIDATE CONSTRAINT in the transaction whose ADD … NOT VALID took ACCESS EXCLUSIVE (the scan ran under it)",
    why: "the NOT VALID bought nothing: reads and writes wait for the validating scan",
    safer: "VALIDATE CONSTRAINT in a later migration (its own transaction: SHARE UPDATE EXCLUSIVE)",
    bad: &[
        "ALTER TABLE public.orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\nALTER TABLE public.orders VALIDATE CONSTRAINT orders_total_positive;",
    ],
    good: &[
        "-- orders_total_cap was added NOT VALID by an earlier migration\nALTER TABLE public.orders VALIDATE CONSTRAINT orders_total_cap;",
    ],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn validate_under_the_add_lock_is_found_and_on_its_own_is_not() {
        let add = "ALTER TABLE public.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES public.users (id) NOT VALID";
        let validate = "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_user_fk";
        let bad = Fixture::new()
            .rows("public.orders", Some(10_000))
            .statement(2, add, 0.4, &[("public.orders", "AccessExclusiveLock")], 30.0)
            .statement(3, validate, 25.0, &[("public.orders", "ShareUpdateExclusiveLock")], 25.0)
            .scanned("public.orders")
            .findings(100_000);
        assert!(rules_of(&bad).contains(&"validate-in-same-transaction"), "{bad:?}");
        let good = Fixture::new()
            .rows("public.orders", Some(10_000))
            .statement(2, validate, 25.0, &[("public.orders", "ShareUpdateExclusiveLock")], 25.0)
            .scanned("public.orders")
            .findings(100_000);
        assert!(!rules_of(&good).contains(&"validate-in-same-transaction"), "{good:?}");
    }
}
