//! What each section of a run-book shaped like the Week 2 one says, line by line.

use super::anywhere::{CRITERIA, ROLLBACK, canonical, is_restore, is_rollback};
use super::words::*;
use super::*;

impl Reader {
    pub(super) fn line(&mut self, n: usize, raw: &str) -> Target {
        let line = raw.trim();
        if let Some(&block) = self.shape.drop_fences.get(&n)
            && self.section != ROLLBACK
        {
            return self.drop_line(block, n, line);
        }
        if line.starts_with("```") {
            self.code = !self.code;
            self.statement = None;
            return Target::Layout;
        }
        if line.is_empty() || line == "---" || line.chars().all(|c| c == '─') {
            return Target::Layout;
        }
        if !self.code {
            let hashes = line.chars().take_while(|c| *c == '#').count();
            if hashes > 0 && line[hashes..].starts_with(' ') {
                return self.heading(n, hashes, line[hashes..].trim());
            }
            if let Some(t) = self.metadata(n, line) {
                return t;
            }
            if line.starts_with('|') && self.section != ROLLBACK {
                return self.table_row(n, line);
            }
        }
        let own = [
            "OBJECTIVE",
            ROLLBACK,
            CRITERIA,
            "DOCUMENTATION TO GENERATE",
            "GO/NO-GO DECISION POINT",
            "TEAM RESPONSIBILITIES",
            "TIMELINE SUMMARY",
            "NOTES FOR EXECUTION",
        ];
        if !own.contains(&self.section.as_str())
            && let Some(t) = self.anywhere(n, line)
        {
            return t;
        }
        match self.section.as_str() {
            "OBJECTIVE" => {
                self.book.objective = line.to_owned();
                el("objective")
            }
            "PRE-EXECUTION CHECKLIST" => self.checklist(line),
            "EXECUTION TIMELINE" => self.timeline(line),
            CRITERIA => self.criteria(n, line),
            "EXPECTED RESULTS" => self.expected(n, line),
            ROLLBACK => self.rollback(n, line),
            "DOCUMENTATION TO GENERATE" => self.documentation(n, line),
            "GO/NO-GO DECISION POINT" => self.go_no_go(line),
            "TEAM RESPONSIBILITIES" => self.team(line),
            "TIMELINE SUMMARY" => self.summary(n, line),
            "NOTES FOR EXECUTION" => {
                self.book.notes.push(line.replace("**", ""));
                el("notes")
            }
            _ => unmapped("outside any section pgstage reads"),
        }
    }

    fn metadata(&mut self, n: usize, line: &str) -> Option<Target> {
        let rest = line.strip_prefix("**")?;
        let (key, value) = rest.split_once("**:")?;
        let value = value.trim();
        Some(match key.trim() {
            "Scheduled Date" => {
                self.book.date = value.split_whitespace().next().unwrap_or_default().to_owned();
                el("scheduled")
            }
            "Scheduled Execution" => {
                if let Some(t) = value.split_whitespace().find_map(clock) {
                    self.book.time = t;
                }
                el("scheduled")
            }
            "Phase" => {
                self.book.phase = value.to_owned();
                el("phase")
            }
            "Planned Hours" => {
                self.book.planned_hours = numbers(value).first().map(|h| *h as f64);
                el("planned_hours")
            }
            "Expected Duration" => {
                if let Some(h) = numbers(value).first() {
                    self.book.hours_said.push((*h as f64, n));
                }
                el("planned_hours")
            }
            "Expected Result" => el("criteria"),
            _ => unmapped("a status or sign-off of the run-book itself, not something to run"),
        })
    }

