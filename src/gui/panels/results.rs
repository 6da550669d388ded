//! The Results tab: migrations and checks in sortable, filterable tables (click a header to
//! sort, again to reverse); selecting a row shows its SQL, error and created objects.

use egui::RichText;

use super::{RED, section, status_color};
use crate::engine::{MigrationResult, MigrationStatus, Status};
use crate::gui::app::PgstageApp;
use crate::gui::run_state::CheckRow;
use crate::gui::table::{Key, Rows};

pub const CHECK_COLUMNS: &[&str] = &["Id", "Group", "Title", "Expected", "Actual", "Status", "Duration (ms)"];
pub const MIGRATION_COLUMNS: &[&str] = &["Id", "File", "Expected (ms)", "Actual (ms)", "Objects", "Status"];

/// The checks table's rows.
pub struct CheckRows<'a>(pub &'a [CheckRow]);

impl Rows for CheckRows<'_> {
    fn columns(&self) -> &'static [&'static str] {
        CHECK_COLUMNS
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn key(&self, i: usize) -> String {
        format!("{}/{}", self.0[i].section, self.0[i].result.id)
    }
    fn sort_key(&self, i: usize, column: usize) -> Key {
        let r = &self.0[i].result;
        match column {
            0 => Key::Text(r.id.clone()),
            1 => Key::Text(group(&self.0[i])),
            2 => Key::Text(r.title.clone()),
            3 => Key::Text(r.expected.clone()),
            4 => r.actual.parse::<f64>().map(Key::Num).unwrap_or_else(|_| Key::Text(r.actual.clone())),
            5 => Key::Num(status_rank(r.status)),
            _ => Key::Num(r.duration_ms),
        }
    }
    fn keep(&self, i: usize, text: &str, status: Option<&str>) -> bool {
        let r = &self.0[i].result;
        status.is_none_or(|s| r.status.label() == s)
            && (text.is_empty()
                || [&r.id, &r.title, &r.group, &r.actual, &r.expected, &self.0[i].section]
                    .iter()
                    .any(|f| f.to_lowercase().contains(text)))
    }
    fn cell(&self, ui: &mut egui::Ui, i: usize, column: usize) {
        let r = &self.0[i].result;
        match column {
            0 => ui.label(RichText::new(&r.id).monospace()),
            1 => ui.label(group(&self.0[i])),
            2 => ui.label(&r.title).on_hover_text(&r.title),
            3 => ui.label(&r.expected),
            4 => ui.label(&r.actual).on_hover_text(&r.actual),
            5 => ui.label(RichText::new(r.status.label()).strong().color(status_color(r.status))),
            // Object counts come from the snapshot and manual items from the operator: nothing of
            // their own to time. Database figures (size, sessions, lag) are read by a query.
            _ if r.sql.is_empty() && r.metric.is_none_or(|m| crate::check::counted(m).is_some()) => {
                let why = if r.metric.is_some() { "counted in the catalog snapshot" } else { "no query of its own" };
                ui.label(RichText::new("–").weak()).on_hover_text(why)
            }
            _ => ui.label(RichText::new(format!("{:.1}", r.duration_ms)).monospace()),
        };
    }
}

fn group(row: &CheckRow) -> String {
    if row.result.group.is_empty() { row.section.clone() } else { format!("{} · {}", row.section, row.result.group) }
}

/// Failures first when sorting by status ascending.
fn status_rank(s: Status) -> f64 {
    match s {
        Status::Fail => 0.0,
        Status::Warn => 1.0,
        Status::Pass => 2.0,
        Status::NotApplicable => 3.0,
        Status::Skipped => 4.0,
    }
}

pub struct MigrationRows<'a>(pub &'a [MigrationResult]);

impl Rows for MigrationRows<'_> {
    fn columns(&self) -> &'static [&'static str] {
        MIGRATION_COLUMNS
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn key(&self, i: usize) -> String {
        self.0[i].id.clone()
    }
    fn sort_key(&self, i: usize, column: usize) -> Key {
        let m = &self.0[i];
        match column {
            0 => Key::Text(m.id.clone()),
            1 => Key::Text(m.file.clone()),
            2 => Key::Num(m.expected_ms.map_or(-1.0, |r| r.min() as f64)),
            3 => Key::Num(m.duration_ms),
            4 => Key::Num(m.object_mismatches.len() as f64),
            _ => Key::Text(migration_status(m).to_owned()),
        }
    }
    fn keep(&self, i: usize, text: &str, status: Option<&str>) -> bool {
        let m = &self.0[i];
        let _ = status;
        text.is_empty() || m.id.to_lowercase().contains(text) || m.file.to_lowercase().contains(text)
    }
    fn cell(&self, ui: &mut egui::Ui, i: usize, column: usize) {
        let m = &self.0[i];
        match column {
            0 => ui.label(RichText::new(&m.id).monospace()),
            1 => ui.label(&m.file).on_hover_text(&m.file),
            2 => ui.label(pgstage_range(m.expected_ms)),
            3 => ui.label(RichText::new(format!("{:.0}", m.duration_ms)).monospace()),
            4 => ui.label(if m.object_mismatches.is_empty() {
                "as expected".to_owned()
            } else {
                format!("{} mismatches", m.object_mismatches.len())
            }),
            _ => {
                let color = match m.status {
                    MigrationStatus::Applied | MigrationStatus::AlreadyApplied => super::GREEN,
                    MigrationStatus::Failed | MigrationStatus::Cancelled => RED,
                    MigrationStatus::NotRun => super::GREY,
                };
                ui.label(RichText::new(migration_status(m)).strong().color(color))
            }
        };
    }
}

