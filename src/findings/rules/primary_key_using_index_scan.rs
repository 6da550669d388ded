//! `primary-key-using-index-scan`: `ADD CONSTRAINT … PRIMARY KEY USING INDEX` is a catalog
//! change only when the index's columns are already NOT NULL; on nullable columns it first
//! sets them NOT NULL, which scans the whole table under ACCESS EXCLUSIVE (reads and writes
//! wait). Raised where the trace saw the statement read the table under that lock. Safer: make
//! the columns NOT NULL first without a scan — `CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE`
//! in a later migration, `SET NOT NULL` (proven by the check) — then `PRIMARY KEY USING INDEX`.

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, scanned_under_access_exclusive, shape, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule =
    Rule { id: LockRule::PrimaryKeyUsingIndexScan, summary: "PRIMARY KEY USING INDEX on nullable columns", check };

const ADVICE: &str = "first CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later migration, SET NOT NULL (proven: no scan); then ADD CONSTRAINT … PRIMARY KEY USING INDEX";

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        if !sql.starts_with("ALTER TABLE") || !sql.contains(" PRIMARY KEY USING INDEX") {
            continue;
        }
        for relation in scanned_under_access_exclusive(t) {
            let message = format!(
                "the primary key's columns were nullable: {relation} was scanned to set them NOT NULL under ACCESS EXCLUSIVE"
            );
            out.push(under(ctx, RULE.id, t, relation, LockMode::AccessExclusive, message, ADVICE));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::PrimaryKeyUsingIndexScan,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one",
    detects: "ADD CONSTRAINT … PRIMARY KEY USING INDEX on nullable columns (measured: the table scanned under ACCESS EXCLUSIVE for the implicit SET NOT NULL)",
    why: "the implicit SET NOT NULL reads every row while reads and writes wait: USING INDEX saved the build, not the scan",
    safer: ADVICE,
    bad: &[
        "ALTER TABLE public.legacy_contacts ADD CONSTRAINT legacy_contacts_pkey PRIMARY KEY USING INDEX legacy_contacts_email_idx;",
    ],
    good: &[
        "-- code is NOT NULL already: a catalog change only\nALTER TABLE public.legacy_contacts ADD CONSTRAINT legacy_contacts_pkey PRIMARY KEY USING INDEX legacy_contacts_code_idx;",
    ],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    const ID: &str = "primary-key-using-index-scan";

    #[test]
    fn a_primary_key_that_scanned_is_found_and_one_that_did_not_is_not() {
        let sql = "ALTER TABLE public.contacts ADD CONSTRAINT contacts_pkey PRIMARY KEY USING INDEX contacts_email_idx";
        let lock = [("public.contacts", "AccessExclusiveLock")];
        let bad = Fixture::new()
            .rows("public.contacts", Some(10_000))
            .statement(2, sql, 4.0, &lock, 4.0)
            .scanned("public.contacts")
            .findings(100_000);
        assert_eq!(rules_of(&bad), [ID]);
        let good = Fixture::new().rows("public.contacts", Some(10_000)).statement(2, sql, 0.3, &lock, 0.3).findings(100_000);
        assert!(!rules_of(&good).contains(&ID), "{good:?}");
    }
}
