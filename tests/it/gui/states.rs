//! Honest states: a run cannot start before the checklist is complete, a step whose checks
//! failed is shown failed, what did not run is never shown as fine, a new run starts empty and
//! asks before an unexported result is lost, a cancel is confirmed and, between steps, claims
//! no cancelled statement; the log says all of it with times and severities.

use std::time::Duration;

use egui_kittest::kittest::{NodeT, Queryable};
use pgstage::gui::log::Level;
use pgstage::gui::run_state::StepStatus;
use pgstage::plan::Expect;
use pgstage::run_result::MigrationStatus;

use super::{harness, run_all_until_verdict, step_until, tick_manual_items};
use crate::support::{path, week2_plan, write_plan};

#[test]
fn a_run_cannot_start_before_the_checklist_is_complete_and_failed_checks_fail_their_step() {
    let mut loaded = week2_plan();
    let tables = loaded.plan.preflight.checks.iter_mut().find(|c| c.id == "PF-TABLES").unwrap();
    tables.expect = Expect::Equals(9999);
    let plan_file = write_plan(&loaded, "gui-checklist");
    let mut h = harness(plan_file.clone(), None);
    h.step();
    h.get_by_label("Run").click();
    h.run_steps(2);
    assert!(
        h.query_all_by_label_contains("Tick the manual checklist first (Plan tab): 6 items not confirmed yet").next().is_some(),
        "the Run tab says why the run cannot start"
    );
    h.get_by_label("Run all").click();
    h.get_by_label("Next step (Space)").click();
    h.key_press(egui::Key::Space);
    h.run_steps(3);
    assert!(h.state().run.steps.is_empty() && !h.state().busy, "nothing started");

    h.get_by_label("Plan").click();
    h.step();
    tick_manual_items(&mut h);
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Next step (Space)").click();
    step_until(&mut h, "the pre-flight step", Duration::from_secs(60), |h| {
        h.state().run.steps.first().is_some_and(|s| !matches!(s.status, StepStatus::Pending | StepStatus::Running))
    });
    h.run_steps(2);
    assert_eq!(h.state().run.steps[0].status, StepStatus::Failed, "a pre-flight with a FAIL row is not done");
    let failed = h.state().run.checks.iter().filter(|c| c.result.status == pgstage::run_result::Status::Fail).count();
    assert!(failed >= 1);
    let word = if failed == 1 { "FAILED: 1 check failed".to_owned() } else { format!("FAILED: {failed} checks failed") };
    assert!(h.query_by_label(&word).is_some(), "the step says so: {word}");
    assert!(
        h.state().log.iter().any(|l| l.level == Level::Error && l.text.starts_with("Pre-flight: FAILED")),
        "{}",
        h.state().log_text()
    );
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}

