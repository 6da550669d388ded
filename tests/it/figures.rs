//! Every figure a DBA signs is true on SQL nobody here wrote (issue 21): each test builds the
//! smallest case that showed a wrong figure and checks the figure against what really happened.

use pgstage::db::lock_modes::LockMode;
use pgstage::plan::{Criterion, CriterionKind, DeclaredLoss, LoadedPlan, Loss, Rule};
use pgstage::run_result::{MigrationResult, MigrationStatus, RunResult, StatementTrace};

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

fn criterion(id: &str, rule: Rule) -> Criterion {
    Criterion { id: id.into(), title: id.into(), group: "Locks".into(), rule, kind: CriterionKind::Hard }
}

/// One fixture migration on the 1,000,000-row table, judged by `criteria`.
fn on_big(file: &str, criteria: Vec<Criterion>) -> LoadedPlan {
    plan_with(|p| {
        bare(p);
        p.migrations = vec![migration("950", file)];
        p.criteria = criteria;
    })
}

fn traced(m: &MigrationResult, line: usize) -> &StatementTrace {
    m.trace.iter().find(|t| t.line == line).unwrap_or_else(|| panic!("no trace of line {line}: {:#?}", m.trace))
}

/// A lock is held from its grant, not from the end of the statement that took it: an index
/// built under ACCESS EXCLUSIVE holds it for the whole build, and `MaxBlockedMs` judges that.
#[tokio::test]
async fn a_lock_is_held_from_the_start_of_the_statement_that_takes_it() {
    let db = fresh_db(Template::Big).await;
    let plan = on_big(
        "tests/fixtures/sql/950_unique_on_big.sql",
        vec![criterion("C-BLOCKED", Rule::MaxBlockedMs(500)), criterion("C-APPLIED", Rule::AllMigrationsApplied)],
    );
    let r = run(plan, &db).await;
    let m = &r.migrations[0];
    assert_eq!(m.status, MigrationStatus::Applied, "{:?}", m.error);
    let t = traced(m, 3);
    assert!(t.ms > 500.0, "the fixture's statement runs long enough to judge: {} ms", t.ms);
    let lock = t.locks.iter().find(|l| l.relation == "public.big_items" && l.mode == LockMode::AccessExclusive).expect("traced");
    assert!(lock.held_ms >= t.ms - t.waited_ms, "held {} ms, the statement alone ran {} ms", lock.held_ms, t.ms);
    assert_eq!((lock.read_blocked, lock.write_blocked), (Some(true), Some(true)));
    assert!(!r.verdict.go, "a build of {} ms under ACCESS EXCLUSIVE is over 500 ms", t.ms);
    let reason =
        r.verdict.reasons.iter().find(|x| x.contains("public.big_items")).unwrap_or_else(|| panic!("{:?}", r.verdict.reasons));
    for part in ["950_unique_on_big.sql:3", "AccessExclusiveLock", &format!("blocked {:.0} ms", lock.held_ms)] {
        assert!(reason.contains(part), "{part:?} in {reason}");
    }
}

/// Every statement that runs under a lock on a pre-existing relation is in the trace, with the
/// strongest mode held then and whether it scanned: an upgrade from SHARE to ACCESS EXCLUSIVE,
/// and a second SET NOT NULL under the lock the first one took.
#[tokio::test]
async fn a_lock_taken_again_or_upgraded_is_in_the_trace_with_what_it_scanned() {
    let db = fresh_db(Template::Big).await;
    let r = run(on_big("tests/fixtures/sql/951_locked_once_then_more.sql", vec![]), &db).await;
    let m = &r.migrations[0];
    assert_eq!(m.status, MigrationStatus::Applied, "{:?}", m.error);
    let index = traced(m, 3);
    assert_eq!(index.held_on("public.big_items"), Some(LockMode::Share));
    assert_eq!(index.scanned, ["public.big_items"], "an index build reads the table");
    let first = traced(m, 4);
    assert_eq!(first.held_on("public.big_items"), Some(LockMode::AccessExclusive), "upgraded");
    assert!(first.locks.iter().any(|l| l.relation == "public.big_items" && l.mode == LockMode::AccessExclusive));
    assert_eq!(first.scanned, ["public.big_items"]);
    let second = traced(m, 5);
    assert!(second.locks.iter().all(|l| l.relation != "public.big_items"), "nothing new taken: {:?}", second.locks);
    assert_eq!(second.held_on("public.big_items"), Some(LockMode::AccessExclusive), "ran under the lock taken at line 4");
    assert_eq!(second.scanned, ["public.big_items"]);
    let scans: Vec<&str> = m.findings.iter().filter(|f| f.rule == "set-not-null-scan").map(|f| f.statement.as_str()).collect();
    assert_eq!(scans.len(), 2, "{:#?}", m.findings);
    assert!(scans[0].ends_with(":4") && scans[1].ends_with(":5"), "{scans:?}");
}

