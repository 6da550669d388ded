//! The window's panels: the top bar, the log pane, and one module per tab. Each tab's panel
//! is a struct that owns its UI state (tables, filters, form fields) and draws from a
//! read-only [`View`]; the operator's actions are pushed as [`UiCommand`]s.

pub mod charts;
pub mod compare;
pub mod connect;
pub mod locks;
pub mod phases;
pub mod plan;
pub mod result_rows;
pub mod results;
pub mod run;
pub mod sql;
pub mod style;
pub mod verdict;

use egui::{Color32, RichText};

pub use compare::ComparePanel;
pub use connect::ConnectPanel;
pub use locks::LocksPanel;
pub use plan::PlanPanel;
pub use results::ResultsPanel;
pub use run::RunPanel;
pub use verdict::VerdictPanel;

use super::app::Tab;
use super::command::UiCommand;
use super::dialog::Pick;
use super::log::Level;
use super::view::View;
use crate::run_result::Status;

pub const GREEN: Color32 = Color32::from_rgb(46, 160, 67);
pub const RED: Color32 = Color32::from_rgb(218, 54, 51);
pub const AMBER: Color32 = Color32::from_rgb(210, 153, 34);
pub const GREY: Color32 = Color32::from_rgb(130, 130, 130);

pub fn status_color(status: Status) -> Color32 {
    match status {
        Status::Pass => GREEN,
        Status::Fail => RED,
        Status::Warn => AMBER,
        Status::NotApplicable | Status::Skipped => GREY,
    }
}

/// A status as a coloured label.
pub fn status_label(ui: &mut egui::Ui, status: Status) {
    ui.label(RichText::new(status.label()).strong().color(status_color(status)));
}

/// The top bar: plan name, theme, export, recent plans, open; the tabs (`tab` is the one
/// shown), the run's progress, the worker's spinner and the sandbox's warning.
pub fn top_bar(ui: &mut egui::Ui, view: &View, tab: Tab, commands: &mut Vec<UiCommand>) {
    egui::Panel::top("top_bar").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.heading("pgstage");
            if let Some(plan) = view.plan {
                ui.label(RichText::new(&plan.plan.name).strong());
                ui.label(RichText::new(&plan.plan.phase).weak());
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let theme = if view.settings.dark { "Light theme" } else { "Dark theme" };
                if ui.button(theme).on_hover_text("Switch between the dark and the light theme").clicked() {
                    commands.push(UiCommand::ToggleTheme);
                }
                let exportable = view.run.result.is_some();
                if ui
                    .add_enabled(exportable, egui::Button::new("Export report… (Ctrl+E)"))
                    .on_hover_text(format!("Save the execution report: {} (JUnit)", crate::report::Format::choices()))
                    .on_disabled_hover_text("Finish a run first")
                    .clicked()
                {
                    commands.push(UiCommand::AskPath(Pick::SaveReport));
                }
                ui.menu_button("Recent plans", |ui| {
                    if view.settings.recent_plans.is_empty() {
                        ui.label("none yet");
                    }
                    for path in &view.settings.recent_plans {
                        if ui.button(path.display().to_string()).on_hover_text("Open this plan again").clicked() {
                            commands.push(UiCommand::OpenPlan(path.clone()));
                            ui.close();
                        }
                    }
                })
                .response
                .on_hover_text("Plans opened before");
                if ui
                    .button("Open plan… (Ctrl+O)")
                    .on_hover_text("Open a plan file (.ron), a run-book (.md), or a run result (.json) to review it")
                    .clicked()
                {
                    commands.push(UiCommand::AskPath(Pick::OpenPlan));
                }
            });
        });
        if let (Some(_), Some(r)) = (view.review, &view.run.result) {
            ui.add(egui::Label::new(RichText::new(crate::gui::review::header_line(r)).strong().color(AMBER)).wrap());
        }
        ui.add_space(2.0);
        ui.horizontal_wrapped(|ui| {
            for t in Tab::ALL {
                let text = match (t, &view.run.result) {
                    (Tab::Verdict, Some(r)) => format!(
                        "{} ({}{})",
                        t.label(),
                        crate::report::content::verdict_word(r),
                        if r.sandbox.is_some() { ", rehearsal" } else { "" }
                    ),
                    _ => t.label().to_owned(),
                };
                let n = Tab::ALL.iter().position(|x| *x == t).unwrap_or(0) + 1;
                if ui.selectable_label(tab == t, text).on_hover_text(format!("{} (Ctrl+{n})", tab_help(t))).clicked() {
                    commands.push(UiCommand::ShowTab(t));
                }
            }
            if view.run.active() || view.run.result.is_some() {
                let bar = style::bar(view.run.fraction()).desired_width(160.0).show_percentage();
                ui.add(bar).on_hover_text("Steps of the run done so far");
            }
            if view.busy {
                ui.spinner();
                if let Some(what) = view.preparing {
                    ui.label(RichText::new(what).color(AMBER));
                }
            }
            let (sandbox, clone) = match &view.run.result {
                Some(r) => (r.sandbox.is_some(), r.clone.is_some()),
                None => (view.target_is_sandbox, view.target_is_clone),
            };
            if sandbox {
                let (label, seeded) = match clone {
                    true => {
                        ("SANDBOX REHEARSAL on a clone of staging's schema — not staging", "a clone of staging's schema (no row)")
                    }
                    false => ("SANDBOX REHEARSAL — not staging", "the plan's baseline"),
                };
                // Whole, on the next row when the tabs leave no room (never cut, never split).
                ui.add(egui::Label::new(RichText::new(label).strong().color(AMBER)).extend()).on_hover_text(format!(
                    "This run is on a throwaway local sandbox seeded with {seeded}: a rehearsal, not a staging validation"
                ));
            }
        });
        ui.add_space(4.0);
    });
}

