//! The review mode: a frozen run result (`tests/fixtures/report/run_go.json`, as `pgstage run
//! --report` writes it) opened in the window without a server, every tab rendered from it, the
//! header saying whose run it is, where, when, on what, and that this is a review; the team
//! lead's sign-off exported with the original's SHA-256, the original left unchanged.

use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pgstage::gui::app::Tab;
use pgstage::gui::dialog::FixedPaths;
use pgstage::gui::panels::verdict::SignOffForm;
use pgstage::gui::{AppOptions, PgstageApp};

use super::runtime;
use crate::support::path;

fn open(file: std::path::PathBuf, size: [f32; 2]) -> Harness<'static, PgstageApp> {
    Harness::builder().with_size(size).build_eframe(move |cc| {
        let dialogs = Arc::new(FixedPaths { plan: None, report: None });
        PgstageApp::new(cc, AppOptions { plan: Some(file), dialogs, runtime: runtime(), persist: false })
    })
}

const HEADER: &str = "REVIEW (read-only) of run 20240206T093000Z-5a1e by a.kowalski on ";

#[test]
fn a_run_result_opens_read_only_in_every_tab_and_exports_a_sign_off_with_its_sha256() {
    // A copy, so that the test can tell the original is never written.
    let dir = std::env::temp_dir().join(format!("pgstage-review-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let original = dir.join("run_go.json");
    std::fs::copy(path("tests/fixtures/report/run_go.json"), &original).unwrap();
    let bytes = std::fs::read(&original).unwrap();
    let sha256 = pgstage::db::ledger::checksum(&bytes);

    let mut h = open(original.clone(), [1360.0, 880.0]);
    h.run_steps(3);
    assert!(h.state().review.is_some() && h.state().plan_error.is_none(), "{}", h.state().log_text());
    let target = &h.state().run.result.as_ref().unwrap().target.clone();
    assert!(
        h.query_by_label(&format!(
            "{HEADER}{target} (a sandbox rehearsal, PostgreSQL 15.18), 2024-02-06T09:30:00Z – 2024-02-06T09:30:01Z"
        ))
        .is_some(),
        "whose run, where, on what, when, and that it is a review"
    );
    assert!(h.query_by_label("GO").is_some(), "the Verdict tab first");

    for tab in Tab::ALL {
        h.state_mut().tab = tab;
        h.run_steps(2);
    }
    h.state_mut().tab = Tab::Results;
    h.run_steps(2);
    assert_eq!(h.query_all_by_label("APPLIED").count(), 5, "the migrations as run");
    h.state_mut().tab = Tab::Locks;
    h.run_steps(2);
    assert!(h.query_by_label_contains("Findings: 0 errors, 7 warnings").is_some());
    h.state_mut().tab = Tab::Charts;
    h.run_steps(2);
    assert!(h.query_by_label("Schema: objects before, after, and the plan's threshold").is_some());
    h.state_mut().tab = Tab::Run;
    h.run_steps(2);
    assert!(h.state().why_not_startable().is_some_and(|w| w.contains("review of an earlier run")), "nothing runs from a review");

    h.state_mut().tab = Tab::Verdict;
    h.state_mut().verdict.signoff = SignOffForm {
        name: "Lena Ortiz".into(),
        role: "Team Lead".into(),
        decision: "GO approved for staging".into(),
        comment: "Reviewed the rehearsal; staging run next Tuesday".into(),
    };
    // The original is never overwritten (what the Export button asks for: `UiCommand::Export`).
    h.state_mut().export_to(&original);
    h.run_steps(2);
    assert!(
        matches!(&h.state().verdict.export_status, Some(Err(e)) if e.contains("that is the run result under review")),
        "{:?}",
        h.state().verdict.export_status
    );
    let report = dir.join("review.md");
    h.state_mut().export_to(&report);
    h.run_steps(2);
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{e}: {}", h.state().log_text()));
    assert!(text.contains(&format!("(SHA-256 {sha256}), read unchanged")), "the original's checksum");
    assert!(
        text.contains("| Lena Ortiz | Team Lead | Decision: GO approved for staging. Reviewed the rehearsal"),
        "the sign-off"
    );
    assert_eq!(std::fs::read(&original).unwrap(), bytes, "the original run result is unchanged");
    let json = dir.join("review.json");
    h.state_mut().export_to(&json);
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(value["reviewed_from"]["sha256"], sha256.as_str());
    assert_eq!(value["signoff"][0]["decision"], "GO approved for staging");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_review_header_and_the_sandbox_badge_fit_at_1024_by_700() {
    let mut h = open(path("tests/fixtures/report/run_go.json"), [1024.0, 700.0]);
    h.run_steps(3);
    let header = h.get_by_label_contains(HEADER).rect();
    assert!(header.right() <= 1024.0, "{header:?}");
    let badge = h.get_by_label("SANDBOX REHEARSAL — not staging").rect();
    assert!(badge.right() <= 1024.0 && badge.height() < 24.0, "the badge is whole, on one line: {badge:?}");
}

#[test]
fn a_file_that_is_no_run_result_says_so() {
    let dir = std::env::temp_dir().join(format!("pgstage-review-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("plan.json");
    std::fs::write(&bad, "{\"name\": \"not a run\"}").unwrap();
    let mut h = open(bad, [1360.0, 880.0]);
    h.run_steps(2);
    assert!(h.state().review.is_none());
    assert!(
        h.query_all_by_label_contains("not a pgstage run result (line 1, column").next().is_some(),
        "{}",
        h.state().log_text()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_reviewed_run_compared_with_the_staging_run_shows_what_differs() {
    let mut h = open(path("tests/fixtures/report/run_go.json"), [1360.0, 880.0]);
    h.run_steps(3);
    h.get_by_label("Compare").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Compare this run (A) with another run result (B)").is_some());

    // A file that is no run result: said in the tab, nothing compared.
    h.get_by_role(egui::accesskit::Role::TextInput).click();
    h.run_steps(1);
    h.get_by_role(egui::accesskit::Role::TextInput).type_text("plans/week2_staging.ron");
    h.run_steps(1);
    assert_eq!(h.state().compare.path, "plans/week2_staging.ron");
    h.get_by_label("Read B and compare").click();
    h.run_steps(2);
    let said = h.state().compare.error.clone().unwrap_or_default();
    assert!(said.contains("not a pgstage run result (line 1, column"), "{said}");
    assert!(h.query_by_label(&said).is_some(), "said in the tab (the log has it with its time)");
    assert!(h.state().compare.compared.is_none());

    h.state_mut().compare.path = path("tests/fixtures/report/run_staging.json").display().to_string();
    h.get_by_label("Read B and compare").click();
    h.run_steps(3);
    assert!(h.query_by_label("7 differences between A and B").is_some(), "{}", h.state().log_text());
    assert!(h.query_by_label_contains("B: run 20240213T093000Z-7c2f on dba@staging-db.internal:5432/app_staging").is_some());
    assert!(h.query_by_label("Plan: the same file in both runs (same checksum).").is_some());
    for cell in
        ["PF-SIZE (preflight): Database size: ~244 MB (record baseline)", "WARN · 10.4 MB", "PASS · 243.8 MB", "521 ms (SLOWER)"]
    {
        assert!(h.query_all_by_label(cell).next().is_some(), "{cell} is shown");
    }
    assert!(h.query_by_label("×4.00").is_some(), "015's ratio in the timings");
    assert!(h.query_by_label_contains("The same in both: ").is_some());

    // Another run opened: the comparison was of the last one, it is gone.
    h.state_mut().open_plan(&path("tests/fixtures/report/run_failed_015.json"));
    h.run_steps(3);
    assert!(h.state().compare.compared.is_none());
}

#[test]
fn the_run_tab_of_a_review_shows_the_steps_as_recorded_and_no_controls() {
    let mut h = open(path("tests/fixtures/report/run_failed_015.json"), [1360.0, 880.0]);
    h.run_steps(3);
    h.get_by_label("Run").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("No run yet").is_none(), "a review is a run, not none");
    assert!(h.query_by_label_contains("Nothing runs from a review.").is_some());
    assert!(h.query_by_label("New run…").is_none() && h.query_by_label("Run all").is_none(), "no run controls");
    for step in ["Pre-flight", "Migration 013 – Positioning & campaigns", "Migration 015 – Agent registry", "Verdict"] {
        assert!(h.query_by_label(step).is_some(), "{step} is listed");
    }
    assert!(h.query_by_label("FAILED").is_some(), "015 failed");
    assert!(h.query_by_label("NO-GO").is_some(), "the verdict step shows the verdict");
}

/// A staging run's drift, reviewed: the Connect & pre-flight tab lists each difference in a
/// Drift table (kind, object, the sentence), as the reports do.
#[test]
fn a_reviewed_run_shows_its_drift_on_the_preflight_tab() {
    let dir = std::env::temp_dir().join(format!("pgstage-review-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("tests/fixtures/report/run_go.json")).unwrap()).unwrap();
    value["drift"] = serde_json::json!([
        {"kind": "index", "object": "public.audit_log_created_idx",
         "what": "staging has index public.audit_log_created_idx that the rehearsal did not"},
        {"kind": "column", "object": "public.users",
         "what": "public.users.legacy_flag exists only on staging (boolean)"}
    ]);
    let file = dir.join("run_drift.json");
    std::fs::write(&file, serde_json::to_vec(&value).unwrap()).unwrap();
    let mut h = open(file, [1360.0, 880.0]);
    h.run_steps(3);
    h.state_mut().tab = Tab::Connect;
    h.run_steps(2);
    assert!(h.query_by_label("Drift from the rehearsed baseline: 2 differences").is_some(), "the table's heading");
    assert!(h.query_by_label("public.users.legacy_flag exists only on staging (boolean)").is_some());
    assert!(h.query_by_label("public.audit_log_created_idx").is_some(), "the object in its own column");
    std::fs::remove_dir_all(&dir).unwrap();
}
