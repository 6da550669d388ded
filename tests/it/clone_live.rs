//! A staging that is live while pgstage reads it: the application keeps writing during the clone
//! of its schema and during the drift pre-flight (neither waits for it, neither copies or
//! counts its rows as a difference), and another session holding ACCESS EXCLUSIVE on a table of
//! the plan makes the clone stop within the plan's `lock_timeout`, naming the table, the lock
//! and who holds it, with staging left as it was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pgstage::db;
use pgstage::plan::{Check, Expect, Probe, Severity};
use pgstage::run_result::Status;
use tokio::task::JoinHandle;

use crate::clone::{state, try_clone_run};
use crate::drift::{drift_check, engine_run, on_staging, plan, rehearse};
use crate::engine::{plan_with, sandbox_conninfo};
use crate::support::{Template, TestDb, fresh_db};

/// The application: a session of its own inserting rows into `public.audit_log`, one
/// autocommitted statement after another, until `stop`; returns how many it inserted.
fn writer(staging: &TestDb, stop: Arc<AtomicBool>) -> JoinHandle<i64> {
    let config = staging.config();
    tokio::spawn(async move {
        let client = db::connect_config(&config).await.unwrap();
        client.batch_execute("SET application_name = 'the application'").await.unwrap();
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            client
                .batch_execute("INSERT INTO public.audit_log (action, entity_type) VALUES ('written-during-the-clone', 'test')")
                .await
                .unwrap_or_else(|e| panic!("the application's insert failed: {}", db::DbError::query(e)));
            n += 1;
        }
        n
    })
}

