//! The Run tab: Run all / Next step (only once the manual checklist is complete) / Pause /
//! Cancel (confirmed) / New run, the overall progress and elapsed time, the steps with the
//! current one highlighted, and per migration its statements, time against the expected
//! range, the statement now running, and its SQL with per-statement timings. The panel has
//! no state of its own (the SQL listings' open or closed state is egui's): it draws the run
//! and sends the run's commands.

use egui::RichText;

use super::{AMBER, GREEN, GREY, RED, section, sql, style};
use crate::engine::Step;
use crate::gui::command::UiCommand;
use crate::gui::run_state::{RunView, StepStatus, StepView};
use crate::gui::view::View;
use crate::report::content::{self, Timing, fmt_ms};
use crate::run_result::{MigrationResult, MigrationStatus};

/// The Run tab.
#[derive(Debug, Default)]
pub struct RunPanel;

impl RunPanel {
    pub fn show(&mut self, ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
        controls(ui, view, commands);
        ui.horizontal(|ui| {
            let elapsed = view.run.total_elapsed().map(|d| format!("elapsed {}", seconds(d.as_secs_f64())));
            let width = (ui.available_width() - 140.0).max(120.0);
            ui.add(style::bar(view.run.fraction()).desired_width(width).show_percentage().text(overall_text(view)))
                .on_hover_text("Overall progress of the run");
            if let Some(elapsed) = elapsed {
                ui.label(RichText::new(elapsed).monospace()).on_hover_text("Wall-clock time since the run started");
            }
        });
        if let Some(state) = view.run.result.as_ref().and_then(crate::report::claims::target_state) {
            ui.add(egui::Label::new(RichText::new(state).color(AMBER)).wrap());
        }
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            section(ui, "Steps", |ui| steps(ui, view));
        });
    }
}

/// Seconds for people, through the reports' wording of milliseconds.
pub fn seconds(s: f64) -> String {
    if s >= 1.0 { format!("{s:.1} s") } else { fmt_ms(s * 1000.0) }
}

/// A pause was asked for while a step runs: the run stops when the step ends (a statement
/// under way is never interrupted by a pause).
pub fn pausing(view: &View) -> bool {
    view.busy && view.run.result.is_none() && view.run.controls.as_ref().is_some_and(|c| c.is_paused())
}

/// Where the run stands, in a few words (the progress bar's text, the window's title).
pub fn overall_text(view: &View) -> String {
    let run = view.run;
    match (&run.result, run.current()) {
        (Some(r), _) => format!("finished: {}", content::verdict_word(r)),
        (None, Some(i)) if pausing(view) => format!("running: {} — will pause after this step", run.steps[i].title),
        (None, Some(i)) => format!("running: {}", run.steps[i].title),
        (None, None) if run.active() => "paused between steps".into(),
        _ => "not started".into(),
    }
}

