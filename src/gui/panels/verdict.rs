//! The Verdict & export tab: GO / NO-GO large and clear with every criterion and its reason,
//! sign-off fields that go into the report, and the export (a native save dialog, or a path).

use egui::RichText;

use super::{AMBER, GREEN, GREY, RED, section};
use crate::engine::Met;
use crate::gui::app::PgstageApp;
use crate::gui::dialog::Pick;
use crate::plan::CriterionKind;

pub fn show(app: &mut PgstageApp, ui: &mut egui::Ui) {
    let Some(result) = app.run.result.clone() else {
        ui.label("The verdict appears when a run has finished.");
        return;
    };
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        let (text, color) = if result.verdict.go { ("GO", GREEN) } else { ("NO-GO", RED) };
        ui.horizontal(|ui| {
            ui.label(RichText::new(text).size(48.0).strong().color(color));
            ui.vertical(|ui| {
                ui.label(RichText::new(format!("{} — run {}", result.plan.name, result.run_id)).strong());
                ui.label(format!("on {} (PostgreSQL {}), by {}", result.target, result.server_version, result.operator));
                ui.label(format!("started {}, finished {}", result.started_at, result.finished_at));
            });
        });
        for reason in &result.verdict.reasons {
            ui.colored_label(RED, format!("• {reason}"));
        }
        section(ui, "Success criteria", |ui| {
            egui::Grid::new("criteria").striped(true).num_columns(4).spacing([12.0, 4.0]).max_col_width(620.0).show(ui, |ui| {
                for h in ["", "Criterion", "Kind", "Reason"] {
                    ui.strong(h);
                }
                ui.end_row();
                for c in &result.verdict.criteria {
                    let (mark, color) = match (c.met, c.kind) {
                        (Met::Yes, _) => ("met", GREEN),
                        (Met::No, CriterionKind::Hard) => ("NOT MET", RED),
                        (Met::No, CriterionKind::Expectation) => ("deviation", AMBER),
                        (Met::NotApplicable, _) => ("n/a", GREY),
                        (Met::NotReached, _) => ("not reached", AMBER),
                    };
                    ui.label(RichText::new(mark).strong().color(color));
                    ui.label(&c.title);
                    ui.label(RichText::new(format!("{:?}", c.kind)).weak());
                    ui.add(egui::Label::new(&c.reason).wrap());
                    ui.end_row();
                }
            });
        });
        section(ui, "Sign-off", |ui| {
            egui::Grid::new("signoff").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                ui.label("Name");
                ui.add(egui::TextEdit::singleline(&mut app.signoff.name).desired_width(260.0))
                    .on_hover_text("Who signs the report");
                ui.end_row();
                ui.label("Role");
                ui.add(egui::TextEdit::singleline(&mut app.signoff.role).desired_width(260.0))
                    .on_hover_text("e.g. Database Admin, Team Lead");
                ui.end_row();
                ui.label("Comment");
                ui.add(egui::TextEdit::multiline(&mut app.signoff.comment).desired_rows(2).desired_width(420.0))
                    .on_hover_text("Goes into the report's sign-off block");
                ui.end_row();
            });
        });
        section(ui, "Export", |ui| {
            ui.horizontal(|ui| {
                if ui.button("Save as… (Ctrl+E)").on_hover_text("Choose where to save: .md, .html, .json or .xml").clicked() {
                    app.ask_path(Pick::SaveReport);
                }
                ui.label("or path:");
                ui.add(egui::TextEdit::singleline(&mut app.export_path).desired_width(320.0))
                    .on_hover_text("The format follows the extension: .md, .html, .json, .xml (JUnit)");
                if ui.button("Export").on_hover_text("Write the report to this path").clicked() {
                    let path = std::path::PathBuf::from(app.export_path.trim());
                    app.export_to(&path);
                }
            });
            if !app.dialogs.available() {
                ui.label(
                    RichText::new("No native file dialog is available here (no xdg portal, no zenity): use the path field.")
                        .weak(),
                );
            }
            match &app.export_status {
                Some(Ok(m)) => {
                    ui.colored_label(GREEN, m);
                }
                Some(Err(e)) => {
                    ui.colored_label(RED, e);
                }
                None => {}
            }
        });
    });
}
