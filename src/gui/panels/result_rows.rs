//! The Results tab's rows: migrations and checks as sortable, filterable, copyable table rows
//! (what each column shows, sorts by and copies), and a check's values as shown.

use egui::RichText;

use super::{RED, status_color};
use crate::gui::run_state::CheckRow;
use crate::gui::table::{Key, Rows};
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

pub use crate::report::content::value_text;

/// Whether a check ran a query of its own (object counts come from the catalog snapshot and
/// manual items from the operator: nothing of their own to time).
pub(super) fn timed(r: &crate::run_result::CheckResult) -> bool {
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
pub(super) fn ran(m: &MigrationResult) -> bool {
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

fn pgstage_range(range: Option<crate::plan::MsRange>) -> String {
    range.map_or_else(|| "–".to_owned(), |r| format!("{}–{}", r.min(), r.max()))
}
