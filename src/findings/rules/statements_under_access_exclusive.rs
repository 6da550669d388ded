//! `statements-under-access-exclusive`: once a statement holds ACCESS EXCLUSIVE on a
//! pre-existing relation, every later statement of the transaction extends the time reads and
//! writes of it wait. Safer: take the ACCESS EXCLUSIVE lock last (or in a migration of its own),
//! with a short `lock_timeout`, so the outage is one statement long.

use super::Rule;
use crate::db::lock_modes::LockMode;
use crate::findings::Context;
use crate::findings::catalogue::Doc;
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule =
    Rule { id: LockRule::StatementsUnderAccessExclusive, summary: "later statements run while ACCESS EXCLUSIVE is held", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    let timings = &ctx.migration.statement_timings;
    // Outside a transaction each statement's locks end with it: none runs under another's.
    for t in ctx.migration.trace.iter().filter(|t| !t.outside_transaction) {
        for l in t.locks.iter().filter(|l| l.mode == LockMode::AccessExclusive) {
            let later: Vec<_> = timings.iter().filter(|s| s.line > t.line).collect();
            if later.is_empty() {
                continue;
            }
            let ms: f64 = later.iter().map(|s| s.ms).sum();
            out.push(Finding {
                severity: if ctx.rows(&l.relation) == Some(0) { FindingSeverity::Info } else { FindingSeverity::Warning },
                statement: t.statement.clone(),
                relation: l.relation.clone(),
                lock: l.mode.to_string(),
                blocks: "reads and writes".into(),
                message: format!(
                    "{} more statements ({ms:.1} ms) ran while ACCESS EXCLUSIVE on {} was held (held {:.1} ms in all)",
                    later.len(),
                    l.relation,
                    l.held_ms
                ),
                advice: "move the statement that takes ACCESS EXCLUSIVE to the end of the migration, or into a migration of its own, with a short lock_timeout"
                    .into(),
                ..Finding::of(RULE.id)
            });
        }
    }
    out
}

pub const DOC: Doc = Doc {
    id: LockRule::StatementsUnderAccessExclusive,
    severity: "warning on a table with rows, information on an empty one",
    detects: "statements run after one that took ACCESS EXCLUSIVE on a pre-existing table, in the same transaction",
    why: "each later statement lengthens the time every read and write of that table waits",
    safer: "the ACCESS EXCLUSIVE statement last (or in a migration of its own), with a short lock_timeout",
    bad: &["ALTER TABLE public.customers ADD COLUMN flag boolean;\nUPDATE public.orders SET archived = true WHERE id <= 100;"],
    good: &["UPDATE public.orders SET archived = true WHERE id <= 100;\nALTER TABLE public.customers ADD COLUMN flag boolean;"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    #[test]
    fn statements_after_access_exclusive_are_found_and_a_last_one_is_not() {
        let mut f = Fixture::new().statement(
            1,
            "ALTER TABLE public.users ADD COLUMN x int",
            1.0,
            &[("public.users", "AccessExclusiveLock")],
            9.0,
        );
        f.migration.statement_timings = vec![
            crate::run_result::StatementTiming { line: 1, ms: 1.0 },
            crate::run_result::StatementTiming { line: 5, ms: 7.0 },
        ];
        assert_eq!(rules_of(&f.findings(10_000)), ["statements-under-access-exclusive"]);
        // Outside a transaction (VACUUM FULL, then more): its lock ended with it.
        f.migration.trace[0].outside_transaction = true;
        assert!(f.findings(10_000).is_empty());
        f.migration.trace[0].outside_transaction = false;
        f.migration.statement_timings.pop();
        assert!(f.findings(10_000).is_empty());
    }
}