#[test]
fn what_did_not_run_is_never_shown_as_fine() {
    let mut loaded = week2_plan();
    loaded.plan.migrations[2].file = path("tests/fixtures/sql/015_broken.sql");
    let plan_file = write_plan(&loaded, "gui-honest");
    let mut h = harness(plan_file.clone(), None);
    h.step();
    tick_manual_items(&mut h);
    run_all_until_verdict(&mut h);
    let migrations = h.state().run.migrations.clone();
    assert_eq!(migrations[2].status, MigrationStatus::Failed);
    assert_eq!(migrations[3].status, MigrationStatus::NotRun);

    h.get_by_label("Run").click();
    h.run_steps(2);
    assert!(
        h.query_all_by_label_contains("faster than expected").all(|n| !n
            .accesskit_node()
            .label()
            .unwrap_or_default()
            .contains("015"))
    );
    let bars: Vec<String> = h
        .query_all_by_role(egui::accesskit::Role::ProgressIndicator)
        .filter_map(|n| n.accesskit_node().label())
        .collect::<Vec<_>>();
    // Each finished bar in the colour the verdict gives its time, as on the Charts tab: 013 and
    // 014 faster than expected (amber), 015 failed (red); never the theme's one blue for all.
    let fills: Vec<egui::Color32> = super::walk::shapes(&h)
        .iter()
        .filter_map(|s| match s {
            egui::Shape::Rect(r) => Some(r.fill),
            _ => None,
        })
        .collect();
    for m in &migrations[..3] {
        let colour = pgstage::gui::panels::charts::timing_color(m).gamma_multiply(0.6);
        assert!(fills.contains(&colour), "{}'s bar is {colour:?} ({:?})", m.id, pgstage::report::content::timing(m));
    }
    let failed = bars.iter().find(|b| b.contains("failed after")).expect("015's bar says it failed");
    assert!(!failed.contains("faster") && !failed.contains("within"), "{failed}");
    assert!(h.query_all_by_label_contains("not run · expected 300–350 ms").next().is_some(), "016 did not run: no time");
    // The verdict was decided (NO-GO): the Run tab never says it did not run.
    let not_run = h.state().run.steps.iter().filter(|s| s.status == StepStatus::NotRun && s.title != "Verdict").count();
    assert_eq!(h.query_all_by_label("not run").count(), not_run, "only the steps that did not run say so");
    assert!(h.query_by_label("NO-GO").is_some(), "the Verdict step shows the verdict");
    assert!(
        h.query_by_label_contains("013 and 014 stay committed on the sandbox (recorded in its ledger). 015 was rolled back")
            .is_some(),
        "the Run tab says what the run left and what to do next"
    );
    // The header shows the same time as the bar (the statements' time).
    let m013 = &migrations[0];
    let time = pgstage::report::content::fmt_ms(m013.duration_ms);
    // (Another migration may have taken the same whole milliseconds: any node with it will do.)
    assert!(h.query_all_by_label(&time).next().is_some(), "013's header shows {time}");
    assert!(
        bars.iter().any(|b| b.starts_with(&format!("{0}/{0} statements · {time} of 400–500 ms", m013.statements))),
        "{bars:?}"
    );

    h.get_by_label("Results").click();
    h.run_steps(2);
    assert!(h.query_by_label("as expected").is_none() && h.query_all_by_label("as announced").count() == 2, "013 and 014");
    assert!(h.query_by_label("rolled back: nothing kept").is_some(), "015's objects");
    assert!(h.query_all_by_label("–").count() >= 4, "016 and 017 show no time and no objects");

    let log = h.state().log.clone();
    assert!(log.iter().all(|l| l.at.len() == 8 && l.at.as_bytes()[2] == b':'), "every line has its time");
    assert!(log.iter().any(|l| l.level == Level::Success && l.text.starts_with("013 applied: its 36 statements took ")));
    assert!(
        log.iter().any(|l| l.text.starts_with("Migration 013") && l.text.contains("(the whole step ")),
        "the step's own time says it is the whole step, not the statements'"
    );
    assert!(log.iter().any(|l| l.level == Level::Error && l.text.starts_with("015 failed and was rolled back: ")));
    assert!(log.iter().any(|l| l.level == Level::Error && l.text.starts_with("run failed at Migration 015")));
    assert!(log.iter().any(|l| l.text.starts_with("step 1/") && l.text.ends_with("started: Pre-flight")));
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}

#[test]
fn a_new_run_starts_empty_and_asks_before_discarding_an_unexported_result() {
    let report = std::env::temp_dir().join(format!("pgstage-gui-newrun-{}.md", std::process::id()));
    let mut h = harness(path("plans/week2_staging.ron"), None);
    h.step();
    tick_manual_items(&mut h);
    run_all_until_verdict(&mut h);
    h.get_by_label("Run").click();
    h.run_steps(2);
    assert!(h.query_all_by_label_contains("elapsed ").next().is_some(), "the overall elapsed time");
    let elapsed = h.state().run.total_elapsed().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(h.state().run.total_elapsed(), Some(elapsed), "it stops when the run ends");
    h.state_mut().verdict.signoff.name = "Maria Nowak".into();

    h.get_by_label("New run…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Discard the result that was not exported?").is_some());
    h.get_by_label("Keep it").click();
    h.run_steps(2);
    assert!(h.state().run.result.is_some() && h.state().verdict.signoff.name == "Maria Nowak", "kept");

    // Loading another plan asks too.
    h.get_by_label("Plan").click();
    h.step();
    h.get_all_by_role(egui::accesskit::Role::TextInput).next().unwrap().click();
    h.step();
    h.get_all_by_role(egui::accesskit::Role::TextInput).next().unwrap().type_text("plans/week2_staging.ron");
    h.step();
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(h.query_by_label("Discard the result that was not exported?").is_some(), "Enter in the path field loads: ask");
    h.get_by_label("Keep it").click();
    h.run_steps(2);
    assert!(h.state().run.result.is_some());

    h.state_mut().verdict.export_path = report.display().to_string();
    h.get_by_label("Verdict & export (GO, rehearsal)").click();
    h.step();
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Export").click_accesskit();
    h.run_steps(2);
    assert!(h.state().exported, "{:?}", h.state().verdict.export_status);
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("New run…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Discard the result that was not exported?").is_none(), "exported: nothing to lose");
    {
        let app = h.state();
        assert!(app.run.result.is_none() && app.run.steps.is_empty());
        assert!(app.acks.is_empty(), "the checklist starts empty");
        assert!(app.verdict.signoff.name.is_empty(), "so does the sign-off");
    }
    h.get_by_label("Run").click();
    h.step();
    assert!(h.query_all_by_label_contains("Tick the manual checklist first").next().is_some());
    h.get_by_label("Plan").click();
    h.step();
    tick_manual_items(&mut h);
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Next step (Space)").click();
    step_until(&mut h, "the new run's pre-flight", Duration::from_secs(60), |h| {
        h.state().run.steps.first().is_some_and(|s| s.status == StepStatus::Done)
    });
    assert_eq!(h.state().run.steps[1].status, StepStatus::Pending, "stepping through again, one step at a time");
    std::fs::remove_file(&report).unwrap();
}

