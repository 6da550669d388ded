//! A verdict that holds on a real staging, not only on a quiet fresh sandbox: application
//! traffic during the run, a database built by one role and migrated by another, migrations
//! that lose data (declared or not), another session holding a lock, a run killed halfway
//! and run again, plans without criteria, runs stopped early.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pgstage::db::connect;
use pgstage::db::snapshot::{Kind, Snapshot};
use pgstage::engine::{Engine, Event, Step};
use pgstage::plan::{Check, DeclaredLoss, Expect, LoadedPlan, Loss, Plan, Probe, Rule, Severity};
use pgstage::run_result::{Met, MigrationStatus, Outcome, RunResult, Status};
use tokio::sync::mpsc::unbounded_channel;

use crate::engine::{exists, ledger, migration, options, plan_with, run, sandbox_conninfo, session};
use crate::support::{Template, TestDb, fresh_db, path, wait_for_count, week2_plan, write_plan};

fn check<'a>(r: &'a RunResult, id: &str) -> &'a pgstage::run_result::CheckResult {
    r.all_checks().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id}"))
}

/// Remove every check but the built-in integrity ones, the rollback and the criteria (so the
/// default set judges what is left).
pub(crate) fn bare(p: &mut Plan) {
    p.preflight.checks.clear();
    p.preflight.manual.clear();
    p.verification.clear();
    p.schema_summary.clear();
    p.sample_data.clear();
    p.rls.clear();
    p.performance.index_usage.clear();
    p.integrity.checks.clear();
    p.rollback = None;
    p.criteria.clear();
}

/// A plan of one fixture migration on the baseline, judged by the default criteria.
fn one_migration(file: &str, declare: Option<Loss>) -> LoadedPlan {
    plan_with(|p| {
        bare(p);
        let mut m = migration("920", file);
        if let Some(what) = declare {
            m.data_loss.push(DeclaredLoss { table: "audit_log".into(), what, reason: "approved purge (ticket DBA-42)".into() });
        }
        p.migrations = vec![m];
    })
}

#[tokio::test]
async fn application_inserts_during_the_whole_run_are_not_data_loss() {
    let db = fresh_db(Template::Baseline).await;
    let before: i64 = db.client.query_one("SELECT count(*) FROM public.audit_log", &[]).await.unwrap().get(0);
    let stop = Arc::new(AtomicBool::new(false));
    let app = {
        let (config, stop) = (db.config(), stop.clone());
        tokio::spawn(async move {
            let client = pgstage::db::connect_config(&config).await.unwrap();
            client.batch_execute("SET application_name = 'app under test'").await.unwrap();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                client
                    .batch_execute("INSERT INTO public.audit_log (action, entity_type) VALUES ('login', 'user')")
                    .await
                    .unwrap();
                n += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            n
        })
    };
    let result = run(week2_plan(), &db).await;
    stop.store(true, Ordering::SeqCst);
    let inserted = app.await.unwrap();
    let after: i64 = db.client.query_one("SELECT count(*) FROM public.audit_log", &[]).await.unwrap().get(0);
    assert!(inserted > 10 && after == before + inserted, "the application wrote during the run: {before} → {after}");
    assert!(result.verdict.go, "NO-GO: {:?}", result.verdict.reasons);
    let loss = check(&result, "INT-DATA-LOSS");
    assert_eq!(loss.status, Status::Pass, "{loss:?}");
    let criterion = result.verdict.criteria.iter().find(|c| c.id == "C-EXEC-NO-LOSS").unwrap();
    assert_eq!(criterion.met, Met::Yes, "{criterion:?}");
    // What the migrations themselves did to pre-existing tables: nothing deleted.
    assert!(result.migrations.iter().all(|m| m.data.rows_measured && m.data.tables.iter().all(|t| !t.loses_data())));
}

