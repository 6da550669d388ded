//! The Plan tab: metadata, notes, timeline, migrations, every check (id, title, expectation)
//! per section, and the manual checklist the operator ticks (who / when recorded) before a
//! run can start. A plan that does not load shows its error; Enter in the path field loads.
//! The panel owns the path field (its text, and whether to focus it).

use egui::RichText;

use super::{RED, section};
use crate::gui::command::UiCommand;
use crate::gui::view::View;
use crate::plan::Check;
use crate::report::content::{count_of, hours};

/// The Plan tab, with its path field.
#[derive(Debug, Default)]
pub struct PlanPanel {
    /// The plan's path as typed (Enter or Load opens it).
    pub path: String,
    /// Focus the path field on the next frame (Ctrl+O without a native dialog).
    pub focus: bool,
}

impl PlanPanel {
    pub fn show(&mut self, ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
        if let Some(error) = view.plan_error {
            ui.colored_label(RED, RichText::new("The plan could not be loaded").strong().size(16.0));
            ui.label(RichText::new(error).monospace());
            ui.add_space(8.0);
        }
        self.open_by_path(ui, commands);
        show_plan(ui, view, commands);
    }

    fn open_by_path(&mut self, ui: &mut egui::Ui, commands: &mut Vec<UiCommand>) {
        ui.horizontal(|ui| {
            ui.label("Plan file:");
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.path).hint_text("plans/week2_staging.ron").desired_width(360.0))
                .on_hover_text("Type a plan's path when no file dialog is available; Enter loads it");
            if self.focus {
                field.request_focus();
                self.focus = false;
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Load").on_hover_text("Load the plan at this path").clicked() || enter) && !self.path.trim().is_empty()
            {
                commands.push(UiCommand::OpenPlan(self.path.trim().into()));
            }
        });
    }
}

/// The plan itself: metadata, checklist, timeline, migrations, checks, team.
fn show_plan(ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
    let Some(plan) = view.plan else {
        ui.label("No plan open. Open one with Ctrl+O, or type its path above.");
        return;
    };
    let p = &plan.plan;
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        section(ui, &p.name, |ui| {
            egui::Grid::new("plan_meta").num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
                for (k, v) in [
                    ("Phase", p.phase.clone()),
                    ("Scheduled", p.scheduled.clone()),
                    ("Planned time", hours(p.planned_hours)),
                    ("File", plan.path.display().to_string()),
                    ("Baseline schema", p.baseline.schema.clone()),
                    ("Transactions", transactions(p.execution.transaction).to_owned()),
                ] {
                    ui.label(RichText::new(k).weak());
                    ui.label(v);
                    ui.end_row();
                }
            });
            if !p.objective.is_empty() {
                ui.add_space(4.0);
                ui.label(&p.objective);
            }
            for note in &p.notes {
                ui.label(RichText::new(format!("Note: {note}")).italics());
            }
        });
        if let Some(mapping) = view.imported {
            mapping_section(ui, mapping);
        }
        section(ui, "Manual checklist (the operator confirms each item)", |ui| {
            ui.horizontal(|ui| {
                ui.label("Operator:");
                let mut operator = view.settings.operator.clone();
                if ui
                    .add(egui::TextEdit::singleline(&mut operator).desired_width(180.0))
                    .on_hover_text("Recorded with each acknowledgement and in the ledger and report")
                    .changed()
                {
                    commands.push(UiCommand::SetOperator(operator));
                }
            });
            for item in &p.preflight.manual {
                let mut on = view.acks.contains_key(&item.id);
                ui.horizontal(|ui| {
                    let label = format!("{} — {}", item.title, item.owner);
                    if ui.checkbox(&mut on, label).on_hover_text(format!("Manual item {}: tick once done", item.id)).changed() {
                        commands.push(UiCommand::Ack { item: item.id.clone(), title: item.title.clone(), on });
                    }
                    if let Some(a) = view.acks.get(&item.id) {
                        ui.label(RichText::new(format!("by {} at {}", a.by, a.at)).weak());
                    }
                });
            }
        });
        section(ui, "Timeline", |ui| {
            egui::Grid::new("plan_timeline").striped(true).num_columns(3).max_col_width(760.0).show(ui, |ui| {
                for t in &p.timeline {
                    ui.label(RichText::new(&t.at).monospace());
                    ui.label(format!("{} ({} min)", t.phase, t.minutes));
                    ui.add(egui::Label::new(t.steps.join(" · ")).wrap());
                    ui.end_row();
                }
            });
        });
        section(ui, "Migrations", |ui| {
            egui::Grid::new("plan_migrations").striped(true).num_columns(4).show(ui, |ui| {
                for m in &p.migrations {
                    ui.label(RichText::new(&m.id).monospace());
                    ui.label(&m.title);
                    ui.label(crate::plan::MsRange::label(m.expected_ms));
                    ui.label(creates_text(&m.creates)).on_hover_text("What the plan says this migration creates");
                    ui.end_row();
                }
            });
        });
        section(ui, "Checks", |ui| checks(ui, p));
        section(ui, "Team", |ui| {
            egui::Grid::new("plan_team").striped(true).num_columns(3).show(ui, |ui| {
                for r in &p.team {
                    ui.label(RichText::new(&r.phase).weak());
                    ui.label(RichText::new(&r.role).strong());
                    ui.label(&r.duty);
                    ui.end_row();
                }
            });
        });
    });
}

