//! The Results tab: migrations and checks in sortable, filterable tables (click a header to
//! sort, again to reverse; click anywhere on a row to select it; right-click to copy). The
//! selected row's details (its SQL with the failing line marked, per-statement timings, error,
//! data changes, created objects) sit below the tables, never over them. The panel owns both
//! tables' state (sort, filters, selection).

use egui::RichText;

pub use super::result_rows::{CHECK_COLUMNS, CheckRows, MIGRATION_COLUMNS, MigrationRows, migration_status, value_text};
use super::result_rows::{ran, timed};
use super::{RED, section, sql};
use crate::gui::run_state::CheckRow;
use crate::gui::table::{Rows, TableState, table_text};
use crate::gui::view::View;
use crate::report::content::{self, fmt_ms};
use crate::run_result::Status;

/// The Results tab, with its two tables.
#[derive(Debug, Default)]
pub struct ResultsPanel {
    pub checks_table: TableState,
    pub migrations_table: TableState,
}

impl ResultsPanel {
    /// Forget what was chosen for the last run (a new run, another plan): the selected rows
    /// and the filters (a filter left from another run would hide this run's checks). The
    /// sort is kept: it is a way of reading, not a choice of rows.
    pub fn forget_run(&mut self) {
        for table in [&mut self.checks_table, &mut self.migrations_table] {
            table.selected = None;
            table.filter.clear();
            table.status = None;
        }
    }

    pub fn show(&mut self, ui: &mut egui::Ui, view: &View) {
        let run = view.run;
        if run.checks.is_empty() && run.migrations.is_empty() {
            ui.label("No results yet: run the plan (Run tab).");
            return;
        }
        let version = run.version;
        let avail = ui.available_height();
        // Tables above, details below: each gets its share, neither is drawn over the other.
        // A row selected: its details (tables, then SQL) get at least 200 px, so that its SQL
        // shows at 1024×700 too; none: the checks take the room, the details are one line.
        let selected = self.migrations_table.selected.is_some() || self.checks_table.selected.is_some();
        let details_height = if selected { (avail * 0.28).clamp(200.0, 300.0) } else { 40.0 };
        // A row is 20 px and the spacing under it: every migration in view when they fit in
        // a third of the tab (a plan has a handful), a scroll bar when there are more.
        let row = 20.0 + ui.spacing().item_spacing.y;
        let migrations_height = (row * run.migrations.len() as f32 + 2.0).min(avail * 0.33).max(2.0 * row);
        let checks_height =
            (avail - details_height - migrations_height - 150.0).max(if selected { 2.0 * row + 2.0 } else { 80.0 });
        let width = ui.available_width();
        section(ui, "Migrations", |ui| {
            ui.push_id("migrations_table", |ui| {
                ui.set_max_height(migrations_height + 26.0);
                let rows = MigrationRows(&run.migrations);
                let _ = width;
                let widths = [60.0, 0.0, 100.0, 90.0, 240.0, 120.0];
                if self.migrations_table.show(ui, "migrations", &rows, version, &widths, migrations_height).is_some() {
                    self.checks_table.selected = None;
                }
            });
        });
        section(ui, "Checks", |ui| {
            self.filters(ui, view);
            let rows = CheckRows(&run.checks);
            self.checks_table.refresh(&rows, version);
            if self.checks_table.order().is_empty() {
                ui.horizontal(|ui| {
                    ui.label(RichText::new("No check matches this filter.").strong().color(super::AMBER));
                    if ui.button("Clear the filter").on_hover_text("Show every check again").clicked() {
                        self.checks_table.filter.clear();
                        self.checks_table.status = None;
                    }
                });
                ui.add_space(checks_height - 20.0);
            } else {
                ui.push_id("checks_table", |ui| {
                    ui.set_max_height(checks_height + 26.0);
                    let widths = [120.0, 150.0, 0.0, 110.0, 130.0, 64.0, 100.0];
                    if self.checks_table.show(ui, "checks", &rows, version, &widths, checks_height).is_some() {
                        self.migrations_table.selected = None;
                    }
                });
            }
        });
        ui.separator();
        egui::ScrollArea::vertical().id_salt("result_details").auto_shrink([false, false]).show(ui, |ui| self.details(ui, view));
    }