#[tokio::test]
async fn deleting_truncating_or_dropping_a_column_is_no_go_unless_declared() {
    for (file, what, says) in [
        ("tests/fixtures/sql/920_delete_audit.sql", Loss::DeleteRows, "public.audit_log: 5 rows deleted"),
        ("tests/fixtures/sql/921_truncate_audit.sql", Loss::Truncate, "public.audit_log: truncated"),
        ("tests/fixtures/sql/922_drop_column.sql", Loss::DropColumn("ip".into()), "public.audit_log: column ip dropped"),
    ] {
        let db = fresh_db(Template::Baseline).await;
        let undeclared = run(one_migration(file, None), &db).await;
        assert!(undeclared.verdict.default_criteria);
        assert!(!undeclared.verdict.go, "{file}: an undeclared loss is NO-GO");
        let loss = check(&undeclared, "INT-DATA-LOSS");
        assert_eq!(loss.status, Status::Fail, "{file}: {loss:?}");
        assert!(loss.detail.contains(says), "{file}: {}", loss.detail);
        assert!(undeclared.verdict.reasons.iter().any(|r| r.contains(says)), "{file}: {:?}", undeclared.verdict.reasons);
        drop(db);

        let db = fresh_db(Template::Baseline).await;
        let declared = run(one_migration(file, Some(what)), &db).await;
        assert!(declared.verdict.go, "{file}: declared: {:?}", declared.verdict.reasons);
        let loss = check(&declared, "INT-DATA-LOSS");
        assert!(loss.detail.contains("approved purge (ticket DBA-42)"), "{file}: {}", loss.detail);
        let report = pgstage::report::render_with(&declared, &[], pgstage::report::Format::Markdown);
        assert!(report.contains("approved purge (ticket DBA-42)") && report.contains(says), "{file}: the report shows it");
    }
}

#[tokio::test]
async fn a_backfill_is_reported_with_its_count_and_is_no_loss() {
    let db = fresh_db(Template::Baseline).await;
    let result = run(one_migration("tests/fixtures/sql/923_backfill.sql", None), &db).await;
    assert!(result.verdict.go, "{:?}", result.verdict.reasons);
    let t = &result.migrations[0].data.tables;
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!((t[0].table.as_str(), t[0].inserted, t[0].updated, t[0].deleted), ("public.audit_log", 1, 7, 0));
    assert!(check(&result, "INT-DATA-LOSS").detail.contains("public.audit_log: 7 rows updated"));
}

/// A role that migrates a database another role built: it may create and reference, and act
/// as `authenticated`, but the default privileges set by the builder do not apply to it.
struct Migrator {
    name: String,
}

impl Migrator {
    async fn create(db: &TestDb) -> Self {
        let name = format!("migrator_{}", db.name.rsplit('_').next().unwrap_or("x"));
        db.client
            .batch_execute(&format!(
                "CREATE ROLE {name} LOGIN;
                 GRANT CREATE ON DATABASE {db} TO {name};
                 GRANT USAGE, CREATE ON SCHEMA public TO {name};
                 GRANT USAGE ON SCHEMA auth TO {name};
                 GRANT SELECT, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public TO {name};
                 GRANT authenticated TO {name};
                 -- As a managed platform's migrating role: it sees every row (RLS tests count what exists).
                 ALTER ROLE {name} BYPASSRLS;",
                db = pgstage::db::quote_ident(&db.name)
            ))
            .await
            .unwrap();
        Migrator { name }
    }