fn transactions(mode: crate::plan::TransactionMode) -> &'static str {
    match mode {
        crate::plan::TransactionMode::PerMigration => "one per migration",
        crate::plan::TransactionMode::Batch => "one for the whole batch",
    }
}

/// Every check the plan will run, per section, each with its expectation.
fn checks(ui: &mut egui::Ui, p: &crate::plan::Plan) {
    let list = |ui: &mut egui::Ui, title: &str, checks: &[Check]| {
        egui::CollapsingHeader::new(format!("{title} ({})", checks.len())).id_salt(("plan_checks", title)).show(ui, |ui| {
            egui::Grid::new(("plan_check_grid", title)).striped(true).num_columns(3).show(ui, |ui| {
                for c in checks {
                    ui.label(RichText::new(&c.id).monospace());
                    ui.label(&c.title);
                    ui.label(RichText::new(crate::check::expected_text(&c.expect)).weak());
                    ui.end_row();
                }
            });
        });
    };
    list(ui, "Pre-flight", &p.preflight.checks);
    list(ui, "Verification", &p.verification);
    list(ui, "Schema summary", &p.schema_summary);
    list(ui, "Integrity", &p.integrity.checks);
    list(ui, "Sample data (rolled back)", &p.sample_data);
    let named = |ui: &mut egui::Ui, title: &str, rows: Vec<(String, String, String)>| {
        egui::CollapsingHeader::new(format!("{title} ({})", rows.len())).id_salt(("plan_checks", title)).show(ui, |ui| {
            egui::Grid::new(("plan_check_grid", title)).striped(true).num_columns(3).show(ui, |ui| {
                for (id, title, what) in rows {
                    ui.label(RichText::new(id).monospace());
                    ui.label(title);
                    ui.label(RichText::new(what).weak());
                    ui.end_row();
                }
            });
        });
    };
    let rls = p.rls.iter().map(|r| (r.id.clone(), r.title.clone(), count_of(r.tables.len(), "tables"))).collect();
    named(ui, "RLS isolation", rls);
    let perf = p
        .performance
        .index_usage
        .iter()
        .map(|u| {
            (u.id.clone(), u.title.clone(), u.index.clone().map_or_else(|| "a plan of its own".into(), |i| format!("uses {i}")))
        })
        .collect();
    named(ui, "Performance", perf);
    let criteria = p
        .criteria
        .iter()
        .map(|c| (c.id.clone(), c.title.clone(), crate::report::content::kind_label(c.kind).to_owned()))
        .collect();
    named(ui, "Success criteria", criteria);
}

/// What became of each line of the run-book the plan was drafted from.
fn mapping_section(ui: &mut egui::Ui, mapping: &[crate::draft::runbook::Mapping]) {
    use crate::draft::runbook::Target;
    let mapped = mapping.iter().filter(|m| matches!(m.to, Target::Element(_))).count();
    let unmapped = mapping.iter().filter(|m| matches!(m.to, Target::Unmapped(_))).count();
    let title = format!("Drafted from a run-book: {} lines, {mapped} mapped, {unmapped} unmapped", mapping.len());
    section(ui, &title, |ui| {
        egui::CollapsingHeader::new("Line by line").default_open(true).show(ui, |ui| {
            egui::Grid::new("plan_mapping").striped(true).num_columns(3).max_col_width(620.0).show(ui, |ui| {
                for m in mapping.iter().filter(|m| m.to != Target::Layout) {
                    ui.label(RichText::new(m.line.to_string()).monospace().weak());
                    // The run-book's tree drawing and arrows have no glyph in the window's fonts.
                    let text: String = m
                        .text
                        .chars()
                        .map(|c| if c.is_ascii() || matches!(c, '✅' | '–' | '—' | '·') { c } else { ' ' })
                        .collect();
                    ui.add(egui::Label::new(text.trim()).truncate());
                    match &m.to {
                        Target::Element(e) => ui.label(RichText::new(format!("-> {e}")).monospace()),
                        Target::Unmapped(why) => ui.colored_label(RED, format!("unmapped: {why}")),
                        Target::Layout => ui.label(""),
                    };
                    ui.end_row();
                }
            });
        });
    });
}

/// What a migration announces it creates, every kind the plan can announce (what it leaves
/// out is not counted, not "0").
pub fn creates_text(c: &crate::plan::Creates) -> String {
    let mut parts = vec![count_of(c.tables.len(), "tables")];
    let counted =
        [(c.foreign_keys, "foreign keys"), (c.indexes, "indexes"), (c.policies, "RLS policies"), (c.triggers, "triggers")];
    parts.extend(counted.iter().filter_map(|(n, kind)| n.map(|n| count_of(n as usize, kind))));
    if !c.functions.is_empty() {
        parts.push(count_of(c.functions.len(), "functions"));
    }
    parts.join(", ")
}
