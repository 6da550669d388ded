//! The Results tab: migrations and checks in sortable, filterable tables (click a header to
//! sort, again to reverse; click anywhere on a row to select it; right-click to copy). The
//! selected row's details (its SQL with the failing line marked, per-statement timings, error,
//! data changes, created objects) sit below the tables, never over them.

use egui::RichText;

use super::{RED, section, sql, status_color};
use crate::gui::app::PgstageApp;
use crate::gui::run_state::CheckRow;
use crate::gui::table::{Key, Rows, table_text};
use crate::report::content::{self, fmt_ms};
use crate::run_result::{MigrationResult, MigrationStatus, Status};

pub const CHECK_COLUMNS: &[&str] = &["Id", "Group", "Title", "Expected", "Actual", "Status", "Duration (ms)"];
pub const MIGRATION_COLUMNS: &[&str] = &["Id", "File", "Expected (ms)", "Actual (ms)", "Objects", "Status"];

/// The checks table's rows.
pub struct CheckRows<'a>(pub &'a [CheckRow]);

impl Rows for CheckRows<'_> {
    fn columns(&self) -> &'static [&'static str] {
        CHECK_COLUMNS
    }
    fn flexible(&self) -> usize {
        2
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
            3 => ui.label(value_text(r, &r.expected)),
            4 => ui.label(value_text(r, &r.actual)).on_hover_text(value_text(r, &r.actual)),
            5 => ui.label(RichText::new(r.status.label()).strong().color(status_color(r.status))),
            // Object counts come from the snapshot and manual items from the operator: nothing of
            // their own to time. Database figures (size, sessions, lag) are read by a query.
            _ if !timed(r) => {
                let why = if r.metric.is_some() { "counted in the catalog snapshot" } else { "no query of its own" };
                ui.label(RichText::new("–").weak()).on_hover_text(why)
            }
            _ => ui.label(RichText::new(format!("{:.1}", r.duration_ms)).monospace()),
        };
    }
    fn text(&self, i: usize, column: usize) -> String {
        let r = &self.0[i].result;
        match column {
            0 => r.id.clone(),
            1 => group(&self.0[i]),
            2 => r.title.clone(),
            3 => value_text(r, &r.expected),
            4 => value_text(r, &r.actual),
            5 => r.status.label().to_owned(),
            _ if !timed(r) => String::new(),
            _ => format!("{:.1}", r.duration_ms),
        }
    }
    fn sql(&self, i: usize) -> Option<String> {
        Some(self.0[i].result.sql.clone()).filter(|s| !s.is_empty())
    }
}

/// A check's expected or actual value as shown: with its unit (MB, s), booleans written the
/// same way on both sides, and "1 row" not "1 rows".
pub fn value_text(r: &crate::run_result::CheckResult, value: &str) -> String {
    use crate::plan::Metric;
    let value = match value {
        "t" if r.expected == "true" => "true",
        "f" if r.expected == "true" => "false",
        "1 rows" => "1 row",
        v => v,
    };
    let number = value.trim_start_matches(['=', '≥', '≤', '≈', ' ']).chars().next().is_some_and(|c| c.is_ascii_digit());
    let unit = match r.metric {
        Some(Metric::DatabaseSizeMb) if number => "MB",
        Some(Metric::ReplicationLagSeconds) if number => "s",
        _ => return value.to_owned(),
    };
    match value.split_once(" (± ") {
        Some((v, tolerance)) => format!("{v} {unit} (± {tolerance}"),
        None => format!("{value} {unit}"),
    }
}

/// Whether a check ran a query of its own (object counts come from the catalog snapshot and
/// manual items from the operator: nothing of their own to time).
fn timed(r: &crate::run_result::CheckResult) -> bool {
    !(r.sql.is_empty() && r.metric.is_none_or(|m| crate::check::counted(m).is_some()))
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
    fn flexible(&self) -> usize {
        1
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
            3 => Key::Num(if ran(m) { m.duration_ms } else { -1.0 }),
            4 => Key::Num(m.object_mismatches.len() as f64),
            _ => Key::Text(migration_status(m).to_owned()),
        }
    }
    fn keep(&self, i: usize, text: &str, _status: Option<&str>) -> bool {
        let m = &self.0[i];
        text.is_empty() || m.id.to_lowercase().contains(text) || m.file.to_lowercase().contains(text)
    }
    fn cell(&self, ui: &mut egui::Ui, i: usize, column: usize) {
        let m = &self.0[i];
        match column {
            0 => ui.label(RichText::new(&m.id).monospace()),
            1 => ui.label(&m.file).on_hover_text(&m.file),
            4 => {
                let text = self.text(i, column);
                let mismatched = !m.object_mismatches.is_empty();
                ui.label(if mismatched { RichText::new(&text).color(super::AMBER) } else { RichText::new(&text) })
                    .on_hover_text(text)
            }
            5 => {
                let color = match m.status {
                    MigrationStatus::Applied | MigrationStatus::AlreadyApplied => super::GREEN,
                    MigrationStatus::Failed | MigrationStatus::Cancelled => RED,
                    MigrationStatus::NotRun => super::GREY,
                };
                ui.label(RichText::new(migration_status(m)).strong().color(color))
            }
            3 if !ran(m) => ui.label(RichText::new("–").weak()).on_hover_text(match m.status {
                MigrationStatus::NotRun => "not run".to_owned(),
                _ => format!("rolled back after {}", fmt_ms(m.duration_ms)),
            }),
            c => ui.label(RichText::new(self.text(i, c)).monospace()),
        };
    }
    fn text(&self, i: usize, column: usize) -> String {
        let m = &self.0[i];
        match column {
            0 => m.id.clone(),
            1 => m.file.clone(),
            2 => pgstage_range(m.expected_ms),
            3 if !ran(m) => String::new(),
            3 if m.status == MigrationStatus::AlreadyApplied => format!("{:.0} (earlier)", m.duration_ms),
            3 => format!("{:.0}", m.duration_ms),
            4 => content::objects_verdict(m),
            _ => migration_status(m).to_owned(),
        }
    }
    fn sql(&self, _: usize) -> Option<String> {
        None
    }
}