    async fn drop(self, db: &TestDb) {
        db.client
            .batch_execute(&format!("REASSIGN OWNED BY {0} TO CURRENT_USER; DROP OWNED BY {0}; DROP ROLE {0}", self.name))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn migrated_by_another_role_names_the_missing_grants_and_no_result_says_25p02() {
    let db = fresh_db(Template::Baseline).await;
    let migrator = Migrator::create(&db).await;
    let mut config = db.config();
    config.user(&migrator.name);
    let session = connect::connect_config(&config).await.unwrap_or_else(|e| panic!("{e}"));
    let (tx, _rx) = unbounded_channel();
    let plan = week2_plan();
    let items: Vec<String> = plan.plan.preflight.manual.iter().map(|m| m.id.clone()).collect();
    let mut engine = Engine::start(plan, session, options(), tx).await.unwrap_or_else(|e| panic!("{e}"));
    for item in items {
        engine.acknowledge(&item, "tester");
    }
    engine.run().await;
    let result = engine.finish().await;
    assert_eq!(result.outcome, Outcome::Completed, "{:?}", result.outcome);
    assert!(result.all_checks().all(|c| !c.detail.contains("25P02") && !c.actual.contains("25P02")), "no result hides its cause");
    // Each RLS table has its own result: the new tables fail with the real error, the
    // pre-existing one still passes.
    let campaigns = check(&result, "RLS-WS:campaigns");
    assert_eq!(campaigns.status, Status::Fail);
    assert!(
        campaigns.detail.contains("permission denied for table campaigns") && campaigns.detail.contains("42501"),
        "{}",
        campaigns.detail
    );
    assert_eq!(check(&result, "RLS-WS:moves").status, Status::Pass, "{:?}", check(&result, "RLS-WS:moves"));
    let grants = check(&result, "INT-PRIVILEGES");
    assert_eq!(grants.status, Status::Fail, "{grants:?}");
    for says in ["authenticated lacks SELECT on ", "public.campaigns", "service_role lacks", "default privileges", &migrator.name]
    {
        assert!(grants.detail.contains(says), "{says}: {}", grants.detail);
    }
    assert!(!result.verdict.go);
    migrator.drop(&db).await;
}

#[tokio::test]
async fn the_same_run_as_the_builder_has_every_grant() {
    let db = fresh_db(Template::Baseline).await;
    let result = run(week2_plan(), &db).await;
    let grants = check(&result, "INT-PRIVILEGES");
    assert_eq!(grants.status, Status::Pass, "{grants:?}");
    assert!(grants.title.contains("the 28 new"), "16 tables and 12 functions: {}", grants.title);
}

/// Another session holding a lock that conflicts with what 013 needs on `workspaces`.
async fn hold_lock(db: &TestDb, sql: &str) -> (tokio_postgres::Client, i32) {
    let holder = pgstage::db::connect_config(&db.config()).await.unwrap();
    let pid: i32 = holder.query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0);
    holder.batch_execute(&format!("SET application_name = 'report job'; BEGIN; {sql}")).await.unwrap();
    (holder, pid)
}

#[tokio::test]
async fn a_lock_timeout_names_the_blocker_and_the_statement() {
    let db = fresh_db(Template::Baseline).await;
    // The holder's SQL carries a password literal: it is shown, the password is not.
    let (holder, pid) =
        hold_lock(&db, "LOCK TABLE public.workspaces IN ROW EXCLUSIVE MODE; SELECT 1 /* ALTER ROLE app PASSWORD 'hunter2' */")
            .await;
    let plan = plan_with(|p| {
        p.execution.lock_timeout_ms = 1500;
        p.rollback = None;
    });
    let result = run(plan, &db).await;
    assert_eq!(result.migrations[0].status, MigrationStatus::Failed);
    let error = result.migrations[0].error.clone().unwrap();
    for says in [
        "013_create_positioning_campaigns.sql:",
        "lock timeout",
        "55P03",
        &format!("pid {pid}"),
        "application_name 'report job'",
        "idle in transaction",
        "RowExclusiveLock on public.workspaces",
    ] {
        assert!(error.contains(says), "{says}: {error}");
    }
    assert!(!error.contains("hunter2") && error.contains("PASSWORD '…'"), "{error}");
    let wait = &result.migrations[0].lock_waits[0];
    assert_eq!((wait.blockers[0].pid, wait.blockers[0].application_name.as_str()), (pid, "report job"));
    assert!(wait.statement.starts_with("migrations/week2/013_create_positioning_campaigns.sql:"), "{}", wait.statement);
    let report = pgstage::report::render_with(&result, &[], pgstage::report::Format::Markdown);
    assert!(report.contains(&format!("pid {pid}")) && report.contains("report job"), "the report names the blocker");
    assert!(!exists(&db, "public.positioning").await, "013 rolled back");
    drop(holder);
}

#[tokio::test]
async fn a_rollback_rehearsal_that_waits_on_a_lock_names_the_blocker() {
    let db = fresh_db(Template::Baseline).await;
    let plan = plan_with(|p| p.execution.lock_timeout_ms = 1500);
    let (tx, _rx) = unbounded_channel();
    let items: Vec<String> = plan.plan.preflight.manual.iter().map(|m| m.id.clone()).collect();
    let mut engine = Engine::start(plan, session(&db).await, options(), tx).await.unwrap();
    for item in items {
        engine.acknowledge(&item, "tester");
    }
    while engine.next_step() != Some(Step::Rollback) {
        engine.step().await.unwrap();
    }
    let (holder, pid) = hold_lock(&db, "SELECT count(*) FROM public.user_notifications").await;
    engine.run().await;
    let result = engine.finish().await;
    let rollback = result.rollback.as_ref().unwrap();
    let error = rollback.error.clone().unwrap_or_default();
    for says in
        ["rollback.sql:", "lock timeout", &format!("pid {pid}"), "report job", "AccessShareLock on public.user_notifications"]
    {
        assert!(error.contains(says), "{says}: {error}");
    }
    assert!(!rollback.lock_waits.is_empty());
    assert!(exists(&db, "public.user_notifications").await, "the rollback rolled back as a whole");
    drop(holder);
}

/// Migration 015 with a long sleep at its end, so that a run can be killed during it.
fn plan_with_slow_015(dir: &std::path::Path) -> LoadedPlan {
    let slow = dir.join("015_slow.sql");
    let original = std::fs::read_to_string(path("migrations/week2/015_create_agent_registry.sql")).unwrap();
    std::fs::write(&slow, original + "\nSELECT pg_sleep(60);\n").unwrap();
    let mut plan = week2_plan();
    plan.plan.migrations[2].file = slow;
    plan
}

/// A baseline database with a table whose column defaults name no column (`busy_plain`), and
/// one with a generated column, whose expression names one (`busy_generated`), in a schema of
/// their own (the plan's baseline counts are of `public`); `busy_generated` refers to
/// `public.workspaces`, so a run's catalog reads (which cover the plan's schemas and what
/// reaches into them) read it.
async fn busy_db() -> TestDb {
    let db = fresh_db(Template::Baseline).await;
    db.client
        .batch_execute(
            "CREATE SCHEMA side;
             CREATE TABLE side.busy_plain (id bigserial PRIMARY KEY, note text NOT NULL DEFAULT 'none', at timestamptz DEFAULT now());
             CREATE TABLE side.busy_generated (id bigint PRIMARY KEY, doubled bigint GENERATED ALWAYS AS (id * 2) STORED,
                                               workspace uuid REFERENCES public.workspaces (id))",
        )
        .await
        .unwrap();
    db
}

/// [`busy_db`], with `table` held in ACCESS EXCLUSIVE by another session (and its pid).
async fn locked_by_another_session(table: &str) -> (TestDb, tokio_postgres::Client, i32) {
    let db = busy_db().await;
    let (holder, pid) = hold_lock(&db, &format!("LOCK TABLE side.{table} IN ACCESS EXCLUSIVE MODE")).await;
    (db, holder, pid)
}

#[tokio::test]
async fn a_lock_on_a_table_whose_defaults_name_no_column_does_not_hold_up_the_catalog_snapshot() {
    let db = busy_db().await;
    let quiet = Snapshot::take(&db.client).await.unwrap();
    let (holder, _) = hold_lock(&db, "LOCK TABLE side.busy_plain IN ACCESS EXCLUSIVE MODE").await;
    // A new connection (nothing of the table cached), that gives up on a lock after 3 s.
    let fresh = pgstage::db::connect_config(&db.config()).await.unwrap();
    fresh.batch_execute("SET lock_timeout = 3000").await.unwrap();
    let during = Snapshot::take(&fresh).await.unwrap_or_else(|e| panic!("the snapshot waited for the lock: {e}"));
    assert_eq!(quiet, during);
    let table = &during.objects[&Kind::Table]["side.busy_plain"];
    assert!(table.contains("default 'none'::text") && table.contains("default now()"), "{table}");
    // The generated column's expression is deparsed with its table's column names: that
    // snapshot waits, and gives up.
    holder.batch_execute("ROLLBACK").await.unwrap();
    let (holder, _) = hold_lock(&db, "LOCK TABLE side.busy_generated IN ACCESS EXCLUSIVE MODE").await;
    let waited = Snapshot::take(&fresh).await;
    assert!(matches!(waited, Err(pgstage::db::DbError::LockTimeout(_))), "{waited:?}");
    holder.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(Snapshot::take(&fresh).await.unwrap(), quiet);
}

#[tokio::test]
async fn a_lock_the_catalog_snapshot_must_wait_for_fails_the_run_within_the_lock_timeout_naming_its_holder() {
    let (db, holder, pid) = locked_by_another_session("busy_generated").await;
    let plan = plan_with(|p| {
        p.execution.lock_timeout_ms = 1500;
        p.rollback = None;
    });
    let result = tokio::time::timeout(Duration::from_secs(30), run(plan, &db)).await.expect("the run waited on");
    let Outcome::Failed { step, error } = &result.outcome else { panic!("{:?}", result.outcome) };
    assert_eq!(step, "Pre-flight");
    for says in [
        "lock timeout",
        "55P03",
        "the catalog snapshot waited",
        "AccessShareLock on side.busy_generated",
        &format!("pid {pid}"),
        "application_name 'report job'",
        "AccessExclusiveLock on side.busy_generated",
    ] {
        assert!(error.contains(says), "{says}: {error}");
    }
    assert!(result.migrations.iter().all(|m| m.status == MigrationStatus::NotRun), "{:?}", result.migrations);
    assert!(!exists(&db, "public.positioning").await && !exists(&db, "pgstage.ledger").await);
    drop(holder);
}

#[tokio::test]
async fn a_snapshot_that_gives_up_after_a_commit_leaves_the_migration_applied_and_the_next_run_resumes() {
    let db = busy_db().await;
    let plan = plan_with(|p| {
        p.execution.lock_timeout_ms = 1500;
        p.rollback = None;
    });
    let (mut engine, _rx) = crate::engine::start(plan.clone(), &db).await;
    assert_eq!(engine.step().await, Some(Step::Preflight));
    // Taken once the pre-flight has read the catalog: 013 does not need it, its snapshot does.
    let (holder, pid) = hold_lock(&db, "LOCK TABLE side.busy_generated IN ACCESS EXCLUSIVE MODE").await;
    assert_eq!(engine.step().await, Some(Step::Migration(0)));
    let result = engine.finish().await;
    let Outcome::Failed { error, .. } = &result.outcome else { panic!("{:?}", result.outcome) };
    for says in [
        "013_create_positioning_campaigns.sql: applied and committed (in the ledger); then",
        "lock timeout",
        &format!("pid {pid}"),
    ] {
        assert!(error.contains(says), "{says}: {error}");
    }
    assert_eq!(result.migrations[0].status, MigrationStatus::Applied, "{:?}", result.migrations[0]);
    assert_eq!(ledger(&db).await, ["013"]);
    assert!(exists(&db, "public.positioning").await);
    holder.batch_execute("ROLLBACK").await.unwrap();
    let again = run(plan, &db).await;
    assert_eq!(again.migrations[0].status, MigrationStatus::AlreadyApplied);
    assert!(again.migrations[1..].iter().all(|m| m.status == MigrationStatus::Applied), "{:?}", again.migrations);
    drop(holder);
}

#[tokio::test]
async fn cancelling_while_the_catalog_snapshot_waits_for_a_lock_cancels_the_run_at_once() {
    let (db, holder, _) = locked_by_another_session("busy_generated").await;
    let plan = plan_with(|p| {
        p.execution.lock_timeout_ms = 60_000;
        p.rollback = None;
    });
    let result = cancel_the_preflight_once_it_waits(plan, &db, "the catalog snapshot").await;
    assert!(matches!(&result.outcome, Outcome::Cancelled { step } if step == "Pre-flight"), "{:?}", result.outcome);
    drop(holder);
}

#[tokio::test]
async fn a_migrations_own_session_timeouts_do_not_outlive_it() {
    let db = busy_db().await;
    let plan = plan_with(|p| {
        bare(p);
        p.execution.lock_timeout_ms = 1500;
        p.migrations = vec![migration("941", "tests/fixtures/sql/941_own_session_settings.sql")];
    });
    let (mut engine, _rx) = crate::engine::start(plan, &db).await;
    assert_eq!(engine.step().await, Some(Step::Preflight));
    // Taken once the pre-flight has read the catalog: the snapshot after 941 must give up
    // within the plan's lock timeout, not the migration's own (none).
    let (holder, pid) = hold_lock(&db, "LOCK TABLE side.busy_generated IN ACCESS EXCLUSIVE MODE").await;
    let stepped = tokio::time::timeout(Duration::from_secs(30), engine.step()).await.expect("the snapshot waited on");
    assert_eq!(stepped, Some(Step::Migration(0)));
    let result = engine.finish().await;
    assert_eq!(result.migrations[0].status, MigrationStatus::Applied);
    let Outcome::Failed { error, .. } = &result.outcome else { panic!("{:?}", result.outcome) };
    assert!(error.contains("lock timeout") && error.contains(&format!("pid {pid}")), "{error}");
    drop(holder);
}

/// Run the pre-flight of `plan` and cancel the run as soon as the watcher has seen `waiting`
/// (what waits: "the catalog snapshot", "check ID") wait for a lock; the run's result. Fails
/// if the cancel does not end the step.
async fn cancel_the_preflight_once_it_waits(plan: LoadedPlan, db: &TestDb, waiting: &str) -> RunResult {
    let (mut engine, mut events) = crate::engine::start(plan, db).await;
    let controls = engine.controls();
    let cancel = async {
        while let Some(event) = events.recv().await {
            if matches!(&event, Event::LockWait(w) if w.statement == waiting) {
                controls.cancel().await;
                break;
            }
        }
    };
    let ((), stepped) = tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(cancel, engine.step()) })
        .await
        .expect("the cancel did not end the wait");
    assert_eq!(stepped, Some(Step::Preflight));
    engine.finish().await
}

