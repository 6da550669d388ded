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
    let dir = std::env::temp_dir().join(format!("pgstage-clone-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let plan_file = write_clone_plan(plan, what);
    let report = dir.join("run.json");
    let out = Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", plan_file.to_str().unwrap(), "--sandbox", "--ack-all", "--clone-from", &sandbox_conninfo(staging)])
        .arg("--report")
        .arg(&report)
        .current_dir(crate::support::root())
        .env("PGSTAGE_STATE_DIR", dir.join("state"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let result: RunResult = serde_json::from_str(&std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{e}: {text}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let baselines: Vec<_> = std::fs::read_dir(dir.join("state/baselines")).unwrap().map(|e| e.unwrap().path()).collect();
    let rehearsed: RehearsedBaseline = serde_json::from_slice(&std::fs::read(&baselines[0]).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code(), text, result, rehearsed)
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

async fn state(db: &TestDb) -> (Snapshot, BTreeMap<String, i64>) {
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