#[test]
fn cancel_asks_first_and_between_steps_claims_no_cancelled_statement() {
    let plan_file = write_plan(&week2_plan(), "gui-cancel");
    let mut h = harness(plan_file.clone(), None);
    h.step();
    tick_manual_items(&mut h);
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Next step (Space)").click();
    step_until(&mut h, "the pre-flight step", Duration::from_secs(60), |h| {
        h.state().run.steps.first().is_some_and(|s| s.status == StepStatus::Done) && !h.state().busy
    });
    h.get_by_label("Cancel…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Cancel the run?").is_some(), "a cancel is confirmed first");
    h.get_by_label("Keep running").click();
    h.run_steps(2);
    assert!(h.state().run.active() && h.state().run.result.is_none(), "kept running");
    h.get_by_label("Cancel…").click();
    h.run_steps(2);
    assert!(h.query_all_by_label_contains("nothing is running and nothing is rolled back").next().is_some());
    h.get_by_label("Cancel the run").click();
    step_until(&mut h, "the cancelled run's verdict", Duration::from_secs(30), |h| h.state().run.result.is_some());
    h.run_steps(2);
    let app = h.state();
    let result = app.run.result.as_ref().unwrap();
    assert!(!result.verdict.go);
    assert!(result.migrations.iter().all(|m| m.status == MigrationStatus::NotRun), "no migration started");
    assert_eq!(app.run.steps[1].status, StepStatus::NotRun, "013 is not shown cancelled: it never started");
    let log = app.log_text();
    assert!(!log.contains("the running statement is cancelled"), "{log}");
    assert!(log.contains("cancelling between steps: nothing was running"), "{log}");
    assert!(log.contains("run cancelled between steps, before Migration 013"), "{log}");
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}

#[test]
fn the_cancel_question_holds_the_run_and_names_what_a_confirmation_cancels() {
    let plan_file = write_plan(&week2_plan(), "gui-cancel-hold");
    let mut h = harness(plan_file.clone(), None);
    h.step();
    tick_manual_items(&mut h);
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Run all").click();
    step_until(&mut h, "a step running", Duration::from_secs(60), |h| h.state().run.current().is_some());
    h.get_by_label("Cancel…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Cancel the run?").is_some());
    // The step under way ends; no other starts while the question is open.
    // Held: the worker is idle and the step under way has been seen to end (its end and the
    // idle notice reach the window in separate frames).
    step_until(&mut h, "the run held after its step", Duration::from_secs(60), |h| {
        !h.state().busy && h.state().run.current().is_none()
    });
    let held: Vec<StepStatus> = h.state().run.steps.iter().map(|s| s.status).collect();
    let next = h.state().run.steps.iter().find(|s| s.status == StepStatus::Pending).unwrap().title.clone();
    std::thread::sleep(Duration::from_millis(600));
    h.run_steps(3);
    assert_eq!(h.state().run.steps.iter().map(|s| s.status).collect::<Vec<_>>(), held, "the run holds");
    assert!(
        h.query_by_label_contains(&format!(
            "The run is held between steps: nothing is running and nothing is rolled back. Cancelling now stops it before {next}"
        ))
        .is_some(),
        "the question says what a confirmation cancels now"
    );
    // Kept: the run goes on from where it held.
    h.get_by_label("Keep running").click();
    step_until(&mut h, "the run going on", Duration::from_secs(60), |h| {
        h.state().run.steps.iter().any(|s| s.title == next && s.status != StepStatus::Pending)
    });
    // Asked again, then confirmed: it stops where the question said.
    h.get_by_label("Cancel…").click();
    h.run_steps(1);
    step_until(&mut h, "the run held again", Duration::from_secs(60), |h| !h.state().busy && h.state().run.current().is_none());
    // The question as it reads once the run holds (its wording follows the run's state), then
    // the confirmation: a click on the question drawn before would reach a button no longer
    // there.
    h.run_steps(2);
    assert!(h.query_by_label_contains("The run is held between steps").is_some(), "the question says the run holds");
    let next = h.state().run.steps.iter().find(|s| s.status == StepStatus::Pending).map(|s| s.title.clone());
    h.get_by_label("Cancel the run").click();
    step_until(&mut h, "the cancelled run's verdict", Duration::from_secs(60), |h| h.state().run.result.is_some());
    let result = h.state().run.result.clone().unwrap();
    assert_eq!(result.outcome, pgstage::run_result::Outcome::Cancelled { step: next.unwrap() });
    assert!(result.migrations.iter().all(|m| m.status != MigrationStatus::Cancelled), "nothing was running to cancel");
    assert!(
        result
            .verdict
            .criteria
            .iter()
            .filter(|c| c.kind == pgstage::plan::CriterionKind::Hard)
            .all(|c| c.met != pgstage::run_result::Met::No),
        "what the cancel left unjudged is not reached, never not met: {:?}",
        result.verdict.criteria
    );
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}

