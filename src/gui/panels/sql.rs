//! A migration's SQL as the window shows it (Run tab and Results details): the failing
//! statement at the error's line and column, the statement now running, per-statement
//! timings beside their lines, and the whole file with line numbers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Color32, RichText};

use super::{AMBER, RED};
use crate::report::content::fmt_ms;
use crate::run_result::MigrationResult;

/// The line and column an error names (`file.sql:56:49: ERROR: …`).
pub fn error_position(error: &str) -> Option<(usize, usize)> {
    let at = error.find(".sql:")? + ".sql:".len();
    let mut parts = error[at..].splitn(3, ':');
    let line = parts.next()?.parse().ok()?;
    let column = parts.next()?.parse().ok()?;
    Some((line, column))
}

/// The file's text, read once and kept in the UI's memory (`None`: unreadable).
fn text_of(ui: &egui::Ui, path: &Path) -> Option<Arc<String>> {
    let id = egui::Id::unique(("sql_text", path));
    if let Some(text) = ui.data(|d| d.get_temp::<Option<Arc<String>>>(id)) {
        return text;
    }
    let text = std::fs::read_to_string(path).ok().map(Arc::new);
    ui.data_mut(|d| d.insert_temp(id, text.clone()));
    text
}

/// Where a migration's file is: the plan's own path for it, resolved against the plan.
pub fn file_of(plan: Option<&crate::plan::LoadedPlan>, id: &str) -> Option<PathBuf> {
    let plan = plan?;
    plan.plan.migrations.iter().find(|m| m.id == id).map(|m| plan.resolve(&m.file))
}

/// The failing statement's line with the error's column marked.
pub fn failing_line(ui: &mut egui::Ui, path: &Path, error: &str) {
    let (Some((line, column)), Some(text)) = (error_position(error), text_of(ui, path)) else { return };
    let Some(source) = text.lines().nth(line.saturating_sub(1)) else { return };
    let split = source.char_indices().nth(column.saturating_sub(1)).map_or(source.len(), |(i, _)| i);
    let (before, at) = source.split_at(split);
    let mut job = egui::text::LayoutJob::default();
    let font = egui::FontId::monospace(13.0);
    let plain = ui.visuals().text_color();
    job.append(&format!("{line:>5} │ {before}"), 0.0, egui::TextFormat::simple(font.clone(), plain));
    let mut marked = egui::TextFormat::simple(font, Color32::WHITE);
    marked.background = RED;
    job.append(at, 0.0, marked);
    ui.label(RichText::new(format!("The failing statement, line {line}, column {column}:")).strong().color(RED));
    ui.label(job);
}

/// The whole file with line numbers, each statement's time beside its first line, the
/// failing line in red and the running one in amber.
pub fn listing(ui: &mut egui::Ui, path: &Path, m: Option<&MigrationResult>, running_line: Option<usize>) {
    let Some(text) = text_of(ui, path) else {
        ui.colored_label(RED, format!("cannot read {}", path.display()));
        return;
    };
    let error_line = m.and_then(|m| m.error.as_deref()).and_then(error_position).map(|p| p.0);
    let timings = m.map_or(&[][..], |m| &m.statement_timings[..]);
    let slowest = m.and_then(crate::report::content::slowest_statement).map(|(line, _)| line);
    let lines: Vec<&str> = text.lines().collect();
    // show_rows takes a row's height without the spacing under it, and adds the spacing itself.
    let text_height = ui.text_style_height(&egui::TextStyle::Monospace);
    let row_height = text_height + ui.spacing().item_spacing.y;
    let mut area = egui::ScrollArea::both().id_salt(("sql_listing", path)).max_height(260.0).auto_shrink([false, true]);
    // Shown for the first time: scroll to the failing line, or to the first statement, with
    // the line before it.
    let scrolled = ui.make_persistent_id(("sql_scrolled", path));
    if !ui.data(|d| d.get_temp::<bool>(scrolled).unwrap_or(false)) {
        let target = error_line.or(timings.first().map(|t| t.line)).unwrap_or(1);
        area = area.vertical_scroll_offset(target.saturating_sub(2) as f32 * row_height);
        ui.data_mut(|d| d.insert_temp(scrolled, true));
    }
    area.show_rows(ui, text_height, lines.len(), |ui, range| {
        for i in range {
            let n = i + 1;
            let ms = timings.iter().find(|t| t.line == n).map_or(String::new(), |t| fmt_ms(t.ms));
            let row = format!("{n:>5} {ms:>9} │ {}", lines[i]);
            let mut text = RichText::new(row).monospace();
            if Some(n) == error_line {
                text = text.color(Color32::WHITE).background_color(RED);
            } else if Some(n) == running_line {
                text = text.color(Color32::BLACK).background_color(AMBER);
            } else if Some(n) == slowest {
                text = text.strong();
            }
            ui.add(egui::Label::new(text).extend());
        }
    });
}
