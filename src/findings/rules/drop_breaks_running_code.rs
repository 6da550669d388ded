//! `drop-breaks-running-code`: a table or a column dropped. Beyond the rows lost (the data-loss
//! check's to judge), the application that is running still reads and writes it, and fails
//! from the COMMIT until it is redeployed. A warning whatever the table's size. Safer: expand
//! and contract, in separate releases: the code stops using it first (released and running
//! everywhere), then a later migration drops it.

use super::Rule;
use super::columns::statement_naming;
use crate::findings::Context;
use crate::findings::catalogue::Doc;
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule = Rule { id: LockRule::DropBreaksRunningCode, summary: "table or column dropped under running code", check };

const ADVICE: &str =
    "expand and contract in separate releases: release code that no longer uses it, then drop it in a later migration";

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.migration.data.tables {
        let table = t.dropped.then(|| (format!("table {} dropped", t.table), &["DROP TABLE"][..]));
        let columns = t
            .dropped_columns
            .iter()
            .filter(|_| !t.dropped)
            .map(|c| (format!("column {}.{c} dropped", t.table), &["ALTER TABLE"][..]));
        for (what, starts) in table.into_iter().chain(columns) {
            out.push(Finding {
                severity: FindingSeverity::Warning,
                statement: statement_naming(ctx, &t.table, starts),
                relation: t.table.clone(),
                blocks: "the running application's queries of it".into(),
                message: format!("{what}: code still using it fails from the COMMIT on"),
                advice: ADVICE.into(),
                rows: t.rows_before,
                ..Finding::of(RULE.id)
            });
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::DropBreaksRunningCode,
    severity: "warning, whatever the table's size",
    detects: "a pre-existing table or column dropped (measured: gone from the catalog after the migration)",
    why: "beyond the data lost, the application that is running still uses it and fails from the COMMIT until it is redeployed",
    safer: ADVICE,
    bad: &["ALTER TABLE public.customers DROP COLUMN note;", "DROP TABLE public.legacy_contacts;"],
    good: &[
        "-- contract, step 1: the code no longer uses the column; say so, drop it in a later release\nCOMMENT ON COLUMN public.customers.note IS 'unused since release 42: dropped in release 43';",
    ],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};
    use crate::run_result::{FindingSeverity, TableChange};

    #[test]
    fn drops_are_warnings_and_a_plain_change_is_not() {
        let mut f = Fixture::new().sql(2, "ALTER TABLE public.users DROP COLUMN email");
        f.migration.data.tables.push(TableChange {
            table: "public.users".into(),
            dropped_columns: vec!["email".into()],
            ..Default::default()
        });
        f.migration.data.tables.push(TableChange { table: "public.orders".into(), dropped: true, ..Default::default() });
        let found = f.findings(100_000);
        assert_eq!(rules_of(&found), ["drop-breaks-running-code", "drop-breaks-running-code"]);
        assert!(found.iter().all(|x| x.severity == FindingSeverity::Warning));
        assert_eq!(found[0].statement, "900.sql:2");
        let mut plain = Fixture::new();
        plain.migration.data.tables.push(TableChange { table: "public.users".into(), updated: 7, ..Default::default() });
        assert!(plain.findings(100_000).is_empty());
    }
}
