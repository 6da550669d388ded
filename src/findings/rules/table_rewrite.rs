//! `table-rewrite`: a statement gave a pre-existing table new storage (ALTER COLUMN TYPE, a
//! volatile DEFAULT on ADD COLUMN, SET TABLESPACE, VACUUM FULL, CLUSTER): the whole table and
//! its indexes were rewritten under ACCESS EXCLUSIVE, reads and writes waiting. Safer: add a
//! new column, backfill it in batches, switch readers, drop the old one; for defaults, a
//! non-volatile default (metadata only since PostgreSQL 11) and a backfill. `TRUNCATE` also
//! gives new storage, but empties the table instead of copying it: no rewrite (its loss of
//! rows is `INT-DATA-LOSS`'s to judge).

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, under};
use crate::plan::LockRule;
use crate::run_result::Finding;

pub const RULE: Rule = Rule { id: LockRule::TableRewrite, summary: "table rewritten (type change, volatile default…)", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.trace {
        for relation in &t.rewrote {
            // A table (pre-existing, so with its rows here) under the strongest lock held on it,
            // taken by this statement or an earlier one; an index rebuilt with its table is
            // part of the table's finding.
            let table = ctx.rows.contains_key(relation)
                || ctx.migration.trace.iter().flat_map(|t| &t.locks).any(|l| &l.relation == relation && l.kind.contains("table"));
            if table {
                let mode = t.held_on(relation).unwrap_or(LockMode::AccessExclusive);
                let message = format!("{relation} was rewritten (new storage) by this statement");
                out.push(under(ctx, RULE.id, t, relation, mode, message, ADVICE));
            }
        }
    }
    out
}

const ADVICE: &str = "add a new column, backfill it in batches, switch to it, drop the old one; for a default, use a non-volatile one and backfill";

pub const DOC: Doc = Doc {
    id: LockRule::TableRewrite,
    severity: "error on a table with rows, warning when its size is unknown, information on an empty one",
    detects: "a pre-existing table given new storage: ALTER COLUMN TYPE, a volatile default on ADD COLUMN, SET TABLESPACE, VACUUM FULL, CLUSTER (measured: its relfilenode changed)",
    why: "the whole table and its indexes are copied under ACCESS EXCLUSIVE: reads and writes wait, and the disk needs room for a second copy",
    safer: "a new column backfilled in batches, readers switched, the old one dropped; a constant default (metadata only since PostgreSQL 11); varchar(n) to text needs no rewrite",
    bad: &[
        "ALTER TABLE public.customers ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE public.orders ALTER COLUMN total TYPE numeric;",
    ],
    good: &[
        "ALTER TABLE public.customers ADD COLUMN tier integer NOT NULL DEFAULT 1;",
        "ALTER TABLE public.customers ALTER COLUMN name TYPE text;",
    ],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn a_rewrite_is_found_with_its_lock() {
        let f = Fixture::new()
            .rows("public.moves", Some(67))
            .statement(
                4,
                "ALTER TABLE public.moves ALTER COLUMN priority TYPE int",
                8.0,
                &[("public.moves", "AccessExclusiveLock")],
                8.0,
            )
            .rewrote("public.moves")
            .findings(10_000);
        assert_eq!(rules_of(&f), ["table-rewrite"]);
        assert_eq!(f[0].lock, "AccessExclusiveLock");
        assert_eq!(f[0].blocks, "reads and writes");
    }
}
