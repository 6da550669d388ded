//! Panels rendered from a frozen run result (`tests/fixtures/report/run_*.json`, the JSON a
//! run writes with `--report run.json`), without a database, a sandbox or a worker: the panel
//! structs draw from a read-only view of the result, and the operator's actions come out as
//! commands, not effects. What a review of an earlier run needs.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pgstage::gui::app::Tab;
use pgstage::gui::command::UiCommand;
use pgstage::gui::dialog::Pick;
use pgstage::gui::panels::{LocksPanel, ResultsPanel, VerdictPanel, charts};
use pgstage::gui::run_state::RunView;
use pgstage::gui::view::View;
use pgstage::plan::LoadedPlan;
use pgstage::run_result::RunResult;

use crate::support::path;

/// A window of its own for a frozen run: the result, its plan if known, the panels.
struct Review {
    run: RunView,
    plan: Option<LoadedPlan>,
    tab: Tab,
    verdict: VerdictPanel,
    results: ResultsPanel,
    locks: LocksPanel,
    commands: Vec<UiCommand>,
}

fn frozen(fixture: &str) -> RunResult {
    let file = path(&format!("tests/fixtures/report/{fixture}.json"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn review(fixture: &str, plan: Option<LoadedPlan>) -> Harness<'static, Review> {
    review_of(frozen(fixture), plan)
}

fn review_of(result: RunResult, plan: Option<LoadedPlan>) -> Harness<'static, Review> {
    let state = Review {
        run: RunView::finished(result),
        plan,
        tab: Tab::Verdict,
        verdict: VerdictPanel::default(),
        results: ResultsPanel::default(),
        locks: LocksPanel::default(),
        commands: Vec::new(),
    };
    Harness::builder().with_size([1360.0, 880.0]).build_ui_state(
        |ui, r: &mut Review| {
            let view = View::of_run(&r.run, r.plan.as_ref());
            egui::CentralPanel::default_margins().show(ui, |ui| match r.tab {
                Tab::Verdict => r.verdict.show(ui, &view, &mut r.commands),
                Tab::Results => r.results.show(ui, &view),
                Tab::Locks => r.locks.show(ui, &view.run.migrations, view.run.version),
                Tab::Charts => charts::show(ui, &view),
                other => unreachable!("{other:?} is not reviewed here"),
            });
        },
        state,
    )
}

fn show(h: &mut Harness<'static, Review>, tab: Tab) {
    h.state_mut().tab = tab;
    h.run_steps(2);
}

#[test]
fn the_panels_render_a_frozen_go_run_without_a_database() {
    let plan = pgstage::plan::load(&path("plans/week2_staging.ron")).unwrap();
    let mut h = review("run_go", Some(plan));
    h.run_steps(2);
    assert!(h.query_by_label("GO").is_some(), "the verdict, large");
    assert!(h.query_by_label("Week 2 Tuesday - Staging Validation — run 20240206T093000Z-5a1e").is_some());
    assert!(h.query_by_label("REHEARSAL on a throwaway sandbox — not a staging validation").is_some());
    assert!(h.query_by_label_contains("It says the plan runs clean there; it says nothing yet about staging.").is_some());
    assert!(h.query_by_label_contains("Checks proven able to fail: 23 of 23 verification and schema checks").is_some());
    assert!(h.query_by_label_contains("No native file dialog is available here").is_some());

    // The panel writes nothing itself: Export and Save as… are commands for the app.
    let report = std::env::temp_dir().join(format!("pgstage-review-{}.md", std::process::id()));
    h.state_mut().verdict.export_path = format!(" {} ", report.display());
    h.get_by_role_and_label(Role::Button, "Export").click_accesskit();
    h.run_steps(1);
    assert_eq!(h.state().commands, [UiCommand::Export(report.clone())]);
    h.get_by_label("Save as… (Ctrl+E)").click_accesskit();
    h.run_steps(1);
    assert_eq!(h.state().commands.last(), Some(&UiCommand::AskPath(Pick::SaveReport)));
    assert!(!report.exists(), "nothing written by the panel");

    show(&mut h, Tab::Results);
    let first = h.state().run.checks[0].result.clone();
    assert!(h.query_by_label(&first.id).is_some() && h.query_by_label(&first.title).is_some(), "{} is listed", first.id);
    assert_eq!(h.query_all_by_label("APPLIED").count(), 5, "every migration applied");
    h.get_by_label("migrations/week2/013_create_positioning_campaigns.sql").click();
    h.run_steps(2);
    assert_eq!(h.state().results.migrations_table.selected.as_deref(), Some("013"));
    assert!(
        h.query_by_label("SQL, with each statement's time beside its first line:").is_some(),
        "its SQL, read from the plan's migration file"
    );

    show(&mut h, Tab::Locks);
    assert!(h.query_by_label_contains("Findings: 0 errors, 7 warnings").is_some(), "the findings' summary");
    assert!(h.query_all_by_label("ShareRowExclusiveLock").next().is_some());

    show(&mut h, Tab::Charts);
    assert!(h.query_by_label("Schema: objects before, after, and the plan's threshold").is_some());
    assert_eq!(h.state().commands.len(), 2, "only the verdict panel's two clicks asked for anything");
}

#[test]
fn a_frozen_failed_run_shows_no_go_and_what_did_not_run_without_its_plan() {
    let mut h = review("run_failed_015", None);
    h.run_steps(2);
    assert!(h.query_by_label("NO-GO").is_some());
    assert!(
        h.query_all_by_label_contains("015_broken.sql:56:49: ERROR: column \"stauts\" does not exist").next().is_some(),
        "the reason names the file, line and column"
    );

    // A failed rehearsal never says the plan runs clean; it says what it left.
    assert!(h.query_by_label("REHEARSAL on a throwaway sandbox — not a staging validation").is_some());
    assert!(h.query_by_label_contains("runs clean there").is_none(), "a failed rehearsal says nothing of running clean");
    assert!(
        h.query_by_label_contains("The plan does not run clean even there: it failed at Migration 015 – Agent registry.")
            .is_some()
    );
    assert!(h.query_by_label_contains("013 and 014 stay committed on the sandbox").is_some());

    show(&mut h, Tab::Results);
    assert_eq!(h.query_all_by_label("APPLIED").count(), 2, "013 and 014");
    assert!(h.query_by_label("FAILED").is_some(), "015");
    assert_eq!(h.query_all_by_label("NOT RUN").count(), 2, "016 and 017");
    assert!(h.state().commands.is_empty());
}

#[test]
fn a_cancel_inside_the_rollback_rehearsal_leaves_its_criterion_not_reached_never_not_met() {
    let plan = pgstage::plan::load(&path("plans/week2_staging.ron")).unwrap();
    // As the engine leaves a run whose operator cancelled the re-apply of 014 that follows the
    // rollback script (`engine/rollback.rs`): the step cancelled, the cancel as its error.
    let mut run = frozen("run_go");
    let why =
        "re-applying after the rollback rehearsal: migrations/week2/014_create_metrics_tables.sql:3:1: cancelled by the operator";
    let rollback = run.rollback.as_mut().unwrap();
    rollback.error = Some(why.into());
    rollback.reapplied = false;
    run.completed_steps.retain(|s| s != "rollback");
    run.outcome = pgstage::run_result::Outcome::Cancelled { step: "Rollback rehearsal".into() };
    run.verdict = pgstage::engine::verdict::decide(&plan.plan, &run);
    let criterion =
        run.verdict.criteria.iter().find(|c| c.title == "Rollback rehearsal returns exactly to the baseline").unwrap();
    assert_eq!(criterion.met, pgstage::run_result::Met::NotReached, "{}", criterion.reason);
    assert!(
        criterion.reason.starts_with("the operator cancelled the rollback rehearsal before it ended"),
        "{}",
        criterion.reason
    );
    let mut h = review_of(run, Some(plan));
    h.run_steps(2);
    assert!(h.query_by_label("NOT MET").is_none(), "no criterion shown as not met");
    assert!(h.query_by_label_contains("the operator cancelled the rollback rehearsal before it ended").is_some());
}

#[test]
fn the_findings_header_counts_in_words_names_each_rule_once_and_no_empty_size() {
    use pgstage::plan::LockRule;
    use pgstage::run_result::FindingSeverity;
    let mut run = frozen("run_go");
    // One error whose table size was not measured, and another rule between two of the first.
    let m = &mut run.migrations[0];
    m.findings[0].severity = FindingSeverity::Error;
    (m.findings[0].rows, m.findings[0].bytes) = (None, None);
    let mut timeout = m.findings[0].clone();
    timeout.rule = LockRule::MissingLockTimeout;
    timeout.severity = FindingSeverity::Warning;
    m.findings.insert(1, timeout);
    let mut h = review_of(run, None);
    show(&mut h, Tab::Locks);
    assert!(
        h.query_by_label_contains(
            "Findings: 1 error, 7 warnings, 0 information, 0 accepted (foreign-key-without-index, missing-lock-timeout)"
        )
        .is_some(),
        "one error in the singular, each rule once"
    );
    assert!(
        h.query_all_by_label_contains("has no index on its columns").next().is_some(),
        "the findings are open (an open error)"
    );
    assert!(h.query_all_by_label_contains("(–)").next().is_none(), "no empty brackets for a size not measured");
}
