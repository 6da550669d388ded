//! `enum-value-added`: `ALTER TYPE … ADD VALUE`. Placed `BEFORE` or `AFTER` an existing value,
//! the new value sorts among them: `ORDER BY`, comparisons (`status < 'shipped'`) and range
//! checks of the running code now include it (a warning). With other work in the same
//! transaction, the new value cannot be used before COMMIT ("unsafe use of new value"), and
//! before PostgreSQL 12 `ADD VALUE` is refused inside a transaction block: tooling that wraps
//! files in one fails there (information). Read from the statement's text: the catalog
//! snapshot keeps no enum labels. Safer: add the value at the end, in a migration of its own,
//! and use it from the next one (the application after it is deployed).

use super::Rule;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape};
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule =
    Rule { id: LockRule::EnumValueAdded, summary: "enum value added where its position or transaction matters", check };

const ADVICE: &str = "ALTER TYPE … ADD VALUE IF NOT EXISTS at the end (no BEFORE / AFTER), alone in a migration of its own; use the value from the next migration on";

fn check(ctx: &Context) -> Vec<Finding> {
    let work = |sql: &str| !(sql.starts_with("SET ") || sql.starts_with("RESET ") || sql.contains(" ADD VALUE "));
    let non_transactional = ctx.statements.iter().any(|s| s.non_transactional.is_some());
    let others = !non_transactional && ctx.statements.iter().any(|s| work(&shape(&s.sql)));
    let mut out = Vec::new();
    for s in ctx.statements {
        let sql = shape(&s.sql);
        if !sql.starts_with("ALTER TYPE ") || !sql.contains(" ADD VALUE ") {
            continue;
        }
        let placed = sql.contains(" BEFORE ") || sql.contains(" AFTER ");
        if !placed && !others {
            continue;
        }
        let type_name = s.sql.split_whitespace().nth(2).unwrap_or_default().to_owned();
        let message = if placed {
            format!(
                "{type_name} gets a value placed among the existing ones: ORDER BY and comparisons of the running code now sort it between them"
            )
        } else {
            format!(
                "{type_name} gets a value in a transaction with other work: it cannot be used before COMMIT, and before PostgreSQL 12 ADD VALUE is refused in a transaction"
            )
        };
        out.push(Finding {
            severity: if placed { FindingSeverity::Warning } else { FindingSeverity::Info },
            statement: format!("{}:{}", ctx.file(), s.line),
            relation: type_name,
            message,
            advice: ADVICE.into(),
            ..Finding::of(RULE.id)
        });
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::EnumValueAdded,
    severity: "warning when placed BEFORE or AFTER an existing value; information when the transaction does other work",
    detects: "ALTER TYPE … ADD VALUE placed among the existing values, or in a transaction with other work (read from the statement: the catalog snapshot keeps no enum labels)",
    why: "a placed value changes how the running code's ORDER BY and comparisons sort; a new value cannot be used before COMMIT, and PostgreSQL before 12 refuses ADD VALUE in a transaction",
    safer: ADVICE,
    bad: &[
        "ALTER TYPE public.order_status ADD VALUE 'packed' BEFORE 'shipped';",
        "ALTER TYPE public.order_status ADD VALUE 'cancelled';\nUPDATE public.orders SET archived = true WHERE id = 1;",
    ],
    good: &["ALTER TYPE public.order_status ADD VALUE IF NOT EXISTS 'cancelled';"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};
    use crate::run_result::FindingSeverity;

    const ID: &str = "enum-value-added";

    #[test]
    fn a_placed_value_or_one_with_other_work_is_found_and_one_alone_is_not() {
        let placed = Fixture::new().sql(2, "ALTER TYPE public.status ADD VALUE 'packed' BEFORE 'shipped'").findings(1000);
        assert_eq!(rules_of(&placed), [ID]);
        assert_eq!(placed[0].severity, FindingSeverity::Warning);
        let with_work = Fixture::new()
            .sql(2, "ALTER TYPE public.status ADD VALUE 'void'")
            .sql(3, "UPDATE public.orders SET note = 'x'")
            .findings(1000);
        assert_eq!(rules_of(&with_work), [ID]);
        assert_eq!(with_work[0].severity, FindingSeverity::Info);
        let alone = Fixture::new().sql(2, "ALTER TYPE public.status ADD VALUE IF NOT EXISTS 'void'").findings(1000);
        assert!(alone.is_empty(), "{alone:?}");
    }
}
