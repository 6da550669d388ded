//! `pgstage run --sandbox --clone-from CONN`: a rehearsal on a copy of staging's own schema
//! (the real pg_dump --schema-only), of staging's major version, with no row copied, staging's
//! sizes grading the findings, and staging left exactly as it was.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use pgstage::db::snapshot::{Snapshot, row_counts};
use pgstage::plan::{Check, Expect, LoadedPlan, Plan, Probe, Severity};
use pgstage::rehearsal::RehearsedBaseline;
use pgstage::run_result::RunResult;

use crate::engine::{migration, plan_with, sandbox_conninfo};
use crate::staging::bare;
use crate::support::{BIG_ROWS, Template, TestDb, fresh_db, write_plan};

/// Run `pgstage run PLAN --sandbox --clone-from <db> --report run.json` with a state directory
/// of its own; the exit code, the output, the run result and the recorded rehearsal baseline.
fn clone_run(plan: &LoadedPlan, staging: &TestDb, what: &str) -> (Option<i32>, String, RunResult, RehearsedBaseline) {
    let (code, text, ran) = try_clone_run(plan, &sandbox_conninfo(staging), what);
    let (result, rehearsed) = ran.unwrap_or_else(|| panic!("no report: {text}"));
    (code, text, result, rehearsed)
}