fn controls(ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
    let finished = view.run.result.is_some();
    let why_not = if view.run.active() { view.busy.then(|| "A step is running".to_owned()) } else { view.why_not_startable() };
    if let Some(review) = view.review {
        ui.label(
            RichText::new(format!(
                "A review of {}: the steps as the run recorded them. Nothing runs from a review.",
                review.path.display()
            ))
            .weak(),
        );
        return;
    }
    ui.horizontal(|ui| {
        if finished {
            if ui
                .add_enabled(!view.busy, egui::Button::new("New run…"))
                .on_hover_text("Start over: an empty checklist and sign-off (asks first when the result was not exported)")
                .clicked()
            {
                commands.push(UiCommand::NewRun);
            }
        } else {
            let can = why_not.is_none();
            let why = why_not.clone().unwrap_or_default();
            if ui
                .add_enabled(can, egui::Button::new("Run all"))
                .on_hover_text("Run every remaining step (F5)")
                .on_disabled_hover_text(&why)
                .clicked()
            {
                commands.push(UiCommand::RunAll);
            }
            if ui
                .add_enabled(can, egui::Button::new("Next step (Space)"))
                .on_hover_text("Run only the next step, then wait")
                .on_disabled_hover_text(&why)
                .clicked()
            {
                commands.push(UiCommand::NextStep);
            }
        }
        if pausing(view) {
            ui.add_enabled(false, egui::Button::new("Pausing…"))
                .on_disabled_hover_text("The step under way runs to its end; then the run waits for Next step or Run all");
            ui.label(RichText::new("will pause after this step").color(AMBER));
        } else if ui
            .add_enabled(view.run.active() && view.busy, egui::Button::new("Pause (Esc)"))
            .on_hover_text("Stop after the current step; continue with Next step or Run all")
            .clicked()
        {
            commands.push(UiCommand::Pause);
        }
        ui.add_space(16.0);
        if ui
            .add_enabled(view.run.active(), egui::Button::new("Cancel…"))
            .on_hover_text("Cancel the run (asks first): a running statement is cancelled and its migration rolled back")
            .clicked()
        {
            commands.push(UiCommand::Cancel);
        }
        let target = match &view.run.result {
            Some(r) if r.clone.is_some() => {
                "target: sandbox holding a clone of staging's schema (a rehearsal, not staging)".to_owned()
            }
            Some(r) if r.sandbox.is_some() => "target: sandbox (a rehearsal, not staging)".to_owned(),
            None if view.target_is_clone => {
                "target: sandbox holding a clone of staging's schema (a rehearsal, not staging)".into()
            }
            Some(r) => format!("target: {}", r.target),
            None if view.target_is_sandbox => "target: sandbox (a rehearsal, not staging)".into(),
            None => "target: staging connection (Connect tab)".to_owned(),
        };
        ui.label(RichText::new(target).weak());
    });
    if !finished && !view.run.active() && !view.unticked().is_empty() {
        ui.colored_label(AMBER, why_not.unwrap_or_default());
    }
}

/// A step's state in words.
pub fn step_word(s: &StepView) -> String {
    match s.status {
        StepStatus::Pending => "waiting".into(),
        StepStatus::Running => "running".into(),
        StepStatus::Done => "done".into(),
        StepStatus::Failed if s.failed_checks > 0 => format!("FAILED: {} failed", content::count_of(s.failed_checks, "checks")),
        StepStatus::Failed => "FAILED".into(),
        StepStatus::Cancelled => "CANCELLED".into(),
        StepStatus::NotRun => "not run".into(),
    }
}

fn steps(ui: &mut egui::Ui, view: &View) {
    if view.run.steps.is_empty() {
        ui.label("No run yet. Tick the manual checklist in the Plan tab, choose a target, then Run all or Next step.");
        return;
    }
    let plan = view.plan;
    for (i, s) in view.run.steps.iter().enumerate() {
        let color = match s.status {
            StepStatus::Pending | StepStatus::NotRun => GREY,
            StepStatus::Running => AMBER,
            StepStatus::Done => GREEN,
            StepStatus::Failed | StepStatus::Cancelled => RED,
        };
        let frame = egui::Frame::group(ui.style()).fill(if s.status == StepStatus::Running {
            ui.visuals().selection.bg_fill.gamma_multiply(0.35)
        } else {
            egui::Color32::TRANSPARENT
        });
        let migration = match s.step {
            Step::Migration(m) => plan.as_ref().and_then(|p| p.plan.migrations.get(m)).map(|m| m.id.clone()),
            _ => None,
        };
        let result = migration.as_ref().and_then(|id| view.run.migrations.iter().find(|r| &r.id == id));
        frame.show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{:>2}.", i + 1)).monospace());
                ui.label(RichText::new(&s.title).strong());
                match (&s.step, &view.run.result) {
                    // The verdict is decided however the run ended: never "not run".
                    (Step::Verdict, Some(r)) => {
                        let color = if r.verdict.go { GREEN } else { RED };
                        ui.label(RichText::new(content::verdict_word(r)).strong().color(color));
                    }
                    _ => {
                        ui.label(RichText::new(step_word(s)).strong().color(color));
                    }
                }
                // A migration's time is its statements' time, as on its bar and in the reports.
                let time = match &result {
                    Some(r) if r.status != MigrationStatus::NotRun => Some(r.duration_ms),
                    _ => RunView::elapsed(s).map(|t| t.as_secs_f64() * 1000.0),
                };
                if let Some(ms) = time
                    && s.step != Step::Verdict
                {
                    ui.label(RichText::new(fmt_ms(ms)).monospace());
                }
            });
            if s.status == StepStatus::Running
                && let Some(wait) = &view.run.lock_wait
            {
                lock_wait(ui, wait);
            }
            if let Step::Migration(m) = s.step {
                migration_bar(ui, view, m, s, result);
            } else if s.status == StepStatus::Running && s.progress.1 > 0 {
                ui.add(
                    style::bar(s.progress.0 as f32 / s.progress.1 as f32)
                        .text(format!("{}/{} · {}", s.progress.0, s.progress.1, s.what)),
                );
            }
        });
    }
}

