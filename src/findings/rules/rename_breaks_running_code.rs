//! `rename-breaks-running-code`: a table or a column renamed loses no row, but the application
//! that is running still uses the old name, and fails from the COMMIT until it is redeployed.
//! A warning whatever the table's size. Safer: expand and contract, in separate releases (add
//! the new name — a view, or a new column kept in sync — switch the code, then drop the old).

use super::Rule;
use crate::findings::Context;
use crate::findings::catalogue::Doc;
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule =
    Rule { id: LockRule::RenameBreaksRunningCode, summary: "table or column renamed under running code", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let statement = |words: &str| {
        ctx.statements
            .iter()
            .find(|s| crate::findings::shape(&s.sql).contains(words))
            .map_or_else(|| ctx.file().to_owned(), |s| format!("{}:{}", ctx.file(), s.line))
    };
    let mut out = Vec::new();
    for t in &ctx.migration.data.tables {
        let renames = t.renamed_to.iter().map(|to| (format!("table {} renamed to {to}", t.table), " RENAME TO "));
        let columns =
            t.renamed_columns.iter().map(|c| (format!("column {}.{} renamed to {}", t.table, c.from, c.to), " RENAME "));
        for (message, words) in renames.chain(columns) {
            out.push(Finding {
                severity: FindingSeverity::Warning,
                statement: statement(words),
                relation: t.table.clone(),
                blocks: "the running application's queries of the old name".into(),
                message: format!("{message}: code still using the old name fails from the COMMIT on"),
                advice: "expand and contract in separate releases: add the new name (a view, or a column kept in sync), switch the code, then drop the old".into(),
                ..Finding::of(RULE.id)
            });
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::RenameBreaksRunningCode,
    severity: "warning, whatever the table's size",
    detects: "a table or a column renamed (measured: same object, new name)",
    why: "the application that is running still uses the old name and fails from the COMMIT until it is redeployed",
    safer: "expand and contract, in separate releases: add the new name (a view, or a new column kept in sync), switch the code, then drop the old",
    bad: &["ALTER TABLE public.customers RENAME COLUMN note TO remark;"],
    good: &[
        "-- expand: the new column first; the code writes both, then reads the new one\nALTER TABLE public.customers ADD COLUMN remark text;",
    ],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};
    use crate::run_result::{ColumnRename, TableChange};

    #[test]
    fn renames_are_warnings_and_a_plain_change_is_not() {
        let mut f = Fixture::new();
        f.migration.data.tables.push(TableChange {
            table: "public.users".into(),
            renamed_columns: vec![ColumnRename { from: "email".into(), to: "mail".into() }],
            ..Default::default()
        });
        f.migration.data.tables.push(TableChange {
            table: "public.orders".into(),
            renamed_to: Some("public.purchases".into()),
            ..Default::default()
        });
        let found = f.findings(100_000);
        assert_eq!(rules_of(&found), ["rename-breaks-running-code", "rename-breaks-running-code"]);
        assert!(found.iter().all(|x| x.severity == crate::run_result::FindingSeverity::Warning));
        let mut plain = Fixture::new();
        plain.migration.data.tables.push(TableChange { table: "public.users".into(), updated: 7, ..Default::default() });
        assert!(plain.findings(100_000).is_empty());
    }
}
