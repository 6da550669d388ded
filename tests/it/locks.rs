//! What each statement locks, rewrites and blocks, measured on a real server: fixture
//! migrations on tables with rows (an index without CONCURRENTLY, a type change, a VALID
//! foreign key, a volatile default), the bundled Week 2 plan's foreign-key locks on the
//! tables it references, probes of reads and writes from another session, findings accepted
//! by the plan, and the criteria over them.

use pgstage::plan::{AcceptedFinding, Criterion, CriterionKind, FindingSeverity, LoadedPlan, Rule};
use pgstage::run_result::{Finding, LockTaken, Met, MigrationResult, RunResult};

use crate::engine::{migration, plan_with, run};
use crate::staging::bare;
use crate::support::{Template, fresh_db, week2_plan};

/// One fixture migration on the baseline, judged by "no error finding" and "nothing blocked
/// longer than 10 s".
fn fixture(file: &str, accept: Option<&str>) -> LoadedPlan {
    plan_with(|p| {
        bare(p);
        let mut m = migration("930", file);
        if let Some(rule) = accept {
            m.accept.push(AcceptedFinding {
                rule: rule.parse().expect("a lock rule"),
                relation: None,
                reason: "off-hours window, table is small (DBA-77)".into(),
            });
        }
        p.migrations = vec![m];
        p.integrity.no_data_loss = true;
        p.criteria = vec![
            Criterion {
                id: "C-LOCKS".into(),
                title: "No error finding".into(),
                group: "Locks".into(),
                rule: Rule::NoLockFindings(FindingSeverity::Error),
                kind: CriterionKind::Hard,
            },
            Criterion {
                id: "C-BLOCKED".into(),
                title: "Nothing blocked over 10 s".into(),
                group: "Locks".into(),
                rule: Rule::MaxBlockedMs(10_000),
                kind: CriterionKind::Hard,
            },
            Criterion {
                id: "C-APPLIED".into(),
                title: "Applied".into(),
                group: "Execution".into(),
                rule: Rule::AllMigrationsApplied,
                kind: CriterionKind::Hard,
            },
        ];
    })
}

fn lock<'a>(m: &'a MigrationResult, relation: &str, mode: &str) -> &'a LockTaken {
    m.trace
        .iter()
        .flat_map(|t| &t.locks)
        .find(|l| l.relation == relation && l.mode == mode)
        .unwrap_or_else(|| panic!("no {mode} on {relation} in {:#?}", m.trace))
}

fn finding<'a>(r: &'a RunResult, rule: &str) -> &'a Finding {
    r.migrations[0]
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no {rule} in {:#?}", r.migrations[0].findings))
}

#[tokio::test]
async fn an_index_without_concurrently_blocks_writes_and_on_a_small_table_is_information() {
    let db = fresh_db(Template::Baseline).await;
    let r = run(fixture("tests/fixtures/sql/930_index_no_concurrently.sql", None), &db).await;
    let m = &r.migrations[0];
    let share = lock(m, "public.audit_log", "ShareLock");
    assert_eq!(share.blocks, Some(pgstage::db::lock_modes::Blocks::Writes));
    assert_eq!((share.write_blocked, share.read_blocked), (Some(true), Some(false)), "the probes: writes wait, reads go on");
    assert!(share.held_ms > 0.0);
    let f = finding(&r, "index-without-concurrently");
    assert_eq!((f.relation.as_str(), f.lock.as_str()), ("public.audit_log", "ShareLock"));
    assert!(f.statement.ends_with("930_index_no_concurrently.sql:2"), "{}", f.statement);
    assert!(f.advice.contains("CONCURRENTLY") && f.rows.is_some_and(|n| n > 0) && f.bytes.is_some_and(|b| b > 0), "{f:?}");
    // The sample data's few rows: the build's time is its own cost, not the table's.
    assert_eq!(f.severity, FindingSeverity::Info, "{}", f.estimate);
    assert!(f.estimate.starts_with("info: tiny here ("), "{}", f.estimate);
    assert!(r.verdict.go, "{:?}", r.verdict.reasons);
    assert_eq!(r.verdict.criteria.iter().find(|c| c.id == "C-LOCKS").unwrap().met, Met::Yes);
    assert_eq!(r.verdict.criteria.iter().find(|c| c.id == "C-BLOCKED").unwrap().met, Met::Yes);
}

