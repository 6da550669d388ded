//! The Locks tab: what each statement locked on pre-existing relations, as a sortable table
//! (mode, what it blocks, how long it was held, what the probes saw) and a timeline (one lane
//! per relation, a bar per lock from the statement that took it to COMMIT, coloured by what it
//! blocks, probe-confirmed blocks marked), and the findings with their advice. The panel owns
//! its table state and reads only the migrations' results.

use egui::{Color32, RichText};
use egui_plot::{AxisHints, Bar, BarChart, GridMark, Plot, Points};

use super::{AMBER, GREY, RED, legend_item, section};
use crate::db::lock_modes::Blocks;
use crate::gui::table::{Key, Rows, TableState};
use crate::report::content::count_of;
use crate::report::locks::{LockRow, finding_status, known_size};
use crate::run_result::{FindingSeverity, MigrationResult};

pub const COLUMNS: &[&str] = &["Migration", "Statement", "Relation", "Lock", "Blocks", "Held (ms)", "Reads", "Writes"];

/// A lock of the trace with its place on the run's time axis.
struct Lock {
    row: LockRow,
    blocks: Option<Blocks>,
    start_ms: f64,
    held_ms: f64,
    probed_block: bool,
}

fn locks(migrations: &[MigrationResult]) -> Vec<Lock> {
    let mut out = Vec::new();
    let mut offset = 0.0;
    for m in migrations {
        for t in &m.trace {
            for l in &t.locks {
                let mut row = LockRow::new(m, t, l);
                // The file's name and the line: the folder is the same for all.
                row.statement = t.statement.rsplit('/').next().unwrap_or(&t.statement).to_owned();
                row.held = format!("{:.1}", l.held_ms);
                out.push(Lock {
                    row,
                    blocks: l.blocks,
                    start_ms: offset + t.at_ms,
                    held_ms: l.held_ms,
                    probed_block: l.read_blocked == Some(true) || l.write_blocked == Some(true),
                });
            }
        }
        offset += m.duration_ms;
    }
    out
}

fn colour(blocks: Option<Blocks>) -> Color32 {
    match blocks {
        Some(Blocks::ReadsAndWrites) => RED,
        Some(Blocks::Writes) => AMBER,
        _ => GREY,
    }
}

struct LockRows<'a>(&'a [Lock]);

impl Rows for LockRows<'_> {
    fn columns(&self) -> &'static [&'static str] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn key(&self, i: usize) -> String {
        let r = &self.0[i].row;
        format!("{}/{}/{}", r.statement, r.relation, r.mode)
    }
    fn sort_key(&self, i: usize, column: usize) -> Key {
        let l = &self.0[i];
        match column {
            0 => Key::Text(l.row.migration.clone()),
            1 => Key::Num(l.start_ms),
            2 => Key::Text(l.row.relation.clone()),
            3 => Key::Num(crate::db::lock_modes::strength(&l.row.mode) as f64),
            4 => Key::Num(l.blocks.map_or(0.0, |b| b as u8 as f64)),
            5 => Key::Num(l.held_ms),
            6 => Key::Text(l.row.reads.into()),
            _ => Key::Text(l.row.writes.into()),
        }
    }
    fn keep(&self, i: usize, text: &str, _status: Option<&str>) -> bool {
        let r = &self.0[i].row;
        text.is_empty() || [&r.relation, &r.mode, &r.statement, &r.migration].iter().any(|f| f.to_lowercase().contains(text))
    }
    fn cell(&self, ui: &mut egui::Ui, i: usize, column: usize) {
        let l = &self.0[i];
        let r = &l.row;
        match column {
            0 => ui.label(&r.migration),
            1 => ui.label(RichText::new(statement_cell(&r.statement)).monospace()).on_hover_text(&r.statement),
            2 => ui.label(format!("{} ({})", r.relation, r.kind)),
            3 => ui.label(RichText::new(&r.mode).monospace()),
            4 => ui.label(RichText::new(&r.blocks).color(colour(l.blocks))),
            5 => ui.label(RichText::new(&r.held).monospace()),
            6 => ui.label(RichText::new(r.reads).color(if r.reads == "blocked" { RED } else { GREY })),
            _ => ui.label(RichText::new(r.writes).color(if r.writes == "blocked" { RED } else { GREY })),
        };
    }
    fn text(&self, i: usize, column: usize) -> String {
        let l = &self.0[i];
        let r = &l.row;
        match column {
            0 => r.migration.clone(),
            1 => r.statement.clone(),
            2 => format!("{} ({})", r.relation, r.kind),
            3 => r.mode.clone(),
            4 => r.blocks.to_string(),
            5 => r.held.to_string(),
            6 => r.reads.to_string(),
            _ => r.writes.to_string(),
        }
    }
    fn sql(&self, _: usize) -> Option<String> {
        None
    }
    /// The statement takes the width left: at 1024 px every other column stays in the window.
    fn flexible(&self) -> usize {
        1
    }
}

