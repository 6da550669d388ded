//! `column-narrowed`: a column's type made narrower — shorter (`text` or `varchar(100)` to
//! `varchar(50)`), smaller (`bigint` to `integer`), less precise (`numeric(12,2)` to
//! `numeric(10,2)`, `double precision` to `real`, a lower timestamp precision). The values in
//! the table fit today (else the migration fails), but the running application may write one
//! that no longer does, and fails then; and the server checks or rewrites every row under
//! ACCESS EXCLUSIVE. A warning whatever the size. Read from the catalog before and after.
//! Safer: a CHECK constraint (`NOT VALID`, validated later) on the length or range, and keep
//! the wide type; or expand and contract (a new column, the code switched, the old dropped).

use super::Rule;
use super::columns::{statement_naming, touched};
use crate::findings::Context;
use crate::findings::catalogue::Doc;
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule = Rule { id: LockRule::ColumnNarrowed, summary: "a column's type made narrower", check };

const ADVICE: &str = "keep the wide type and add a CHECK constraint on the length or range (NOT VALID, validated in a later migration); or expand and contract: a new column, the code switched, the old one dropped";

/// The length or precision in a type's parentheses: (first, second).
fn modifier(ty: &str) -> Option<(i64, i64)> {
    let inner = &ty[ty.find('(')? + 1..ty.find(')')?];
    let mut parts = inner.split(',').map(|p| p.trim().parse::<i64>().ok());
    Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
}

/// The type without its modifier ("character varying(20)" → "character varying").
fn base(ty: &str) -> String {
    match ty.find('(') {
        Some(open) => format!("{}{}", &ty[..open], ty.find(')').map_or("", |close| &ty[close + 1..])),
        None => ty.to_owned(),
    }
}

/// How narrow a type is, when it is one of a family: (family, width); `None` width: unbounded.
fn width(ty: &str) -> Option<(&'static str, Option<i64>)> {
    let m = modifier(ty);
    Some(match base(ty).as_str() {
        "text" => ("text", None),
        "character varying" => ("text", m.map(|m| m.0)),
        "character" => ("text", Some(m.map_or(1, |m| m.0))),
        "smallint" => ("integer", Some(2)),
        "integer" => ("integer", Some(4)),
        "bigint" => ("integer", Some(8)),
        "real" => ("float", Some(4)),
        "double precision" => ("float", Some(8)),
        "timestamp without time zone" | "timestamp with time zone" | "time without time zone" => {
            ("time", Some(m.map_or(6, |m| m.0)))
        }
        _ => return None,
    })
}

/// Whether `after` holds fewer values than `before`.
pub fn narrower(before: &str, after: &str) -> bool {
    let (b, a) = (base(before), base(after));
    if b == "numeric" && a == "numeric" {
        return match (modifier(before), modifier(after)) {
            (None, Some(_)) => true,
            (Some((p1, s1)), Some((p2, s2))) => s2 < s1 || p2 - s2 < p1 - s1,
            _ => false,
        };
    }
    if b == "numeric" && width(after).is_some_and(|w| w.0 == "integer") {
        return true;
    }
    match (width(before), width(after)) {
        (Some((f1, w1)), Some((f2, w2))) if f1 == f2 => match (w1, w2) {
            (None, Some(_)) => true,
            (Some(w1), Some(w2)) => w2 < w1,
            _ => false,
        },
        _ => false,
    }
}

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in touched(ctx) {
        let Some(before) = t.before else { continue };
        if !narrower(before, t.column.ty) {
            continue;
        }
        out.push(Finding {
            severity: FindingSeverity::Warning,
            statement: statement_naming(ctx, t.table, &["ALTER TABLE"]),
            relation: t.table.to_owned(),
            blocks: "the running application's writes of wider values".into(),
            message: format!(
                "{}.{} narrowed from {before} to {}: a value the running code writes may no longer fit",
                t.table, t.column.name, t.column.ty
            ),
            advice: ADVICE.into(),
            rows: ctx.rows(t.table),
            ..Finding::of(RULE.id)
        });
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::ColumnNarrowed,
    severity: "warning, whatever the table's size",
    detects: "a column's type made narrower: shorter text, a smaller integer, less precision (measured: the catalog's type before and after)",
    why: "a value the running application writes may no longer fit, and its writes fail; the server also checks or rewrites every row under ACCESS EXCLUSIVE",
    safer: ADVICE,
    bad: &[
        "ALTER TABLE public.customers ALTER COLUMN name TYPE varchar(50);",
        "ALTER TABLE public.customers ALTER COLUMN code TYPE varchar(20);",
    ],
    good: &[
        "ALTER TABLE public.customers ALTER COLUMN name TYPE varchar(200);",
        "ALTER TABLE public.customers ADD CONSTRAINT customers_name_short CHECK (length(name) <= 50) NOT VALID;",
    ],
};

#[cfg(test)]
mod tests {
    use super::narrower;
    use crate::db::snapshot::{Change, Kind, ObjectRef};
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn narrower_types_are_told_from_wider_ones() {
        for (before, after) in [
            ("text", "character varying(20)"),
            ("character varying(100)", "character varying(50)"),
            ("bigint", "integer"),
            ("integer", "smallint"),
            ("numeric", "numeric(10,2)"),
            ("numeric(12,2)", "numeric(10,2)"),
            ("numeric(12,4)", "numeric(12,2)"),
            ("double precision", "real"),
            ("timestamp with time zone", "timestamp(0) with time zone"),
        ] {
            assert!(narrower(before, after), "{before} → {after}");
        }
        for (before, after) in [
            ("character varying(50)", "character varying(100)"),
            ("character varying(50)", "text"),
            ("integer", "bigint"),
            ("numeric(10,2)", "numeric(12,2)"),
            ("integer", "text"),
            ("timestamp without time zone", "timestamp with time zone"),
        ] {
            assert!(!narrower(before, after), "{before} → {after}");
        }
    }

    #[test]
    fn a_narrowed_column_is_found_and_a_widened_one_is_not() {
        let with = |after: &str| {
            let mut f = Fixture::new().sql(2, "ALTER TABLE public.users ALTER COLUMN name TYPE x");
            f.diff.changed.push(Change {
                object: ObjectRef { kind: Kind::Table, name: "public.users".into() },
                before: "id bigint not null, name character varying(100)".into(),
                after: format!("id bigint not null, name {after}"),
            });
            rules_of(&f.findings(1000)).into_iter().map(str::to_owned).collect::<Vec<_>>()
        };
        assert_eq!(with("character varying(50)"), ["column-narrowed"]);
        assert!(with("text").is_empty());
    }
}
