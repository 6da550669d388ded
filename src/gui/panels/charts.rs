//! The Charts tab (egui_plot): schema counts per object kind before / after / expected, each
//! bar labelled with its value; time per migration against its expected band, coloured as the
//! verdict judges it; planned vs actual time per phase ([`super::phases`]).

use std::collections::BTreeMap;

use egui::{Color32, RichText};
use egui_plot::{Bar, BarChart, Plot, PlotPoint, Text};

use super::phases::BLUE;
use super::{AMBER, GREEN, GREY, RED, legend_item, section};
use crate::db::snapshot::Kind;
use crate::gui::view::View;
use crate::plan::{Expect, LoadedPlan, Probe};
use crate::report::content::{self, Timing, fmt_ms};
use crate::run_result::{MigrationResult, MigrationStatus, RunResult};

const KINDS: [(Kind, &str); 6] = [
    (Kind::Table, "tables"),
    (Kind::ForeignKey, "foreign keys"),
    (Kind::Policy, "policies"),
    (Kind::Index, "indexes"),
    (Kind::Function, "functions"),
    (Kind::Trigger, "triggers"),
];

pub fn show(ui: &mut egui::Ui, view: &View) {
    let (Some(plan), Some(result)) = (view.plan, &view.run.result) else {
        ui.label("Charts appear when a run has finished (Run tab).");
        return;
    };
    let wide = ui.available_width() >= 1200.0;
    let height = ((ui.available_height() - 130.0) / if wide { 2.0 } else { 3.0 }).clamp(170.0, 420.0);
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        section(ui, "Schema: objects before, after, and the plan's threshold", |ui| schema_chart(ui, plan, result, height));
        let migrations = |ui: &mut egui::Ui| migration_chart(ui, &view.run.migrations, height);
        let phases = |ui: &mut egui::Ui| super::phases::show(ui, plan, view.run);
        if wide {
            ui.columns(2, |cols| {
                section(&mut cols[0], "Time per migration (ms) against the expected range", migrations);
                section(&mut cols[1], "Planned vs actual time per phase", phases);
            });
        } else {
            section(ui, "Time per migration (ms) against the expected range", migrations);
            section(ui, "Planned vs actual time per phase", phases);
        }
    });
}

/// A chart series: name, colour, and (category, value) per bar.
pub type Series = (&'static str, Color32, Vec<(&'static str, f64)>);

/// The schema chart's series in the legend's order.
pub fn schema_series(plan: &LoadedPlan, result: &RunResult) -> Vec<Series> {
    let counts = &result.schema_counts;
    let expected = expected_counts(plan, &counts.before);
    let of = |value: &dyn Fn(Kind) -> Option<f64>| KINDS.iter().filter_map(|(k, label)| value(*k).map(|v| (*label, v))).collect();
    vec![
        ("before", GREY, of(&|k| counts.before.get(&k).map(|v| *v as f64))),
        ("after", BLUE, of(&|k| counts.after.get(&k).map(|v| *v as f64))),
        ("expected (threshold)", AMBER, of(&|k| expected.get(&k).copied())),
    ]
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

fn schema_chart(ui: &mut egui::Ui, plan: &LoadedPlan, result: &RunResult, height: f32) {
    let series = schema_series(plan, result);
    let offsets = [-0.27, 0.0, 0.27];
    let mut labels = Vec::new();
    let charts: Vec<BarChart> = series
        .iter()
        .zip(offsets)
        .map(|((name, color, values), offset)| {
            let bars = values
                .iter()
                .map(|(label, v)| {
                    let i = KINDS.iter().position(|k| k.1 == *label).unwrap_or(0) as f64;
                    // The value over its bar, in the series' colour.
                    labels.push(
                        Text::new(*name, PlotPoint::new(i + offset, *v), format!("{v}"))
                            .color(*color)
                            .anchor(egui::Align2::CENTER_BOTTOM),
                    );
                    Bar::new(i + offset, *v).width(0.25).name(format!("{name} · {label}: {v}"))
                })
                .collect();
            BarChart::new(*name, bars).color(*color)
        })
        .collect();
    // Room above the tallest bar for its value.
    let top = series.iter().flat_map(|s| s.2.iter().map(|(_, v)| *v)).fold(0.0, f64::max);
    ui.horizontal_wrapped(|ui| {
        for (name, colour, _) in &series {
            legend_item(ui, *colour, name, true);
        }
    });
    dashboard("schema_chart", height)
        .include_y(0.0)
        .include_y(top * 1.12)
        .y_axis_label("objects")
        .x_axis_formatter(|mark, _| category(mark.value, &KINDS.map(|k| k.1)))
        .show(ui, |plot| {
            for chart in charts {
                plot.bar_chart(chart);
            }
            for label in labels {
                plot.text(label);
            }
        });
}

/// A plot for reading, not exploring: fixed view, no zoom or drag; its legend is above it.
fn dashboard<'a>(id: &str, height: f32) -> Plot<'a> {
    Plot::new(id).height(height).allow_zoom(false).allow_drag(false).allow_scroll(false)
}

/// The category label at an integer position of the x axis.
fn category(value: f64, labels: &[&str]) -> String {
    let i = value.round();
    if (value - i).abs() > 0.01 || i < 0.0 {
        return String::new();
    }
    labels.get(i as usize).map(|s| (*s).to_owned()).unwrap_or_default()
}

/// A migration's bar colour, as the verdict judges its time: within range green, a deviation
/// amber (faster) or red (slower), not measured grey (failed red).
pub fn timing_color(m: &MigrationResult) -> Color32 {
    match content::timing(m) {
        Timing::Within => GREEN,
        Timing::Faster => AMBER,
        Timing::Slower => RED,
        Timing::NotMeasured if matches!(m.status, MigrationStatus::Failed | MigrationStatus::Cancelled) => RED,
        Timing::NotMeasured => GREY,
    }
}

fn migration_chart(ui: &mut egui::Ui, migrations: &[MigrationResult], height: f32) {
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
        "actual (coloured by the verdict)",
        migrations
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let verdict = content::timing_text(m);
                Bar::new(i as f64, m.duration_ms).width(0.3).fill(timing_color(m)).name(format!(
                    "{}: actual {} ({verdict})",
                    m.id,
                    fmt_ms(m.duration_ms)
                ))
            })
            .collect(),
    )
    .color(GREY);
    let top = migrations
        .iter()
        .map(|m| m.expected_ms.map_or(m.duration_ms, |r| (r.max() as f64).max(m.duration_ms)))
        .fold(0.0, f64::max);
    ui.horizontal_wrapped(|ui| {
        legend_item(ui, AMBER.gamma_multiply(0.45), "expected range", false);
        ui.label(RichText::new("actual:").weak());
        for (colour, name) in
            [(GREEN, "within range"), (AMBER, "faster"), (RED, "slower or failed"), (GREY, "not applied by this run")]
        {
            legend_item(ui, colour, name, false);
        }
    });
    dashboard("migration_chart", height)
        .include_y(0.0)
        .include_y(top * 1.08)
        .y_axis_label("ms")
        .x_axis_formatter(move |mark, _| category(mark.value, &labels.iter().map(String::as_str).collect::<Vec<_>>()))
        .show(ui, |plot| {
            plot.bar_chart(band);
            plot.bar_chart(actual);
        });
}