/// The same index without CONCURRENTLY, judged by the default criteria (the plan names none):
/// information on the table emptied, an error on its 1,000,000 rows that makes the run NO-GO,
/// each saying what it stands on.
#[tokio::test]
async fn the_same_index_is_information_on_an_empty_table_and_an_error_on_a_million_rows() {
    let plan = || {
        plan_with(|p| {
            bare(p);
            p.migrations = vec![migration("975", "tests/fixtures/sql/975_index_on_big_items.sql")];
        })
    };
    let empty = fresh_db(Template::Big).await;
    empty.client.batch_execute("TRUNCATE public.big_items; ANALYZE public.big_items").await.unwrap();
    let r = run(plan(), &empty).await;
    let f = finding(&r, "index-without-concurrently");
    assert_eq!((f.severity, f.rows), (FindingSeverity::Info, Some(0)), "{}", f.estimate);
    assert!(f.estimate.starts_with("info: empty here"), "{}", f.estimate);
    let locks = r.verdict.criteria.iter().find(|c| c.id == "D-LOCKS").expect("the default criteria judge lock findings");
    assert_eq!(locks.met, Met::Yes, "{}", locks.reason);
    assert!(r.verdict.go, "{:?}", r.verdict.reasons);

    let big = fresh_db(Template::Big).await;
    let r = run(plan(), &big).await;
    let f = finding(&r, "index-without-concurrently");
    assert_eq!((f.severity, f.relation.as_str()), (FindingSeverity::Error, "public.big_items"), "{}", f.estimate);
    let rows = f.rows.expect("the size here");
    assert!((rows - crate::support::BIG_ROWS).abs() <= crate::support::BIG_ROWS / 100, "{rows} rows, from the statistics");
    let t = r.migrations[0].trace.iter().find(|t| t.line == 3).expect("the build is traced");
    for part in [
        "error: ~".to_owned(),
        format!("of blocked writes estimated for {} rows", pgstage::findings::grade::count(rows)),
        format!("measured here {}", pgstage::findings::grade::ms_words(t.ms - t.waited_ms)),
        "the plan allows 1000 ms".to_owned(),
        "10 M rows take ~".to_owned(),
    ] {
        assert!(f.estimate.contains(&part), "{part:?} in {}", f.estimate);
    }
    assert!(!r.verdict.go);
    let locks = r.verdict.criteria.iter().find(|c| c.id == "D-LOCKS").unwrap();
    assert_eq!(locks.met, Met::No);
    assert!(
        locks.reason.contains("error index-without-concurrently at ") && locks.reason.contains("public.big_items"),
        "{}",
        locks.reason
    );
}

#[tokio::test]
async fn a_type_change_rewrites_under_access_exclusive_and_blocks_reads_and_writes() {
    let db = fresh_db(Template::Baseline).await;
    let r = run(fixture("tests/fixtures/sql/931_type_change.sql", None), &db).await;
    let m = &r.migrations[0];
    let t = m.trace.iter().find(|t| t.rewrote.iter().any(|x| x == "public.moves")).expect("the rewrite is traced");
    assert!(t.statement.ends_with("931_type_change.sql:2"));
    let ax = lock(m, "public.moves", "AccessExclusiveLock");
    assert_eq!((ax.read_blocked, ax.write_blocked), (Some(true), Some(true)));
    let f = finding(&r, "table-rewrite");
    assert_eq!(
        (f.severity, f.lock.as_str(), f.blocks.as_str()),
        (FindingSeverity::Info, "AccessExclusiveLock", "reads and writes"),
        "the sample data's few moves: {}",
        f.estimate
    );
}

#[tokio::test]
async fn a_valid_foreign_key_on_an_existing_table_is_found() {
    let db = fresh_db(Template::Baseline).await;
    let r = run(fixture("tests/fixtures/sql/932_valid_fk.sql", None), &db).await;
    let m = &r.migrations[0];
    for table in ["public.moves", "public.workspaces"] {
        assert_eq!(lock(m, table, "ShareRowExclusiveLock").write_blocked, Some(true), "{table}");
    }
    let f = finding(&r, "foreign-key-valid");
    assert_eq!(f.relation, "public.moves");
    assert!(f.advice.contains("NOT VALID"));
}