/// A statement as its cell shows it: the line first, then the file, so that a narrow column
/// cuts the file's name (the Migration column names it too), never the line.
pub fn statement_cell(statement: &str) -> String {
    match statement.rsplit_once(':') {
        Some((file, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => format!("line {line} · {file}"),
        _ => statement.to_owned(),
    }
}

/// The Locks tab, with its own table state.
#[derive(Default)]
pub struct LocksPanel {
    pub table: TableState,
}

impl LocksPanel {
    pub fn show(&mut self, ui: &mut egui::Ui, migrations: &[MigrationResult], version: u64) {
        let all = locks(migrations);
        if all.is_empty() {
            ui.label("No lock on a pre-existing relation traced yet: run the migrations (Run tab).");
            return;
        }
        // The timeline keeps a readable row per relation; the table takes what is left (at
        // least a few rows), and the tab scrolls when the window is too small for both.
        let (total, top) = (ui.available_height(), ui.cursor().top());
        let timeline = Timeline::of(&all);
        egui::ScrollArea::vertical().id_salt("locks_tab").auto_shrink(false).show(ui, |ui| {
            findings(ui, migrations);
            let left = total - (ui.cursor().top() - top);
            section(ui, "Locks", |ui| {
                ui.horizontal(|ui| {
                    ui.label("Filter:");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.table.filter)
                            .hint_text("relation, mode, statement…")
                            .desired_width(220.0),
                    );
                    let rows = LockRows(&all);
                    self.table.refresh(&rows, version);
                    ui.label(RichText::new(format!("{} of {} locks", self.table.order().len(), all.len())).weak());
                });
                // Below the table: the timeline's heading, legend and plot.
                let table = (left - timeline.height() - 170.0).clamp(110.0, 400.0);
                ui.push_id("locks_table", |ui| {
                    ui.set_max_height(table);
                    self.table.show(
                        ui,
                        "locks",
                        &LockRows(&all),
                        version,
                        &[64.0, 0.0, 200.0, 172.0, 110.0, 72.0, 60.0, 60.0],
                        table,
                    );
                });
            });
            section(ui, "Lock timeline", |ui| timeline.show(ui));
        });
    }
}

/// The findings under one header that says how many of what; open when one is an open error.
fn findings(ui: &mut egui::Ui, migrations: &[MigrationResult]) {
    let found: Vec<_> = migrations.iter().flat_map(|m| m.findings.iter().map(move |f| (m, f))).collect();
    if found.is_empty() {
        section(ui, "Findings", |ui| {
            ui.label("None: nothing the trace shows needs a safer pattern.");
        });
        return;
    }
    let open = |s: FindingSeverity| found.iter().filter(|(_, f)| f.accepted.is_none() && f.severity == s).count();
    let summary = findings_summary(&found.iter().map(|(_, f)| *f).collect::<Vec<_>>());
    let colour = if open(FindingSeverity::Error) > 0 {
        RED
    } else if open(FindingSeverity::Warning) > 0 {
        AMBER
    } else {
        GREY
    };
    egui::CollapsingHeader::new(RichText::new(summary).strong().color(colour))
        .id_salt("lock_findings")
        .default_open(open(FindingSeverity::Error) > 0)
        .show(ui, |ui| finding_lines(ui, &found));
}

