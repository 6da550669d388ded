//! The Verdict & export tab: GO / NO-GO large and clear with every criterion and its reason
//! (a sandbox run says plainly that it is a rehearsal, not a staging validation), sign-off
//! fields that go into the report, and the export (a native save dialog, or a path: Enter
//! exports; an error shows beside the button). The panel owns the sign-off form, the report's
//! path and the last export's answer.

use egui::RichText;

use super::{AMBER, GREEN, GREY, RED, section};
use crate::gui::command::UiCommand;
use crate::gui::dialog::Pick;
use crate::gui::view::View;
use crate::plan::CriterionKind;
use crate::report::{Format, claims, content};
use crate::run_result::Met;

/// Sign-off fields that go into the exported report.
#[derive(Debug, Clone, Default)]
pub struct SignOffForm {
    pub name: String,
    pub role: String,
    /// The signer's decision (e.g. "GO approved").
    pub decision: String,
    pub comment: String,
}

/// The Verdict & export tab, with the sign-off and the export's path.
#[derive(Debug, Default)]
pub struct VerdictPanel {
    pub signoff: SignOffForm,
    /// Where the report goes (the plan's default name, typed, or the save dialog's answer).
    pub export_path: String,
    /// The last export's answer.
    pub export_status: Option<Result<String, String>>,
    /// Focus the path field on the next frame (Ctrl+E without a native dialog).
    pub focus: bool,
}

impl VerdictPanel {
    pub fn show(&mut self, ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
        let Some(result) = &view.run.result else {
            ui.label("The verdict appears when a run has finished.");
            return;
        };
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            let word = content::verdict_word(result);
            let color = if result.verdict.go { GREEN } else { RED };
            ui.horizontal(|ui| {
                ui.label(RichText::new(word).size(48.0).strong().color(color));
                ui.vertical(|ui| {
                    ui.label(RichText::new(format!("{} — run {}", result.plan.name, result.run_id)).strong());
                    ui.label(format!("on {} ({}), by {}", result.target, content::server_line(result), result.operator));
                    let took =
                        content::elapsed(&result.started_at, &result.finished_at).map_or(String::new(), |t| format!(" ({t})"));
                    ui.label(format!("started {}, finished {}{took}", result.started_at, result.finished_at));
                    ui.label(content::outcome_line(&result.outcome));
                });
            });
            if let Some(meaning) = claims::rehearsal_meaning(result) {
                egui::Frame::group(ui.style()).stroke(egui::Stroke::new(1.5, AMBER)).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.label(RichText::new(claims::REHEARSAL_TITLE).size(18.0).strong().color(AMBER));
                    ui.add(egui::Label::new(meaning).wrap());
                });
            }
            if let Some(state) = claims::target_state(result) {
                ui.add(egui::Label::new(RichText::new(state).color(AMBER)).wrap());
            }
            if let Some(line) = content::rehearsal_line(result) {
                ui.label(RichText::new(format!("Rehearsal: {line}")).weak());
            }
            for reason in &result.verdict.reasons {
                ui.colored_label(RED, format!("• {reason}"));
            }
            if !result.verdict.able_to_fail.is_empty() {
                let insensitive = result.sensitivity.iter().any(|s| s.verdict == crate::run_result::Able::Insensitive);
                let text = RichText::new(format!("Checks proven able to fail: {}", result.verdict.able_to_fail));
                ui.add(egui::Label::new(if insensitive { text.color(AMBER) } else { text }).wrap());
            }
            section(ui, "Success criteria", |ui| {
                // At 1024 px the criterion's title wraps too: the reason keeps a readable width.
                let widest = (ui.available_width() * 0.4).min(620.0);
                egui::Grid::new("criteria").striped(true).num_columns(4).spacing([12.0, 4.0]).max_col_width(widest).show(
                    ui,
                    |ui| {
                        for h in ["", "Criterion", "Kind", "Reason"] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for c in &result.verdict.criteria {
                            let color = match (c.met, c.kind) {
                                (Met::Yes, _) => GREEN,
                                (Met::No, CriterionKind::Hard) => RED,
                                (Met::No, CriterionKind::Expectation) | (Met::NotReached, _) => AMBER,
                                (Met::NotApplicable, _) => GREY,
                            };
                            ui.label(RichText::new(content::met_label(c.met, c.kind)).strong().color(color));
                            ui.add(egui::Label::new(&c.title).wrap());
                            ui.label(RichText::new(content::kind_label(c.kind)).weak());
                            ui.add(egui::Label::new(&c.reason).wrap());
                            ui.end_row();
                        }
                    },
                );
                ui.label(
                    RichText::new(format!(
                        "Migration time in the criteria is the statements' own time: {} in all. The Charts tab's phase \
                     times are wall-clock times of whole steps (connecting, ledger, snapshots included).",
                        content::fmt_ms(result.total_migration_ms())
                    ))
                    .weak(),
                );
            });
            section(ui, "Sign-off", |ui| {
                egui::Grid::new("signoff").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                    ui.label("Name");
                    ui.add(egui::TextEdit::singleline(&mut self.signoff.name).desired_width(260.0))
                        .on_hover_text("Who signs the report");
                    ui.end_row();
                    ui.label("Role");
                    ui.add(egui::TextEdit::singleline(&mut self.signoff.role).desired_width(260.0))
                        .on_hover_text("e.g. Database Admin, Team Lead");
                    ui.end_row();
                    ui.label("Decision");
                    ui.add(egui::TextEdit::singleline(&mut self.signoff.decision).desired_width(260.0))
                        .on_hover_text("What the signer decides, e.g. GO approved, or NO-GO: fix 015 first");
                    ui.end_row();
                    ui.label("Comment");
                    ui.add(egui::TextEdit::multiline(&mut self.signoff.comment).desired_rows(2).desired_width(420.0))
                        .on_hover_text("Goes into the report's sign-off block");
                    ui.end_row();
                });
            });
            section(ui, "Export", |ui| self.export(ui, view, commands));
        });
    }

    fn export(&mut self, ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
        ui.horizontal_wrapped(|ui| {
            if ui.button("Save as… (Ctrl+E)").on_hover_text(format!("Choose where to save: {}", Format::choices())).clicked() {
                commands.push(UiCommand::AskPath(Pick::SaveReport));
            }
            ui.label("or path:");
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.export_path).desired_width(320.0))
                .on_hover_text(format!("The format follows the extension: {} (JUnit); Enter exports", Format::choices()));
            if self.focus {
                field.request_focus();
                self.focus = false;
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Export").on_hover_text("Write the report to this path").clicked() || enter {
                commands.push(UiCommand::Export(self.export_path.trim().into()));
            }
            match &self.export_status {
                Some(Ok(m)) => {
                    ui.colored_label(GREEN, m);
                }
                Some(Err(e)) => {
                    ui.colored_label(RED, RichText::new(e).strong());
                }
                None => {}
            }
        });
        if !view.dialogs.available() {
            ui.label(
                RichText::new("No native file dialog is available here (no xdg portal, no zenity): use the path field.").weak(),
            );
        }
    }
}
