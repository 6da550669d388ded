//! Row figures (issue 21 item 8): the rows a finding or a data change gives for a table are the
//! table's, from its statistics, within 10 % of a count after ANALYZE, and called an estimate
//! where the statistics are not fresh, on the linters' typical migrations (a backfill of every
//! row then an index, a table loaded and analyzed in one session, a table never analyzed, a
//! table rewritten by a type change).

use std::time::{Duration, Instant};

use pgstage::run_result::{MigrationResult, MigrationStatus, RunResult, TableChange};
use tokio_postgres::Client;

use crate::engine::{migration, plan_with, run};
use crate::staging::bare;
use crate::support::{Template, TestDb, fresh_db};

const ROWS: i64 = 10_000;

/// Create `public.loaded` (`ROWS` rows) and `public.tiny` (4 rows) on `client` and, when
/// `analyze`, ANALYZE them in the same session, as a seed script does. Autovacuum is off on
/// both: nothing analyzes them behind the test's back.
async fn load(client: &Client, analyze: bool) {
    client
        .batch_execute(&format!(
            "CREATE TABLE public.loaded (id bigint PRIMARY KEY, n int, note text) WITH (autovacuum_enabled = false);
             INSERT INTO public.loaded SELECT g, NULL, 'row ' || g FROM generate_series(1, {ROWS}) g;
             CREATE TABLE public.tiny (id int PRIMARY KEY, note text) WITH (autovacuum_enabled = false);
             INSERT INTO public.tiny SELECT g, 'row ' || g FROM generate_series(1, 4) g;"
        ))
        .await
        .unwrap();
    if analyze {
        client.batch_execute("ANALYZE public.loaded, public.tiny").await.unwrap();
    }
}