/// Whether the migration's time means something: applied now, or earlier (ledger's time).
fn ran(m: &MigrationResult) -> bool {
    matches!(m.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied)
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
    let avail = ui.available_height();
    // Tables above, details below: each gets its share, neither is drawn over the other.
    let details_height = (avail * 0.32).clamp(120.0, 320.0);
    let migrations_height = (20.0 * app.run.migrations.len() as f32 + 4.0).min(avail * 0.22).max(44.0);
    let checks_height = (avail - details_height - migrations_height - 150.0).max(80.0);
    let width = ui.available_width();
    section(ui, "Migrations", |ui| {
        ui.push_id("migrations_table", |ui| {
            ui.set_max_height(migrations_height + 26.0);
            let rows = MigrationRows(&app.run.migrations);
            let _ = width;
            let widths = [60.0, 0.0, 100.0, 90.0, 240.0, 120.0];
            if app.migrations_table.show(ui, "migrations", &rows, version, &widths, migrations_height).is_some() {
                app.checks_table.selected = None;
            }
        });
    });
    section(ui, "Checks", |ui| {
        filters(app, ui);
        let rows = CheckRows(&app.run.checks);
        app.checks_table.refresh(&rows, version);
        if app.checks_table.order().is_empty() {
            ui.horizontal(|ui| {
                ui.label(RichText::new("No check matches this filter.").strong().color(super::AMBER));
                if ui.button("Clear the filter").on_hover_text("Show every check again").clicked() {
                    app.checks_table.filter.clear();
                    app.checks_table.status = None;
                }
            });
            ui.add_space(checks_height - 20.0);
        } else {
            ui.push_id("checks_table", |ui| {
                ui.set_max_height(checks_height + 26.0);
                let widths = [120.0, 150.0, 0.0, 110.0, 130.0, 64.0, 100.0];
                if app.checks_table.show(ui, "checks", &rows, version, &widths, checks_height).is_some() {
                    app.migrations_table.selected = None;
                }
            });
        }
    });
    ui.separator();
    egui::ScrollArea::vertical().id_salt("result_details").auto_shrink([false, false]).show(ui, |ui| details(app, ui));
}

fn filters(app: &mut PgstageApp, ui: &mut egui::Ui) {
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
        app.checks_table.refresh(&rows, app.run.version);
        let shown = app.checks_table.order().len();
        ui.label(RichText::new(format!("{shown} of {}", content::count_of(app.run.checks.len(), "checks"))).weak());
        if ui.button("Copy table").on_hover_text("Copy the checks shown, tab-separated (pastes into a spreadsheet)").clicked() {
            ui.ctx().copy_text(table_text(&rows, app.checks_table.order()));
        }
    });
}

fn details(app: &mut PgstageApp, ui: &mut egui::Ui) {
    if let Some(key) = &app.checks_table.selected
        && let Some(i) = app.run.checks.iter().position(|r| &format!("{}/{}", r.section, r.result.id) == key)
    {
        let rows = CheckRows(&app.run.checks);
        let r = &app.run.checks[i].result;
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
        return;
    }
    if let Some(key) = &app.migrations_table.selected
        && let Some(i) = app.run.migrations.iter().position(|m| &m.id == key)
    {
        let m = &app.run.migrations[i];
        let rows = MigrationRows(&app.run.migrations);
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
        let file = sql::file_of(app.plan.as_ref(), &m.id);
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
        for (kind, names) in &m.created {
            ui.label(format!("{kind}: {}", names.join(", ")));
        }
        if let Some(path) = file {
            ui.label(RichText::new("SQL, with each statement's time beside its first line:").strong());
            sql::listing(ui, &path, Some(m), None);
        }
        return;
    }
    ui.label(RichText::new("Select a row (click anywhere on it) to see its SQL, timings, error and created objects.").weak());
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

fn pgstage_range(range: Option<crate::plan::MsRange>) -> String {
    range.map_or_else(|| "–".to_owned(), |r| format!("{}–{}", r.min(), r.max()))
}
