//! `set-not-null-scan`: `ALTER COLUMN … SET NOT NULL` on a table with rows holds ACCESS
//! EXCLUSIVE while it scans every row (unless a valid CHECK already proves no NULL, PostgreSQL
//! 12+): reads and writes wait. Safer: `ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID`,
//! `VALIDATE CONSTRAINT` (no ACCESS EXCLUSIVE), then `SET NOT NULL` (no scan), then drop the
//! check.

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::{Context, shape, sized};
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
        for l in t.locks.iter().filter(|l| l.mode == LockMode::AccessExclusive && l.kind.contains("table")) {
            let message = format!("SET NOT NULL on {} scanned it under ACCESS EXCLUSIVE", l.relation);
            out.push(sized(ctx, RULE.id, t, l, "reads and writes", message, "ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT; then SET NOT NULL (no scan); drop the check"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn set_not_null_under_access_exclusive_is_found() {
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
        assert_eq!(rules_of(&f), ["set-not-null-scan"]);
    }
}