/// Wait (asking on `client`, whose own counts are flushed along the way) until the cumulative
/// statistics give `public.loaded` `live` live rows and `changed` changes since its ANALYZE.
async fn until_statistics(client: &Client, live: i64, changed: i64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let row = client
            .query_one(
                "SELECT pg_stat_get_live_tuples('public.loaded'::regclass), pg_stat_get_mod_since_analyze('public.loaded'::regclass)",
                &[],
            )
            .await
            .unwrap();
        let seen: (i64, i64) = (row.get(0), row.get(1));
        if seen == (live, changed) {
            return;
        }
        assert!(Instant::now() < deadline, "statistics never read {live} live, {changed} changed: {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A second session on the test's database, which loads and leaves.
async fn other_session(db: &TestDb) -> Client {
    pgstage::db::connect_config(&db.config()).await.unwrap()
}

/// `public.loaded` (and `public.tiny`) loaded by another session, its counts in the statistics,
/// then ANALYZEd: statistics as fresh as a staging's.
async fn loaded_and_analyzed(db: &TestDb) {
    load(&other_session(db).await, false).await;
    until_statistics(&db.client, ROWS, ROWS).await;
    db.client.batch_execute("ANALYZE public.loaded, public.tiny").await.unwrap();
    // On 14 the statistics collector takes a moment to take the ANALYZE in.
    until_statistics(&db.client, ROWS, 0).await;
}

fn one_plan(files: &[&str]) -> pgstage::plan::LoadedPlan {
    plan_with(|p| {
        bare(p);
        p.migrations =
            files.iter().enumerate().map(|(i, f)| migration(&format!("96{i}"), &format!("tests/fixtures/sql/{f}"))).collect();
        p.execution.max_write_lock_ms = 0;
    })
}

fn applied(r: &RunResult) {
    let errors: Vec<_> = r.migrations.iter().filter(|m| m.status != MigrationStatus::Applied).map(|m| &m.error).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

fn change<'a>(m: &'a MigrationResult, table: &str) -> &'a TableChange {
    m.data.tables.iter().find(|t| t.table == table).unwrap_or_else(|| panic!("no change of {table}: {:#?}", m.data.tables))
}

fn within_a_tenth(figure: Option<i64>, rows: i64) -> bool {
    figure.is_some_and(|n| (n - rows).abs() * 10 <= rows)
}

/// A table loaded and ANALYZEd in one session (a seed script, the sandbox's baseline): the
/// session's inserts reach the cumulative statistics after the ANALYZE set them, which then
/// count every row twice. The figures stay the table's: 10,000 rows and 4, not 20,000 and 8.
#[tokio::test]
async fn a_table_analyzed_in_the_session_that_loaded_it_has_its_own_rows() {
    let db = fresh_db(Template::Baseline).await;
    load(&db.client, true).await;
    // The race as a seed meets it: the statistics now say twice the rows.
    until_statistics(&db.client, 2 * ROWS, ROWS).await;
    let r = run(one_plan(&["960_backfill_then_index.sql"]), &db).await;
    applied(&r);
    let m = &r.migrations[0];
    let loaded = change(m, "public.loaded");
    assert_eq!(loaded.updated, ROWS);
    assert!(within_a_tenth(loaded.rows_before, ROWS), "{loaded:?}");
    let tiny = change(m, "public.tiny");
    assert_eq!(tiny.rows_before, Some(4), "{tiny:?}");
    let index = m
        .findings
        .iter()
        .find(|f| f.rule == "index-without-concurrently" && f.relation == "public.loaded")
        .unwrap_or_else(|| panic!("{:#?}", m.findings));
    assert!(within_a_tenth(index.rows, ROWS), "{index:?}");
    let sized: Vec<_> = m.findings.iter().filter(|f| f.rows.is_some() && !within_a_tenth(f.rows, ROWS)).collect();
    assert!(sized.iter().all(|f| f.relation == "public.tiny" && f.rows == Some(4)), "{sized:#?}");
}

/// A finding about an index gives its table's rows: the index's own statistics count entries,
/// and a backfill then REINDEX in one transaction leaves one per row version (twice the rows).
#[tokio::test]
async fn an_index_after_a_backfill_and_reindex_gives_its_tables_rows() {
    let db = fresh_db(Template::Baseline).await;
    loaded_and_analyzed(&db).await;
    let r = run(one_plan(&["961_backfill_then_reindex.sql"]), &db).await;
    applied(&r);
    let m = &r.migrations[0];
    let on_index: Vec<_> = m.findings.iter().filter(|f| f.relation == "public.loaded_pkey").collect();
    assert!(!on_index.is_empty(), "a finding about the index: {:#?}", m.findings);
    for f in on_index {
        assert!(within_a_tenth(f.rows, ROWS), "{f:?}");
        assert!(!f.rows_estimated, "{f:?}");
    }
}

/// Statistics taken before half as many rows again were loaded: the figure is what they say,
/// called an estimate, in the data change and in the reports.
#[tokio::test]
async fn statistics_older_than_a_load_give_an_estimate_said_as_such() {
    let db = fresh_db(Template::Baseline).await;
    loaded_and_analyzed(&db).await;
    let more = other_session(&db).await;
    more.batch_execute(&format!(
        "INSERT INTO public.loaded SELECT g, NULL, 'row ' || g FROM generate_series({}, {}) g",
        ROWS + 1,
        ROWS + ROWS / 2
    ))
    .await
    .unwrap();
    drop(more);
    until_statistics(&db.client, ROWS + ROWS / 2, ROWS / 2).await;
    let r = run(one_plan(&["963_backfill.sql"]), &db).await;
    applied(&r);
    let loaded = change(&r.migrations[0], "public.loaded");
    assert_eq!(loaded.updated, ROWS + ROWS / 2);
    assert!(loaded.rows_estimated, "{loaded:?}");
    let markdown = pgstage::report::render_with(&r, &[], pgstage::report::Format::Markdown);
    assert!(markdown.contains("an estimate: statistics not fresh"), "{markdown}");
}

/// Never analyzed nor vacuumed (`reltuples` -1 since PostgreSQL 14): counted, exactly.
#[tokio::test]
async fn a_table_never_analyzed_is_counted() {
    let db = fresh_db(Template::Baseline).await;
    load(&other_session(&db).await, false).await;
    let r = run(one_plan(&["963_backfill.sql"]), &db).await;
    applied(&r);
    let loaded = change(&r.migrations[0], "public.loaded");
    assert_eq!((loaded.rows_before, loaded.rows_estimated), (Some(ROWS), false), "{loaded:?}");
}

/// A table rewritten by a type change keeps its figure for the next migration: the rows, fresh.
#[tokio::test]
async fn a_table_rewritten_by_a_type_change_keeps_its_rows() {
    let db = fresh_db(Template::Baseline).await;
    loaded_and_analyzed(&db).await;
    let r = run(one_plan(&["962_type_change.sql", "963_backfill.sql"]), &db).await;
    applied(&r);
    let rewritten = change(&r.migrations[0], "public.loaded");
    assert!(rewritten.rewritten && within_a_tenth(rewritten.rows_before, ROWS), "{rewritten:?}");
    let next = change(&r.migrations[1], "public.loaded");
    assert!(within_a_tenth(next.rows_before, ROWS) && !next.rows_estimated, "{next:?}");
    let rewrite = r.migrations[0].findings.iter().find(|f| f.rule == "table-rewrite").expect("a rewrite finding");
    assert!(within_a_tenth(rewrite.rows, ROWS), "{rewrite:?}");
}

/// The sandbox seeds its baseline and ANALYZEs it in one session: its statistics must come out
/// fresh (the session's counts sent before the ANALYZE), every table's live rows its
/// `reltuples` and no change since its ANALYZE, so that no figure on a sandbox reads as an
/// estimate, nor twice the rows.
#[tokio::test]
async fn the_sandbox_baseline_is_seeded_with_fresh_statistics() {
    let db = fresh_db(Template::Empty).await;
    pgstage::sandbox::seed_baseline(&db.client, &crate::support::week2_plan()).await.unwrap_or_else(|e| panic!("{e}"));
    // Past the time the session's counts would take to arrive after the ANALYZE.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    db.client.batch_execute("SELECT 1").await.unwrap();
    let rows = db
        .client
        .query(
            "SELECT c.relname::text, c.reltuples::int8, pg_stat_get_live_tuples(c.oid), pg_stat_get_mod_since_analyze(c.oid)
             FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.reltuples > 0",
            &[],
        )
        .await
        .unwrap();
    assert!(rows.len() >= 3, "the baseline has tables with rows: {}", rows.len());
    for r in rows {
        let (table, reltuples, live, changed): (String, i64, i64, i64) = (r.get(0), r.get(1), r.get(2), r.get(3));
        assert_eq!((live, changed), (reltuples, 0), "{table}: {reltuples} rows by ANALYZE");
    }
}
