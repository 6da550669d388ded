//! Questions the window asks before doing something that cannot be undone: discarding a
//! result that was not exported, and cancelling a run. Shown as a modal; nothing else reacts
//! until it is answered.

use std::path::PathBuf;

use egui::RichText;

use super::panels::{AMBER, RED};
use super::run_state::StepStatus;
use super::view::View;

#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    /// The finished run's result was not exported: lose it?
    Discard(Discarding),
    /// Cancel the run under way?
    Cancel,
}

/// What discarding the result is for.
#[derive(Debug, Clone, PartialEq)]
pub enum Discarding {
    ForNewRun,
    ForPlan(PathBuf),
}

/// Show `question`; `Some(answer)` once the operator answered.
pub fn show(question: &Confirm, view: &View, ctx: &egui::Context) -> Option<bool> {
    let (title, body, yes, no) = match question {
        Confirm::Discard(what) => {
            let then = match what {
                Discarding::ForNewRun => "Start a new run".to_owned(),
                Discarding::ForPlan(p) => format!("Open {}", p.display()),
            };
            let verdict = view.run.result.as_ref().map_or("", crate::report::content::verdict_word);
            (
                "Discard the result that was not exported?".to_owned(),
                format!(
                    "The finished run ({verdict}) has not been exported: {then} discards its result, sign-off and checklist. \
                     Export it first (Verdict & export) to keep it."
                ),
                "Discard the result",
                "Keep it",
            )
        }
        Confirm::Cancel => {
            let running = view.busy && view.run.current().is_some();
            let body = if running {
                let step = view.run.current().map(|i| &view.run.steps[i]);
                let what = step.map(|s| s.title.clone()).unwrap_or_default();
                let now = step.filter(|s| !s.what.is_empty()).map_or(String::new(), |s| format!(" (now: {})", s.what));
                format!(
                    "{what} is running{now}: cancelling now sends its statement PostgreSQL's cancel request and rolls back \
                     what it has not committed. The run ends NO-GO. While this question is open the run holds: no further \
                     step starts."
                )
            } else {
                let next = view.run.steps.iter().find(|s| s.status == StepStatus::Pending).map(|s| s.title.clone());
                format!(
                    "The run is held between steps: nothing is running and nothing is rolled back. Cancelling now stops it \
                     before {}; the remaining steps do not run and the run ends NO-GO.",
                    next.unwrap_or_else(|| "its end".into())
                )
            };
            ("Cancel the run?".to_owned(), body, "Cancel the run", "Keep running")
        }
    };
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("confirm")).show(ctx, |ui| {
        ui.set_max_width(480.0);
        ui.label(RichText::new(title).strong().size(16.0).color(AMBER));
        ui.add_space(6.0);
        ui.add(egui::Label::new(body).wrap());
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            if ui.button(RichText::new(yes).color(RED).strong()).on_hover_text("Go ahead").clicked() {
                answer = Some(true);
            }
            if ui.button(no).on_hover_text("Change nothing").clicked() {
                answer = Some(false);
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(false);
    }
    answer
}
