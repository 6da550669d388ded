//! The run engine end to end on a real server: the bundled plan ends GO with the seed's
//! figures; a broken 015 stops the run with nothing of 015 applied; a second runner is
//! refused; cancel and SIGKILL leave no half-applied migration; drift is refused; staging
//! keeps no test rows; a leaky RLS policy is caught.

use std::time::Duration;

use pgstage::db::connect::{self, Session};
use pgstage::db::snapshot::{Kind, row_counts};
use pgstage::engine::{Controls, Engine, EngineError, Event, RunOptions, Step};
use pgstage::plan::{Creates, LoadedPlan, Metric, Migration, MsRange, Plan, Probe, TransactionMode};
use pgstage::run_result::{MigrationStatus, Outcome, RunResult, Status};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::support::{Template, TestDb, fresh_db, path, wait_for_count, week2_plan, write_plan};

pub(crate) async fn session(db: &TestDb) -> Session {
    connect::connect_config(&db.config()).await.unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn options() -> RunOptions {
    RunOptions { operator: "tester".into(), ..Default::default() }
}

/// The bundled plan, changed by `edit`.
pub(crate) fn plan_with(edit: impl FnOnce(&mut Plan)) -> LoadedPlan {
    let mut loaded = week2_plan();
    edit(&mut loaded.plan);
    loaded
}

pub(crate) fn migration(id: &str, file: &str) -> Migration {
    Migration {
        id: id.into(),
        title: format!("fixture {id}"),
        file: path(file),
        expected_ms: Some(MsRange(0, 60_000)),
        creates: Creates::default(),
        non_transactional: false,
        data_loss: vec![],
        accept: vec![],
    }
}

/// Start an engine with every manual item acknowledged.
pub(crate) async fn start(plan: LoadedPlan, db: &TestDb) -> (Engine, UnboundedReceiver<Event>) {
    let (tx, rx) = unbounded_channel();
    let items: Vec<String> = plan.plan.preflight.manual.iter().map(|m| m.id.clone()).collect();
    let mut engine = Engine::start(plan, session(db).await, options(), tx).await.unwrap_or_else(|e| panic!("{e}"));
    for item in items {
        assert!(engine.acknowledge(&item, "tester"));
    }
    (engine, rx)
}

pub(crate) async fn run(plan: LoadedPlan, db: &TestDb) -> RunResult {
    let (mut engine, _rx) = start(plan, db).await;
    engine.run().await;
    engine.finish().await
}

pub(crate) async fn exists(db: &TestDb, relation: &str) -> bool {
    db.client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&relation]).await.unwrap().get(0)
}