/// Written by [`writer`] so far.
async fn written(staging: &TestDb) -> i64 {
    let sql = "SELECT count(*) FROM public.audit_log WHERE action = 'written-during-the-clone'";
    staging.client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_taken_while_the_application_writes_succeeds_and_copies_none_of_its_rows() {
    let staging = fresh_db(Template::Baseline).await;
    let stop = Arc::new(AtomicBool::new(false));
    let app = writer(&staging, stop.clone());
    let plan = plan_with(|p| {
        p.preflight.checks.clear();
        p.preflight.checks.push(Check {
            id: "PF-NO-ROWS".into(),
            title: "the clone holds none of the rows the application wrote".into(),
            group: "baseline".into(),
            probe: Probe::Sql(
                "SELECT NOT EXISTS (SELECT FROM public.audit_log WHERE action = 'written-during-the-clone')".into(),
            ),
            expect: Expect::True,
            on_miss: Severity::Fail,
            invariant: false,
            after: None,
        });
    });
    let conninfo = sandbox_conninfo(&staging);
    let before = written(&staging).await;
    let (code, out, ran) = tokio::task::spawn_blocking(move || try_clone_run(&plan, &conninfo, "live-writer")).await.unwrap();
    let during = written(&staging).await - before;
    stop.store(true, Ordering::Relaxed);
    let inserted = app.await.unwrap();
    assert!(during > 0, "the application wrote while the clone was taken");
    assert_eq!(written(&staging).await, inserted, "every row the application wrote is on staging");
    assert_eq!(code, Some(0), "{out}");
    let (result, _) = ran.unwrap();
    assert_eq!(result.clone.as_ref().unwrap().rows_copied, 0);
    let no_rows = result.preflight.iter().find(|c| c.id == "PF-NO-ROWS").unwrap();
    assert_eq!(no_rows.status, Status::Pass, "{no_rows:?}");
    println!("the application inserted {during} rows while pgstage cloned staging and rehearsed");
}

/// `run --sandbox --clone-from` staging (a plan allowing 1 s of lock wait) while another
/// session holds what `holding` took, in a transaction left open until the clone has ended:
/// what it printed, and how long it took. It must have failed before any rehearsal.
async fn clone_while_held(staging: &TestDb, holding: &str, name: &'static str) -> (String, std::time::Duration) {
    let holder = db::connect_config(&staging.config()).await.unwrap();
    holder.batch_execute(holding).await.unwrap();
    let plan = plan_with(|p| {
        crate::staging::bare(p);
        p.execution.lock_timeout_ms = 1_000;
    });
    let conninfo = sandbox_conninfo(staging);
    let started = std::time::Instant::now();
    let (code, out, ran) = tokio::task::spawn_blocking(move || try_clone_run(&plan, &conninfo, name)).await.unwrap();
    let took = started.elapsed();
    holder.batch_execute("ROLLBACK").await.unwrap();
    println!("the clone stopped after {took:?}: {out}");
    assert_eq!(code, Some(2), "{out}");
    assert!(ran.is_none(), "no rehearsal ran: {out}");
    (out, took)
}

#[tokio::test]
async fn a_clone_stops_within_the_lock_timeout_when_a_session_holds_a_plan_table_and_names_it() {
    let staging = fresh_db(Template::Baseline).await;
    let before = state(&staging).await;
    let holding = "SET application_name = 'nightly report'; BEGIN; LOCK TABLE public.audit_log IN ACCESS EXCLUSIVE MODE";
    let (out, took) = clone_while_held(&staging, holding, "live-lock").await;
    for part in ["public.audit_log", "AccessExclusiveLock", "nightly report", "lock_timeout 1000 ms", "nothing was written"] {
        assert!(out.contains(part), "{part:?} in: {out}");
    }
    // A guard against a wait without end, not a speed test: the plan allows 1 s.
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    assert_eq!(state(&staging).await, before, "staging's catalog and row counts are unchanged");
}

const RECENT: &str = "SELECT id, action FROM public.audit_log WHERE created_at > now() - interval '1 day'";

#[tokio::test]
async fn a_clone_stops_within_the_lock_timeout_when_a_session_holds_a_view_pg_dump_deparses() {
    let staging = fresh_db(Template::Baseline).await;
    staging.client.batch_execute(&format!("CREATE VIEW public.recent_audit AS {RECENT}")).await.unwrap();
    let before = state(&staging).await;
    // A deploy replacing the view, its transaction still open: pg_dump's --lock-wait-timeout
    // covers only its LOCK TABLE of the tables, and pg_dump turns lock_timeout off.
    let holding = format!("SET application_name = 'deploy'; BEGIN; CREATE OR REPLACE VIEW public.recent_audit AS {RECENT}");
    let (out, _) = clone_while_held(&staging, &holding, "live-view").await;
    for part in [
        "public.recent_audit: AccessExclusiveLock held by",
        "'deploy'",
        "pg_dump waited for AccessShareLock on public.recent_audit",
        "lock_timeout 1000 ms",
        "nothing was written",
    ] {
        assert!(out.contains(part), "{part:?} in: {out}");
    }
    // pg_dump's statement was cancelled and pg_dump ended; its server process ends once it sees
    // the client gone, which under load can take a moment after pgstage has exited.
    let pg_dump_sessions = || async {
        let sql = "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE application_name LIKE 'pgstage clone (pg_dump)%'";
        staging.client.query_one(sql, &[]).await.unwrap().get::<_, i64>(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pg_dump_sessions().await > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(pg_dump_sessions().await, 0, "no session of pg_dump's is left on staging");
    assert_eq!(state(&staging).await, before, "staging's catalog and row counts are unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drift_pre_flight_counts_no_row_the_application_writes_as_drift() {
    let rehearsed = rehearse().await;
    let staging = fresh_db(Template::Baseline).await;
    let stop = Arc::new(AtomicBool::new(false));
    let app = writer(&staging, stop.clone());
    let before = written(&staging).await;
    let (result, _) = engine_run(plan(), &staging, on_staging(&rehearsed)).await;
    let during = written(&staging).await - before;
    stop.store(true, Ordering::Relaxed);
    app.await.unwrap();
    assert!(during > 0, "the application wrote during the run");
    let check = drift_check(&result);
    assert_eq!(check.status, Status::Pass, "{check:#?}");
    assert!(result.drift.is_empty(), "{:#?}", result.drift);
}

#[tokio::test]
async fn the_drift_pre_flight_stops_within_the_lock_timeout_on_a_session_holding_a_plan_table_and_names_it() {
    let rehearsed = rehearse().await;
    let staging = fresh_db(Template::Baseline).await;
    let before = state(&staging).await;
    let holder = db::connect_config(&staging.config()).await.unwrap();
    holder
        .batch_execute("SET application_name = 'nightly report'; BEGIN; LOCK TABLE public.audit_log IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let mut plan = plan();
    plan.plan.execution.lock_timeout_ms = 1_000;
    let started = std::time::Instant::now();
    let (result, _) = engine_run(plan, &staging, on_staging(&rehearsed)).await;
    let took = started.elapsed();
    holder.batch_execute("ROLLBACK").await.unwrap();
    println!("the run stopped after {took:?}: {:?}", result.outcome);
    // The catalog snapshot the drift is read from deparses the table's definitions, which takes
    // ACCESS SHARE on it: the run stops in the pre-flight, before any migration, naming who.
    let pgstage::run_result::Outcome::Failed { step, error } = &result.outcome else {
        panic!("the run stops: {:?}", result.outcome)
    };
    assert_eq!(step, "Pre-flight");
    for part in ["lock timeout", "AccessShareLock on public.audit_log", "nightly report", "holding AccessExclusiveLock"] {
        assert!(error.contains(part), "{part:?} in {error}");
    }
    assert!(!result.verdict.go);
    assert!(result.migrations.iter().all(|m| m.status == pgstage::run_result::MigrationStatus::NotRun));
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    assert_eq!(state(&staging).await, before, "staging's catalog and row counts are unchanged");
}