/// `set-not-null-scan` holds only where the server scans: after a validated CHECK (col IS NOT
/// NULL), SET NOT NULL is proven without one.
#[tokio::test]
async fn set_not_null_proven_by_a_validated_check_is_no_scan() {
    let db = fresh_db(Template::Big).await;
    let r = run(on_big("tests/fixtures/sql/952_not_null_proven.sql", vec![]), &db).await;
    let m = &r.migrations[0];
    assert_eq!(m.status, MigrationStatus::Applied, "{:?}", m.error);
    assert_eq!(traced(m, 4).scanned, ["public.big_items"], "VALIDATE scans");
    let set = traced(m, 5);
    assert_eq!(set.held_on("public.big_items"), Some(LockMode::AccessExclusive));
    assert!(set.scanned.is_empty(), "SET NOT NULL proven by the CHECK scans nothing: {set:#?}");
    assert!(m.findings.iter().all(|f| f.rule != "set-not-null-scan"), "{:#?}", m.findings);
}

/// A read probe answers for what a query needs: the table and its indexes. REINDEX holds SHARE
/// on the table (a table lock alone would let reads go on) and ACCESS EXCLUSIVE on its indexes.
#[tokio::test]
async fn reads_wait_for_an_index_held_by_reindex_and_the_probe_says_so() {
    let db = fresh_db(Template::Big).await;
    let r = run(on_big("tests/fixtures/sql/953_reindex_big.sql", vec![]), &db).await;
    let m = &r.migrations[0];
    assert_eq!(m.status, MigrationStatus::Applied, "{:?}", m.error);
    let t = traced(m, 3);
    let table = t.locks.iter().find(|l| l.relation == "public.big_items").expect("the table is locked");
    assert_eq!(table.mode, LockMode::Share);
    assert!(
        t.locks.iter().any(|l| l.relation == "public.big_items_pkey" && l.mode == LockMode::AccessExclusive),
        "{:?}",
        t.locks
    );
    assert_eq!((table.read_blocked, table.write_blocked), (Some(true), Some(true)), "reads need the index");
}

/// TRUNCATE empties a table: a loss of rows (judged as such), never a rewrite.
#[tokio::test]
async fn a_truncate_is_a_truncate_not_a_rewrite() {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| {
        bare(p);
        let mut m = migration("921", "tests/fixtures/sql/921_truncate_audit.sql");
        m.data_loss.push(DeclaredLoss {
            table: "audit_log".into(),
            what: Loss::Truncate,
            reason: "approved purge (ticket DBA-42)".into(),
        });
        p.migrations = vec![m];
    });
    let r = run(plan, &db).await;
    let m = &r.migrations[0];
    let t = m.trace.iter().find(|t| !t.truncated.is_empty()).unwrap_or_else(|| panic!("{:#?}", m.trace));
    assert!(t.truncated.iter().any(|r| r == "public.audit_log"), "{t:#?}");
    assert!(t.rewrote.is_empty(), "{t:#?}");
    assert!(m.findings.iter().all(|f| f.rule != "table-rewrite"), "{:#?}", m.findings);
    assert!(r.verdict.go, "{:?}", r.verdict.reasons);
}

