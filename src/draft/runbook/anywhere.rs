//! What a run-book says wherever it says it: verification items ("✅ x table exists"), a
//! migration's "Expected: N tables created", the schema's counts ("62 tables", "98+ foreign
//! keys", "Expected: 82+ total" under "Foreign key count:"), migration files with their time
//! and tables, Markdown tables of any of these, and DROP statements in fenced blocks outside
//! the rollback section (the rollback when the run-book gives no other).

use super::words::*;
use super::*;

pub(super) const ROLLBACK: &str = "ROLLBACK PROCEDURE";
pub(super) const CRITERIA: &str = "SUCCESS CRITERIA";

/// A `##` heading's section: the Week 2 names, and rollback and criteria headings of any
/// wording.
pub(super) fn canonical(upper: &str) -> String {
    if is_rollback(upper) {
        ROLLBACK.into()
    } else if ["CRITERIA", "ACCEPTANCE", "DEFINITION OF DONE"].iter().any(|k| upper.contains(k)) {
        CRITERIA.into()
    } else {
        upper.to_owned()
    }
}

pub(super) fn is_rollback(upper: &str) -> bool {
    ["ROLLBACK", "ROLL BACK", "BACK OUT", "BACKING OUT", "BACKOUT", "REVERT", "UNDO"].iter().any(|k| upper.contains(k))
}

/// A restore from a backup or snapshot: not something a rehearsal runs.
pub(super) fn is_restore(text: &str) -> bool {
    let u = text.to_uppercase();
    ["BACKUP", "RESTORE", "SNAPSHOT", "PITR", "POINT-IN-TIME"].iter().any(|k| u.contains(k))
}

/// Where a count read in this context goes.
enum Side {
    Before,
    After,
    Rollback,
}

impl Reader {
    fn side(&self) -> Side {
        let before = ["BEFORE", "BASELINE", "INITIAL", "CURRENT STATE", "STARTING", "PRE-MIGRATION", "EXISTING"];
        if self.section == ROLLBACK {
            Side::Rollback
        } else if [&self.section, &self.sub, &self.group].iter().any(|s| before.iter().any(|k| s.to_uppercase().contains(k))) {
            Side::Before
        } else {
            Side::After
        }
    }

    /// A count the run-book states: a check of the baseline, of the schema after the batch,
    /// or of the state after the rollback.
    fn count(&mut self, what: Figured, value: i64, at_least: bool, title: &str, n: usize, side: Side) -> Option<Target> {
        let f = Figure { what, value, at_least, title: title.to_owned(), line: n };
        match side {
            Side::Rollback if what == Figured::Tables => {
                self.book.rollback_tables = Some(value);
                Some(el("rollback.checks (Tables)"))
            }
            Side::Rollback => None,
            Side::Before => {
                self.book.initial.push(f);
                Some(el("preflight.checks (baseline)"))
            }
            Side::After if what.is_count() => {
                // "130+ total (70+ existing + 60+ new)": the baseline's figure too.
                if let Some(existing) = title.split('(').nth(1).filter(|e| e.contains("existing"))
                    && let Some(v) = numbers(existing.split("existing").next().unwrap_or("")).last()
                {
                    let key = title.split(':').next().unwrap_or(title);
                    let t = format!("{key}: {v}+ existing");
                    self.book.initial.push(Figure { what, value: *v, at_least: true, title: t, line: n });
                }
                self.book.summary.push(f);
                Some(el(format!("schema_summary ({what:?})")))
            }
            Side::After => None,
        }
    }

    /// A line of a section that is not one of Week 2's own, or a line that section's reader
    /// would only have filed as a step: `None` when it says nothing read here.
    pub(super) fn anywhere(&mut self, n: usize, line: &str) -> Option<Target> {
        if clock(line).is_some() {
            self.label = None;
        }
        let text = bare(line);
        if let Some(id) = migration_named(&text) {
            self.about = id;
            // "Verify Migration 013:": the label of what follows.
            if text.ends_with(':') && text.split_whitespace().count() <= 4 {
                return Some(Target::Layout);
            }
        }
        if let Some((tables, function)) = item_of(&text) {
            return Some(self.item(&text, tables, function));
        }
        if !self.group.starts_with("migration ")
            && let Some((id, file)) = migration_file(&text)
        {
            return Some(self.announce(id, file, &text, &[]));
        }
        let lower = text.to_lowercase();
        if let Some(rest) = lower.strip_prefix("expected:").map(|r| text[text.len() - r.len()..].trim().to_owned()) {
            let mut title = text.clone();
            let counted = count_first(&rest).or_else(|| {
                let (v, at_least) = threshold(rest.split_whitespace().find(|w| !w.eq_ignore_ascii_case("all"))?)?;
                let (what, label) = self.label.clone()?;
                title = format!("{label} {rest}");
                Some((what, v, at_least))
            });
            self.label = None;
            let (what, v, at_least) = counted?;
            if matches!(what, Figured::Tables | Figured::NewTables) && lower.contains("created") && !self.about.is_empty() {
                self.book.table_counts.push((self.about.clone(), v, n));
                return Some(el(format!("verification (migration {}: {v} tables)", self.about)));
            }
            let side = self.side();
            return self.count(what, v, at_least, &title, n, side);
        }
        if text.ends_with(':')
            && text.split_whitespace().count() <= 4
            && let Some(what) = figured(&text.to_uppercase())
        {
            self.label = Some((what, text.clone()));
            return Some(Target::Layout);
        }
        let (what, v, at_least) = key_value(&text).or_else(|| count_first(&text))?;
        let side = self.side();
        self.count(what, v, at_least, &text, n, side)
    }

