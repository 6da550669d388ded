//! The small things a new user met in a day's walk through the window (issue 24 §3), each
//! where it shows, on frozen run results opened in review mode (no server): the schema
//! chart's legend in its series' colours, the Locks table whole at 1024×700 with each
//! statement's line kept, the lock count true after another run is opened, the Results
//! filter not carried over to another run, every migration row in view and a migration's
//! details opening on its tables and SQL, the Plan tab's announced objects of every kind.

use std::sync::Arc;

use egui::epaint::{ClippedShape, Shape};
use egui::{Color32, Rect};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pgstage::gui::app::Tab;
use pgstage::gui::dialog::FixedPaths;
use pgstage::gui::panels::{AMBER, GREY};
use pgstage::gui::{AppOptions, PgstageApp};

use super::runtime;
use crate::support::path;

fn open(file: &str, size: [f32; 2]) -> Harness<'static, PgstageApp> {
    let file = path(file);
    let mut h = Harness::builder().with_size(size).build_eframe(move |cc| {
        let dialogs = Arc::new(FixedPaths { plan: None, report: None });
        PgstageApp::new(cc, AppOptions { plan: Some(file), dialogs, runtime: runtime(), persist: false })
    });
    h.run_steps(3);
    assert!(h.state().review.is_some(), "{}", h.state().log_text());
    h
}

fn show(h: &mut Harness<'static, PgstageApp>, tab: Tab) {
    h.state_mut().tab = tab;
    h.run_steps(3);
}

/// Every shape painted in the last frame, nested ones included.
pub(crate) fn shapes(h: &Harness<'static, PgstageApp>) -> Vec<Shape> {
    fn flat(shape: &Shape, out: &mut Vec<Shape>) {
        match shape {
            Shape::Vec(v) => v.iter().for_each(|s| flat(s, out)),
            s => out.push(s.clone()),
        }
    }
    let mut out = Vec::new();
    for ClippedShape { shape, .. } in &h.output().shapes {
        flat(shape, &mut out);
    }
    out
}

fn rect_of(h: &Harness<'static, PgstageApp>, label: &str) -> Rect {
    h.get_by_label(label).rect()
}

#[test]
fn the_charts_legend_shows_each_series_in_its_colour() {
    let mut h = open("tests/fixtures/report/run_go.json", [1600.0, 1000.0]);
    show(&mut h, Tab::Charts);
    let dots: Vec<Color32> = shapes(&h)
        .iter()
        .filter_map(|s| match s {
            Shape::Circle(c) if c.radius < 6.0 => Some(c.fill),
            _ => None,
        })
        .collect();
    for (series, colour) in [("before", GREY), ("after", pgstage::gui::panels::phases::BLUE), ("expected (threshold)", AMBER)] {
        assert!(dots.contains(&colour), "the legend's dot of {series} is {colour:?}: {dots:?}");
    }
}

#[test]
fn the_locks_table_fits_at_1024_keeps_each_line_and_counts_true_after_another_run() {
    let mut h = open("tests/fixtures/report/run_go.json", [1024.0, 700.0]);
    show(&mut h, Tab::Locks);
    for column in ["Statement", "Lock", "Blocks", "Held (ms)", "Reads", "Writes"] {
        let r = rect_of(&h, column);
        assert!(r.right() <= 1024.0, "the {column} column is in the window: {r:?}");
    }
    assert!(
        h.query_all_by_label("line 24 · 013_create_positioning_campaigns.sql").next().is_some(),
        "the statement's line comes first: a narrow column cuts the file's name, not the line"
    );
    assert!(h.query_by_label("41 of 41 locks").is_some(), "an empty filter hides nothing");

    // Another run opened in the same window: its own locks, all of them.
    h.state_mut().open_plan(&path("tests/fixtures/report/run_failed_015.json"));
    show(&mut h, Tab::Locks);
    assert!(h.query_by_label("17 of 17 locks").is_some(), "the count is this run's, not the last one's order");
}

#[test]
fn the_results_tab_shows_every_migration_opens_details_on_tables_and_sql_and_forgets_the_filter() {
    let mut h = open("tests/fixtures/report/run_go.json", [1360.0, 880.0]);
    show(&mut h, Tab::Results);
    let last = rect_of(&h, "migrations/week2/017_create_alerts_notifications.sql");
    let checks = h.query_all_by_label("Checks").map(|n| n.rect()).find(|r| r.top() > 60.0).expect("the Checks section");
    assert!(last.bottom() <= checks.top(), "all five migrations in view, above the checks: {last:?} / {checks:?}");

    h.get_by_label("migrations/week2/014_create_gamification_achievements.sql").click();
    h.run_steps(3);
    let tables = h.get_by_label_contains("tables created: public.achievements").rect();
    let sql = rect_of(&h, "SQL, with each statement's time beside its first line:");
    assert!(tables.bottom() <= sql.top(), "the tables, then the SQL");
    assert!(
        h.query_all_by_label_contains("NOT NULL constraints:").next().is_none(),
        "the NOT NULL constraints' names are behind a closed line, not a wall above the SQL"
    );
    let others = h.get_by_label_contains("other objects created: ").rect();
    assert!(others.bottom() <= sql.top());
    assert!(h.query_by_label_contains("28 NOT NULL constraints").is_some(), "counted");

    h.state_mut().results.checks_table.filter = "PF-SIZE".into();
    h.run_steps(2);
    assert!(h.query_by_label_contains("1 of 62 checks").is_some());
    h.state_mut().open_plan(&path("tests/fixtures/report/run_failed_015.json"));
    show(&mut h, Tab::Results);
    assert_eq!(h.state().results.checks_table.filter, "", "another run starts with every check shown");
    let all = h.state().run.checks.len();
    assert!(h.query_by_label_contains(&format!("{all} of {all} checks")).is_some());
}

#[test]
fn the_plan_tab_says_every_kind_a_migration_announces() {
    let mut h = open("tests/fixtures/report/run_go.json", [1360.0, 880.0]);
    show(&mut h, Tab::Plan);
    assert!(
        h.query_by_label("5 tables, 12 indexes, 5 RLS policies, 2 triggers").is_some(),
        "013's policies and triggers are announced too"
    );
}
