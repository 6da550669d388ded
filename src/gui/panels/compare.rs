//! The Compare tab: the run shown (a finished run, or a run result under review) beside
//! another run of the plan read from its `run.json` (the rehearsal beside the staging run, or
//! two staging runs): which criteria, checks, migrations, timings, lock findings and schema
//! counts differ ([`crate::compare`]), every migration's time side by side, and what was the
//! same. The panel owns the path field and the comparison, made once when the file is read.

use std::path::PathBuf;

use egui::RichText;

use super::{AMBER, GREEN, GREY, RED, section};
use crate::compare::{Area, Comparison, PlanMatch};
use crate::gui::command::UiCommand;
use crate::gui::dialog::Pick;
use crate::gui::view::View;
use crate::report::content::count_of;

#[derive(Debug, Default)]
pub struct ComparePanel {
    /// The other run result's path, as typed or picked.
    pub path: String,
    /// The other run's file and the comparison with the run shown (A: the run shown).
    pub compared: Option<(PathBuf, Comparison)>,
    /// Why the other file could not be compared.
    pub error: Option<String>,
    /// Focus the path field on the next frame (no native dialog here).
    pub focus: bool,
}

impl ComparePanel {
    /// Forget the comparison (another run is shown).
    pub fn forget(&mut self) {
        self.compared = None;
        self.error = None;
    }

    pub fn show(&mut self, ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
        if view.run.result.is_none() {
            ui.label("Compare appears when a run has finished, or with a run result opened for review (Ctrl+O).");
            return;
        }
        ui.horizontal(|ui| {
            ui.label("Compare this run (A) with another run result (B):");
            let field = ui.add(egui::TextEdit::singleline(&mut self.path).hint_text("other run.json").desired_width(320.0));
            if std::mem::take(&mut self.focus) {
                field.request_focus();
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let path = self.path.trim().to_owned();
            if (ui
                .add_enabled(!path.is_empty(), egui::Button::new("Read B and compare"))
                .on_hover_text("Read the other run result and compare it with this run")
                .clicked()
                || enter)
                && !path.is_empty()
            {
                commands.push(UiCommand::Compare(PathBuf::from(path)));
            }
            if ui.button("Choose…").on_hover_text("Pick the other run result (.json) in a file dialog").clicked() {
                commands.push(UiCommand::AskPath(Pick::OpenRun));
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(RED, e);
        }
        let Some((file, c)) = &self.compared else {
            ui.label(
                RichText::new(
                    "For example the sandbox rehearsal beside the staging run: which checks, timings, findings and counts differ.",
                )
                .weak(),
            );
            return;
        };
        // Both ways: a long check title keeps its row on one line, at 1024 px too.
        egui::ScrollArea::both().auto_shrink([false, false]).show(ui, |ui| {
            for (name, s) in [("A (this run)", &c.a), ("B", &c.b)] {
                ui.label(format!("{name}: run {} on {}, started {}: {}", s.run_id, s.on, s.started_at, s.verdict));
            }
            ui.label(RichText::new(format!("B read from {}", file.display())).weak());
            match &c.plan {
                PlanMatch::Same => ui.label("Plan: the same file in both runs (same checksum)."),
                PlanMatch::Changed => ui.colored_label(
                    AMBER,
                    "Plan: CHANGED between the runs (the file's checksum differs): some differences may be the plan's.",
                ),
                PlanMatch::Other { a, b } => ui.colored_label(AMBER, format!("Plan: DIFFERENT plans (A: \"{a}\", B: \"{b}\").")),
            };
            let title = if c.differences.is_empty() {
                "No difference".to_owned()
            } else {
                format!("{} between A and B", count_of(c.differences.len(), "differences"))
            };
            section(ui, &title, |ui| differences(ui, c));
            section(ui, "Time of each migration's statements", |ui| timings(ui, c));
            ui.label(format!("The same in both: {}.", c.same.join(", ")));
        });
    }
}

fn differences(ui: &mut egui::Ui, c: &Comparison) {
    if c.differences.is_empty() {
        ui.label("The verdict, the criteria, the checks, the migrations, the lock findings and the schema counts are the same.");
        return;
    }
    egui::Grid::new("compare_differences").striped(true).num_columns(4).spacing([16.0, 4.0]).show(ui, |ui| {
        for h in ["What", "Item", "A (this run)", "B"] {
            ui.strong(h);
        }
        ui.end_row();
        for d in &c.differences {
            let colour = match d.area {
                Area::Verdict | Area::Criterion => RED,
                Area::Timing | Area::Finding | Area::Migration => AMBER,
                Area::Check | Area::Count => ui.visuals().text_color(),
            };
            ui.label(RichText::new(d.area.label()).color(colour));
            ui.label(&d.item);
            ui.label(&d.a);
            ui.label(&d.b);
            ui.end_row();
        }
    });
}

fn timings(ui: &mut egui::Ui, c: &Comparison) {
    egui::Grid::new("compare_timings").striped(true).num_columns(4).spacing([16.0, 4.0]).show(ui, |ui| {
        for h in ["Migration", "A (this run)", "B", "B / A"] {
            ui.strong(h);
        }
        ui.end_row();
        for t in &c.timings {
            ui.label(RichText::new(&t.id).monospace());
            ui.label(&t.a);
            ui.label(&t.b);
            match t.ratio {
                Some(r) => {
                    let notable = !(1.0 / crate::compare::NOTABLE_RATIO..=crate::compare::NOTABLE_RATIO).contains(&r);
                    let colour = if !notable {
                        GREEN
                    } else if r > 1.0 {
                        RED
                    } else {
                        AMBER
                    };
                    ui.label(RichText::new(format!("×{r:.2}")).monospace().color(colour))
                }
                None => ui.label(RichText::new("–").color(GREY)),
            };
            ui.end_row();
        }
    });
}