/// The findings' header: how many of each severity still open, how many accepted, and each
/// rule once (in the order first found).
pub fn findings_summary(found: &[&crate::run_result::Finding]) -> String {
    let open = |s: FindingSeverity| found.iter().filter(|f| f.accepted.is_none() && f.severity == s).count();
    let accepted = found.iter().filter(|f| f.accepted.is_some()).count();
    let mut rules: Vec<&str> = Vec::new();
    for f in found {
        if !rules.contains(&f.rule.as_str()) {
            rules.push(f.rule.as_str());
        }
    }
    format!(
        "Findings: {}, {}, {} information, {accepted} accepted ({})",
        count_of(open(FindingSeverity::Error), "errors"),
        count_of(open(FindingSeverity::Warning), "warnings"),
        open(FindingSeverity::Info),
        rules.join(", ")
    )
}

/// A finding's message with the table's size when it was measured (nothing when not: no
/// empty brackets).
pub fn finding_sentence(f: &crate::run_result::Finding) -> String {
    match known_size(f) {
        Some(size) => format!("{} ({size})", f.message),
        None => f.message.clone(),
    }
}

fn finding_lines(ui: &mut egui::Ui, found: &[(&MigrationResult, &crate::run_result::Finding)]) {
    for (m, f) in found.iter().copied() {
        let colour = match (f.accepted.is_some(), f.severity) {
            (true, _) | (_, FindingSeverity::Info) => GREY,
            (_, FindingSeverity::Warning) => AMBER,
            (_, FindingSeverity::Error) => RED,
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(f.severity.label()).strong().color(colour));
            ui.label(RichText::new(f.rule.as_str()).monospace());
            ui.label(format!("{} · {} · {}", m.id, f.statement, f.relation));
            ui.label(RichText::new(finding_status(f)).weak());
        });
        ui.label(format!("    {}. Safer: {}", finding_sentence(f), f.advice));
        if !f.estimate.is_empty() {
            // What the severity stands on: the time measured, the size here, the plan's limit.
            ui.label(RichText::new(format!("    {}", f.estimate)).weak());
        }
    }
}

/// A row of the timeline per relation, in the order first locked (top to bottom), a bar per
/// statement and relation.
struct Timeline<'a> {
    bars: Vec<&'a Lock>,
    lanes: Vec<&'a str>,
}

/// Height of a lane: a relation's name, one line of text, beside its bars.
const LANE_HEIGHT: f32 = 22.0;
/// The plot's x axis under the lanes: its marks and its label.
const X_AXIS_HEIGHT: f32 = 46.0;

const SERIES: [(Option<Blocks>, &str); 3] = [
    (Some(Blocks::ReadsAndWrites), "blocks reads and writes"),
    (Some(Blocks::Writes), "blocks writes"),
    (Some(Blocks::DdlOnly), "blocks only DDL"),
];
const PROBED: &str = "a probe from another session was blocked";

impl<'a> Timeline<'a> {
    fn of(all: &'a [Lock]) -> Self {
        // One bar per statement and relation: its strongest lock (the weaker ones it took with
        // it, such as ACCESS SHARE, would only overlap).
        let strongest = |l: &&Lock| {
            !all.iter().any(|o| {
                o.row.statement == l.row.statement
                    && o.row.relation == l.row.relation
                    && crate::db::lock_modes::strength(&o.row.mode) > crate::db::lock_modes::strength(&l.row.mode)
            })
        };
        let bars: Vec<&Lock> = all.iter().filter(strongest).collect();
        let mut lanes: Vec<&str> = Vec::new();
        for l in &bars {
            if !lanes.contains(&l.row.relation.as_str()) {
                lanes.push(&l.row.relation);
            }
        }
        Timeline { bars, lanes }
    }

    fn height(&self) -> f32 {
        self.lanes.len() as f32 * LANE_HEIGHT + X_AXIS_HEIGHT
    }

    /// The lane's place on the y axis: the first relation on top.
    fn y(&self, relation: &str) -> f64 {
        let i = self.lanes.iter().position(|x| *x == relation).unwrap_or(0);
        (self.lanes.len() - 1 - i) as f64
    }

