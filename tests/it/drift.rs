//! Drift (`PF-DRIFT`): a staging that is not the baseline the plan was rehearsed on (a hotfix
//! index, a column left behind, a function changed by hand, a policy dropped) is named object
//! by object; `drift: Fail` stops the run before any migration; a resumed run compares the
//! baseline recorded before its first migration, not what the migrations made.

use std::collections::BTreeSet;
use std::process::Command;

use pgstage::engine::{Engine, RunOptions};
use pgstage::plan::{DriftPolicy, LoadedPlan};
use pgstage::rehearsal::RehearsedBaseline;
use pgstage::run_result::{MigrationStatus, RunResult, SandboxInfo, Status};
use tokio::sync::mpsc::unbounded_channel;

use crate::engine::{exists, ledger, plan_with, sandbox_conninfo, session};
use crate::support::{Template, TestDb, fresh_db, week2_plan, write_plan};

/// What a hand-kept staging has that the rehearsal did not: four differences.
const DRIFT: &str = "
    CREATE INDEX audit_log_created_idx ON public.audit_log (created_at);
    ALTER TABLE public.users ADD COLUMN legacy_flag boolean;
    CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := now(); -- hotfix INC-204: clock_timestamp() was too slow
      RETURN NEW;
    END $$;
    DROP POLICY workspaces_member_select ON public.workspaces;";