#[tokio::test]
async fn a_volatile_default_rewrites_the_table() {
    let db = fresh_db(Template::Baseline).await;
    let r = run(fixture("tests/fixtures/sql/933_volatile_default.sql", None), &db).await;
    let f = finding(&r, "table-rewrite");
    assert_eq!((f.relation.as_str(), f.lock.as_str()), ("public.audit_log", "AccessExclusiveLock"));
    assert!(r.migrations[0].trace[0].rewrote.contains(&"public.audit_log".to_owned()));
}

#[tokio::test]
async fn an_accepted_finding_is_shown_as_accepted_not_hidden() {
    let db = fresh_db(Template::Baseline).await;
    let r = run(fixture("tests/fixtures/sql/930_index_no_concurrently.sql", Some("index-without-concurrently")), &db).await;
    let f = finding(&r, "index-without-concurrently");
    assert_eq!(f.accepted.as_deref(), Some("off-hours window, table is small (DBA-77)"));
    assert!(r.verdict.go, "{:?}", r.verdict.reasons);
    for format in [pgstage::report::Format::Markdown, pgstage::report::Format::Html] {
        let report = pgstage::report::render_with(&r, &[], format);
        assert!(
            report.contains("index-without-concurrently") && report.contains("off-hours window, table is small (DBA-77)"),
            "{format:?}"
        );
        assert!(report.contains("accepted"), "{format:?}");
    }
}

#[tokio::test]
async fn week2_foreign_keys_lock_the_tables_they_reference_with_the_statements_that_took_them() {
    let db = fresh_db(Template::Baseline).await;
    let r = run(week2_plan(), &db).await;
    assert!(r.verdict.go, "{:?}", r.verdict.reasons);
    for table in ["public.workspaces", "public.users", "public.moves", "public.projects"] {
        let (m, t, l) = r
            .migrations
            .iter()
            .flat_map(|m| m.trace.iter().map(move |t| (m, t)))
            .flat_map(|(m, t)| t.locks.iter().map(move |l| (m, t, l)))
            .find(|(_, _, l)| l.relation == table && l.mode == "ShareRowExclusiveLock")
            .unwrap_or_else(|| panic!("no SHARE ROW EXCLUSIVE on {table}"));
        assert!(t.statement.starts_with(&format!("migrations/week2/{}", m.id)), "{}", t.statement);
        assert!(t.sql.to_uppercase().contains("REFERENCES") || t.sql.to_uppercase().contains("CREATE TABLE"), "{}", t.sql);
        assert_eq!((l.write_blocked, l.read_blocked), (Some(true), Some(false)), "{table}: writes wait, reads go on");
        assert!(l.held_ms >= 0.0);
    }
    let md = pgstage::report::render_with(&r, &[], pgstage::report::Format::Markdown);
    assert!(md.contains("## Locks") && md.contains("ShareRowExclusiveLock") && md.contains("public.workspaces"));
    // campaign_cohorts.workspace_id cascades from workspaces and has no index of its own.
    let unindexed = r.migrations[0]
        .findings
        .iter()
        .find(|f| f.rule == "foreign-key-without-index" && f.message.contains("campaign_cohorts_workspace_id_fkey"))
        .expect("the unindexed foreign key");
    assert_eq!(unindexed.statement, "migrations/week2/013_create_positioning_campaigns.sql:86");
}

#[tokio::test]
async fn an_application_write_kept_waiting_by_the_migration_is_recorded_and_the_long_lock_found() {
    let db = fresh_db(Template::Baseline).await;
    let mut plan = fixture("tests/fixtures/sql/934_fk_then_work.sql", None);
    plan.plan.execution.max_write_lock_ms = 500;
    let task = {
        let plan = plan.clone();
        let config = db.config();
        tokio::spawn(async move {
            let session = pgstage::db::connect::connect_config(&config).await.unwrap();
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            let mut engine = pgstage::engine::Engine::start(plan, session, crate::engine::options(), tx).await.unwrap();
            engine.run().await;
            engine.finish().await
        })
    };
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.5)%' AND state = 'active' AND application_name LIKE 'pgstage run %'";
    crate::support::wait_for_count(
        &db.client,
        sleeping,
        1,
        std::time::Duration::from_secs(30),
        "the migration never reached its sleep",
    )
    .await;
    let app = pgstage::db::connect_config(&db.config()).await.unwrap();
    app.batch_execute("SET application_name = 'checkout service'").await.unwrap();
    app.batch_execute("INSERT INTO public.workspaces (name, slug) VALUES ('waits', 'pgstage-lock-waits')").await.unwrap();
    let r = task.await.unwrap();
    let m = &r.migrations[0];
    let blocked = m
        .blocked_sessions
        .iter()
        .find(|b| b.application_name == "checkout service")
        .unwrap_or_else(|| panic!("{:?}", m.blocked_sessions));
    assert!(blocked.waited_ms > 100.0 && blocked.query.contains("INSERT INTO public.workspaces"), "{blocked:?}");
    let f = finding(&r, "write-lock-held-too-long");
    assert_eq!((f.relation.as_str(), f.lock.as_str()), ("public.workspaces", "ShareRowExclusiveLock"));
    let md = pgstage::report::render_with(&r, &[], pgstage::report::Format::Markdown);
    assert!(md.contains("Application sessions kept waiting") && md.contains("checkout service"));
}

