//! The desktop app, driven through its real UI (egui_kittest, AccessKit queries): the bundled
//! plan runs on the sandbox to GO, the checks table sorts by status and by duration, the
//! report exports; a failing fixture shows NO-GO with its reason; a broken plan shows its
//! error instead of crashing; the connect panel offers the PostgreSQL versions found and the
//! sandbox runs the one chosen. The window's honesty (what ran, what did not, what a sandbox
//! run is), its details, its layout, its Locks tab and the clone of staging's schema have
//! modules of their own, and so do the panels drawn from a frozen run result, without a
//! database.

mod clone;
mod details;
mod frozen;
mod layout;
mod locks;
mod review;
mod states;
mod walk;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pgstage::gui::dialog::FixedPaths;
use pgstage::gui::{AppOptions, PgstageApp};
use pgstage::run_result::Status;

use crate::support::{path, week2_plan, write_plan};

pub(crate) fn runtime() -> tokio::runtime::Handle {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Runtime::new().unwrap()).handle().clone()
}

pub(crate) fn harness(plan: PathBuf, report: Option<PathBuf>) -> Harness<'static, PgstageApp> {
    sized_harness(plan, report, [1360.0, 880.0])
}

pub(crate) fn sized_harness(plan: PathBuf, report: Option<PathBuf>, size: [f32; 2]) -> Harness<'static, PgstageApp> {
    Harness::builder().with_size(size).build_eframe(move |cc| {
        let dialogs = Arc::new(FixedPaths { plan: None, report });
        PgstageApp::new(cc, AppOptions { plan: Some(plan), dialogs, runtime: runtime(), persist: false })
    })
}

/// Step the UI (in real time: the worker runs on its own threads) until `done`, or fail.
pub(crate) fn step_until(
    h: &mut Harness<'static, PgstageApp>,
    what: &str,
    patience: Duration,
    done: impl Fn(&Harness<'static, PgstageApp>) -> bool,
) {
    let start = Instant::now();
    while !done(h) {
        assert!(start.elapsed() < patience, "timed out waiting for: {what}; log:\n{}", h.state().log_text());
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

/// Click the widget labelled `label` through AccessKit (it may be scrolled out of view).
pub(crate) fn click_visible(h: &mut Harness<'static, PgstageApp>, label: &str) {
    h.get_by_label(label).click_accesskit();
    h.run_steps(2);
}

pub(crate) fn tick_manual_items(h: &mut Harness<'static, PgstageApp>) {
    let manual = h.state().plan.as_ref().unwrap().plan.preflight.manual.clone();
    for m in manual {
        click_visible(h, &format!("{} — {}", m.title, m.owner));
    }
}

pub(crate) fn run_all_until_verdict(h: &mut Harness<'static, PgstageApp>) {
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Run all").click();
    h.step();
    step_until(h, "the verdict", Duration::from_secs(120), |h| h.state().run.result.is_some());
    h.run_steps(3);
}

#[test]
fn bundled_plan_runs_to_go_and_the_checks_table_sorts() {
    let report = std::env::temp_dir().join(format!("pgstage-gui-{}.md", std::process::id()));
    let mut h = harness(path("plans/week2_staging.ron"), Some(report.clone()));
    h.step();
    assert!(h.query_all_by_label_contains("Week 2 Tuesday - Staging Validation").next().is_some());
    tick_manual_items(&mut h);
    assert_eq!(h.state().acks.len(), 6, "every manual item ticked, with who and when");
    run_all_until_verdict(&mut h);
    assert!(h.state().run.result.as_ref().unwrap().verdict.go, "{:?}", h.state().run.result.as_ref().unwrap().verdict.reasons);
    assert!(h.query_by_label("GO").is_some(), "the verdict is shown large");
    assert!(
        h.query_by_label("REHEARSAL on a throwaway sandbox — not a staging validation").is_some(),
        "a sandbox GO says it is a rehearsal, not a staging validation"
    );
    assert!(h.query_by_label("SANDBOX REHEARSAL — not staging").is_some(), "and so does the window's header");
    assert!(
        h.query_by_label_contains("Checks proven able to fail: 23 of 23 verification and schema checks").is_some(),
        "the verdict says how many checks were shown able to fail"
    );

    h.get_by_label("Results").click();
    h.step();
    // Both tables have a Status column; the checks table comes second.
    h.get_all_by_label("Status").nth(1).expect("the checks table's Status header").click();
    h.run_steps(2);
    let ranks = |h: &Harness<'static, PgstageApp>| -> Vec<Status> {
        let app = h.state();
        app.results.checks_table.order().iter().map(|&i| app.run.checks[i].result.status).collect()
    };
    let rank = |s: &Status| match s {
        Status::Fail => 0,
        Status::Warn => 1,
        Status::Pass => 2,
        Status::NotApplicable => 3,
        Status::Skipped => 4,
    };
    let ascending = ranks(&h);
    assert_eq!(ascending.len(), h.state().run.checks.len());
    assert!(ascending.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])), "{ascending:?}");
    assert_ne!(ascending.first(), ascending.last(), "the run has warnings and passes to sort");
    h.get_by_label("Status ⬆").click();
    h.run_steps(2);
    let descending = ranks(&h);
    assert!(descending.windows(2).all(|w| rank(&w[0]) >= rank(&w[1])), "{descending:?}");

    h.get_by_label("Duration (ms)").click();
    h.run_steps(2);
    let durations: Vec<f64> = {
        let app = h.state();
        app.results.checks_table.order().iter().map(|&i| app.run.checks[i].result.duration_ms).collect()
    };
    assert!(durations.windows(2).all(|w| w[0] <= w[1]), "{durations:?}");

    // Export through the (fixed-path) dialog, as Ctrl+E does.
    h.get_by_label("Verdict & export (GO, rehearsal)").click();
    h.step();
    click_visible(&mut h, "Save as… (Ctrl+E)");
    step_until(&mut h, "the export", Duration::from_secs(10), |h| h.state().verdict.export_status.is_some());
    assert!(matches!(h.state().verdict.export_status, Some(Ok(_))), "{:?}", h.state().verdict.export_status);
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("GO"), "{text}");
    std::fs::remove_file(&report).unwrap();
}

