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

/// The lock timeline of the frozen GO run at 1024×700 and at 1600×1000: each relation's lane
/// is labelled with its name, visible (not clipped), no two labels overlap, and the legend is
/// above the plot where it covers no bar.
#[test]
fn the_lock_timeline_labels_every_lane_visibly_and_its_legend_covers_no_bar() {
    for size in [[1024.0, 700.0], [1600.0, 1000.0]] {
        let mut h = open("tests/fixtures/report/run_go.json", size);
        show(&mut h, Tab::Locks);
        let mut relations: Vec<String> = Vec::new();
        for m in &h.state().run.migrations {
            for l in m.trace.iter().flat_map(|t| &t.locks) {
                if !relations.contains(&l.relation) {
                    relations.push(l.relation.clone());
                }
            }
        }
        assert!(relations.len() >= 5, "{relations:?}");
        let mut labels: Vec<(String, Rect)> = Vec::new();
        let mut bars: Vec<Rect> = Vec::new();
        for ClippedShape { clip_rect, shape, .. } in &h.output().shapes {
            let mut flat = Vec::new();
            let mut stack = vec![shape.clone()];
            while let Some(s) = stack.pop() {
                match s {
                    Shape::Vec(v) => stack.extend(v),
                    s => flat.push(s),
                }
            }
            for s in flat {
                match s {
                    Shape::Text(t) if relations.iter().any(|r| r == t.galley.text()) => {
                        let rect = t.visual_bounding_rect();
                        assert!(
                            clip_rect.contains_rect(rect),
                            "{} is cut off at {size:?}: {rect:?} in {clip_rect:?}",
                            t.galley.text()
                        );
                        labels.push((t.galley.text().to_owned(), rect));
                    }
                    Shape::Rect(r) if r.stroke.color == AMBER && r.stroke.width > 0.0 => bars.push(r.rect),
                    _ => {}
                }
            }
        }
        for r in &relations {
            assert_eq!(
                labels.iter().filter(|(t, _)| t == r).count(),
                1,
                "the lane of {r} is labelled once at {size:?}: {labels:?}"
            );
        }
        for (i, (a, ra)) in labels.iter().enumerate() {
            for (b, rb) in &labels[i + 1..] {
                assert!(!ra.intersects(*rb), "{a} and {b} overlap at {size:?}");
            }
        }
        assert!(!bars.is_empty(), "the bars of locks that block writes are drawn");
        for entry in ["blocks writes", "a probe from another session was blocked"] {
            let legend = rect_of(&h, entry);
            assert!(bars.iter().all(|b| !b.intersects(legend)), "the legend's {entry:?} covers a bar at {size:?}");
            assert!(bars.iter().all(|b| legend.bottom() <= b.top()), "the legend is above the plot at {size:?}");
        }
    }
}

/// The window says where the run stands in its title, and Ctrl+1 … Ctrl+8 choose the tabs:
/// what a script (or a DBA with the window in the task bar) follows without clicking.
#[test]
fn the_title_says_where_the_run_stands_and_ctrl_digits_choose_the_tabs() {
    let mut h = open("tests/fixtures/report/run_go.json", [1600.0, 1000.0]);
    assert_eq!(h.state().window_title(), "pgstage — Week 2 Tuesday - Staging Validation — review, finished: GO");
    for (key, tab) in [(egui::Key::Num5, Tab::Locks), (egui::Key::Num6, Tab::Charts), (egui::Key::Num1, Tab::Plan)] {
        h.key_press_modifiers(egui::Modifiers::COMMAND, key);
        h.run_steps(2);
        assert_eq!(h.state().tab, tab, "{key:?}");
    }
    let mut h = super::harness(path("plans/week2_staging.ron"), None);
    h.run_steps(2);
    assert_eq!(h.state().window_title(), "pgstage — Week 2 Tuesday - Staging Validation — not started");
}