fn tab_help(tab: Tab) -> &'static str {
    match tab {
        Tab::Plan => "The plan: metadata, timeline, migrations, checks, and the manual checklist",
        Tab::Connect => "Where to run (sandbox or staging) and the pre-flight results",
        Tab::Run => "Step through the run: progress, timings, live log",
        Tab::Results => "Migrations and checks in sortable, filterable tables",
        Tab::Locks => "What each statement locked, for how long, what it blocked; findings with the safer pattern",
        Tab::Charts => "Schema counts, migration timings, planned vs actual timeline",
        Tab::Verdict => "GO / NO-GO with every criterion; sign-off and export",
        Tab::Compare => "This run beside another run of the plan (e.g. the rehearsal and the staging run): what differs",
    }
}

/// The log pane: every line with its time and severity; clear, copy.
pub fn log_pane(ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
    egui::Panel::bottom("log").resizable(true).default_size(100.0).min_size(60.0).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.strong("Log");
            if ui.small_button("Clear").on_hover_text("Clear the log pane").clicked() {
                commands.push(UiCommand::ClearLog);
            }
            if ui.small_button("Copy").on_hover_text("Copy the whole log").clicked() {
                ui.ctx().copy_text(super::log::text(view.log));
            }
        });
        egui::ScrollArea::vertical().stick_to_bottom(true).auto_shrink([false, false]).show(ui, |ui| {
            for line in view.log {
                let color = match line.level {
                    Level::Info => ui.visuals().text_color(),
                    Level::Success => GREEN,
                    Level::Warning => AMBER,
                    Level::Error => RED,
                };
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&line.at).monospace().size(12.0).weak()).on_hover_text("UTC");
                    ui.label(RichText::new(line.label()).monospace().size(12.0).color(color));
                    ui.add(egui::Label::new(RichText::new(&line.text).monospace().size(12.0).color(color)).wrap());
                });
            }
        });
    });
}

/// A titled group.
/// A chart's legend entry, drawn above its chart (inside, a legend covers bars): a dot (`round`)
/// or a bar's swatch in the series' colour, and its name.
pub fn legend_item(ui: &mut egui::Ui, colour: Color32, name: &str, round: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(if round { 10.0 } else { 14.0 }, 10.0), egui::Sense::hover());
    if round {
        ui.painter().circle_filled(rect.center(), 4.0, colour);
    } else {
        ui.painter().rect_filled(rect, 2.0, colour);
    }
    ui.label(name);
    ui.add_space(10.0);
}

pub fn section(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui)) {
    ui.add_space(6.0);
    ui.label(RichText::new(title).strong().size(16.0));
    ui.separator();
    add(ui);
}
