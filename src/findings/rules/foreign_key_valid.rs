//! `foreign-key-valid`: `ALTER TABLE … ADD … FOREIGN KEY` (or `REFERENCES`) without `NOT VALID`
//! on a table that already has rows scans it to validate every row while holding SHARE ROW
//! EXCLUSIVE on both tables: writes to either wait for the whole scan. The finding names the
//! mode the statement ran under, which is stronger when the same `ALTER TABLE` (or an earlier
//! statement) took more: dropping the old key in the same statement, as ory/keto's migrations
//! do, holds ACCESS EXCLUSIVE on both tables, so reads wait for the scan too. Safer: add the
//! key `NOT VALID` (no scan), then `VALIDATE CONSTRAINT` in a later migration (SHARE UPDATE
//! EXCLUSIVE: reads and writes go on).

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule = Rule { id: LockRule::ForeignKeyValid, summary: "foreign key added as VALID on an existing table", check };

/// The table an `ALTER TABLE` changes, as written (unquoted, lower-case when unquoted).
pub fn altered_table(sql: &str) -> Option<String> {
    let shaped = shape(sql);
    let rest = shaped.strip_prefix("ALTER TABLE ")?;
    let rest = rest.strip_prefix("IF EXISTS ").unwrap_or(rest);
    let rest = rest.strip_prefix("ONLY ").unwrap_or(rest);
    let name = rest.split(' ').next()?;
    Some(name.replace('"', "").to_lowercase())
}

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        let sql = shape(ctx.sql(t));
        if !sql.starts_with("ALTER TABLE")
            || !(sql.contains("FOREIGN KEY") || sql.contains(" REFERENCES "))
            || sql.contains("NOT VALID")
        {
            continue;
        }
        let Some(target) = altered_table(ctx.sql(t)) else { continue };
        let matches = |relation: &str| relation == target || relation.ends_with(&format!(".{target}"));
        // The mode the scan ran under: this statement's strongest on the table, or an earlier
        // statement's (a lock of the transaction is held to its end).
        for h in t.held.iter().filter(|h| h.mode >= LockMode::ShareRowExclusive && matches(&h.relation)) {
            let message = format!(
                "foreign key added as VALID on {}: every row validated under {}, held on the referenced table too",
                h.relation,
                h.mode.sql_name()
            );
            let advice =
                "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT … in a later migration";
            out.push(under(ctx, RULE.id, t, &h.relation, h.mode, message, advice));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::ForeignKeyValid,
    severity: crate::findings::grade::SCALED_POLICY,
    detects: "a foreign key added without NOT VALID to a table with rows (the scan holds SHARE ROW EXCLUSIVE on both tables, or what else the statement took: ACCESS EXCLUSIVE when it also drops a key)",
    why: "writes to both tables wait while every existing row is checked",
    safer: "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a later migration (SHARE UPDATE EXCLUSIVE: reads and writes go on)",
    bad: &[
        "ALTER TABLE public.shipments ADD CONSTRAINT shipments_order_fk FOREIGN KEY (order_id) REFERENCES public.orders (id);",
    ],
    good: &[
        "ALTER TABLE public.shipments ADD CONSTRAINT shipments_order_fk FOREIGN KEY (order_id) REFERENCES public.orders (id) NOT VALID;",
    ],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn a_valid_foreign_key_on_an_existing_table_is_found_and_not_valid_is_not() {
        let locks = [("public.moves", "ShareRowExclusiveLock"), ("public.users", "ShareRowExclusiveLock")];
        let f = Fixture::new()
            .rows("public.moves", Some(100))
            .statement(
                7,
                "ALTER TABLE public.moves ADD CONSTRAINT fk FOREIGN KEY (owner_id) REFERENCES public.users (id)",
                5.0,
                &locks,
                9.0,
            )
            .findings(10_000);
        assert_eq!(rules_of(&f), ["foreign-key-valid"]);
        assert_eq!(f[0].relation, "public.moves", "the scanned table, not the referenced one");
        assert_eq!((f[0].lock.as_str(), f[0].blocks.as_str()), ("ShareRowExclusiveLock", "writes"));
        let f = Fixture::new()
            .statement(
                7,
                "ALTER TABLE public.moves ADD CONSTRAINT fk FOREIGN KEY (owner_id) REFERENCES public.users (id) NOT VALID",
                1.0,
                &locks,
                2.0,
            )
            .findings(10_000);
        assert!(f.is_empty());
    }

    /// ory/keto's 20230228091200000000: the old key dropped and the new one added VALID in one
    /// ALTER TABLE, so the scan runs under the ACCESS EXCLUSIVE the drop takes; and a second
    /// key on a table whose SHARE ROW EXCLUSIVE an earlier statement took.
    #[test]
    fn the_scan_is_judged_under_the_mode_the_statement_ran_under() {
        let locks = [
            ("public.tuples", "ShareRowExclusiveLock"),
            ("public.tuples", "AccessExclusiveLock"),
            ("public.networks", "AccessExclusiveLock"),
        ];
        let f = Fixture::new()
            .rows("public.tuples", Some(200_000))
            .statement(
                5,
                "ALTER TABLE tuples DROP CONSTRAINT tuples_nid_fk, ADD CONSTRAINT tuples_nid_fk FOREIGN KEY (nid) REFERENCES networks (id) ON DELETE CASCADE",
                45.0,
                &locks,
                50.0,
            )
            .findings(10_000);
        let fk: Vec<_> = f.iter().filter(|f| f.rule == "foreign-key-valid").collect();
        assert_eq!(fk.len(), 1, "{f:#?}");
        assert_eq!((fk[0].lock.as_str(), fk[0].blocks.as_str()), ("AccessExclusiveLock", "reads and writes"));
        assert!(fk[0].message.contains("under ACCESS EXCLUSIVE"), "{}", fk[0].message);

        let f = Fixture::new()
            .rows("public.moves", Some(100))
            .statement(
                3,
                "ALTER TABLE public.moves ADD CONSTRAINT a FOREIGN KEY (a) REFERENCES public.users (id)",
                5.0,
                &[("public.moves", "ShareRowExclusiveLock")],
                9.0,
            )
            .statement(4, "ALTER TABLE public.moves ADD CONSTRAINT b FOREIGN KEY (b) REFERENCES public.users (id)", 5.0, &[], 4.0)
            .findings(10_000);
        assert_eq!(f.iter().filter(|f| f.rule == "foreign-key-valid").count(), 2, "both keys scan: {f:#?}");
    }
}