fn migration_bar(ui: &mut egui::Ui, view: &View, index: usize, s: &StepView, result: Option<&MigrationResult>) {
    let Some(m) = view.plan.and_then(|p| p.plan.migrations.get(index)) else { return };
    let range = crate::plan::MsRange::label(m.expected_ms);
    let running = s.status == StepStatus::Running;
    let result = result.filter(|r| r.status != MigrationStatus::NotRun);
    if result.is_none() && !running {
        let why = if s.status == StepStatus::NotRun { "not run · " } else { "" };
        ui.label(RichText::new(format!("{why}expected {range}")).weak());
        return;
    }
    let total = result.map_or(s.progress.1, |r| r.statements).max(s.progress.1);
    let done = result.map_or(s.progress.0, |r| r.statements_done).max(s.progress.0);
    let fraction = if total > 0 { done as f32 / total as f32 } else { 0.0 };
    let timing = match result {
        Some(r) => {
            let status = content::migration_status_label(&r.status).to_lowercase();
            match content::timing(r) {
                Timing::Faster => format!("{} of {range} expected — faster than expected · {status}", fmt_ms(r.duration_ms)),
                Timing::Within => format!("{} of {range} expected — within range · {status}", fmt_ms(r.duration_ms)),
                Timing::Slower => format!("{} of {range} expected — SLOWER than expected · {status}", fmt_ms(r.duration_ms)),
                Timing::NotMeasured if r.status == MigrationStatus::AlreadyApplied => {
                    "already applied (ledger): not run again".to_owned()
                }
                Timing::NotMeasured => format!("{status} after {} · expected {range}", fmt_ms(r.duration_ms)),
            }
        }
        None => {
            let so_far = RunView::elapsed(s).map_or(String::new(), |t| format!("{} so far · ", seconds(t.as_secs_f64())));
            format!("{so_far}expected {range}")
        }
    };
    // Finished: the bar coloured as the verdict judges its time (green within the range,
    // amber faster, red slower or failed), as on the Charts tab; running: the theme's colour.
    let mut bar = style::bar(fraction).text(format!("{done}/{total} statements · {timing}"));
    if let Some(r) = result {
        bar = bar.fill(super::charts::timing_color(r).gamma_multiply(0.6));
    }
    ui.add(bar);
    if running && !s.what.is_empty() {
        let now = if done < total { format!("now running: {}", s.what) } else { format!("now: {}", s.what) };
        ui.label(RichText::new(now).monospace().color(AMBER));
    }
    let file = sql::file_of(view.plan, &m.id);
    if let Some(e) = result.and_then(|r| r.error.as_ref()) {
        ui.colored_label(RED, RichText::new(e).monospace());
        if let Some(path) = &file {
            sql::failing_line(ui, path, e);
        }
    }
    if let Some(path) = file {
        let running_line =
            if running { s.what.strip_prefix("line ").and_then(|w| w.split(':').next()?.parse().ok()) } else { None };
        egui::CollapsingHeader::new(format!("SQL and statement timings of {}", m.id)).id_salt(("run_sql", &m.id)).show(
            ui,
            |ui| {
                sql::listing(ui, &path, result, running_line);
            },
        );
    }
}

/// The statement waiting for another session's lock, and who holds it.
fn lock_wait(ui: &mut egui::Ui, wait: &crate::run_result::LockWait) {
    ui.label(
        RichText::new(format!("⏳ {} waits {:.1} s for {}", wait.statement, wait.waited_ms / 1000.0, wait.waiting_for))
            .color(AMBER)
            .strong(),
    );
    for b in &wait.blockers {
        ui.label(RichText::new(format!("   blocked by {}", b.describe())).monospace().color(AMBER));
    }
}