#[tokio::test]
async fn with_an_event_trigger_the_trace_follows_statements_that_name_no_existing_relation() {
    let db = fresh_db(Template::Baseline).await;
    db.client
        .batch_execute(
            "CREATE TABLE public.ddl_audit (tag text);
             CREATE FUNCTION public.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS
               $$BEGIN INSERT INTO public.ddl_audit VALUES (tg_tag); END$$;
             CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION public.log_ddl();",
        )
        .await
        .unwrap();
    let r = run(fixture("tests/fixtures/sql/937_new_table_only.sql", None), &db).await;
    let m = &r.migrations[0];
    let audit = lock(m, "public.ddl_audit", "RowExclusiveLock");
    assert_eq!(audit.blocks, Some(pgstage::db::lock_modes::Blocks::DdlOnly));
    let trace = m.trace.iter().find(|t| t.locks.iter().any(|l| l.relation == "public.ddl_audit")).unwrap();
    assert!(trace.sql.starts_with("CREATE TABLE public.scratch_notes"), "{trace:#?}");
}

/// `file` (its index finding accepted) on the baseline plus a pre-existing table
/// `public.events_2024 (id, at)` of 1,000 rows; it applies without error.
async fn on_events_2024(file: &str) -> RunResult {
    let db = fresh_db(Template::Baseline).await;
    db.client
        .batch_execute(
            "CREATE TABLE public.events_2024 (id bigint NOT NULL, at date NOT NULL);
             INSERT INTO public.events_2024 SELECT g, date '2024-01-01' + g % 365 FROM generate_series(1, 1000) g;",
        )
        .await
        .unwrap();
    let r = run(fixture(file, Some("index-without-concurrently")), &db).await;
    assert!(r.migrations[0].error.is_none(), "{:?}", r.migrations[0].error);
    r
}

/// Once a pre-existing table is attached to a new partitioned one, an index on the new table
/// is built on it too: the statement names only the new table, and the trace still follows it.
#[tokio::test]
async fn an_index_on_a_new_parent_is_traced_to_the_pre_existing_partition_it_reaches() {
    let r = on_events_2024("tests/fixtures/sql/978_attach_then_index.sql").await;
    let m = &r.migrations[0];
    lock(m, "public.events_2024", "AccessExclusiveLock");
    lock(m, "public.events_2024", "ShareLock");
    let trace =
        m.trace.iter().find(|t| t.locks.iter().any(|l| l.relation == "public.events_2024" && l.mode == "ShareLock")).unwrap();
    assert!(trace.sql.starts_with("CREATE INDEX events_by_year_at"), "taken by the index: {trace:#?}");
}

/// A pre-existing table renamed goes by a name the trace did not know: an index on it under
/// that name is still followed.
#[tokio::test]
async fn an_index_on_a_renamed_pre_existing_table_is_traced() {
    let r = on_events_2024("tests/fixtures/sql/979_rename_then_index.sql").await;
    let m = &r.migrations[0];
    let trace =
        m.trace.iter().find(|t| t.locks.iter().any(|l| l.mode == "ShareLock")).unwrap_or_else(|| panic!("{:#?}", m.trace));
    assert!(trace.sql.starts_with("CREATE INDEX events_archive_at"), "taken by the index: {trace:#?}");
}