    fn heading(&mut self, n: usize, level: usize, h: &str) -> Target {
        self.label = None;
        self.columns.clear();
        // "### 014 - Gamification" names migration 014 too (not "### 09:30 - …").
        let leading: String = h.chars().take_while(|c| c.is_ascii_digit()).collect();
        let numbered = (!leading.is_empty() && h[leading.len()..].starts_with([' ', '-', '—'])).then_some(leading);
        let named = migration_file(h).map(|(id, _)| id).or_else(|| migration_named(h)).or(numbered);
        if level == 1 {
            self.book.title = h.to_owned();
            return el("name");
        }
        let upper = h.chars().filter(|c| c.is_ascii()).collect::<String>().trim().to_uppercase();
        if level == 2 {
            self.section = canonical(&upper);
            self.sub.clear();
            self.group.clear();
            self.about = named.unwrap_or_default();
            if self.section == ROLLBACK {
                self.book.rollback_heading.get_or_insert_with(|| h.to_owned());
            }
            return Target::Layout;
        }
        self.about = named.unwrap_or_default();
        self.sub = h.to_owned();
        self.group.clear();
        if self.section != ROLLBACK && is_rollback(&upper) {
            self.section = ROLLBACK.into();
            self.book.rollback_heading.get_or_insert_with(|| h.to_owned());
        }
        self.sub_heading(n)
    }

    fn sub_heading(&mut self, n: usize) -> Target {
        let h = self.sub.clone();
        match self.section.as_str() {
            "EXECUTION TIMELINE" => {
                let Some(at) = clock(&h) else { return unmapped("a timeline heading without a time") };
                let phase = h[5..].trim_start_matches([' ', '-']).split('(').next().unwrap_or("").trim().to_owned();
                let minutes = duration(&h).unwrap_or(0);
                self.book.detail.push(Slot { at: at.clone(), minutes, phase, line: n });
                self.group = at.clone();
                el(format!("timeline at {at}"))
            }
            "EXPECTED RESULTS" if h.contains("Migration") => {
                let id = numbers(h.split_once("Migration").map_or("", |(_, r)| r)).first().map(|v| format!("{v:03}"));
                let title = h.split_once(" - ").map_or(String::new(), |(_, t)| t.trim().to_owned());
                if let Some(id) = &id
                    && let Some(m) = self.book.migrations.iter_mut().find(|m| &m.id == id)
                    && !title.is_empty()
                {
                    m.title = title;
                }
                self.group = id.clone().unwrap_or_default();
                el(format!("verification (group {})", self.group))
            }
            "EXPECTED RESULTS" if h.contains("Schema Summary") => el("schema_summary"),
            "EXPECTED RESULTS" => el("criteria (verification)"),
            ROLLBACK if is_restore(&h) => unmapped("a backup restore: pgstage rehearses the rollback script, not a restore"),
            ROLLBACK => el("rollback"),
            "TEAM RESPONSIBILITIES" => {
                self.group = h;
                el("team")
            }
            "DOCUMENTATION TO GENERATE" => el("report (pgstage writes the execution report)"),
            _ => Target::Layout,
        }
    }

    fn checklist(&mut self, line: &str) -> Target {
        if line.ends_with(':') {
            self.group = line.to_owned();
            return Target::Layout;
        }
        if let Some(item) = line.strip_prefix("- [x]").or_else(|| line.strip_prefix("- [ ]")) {
            self.book.manual.push(item.trim().to_owned());
            return el(format!("preflight.manual[{}]", self.book.manual.len() - 1));
        }
        let text = tree_text(line);
        let upper = text.to_uppercase();
        if self.group.starts_with("Expected Initial State")
            && let Some(what) = figured(&upper)
            && let Some(f) = figure(what, text, text)
        {
            self.book.initial.push(f);
            return el("preflight.checks (baseline)");
        }
        unmapped("a checklist line pgstage cannot read")
    }

    fn migration(&mut self) -> Option<&mut Announced> {
        let id = self.group.strip_prefix("migration ")?.to_owned();
        self.book.migrations.iter_mut().find(|m| m.id == id)
    }

