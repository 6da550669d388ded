//! Every figure a DBA signs is true on SQL nobody here wrote (issue 21): each test builds the
//! smallest case that showed a wrong figure and checks the figure against what really happened.

use pgstage::plan::{DeclaredLoss, Loss};

use crate::engine::{migration, plan_with, run};
use crate::staging::bare;
use crate::support::{Template, fresh_db, path, week2_plan};

/// Row changes are the migration's own: the per-transaction counters still hold an earlier,
/// unflushed transaction of the same session (the previous migration), so a migration that
/// touches no row must report none, whatever ran just before it.
#[tokio::test]
async fn row_changes_of_one_migration_never_show_under_the_next() {
    for (first, what, earlier) in [
        ("tests/fixtures/sql/920_delete_audit.sql", Loss::DeleteRows, "deleted"),
        ("tests/fixtures/sql/923_backfill.sql", Loss::DeleteRows, "updated"),
    ] {
        let db = fresh_db(Template::Baseline).await;
        let plan = plan_with(|p| {
            bare(p);
            let mut m = migration("920", first);
            m.data_loss.push(DeclaredLoss { table: "audit_log".into(), what, reason: "approved purge (ticket DBA-42)".into() });
            p.migrations = vec![m, migration("937", "tests/fixtures/sql/937_new_table_only.sql")];
        });
        let r = run(plan, &db).await;
        assert!(!r.migrations[0].data.tables.is_empty(), "{first}: the first migration's own changes are measured");
        assert_eq!(r.migrations[1].data.tables, vec![], "{first}: rows {earlier} by 920 reported under 937");
        assert!(r.verdict.go, "{first}: {:?}", r.verdict.reasons);
    }
}

/// A migration's own `SET search_path` ends with it (as a psql session per file would): the
/// catalog after it deparses as before, so its exact rollback returns exactly to the baseline,
/// and the next migration runs under the session's own path.
#[tokio::test]
async fn a_migrations_search_path_does_not_outlive_it() {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| {
        bare(p);
        p.migrations = vec![migration("942", "tests/fixtures/sql/942_search_path.sql")];
        let mut rollback = week2_plan().plan.rollback.expect("the bundled plan has a rollback");
        rollback.script = path("tests/fixtures/sql/942_rollback.sql");
        rollback.checks.clear();
        p.rollback = Some(rollback);
    });
    let r = run(plan, &db).await;
    let rollback = r.rollback.as_ref().expect("rehearsed");
    assert!(rollback.error.is_none(), "{:?}", rollback.error);
    assert!(rollback.matches_baseline(), "{:?}", rollback.diff_from_baseline);
    assert!(r.migrations[0].object_mismatches.is_empty(), "{:?}", r.migrations[0].object_mismatches);
    assert!(r.verdict.go, "{:?}", r.verdict.reasons);
}
