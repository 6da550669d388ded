//! The Charts tab (egui_plot): schema counts per object kind before / after / expected;
//! time per migration against its expected band; planned vs actual time per phase.

use std::collections::BTreeMap;

use egui::Color32;
use egui_plot::{Bar, BarChart, Legend, Plot};

use super::{AMBER, GREEN, GREY, section};
use crate::db::snapshot::Kind;
use crate::gui::app::PgstageApp;
use crate::gui::run_state::RunView;
use crate::plan::{Expect, LoadedPlan, Probe};

const KINDS: [(Kind, &str); 6] = [
    (Kind::Table, "tables"),
    (Kind::ForeignKey, "foreign keys"),
    (Kind::Policy, "policies"),
    (Kind::Index, "indexes"),
    (Kind::Function, "functions"),
    (Kind::Trigger, "triggers"),
];

const BLUE: Color32 = Color32::from_rgb(66, 133, 244);

pub fn show(app: &mut PgstageApp, ui: &mut egui::Ui) {
    let (Some(plan), Some(result)) = (&app.plan, &app.run.result) else {
        ui.label("Charts appear when a run has finished (Run tab).");
        return;
    };
    let half = (ui.available_height() / 2.0 - 40.0).max(180.0);
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        section(ui, "Schema: before, after, expected", |ui| {
            let expected = expected_counts(plan, &result.schema_counts.before);
            schema_chart(ui, &result.schema_counts.before, &result.schema_counts.after, &expected, half);
        });
        ui.columns(2, |cols| {
            section(&mut cols[0], "Time per migration (ms) against the expected range", |ui| migration_chart(ui, app, half));
            section(&mut cols[1], "Planned vs actual time per phase (log scale)", |ui| timeline_chart(ui, plan, &app.run, half));
        });
    });
}

/// The expected total per kind: from the plan's schema-summary thresholds (a `New…` metric
/// adds to the count before).
pub fn expected_counts(plan: &LoadedPlan, before: &BTreeMap<Kind, usize>) -> BTreeMap<Kind, f64> {
    let mut out = BTreeMap::new();
    for check in &plan.plan.schema_summary {
        let Probe::Metric(metric) = check.probe else { continue };
        let n = match check.expect {
            Expect::Equals(n) | Expect::AtLeast(n) => n as f64,
            Expect::Between(lo, _) => lo as f64,
            _ => continue,
        };
        let Some((kind, delta)) = crate::check::counted(metric) else { continue };
        let value = if delta { before.get(&kind).copied().unwrap_or(0) as f64 + n } else { n };
        out.entry(kind).or_insert(value);
    }
    out
}

fn schema_chart(
    ui: &mut egui::Ui,
    before: &BTreeMap<Kind, usize>,
    after: &BTreeMap<Kind, usize>,
    expected: &BTreeMap<Kind, f64>,
    height: f32,
) {
    let series = |name: &str, offset: f64, color: Color32, value: &dyn Fn(Kind) -> Option<f64>| {
        let bars = KINDS
            .iter()
            .enumerate()
            .filter_map(|(i, (k, label))| {
                value(*k).map(|v| Bar::new(i as f64 + offset, v).width(0.25).name(format!("{label}: {v}")))
            })
            .collect();
        BarChart::new(name, bars).color(color)
    };
    let before_chart = series("before", -0.27, GREY, &|k| before.get(&k).map(|v| *v as f64));
    let after_chart = series("after", 0.0, BLUE, &|k| after.get(&k).map(|v| *v as f64));
    let expected_chart = series("expected (threshold)", 0.27, AMBER, &|k| expected.get(&k).copied());
    dashboard("schema_chart", height).include_y(0.0).x_axis_formatter(|mark, _| category(mark.value, &KINDS.map(|k| k.1))).show(
        ui,
        |plot| {
            plot.bar_chart(before_chart);
            plot.bar_chart(after_chart);
            plot.bar_chart(expected_chart);
        },
    );
}

/// A plot for reading, not exploring: fixed view, legend, no zoom or drag.
fn dashboard<'a>(id: &str, height: f32) -> Plot<'a> {
    Plot::new(id).height(height).legend(Legend::default()).allow_zoom(false).allow_drag(false).allow_scroll(false)
}

