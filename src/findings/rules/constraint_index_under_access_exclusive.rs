//! `constraint-index-under-access-exclusive`: `ALTER TABLE … ADD CONSTRAINT … UNIQUE` (or
//! `PRIMARY KEY`, `EXCLUDE`, or `ADD COLUMN … UNIQUE`) builds its index under ACCESS EXCLUSIVE:
//! reads and writes wait for the whole build, which grows with the table. Safer: `CREATE UNIQUE
//! INDEX CONCURRENTLY` in a migration of its own, then `ADD CONSTRAINT … UNIQUE USING INDEX`
//! (a catalog change only). Raised where the trace saw the statement read the table under
//! ACCESS EXCLUSIVE, never for `USING INDEX`.

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, scanned_under_access_exclusive, shape, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule = Rule {
    id: LockRule::ConstraintIndexUnderAccessExclusive,
    summary: "UNIQUE / PRIMARY KEY / EXCLUDE index built by ALTER TABLE",
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        let builds = [" UNIQUE", " PRIMARY KEY", " EXCLUDE"].iter().any(|w| sql.contains(w));
        if !sql.starts_with("ALTER TABLE") || !sql.contains(" ADD ") || !builds || sql.contains(" USING INDEX") {
            continue;
        }
        for relation in scanned_under_access_exclusive(t) {
            let message = format!(
                "the constraint's index on {relation} was built under ACCESS EXCLUSIVE ({:.1} ms): reads and writes waited",
                t.ms
            );
            out.push(under(
                ctx,
                RULE.id,
                t,
                relation,
                LockMode::AccessExclusive,
                message,
                "CREATE UNIQUE INDEX CONCURRENTLY in a migration of its own (non_transactional), then ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX",
            ));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::ConstraintIndexUnderAccessExclusive,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one",
    detects: "UNIQUE, PRIMARY KEY or EXCLUDE added by ALTER TABLE (ADD CONSTRAINT or ADD COLUMN … UNIQUE): the index built under ACCESS EXCLUSIVE",
    why: "reads and writes wait for the whole index build, which grows with the table",
    safer: "CREATE UNIQUE INDEX CONCURRENTLY in a migration of its own, then ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX (a catalog change)",
    bad: &[
        "ALTER TABLE public.customers ADD CONSTRAINT customers_name_key UNIQUE (name);",
        "ALTER TABLE public.customers ADD COLUMN external_ref text UNIQUE;",
    ],
    good: &["ALTER TABLE public.customers ADD CONSTRAINT customers_code_key UNIQUE USING INDEX customers_code_idx;"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    const AEL: &str = "AccessExclusiveLock";

    #[test]
    fn a_unique_constraint_built_by_alter_table_is_found_and_using_index_is_not() {
        let bad = Fixture::new()
            .rows("public.users", Some(10_000))
            .statement(
                2,
                "ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE (email)",
                40.0,
                &[("public.users", AEL)],
                40.0,
            )
            .scanned("public.users")
            .findings(100_000);
        assert!(rules_of(&bad).contains(&"constraint-index-under-access-exclusive"), "{bad:?}");
        let good = Fixture::new()
            .rows("public.users", Some(10_000))
            .statement(
                2,
                "ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx",
                1.0,
                &[("public.users", AEL)],
                1.0,
            )
            .findings(100_000);
        assert!(!rules_of(&good).contains(&"constraint-index-under-access-exclusive"), "{good:?}");
    }
}
