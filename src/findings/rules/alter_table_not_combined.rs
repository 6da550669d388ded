//! `alter-table-not-combined`: adjacent `ALTER TABLE` statements on one table that could be
//! one statement with several actions: each takes its lock again (and may wait again in the
//! queue behind the application), and each that scans or rewrites reads the table again where
//! one pass would do. Information; a warning when two or more of them scanned or rewrote it.
//! Statements that cannot share an `ALTER TABLE` (RENAME, SET SCHEMA, ATTACH or DETACH
//! PARTITION) or that should not (`VALIDATE CONSTRAINT`) are left out, and so are any with
//! another statement between them (a backfill between ADD COLUMN and SET NOT NULL).

use super::Rule;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape};
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule =
    Rule { id: LockRule::AlterTableNotCombined, summary: "several ALTER TABLE on one table that could be one", check };

const ADVICE: &str = "one ALTER TABLE with the actions separated by commas (ADD COLUMN a …, ADD COLUMN b …): one lock, at most one scan or rewrite";

/// The table an `ALTER TABLE` statement alters, as written (unquoted, lower-cased unless
/// quoted), when its actions could share a statement.
pub fn altered_table(sql: &str) -> Option<String> {
    let upper = shape(sql);
    let rest = upper.strip_prefix("ALTER TABLE ")?;
    let lone = [" RENAME ", " SET SCHEMA ", " ATTACH PARTITION ", " DETACH PARTITION ", " VALIDATE CONSTRAINT "];
    if lone.iter().any(|w| upper.contains(w)) {
        return None;
    }
    let mut skip = upper.len() - rest.len();
    for word in ["IF EXISTS ", "ONLY "] {
        if upper[skip..].starts_with(word) {
            skip += word.len();
        }
    }
    // The name, in the statement's own text (case kept for quoted parts).
    let text = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = text.get(skip..)?.split([' ', '(']).next()?;
    let folded = name.split('.').map(|p| if p.starts_with('"') { p.trim_matches('"').to_owned() } else { p.to_lowercase() });
    Some(folded.collect::<Vec<_>>().join("."))
}

fn check(ctx: &Context) -> Vec<Finding> {
    // Runs of adjacent statements (SET / RESET between them are no work) altering one table.
    let mut runs: Vec<(String, Vec<usize>)> = Vec::new();
    let mut last: Option<String> = None;
    for s in ctx.statements {
        let upper = shape(&s.sql);
        if upper.starts_with("SET ") || upper.starts_with("RESET ") {
            continue;
        }
        let table = altered_table(&s.sql);
        match (&table, &last, runs.last_mut()) {
            (Some(t), Some(l), Some(run)) if t == l => run.1.push(s.line),
            (Some(t), _, _) => runs.push((t.clone(), vec![s.line])),
            _ => {}
        }
        last = table;
    }
    let mut out = Vec::new();
    for (table, lines) in runs.into_iter().filter(|(_, l)| l.len() > 1) {
        let traces: Vec<_> = ctx.migration.trace.iter().filter(|t| lines.contains(&t.line)).collect();
        if traces.len() < 2 {
            continue; // not run (a failed migration): nothing measured
        }
        let passes = traces.iter().filter(|t| !t.scanned.is_empty() || !t.rewrote.is_empty()).count();
        let lock = traces.iter().flat_map(|t| &t.locks).filter(|l| l.kind.contains("table")).max_by_key(|l| l.mode);
        out.push(Finding {
            severity: if passes > 1 { FindingSeverity::Warning } else { FindingSeverity::Info },
            statement: traces[0].statement.clone(),
            relation: lock.map_or(table.clone(), |l| l.relation.clone()),
            lock: lock.map(|l| l.mode.to_string()).unwrap_or_default(),
            blocks: lock.map(|l| l.mode.blocks().label().to_owned()).unwrap_or_default(),
            message: format!(
                "{} adjacent ALTER TABLE statements on {table} (lines {}){}: one statement would take the lock once",
                lines.len(),
                lines.iter().map(usize::to_string).collect::<Vec<_>>().join(", "),
                if passes > 1 { format!(", {passes} of them read the whole table") } else { String::new() }
            ),
            advice: ADVICE.into(),
            ..Finding::of(RULE.id)
        });
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::AlterTableNotCombined,
    severity: "information; a warning when two or more of the statements scanned or rewrote the table (measured)",
    detects: "adjacent ALTER TABLE statements on one table whose actions could share one statement",
    why: "each statement takes the lock again, queueing again behind the application, and each scan or rewrite reads the table again where one pass would do",
    safer: ADVICE,
    bad: &["ALTER TABLE public.customers ADD COLUMN tier integer;\nALTER TABLE public.customers ADD COLUMN segment text;"],
    good: &["ALTER TABLE public.customers ADD COLUMN tier integer, ADD COLUMN segment text;"],
};

#[cfg(test)]
mod tests {
    use super::altered_table;
    use crate::findings::test_utils::{Fixture, rules_of};

    const ID: &str = "alter-table-not-combined";
    const AEL: &str = "AccessExclusiveLock";

    #[test]
    fn the_altered_table_is_read_as_the_server_reads_it() {
        assert_eq!(altered_table("alter table if exists only Public.\"Users\" add x int").as_deref(), Some("public.Users"));
        assert_eq!(altered_table("ALTER TABLE users\n  ADD COLUMN x int").as_deref(), Some("users"));
        assert_eq!(altered_table("ALTER TABLE users RENAME COLUMN a TO b"), None);
        assert_eq!(altered_table("ALTER TABLE users VALIDATE CONSTRAINT c"), None);
    }

    #[test]
    fn adjacent_alters_of_one_table_are_found_and_separated_ones_are_not() {
        let lock = [("public.users", AEL)];
        let bad = Fixture::new()
            .statement(2, "ALTER TABLE public.users ADD COLUMN a int", 0.2, &lock, 0.2)
            .statement(3, "ALTER TABLE public.users ADD COLUMN b int", 0.2, &[], 0.2)
            .findings(100_000);
        assert_eq!(rules_of(&bad), [ID]);
        let good = Fixture::new()
            .statement(2, "ALTER TABLE public.users ADD COLUMN a int", 0.2, &lock, 0.2)
            .statement(3, "UPDATE public.users SET a = 1", 2.0, &[], 2.0)
            .statement(4, "ALTER TABLE public.users ALTER COLUMN a SET NOT NULL", 0.2, &[], 0.2)
            .findings(100_000);
        assert!(!rules_of(&good).contains(&ID), "{good:?}");
        let other_tables = Fixture::new()
            .statement(2, "ALTER TABLE public.users ADD COLUMN a int", 0.2, &lock, 0.2)
            .statement(3, "ALTER TABLE public.orders ADD COLUMN a int", 0.2, &[("public.orders", AEL)], 0.2)
            .findings(100_000);
        assert!(!rules_of(&other_tables).contains(&ID), "{other_tables:?}");
    }
}