pub(crate) async fn ledger(db: &TestDb) -> Vec<String> {
    db.client
        .query("SELECT migration FROM pgstage.ledger ORDER BY migration", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn bundled_plan_on_the_sandbox_is_go_with_the_seeds_figures() {
    let db = fresh_db(Template::Baseline).await;
    let rows_before = row_counts(&db.client, "public").await.unwrap();
    let result = run(week2_plan(), &db).await;
    assert_eq!(result.outcome, Outcome::Completed);
    assert!(result.verdict.go, "NO-GO: {:?}", result.verdict.reasons);
    let before = &result.schema_counts.before;
    let after = &result.schema_counts.after;
    assert_eq!((before[&Kind::Table], before[&Kind::ForeignKey], before[&Kind::Policy]), (43, 42, 18));
    assert_eq!(after[&Kind::Table], 59);
    assert!(after[&Kind::ForeignKey] >= 82 && after[&Kind::Policy] >= 33 && after[&Kind::Index] >= 130);
    assert_eq!(result.verification.len(), 16);
    let verify = result.verdict.criteria.iter().find(|c| c.id == "C-VERIFY").unwrap();
    assert_eq!(verify.reason, "verification 16/16 passed, schema_summary 7/7 passed, none failed", "counted per section");
    assert!(result.verification.iter().all(|c| c.status == Status::Pass), "{:?}", result.verification);
    let functions = result.schema_summary.iter().find(|c| c.id == "S-FUNCTIONS").unwrap();
    assert_eq!((functions.actual.as_str(), functions.status), ("12", Status::Pass));
    assert!(result.migrations.iter().all(|m| m.status == MigrationStatus::Applied && m.object_mismatches.is_empty()));
    assert!(result.total_migration_ms() < 5000.0, "{} ms", result.total_migration_ms());
    assert!(result.rollback.as_ref().is_some_and(|r| r.matches_baseline() && r.reapplied));
    // Replication lag is n/a on a server without replicas, never a pass.
    let lag = result.preflight.iter().find(|c| c.id == "PF-REPLICATION").unwrap();
    assert_eq!((lag.status, lag.actual.as_str()), (Status::NotApplicable, "n/a: no replicas"));
    // After the run: migrated (the rehearsal re-applied), recorded, unlocked, no test rows.
    assert!(exists(&db, "public.user_notifications").await);
    assert_eq!(ledger(&db).await, ["013", "014", "015", "016", "017"]);
    let locks: i64 = db.client.query_one("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", &[]).await.unwrap().get(0);
    assert_eq!(locks, 0);
    let rows_after = row_counts(&db.client, "public").await.unwrap();
    for (table, n) in &rows_after {
        assert_eq!(Some(n), rows_before.get(table).or(Some(&0)), "rows of {table}: staging keeps no test rows");
    }
}

#[tokio::test]
async fn error_in_015_stops_the_run_with_nothing_of_015_applied() {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| p.migrations[2].file = path("tests/fixtures/sql/015_broken.sql"));
    let result = run(plan, &db).await;
    let status: Vec<_> = result.migrations.iter().map(|m| m.status.clone()).collect();
    assert_eq!(
        status,
        [
            MigrationStatus::Applied,
            MigrationStatus::Applied,
            MigrationStatus::Failed,
            MigrationStatus::NotRun,
            MigrationStatus::NotRun
        ]
    );
    let error = result.migrations[2].error.clone().unwrap();
    assert!(error.contains("tests/fixtures/sql/015_broken.sql:56:49: ERROR: column \"stauts\" does not exist"), "{error}");
    assert!(matches!(&result.outcome, Outcome::Failed { step, error: e } if step.contains("015") && e == &error));
    assert!(!result.verdict.go);
    assert!(result.verdict.reasons.iter().any(|r| r.contains("015_broken.sql:56:49")), "{:?}", result.verdict.reasons);
    assert_eq!(ledger(&db).await, ["013", "014"]);
    assert!(exists(&db, "public.achievements").await, "014 applied");
    for table in ["agent_registry", "agent_capabilities", "agent_assignments", "agent_performance"] {
        assert!(!exists(&db, &format!("public.{table}")).await, "{table} of 015 must not exist");
    }
    // Later steps never ran.
    assert!(result.verification.is_empty() && result.rollback.is_none());
}

#[tokio::test]
async fn batch_mode_rolls_back_the_whole_batch() {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| {
        p.execution.transaction = TransactionMode::Batch;
        p.migrations[2].file = path("tests/fixtures/sql/015_broken.sql");
    });
    let result = run(plan, &db).await;
    assert!(result.migrations.iter().all(|m| m.status != MigrationStatus::Applied), "{:?}", result.migrations);
    assert!(!exists(&db, "public.positioning").await, "013 rolled back with the batch");
    assert!(ledger(&db).await.is_empty());
    assert!(!result.verdict.go);
}

#[tokio::test]
async fn second_runner_is_refused_while_the_first_holds_the_lock() {
    let db = fresh_db(Template::Baseline).await;
    let (first, _rx) = start(week2_plan(), &db).await;
    let run_id = first.result().run_id.clone();
    let (tx, _rx2) = unbounded_channel();
    let second = Engine::start(week2_plan(), session(&db).await, options(), tx).await;
    match second {
        Err(EngineError::Locked { holder, .. }) => assert_eq!(holder, format!("pgstage run {run_id}")),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a second runner must be refused"),
    }
    let (tx, _rx3) = unbounded_channel();
    let message = Engine::start(week2_plan(), session(&db).await, options(), tx).await.err().unwrap().to_string();
    assert!(message.contains(&format!("pgstage run {run_id} in progress since ")), "{message}");
    assert!(message.contains("nothing was touched"), "{message}");
    first.finish().await;
    let (tx, _rx4) = unbounded_channel();
    assert!(Engine::start(week2_plan(), session(&db).await, options(), tx).await.is_ok(), "free again once the first finished");
}

fn slow_plan() -> LoadedPlan {
    plan_with(|p| {
        p.migrations = vec![migration("900", "tests/fixtures/sql/900_slow.sql")];
        p.preflight.manual.clear();
    })
}

