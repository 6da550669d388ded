//! `not-null-column-without-default`: a NOT NULL column added to a pre-existing table with no
//! default left (added with one to fill the rows, then `DROP DEFAULT`; or added to a table
//! that is empty here). The running application's INSERTs do not name it, and fail from the
//! COMMIT until it is redeployed. A warning whatever the size. Read from the catalog after the
//! migration (identity and generated columns fill themselves and are not raised). Safer: keep
//! a default (constant: no rewrite since PostgreSQL 11); drop it only in a later release, once
//! every writer sets the column.

use super::Rule;
use super::columns::{statement_naming, touched};
use crate::db::snapshot::Kind;
use crate::findings::Context;
use crate::findings::catalogue::Doc;
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule =
    Rule { id: LockRule::NotNullColumnWithoutDefault, summary: "NOT NULL column added with no default", check };

const ADVICE: &str = "ADD COLUMN … NOT NULL DEFAULT <constant> (no rewrite since PostgreSQL 11) and keep the default until every writer sets the column (a later release)";

fn check(ctx: &Context) -> Vec<Finding> {
    let appeared_tables: Vec<&str> = ctx.diff.appeared_of(Kind::Table).collect();
    let sequences: Vec<&str> = ctx.diff.appeared_of(Kind::Sequence).collect();
    let mut out = Vec::new();
    for t in touched(ctx) {
        let c = &t.column;
        if appeared_tables.contains(&t.table) || t.before.is_some() || !c.not_null || c.default.is_some() || c.generated {
            continue;
        }
        // An identity column owns a sequence named after its table and column.
        let identity = format!("{}_{}_seq", t.table, c.name.trim_matches('"'));
        if sequences.contains(&identity.as_str()) {
            continue;
        }
        out.push(Finding {
            severity: FindingSeverity::Warning,
            statement: statement_naming(ctx, t.table, &["ALTER TABLE"]),
            relation: t.table.to_owned(),
            blocks: "the running application's INSERTs that do not name it".into(),
            message: format!(
                "{}.{} is NOT NULL with no default: INSERTs that do not set it fail from the COMMIT on",
                t.table, c.name
            ),
            advice: ADVICE.into(),
            rows: ctx.rows(t.table),
            ..Finding::of(RULE.id)
        });
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::NotNullColumnWithoutDefault,
    severity: "warning, whatever the table's size",
    detects: "a NOT NULL column added to a pre-existing table with no default left (measured: the catalog after the migration)",
    why: "the running application's INSERTs do not set the new column and fail from the COMMIT until it is redeployed",
    safer: ADVICE,
    bad: &[
        "ALTER TABLE public.customers ADD COLUMN tier integer NOT NULL DEFAULT 1;\nALTER TABLE public.customers ALTER COLUMN tier DROP DEFAULT;",
    ],
    good: &[
        "ALTER TABLE public.customers ADD COLUMN tier integer NOT NULL DEFAULT 1;",
        "-- an identity column fills itself\nALTER TABLE public.legacy_contacts ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;",
    ],
};

#[cfg(test)]
mod tests {
    use crate::db::snapshot::{Change, Kind, ObjectRef};
    use crate::findings::test_utils::{Fixture, rules_of};

    fn with(after: &str) -> Vec<String> {
        let mut f = Fixture::new().sql(2, "ALTER TABLE public.users ADD COLUMN tier integer NOT NULL");
        f.diff.changed.push(Change {
            object: ObjectRef { kind: Kind::Table, name: "public.users".into() },
            before: "id bigint not null".into(),
            after: format!("id bigint not null, {after}"),
        });
        rules_of(&f.findings(1000)).into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn a_not_null_column_without_default_is_found_and_with_one_is_not() {
        assert_eq!(with("tier integer not null"), ["not-null-column-without-default"]);
        assert!(with("tier integer not null default 1").is_empty());
        assert!(with("tier integer").is_empty());
    }
}