/// [`clone_run`] on the staging `conninfo` names; the run result and the recorded rehearsal
/// baseline when the run got that far (`None`: it stopped before, the output says why).
pub(crate) fn try_clone_run(
    plan: &LoadedPlan,
    conninfo: &str,
    what: &str,
) -> (Option<i32>, String, Option<(RunResult, RehearsedBaseline)>) {
    let dir = std::env::temp_dir().join(format!("pgstage-clone-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let plan_file = write_clone_plan(plan, what);
    let report = dir.join("run.json");
    let child = Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", plan_file.to_str().unwrap(), "--sandbox", "--ack-all", "--clone-from", conninfo])
        .arg("--report")
        .arg(&report)
        .current_dir(crate::support::root())
        .env("PGSTAGE_STATE_DIR", dir.join("state"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = within(child, std::time::Duration::from_secs(300));
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let ran = std::fs::read_to_string(&report).ok().map(|json| {
        let result: RunResult = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        let baselines: Vec<_> = std::fs::read_dir(dir.join("state/baselines")).unwrap().map(|e| e.unwrap().path()).collect();
        let rehearsed: RehearsedBaseline = serde_json::from_slice(&std::fs::read(&baselines[0]).unwrap()).unwrap();
        (result, rehearsed)
    });
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code(), text, ran)
}

/// The output of `child`, killed (and the test failed) if it runs longer than `limit`: a guard
/// against a wait without end, not a speed test.
fn within(mut child: std::process::Child, limit: std::time::Duration) -> std::process::Output {
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read = |pipe: &mut dyn std::io::Read| {
        let mut text = Vec::new();
        pipe.read_to_end(&mut text).map(|_| text)
    };
    let out = std::thread::spawn(move || read(&mut stdout).unwrap());
    let err = std::thread::spawn(move || read(&mut stderr).unwrap());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let text = String::from_utf8_lossy(&out.join().unwrap()).into_owned();
            panic!("pgstage still ran after {limit:?}: {text}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    std::process::Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// `plan` written to a file of its own, its sample data kept apart from its baseline's scripts
/// as the bundled plan has it (a clone loads the plan's sample data, never its scripts).
pub(crate) fn write_clone_plan(plan: &LoadedPlan, what: &str) -> PathBuf {
    let plan_file = write_plan(plan, what);
    if plan.plan.baseline.sample_data.is_some() {
        // write_plan folds the sample data into the baseline's scripts.
        let mut written: Plan = ron::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
        written.baseline.sample_data = written.baseline.migrations.pop();
        std::fs::write(&plan_file, ron::ser::to_string_pretty(&written, Default::default()).unwrap()).unwrap();
    }
    plan_file
}

pub(crate) async fn state(db: &TestDb) -> (Snapshot, BTreeMap<String, i64>) {
    (Snapshot::take(&db.client).await.unwrap(), row_counts(&db.client, "public").await.unwrap())
}

#[tokio::test]
async fn a_clone_of_staging_rehearses_on_its_schema_copies_no_row_and_leaves_staging_unchanged() {
    let staging = fresh_db(Template::Baseline).await;
    staging
        .client
        .batch_execute(
            "CREATE INDEX audit_log_created_idx ON public.audit_log (created_at);
             ALTER TABLE public.users ADD COLUMN legacy_flag boolean;
             INSERT INTO public.audit_log (action, entity_type) VALUES ('only-on-staging', 'test');",
        )
        .await
        .unwrap();
    let before = state(&staging).await;
    let plan = plan_with(|p| {
        p.preflight.checks.clear();
        // Seen on the clone before the migrations: no row of staging's came along.
        p.preflight.checks.push(Check {
            id: "PF-NO-ROWS".into(),
            title: "the clone holds no row of staging's".into(),
            group: "baseline".into(),
            probe: Probe::Sql("SELECT NOT EXISTS (SELECT FROM public.audit_log WHERE action = 'only-on-staging')".into()),
            expect: Expect::True,
            on_miss: Severity::Fail,
            invariant: false,
            after: None,
        });
    });
    let (code, out, result, rehearsed) = clone_run(&plan, &staging, "week2");
    assert!(out.contains("the plan's sample data loaded"), "its own test rows, for its sample-data and RLS checks: {out}");
    assert_eq!(code, Some(0), "the rehearsal on the clone ends GO: {out}");
    let clone = result.clone.as_ref().expect("the run result says it ran on a clone");
    assert_eq!(clone.rows_copied, 0);
    assert!(clone.schemas.contains(&"public".to_string()), "{clone:?}");
    let major = |v: &str| v.split(['.', ' ']).next().unwrap().to_owned();
    assert_eq!(major(&result.sandbox.as_ref().unwrap().version), major(&clone.server_version), "staging's major version");
    assert!(out.contains("rehearsed on a clone of staging's schema") && out.contains("0 rows copied"), "{out}");
    // What the sandbox started from: staging's hand-made index and column, and none of its rows.
    let indexes = &rehearsed.snapshot.objects[&pgstage::db::snapshot::Kind::Index];
    assert!(indexes.contains_key("public.audit_log_created_idx"), "the extra index exists in the sandbox");
    let users = &rehearsed.snapshot.objects[&pgstage::db::snapshot::Kind::Table]["public.users"];
    assert!(users.contains("legacy_flag boolean"), "{users}");
    let no_rows = result.preflight.iter().find(|c| c.id == "PF-NO-ROWS").unwrap();
    assert_eq!(no_rows.status, pgstage::run_result::Status::Pass, "{no_rows:?}");
    assert_eq!(state(&staging).await, before, "staging's catalog and row counts are unchanged");
}

#[tokio::test]
async fn a_clone_grades_a_finding_by_stagings_rows() {
    let staging = fresh_db(Template::Big).await;
    let plan = plan_with(|p| {
        bare(p);
        p.migrations = vec![migration("960", "tests/fixtures/sql/960_index_big_no_concurrently.sql")];
    });
    let (_, out, result, _) = clone_run(&plan, &staging, "big");
    // From 18 on, staging's planner statistics come along with its schema.
    let eighteen = crate::support::server_version_num(&staging.client).await >= 180_000;
    assert_eq!(result.clone.as_ref().unwrap().planner_statistics, eighteen, "{:?}", result.clone);
    if eighteen {
        assert!(out.contains("and the planner statistics"), "{out}");
    }
    let finding = result.migrations[0]
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "index-without-concurrently")
        .unwrap_or_else(|| panic!("no index-without-concurrently finding: {out}"));
    let rows = finding.rows.expect("rows");
    assert!((rows - BIG_ROWS).abs() <= BIG_ROWS / 10, "graded by staging's {BIG_ROWS} rows, not the clone's 0: {finding:?}");
    assert!(finding.bytes.unwrap_or(0) > 10_000_000, "staging's size: {finding:?}");
    // The clone's table is empty: the time is estimated for staging's rows, not taken from
    // the few milliseconds an empty build took.
    assert_eq!(finding.severity, pgstage::run_result::FindingSeverity::Error, "{}", finding.estimate);
    assert!(
        finding.estimate.contains("at an assumed rate (no rate can be measured on the 0 rows worked here)"),
        "{}",
        finding.estimate
    );
}

#[tokio::test]
async fn a_clone_reads_a_table_staging_never_analyzed_as_of_unknown_size_not_empty() {
    let staging = fresh_db(Template::Baseline).await;
    staging
        .client
        .batch_execute(&format!(
            "CREATE TABLE public.never_analyzed (id bigint, v bigint) WITH (autovacuum_enabled = off);
             INSERT INTO public.never_analyzed SELECT g, g FROM generate_series(1, {BIG_ROWS}) g;
             CREATE TABLE public.vacuumed_then_loaded (id bigint, v bigint) WITH (autovacuum_enabled = off);"
        ))
        .await
        .unwrap();
    staging.client.batch_execute("VACUUM public.vacuumed_then_loaded").await.unwrap();
    let load = "INSERT INTO public.vacuumed_then_loaded SELECT g, g FROM generate_series(1, 100000) g";
    staging.client.batch_execute(load).await.unwrap();
    // What a table loaded and never analyzed nor vacuumed looks like on staging.
    let (reltuples, relpages): (f32, i32) = {
        let r = staging
            .client
            .query_one("SELECT reltuples, relpages FROM pg_catalog.pg_class WHERE oid = 'public.never_analyzed'::regclass", &[])
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!((reltuples, relpages), (-1.0, 0), "staging's statistics know nothing of the table");
    let plan = plan_with(|p| {
        bare(p);
        p.migrations = vec![migration("961", "tests/fixtures/sql/961_index_never_analyzed.sql")];
    });
    let (_, out, result, _) = clone_run(&plan, &staging, "never-analyzed");
    let finding = result.migrations[0]
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "index-without-concurrently")
        .unwrap_or_else(|| panic!("no index-without-concurrently finding: {out}"));
    assert_eq!(finding.rows, None, "staging's rows are unknown, not 0: {finding:?}");
    assert!(finding.bytes.unwrap_or(0) > 10_000_000, "staging's bytes are known: {finding:?}");
    assert_ne!(finding.severity, pgstage::run_result::FindingSeverity::Info, "{}", finding.estimate);
    assert!(finding.estimate.contains("rows unknown on staging"), "{}", finding.estimate);
    assert!(!finding.estimate.contains("empty") && !finding.estimate.contains("tiny"), "{}", finding.estimate);
    // A 0 its statistics no longer vouch for (vacuumed empty, loaded since) is unknown too.
    let stale = result.migrations[0]
        .findings
        .iter()
        .find(|f| f.relation == "public.vacuumed_then_loaded")
        .unwrap_or_else(|| panic!("no finding on public.vacuumed_then_loaded: {out}"));
    assert_eq!((stale.rows, stale.severity), (None, pgstage::run_result::FindingSeverity::Warning), "{stale:?}");
}

/// `pgstage ARGS` from the repository's root with a state directory of its own (`state`).
fn pgstage_in(state: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(args)
        .current_dir(crate::support::root())
        .env("PGSTAGE_STATE_DIR", state)
        .env("PGSTAGE_BASELINE_CACHE", "off")
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[tokio::test]
async fn init_drafts_on_a_clone_of_staging_a_folder_whose_files_cannot_rebuild_it() {
    // Staging holds what migration 1 made (not in the folder), in a schema of its own, owned by
    // a role that exists only there.
    let role = format!("pgstage_legacy_owner_{}", std::process::id());
    let staging = fresh_db(Template::Empty).await;
    staging
        .client
        .batch_execute(&format!(
            "CREATE ROLE {role} NOLOGIN;
             CREATE SCHEMA legacy;
             CREATE TABLE legacy.accounts (id bigint PRIMARY KEY, name text NOT NULL);
             ALTER TABLE legacy.accounts OWNER TO {role};
             INSERT INTO legacy.accounts SELECT g, 'account ' || g FROM generate_series(1, 50) g;
             ANALYZE legacy.accounts;"
        ))
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("pgstage-clone-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let folder = dir.join("migrations");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("002_add_email.sql"), "ALTER TABLE legacy.accounts ADD COLUMN email text;\n").unwrap();
    std::fs::write(
        folder.join("003_email_index.sql"),
        format!("CREATE INDEX accounts_email_idx ON legacy.accounts (email);\nGRANT SELECT ON legacy.accounts TO {role};\n"),
    )
    .unwrap();
    let state = dir.join("state");
    let plan = dir.join("plan.ron");
    let (folder_arg, plan_arg, conn) = (folder.to_str().unwrap(), plan.to_str().unwrap(), sandbox_conninfo(&staging));

    // From the files alone the batch cannot run: init says so and points at --clone-from.
    let (code, out) = pgstage_in(&state, &["init", folder_arg, "-o", plan_arg]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("does not exist") && out.contains(&format!("pgstage init {folder_arg} --clone-from CONN")), "{out}");
    assert!(!plan.exists(), "a failed draft writes nothing");
    // The same when the baseline files themselves cannot be replayed: one references a table
    // another tool made (ory/keto's `networks`, made by its networkx migrations).
    let partial = dir.join("partial");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("001_tuples.sql"), "CREATE TABLE tuples (nid uuid REFERENCES networks (id));\n").unwrap();
    std::fs::write(partial.join("002_tuples_nid.sql"), "CREATE INDEX tuples_nid_idx ON tuples (nid);\n").unwrap();
    let partial_arg = partial.to_str().unwrap();
    let (code, out) = pgstage_in(&state, &["init", partial_arg, "--from", "002", "-o", plan_arg]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("001_tuples.sql:1:") && out.contains("\"networks\" does not exist"), "{out}");
    assert!(out.contains(&format!("pgstage init {partial_arg} --clone-from CONN")), "{out}");
    assert!(!plan.exists(), "a failed draft writes nothing");

    let (code, out) = pgstage_in(&state, &["init", folder_arg, "-o", plan_arg, "--clone-from", &conn]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("on a clone of staging's schema") && out.contains("0 rows copied"), "{out}");
    let text = std::fs::read_to_string(&plan).unwrap();
    let drafted: Plan = pgstage::plan::load(&plan).unwrap_or_else(|e| panic!("{e}\n{text}")).plan;
    assert_eq!(drafted.baseline.schema, "legacy", "{text}");
    assert!(drafted.baseline.migrations.is_empty(), "staging holds the baseline: {text}");
    let source =
        drafted.baseline.cloned_from.as_deref().unwrap_or_else(|| panic!("the plan says it was drafted on a clone: {text}"));
    assert!(source.contains(&staging.name), "{source}");
    assert!(text.contains("--clone-from CONN"), "the plan says how to rehearse it: {text}");
    // Its counts are the clone's: staging's one table in `legacy`.
    let tables = drafted.preflight.checks.iter().find(|c| c.id.contains("TABLES")).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(tables.expect, Expect::Equals(1), "{text}");

    let (code, out) = pgstage_in(&state, &["check", plan_arg]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = pgstage_in(&state, &["run", plan_arg, "--sandbox", "--ack-all", "--clone-from", &conn]);
    assert_eq!(code, Some(0), "the drafted plan, rehearsed on a new clone, ends GO: {out}");
    // A sandbox seeded from files cannot hold its baseline: refused, with the way to rehearse it.
    let (code, out) = pgstage_in(&state, &["run", plan_arg, "--sandbox", "--ack-all"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("baseline is staging's own schema") && out.contains("--clone-from CONN"), "{out}");

    let _ = std::fs::remove_dir_all(&dir);
    drop(staging);
    let admin = crate::support::server().await.admin().await;
    let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}")).await;
}