/// The probes of the index's SHARE run while the type change runs (the pipeline does not wait
/// for them): what they find blocked is kept for the index only where SHARE blocks.
#[tokio::test]
async fn each_statements_probes_answer_for_its_own_locks_not_the_next_statements_stronger_one() {
    let db = fresh_db(Template::Baseline).await;
    let r = run(fixture("tests/fixtures/sql/938_index_then_type_change.sql", None), &db).await;
    let m = &r.migrations[0];
    let share = lock(m, "public.moves", "ShareLock");
    assert_eq!((share.write_blocked, share.read_blocked), (Some(true), Some(false)), "after the index: writes wait, reads go on");
    let exclusive = lock(m, "public.moves", "AccessExclusiveLock");
    assert_eq!((exclusive.write_blocked, exclusive.read_blocked), (Some(true), Some(true)), "after the type change: both wait");
}

/// `pgstage run PLAN --sandbox --ack-all --report REPORT`: its exit code and what it printed.
fn run_on_a_sandbox(plan: &std::path::Path, report: &std::path::Path) -> (Option<i32>, String) {
    let state = crate::draft::scratch("locks-run-state");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", plan.to_str().unwrap(), "--sandbox", "--ack-all", "--report", report.to_str().unwrap()])
        .current_dir(crate::support::root())
        .env("PGSTAGE_STATE_DIR", &state)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(state);
    (out.status.code(), crate::draft::text(&out))
}

/// A plan drafted by `pgstage init` judges its lock findings: a migration that builds an index
/// without CONCURRENTLY on a table of 1,000,000 rows makes the draft NO-GO, naming the finding
/// (init prints it, with how to accept it); accepted in the plan with a reason, the run ends
/// GO and the report shows the acceptance and its reason.
#[test]
fn a_drafted_plan_is_no_go_on_an_index_built_on_a_million_rows_until_the_plan_accepts_it() {
    let dir = crate::draft::scratch("big-index");
    let plan_path = dir.join("next.ron");
    let out =
        crate::draft::pgstage(&["init", "tests/fixtures/init/big_index", "--from", "002", "-o", plan_path.to_str().unwrap()]);
    let printed = crate::draft::text(&out);
    assert_ne!(out.status.code(), Some(0), "the draft is NO-GO: {printed}");
    for part in [
        "lock findings of the rehearsal",
        "error index-without-concurrently at ",
        "002_items_v_index.sql:2 on public.items",
        "of blocked writes estimated for 1,000,000 rows",
        "accept: [(rule: \"index-without-concurrently\", relation: Some(\"public.items\")",
        "the draft, rehearsed on the sandbox, is NO-GO: ",
    ] {
        assert!(printed.contains(part), "{part:?} in {printed}");
    }
    let mut loaded = pgstage::plan::load(&plan_path).unwrap_or_else(|e| panic!("{e}"));
    let locks = loaded.plan.criteria.iter().find(|c| c.id == "C-LOCKS").expect("the draft's criteria judge lock findings");
    assert_eq!((locks.rule.clone(), locks.kind), (Rule::NoLockFindings(FindingSeverity::Error), CriterionKind::Hard));
    let text = std::fs::read_to_string(&plan_path).unwrap();
    assert!(text.contains("//   - lock finding (error on the sandbox): index-without-concurrently at "), "{text}");

    let report = dir.join("report.md");
    let (code, printed) = run_on_a_sandbox(&plan_path, &report);
    assert_eq!(code, Some(1), "NO-GO: {printed}");
    assert!(printed.contains("VERDICT: NO-GO"), "{printed}");
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains("error index-without-concurrently at ") && md.contains("on public.items"), "the reason names it: {md}");

    let reason = "built in the 02:00 maintenance window, writes to items paused (DBA-512)";
    loaded.plan.migrations[0].accept.push(AcceptedFinding {
        rule: "index-without-concurrently".parse().unwrap(),
        relation: Some("items".into()),
        reason: reason.into(),
    });
    std::fs::write(&plan_path, pgstage::draft::render::plan_text(&loaded.plan, &[])).unwrap();
    let (code, printed) = run_on_a_sandbox(&plan_path, &report);
    assert_eq!(code, Some(0), "GO once accepted: {printed}");
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains(&format!("accepted: {reason}")), "the report shows the acceptance and its reason: {md}");
    let _ = std::fs::remove_dir_all(dir);
}
