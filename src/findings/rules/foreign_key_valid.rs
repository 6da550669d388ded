//! `foreign-key-valid`: `ALTER TABLE … ADD … FOREIGN KEY` (or `REFERENCES`) without `NOT VALID`
//! on a table that already has rows scans it to validate every row while holding SHARE ROW
//! EXCLUSIVE on both tables: writes to either wait for the whole scan. Safer: add the key
//! `NOT VALID` (no scan), then `VALIDATE CONSTRAINT` in a later migration (SHARE UPDATE
//! EXCLUSIVE: reads and writes go on).

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape, sized};
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
        for l in t.locks.iter().filter(|l| l.mode == LockMode::ShareRowExclusive && matches(&l.relation)) {
            let message = format!("foreign key added as VALID on {}: every row validated under SHARE ROW EXCLUSIVE", l.relation);
            out.push(sized(
                ctx,
                RULE.id,
                t,
                l,
                "writes (of both tables)",
                message,
                "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT … in a later migration",
            ));
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::ForeignKeyValid,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one",
    detects: "a foreign key added without NOT VALID to a table with rows (SHARE ROW EXCLUSIVE on both tables during the scan)",
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
}