    fn timeline(&mut self, line: &str) -> Target {
        let text = tree_text(line);
        let at = clock(line);
        if let Some(at) = &at
            && let Some(rest) = line.split_once("Execute Migration")
        {
            let id = numbers(rest.1).first().map(|v| format!("{v:03}")).unwrap_or_default();
            self.book.migrations.push(Announced { id: id.clone(), ..Default::default() });
            self.group = format!("migration {id}");
            self.book.steps.push((at.clone(), format!("Apply {id}")));
            return el(format!("migrations[{id}]"));
        }
        if let Some(at) = &at {
            // A new timed step ends the migration block.
            if !self.group.is_empty() && self.group.starts_with("migration ") {
                self.group = self.book.detail.last().map(|s| s.at.clone()).unwrap_or_default();
            }
            self.book.steps.push((at.clone(), text[5..].trim_start_matches([' ', '-']).to_owned()));
            return el(format!("timeline step at {at}"));
        }
        let lower = text.to_lowercase();
        if let Some(m) = self.migration() {
            let id = m.id.clone();
            if let Some(file) = text.strip_prefix("Apply:") {
                m.file = file.trim().to_owned();
                return el(format!("migrations[{id}].file"));
            }
            if lower.starts_with("expected execution") {
                let n = numbers(text);
                if n.len() >= 2 {
                    m.range = Some((n[0] as u64, n[1] as u64));
                    return el(format!("migrations[{id}].expected_ms"));
                }
            }
            if let Some(rest) = text.strip_prefix("Creates:") {
                m.tables = listed(rest);
                return el(format!("migrations[{id}].creates.tables"));
            }
            if let Some(rest) = text.strip_prefix("Adds:") {
                for part in rest.split(',') {
                    let n = numbers(part).first().map(|v| *v as u32);
                    let p = part.to_lowercase();
                    if p.contains("index") {
                        m.indexes = n;
                    } else if p.contains("polic") {
                        m.policies = n;
                    } else if p.contains("trigger") {
                        m.triggers = n;
                    } else if p.contains("function") {
                        m.functions_said = n;
                    }
                }
                return el(format!("migrations[{id}].creates"));
            }
        }
        if let Some(rest) = text.strip_prefix("Check:")
            && let Some((name, from)) = rest.split_once("(from Migration")
            && is_ident(name.trim())
        {
            let id = numbers(from).first().map(|v| format!("{v:03}")).unwrap_or_default();
            if let Some(m) = self.book.migrations.iter_mut().find(|m| m.id == id) {
                m.functions.push(name.trim().to_owned());
                return el(format!("migrations[{id}].creates.functions"));
            }
        }
        let safety: Option<&'static str> = match lower {
            l if l.starts_with("active connections") => Some("connections"),
            l if l.starts_with("replication lag") => Some("replication"),
            l if l.starts_with("database size") => Some("size"),
            _ => None,
        };
        if let Some(s) = safety {
            self.book.safety.push(s);
            return el(format!("preflight.checks ({s})"));
        }
        let at = self.book.detail.last().map(|s| s.at.clone()).unwrap_or_default();
        self.book.steps.push((at.clone(), text.to_owned()));
        el(format!("timeline step at {at}"))
    }

    pub(super) fn criteria(&mut self, at: usize, line: &str) -> Target {
        if line.ends_with("CRITERIA:") {
            let g = line.trim_end_matches(':').replace(" CRITERIA", "");
            self.group = g.chars().next().map_or(String::new(), |c| c.to_string() + &g[1..].to_lowercase());
            return el(format!("criteria (group {})", self.group));
        }
        if line.ends_with(':') {
            return el("criteria (every one hard: all must hold for GO)");
        }
        let title = bare(line);
        // The counts the line names, each a check; what else it says, left unchecked.
        let mut counts = Vec::new();
        let mut unchecked = Vec::new();
        for part in outside_parens(&title).split([',', ';']).flat_map(|p| p.split(" and ")) {
            let part = part.trim();
            match count_first(part).or_else(|| key_value(part)) {
                Some((what, value, at_least)) if what.is_count() => {
                    counts.push(Figure { what, value, at_least, title: part.to_owned(), line: at })
                }
                _ if part.is_empty() => {}
                _ => unchecked.push(part.to_owned()),
            }
        }
        if !counts.is_empty() {
            let target = if unchecked.is_empty() {
                el("criteria (Counts: met only by the checks of these counts)")
            } else {
                Target::Unmapped(format!(
                    "partly: its counts became a criterion met only by their checks; no check measures \"{}\"",
                    unchecked.join("\", \"")
                ))
            };
            let rule = CriterionRule::Counts(counts);
            self.book.criteria.push(CriterionLine { group: self.group.clone(), title, rule, unchecked, line: at });
            return target;
        }
        let l = title.to_lowercase();
        let n = numbers(&title).first().copied();
        let rule = if l.contains("migrations execute") || l.contains("without errors") {
            CriterionRule::AllApplied
        } else if l.contains("execution time") && l.contains('<') {
            let v = n.unwrap_or(0) as u64;
            CriterionRule::TotalMsBelow(if l.contains("second") { v * 1000 } else { v })
        } else if l.contains("data loss") {
            CriterionRule::NoDataLoss
        } else if l.contains("verification queries") || l.contains("verification checks") {
            CriterionRule::Verified(n.map(|v| v as usize))
        } else if l.contains("orphan") || l.contains("relationships valid") {
            CriterionRule::NoOrphans
        } else if l.contains("constraint") || l.contains("conflicts") {
            CriterionRule::Section(Section::Integrity)
        } else if l.contains("rls policies working") {
            CriterionRule::RlsOn
        } else if l.contains("slow queries") {
            CriterionRule::NoSlowQueries(if l.contains("1s") { 1000 } else { n.unwrap_or(1) as u64 * 1000 })
        } else if l.contains("replication lag") {
            CriterionRule::ReplicationLag(n.unwrap_or(0) as u64)
        } else {
            return unmapped("no measure for it: pgstage cannot judge it (add a check if it matters)");
        };
        let target = format!("criteria ({:?})", rule);
        self.book.criteria.push(CriterionLine { group: self.group.clone(), title, rule, unchecked: vec![], line: at });
        el(target)
    }

    fn expected(&mut self, n: usize, line: &str) -> Target {
        let text = tree_text(line);
        if self.sub.contains("Migration") {
            if let Some(rest) = line.strip_prefix("--") {
                if let Some(k) = numbers(rest).first() {
                    self.book.item_counts.push((self.group.clone(), *k as usize, n));
                }
                return el(format!("verification (group {})", self.group));
            }
            if text.starts_with("Result:") {
                return el(format!("verification (group {})", self.group));
            }
            let words: Vec<&str> = text.split_whitespace().collect();
            let function = (words.len() == 3 && words[1] == "function").then(|| words[0].to_owned());
            let tables: Vec<String> = if function.is_some() {
                vec![]
            } else {
                text.split(" table")
                    .next()
                    .unwrap_or("")
                    .split('&')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| is_ident(t))
                    .collect()
            };
            if function.is_none() && tables.is_empty() {
                return unmapped("a verification item pgstage cannot read");
            }
            self.book.items.push(Item { group: self.group.clone(), title: text.to_owned(), tables, function });
            return el(format!("verification[{}]", self.book.items.len() - 1));
        }
        if self.sub.contains("Schema Summary") {
            if line.starts_with("--") {
                return Target::Layout;
            }
            let upper = text.to_uppercase();
            if let Some(what) = figured(&upper)
                && let Some(f) = figure(what, text, text)
            {
                self.book.summary.push(f);
                // "70+ existing": the baseline figure.
                if let Some(existing) = text.split('(').nth(1).filter(|e| e.contains("existing"))
                    && let Some(v) = numbers(existing).first()
                {
                    let title = format!("{}: {v}+ existing", text.split(':').next().unwrap_or(""));
                    self.book.initial.push(Figure { what, value: *v, at_least: true, title, line: n });
                }
                return el(format!("schema_summary ({what:?})"));
            }
            return unmapped("a schema summary line pgstage cannot read");
        }
        // Overall verification result.
        let upper = text.to_uppercase();
        if upper.contains("READINESS") {
            el("verdict")
        } else if upper.contains("SCHEMA_EXPANSION") {
            el("schema_summary (Tables)")
        } else {
            el("criteria (Section(\"verification\"))")
        }
    }

    fn rollback(&mut self, n: usize, line: &str) -> Target {
        if is_restore(&self.sub) || (!self.code && is_restore(line)) {
            return unmapped("a backup restore: pgstage rehearses the rollback script, not a restore");
        }
        if !self.code {
            let text = bare(line);
            if let Some((Figured::Tables, v, _)) = key_value(&text).or_else(|| count_first(&text)) {
                self.book.rollback_tables = Some(v);
                return el("rollback.checks (Tables)");
            }
            if line.starts_with('|') {
                return unmapped("a table row in the rollback section pgstage cannot read");
            }
            return if self.sub.is_empty() && line.ends_with(':') { Target::Layout } else { el("rollback") };
        }
        if let Some(c) = line.strip_prefix("--") {
            if c.contains("Expected:")
                && let Some(v) = numbers(c).first()
            {
                self.book.rollback_tables = Some(*v);
                return el("rollback.checks (Tables)");
            }
            return el("rollback");
        }
        // Statement by statement: a SELECT (to its `;`) is the run-book's own look at the
        // result, anything else is rollback SQL, every line of it (a `WHERE` of a DELETE too).
        let select = *self.statement.get_or_insert_with(|| {
            let upper = line.to_uppercase();
            upper.starts_with("SELECT") || upper.starts_with("TABLE ")
        });
        if line.trim_end().ends_with(';') {
            self.statement = None;
        }
        if select {
            return el("rollback.checks (Tables, read from pg_catalog)");
        }
        self.book.rollback_sql.push(line.to_owned());
        self.book.rollback_lines.push(n);
        el("rollback.script")
    }

    fn documentation(&mut self, n: usize, line: &str) -> Target {
        let text = tree_text(line);
        if let Some(rest) = text.strip_prefix("Migration ")
            && let Some((id, tail)) = rest.split_once(':')
            && let [lo, hi, ..] = numbers(tail.split_once("expected").map_or("", |(_, r)| r))[..]
        {
            self.book.documented_ranges.push((id.trim().to_owned(), (lo as u64, hi as u64), n));
            return el(format!("migrations[{}].expected_ms", id.trim()));
        }
        el("report (pgstage writes the execution report)")
    }

    fn go_no_go(&mut self, line: &str) -> Target {
        let l = line.to_lowercase();
        if l.starts_with("decision") {
            el("verdict")
        } else if l.contains("verification queries") {
            el("criteria (Section(\"verification\"))")
        } else if l.contains("table count") || l.contains("functions created") {
            el("schema_summary")
        } else if l.contains("foreign keys") {
            el("criteria (NoOrphans)")
        } else if l.contains("rls") {
            el("criteria (RlsOn)")
        } else if l.contains("schema errors") {
            el("criteria (AllApplied)")
        } else if l.ends_with(':') {
            Target::Layout
        } else {
            unmapped("a go/no-go question pgstage cannot read")
        }
    }

    fn team(&mut self, line: &str) -> Target {
        let Some(rest) = line.strip_prefix("- **") else { return unmapped("a team line pgstage cannot read") };
        let Some((role, duty)) = rest.split_once("**:") else { return unmapped("a team line pgstage cannot read") };
        self.book.team.push((self.group.clone(), role.trim().to_owned(), duty.trim().to_owned()));
        el(format!("team[{}]", self.book.team.len() - 1))
    }

    fn summary(&mut self, n: usize, line: &str) -> Target {
        if let Some(at) = clock(line)
            && let Some((_, rest)) = line[5..].split_once(':')
        {
            let phase = rest.split('(').next().unwrap_or("").trim().to_owned();
            let minutes = duration(rest).unwrap_or(0);
            self.book.slots.push(Slot { at: at.clone(), minutes, phase, line: n });
            return el(format!("timeline at {at}"));
        }
        let l = line.to_lowercase();
        if l.starts_with("total:") {
            if let Some(h) = numbers(line).first() {
                self.book.hours_said.push((*h as f64, n));
            }
            return el("planned_hours");
        }
        if l.contains("migration time") {
            return el("criteria (TotalMsBelow)");
        }
        if l.contains("verification time") {
            return el("timeline step at 10:00");
        }
        if numbers(line).len() >= 3 {
            return el("scheduled");
        }
        unmapped("a timeline line pgstage cannot read")
    }
}