/// Run the slow plan in a task; return once its migration has created its table and sleeps.
async fn run_into_the_slow_statement(db: &TestDb) -> (Controls, tokio::task::JoinHandle<RunResult>) {
    run_into(slow_plan(), 1, db).await
}

/// Run `plan` in a task; return a moment after its first migration reported `done` statements.
async fn run_into(plan: LoadedPlan, done: usize, db: &TestDb) -> (Controls, tokio::task::JoinHandle<RunResult>) {
    let (mut engine, mut events) = start(plan, db).await;
    let controls = engine.controls();
    let task = tokio::spawn(async move {
        engine.run().await;
        engine.finish().await
    });
    loop {
        match tokio::time::timeout(Duration::from_secs(30), events.recv()).await.expect("progress").expect("events") {
            Event::Progress { step: Step::Migration(0), done: d, .. } if d == done => break,
            _ => continue,
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    (controls, task)
}

#[tokio::test]
async fn cancel_during_a_slow_migration_leaves_it_unapplied() {
    let db = fresh_db(Template::Baseline).await;
    let (controls, task) = run_into_the_slow_statement(&db).await;
    controls.cancel().await;
    let result = tokio::time::timeout(Duration::from_secs(20), task).await.expect("cancel is prompt").unwrap();
    assert_eq!(result.migrations[0].status, MigrationStatus::Cancelled);
    assert!(matches!(result.outcome, Outcome::Cancelled { .. }), "{:?}", result.outcome);
    assert!(!result.verdict.go);
    assert!(!exists(&db, "public.slow_marker").await, "rolled back");
    assert!(ledger(&db).await.is_empty());
}

#[tokio::test]
async fn killed_process_during_a_migration_leaves_it_unapplied_and_the_lock_free() {
    let db = fresh_db(Template::Baseline).await;
    // The slow plan as a file, for the `pgstage run` child.
    let mut loaded = slow_plan();
    loaded.plan.rollback = None;
    let plan_file = write_plan(&loaded, "kill");
    let conninfo = sandbox_conninfo(&db);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", plan_file.to_str().unwrap(), "--db", &conninfo])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the sleep to run in the child's session.
    let sleeping =
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgstage run %' AND query LIKE '%pg_sleep%'";
    wait_for_count(&db.client, sleeping, 1, Duration::from_secs(30), "the child never reached the slow statement").await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The server notices the dead client (client_connection_check_interval) and rolls back.
    let runs = "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgstage run %'";
    wait_for_count(&db.client, runs, 0, Duration::from_secs(20), "the orphaned backend never ended").await;
    assert!(!exists(&db, "public.slow_marker").await);
    let ledger_rows: i64 = db
        .client
        .query_one(
            "SELECT CASE WHEN to_regclass('pgstage.ledger') IS NULL THEN 0 ELSE (SELECT count(*) FROM pgstage.ledger) END",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(ledger_rows, 0);
    let (tx, _rx) = unbounded_channel();
    assert!(Engine::start(slow_plan(), session(&db).await, options(), tx).await.is_ok(), "the lock went with the process");
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}

/// A libpq connection string for a test database of the shared sandbox.
pub(crate) fn sandbox_conninfo(db: &TestDb) -> String {
    let config = db.config();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
    };
    format!("host={host} port={} user={} dbname={}", config.get_ports()[0], config.get_user().unwrap(), db.name)
}

#[tokio::test]
async fn edited_applied_migration_is_refused_as_drift_and_unchanged_is_skipped() {
    let db = fresh_db(Template::Baseline).await;
    let dir = std::env::temp_dir().join(format!("pgstage-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("013.sql");
    std::fs::copy(path("migrations/week2/013_create_positioning_campaigns.sql"), &file).unwrap();
    let plan = || {
        plan_with(|p| {
            p.migrations = vec![Migration { file: file.clone(), ..week2_plan().plan.migrations[0].clone() }];
            p.rollback = None;
            // The baseline figures (43 tables…) no longer hold once 013 is in.
            p.preflight.checks.clear();
        })
    };
    let first = run(plan(), &db).await;
    assert_eq!(first.migrations[0].status, MigrationStatus::Applied);
    let again = run(plan(), &db).await;
    assert_eq!(again.migrations[0].status, MigrationStatus::AlreadyApplied, "unchanged: skipped");
    std::fs::write(&file, std::fs::read_to_string(&file).unwrap() + "\n-- edited after it was applied\n").unwrap();
    let drifted = run(plan(), &db).await;
    assert_eq!(drifted.migrations[0].status, MigrationStatus::Failed);
    let error = drifted.migrations[0].error.clone().unwrap();
    assert!(error.contains("drift: migration 013 was applied on ") && error.contains(&first.run_id), "{error}");
    assert!(!drifted.verdict.go);
    let recorded: String =
        db.client.query_one("SELECT checksum FROM pgstage.ledger WHERE migration = '013'", &[]).await.unwrap().get(0);
    assert_eq!(recorded, first.migrations[0].checksum);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_migration_whose_included_file_changed_since_it_was_applied_is_refused_as_drift() {
    let db = fresh_db(Template::Baseline).await;
    let dir = std::env::temp_dir().join(format!("pgstage-drift-include-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("inc")).unwrap();
    let file = dir.join("050.sql");
    let rows = dir.join("inc/rows.sql");
    std::fs::write(&file, "CREATE TABLE public.inc_t (id int);\n\\ir inc/rows.sql\n").unwrap();
    std::fs::write(&rows, "INSERT INTO public.inc_t VALUES (1);\n").unwrap();
    let plan = || {
        plan_with(|p| {
            p.migrations = vec![Migration {
                file: file.clone(),
                ..migration("050", "migrations/week2/013_create_positioning_campaigns.sql")
            }];
            p.rollback = None;
            p.preflight.checks.clear();
        })
    };
    let first = run(plan(), &db).await;
    assert_eq!(first.migrations[0].status, MigrationStatus::Applied, "{:?}", first.migrations[0].error);
    let sha = |p: &std::path::Path| pgstage::db::ledger::checksum(&std::fs::read(p).unwrap());
    let expected = pgstage::db::ledger::migration_checksum(&sha(&file), [sha(&rows).as_str()]);
    let recorded: String =
        db.client.query_one("SELECT checksum FROM pgstage.ledger WHERE migration = '050'", &[]).await.unwrap().get(0);
    assert_eq!((recorded.as_str(), first.migrations[0].checksum.as_str()), (expected.as_str(), expected.as_str()));
    let again = run(plan(), &db).await;
    assert_eq!(again.migrations[0].status, MigrationStatus::AlreadyApplied, "unchanged: skipped");

    // Only the included file changes.
    std::fs::write(&rows, "INSERT INTO public.inc_t VALUES (2);\n").unwrap();
    let drifted = run(plan(), &db).await;
    assert_eq!(drifted.migrations[0].status, MigrationStatus::Failed);
    let error = drifted.migrations[0].error.clone().unwrap();
    let names = format!("and the files it includes ({})", rows.display());
    assert!(error.contains("drift: migration 050 was applied on ") && error.contains(&names), "{error}");
    assert!(!drifted.verdict.go);
    let count: i64 = db.client.query_one("SELECT count(*) FROM public.inc_t", &[]).await.unwrap().get(0);
    assert_eq!(count, 1, "not applied again");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_leaky_rls_policy_is_caught_and_makes_it_no_go() {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| {
        let mut leak = migration("018", "tests/fixtures/sql/018_leaky_policy.sql");
        leak.creates.policies = Some(1);
        p.migrations.push(leak);
        p.rollback = None;
    });
    let result = run(plan, &db).await;
    assert_eq!(result.outcome, Outcome::Completed);
    let campaigns = result.rls.iter().find(|c| c.id == "RLS-WS:campaigns").unwrap();
    assert_eq!(campaigns.status, Status::Fail);
    assert!(campaigns.actual.contains("1/1 foreign rows"), "{}", campaigns.actual);
    let moves = result.rls.iter().find(|c| c.id == "RLS-WS:moves").unwrap();
    assert_eq!(moves.status, Status::Pass, "the other tables are still isolated");
    assert!(!result.verdict.go);
    assert!(
        result.verdict.reasons.iter().any(|r| r.contains("RLS") && r.contains("RLS-WS:campaigns")),
        "{:?}",
        result.verdict.reasons
    );
}

#[tokio::test]
async fn target_guard_refuses_a_database_the_plan_does_not_allow() {
    let db = fresh_db(Template::Baseline).await;
    let plan = || plan_with(|p| p.target.allow_databases = vec!["*staging*".into()]);
    let (tx, _rx) = unbounded_channel();
    let refused = Engine::start(plan(), session(&db).await, options(), tx).await.err().expect("refused");
    assert!(refused.to_string().contains("is not among the plan's allowed databases"), "{refused}");
    assert!(!exists(&db, "pgstage.ledger").await, "nothing touched");
    db.client.batch_execute(&format!("COMMENT ON DATABASE {} IS 'production, handle with care'", db.name)).await.unwrap();
    let (tx, _rx) = unbounded_channel();
    let marked = Engine::start(week2_plan(), session(&db).await, options(), tx).await.err().expect("refused");
    assert!(marked.to_string().contains("marked as production"), "{marked}");
    let (tx, _rx) = unbounded_channel();
    let overridden = RunOptions { override_target_guard: true, ..options() };
    assert!(Engine::start(plan(), session(&db).await, overridden, tx).await.is_ok());
}

#[tokio::test]
async fn manual_items_must_be_acknowledged_before_migrations() {
    let db = fresh_db(Template::Baseline).await;
    let (tx, _rx) = unbounded_channel();
    let mut engine = Engine::start(week2_plan(), session(&db).await, options(), tx).await.unwrap();
    engine.run().await;
    let result = engine.finish().await;
    assert!(
        matches!(&result.outcome, Outcome::Failed { error, .. } if error.contains("MI-BACKUP (not acknowledged)")),
        "{:?}",
        result.outcome
    );
    assert!(result.migrations.iter().all(|m| m.status == MigrationStatus::NotRun));
    assert!(!exists(&db, "public.positioning").await);
}

#[test]
fn cli_run_on_an_unreachable_server_never_prints_the_password() {
    let plan = path("plans/week2_staging.ron");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", plan.to_str().unwrap(), "--db", "postgres://dba:Sup3r-S3cret@127.0.0.1:1/app_staging?connect_timeout=2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let all = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(all.contains("cannot reach dba@127.0.0.1:1/app_staging"), "{all}");
    assert!(!all.contains("Sup3r-S3cret"), "{all}");
}

#[tokio::test]
async fn non_transactional_statements_need_the_plans_marker() {
    let db = fresh_db(Template::Baseline).await;
    let unmarked = plan_with(|p| {
        p.migrations = vec![migration("910", "tests/fixtures/sql/910_concurrent_index.sql")];
        p.preflight.checks.clear();
    });
    let result = run(unmarked, &db).await;
    let files = result.preflight.iter().find(|c| c.id == "PF-FILES").unwrap();
    assert_eq!(files.status, Status::Fail);
    assert!(
        files.detail.contains("910_concurrent_index.sql:3:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction"),
        "{}",
        files.detail
    );
    assert_eq!(result.migrations[0].status, MigrationStatus::NotRun);
    assert!(!exists(&db, "public.concurrent_marker").await, "detected before anything ran");

    let marked = plan_with(|p| {
        let mut m = migration("910", "tests/fixtures/sql/910_concurrent_index.sql");
        m.non_transactional = true;
        p.migrations = vec![m];
        p.preflight.checks.clear();
        p.rollback = None;
    });
    let result = run(marked, &db).await;
    assert_eq!(result.migrations[0].status, MigrationStatus::Applied, "{:?}", result.migrations[0].error);
    assert!(exists(&db, "public.concurrent_marker_note").await);
    assert_eq!(ledger(&db).await, ["910"]);
}

#[tokio::test]
async fn a_dropped_connection_fails_the_migration_and_applies_nothing() {
    let db = fresh_db(Template::Baseline).await;
    let (_controls, task) = run_into_the_slow_statement(&db).await;
    // What a network cut or a server restart does to the session.
    db.client
        .batch_execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'pgstage run %' AND datname = current_database()")
        .await
        .unwrap();
    let result = tokio::time::timeout(Duration::from_secs(20), task).await.expect("prompt").unwrap();
    assert_eq!(result.migrations[0].status, MigrationStatus::Failed);
    let error = result.migrations[0].error.clone().unwrap();
    assert!(
        error.contains("900_slow.sql:3:1: connection lost: FATAL: terminating connection due to administrator command"),
        "{error}"
    );
    assert!(!result.verdict.go);
    assert!(!exists(&db, "public.slow_marker").await);
}

#[tokio::test]
async fn pause_stops_between_steps_and_run_resumes() {
    let db = fresh_db(Template::Baseline).await;
    let (mut engine, _rx) = start(week2_plan(), &db).await;
    let controls = engine.controls();
    assert_eq!(engine.step().await, Some(Step::Preflight));
    controls.pause();
    engine.run().await;
    assert_eq!(engine.next_step(), Some(Step::Migration(0)), "paused: nothing more ran");
    assert_eq!(engine.result().outcome, Outcome::InProgress);
    assert!(!exists(&db, "public.positioning").await);
    controls.resume();
    engine.run().await;
    let result = engine.finish().await;
    assert_eq!(result.outcome, Outcome::Completed);
    assert!(result.verdict.go, "{:?}", result.verdict.reasons);
}

/// The engine reads catalog snapshots over a second, read-only connection; if a DBA
/// terminates it, the run goes on over the session alone, and it is never counted as another
/// session by the pre-flight check.
#[tokio::test]
async fn a_terminated_catalog_reader_does_not_stop_the_run() {
    let db = fresh_db(Template::Baseline).await;
    let (mut engine, mut events) = start(week2_plan(), &db).await;
    let readers = "SELECT pid FROM pg_stat_activity
                   WHERE datname = current_database() AND application_name LIKE 'pgstage run % (catalog reader)'";
    assert_eq!(db.client.query(readers, &[]).await.unwrap().len(), 1, "one catalog reader");
    assert_eq!(engine.step().await, Some(Step::Preflight));
    // This test's own connection, the engine's session and its reader are connected (the
    // pre-flight's size connection has answered and is closing): only this test's counts as
    // another session.
    let all = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()";
    wait_for_count(&db.client, all, 3, Duration::from_secs(10), "this test's, the session and the reader").await;
    let connections = engine.result().preflight.iter().find(|c| c.metric == Some(Metric::ActiveConnections)).cloned();
    assert_eq!(connections.map(|c| c.actual), Some("1".to_owned()), "the catalog reader is not another session");
    let terminated: bool = db
        .client
        .query_one(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name LIKE 'pgstage run % (catalog reader)'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(terminated);
    engine.run().await;
    let result = engine.finish().await;
    assert_eq!(result.outcome, Outcome::Completed);
    assert!(result.verdict.go, "{:?}", result.verdict.reasons);
    assert!(exists(&db, "public.positioning").await);
    let mut logs = vec![];
    while let Ok(event) = events.try_recv() {
        if let Event::Log(line) = event {
            logs.push(line);
        }
    }
    assert!(logs.iter().any(|l| l.contains("snapshots go on over the session alone")), "{logs:?}");
}

/// PF-SIZE is asked on a connection of its own while the rest of the pre-flight runs: its
/// figure is the database's size, and PF-CONNECTIONS, asked before it, waits for it and does
/// not count that connection as another session.
#[tokio::test]
async fn the_database_size_is_asked_beside_the_preflight_and_is_not_another_session() {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| {
        let checks = &mut p.preflight.checks;
        let size = checks.iter().position(|c| c.probe == Probe::Metric(Metric::DatabaseSizeMb)).unwrap();
        let connections = checks.iter().position(|c| c.probe == Probe::Metric(Metric::ActiveConnections)).unwrap();
        assert!(size < connections, "the bundled plan asks the size first");
        checks.swap(size, connections);
    });
    let in_plan: Vec<String> = plan.plan.preflight.checks.iter().map(|c| c.id.clone()).collect();
    let in_plan: Vec<&str> = in_plan.iter().map(String::as_str).collect();
    let (mut engine, _rx) = start(plan, &db).await;
    assert_eq!(engine.step().await, Some(Step::Preflight));
    let bytes: i64 = db.client.query_one("SELECT pg_database_size(current_database())", &[]).await.unwrap().get(0);
    let of = |m: Metric| engine.result().preflight.iter().find(|c| c.metric == Some(m)).map(|c| c.actual.clone());
    assert_eq!(of(Metric::DatabaseSizeMb), Some(format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))));
    assert_eq!(of(Metric::ActiveConnections), Some("1".to_owned()), "only this test's connection");
    let recorded: Vec<&str> = engine.result().preflight.iter().map(|c| c.id.as_str()).filter(|id| in_plan.contains(id)).collect();
    assert_eq!(recorded, in_plan, "judged last, the size is recorded where the plan puts it");
    engine.run().await;
    assert!(engine.finish().await.verdict.go);
}

#[tokio::test]
async fn the_rollback_rehearsal_re_applies_a_non_transactional_migration_outside_a_transaction() {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| {
        let mut m = migration("910", "tests/fixtures/sql/910_concurrent_index.sql");
        m.non_transactional = true;
        p.migrations = vec![m];
        p.preflight.checks.clear();
        let rollback = p.rollback.as_mut().unwrap();
        rollback.script = path("tests/fixtures/sql/910_rollback.sql");
        rollback.checks.clear();
    });
    let result = run(plan, &db).await;
    let rollback = result.rollback.as_ref().unwrap();
    assert!(rollback.error.is_none() && rollback.reapplied, "{:?}", rollback.error);
    assert!(rollback.matches_baseline(), "{:?}", rollback.diff_from_baseline);
    assert!(exists(&db, "public.concurrent_marker_note").await, "re-applied");
}

#[tokio::test]
async fn cancel_during_pipelined_statements_ends_them_all_and_leaves_nothing() {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| {
        p.migrations = vec![migration("901", "tests/fixtures/sql/901_slow_pipelined.sql")];
        p.preflight.manual.clear();
    });
    let (controls, task) = run_into(plan, 0, &db).await;
    let t = std::time::Instant::now();
    controls.cancel().await;
    let result = tokio::time::timeout(Duration::from_secs(20), task).await.expect("cancel is prompt").unwrap();
    assert!(t.elapsed() < Duration::from_millis(2500), "the queued statements did not run on: {:?}", t.elapsed());
    assert_eq!(result.migrations[0].status, MigrationStatus::Cancelled, "{:?}", result.migrations[0].error);
    for table in ["public.slow_a", "public.slow_b", "public.slow_c", "public.slow_d"] {
        assert!(!exists(&db, table).await, "{table} rolled back");
    }
    assert!(ledger(&db).await.is_empty());
}

#[tokio::test]
async fn a_files_own_transaction_gives_way_to_the_runs_and_a_commit_part_way_is_refused() {
    let db = fresh_db(Template::Baseline).await;
    let wrapped = plan_with(|p| {
        p.migrations = vec![migration("939", "tests/fixtures/sql/939_own_transaction.sql")];
        p.preflight.checks.clear();
        p.rollback = None;
    });
    let result = run(wrapped, &db).await;
    let m = &result.migrations[0];
    assert_eq!(m.status, MigrationStatus::Applied, "{:?}", m.error);
    assert_eq!(m.statements, 2, "BEGIN and COMMIT taken off");
    let rows: i64 = db.client.query_one("SELECT count(*) FROM public.wrapped_notes", &[]).await.unwrap().get(0);
    assert_eq!(rows, 2);
    assert_eq!(ledger(&db).await.len(), 1);

    let part_way = plan_with(|p| {
        p.migrations = vec![migration("940", "tests/fixtures/sql/940_commit_part_way.sql")];
        p.preflight.checks.clear();
        p.rollback = None;
    });
    let result = run(part_way, &db).await;
    let files = result.preflight.iter().find(|c| c.id == "PF-FILES").unwrap();
    assert_eq!(files.status, Status::Fail);
    assert!(files.detail.contains("940_commit_part_way.sql:3:1: `COMMIT` inside migration 940"), "{}", files.detail);
    assert_eq!(result.migrations[0].status, MigrationStatus::NotRun);
    assert!(!exists(&db, "public.half_one").await, "detected before anything ran");
}

#[tokio::test]
async fn a_non_transactional_rollback_runs_in_segments_and_a_failure_names_its_line() {
    let db = fresh_db(Template::Baseline).await;
    let dir = std::env::temp_dir().join(format!("pgstage-engine-segments-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("rollback.sql");
    std::fs::write(
        &script,
        "-- in segments\nBEGIN;\nCREATE TABLE public.segment_marker (id int);\nCOMMIT;\nDROP INDEX CONCURRENTLY public.concurrent_marker_note;\nDROP TABLE public.no_such_table;\n",
    )
    .unwrap();
    let plan = plan_with(|p| {
        let mut m = migration("910", "tests/fixtures/sql/910_concurrent_index.sql");
        m.non_transactional = true;
        p.migrations = vec![m];
        p.preflight.checks.clear();
        let rollback = p.rollback.as_mut().unwrap();
        rollback.script = script.clone();
        rollback.non_transactional = true;
        rollback.checks.clear();
    });
    let result = run(plan, &db).await;
    let error = result.rollback.as_ref().and_then(|r| r.error.clone()).expect("the last segment fails");
    assert!(error.contains("rollback.sql:6:1: ERROR: table \"no_such_table\" does not exist"), "{error}");
    assert!(exists(&db, "public.segment_marker").await, "the first segment committed");
    assert!(!exists(&db, "public.concurrent_marker_note").await, "DROP INDEX CONCURRENTLY ran on its own");
    assert_eq!(ledger(&db).await, ["910"], "the ledger still holds the batch: its forgetting comes last");
    std::fs::remove_dir_all(dir).unwrap();
}

/// "No slow queries" judges the queries the migrations can make slow: a slow pre-flight read
/// of the server (its size stats every file: a second on 100,000 tables) is not one of them; a
/// slow verification query is.
#[tokio::test]
async fn no_slow_queries_counts_the_queries_on_the_migrated_schema_not_the_pre_flights() {
    let slow = |id: &str| pgstage::plan::Check {
        id: id.into(),
        title: "a slow query".into(),
        group: "slow".into(),
        probe: pgstage::plan::Probe::Sql("SELECT true FROM pg_catalog.pg_sleep(0.3)".into()),
        expect: pgstage::plan::Expect::True,
        on_miss: pgstage::plan::Severity::Fail,
        invariant: false,
        after: None,
    };
    let judged = |result: &RunResult| {
        let c = result.verdict.criteria.iter().find(|c| c.id == "C-SLOW").expect("C-SLOW");
        (c.met, c.reason.clone())
    };
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| {
        p.performance.slow_query_ms = 200;
        p.preflight.checks.push(slow("PF-SLOW"));
    });
    let result = run(plan, &db).await;
    let (met, reason) = judged(&result);
    assert_eq!(met, pgstage::run_result::Met::Yes, "{reason}");
    assert!(reason.contains("on the migrated schema under 200 ms"), "{reason}");

    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| {
        p.performance.slow_query_ms = 200;
        p.verification.push(slow("V-SLOW"));
    });
    let (met, reason) = judged(&run(plan, &db).await);
    assert_eq!(met, pgstage::run_result::Met::No, "{reason}");
    assert!(reason.starts_with("V-SLOW "), "{reason}");
}

/// The ledger row and COMMIT go together: a COMMIT that fails (a deferred foreign key) leaves
/// nothing of the migration and no ledger row, and says so.
#[tokio::test]
async fn a_migration_whose_commit_fails_leaves_nothing_and_says_commit_failed() {
    let (db, error) = first_migration_failing("tests/fixtures/sql/976_deferred_violation.sql").await;
    assert!(error.contains("976_deferred_violation.sql: commit failed") && error.contains("deferred_child"), "{error}");
    for table in ["public.deferred_parent", "public.deferred_child"] {
        assert!(!exists(&db, table).await, "{table} must not exist");
    }
}

/// A migration that breaks the ledger insert (it drops the ledger): the COMMIT sent with the
/// insert rolls everything back, the ledger included, and the error names the ledger.
#[tokio::test]
async fn a_migration_whose_ledger_row_fails_leaves_nothing_and_says_so() {
    let (db, error) = first_migration_failing("tests/fixtures/sql/977_drops_the_ledger.sql").await;
    assert!(error.contains("977_drops_the_ledger.sql: recording in the ledger failed"), "{error}");
    assert!(!exists(&db, "public.ledger_victim").await, "nothing of the migration stays");
    assert!(exists(&db, "pgstage.ledger").await, "the ledger's drop was rolled back");
}

/// The bundled plan with its first migration replaced by `file`, on a fresh baseline: that
/// migration failed, the run is NO-GO and the ledger holds nothing. The database and the
/// migration's error.
async fn first_migration_failing(file: &str) -> (TestDb, String) {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| p.migrations[0].file = path(file));
    let result = run(plan, &db).await;
    let m = &result.migrations[0];
    assert_eq!(m.status, MigrationStatus::Failed);
    assert!(!result.verdict.go);
    assert!(ledger(&db).await.is_empty());
    (db, m.error.clone().unwrap_or_default())
}