    fn filters(&mut self, ui: &mut egui::Ui, view: &View) {
        let table = &mut self.checks_table;
        ui.horizontal(|ui| {
            ui.label("Filter:");
            ui.add(egui::TextEdit::singleline(&mut table.filter).hint_text("id, title, group…").desired_width(200.0))
                .on_hover_text("Show only checks whose id, title, group or values contain this text");
            ui.label("Status:");
            let current = table.status.clone().unwrap_or_else(|| "all".into());
            egui::ComboBox::from_id_salt("status_filter")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut table.status, None, "all");
                    for s in [Status::Pass, Status::Fail, Status::Warn, Status::NotApplicable, Status::Skipped] {
                        ui.selectable_value(&mut table.status, Some(s.label().to_owned()), s.label());
                    }
                })
                .response
                .on_hover_text("Show only checks with this status");
            let rows = CheckRows(&view.run.checks);
            table.refresh(&rows, view.run.version);
            let shown = table.order().len();
            ui.label(RichText::new(format!("{shown} of {}", content::count_of(view.run.checks.len(), "checks"))).weak());
            if ui.button("Copy table").on_hover_text("Copy the checks shown, tab-separated (pastes into a spreadsheet)").clicked()
            {
                ui.ctx().copy_text(table_text(&rows, table.order()));
            }
        });
    }

    /// The selected row's details.
    fn details(&self, ui: &mut egui::Ui, view: &View) {
        let run = view.run;
        if let Some(key) = &self.checks_table.selected
            && let Some(i) = run.checks.iter().position(|r| &format!("{}/{}", r.section, r.result.id) == key)
        {
            check_details(ui, &run.checks, i);
            return;
        }
        if let Some(key) = &self.migrations_table.selected
            && let Some(i) = run.migrations.iter().position(|m| &m.id == key)
        {
            migration_details(ui, view, i);
            return;
        }
        ui.label(RichText::new("Select a row (click anywhere on it) to see its SQL, timings, error and created objects.").weak());
    }
}

fn check_details(ui: &mut egui::Ui, checks: &[CheckRow], i: usize) {
    let rows = CheckRows(checks);
    let r = &checks[i].result;
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{} — {}", r.id, r.title)).strong());
        copy_buttons(ui, rows.row_text(i), rows.sql(i));
    });
    let took = if timed(r) { format!(" · {}", fmt_ms(r.duration_ms)) } else { String::new() };
    ui.label(format!(
        "expected {} · actual {} · {}{took}",
        value_text(r, &r.expected),
        value_text(r, &r.actual),
        r.status.label()
    ));
    if !r.detail.is_empty() {
        ui.label(RichText::new(&r.detail).monospace());
    }
    if !r.sql.is_empty() {
        ui.label(RichText::new(&r.sql).monospace().weak());
    }
}

fn migration_details(ui: &mut egui::Ui, view: &View, i: usize) {
    let m = &view.run.migrations[i];
    let rows = MigrationRows(&view.run.migrations);
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{} — {}", m.id, m.title)).strong());
        copy_buttons(ui, rows.row_text(i), None);
    });
    let took = if ran(m) { format!(" · {}", fmt_ms(m.duration_ms)) } else { String::new() };
    ui.label(format!(
        "{} · {} · {} of {} statements{took} · checksum {}",
        m.file,
        migration_status(m),
        m.statements_done,
        m.statements,
        short(&m.checksum)
    ));
    ui.label(format!("objects: {}", content::objects_verdict(m)));
    let file = sql::file_of(view.plan, &m.id);
    if let Some(e) = &m.error {
        ui.colored_label(RED, RichText::new(e).monospace());
        if let Some(path) = &file {
            sql::failing_line(ui, path, e);
        }
    }
    if let Some(earlier) = content::earlier_text(m) {
        ui.label(RichText::new(earlier).weak());
    }
    for t in &m.data.tables {
        let text = content::table_change_text(t);
        if t.loses_data() {
            ui.colored_label(RED, text)
        } else {
            ui.label(text)
        };
    }
    for w in &m.lock_waits {
        ui.colored_label(super::AMBER, w.sentence());
    }
    created(ui, m);
    if let Some(path) = file {
        ui.label(RichText::new("SQL, with each statement's time beside its first line:").strong());
        sql::listing(ui, &path, Some(m), None);
    }
}

/// What the migration created: its tables in full, the rest (indexes, policies, constraints:
/// dozens of NOT NULL names on a wide table) counted on one closed line, NOT NULL last.
fn created(ui: &mut egui::Ui, m: &crate::run_result::MigrationResult) {
    if let Some(tables) = m.created.get("tables") {
        ui.label(format!("tables created: {}", tables.join(", ")));
    }
    let mut others: Vec<(&String, &Vec<String>)> = m.created.iter().filter(|(k, _)| *k != "tables").collect();
    if others.is_empty() {
        return;
    }
    others.sort_by_key(|(k, _)| k.as_str() == "NOT NULL constraints");
    let counted = others.iter().map(|(k, v)| format!("{} {k}", v.len())).collect::<Vec<_>>().join(", ");
    egui::CollapsingHeader::new(format!("other objects created: {counted}"))
        .id_salt(("created", &m.id))
        .default_open(false)
        .show(ui, |ui| {
            for (kind, names) in others {
                ui.label(format!("{kind}: {}", names.join(", ")));
            }
        });
}

fn copy_buttons(ui: &mut egui::Ui, row: String, sql: Option<String>) {
    if ui.small_button("Copy row").on_hover_text("Copy this row, tab-separated").clicked() {
        ui.ctx().copy_text(row);
    }
    if let Some(sql) = sql
        && ui.small_button("Copy SQL").on_hover_text("Copy the query of this check").clicked()
    {
        ui.ctx().copy_text(sql);
    }
}

fn short(checksum: &str) -> &str {
    &checksum[..checksum.len().min(12)]
}