    fn item(&mut self, title: &str, tables: Vec<String>, function: Option<String>) -> Target {
        let group = if !self.group.is_empty() && !self.group.starts_with("migration ") { &self.group } else { &self.about };
        let group = if group.is_empty() { self.sub.clone() } else { group.clone() };
        self.book.items.push(Item { group, title: title.to_owned(), tables, function });
        el(format!("verification[{}]", self.book.items.len() - 1))
    }

    /// A migration file named outside the Week 2 timeline, with the time range and tables the
    /// line (or the table row, by its columns) gives.
    fn announce(&mut self, id: String, file: String, text: &str, cells: &[String]) -> Target {
        self.about = id.clone();
        let column = |keys: &[&str]| {
            cells.iter().enumerate().find(|(i, _)| self.columns.get(*i).is_some_and(|c| keys.iter().any(|k| c.contains(k))))
        };
        let range = ms_range(text);
        let tables = match column(&["table", "creates"]) {
            Some((_, cell)) => cell.split(',').map(|t| t.trim().to_owned()).filter(|t| is_ident(t)).collect(),
            None => created(text),
        };
        if let Some(m) = self.book.migrations.iter_mut().find(|m| m.file == file) {
            m.range = m.range.or(range);
            if m.tables.is_empty() {
                m.tables = tables;
            }
            return el(format!("migrations[{}]", m.id));
        }
        self.book.migrations.push(Announced { id: id.clone(), file, range, tables, ..Default::default() });
        el(format!("migrations[{id}]"))
    }

    /// A row of a Markdown table: its header names the columns; a row is a verification
    /// item, a migration, or a count with a column per side (before, after, new).
    pub(super) fn table_row(&mut self, n: usize, line: &str) -> Target {
        let cells: Vec<String> = line.trim().trim_matches('|').split('|').map(bare).collect();
        if self.shape.table_headers.contains(&n) {
            self.columns = cells.iter().map(|c| c.to_lowercase()).collect();
            return Target::Layout;
        }
        if line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
            return Target::Layout;
        }
        let first = cells.first().cloned().unwrap_or_default();
        if let Some((tables, function)) = item_of(&first) {
            return self.item(&first, tables, function);
        }
        if let Some((id, file)) = cells.iter().find_map(|c| migration_file(c)) {
            return self.announce(id, file, &cells.join(" | "), &cells);
        }
        if self.section == CRITERIA {
            // "| Tables | 62 |" reads as "Tables: 62"; "| No data loss | ✅ |" as itself.
            let rest: Vec<&str> = cells[1..].iter().map(|c| c.as_str()).filter(|c| !c.is_empty()).collect();
            let line = if rest.is_empty() { first } else { format!("{first}: {}", rest.join(", ")) };
            return self.criteria(n, &line);
        }
        let Some(what) = (first.split_whitespace().count() <= 4).then(|| figured(&first.to_uppercase())).flatten() else {
            return unmapped("a table row pgstage cannot read");
        };
        let mut targets = Vec::new();
        for (i, cell) in cells.iter().enumerate().skip(1) {
            let Some((v, at_least)) = cell.split_whitespace().next().and_then(threshold) else { continue };
            let column = self.columns.get(i).cloned().unwrap_or_default();
            let title = if column.is_empty() { format!("{first}: {cell}") } else { format!("{first} ({column}): {cell}") };
            let (what, side) = match column {
                c if ["before", "baseline", "current", "initial", "existing", "start"].iter().any(|k| c.contains(k)) => {
                    (what, Side::Before)
                }
                c if ["new", "added", "delta", "created", "change"].iter().any(|k| c.contains(k)) => (what.new(), Side::After),
                _ => (what, self.side()),
            };
            if let Some(Target::Element(t)) = self.count(what, v, at_least, &title, n, side) {
                targets.push(t);
            }
        }
        if targets.is_empty() { unmapped("a count pgstage cannot check") } else { el(targets.join(", ")) }
    }

    /// A statement of a fenced block of DROP statements outside the rollback section.
    pub(super) fn drop_line(&mut self, block: usize, n: usize, line: &str) -> Target {
        if line.starts_with("```") {
            self.code = !self.code;
            return Target::Layout;
        }
        if line.starts_with("--") {
            return el("rollback");
        }
        self.drops.push((block, n, line.to_owned()));
        el("rollback.script")
    }

    /// The rollback: the rollback section's SQL, else the first block of DROP statements;
    /// any other block is listed as not run.
    pub(super) fn drop_blocks(&mut self) {
        let take = if self.book.rollback_sql.is_empty() { self.drops.first().map(|d| d.0) } else { None };
        let used = self.book.rollback_lines.first().copied();
        for (block, n, text) in std::mem::take(&mut self.drops) {
            if Some(block) == take {
                self.book.rollback_sql.push(text);
                self.book.rollback_lines.push(n);
            } else if let Some(m) = self.book.mapping.get_mut(n - 1) {
                let first = used.or(self.book.rollback_lines.first().copied()).unwrap_or(0);
                m.to = unmapped(&format!("DROP statements besides the rollback the plan takes (from line {first}): not run"));
            }
        }
        if take.is_some() && self.book.rollback_heading.is_none() {
            self.book.rollback_heading = Some("a fenced block of DROP statements".into());
        }
    }
}