/// A pre-flight check of `side.busy_plain` (which `lock_timeout_ms` bounds waiting for), then
/// one that passes.
fn busy_check_plan(lock_timeout_ms: u64) -> LoadedPlan {
    plan_with(|p| {
        bare(p);
        p.execution.lock_timeout_ms = lock_timeout_ms;
        for (id, sql) in [("PF-BUSY", "SELECT count(*) = 0 FROM side.busy_plain"), ("PF-NEXT", "SELECT true")] {
            p.preflight.checks.push(Check {
                id: id.into(),
                title: format!("{id} holds"),
                group: "baseline".into(),
                probe: Probe::Sql(sql.into()),
                expect: Expect::True,
                on_miss: Severity::Fail,
                invariant: false,
                after: None,
            });
        }
    })
}

#[tokio::test]
async fn cancelling_while_a_check_waits_for_a_lock_records_no_result_and_runs_no_further_check() {
    let (db, holder, _) = locked_by_another_session("busy_plain").await;
    let result = cancel_the_preflight_once_it_waits(busy_check_plan(60_000), &db, "check PF-BUSY").await;
    assert!(matches!(&result.outcome, Outcome::Cancelled { step } if step == "Pre-flight"), "{:?}", result.outcome);
    let ids: Vec<&str> = result.all_checks().map(|c| c.id.as_str()).collect();
    assert!(!ids.contains(&"PF-BUSY") && !ids.contains(&"PF-NEXT"), "{ids:?}");
    drop(holder);
}

