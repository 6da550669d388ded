//! Migrations marked `non_transactional` are traced too (issue 21 item 4): while each statement
//! runs, the reader polls what the migration's backend holds in `pg_locks`, and storage
//! compared before and after tells a rewrite. On the 1,000,000-row table: VACUUM FULL and
//! CLUSTER rewrite it under ACCESS EXCLUSIVE (`table-rewrite`), REINDEX without CONCURRENTLY
//! holds the indexes ACCESS EXCLUSIVE (`index-maintenance-without-concurrently`), and the
//! CONCURRENTLY variants show their weak locks and no blocking finding.

use pgstage::db::lock_modes::LockMode;
use pgstage::run_result::{FindingSeverity, MigrationResult, MigrationStatus, RunResult, StatementTrace};

use crate::engine::{migration, plan_with, run};
use crate::staging::bare;
use crate::support::{BIG_ROWS, Template, fresh_db};

const TABLE: &str = "public.big_items";

/// A materialized view over the 1,000,000-row table (1,000 rows, a unique index).
const TOTALS: &str =
    "CREATE MATERIALIZED VIEW public.big_totals AS SELECT id % 1000 AS k, count(*) AS n FROM public.big_items GROUP BY 1;
     CREATE UNIQUE INDEX big_totals_k ON public.big_totals (k);";

/// One fixture on the 1,000,000-row table (and its materialized view), as a non-transactional
/// migration; any lock that blocks writes held over 0 ms is a finding.
async fn outside(file: &str) -> RunResult {
    let db = fresh_db(Template::Big).await;
    db.client.batch_execute(TOTALS).await.unwrap();
    let plan = plan_with(|p| {
        bare(p);
        p.execution.max_write_lock_ms = 0;
        let mut m = migration("970", &format!("tests/fixtures/sql/{file}"));
        m.non_transactional = true;
        p.migrations = vec![m];
    });
    let r = run(plan, &db).await;
    assert_eq!(r.migrations[0].status, MigrationStatus::Applied, "{file}: {:?}", r.migrations[0].error);
    r
}

fn only_trace(m: &MigrationResult) -> &StatementTrace {
    assert_eq!(m.trace.len(), 1, "{:#?}", m.trace);
    &m.trace[0]
}

fn rules(m: &MigrationResult) -> Vec<&str> {
    m.findings.iter().map(|f| f.rule.as_str()).collect()
}

/// VACUUM FULL and CLUSTER: ACCESS EXCLUSIVE on the table for the whole rewrite, reads and
/// writes probed blocked, new storage for the table and its index, a `table-rewrite` error
/// sized by the table's rows.
#[tokio::test]
async fn vacuum_full_and_cluster_are_traced_as_rewrites_under_access_exclusive() {
    for file in ["970_vacuum_full.sql", "971_cluster.sql"] {
        let r = outside(file).await;
        let m = &r.migrations[0];
        let t = only_trace(m);
        assert_eq!(t.held_on(TABLE), Some(LockMode::AccessExclusive), "{file}: {t:#?}");
        let lock = t.locks.iter().find(|l| l.relation == TABLE).expect("the table's lock");
        assert_eq!((lock.read_blocked, lock.write_blocked), (Some(true), Some(true)), "{file}: probed while it ran");
        assert!(lock.held_ms > 0.5 * t.ms && lock.held_ms <= t.ms, "{file}: held {} ms of {} ms", lock.held_ms, t.ms);
        assert!(t.rewrote.iter().any(|r| r == TABLE), "{file}: {t:#?}");
        assert!(t.rewrote.iter().any(|r| r == "public.big_items_pkey"), "{file}: {t:#?}");
        let rewrite = m
            .findings
            .iter()
            .find(|f| f.rule == "table-rewrite" && f.relation == TABLE)
            .unwrap_or_else(|| panic!("{file}: {:#?}", m.findings));
        assert_eq!(rewrite.severity, FindingSeverity::Error, "{file}");
        assert_eq!(rewrite.lock, "AccessExclusiveLock");
        assert!(rewrite.rows.is_some_and(|n| (n - BIG_ROWS).abs() * 10 <= BIG_ROWS), "{file}: {rewrite:?}");
        let changed = m.data.tables.iter().find(|c| c.table == TABLE).expect("a data change");
        assert!(changed.rewritten && !changed.truncated, "{file}: {changed:?}");
    }
}

/// REINDEX without CONCURRENTLY, outside a transaction: SHARE on the table, ACCESS EXCLUSIVE
/// on its index (reads wait: the probe says so), `index-maintenance-without-concurrently`.
#[tokio::test]
async fn reindex_outside_a_transaction_is_traced_with_its_index_lock() {
    let r = outside("953_reindex_big.sql").await;
    let m = &r.migrations[0];
    let t = only_trace(m);
    assert_eq!(t.held_on(TABLE), Some(LockMode::Share), "{t:#?}");
    assert_eq!(t.held_on("public.big_items_pkey"), Some(LockMode::AccessExclusive), "{t:#?}");
    let table = t.locks.iter().find(|l| l.relation == TABLE).expect("the table's lock");
    assert_eq!((table.read_blocked, table.write_blocked), (Some(true), Some(true)), "reads need the index");
    assert!(t.rewrote.iter().any(|r| r == "public.big_items_pkey") && !t.rewrote.iter().any(|r| r == TABLE), "{t:#?}");
    assert!(rules(m).contains(&"index-maintenance-without-concurrently"), "{:#?}", m.findings);
    assert!(!rules(m).contains(&"table-rewrite"), "an index rebuilt is no table rewrite: {:#?}", m.findings);
}

/// The CONCURRENTLY variants: SHARE UPDATE EXCLUSIVE on the table (only DDL waits), seen while
/// they ran, EXCLUSIVE on a materialized view refreshed (nothing writes one), and no finding
/// about blocking the application.
#[tokio::test]
async fn concurrently_shows_its_weak_locks_and_no_blocking_finding() {
    for file in ["972_reindex_concurrently.sql", "957_unique_index_concurrently.sql"] {
        let r = outside(file).await;
        let m = &r.migrations[0];
        let t = m.trace.iter().find(|t| t.held_on(TABLE).is_some()).unwrap_or_else(|| panic!("{file}: {:#?}", m.trace));
        assert_eq!(t.held_on(TABLE), Some(LockMode::ShareUpdateExclusive), "{file}: {t:#?}");
        let table = t.locks.iter().find(|l| l.relation == TABLE).expect("the table's lock");
        assert!(table.held_ms > 0.0, "{file}: {table:?}");
        assert!(!t.rewrote.iter().any(|r| r == TABLE), "{file}: {t:#?}");
        assert_no_blocking_finding(file, m);
    }
    let r = outside("973_refresh_concurrently.sql").await;
    let m = &r.migrations[0];
    let t = only_trace(m);
    assert_eq!(t.held_on("public.big_totals"), Some(LockMode::Exclusive), "{t:#?}");
    let view = t.locks.iter().find(|l| l.relation == "public.big_totals").expect("the view's lock");
    assert_eq!(view.blocks, Some(pgstage::db::lock_modes::Blocks::DdlOnly), "nothing writes a materialized view: {view:?}");
    assert_no_blocking_finding("973_refresh_concurrently.sql", m);
}

fn assert_no_blocking_finding(file: &str, m: &MigrationResult) {
    for rule in [
        "table-rewrite",
        "index-maintenance-without-concurrently",
        "index-without-concurrently",
        "write-lock-held-too-long",
        "statements-under-access-exclusive",
    ] {
        assert!(!rules(m).contains(&rule), "{file}: {rule}: {:#?}", m.findings);
    }
}
