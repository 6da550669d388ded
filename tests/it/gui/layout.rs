//! Every tab at 1024×700: the Results details below the tables (never over them), the
//! Duration column in the window, the phase rows each with its times in words (planned,
//! actual, ratio, or why there is none); the charts' series in the legend's order and bars
//! coloured as the verdict judges them; light-theme input fields with a visible border; a
//! pre-flight detail of several lines cut at the window's edge.

use std::time::Duration;

use egui_kittest::kittest::Queryable;
use pgstage::gui::panels::{GREEN, charts, phases};
use pgstage::report::content::{Timing, timing};

use super::{run_all_until_verdict, sized_harness, tick_manual_items};
use crate::support::{week2_plan, write_plan};

#[test]
fn every_tab_works_at_1024_by_700_and_the_charts_read_right() {
    let plan_file = write_plan(&week2_plan(), "gui-small");
    let mut h = sized_harness(plan_file.clone(), None, [1024.0, 700.0]);
    h.step();
    tick_manual_items(&mut h);
    run_all_until_verdict(&mut h);
    let _ = Duration::ZERO;

    h.get_by_label("Results").click();
    h.run_steps(3);
    let duration = h.get_by_label("Duration (ms)").rect();
    assert!(duration.right() <= 1024.0, "the Duration column is in the window: {duration:?}");
    let details =
        h.get_by_label("Select a row (click anywhere on it) to see its SQL, timings, error and created objects.").rect();
    assert!(details.bottom() <= 700.0, "the details are on screen: {details:?}");
    let above =
        h.query_all_by_label("PASS").chain(h.query_all_by_label("WARN")).filter(|c| c.rect().bottom() <= details.top()).count();
    assert!(above >= 5, "the checks table keeps rows above the details: {above}");
    assert!(details.top() >= duration.bottom() + 5.0 * 20.0, "{details:?} under {duration:?}");

    h.get_by_label("Charts").click();
    h.run_steps(3);
    let (plan, run) = { (h.state().plan.clone().unwrap(), &h.state().run) };
    let rows = phases::phase_times(&plan, run);
    assert_eq!(rows.len(), plan.plan.timeline.len());
    for p in &rows {
        assert!(h.query_by_label(&p.phase).is_some(), "phase {} is named", p.phase);
        assert!(h.query_by_label(&p.text()).is_some(), "and has its times in words: {}", p.text());
    }
    let migration = rows.iter().find(|p| p.phase == "Migration execution").unwrap();
    assert!(migration.text().starts_with("actual ") && migration.text().contains(" of 30 min planned ("), "{}", migration.text());
    let docs = rows.iter().find(|p| p.actual.is_err()).expect("a phase no step does");
    assert!(docs.text().contains("no actual: "), "{}", docs.text());

    let result = h.state().run.result.clone().unwrap();
    let series = charts::schema_series(&plan, &result);
    assert_eq!(series.iter().map(|s| s.0).collect::<Vec<_>>(), ["before", "after", "expected (threshold)"]);
    let after_tables = series[1].2.iter().find(|(k, _)| *k == "tables").unwrap().1;
    assert_eq!(after_tables, result.schema_counts.after[&pgstage::db::snapshot::Kind::Table] as f64);
    for m in &result.migrations {
        assert_eq!(charts::timing_color(m) == GREEN, timing(m) == Timing::Within, "{} {:?}", m.id, timing(m));
    }

    for tab in ["Plan", "Connect & pre-flight", "Run", "Verdict & export (GO, rehearsal)"] {
        h.get_by_label(tab).click();
        h.run_steps(2);
        if tab == "Connect & pre-flight" {
            // PF-PLAN's detail, several lines long: its first, cut at the window's edge.
            let detail = h.get_by_label_contains("1 of 4: [announced-counts]").rect();
            assert!(detail.right() <= 1024.0, "the detail ends in the window: {detail:?}");
        }
    }
    assert!(h.get_by_label("GO").rect().right() <= 1024.0);

    h.get_by_label("Light theme").click();
    h.run_steps(2);
    let visuals = h.ctx.global_style().visuals.clone();
    assert!(!visuals.dark_mode);
    let border = visuals.widgets.inactive.bg_stroke;
    assert!(border.width >= 1.0 && border.color == pgstage::gui::panels::style::LIGHT_INPUT_BORDER, "{border:?}");
    assert_eq!(visuals.text_edit_bg_color(), egui::Color32::WHITE);
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}
