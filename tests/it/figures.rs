//! Every figure a DBA signs is true on SQL nobody here wrote (issue 21): each test builds the
//! smallest case that showed a wrong figure and checks the figure against what really happened.

use pgstage::plan::{DeclaredLoss, Loss};

use crate::engine::{migration, plan_with, run};
use crate::staging::bare;
use crate::support::{Template, fresh_db};

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
