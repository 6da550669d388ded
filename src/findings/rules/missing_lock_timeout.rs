//! `missing-lock-timeout`: a migration that takes a lock able to keep the application waiting
//! (writes or reads of a pre-existing table) and sets no `lock_timeout` of its own. pgstage
//! runs it under the plan's timeout, but production may run the same file with other tooling:
//! there, a statement queued behind one long transaction blocks every query behind it for as
//! long. Safer: `SET lock_timeout = '…'` (or `SET LOCAL`) at the top of the file, and retry.

use super::Rule;
use crate::db::lock_modes::Blocks;
use crate::findings::catalogue::Doc;
use crate::findings::{Context, shape};
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

pub const RULE: Rule = Rule { id: LockRule::MissingLockTimeout, summary: "blocking lock taken with no lock_timeout set", check };

fn check(ctx: &Context) -> Vec<Finding> {
    let sets_timeout = ctx.statements.iter().any(|s| {
        let sql = shape(&s.sql);
        sql.contains("LOCK_TIMEOUT") && (sql.starts_with("SET ") || sql.contains("SET_CONFIG"))
    });
    if sets_timeout {
        return vec![];
    }
    let first = ctx.migration.trace.iter().find_map(|t| {
        t.locks.iter().find(|l| l.kind.contains("table") && l.blocks.is_some_and(|b| b != Blocks::DdlOnly)).map(|l| (t, l))
    });
    let Some((t, l)) = first else { return vec![] };
    vec![Finding {
        severity: FindingSeverity::Warning,
        statement: t.statement.clone(),
        relation: l.relation.clone(),
        lock: l.mode.to_string(),
        blocks: l.mode.blocks().label().into(),
        message: format!("{} takes {} on {} and the file sets no lock_timeout", t.statement, l.mode, l.relation),
        advice: "SET lock_timeout = '2s' (or SET LOCAL) at the top of the migration, and retry it when it times out".into(),
        ..Finding::of(RULE.id)
    }]
}

pub const DOC: Doc = Doc {
    id: LockRule::MissingLockTimeout,
    severity: "warning",
    detects: "a migration that takes a lock able to block the application (writes or reads of a pre-existing table) and sets no lock_timeout",
    why: "production may run the same file without pgstage's timeout: queued behind one long transaction, the statement blocks every query behind it for as long",
    safer: "SET lock_timeout = '2s' (or SET LOCAL) at the top of the file, and retry when it times out",
    bad: &["ALTER TABLE public.customers ADD COLUMN flag boolean;"],
    good: &["SET lock_timeout = '2s';\nALTER TABLE public.customers ADD COLUMN flag boolean;"],
};

#[cfg(test)]
mod tests {
    use crate::findings::test_utils::{Fixture, rules_of};

    const ID: &str = "missing-lock-timeout";

    #[test]
    fn a_blocking_lock_without_a_timeout_is_found_and_with_one_is_not() {
        let lock = [("public.users", "AccessExclusiveLock")];
        let bad = Fixture::without_lock_timeout()
            .statement(2, "ALTER TABLE public.users ADD COLUMN flag boolean", 0.2, &lock, 0.2)
            .findings(100_000);
        assert!(rules_of(&bad).contains(&ID), "{bad:?}");
        let good = Fixture::without_lock_timeout()
            .sql(1, "SET lock_timeout = '2s'")
            .statement(2, "ALTER TABLE public.users ADD COLUMN flag boolean", 0.2, &lock, 0.2)
            .findings(100_000);
        assert!(!rules_of(&good).contains(&ID), "{good:?}");
        let ddl_only = Fixture::without_lock_timeout()
            .statement(
                2,
                "CREATE TABLE public.notes (user_id int REFERENCES public.users)",
                0.2,
                &[("public.users", "ShareRowExclusiveLock")],
                0.2,
            )
            .findings(100_000);
        assert!(rules_of(&ddl_only).contains(&ID), "SHARE ROW EXCLUSIVE blocks writes: {ddl_only:?}");
    }
}
