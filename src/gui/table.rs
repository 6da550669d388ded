//! Sortable, filterable tables over egui_extras' TableBuilder, with virtual scrolling.
//!
//! The display order is a `Vec<usize>` into the data, recomputed (stable sort) only when the
//! sort, the filter or the data changes, never per frame; a frame costs O(visible rows).
//! Selection is kept by a stable key, not by display index.

use std::cmp::Ordering;

use egui_extras::{Column, TableBuilder};

/// A value to sort by: numbers sort as numbers, text as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Num(f64),
    Text(String),
}

impl Key {
    fn cmp(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Num(a), Key::Num(b)) => a.total_cmp(b),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            (Key::Num(_), Key::Text(_)) => Ordering::Less,
            (Key::Text(_), Key::Num(_)) => Ordering::Greater,
        }
    }
}

/// What a table shows of its rows.
pub trait Rows {
    /// Column headers.
    fn columns(&self) -> &'static [&'static str];
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The stable identity of row `i` (for selection).
    fn key(&self, i: usize) -> String;
    fn sort_key(&self, i: usize, column: usize) -> Key;
    /// Whether row `i` passes the text filter (lower-case) and the status filter.
    fn keep(&self, i: usize, text: &str, status: Option<&str>) -> bool;
    /// Draw cell `column` of row `i`.
    fn cell(&self, ui: &mut egui::Ui, i: usize, column: usize);
    /// Cell `column` of row `i` as plain text (what copying gives).
    fn text(&self, i: usize, column: usize) -> String;
    /// The SQL behind row `i`, if any.
    fn sql(&self, i: usize) -> Option<String>;
    /// The column that takes the width left (and gives it back when the window shrinks).
    fn flexible(&self) -> usize {
        self.columns().len() - 1
    }
    /// Row `i` as one tab-separated line.
    fn row_text(&self, i: usize) -> String {
        (0..self.columns().len()).map(|c| self.text(i, c)).collect::<Vec<_>>().join("\t")
    }
}

/// The rows in `order` with a header line, tab-separated (pastes into a spreadsheet).
pub fn table_text(rows: &dyn Rows, order: &[usize]) -> String {
    let mut out = rows.columns().join("\t");
    for &i in order {
        out.push('\n');
        out.push_str(&rows.row_text(i));
    }
    out.push('\n');
    out
}

/// What a display order depends on: data version, number of rows (rows can arrive within
/// one version, as a migration's trace does), sort, text filter, status filter.
type OrderKey = (u64, usize, Option<(usize, bool)>, String, Option<String>);

#[derive(Debug, Default, Clone)]
pub struct TableState {
    /// Sorted column and whether descending.
    pub sort: Option<(usize, bool)>,
    pub filter: String,
    /// A status label to keep (e.g. "FAIL"), or all.
    pub status: Option<String>,
    /// The selected row's key.
    pub selected: Option<String>,
    order: Vec<usize>,
    /// What `order` was computed for.
    computed_for: Option<OrderKey>,
}

impl TableState {
    /// Recompute the display order if anything it depends on changed.
    pub fn refresh(&mut self, rows: &dyn Rows, version: u64) {
        let wanted = (version, rows.len(), self.sort, self.filter.clone(), self.status.clone());
        if self.computed_for.as_ref() == Some(&wanted) {
            return;
        }
        let text = self.filter.to_lowercase();
        let mut order: Vec<usize> = (0..rows.len()).filter(|&i| rows.keep(i, &text, self.status.as_deref())).collect();
        if let Some((column, descending)) = self.sort {
            let keys: Vec<Key> = (0..rows.len()).map(|i| rows.sort_key(i, column)).collect();
            order.sort_by(|&a, &b| {
                let o = keys[a].cmp(&keys[b]);
                if descending { o.reverse() } else { o }
            });
        }
        self.order = order;
        self.computed_for = Some(wanted);
    }

    /// Row indices in display order (after [`TableState::refresh`]).
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Click on a header: sort by it, or reverse when it already is.
    pub fn toggle_sort(&mut self, column: usize) {
        self.sort = match self.sort {
            Some((c, descending)) if c == column => Some((c, !descending)),
            _ => Some((column, false)),
        };
    }