/// A rename is a rename: a renamed column is no loss (it keeps its number in the catalog), a
/// renamed table is reported under both names, and a column dropped after the rename is named
/// as the table had it.
#[tokio::test]
async fn a_rename_reads_as_a_rename_not_a_loss() {
    let db = fresh_db(Template::Baseline).await;
    let r = run(
        plan_with(|p| {
            bare(p);
            p.migrations = vec![migration("955", "tests/fixtures/sql/955_rename_column.sql")];
        }),
        &db,
    )
    .await;
    let t = &r.migrations[0].data.tables;
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(t[0].table, "public.audit_log");
    assert!(t[0].dropped_columns.is_empty(), "{t:?}");
    assert_eq!(t[0].renamed_columns, [pgstage::run_result::ColumnRename { from: "ip".into(), to: "client_ip".into() }]);
    assert!(r.verdict.go, "a rename loses nothing: {:?}", r.verdict.reasons);
    drop(db);

    let db = fresh_db(Template::Baseline).await;
    let r = run(
        plan_with(|p| {
            bare(p);
            p.migrations = vec![migration("956", "tests/fixtures/sql/956_rename_table.sql")];
        }),
        &db,
    )
    .await;
    let t = &r.migrations[0].data.tables;
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!((t[0].table.as_str(), t[0].renamed_to.as_deref()), ("public.audit_log", Some("public.audit_events")));
    assert_eq!(t[0].dropped_columns, ["ip"], "the dropped column, by its name");
    let loss = r.all_checks().find(|c| c.id == "INT-DATA-LOSS").expect("the data-loss check");
    assert!(loss.detail.contains("public.audit_log: column ip dropped"), "{}", loss.detail);
    assert!(!r.verdict.go, "the dropped column is an undeclared loss");
}

/// The rules that stand on the trace's facts (what a statement scanned, under which lock), on
/// the 1,000,000-row table: each bad pattern raises its rule, the safe pattern the linters
/// recommend raises none of them.
#[tokio::test]
async fn the_rules_on_what_was_scanned_under_which_lock() {
    let rules_of = |r: &RunResult| -> Vec<String> {
        r.migrations.iter().flat_map(|m| &m.findings).map(|f| f.rule.to_string()).collect::<Vec<_>>()
    };
    for (files, raised, not_raised) in [
        (vec!["950_unique_on_big.sql"], vec!["constraint-index-under-access-exclusive", "missing-lock-timeout"], vec![]),
        (
            vec!["957_unique_index_concurrently.sql", "957_unique_using_index.sql"],
            vec![],
            vec!["constraint-index-under-access-exclusive", "index-without-concurrently", "missing-lock-timeout"],
        ),
        (vec!["958_check_scans.sql"], vec!["check-without-not-valid"], vec![]),
        (vec!["958_check_not_valid.sql"], vec![], vec!["check-without-not-valid", "missing-lock-timeout"]),
        (vec!["952_not_null_proven.sql"], vec!["validate-in-same-transaction"], vec!["set-not-null-scan"]),
        (vec!["953_reindex_big.sql"], vec!["index-maintenance-without-concurrently"], vec![]),
    ] {
        let db = fresh_db(Template::Big).await;
        let plan = plan_with(|p| {
            bare(p);
            p.migrations = files
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let mut m = migration(&format!("95{i}"), &format!("tests/fixtures/sql/{f}"));
                    m.non_transactional = f.contains("concurrently");
                    m
                })
                .collect();
        });
        let r = run(plan, &db).await;
        assert!(
            r.migrations.iter().all(|m| m.status == MigrationStatus::Applied),
            "{files:?}: {:?}",
            r.migrations.iter().map(|m| &m.error).collect::<Vec<_>>()
        );
        let found = rules_of(&r);
        for rule in raised {
            assert!(found.iter().any(|f| f == rule), "{files:?} raises {rule}: {found:?}");
        }
        for rule in not_raised {
            assert!(found.iter().all(|f| f != rule), "{files:?} does not raise {rule}: {found:?}");
        }
    }
}

/// A rename raises the compatibility rule: the running code still uses the old name.
#[tokio::test]
async fn a_rename_is_a_compatibility_warning() {
    let db = fresh_db(Template::Baseline).await;
    let r = run(
        plan_with(|p| {
            bare(p);
            p.migrations = vec![migration("955", "tests/fixtures/sql/955_rename_column.sql")];
        }),
        &db,
    )
    .await;
    let f = r.migrations[0]
        .findings
        .iter()
        .find(|f| f.rule == "rename-breaks-running-code")
        .unwrap_or_else(|| panic!("{:#?}", r.migrations[0].findings));
    assert_eq!(f.severity, pgstage::run_result::FindingSeverity::Warning);
    assert!(f.message.contains("public.audit_log.ip renamed to client_ip"), "{}", f.message);
    assert!(f.statement.ends_with("955_rename_column.sql:2"), "{}", f.statement);
}
