//! The Run tab: Run all / Next step / Pause / Cancel, the overall progress, the steps with
//! the current one highlighted, and a bar per migration (statements done / total) with its
//! elapsed time against the expected range.

use egui::RichText;

use super::{AMBER, GREEN, GREY, RED, section};
use crate::engine::{MigrationStatus, Step};
use crate::gui::app::PgstageApp;
use crate::gui::run_state::{RunView, StepStatus};

pub fn show(app: &mut PgstageApp, ui: &mut egui::Ui) {
    controls(app, ui);
    ui.add(egui::ProgressBar::new(app.run.fraction()).show_percentage().text(overall_text(&app.run)))
        .on_hover_text("Overall progress of the run");
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        section(ui, "Steps", |ui| steps(app, ui));
    });
}

fn overall_text(run: &RunView) -> String {
    match (&run.result, run.current()) {
        (Some(r), _) => format!("finished: {}", if r.verdict.go { "GO" } else { "NO-GO" }),
        (None, Some(i)) => format!("running: {}", run.steps[i].title),
        (None, None) if run.active() => "paused between steps".into(),
        _ => "not started".into(),
    }
}

fn controls(app: &mut PgstageApp, ui: &mut egui::Ui) {
    let has_plan = app.plan.is_some();
    let finished = app.run.result.is_some();
    ui.horizontal(|ui| {
        let start_label = if finished { "Run again" } else { "Run all" };
        let can_run = has_plan && !app.busy;
        if ui.add_enabled(can_run, egui::Button::new(start_label)).on_hover_text("Run every remaining step").clicked() {
            if finished {
                app.run = Default::default();
            }
            app.run_command(true);
        }
        if ui
            .add_enabled(can_run && !finished, egui::Button::new("Next step (Space)"))
            .on_hover_text("Run only the next step, then wait")
            .clicked()
        {
            app.run_command(false);
        }
        if ui
            .add_enabled(app.run.active() && app.busy, egui::Button::new("Pause (Esc)"))
            .on_hover_text("Stop after the current step; continue with Next step or Run all")
            .clicked()
        {
            app.pause();
        }
        if ui
            .add_enabled(app.run.active(), egui::Button::new("Cancel"))
            .on_hover_text("Cancel the running statement (PostgreSQL cancel request); its migration is rolled back")
            .clicked()
        {
            app.cancel();
        }
        let target = match app.conn.mode {
            crate::gui::app::ConnMode::Sandbox => "target: sandbox".to_owned(),
            _ => "target: staging connection (Connect tab)".to_owned(),
        };
        ui.label(RichText::new(target).weak());
    });
}

fn steps(app: &mut PgstageApp, ui: &mut egui::Ui) {
    if app.run.steps.is_empty() {
        ui.label("No run yet. Tick the manual checklist in the Plan tab, choose a target, then Run all or Next step.");
        return;
    }
    let plan = app.plan.clone();
    for (i, s) in app.run.steps.clone().iter().enumerate() {
        let (mark, color) = match s.status {
            StepStatus::Pending => ("waiting", GREY),
            StepStatus::Running => ("running", AMBER),
            StepStatus::Done => ("done", GREEN),
            StepStatus::Failed => ("stopped", RED),
        };
        let frame = egui::Frame::group(ui.style()).fill(if s.status == StepStatus::Running {
            ui.visuals().selection.bg_fill.gamma_multiply(0.35)
        } else {
            egui::Color32::TRANSPARENT
        });
        frame.show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{:>2}.", i + 1)).monospace());
                ui.label(RichText::new(&s.title).strong());
                ui.label(RichText::new(mark).color(color));
                if let Some(t) = RunView::elapsed(s) {
                    ui.label(RichText::new(format!("{:.0} ms", t.as_secs_f64() * 1000.0)).monospace());
                }
            });
            if s.status == StepStatus::Running
                && let Some(wait) = &app.run.lock_wait
            {
                lock_wait(ui, wait);
            }
            if let Step::Migration(m) = s.step {
                migration_bar(app, ui, plan.as_ref(), m, s);
            } else if s.status == StepStatus::Running && s.progress.1 > 0 {
                ui.add(
                    egui::ProgressBar::new(s.progress.0 as f32 / s.progress.1 as f32)
                        .text(format!("{}/{} · {}", s.progress.0, s.progress.1, s.what)),
                );
            }
        });
    }
}

fn migration_bar(
    app: &PgstageApp,
    ui: &mut egui::Ui,
    plan: Option<&crate::plan::LoadedPlan>,
    index: usize,
    s: &crate::gui::run_state::StepView,
) {
    let Some(m) = plan.and_then(|p| p.plan.migrations.get(index)) else { return };
    let result = app.run.migrations.iter().find(|r| r.id == m.id);
    let total = result.map_or(s.progress.1, |r| r.statements).max(s.progress.1);
    let done = result.map_or(s.progress.0, |r| r.statements_done).max(s.progress.0);
    let fraction = if total > 0 { done as f32 / total as f32 } else { 0.0 };
    let elapsed_ms = result
        .filter(|r| r.duration_ms > 0.0)
        .map(|r| r.duration_ms)
        .or_else(|| RunView::elapsed(s).map(|t| t.as_secs_f64() * 1000.0));
    let timing = match (elapsed_ms, m.expected_ms) {
        (Some(ms), Some(r)) => {
            let side = if ms < r.min() as f64 {
                " — faster than expected"
            } else if ms > r.max() as f64 {
                " — slower than expected"
            } else {
                " — within range"
            };
            format!("{ms:.0} ms of {}–{} ms expected{side}", r.min(), r.max())
        }
        (Some(ms), None) => format!("{ms:.0} ms (time not judged)"),
        (None, range) => format!("expected {}", crate::plan::MsRange::label(range)),
    };
    let status = result.map(|r| match r.status {
        MigrationStatus::Applied => "applied",
        MigrationStatus::AlreadyApplied => "already applied (ledger)",
        MigrationStatus::Failed => "failed",
        MigrationStatus::Cancelled => "cancelled",
        MigrationStatus::NotRun => "not run",
    });
    if result.is_none() && s.status == crate::gui::run_state::StepStatus::Pending {
        ui.label(RichText::new(timing).weak());
        return;
    }
    ui.add(
        egui::ProgressBar::new(fraction)
            .text(format!("{done}/{total} statements · {timing}{}", status.map(|s| format!(" · {s}")).unwrap_or_default())),
    );
    if let Some(e) = result.and_then(|r| r.error.as_ref()) {
        ui.colored_label(RED, RichText::new(e).monospace());
    }
}

/// The statement waiting for another session's lock, and who holds it.
fn lock_wait(ui: &mut egui::Ui, wait: &crate::engine::LockWait) {
    ui.label(
        RichText::new(format!("⏳ {} waits {:.1} s for {}", wait.statement, wait.waited_ms / 1000.0, wait.waiting_for))
            .color(AMBER)
            .strong(),
    );
    for b in &wait.blockers {
        ui.label(RichText::new(format!("   blocked by {}", b.describe())).monospace().color(AMBER));
    }
}