#[test]
fn failing_fixture_shows_no_go_with_its_reason() {
    let mut loaded = week2_plan();
    loaded.plan.migrations[2].file = path("tests/fixtures/sql/015_broken.sql");
    let plan_file = write_plan(&loaded, "gui-fail");
    let dir = plan_file.parent().unwrap().to_owned();

    let mut h = harness(plan_file, None);
    h.step();
    tick_manual_items(&mut h);
    run_all_until_verdict(&mut h);
    assert!(h.query_by_label("NO-GO").is_some(), "NO-GO is shown");
    assert!(
        h.query_all_by_label_contains("015_broken.sql:56:49: ERROR: column \"stauts\" does not exist").next().is_some(),
        "the reason names the file, line and column"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_plan_with_a_syntax_error_shows_the_error_not_a_crash() {
    let mut h = harness(path("tests/fixtures/plans/syntax_error.ron"), None);
    h.run_steps(2);
    assert!(h.query_by_label("The plan could not be loaded").is_some());
    assert!(h.query_all_by_label_contains("syntax_error.ron:5:5: Expected comma").next().is_some());
    assert!(h.state().plan.is_none());
}

/// A machine with no native file dialog (no portal, no zenity).
struct NoDialogs;

impl pgstage::gui::dialog::Dialogs for NoDialogs {
    fn available(&self) -> bool {
        false
    }
    fn pick(&self, _: pgstage::gui::dialog::Pick, _: &str) -> std::sync::mpsc::Receiver<Option<PathBuf>> {
        unreachable!("never asked when unavailable")
    }
}

#[test]
fn keyboard_steps_and_pauses_and_a_missing_dialog_is_explained() {
    let mut h = Harness::builder().with_size([1360.0, 880.0]).build_eframe(|cc| {
        let options = AppOptions {
            plan: Some(path("plans/week2_staging.ron")),
            dialogs: Arc::new(NoDialogs),
            runtime: runtime(),
            persist: false,
        };
        PgstageApp::new(cc, options)
    });
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.step();
    assert!(h.state().log_text().contains("no native file dialog is available here"), "{}", h.state().log_text());
    assert!(h.query_all_by_label_contains("Plan file:").next().is_some(), "the path field is offered");
    h.step();
    let focused: Vec<_> =
        h.query_all_by_role(egui::accesskit::Role::TextInput).filter(|n| n.is_focused()).map(|n| n.value()).collect();
    assert_eq!(focused, [Some(String::new())], "Ctrl+O focuses the (empty) plan path field, not the operator's");
    h.key_press(egui::Key::Escape); // leave the field: Space is a shortcut again
    h.step();

    tick_manual_items(&mut h);
    h.key_press(egui::Key::Space); // next step: pre-flight
    h.step();
    step_until(&mut h, "the pre-flight step", Duration::from_secs(60), |h| {
        h.state().run.steps.first().is_some_and(|s| s.status == pgstage::gui::run_state::StepStatus::Done)
    });
    h.run_steps(2);
    assert_eq!(h.state().run.steps[1].status, pgstage::gui::run_state::StepStatus::Pending, "one step only");
    assert!(h.state().run.result.is_none());
    h.key_press(egui::Key::Space); // 013
    h.step();
    step_until(&mut h, "migration 013", Duration::from_secs(30), |h| {
        h.state().run.steps[1].status == pgstage::gui::run_state::StepStatus::Done
    });
    assert_eq!(h.state().run.migrations.len(), 1);
}

#[test]
fn the_connect_panel_offers_the_versions_found_and_the_sandbox_runs_the_one_chosen() {
    let mut h = harness(path("plans/week2_staging.ron"), None);
    h.step();
    tick_manual_items(&mut h);
    h.get_by_label("Connect & pre-flight").click();
    step_until(&mut h, "the versions found", Duration::from_secs(30), |h| h.state().connect.form.pg_versions.is_some());
    h.run_steps(2);
    let found = h.state().connect.form.pg_versions.clone().unwrap();
    assert!(!found.is_empty());
    // The last one offered: another version than the default when there is one.
    let chosen = found.last().unwrap().clone();
    let entry = format!("{}  ({})", chosen.number(), chosen.dir.display());
    h.get_by_label("server binaries").click();
    h.run_steps(2);
    h.get_all_by_label(&entry).last().expect("the chosen version is offered").click();
    h.run_steps(2);
    assert_eq!(h.state().connect.form.pg_bindir.as_ref(), Some(&chosen.dir));
    run_all_until_verdict(&mut h);
    let result = h.state().run.result.clone().unwrap();
    assert_eq!(
        result.sandbox.as_ref().map(|s| (s.major, s.bindir.clone())),
        Some((chosen.major, chosen.dir.display().to_string()))
    );
    assert!(result.server_version.starts_with(chosen.number()), "{} on {chosen}", result.server_version);
    assert!(h.state().log_text().contains(&format!("sandbox: {chosen} started")), "{}", h.state().log_text());
}

#[test]
fn opening_a_runbook_drafts_a_plan_and_shows_the_mapping() {
    let mut h = harness(path("tests/fixtures/runbooks/week2_tuesday_staging_validation_plan.md"), None);
    h.step();
    let app = h.state();
    assert!(app.plan_error.is_none(), "{:?}", app.plan_error);
    let plan = &app.plan.as_ref().expect("a plan drafted from the run-book").plan;
    assert_eq!(plan.migrations.len(), 5);
    assert_eq!(plan.verification.len(), 21, "16 items and 5 migrations' table counts");
    assert!(app.imported.is_some());
    assert!(h.query_by_label_contains("Drafted from a run-book: 476 lines").is_some(), "the mapping is shown");
    assert!(
        h.query_all_by_label("-> migrations[013].expected_ms").next().is_some(),
        "line by line, with the element each line became"
    );
    assert!(h.query_all_by_label_contains("unmapped: a status or sign-off").next().is_some(), "unmapped lines say why");
}