/// The category label at an integer position of the x axis.
fn category(value: f64, labels: &[&str]) -> String {
    let i = value.round();
    if (value - i).abs() > 0.01 || i < 0.0 {
        return String::new();
    }
    labels.get(i as usize).map(|s| (*s).to_owned()).unwrap_or_default()
}

fn migration_chart(ui: &mut egui::Ui, app: &PgstageApp, height: f32) {
    let migrations = &app.run.migrations;
    let labels: Vec<String> = migrations.iter().map(|m| m.id.clone()).collect();
    let band = BarChart::new(
        "expected range",
        migrations
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.expected_ms.map(|r| (i, m, r)))
            .map(|(i, m, r)| {
                let (lo, hi) = (r.min() as f64, r.max() as f64);
                Bar::new(i as f64, hi - lo).base_offset(lo).width(0.6).name(format!("{}: expected {lo}–{hi} ms", m.id))
            })
            .collect(),
    )
    .color(AMBER.gamma_multiply(0.45));
    let actual = BarChart::new(
        "actual",
        migrations
            .iter()
            .enumerate()
            .map(|(i, m)| Bar::new(i as f64, m.duration_ms).width(0.3).name(format!("{}: {:.0} ms", m.id, m.duration_ms)))
            .collect(),
    )
    .color(GREEN);
    dashboard("migration_chart", height)
        .include_y(0.0)
        .y_axis_label("ms")
        .x_axis_formatter(move |mark, _| category(mark.value, &labels.iter().map(String::as_str).collect::<Vec<_>>()))
        .show(ui, |plot| {
            plot.bar_chart(band);
            plot.bar_chart(actual);
        });
}

/// Planned phase minutes from the plan's timeline; actual seconds from the run's steps,
/// mapped onto the same phases.
pub fn phase_times(plan: &LoadedPlan, run: &RunView) -> Vec<(String, f64, f64)> {
    use crate::engine::Step;
    let actual = |pred: &dyn Fn(Step) -> bool| -> f64 {
        run.steps.iter().filter(|s| pred(s.step)).filter_map(RunView::elapsed).map(|d| d.as_secs_f64()).sum()
    };
    plan.plan
        .timeline
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let phase = t.phase.to_lowercase();
            let seconds = if phase.contains("prep") {
                actual(&|s| s == Step::Preflight)
            } else if phase.contains("migration") {
                actual(&|s| matches!(s, Step::Migration(_)))
            } else if phase.contains("verif") {
                actual(&|s| matches!(s, Step::Verification | Step::Integrity))
            } else if phase.contains("post") {
                actual(&|s| matches!(s, Step::Performance | Step::Rollback))
            } else if phase.contains("doc") {
                actual(&|s| s == Step::Verdict)
            } else {
                let _ = i;
                0.0
            };
            (t.phase.clone(), t.minutes as f64 * 60.0, seconds)
        })
        .collect()
}

fn timeline_chart(ui: &mut egui::Ui, plan: &LoadedPlan, run: &RunView, height: f32) {
    let phases = phase_times(plan, run);
    let floor = -3.0; // 1 ms
    let log = |s: f64| s.max(0.001).log10();
    let labels: Vec<String> = phases.iter().map(|p| p.0.clone()).collect();
    let planned = BarChart::new(
        "planned",
        phases
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Bar::new(i as f64 + 0.18, log(p.1) - floor).base_offset(floor).width(0.32).name(format!(
                    "{}: planned {}",
                    p.0,
                    human(p.1)
                ))
            })
            .collect(),
    )
    .color(GREY)
    .horizontal();
    let actual = BarChart::new(
        "actual",
        phases
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Bar::new(i as f64 - 0.18, log(p.2) - floor).base_offset(floor).width(0.32).name(format!(
                    "{}: actual {}",
                    p.0,
                    human(p.2)
                ))
            })
            .collect(),
    )
    .color(BLUE)
    .horizontal();
    dashboard("timeline_chart", height)
        .include_x(floor)
        .include_x(log(5.0 * 3600.0))
        .x_axis_formatter(|mark, _| human(10f64.powf(mark.value)))
        .y_axis_formatter(move |mark, _| category(mark.value, &labels.iter().map(String::as_str).collect::<Vec<_>>()))
        .y_axis_min_width(110.0)
        .show(ui, |plot| {
            plot.bar_chart(planned);
            plot.bar_chart(actual);
        });
}

/// Seconds in words: "4 ms", "1.2 s", "30 min", "1.5 h".
pub fn human(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else if seconds < 3600.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}