#[tokio::test]
async fn a_check_that_gave_up_waiting_for_a_lock_says_who_held_it() {
    let (db, holder, pid) = locked_by_another_session("busy_plain").await;
    let plan = busy_check_plan(1500);
    let result = tokio::time::timeout(Duration::from_secs(30), run(plan, &db)).await.expect("the run waited on");
    let busy = check(&result, "PF-BUSY");
    assert_eq!(busy.status, Status::Fail);
    for says in [
        "lock timeout",
        "55P03",
        "check PF-BUSY waited",
        "AccessShareLock on side.busy_plain",
        &format!("pid {pid}"),
        "application_name 'report job'",
    ] {
        assert!(busy.detail.contains(says) || busy.actual.contains(says), "{says}: {busy:?}");
    }
    assert!(matches!(&result.outcome, Outcome::Failed { error, .. } if error.contains("PF-BUSY")), "{:?}", result.outcome);
    assert!(result.migrations.iter().all(|m| m.status == MigrationStatus::NotRun));
    drop(holder);
}

#[tokio::test]
async fn a_run_killed_during_015_resumes_with_013_014_applied_earlier_then_reruns_applying_nothing() {
    let db = fresh_db(Template::Baseline).await;
    let dir = std::env::temp_dir().join(format!("pgstage-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan_file = write_plan(&plan_with_slow_015(&dir), "resume");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", plan_file.to_str().unwrap(), "--db", &sandbox_conninfo(&db), "--ack-all", "--operator", "night shift"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let sleeping =
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgstage run %' AND query LIKE '%pg_sleep(60)%'";
    wait_for_count(&db.client, sleeping, 1, Duration::from_secs(60), "the child never reached 015's sleep").await;
    child.kill().unwrap();
    child.wait().unwrap();
    let runs = "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgstage run %'";
    wait_for_count(&db.client, runs, 0, Duration::from_secs(20), "the killed run's backend never ended").await;
    assert_eq!(ledger(&db).await, ["013", "014"], "half migrated");

    let resumed = run(week2_plan(), &db).await;
    assert!(resumed.verdict.go, "resumed: {:?}", resumed.verdict.reasons);
    let status: Vec<_> = resumed.migrations.iter().map(|m| m.status.clone()).collect();
    use MigrationStatus::{AlreadyApplied, Applied};
    assert_eq!(status, [AlreadyApplied, AlreadyApplied, Applied, Applied, Applied]);
    let earlier = resumed.migrations[0].applied_earlier.as_ref().unwrap();
    assert_eq!(earlier.operator, "night shift");
    assert!(
        matches!(&resumed.baseline, pgstage::run_result::BaselineSource::Recorded { run_id, .. } if *run_id == earlier.run_id)
    );
    let tables = check(&resumed, "PF-TABLES");
    assert_eq!((tables.status, tables.actual.as_str()), (Status::Pass, "43"), "judged against the recorded baseline");
    assert!(tables.detail.contains(&earlier.run_id), "{}", tables.detail);
    assert_eq!(check(&resumed, "S-NEW-TABLES").actual, "16");
    assert!(resumed.rollback.as_ref().is_some_and(|r| r.matches_baseline()), "{:?}", resumed.rollback);

    let again = run(week2_plan(), &db).await;
    assert!(again.verdict.go, "again: {:?}", again.verdict.reasons);
    assert!(again.migrations.iter().all(|m| m.status == AlreadyApplied), "nothing applied");
    assert_eq!(again.verification.iter().filter(|c| c.status == Status::Pass).count(), 16, "re-verified");
    assert!(!again.rls.is_empty() && !again.sample_data.is_empty() && !again.performance.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_run_stopped_at_preflight_meets_nothing_about_migrations_times_or_queries() {
    let db = fresh_db(Template::Baseline).await;
    // The operator acknowledged nothing: the run stops before the first migration.
    let (tx, _rx) = unbounded_channel();
    let mut engine = Engine::start(week2_plan(), session(&db).await, options(), tx).await.unwrap();
    engine.run().await;
    let result = engine.finish().await;
    assert!(matches!(result.outcome, Outcome::Failed { .. }));
    let plan = week2_plan();
    for c in &result.verdict.criteria {
        let rule = &plan.plan.criteria.iter().find(|x| x.id == c.id).unwrap().rule;
        if !matches!(rule, Rule::ManualItemsAcknowledged | Rule::ReplicationLagAtMost(_) | Rule::SectionsPass(_)) {
            assert_ne!(c.met, Met::Yes, "{} is met although nothing it judges ran: {}", c.id, c.reason);
        }
    }
    for id in ["C-EXEC-TIME", "C-EXEC-RANGES", "C-SLOW", "C-VERIFY", "C-ROLLBACK", "C-EXEC-NO-LOSS"] {
        let c = result.verdict.criteria.iter().find(|c| c.id == id).unwrap();
        assert_eq!(c.met, Met::NotReached, "{id}: {}", c.reason);
    }
}

#[tokio::test]
async fn a_plan_without_criteria_is_judged_by_the_default_set() {
    let db = fresh_db(Template::Baseline).await;
    let result = run(plan_with(|p| p.criteria.clear()), &db).await;
    assert!(result.verdict.default_criteria);
    let ids: Vec<&str> = result.verdict.criteria.iter().map(|c| c.id.as_str()).collect();
    for id in ["D-MIGRATIONS", "D-OBJECTS", "D-NO-LOSS", "D-VERIFICATION", "D-RLS", "D-ROLLBACK"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(result.verdict.go, "{:?}", result.verdict.reasons);
    // And a plan that checks nothing cannot end GO.
    let db = fresh_db(Template::Baseline).await;
    let empty = run(
        plan_with(|p| {
            bare(p);
            p.migrations.clear();
            p.integrity = pgstage::plan::Integrity {
                constraints_validated: false,
                no_orphans: false,
                no_data_loss: false,
                privileges_of_new_objects: false,
                ..Default::default()
            };
        }),
        &db,
    )
    .await;
    assert!(!empty.verdict.go, "GO on nothing");
    assert!(empty.verdict.reasons.iter().any(|r| r.contains("no check ran")), "{:?}", empty.verdict.reasons);
}

#[tokio::test]
async fn the_orphan_check_scans_only_what_postgresql_does_not_guarantee() {
    let db = fresh_db(Template::Baseline).await;
    // A NOT VALID foreign key on a pre-existing table, with an orphan behind it.
    db.client
        .batch_execute(
            "INSERT INTO public.audit_log (action, entity_type, actor_id) VALUES ('ghost', 'user', '99999999-0000-0000-0000-000000000000');
             ALTER TABLE public.audit_log ADD CONSTRAINT audit_log_actor_fk FOREIGN KEY (actor_id) REFERENCES public.users (id) NOT VALID;",
        )
        .await
        .unwrap();
    let result = run(
        plan_with(|p| {
            p.rollback = None;
            p.preflight.checks.clear();
        }),
        &db,
    )
    .await;
    let orphans = check(&result, "INT-ORPHANS");
    assert_eq!(orphans.status, Status::Fail);
    assert!(orphans.detail.contains("public.audit_log.audit_log_actor_fk: 1"), "{}", orphans.detail);
    // The batch's 51 foreign keys and the NOT VALID one; not the baseline's 42 valid ones.
    assert!(orphans.title.contains("(52 foreign keys scanned"), "{}", orphans.title);
    let db = fresh_db(Template::Baseline).await;
    let all = run(
        plan_with(|p| {
            p.rollback = None;
            p.integrity.orphan_scan = pgstage::plan::OrphanScan::All;
        }),
        &db,
    )
    .await;
    assert!(check(&all, "INT-ORPHANS").title.contains("(93 foreign keys scanned"), "{}", check(&all, "INT-ORPHANS").title);
}
