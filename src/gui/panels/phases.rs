//! Planned vs actual time per phase of the plan's timeline, on one linear scale per row (no
//! log axis that makes 0.7 s look like half of 30 minutes): the planned time as a bar, the
//! actual time inside it, both in words with their ratio, and the reason when a phase has no
//! actual time.

use egui::{Color32, RichText};

use super::{GREY, run::seconds};
use crate::engine::Step;
use crate::gui::run_state::{RunView, StepStatus};
use crate::plan::LoadedPlan;

pub const BLUE: Color32 = Color32::from_rgb(66, 133, 244);

/// One phase: planned seconds, and the actual wall-clock seconds of its steps or why none.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseTime {
    pub phase: String,
    pub planned_s: f64,
    pub actual: Result<f64, String>,
}

impl PhaseTime {
    /// "actual 0.7 s of 30 min planned (0.04 %)", or why there is none.
    pub fn text(&self) -> String {
        match &self.actual {
            Ok(s) => format!(
                "actual {} of {} planned ({})",
                seconds(*s),
                human(self.planned_s),
                percent(*s / self.planned_s.max(f64::MIN_POSITIVE))
            ),
            Err(why) => format!("{} planned · no actual: {why}", human(self.planned_s)),
        }
    }
}

fn percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p >= 10.0 {
        format!("{p:.0} %")
    } else if p >= 0.1 {
        format!("{p:.1} %")
    } else if p >= 0.01 {
        format!("{p:.2} %")
    } else {
        "< 0.01 %".into()
    }
}

/// The steps of the run that do a phase (by the phase's name), or why none does.
fn steps_for(phase: &str) -> Result<fn(Step) -> bool, &'static str> {
    let phase = phase.to_lowercase();
    if phase.contains("prep") {
        Ok(|s| s == Step::Preflight)
    } else if phase.contains("migration") {
        Ok(|s| matches!(s, Step::Migration(_)))
    } else if phase.contains("verif") {
        Ok(|s| matches!(s, Step::Verification | Step::Integrity))
    } else if phase.contains("post") {
        Ok(|s| matches!(s, Step::Performance | Step::Rollback))
    } else {
        Err("no step of pgstage's run does this phase (it is people's work: documentation, sign-off)")
    }
}

/// Planned time per phase from the plan's timeline; actual wall-clock time from the run's
/// steps mapped onto the same phases.
pub fn phase_times(plan: &LoadedPlan, run: &RunView) -> Vec<PhaseTime> {
    plan.plan
        .timeline
        .iter()
        .map(|t| {
            let actual = steps_for(&t.phase).map_err(str::to_owned).and_then(|pred| {
                let steps: Vec<_> = run.steps.iter().filter(|s| pred(s.step)).collect();
                if steps.is_empty() {
                    return Err("the plan has no step for it".into());
                }
                if steps.iter().all(|s| matches!(s.status, StepStatus::Pending | StepStatus::NotRun)) {
                    return Err("its steps did not run (the run stopped before them)".into());
                }
                Ok(steps.iter().filter_map(|s| RunView::elapsed(s)).map(|d| d.as_secs_f64()).sum())
            });
            PhaseTime { phase: t.phase.clone(), planned_s: t.minutes as f64 * 60.0, actual }
        })
        .collect()
}

/// One row per phase: name, bars, and the times in words (readable at any width).
pub fn show(ui: &mut egui::Ui, plan: &LoadedPlan, run: &RunView) {
    let phases = phase_times(plan, run);
    let scale = phases.iter().map(|p| p.planned_s.max(*p.actual.as_ref().unwrap_or(&0.0))).fold(1.0, f64::max);
    egui::Grid::new("phase_rows").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
        for p in &phases {
            ui.label(RichText::new(&p.phase).strong());
            ui.vertical(|ui| {
                let width = (ui.available_width() - 8.0).max(160.0);
                let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 18.0), egui::Sense::hover());
                let painter = ui.painter_at(rect);
                let x = |s: f64| rect.left() + (s / scale).clamp(0.0, 1.0) as f32 * rect.width();
                let planned = egui::Rect::from_min_max(rect.min, egui::pos2(x(p.planned_s), rect.bottom()));
                painter.rect_filled(planned, 2.0, GREY.gamma_multiply(0.55));
                if let Ok(actual) = p.actual {
                    // At least 2 px, so a time far under plan is still seen as a sliver.
                    let right = x(actual).max(rect.left() + 2.0);
                    let bar = egui::Rect::from_min_max(
                        egui::pos2(rect.left(), rect.top() + 4.0),
                        egui::pos2(right, rect.bottom() - 4.0),
                    );
                    painter.rect_filled(bar, 1.0, BLUE);
                }
                let text = p.text();
                response.on_hover_text(format!("{}: {text}", p.phase));
                let color = if p.actual.is_ok() { ui.visuals().text_color() } else { GREY };
                ui.label(RichText::new(text).color(color));
            });
            ui.end_row();
        }
    });
    ui.label(
        RichText::new(
            "Grey: planned time · blue: actual wall-clock time of the run's steps for the phase, on the same linear scale.",
        )
        .weak(),
    );
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