    /// Draw the table at most `height` high; returns the key of a row clicked this frame.
    /// A click anywhere on a row selects it; its context menu copies the row, its SQL or
    /// the table.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        id: &str,
        rows: &dyn Rows,
        version: u64,
        widths: &[f32],
        height: f32,
    ) -> Option<String> {
        self.refresh(rows, version);
        let columns = rows.columns();
        // Text in the cells is not selectable: a click on it is a click on the row.
        ui.style_mut().interaction.selectable_labels = false;
        let mut builder = TableBuilder::new(ui)
            .id_salt(id)
            .striped(true)
            // Widths follow the window (resized columns would keep a wide window's widths).
            .resizable(false)
            .min_scrolled_height(height.min(60.0))
            .max_scroll_height(height)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
        for (c, _) in columns.iter().enumerate() {
            let width = widths.get(c).copied().unwrap_or(100.0);
            builder = builder.column(if c == rows.flexible() {
                Column::remainder().at_least(120.0).clip(true)
            } else {
                Column::initial(width).at_least(36.0).clip(true)
            });
        }
        let mut clicked_header = None;
        let mut clicked_row = None;
        let mut copy = None;
        let sort = self.sort;
        builder
            .header(22.0, |mut header| {
                for (c, name) in columns.iter().enumerate() {
                    header.col(|ui| {
                        let arrow = match sort {
                            Some((s, false)) if s == c => " ⬆",
                            Some((s, true)) if s == c => " ⬇",
                            _ => "",
                        };
                        let button = egui::Button::new(egui::RichText::new(format!("{name}{arrow}")).strong()).frame(false);
                        if ui.add(button).on_hover_text(format!("Sort by {name}; click again to reverse")).clicked() {
                            clicked_header = Some(c);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, self.order.len(), |mut row| {
                    let i = self.order[row.index()];
                    let key = rows.key(i);
                    row.set_selected(self.selected.as_deref() == Some(key.as_str()));
                    for c in 0..columns.len() {
                        row.col(|ui| rows.cell(ui, i, c));
                    }
                    let response = row.response();
                    if response.clicked() || response.secondary_clicked() {
                        clicked_row = Some(key);
                    }
                    response.context_menu(|ui| {
                        if ui.button("Copy row").clicked() {
                            copy = Some(rows.row_text(i));
                        }
                        if let Some(sql) = rows.sql(i)
                            && ui.button("Copy SQL").clicked()
                        {
                            copy = Some(sql);
                        }
                        if ui.button("Copy table").clicked() {
                            copy = Some(table_text(rows, &self.order));
                        }
                    });
                });
            });
        if let Some(text) = copy {
            ui.ctx().copy_text(text);
        }
        if let Some(c) = clicked_header {
            self.toggle_sort(c);
        }
        if let Some(key) = &clicked_row {
            self.selected = Some(key.clone());
        }
        clicked_row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Numbers(Vec<(&'static str, f64)>);

    impl Rows for Numbers {
        fn columns(&self) -> &'static [&'static str] {
            &["name", "value"]
        }
        fn len(&self) -> usize {
            self.0.len()
        }
        fn key(&self, i: usize) -> String {
            self.0[i].0.to_owned()
        }
        fn sort_key(&self, i: usize, column: usize) -> Key {
            if column == 0 { Key::Text(self.0[i].0.to_owned()) } else { Key::Num(self.0[i].1) }
        }
        fn keep(&self, i: usize, text: &str, _: Option<&str>) -> bool {
            self.0[i].0.contains(text)
        }
        fn cell(&self, _: &mut egui::Ui, _: usize, _: usize) {}
        fn text(&self, i: usize, column: usize) -> String {
            if column == 0 { self.0[i].0.to_owned() } else { self.0[i].1.to_string() }
        }
        fn sql(&self, _: usize) -> Option<String> {
            None
        }
    }

    #[test]
    fn sorts_numbers_numerically_and_reverses_on_second_click() {
        let rows = Numbers(vec![("b", 10.0), ("a", 9.0), ("c", 100.0)]);
        let mut t = TableState::default();
        t.toggle_sort(1);
        t.refresh(&rows, 1);
        assert_eq!(t.order(), [1, 0, 2]);
        t.toggle_sort(1);
        t.refresh(&rows, 1);
        assert_eq!(t.order(), [2, 0, 1]);
        t.toggle_sort(0);
        t.refresh(&rows, 1);
        assert_eq!(t.order(), [1, 0, 2]);
        t.filter = "c".into();
        t.refresh(&rows, 1);
        assert_eq!(t.order(), [2]);
        assert_eq!(table_text(&rows, t.order()), "name\tvalue\nc\t100\n");
    }

    #[test]
    fn rows_that_arrive_within_one_version_are_shown() {
        let mut t = TableState::default();
        t.refresh(&Numbers(vec![("a", 1.0), ("b", 2.0)]), 7);
        t.refresh(&Numbers(vec![("a", 1.0), ("b", 2.0), ("c", 3.0)]), 7);
        assert_eq!(t.order(), [0, 1, 2], "3 of 3, not 2 of 3");
    }
}