    fn show(&self, ui: &mut egui::Ui) {
        legend(ui, self);
        let charts: Vec<BarChart> = SERIES
            .iter()
            .map(|(blocks, name)| {
                let bars =
                    self.bars
                        .iter()
                        .filter(|l| l.blocks == *blocks)
                        .map(|l| {
                            Bar::new(self.y(&l.row.relation), l.held_ms.max(0.5)).base_offset(l.start_ms).width(0.6).name(
                                format!("{} {} from {} for {:.1} ms", l.row.relation, l.row.mode, l.row.statement, l.held_ms),
                            )
                        })
                        .collect();
                BarChart::new(*name, bars).color(colour(*blocks)).horizontal()
            })
            .collect();
        let probed: Vec<[f64; 2]> =
            self.bars.iter().filter(|l| l.probed_block).map(|l| [l.start_ms, self.y(&l.row.relation)]).collect();
        // Every lane labelled: a mark per lane (the default spacer drops them below 20 px
        // apart), names as wide as the longest one, elided only beyond a third of the width.
        let font = egui::TextStyle::Body.resolve(ui.style());
        let width = |text: &str| ui.fonts_mut(|f| f.layout_no_wrap(text.to_owned(), font.clone(), Color32::WHITE).size().x);
        let most = (ui.available_width() / 3.0).max(100.0) - 16.0;
        let n = self.lanes.len();
        let labels: Vec<String> = (0..n).rev().map(|i| elide(self.lanes[i], most, &width)).collect();
        let axis_width = labels.iter().map(|l| width(l)).fold(0.0, f32::max) + 16.0;
        let y_axis = AxisHints::new_y().min_thickness(axis_width).label_spacing(12.0..=16.0).formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 0.01 || i < 0.0 {
                String::new()
            } else {
                labels.get(i as usize).cloned().unwrap_or_default()
            }
        });
        Plot::new("lock_timeline")
            .height(self.height())
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .include_y(-0.5)
            .include_y(n as f64 - 0.5)
            .include_x(0.0)
            .set_margin_fraction(egui::vec2(0.02, 0.0))
            .x_axis_label("ms since the first migration began")
            .x_axis_formatter(|mark, _| format!("{:.0} ms", mark.value))
            .custom_y_axes(vec![y_axis])
            .y_grid_spacer(move |_| (0..n).map(|i| GridMark { value: i as f64, step_size: 1.0 }).collect())
            .show(ui, |plot| {
                for c in charts {
                    plot.bar_chart(c);
                }
                plot.points(Points::new(PROBED, probed).radius(3.5).color(RED));
            });
    }
}

/// The timeline's legend, above the plot (inside, it would cover bars): the kinds of bar
/// drawn, and the probes' dot when a probe was blocked.
fn legend(ui: &mut egui::Ui, timeline: &Timeline) {
    ui.horizontal_wrapped(|ui| {
        for (blocks, name) in SERIES {
            if timeline.bars.iter().any(|l| l.blocks == blocks) {
                legend_item(ui, colour(blocks), name, false);
            }
        }
        if timeline.bars.iter().any(|l| l.probed_block) {
            legend_item(ui, RED, PROBED, true);
        }
    });
}

/// A name as wide as `most` at most (by `width`), cut at its start: a table's name ends a
/// relation's name.
fn elide(name: &str, most: f32, width: &dyn Fn(&str) -> f32) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let mut text = name.to_owned();
    while width(&text) > most && chars.len() > 4 {
        chars.remove(0);
        text = format!("…{}", chars.iter().collect::<String>());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::elide;

    #[test]
    fn a_lane_name_is_cut_at_its_start_only_when_wider_than_allowed() {
        let width = |s: &str| s.chars().count() as f32 * 7.0;
        assert_eq!(elide("public.users", 200.0, &width), "public.users");
        let long = "analytics.agent_performance_metrics_daily_rollups";
        let cut = elide(long, 140.0, &width);
        assert!(width(&cut) <= 140.0, "{cut}");
        assert!(cut.starts_with('…') && long.ends_with(&cut['…'.len_utf8()..]), "the table's name kept: {cut}");
    }
}