#[test]
fn a_pause_during_a_long_statement_says_the_run_will_pause_after_this_step() {
    let mut loaded = week2_plan();
    loaded.plan.migrations[0].file = path("tests/fixtures/sql/900_slow.sql");
    let plan_file = write_plan(&loaded, "gui-pause");
    let mut h = harness(plan_file.clone(), None);
    h.step();
    tick_manual_items(&mut h);
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Run all").click();
    h.step();
    step_until(&mut h, "the migration's 30 s statement", Duration::from_secs(90), |h| {
        h.state().run.steps.get(1).is_some_and(|s| s.status == StepStatus::Running && s.what.starts_with("line 3"))
    });
    assert!(h.query_by_label("will pause after this step").is_none(), "nothing asked yet");
    h.get_by_label("Pause (Esc)").click();
    h.run_steps(2);
    assert!(h.state().busy, "the statement still runs (it sleeps 30 s)");
    assert!(h.query_by_label("will pause after this step").is_some(), "the pause is acknowledged while the step runs");
    assert!(
        h.query_all_by_label_contains("running: Migration 013").any(|n| n
            .accesskit_node()
            .label()
            .unwrap_or_default()
            .contains("— will pause after this step")),
        "and the progress bar says so"
    );
    h.get_by_label("Cancel…").click();
    h.run_steps(2);
    h.get_by_label("Cancel the run").click();
    step_until(&mut h, "the cancelled run's verdict", Duration::from_secs(30), |h| h.state().run.result.is_some());
    assert!(h.query_by_label("will pause after this step").is_none(), "a finished run is not pausing");
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}

#[test]
fn the_sandbox_start_says_each_step_beside_the_spinner_and_in_the_log() {
    let mut h = harness(path("plans/week2_staging.ron"), None);
    h.step();
    tick_manual_items(&mut h);
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Next step (Space)").click();
    // What the header said beside the spinner, frame by frame, until the run started.
    let mut said: Vec<String> = Vec::new();
    let start = std::time::Instant::now();
    while h.state().run.controls.is_none() {
        assert!(start.elapsed() < Duration::from_secs(120), "the run did not start: {}", h.state().log_text());
        if let Some(what) = h.state().preparing.clone()
            && said.last() != Some(&what)
        {
            // (The log pane below has the same words: the header's are at the top.)
            assert!(h.query_all_by_label(&what).any(|n| n.rect().top() < 70.0), "shown beside the spinner: {what}");
            said.push(what);
        }
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    assert!(said.first().is_some_and(|s| s.starts_with("starting the sandbox")), "{said:?}");
    // A cold start runs initdb; a warm one copies the seeded baseline from the cache (the
    // window uses the user's cache, which an earlier run may have filled).
    let first = ["initdb (creating the cluster)", "copying the seeded baseline from the cache"];
    assert!(said.iter().any(|s| first.iter().any(|f| *s == format!("starting the sandbox: {f}…"))), "{said:?}");
    let log = h.state().log_text();
    let at = |text: &str| log.find(text);
    let made = first.iter().find_map(|f| at(&format!("sandbox: {f}…"))).unwrap_or_else(|| panic!("initdb or the copy:\n{log}"));
    let (server, seeding) = (at("sandbox: starting the server…"), at("seeding the sandbox with the plan's baseline"));
    let (server, seeding) = (server.expect("the server's start in the log"), seeding.expect("the seeding in the log"));
    assert!(made < server && server < seeding, "in the order they happen:\n{log}");
    step_until(&mut h, "the pre-flight", Duration::from_secs(60), |h| !h.state().busy);
    assert!(h.state().preparing.is_none(), "nothing said once the run is under way");
}