pub fn migration_status(m: &MigrationResult) -> &'static str {
    match m.status {
        MigrationStatus::Applied => "APPLIED",
        MigrationStatus::AlreadyApplied => "ALREADY APPLIED",
        MigrationStatus::Failed => "FAILED",
        MigrationStatus::Cancelled => "CANCELLED",
        MigrationStatus::NotRun => "NOT RUN",
    }
}

pub fn show(app: &mut PgstageApp, ui: &mut egui::Ui) {
    if app.run.checks.is_empty() && app.run.migrations.is_empty() {
        ui.label("No results yet: run the plan (Run tab).");
        return;
    }
    let version = app.run.version;
    let details_height = 110.0;
    egui::Panel::bottom("result_details").resizable(true).default_size(details_height).show(ui, |ui| details(app, ui));
    section(ui, "Migrations", |ui| {
        ui.push_id("migrations_table", |ui| {
            ui.set_max_height(150.0);
            let rows = MigrationRows(&app.run.migrations);
            if app.migrations_table.show(ui, "migrations", &rows, version, &[50.0, 380.0, 100.0, 90.0, 120.0]).is_some() {
                app.checks_table.selected = None;
            }
        });
    });
    section(ui, "Checks", |ui| {
        ui.horizontal(|ui| {
            ui.label("Filter:");
            ui.add(egui::TextEdit::singleline(&mut app.checks_table.filter).hint_text("id, title, group…").desired_width(200.0))
                .on_hover_text("Show only checks whose id, title, group or values contain this text");
            ui.label("Status:");
            let current = app.checks_table.status.clone().unwrap_or_else(|| "all".into());
            egui::ComboBox::from_id_salt("status_filter")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut app.checks_table.status, None, "all");
                    for s in [Status::Pass, Status::Fail, Status::Warn, Status::NotApplicable, Status::Skipped] {
                        ui.selectable_value(&mut app.checks_table.status, Some(s.label().to_owned()), s.label());
                    }
                })
                .response
                .on_hover_text("Show only checks with this status");
            let rows = CheckRows(&app.run.checks);
            app.checks_table.refresh(&rows, version);
            ui.label(RichText::new(format!("{} of {} checks", app.checks_table.order().len(), app.run.checks.len())).weak());
        });
        ui.push_id("checks_table", |ui| {
            let rows = CheckRows(&app.run.checks);
            if app.checks_table.show(ui, "checks", &rows, version, &[130.0, 150.0, 300.0, 110.0, 150.0, 70.0]).is_some() {
                app.migrations_table.selected = None;
            }
        });
    });
}

fn details(app: &mut PgstageApp, ui: &mut egui::Ui) {
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        if let Some(key) = &app.checks_table.selected
            && let Some(row) = app.run.checks.iter().find(|r| &format!("{}/{}", r.section, r.result.id) == key)
        {
            let r = &row.result;
            ui.label(RichText::new(format!("{} — {}", r.id, r.title)).strong());
            ui.label(format!("expected {} · actual {} · {} · {:.1} ms", r.expected, r.actual, r.status.label(), r.duration_ms));
            if !r.detail.is_empty() {
                ui.label(RichText::new(&r.detail).monospace());
            }
            if !r.sql.is_empty() {
                ui.label(RichText::new(&r.sql).monospace().weak());
            }
            return;
        }
        if let Some(key) = &app.migrations_table.selected
            && let Some(m) = app.run.migrations.iter().find(|m| &m.id == key)
        {
            ui.label(RichText::new(format!("{} — {}", m.id, m.title)).strong());
            ui.label(format!(
                "{} · {} of {} statements · {:.0} ms · checksum {}",
                m.file,
                m.statements_done,
                m.statements,
                m.duration_ms,
                short(&m.checksum)
            ));
            if let Some(e) = &m.error {
                ui.colored_label(RED, RichText::new(e).monospace());
            }
            if let Some(earlier) = crate::report::content::earlier_text(m) {
                ui.label(RichText::new(earlier).weak());
            }
            for t in &m.data.tables {
                let text = crate::report::content::table_change_text(t);
                if t.loses_data() {
                    ui.colored_label(RED, text)
                } else {
                    ui.label(text)
                };
            }
            for w in &m.lock_waits {
                ui.colored_label(super::AMBER, crate::engine::blockers::sentence(w));
            }
            for x in &m.object_mismatches {
                ui.colored_label(super::AMBER, x);
            }
            for (kind, names) in &m.created {
                ui.label(format!("{kind}: {}", names.join(", ")));
            }
            return;
        }
        ui.label(RichText::new("Select a row to see its SQL, error and created objects.").weak());
    });
}

fn short(checksum: &str) -> &str {
    &checksum[..checksum.len().min(12)]
}

fn pgstage_range(range: Option<crate::plan::MsRange>) -> String {
    range.map_or_else(|| "–".to_owned(), |r| format!("{}–{}", r.min(), r.max()))
}