fn the_four() -> BTreeSet<String> {
    [
        "staging has index public.audit_log_created_idx that the rehearsal did not",
        "public.users.legacy_flag exists only on staging (boolean)",
        "function public.set_updated_at() differs (body)",
        "policy public.workspaces.workspaces_member_select of the rehearsed baseline is missing on staging",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

pub(crate) async fn engine_run(plan: LoadedPlan, db: &TestDb, options: RunOptions) -> (RunResult, Option<RehearsedBaseline>) {
    let (tx, _rx) = unbounded_channel();
    let items: Vec<String> = plan.plan.preflight.manual.iter().map(|m| m.id.clone()).collect();
    let mut engine = Engine::start(plan, session(db).await, options, tx).await.unwrap_or_else(|e| panic!("{e}"));
    for item in items {
        assert!(engine.acknowledge(&item, "tester"));
    }
    engine.run().await;
    let rehearsed = engine.rehearsed_baseline().cloned();
    (engine.finish().await, rehearsed)
}

/// Nothing of the plan applied: no ledger, or an empty one.
async fn nothing_applied(db: &TestDb) -> bool {
    !exists(db, "pgstage.ledger").await || ledger(db).await.is_empty()
}

pub(crate) fn drift_check(r: &RunResult) -> &pgstage::run_result::CheckResult {
    r.preflight.iter().find(|c| c.id == "PF-DRIFT").unwrap_or_else(|| panic!("no PF-DRIFT in {:#?}", r.preflight))
}

fn sentences(r: &RunResult) -> BTreeSet<String> {
    r.drift.iter().map(|d| d.what.clone()).collect()
}

/// The plan's baseline as a rehearsal starts from it (the sandbox seeds the same scripts the
/// test template was built from), recorded by the engine as on a sandbox run.
pub(crate) async fn rehearse() -> RehearsedBaseline {
    let db = fresh_db(Template::Baseline).await;
    let sandbox = SandboxInfo { version: "test".into(), major: 0, bindir: String::new() };
    let options = RunOptions { operator: "tester".into(), sandbox: Some(sandbox), ..Default::default() };
    let (result, rehearsed) = engine_run(week2_plan(), &db, options).await;
    assert!(result.verdict.go, "the rehearsal: {:?}", result.verdict.reasons);
    assert!(result.preflight.iter().all(|c| c.id != "PF-DRIFT"), "a sandbox is the baseline: no drift check there");
    rehearsed.expect("a sandbox run keeps the catalog it started from")
}

async fn drifted_staging() -> TestDb {
    let db = fresh_db(Template::Baseline).await;
    db.client.batch_execute(DRIFT).await.unwrap();
    db
}

/// The bundled plan without its own pre-flight counts (18 policies…), which would stop the run
/// on the dropped policy by themselves: here drift alone judges the baseline.
pub(crate) fn plan() -> LoadedPlan {
    plan_with(|p| p.preflight.checks.clear())
}

pub(crate) fn on_staging(rehearsed: &RehearsedBaseline) -> RunOptions {
    RunOptions { operator: "tester".into(), rehearsed_baseline: Some(rehearsed.clone()), ..Default::default() }
}

#[tokio::test]
async fn drift_names_each_difference_warns_by_default_and_a_resumed_run_compares_the_recorded_baseline() {
    let rehearsed = rehearse().await;

    let clean = fresh_db(Template::Baseline).await;
    let (result, _) = engine_run(plan(), &clean, on_staging(&rehearsed)).await;
    assert_eq!(drift_check(&result).status, Status::Pass, "{:#?}", drift_check(&result));
    assert!(result.drift.is_empty(), "{:#?}", result.drift);

    let staging = drifted_staging().await;
    let (result, _) = engine_run(plan(), &staging, on_staging(&rehearsed)).await;
    let check = drift_check(&result);
    assert_eq!((check.status, check.actual.as_str()), (Status::Warn, "4 differences"), "{check:#?}");
    assert_eq!(sentences(&result), the_four());
    assert!(result.migrations.iter().all(|m| m.status == MigrationStatus::Applied), "Warn goes on");

    // Run again: every migration is in the ledger, so the baseline is the one recorded before
    // 013; the drift is still exactly those four, not the sixteen tables the batch made.
    let (again, _) = engine_run(plan(), &staging, on_staging(&rehearsed)).await;
    assert!(matches!(again.baseline, pgstage::run_result::BaselineSource::Recorded { .. }), "{:?}", again.baseline);
    assert_eq!(sentences(&again), the_four(), "{:#?}", drift_check(&again));
    assert!(drift_check(&again).detail.contains("grants are not part of that record"), "{}", drift_check(&again).detail);
}

#[tokio::test]
async fn drift_fail_stops_the_run_before_any_migration_and_so_does_a_missing_rehearsal() {
    let rehearsed = rehearse().await;
    let strict = || {
        plan_with(|p| {
            p.preflight.checks.clear();
            p.preflight.drift = DriftPolicy::Fail;
        })
    };

    let staging = drifted_staging().await;
    let (result, _) = engine_run(strict(), &staging, on_staging(&rehearsed)).await;
    assert_eq!(drift_check(&result).status, Status::Fail);
    assert_eq!(sentences(&result), the_four());
    assert!(!result.verdict.go);
    assert!(result.migrations.iter().all(|m| m.status == MigrationStatus::NotRun), "{:?}", result.migrations);
    assert!(nothing_applied(&staging).await, "nothing applied");

    // A grant given by hand is drift too.
    let granted = fresh_db(Template::Baseline).await;
    granted.client.batch_execute("GRANT SELECT ON public.audit_log TO PUBLIC").await.unwrap();
    let (result, _) = engine_run(strict(), &granted, on_staging(&rehearsed)).await;
    assert_eq!(result.drift.len(), 1, "{:#?}", result.drift);
    assert_eq!(result.drift[0].kind, "grant");
    assert!(
        result.drift[0].what.contains("public.audit_log") && result.drift[0].what.contains("PUBLIC: SELECT"),
        "{:?}",
        result.drift
    );

    // Nothing to compare with: Fail cannot prove staging is the rehearsed baseline.
    let unrehearsed = fresh_db(Template::Baseline).await;
    let options = RunOptions { operator: "tester".into(), ..Default::default() };
    let (result, _) = engine_run(strict(), &unrehearsed, options.clone()).await;
    assert_eq!(drift_check(&result).status, Status::Fail, "{:#?}", drift_check(&result));
    assert!(drift_check(&result).detail.contains("no sandbox rehearsal"), "{:#?}", drift_check(&result));
    assert!(nothing_applied(&unrehearsed).await);
    // Under the default policy the same is only not applicable.
    let (result, _) = engine_run(plan(), &unrehearsed, options).await;
    assert_eq!(drift_check(&result).status, Status::NotApplicable);
}

/// End to end with the binary: a real sandbox rehearsal records its baseline (0600), then a
/// run on the drifted staging lists the four differences in its output and in the Markdown and
/// HTML reports.
#[tokio::test]
async fn the_cli_records_the_rehearsed_baseline_and_reports_drift_in_every_format() {
    let state = std::env::temp_dir().join(format!("pgstage-drift-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    // Not "drift": engine.rs's edited-migration test owns (and removes) /tmp/pgstage-drift-<pid>.
    let plan = write_plan(&plan(), "drift-cli");
    let pgstage = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_pgstage"))
            .args(args)
            .current_dir(crate::support::root())
            .env("PGSTAGE_STATE_DIR", &state)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (code, out) = pgstage(&["run", plan.to_str().unwrap(), "--sandbox", "--ack-all"]);
    assert_eq!(code, Some(0), "{out}");
    let baselines: Vec<_> = std::fs::read_dir(state.join("baselines")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(baselines.len(), 1, "{baselines:?}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&baselines[0]).unwrap().permissions().mode() & 0o777, 0o600);

    let dir = std::env::temp_dir().join(format!("pgstage-drift-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for report in [dir.join("run.md"), dir.join("run.html")] {
        let staging = drifted_staging().await;
        let conninfo = sandbox_conninfo(&staging);
        let (code, out) =
            pgstage(&["run", plan.to_str().unwrap(), "--db", &conninfo, "--ack-all", "--report", report.to_str().unwrap()]);
        assert_eq!(code, Some(0), "drift warns, the run goes on to GO: {out}");
        assert!(out.contains("PF-DRIFT") && out.contains("4 differences"), "{out}");
        for sentence in the_four() {
            assert!(out.contains(&sentence), "{sentence} missing from the output: {out}");
        }
        let text = std::fs::read_to_string(&report).unwrap();
        assert!(text.contains("Drift from the rehearsed baseline"), "{text}");
        for object in ["public.audit_log_created_idx", "legacy_flag", "public.set_updated_at()", "workspaces_member_select"] {
            assert!(text.contains(object), "{object} missing from {}", report.display());
        }
    }
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&dir);
}
