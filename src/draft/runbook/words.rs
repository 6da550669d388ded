//! Small readers of run-book text: numbers, clock times, durations, tree lines, lists of
//! names, and the schema figure a line states.

use super::{Figure, Figured};

pub(super) fn numbers(s: &str) -> Vec<i64> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            cur.push(c);
        } else if !cur.is_empty() {
            out.extend(cur.parse::<i64>().ok());
            cur.clear();
        }
    }
    out
}

/// `"09:30"` at the start of `s`.
pub(super) fn clock(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    (b.len() >= 5
        && b[0].is_ascii_digit()
        && b[1].is_ascii_digit()
        && b[2] == b':'
        && b[3].is_ascii_digit()
        && b[4].is_ascii_digit())
    .then(|| s[..5].to_owned())
}

/// `(30 min)`, `(1 hour)`, `(1.5 hours)` → minutes.
pub(super) fn duration(s: &str) -> Option<u32> {
    let inside = s.rsplit_once('(')?.1.split(')').next()?;
    let (n, unit) = inside.trim().split_once(' ')?;
    let n: f64 = n.parse().ok()?;
    match unit.trim() {
        u if u.starts_with("min") => Some(n as u32),
        u if u.starts_with("hour") => Some((n * 60.0).round() as u32),
        _ => None,
    }
}

/// A tree line's text: `  ├─ Apply: x.sql` → `Apply: x.sql`.
pub(super) fn tree_text(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '├' | '└' | '─' | '│' | '-' | '*' | '✅')).trim()
}

/// A line without its list marker, tree drawing, check box or check mark: `- [x] ✅ 62 tables`
/// → `62 tables`; `2. x` → `x`.
pub(super) fn bare(s: &str) -> String {
    let mut t = tree_text(s).replace('`', "").replace("**", "");
    loop {
        let before = t.len();
        for p in ["[x]", "[X]", "[ ]", "✅", "☑", "✓", "✔️", "✔"] {
            if let Some(r) = t.strip_prefix(p) {
                t = r.trim_start().to_owned();
            }
        }
        let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && t[digits..].starts_with(". ") {
            t = t[digits + 2..].trim_start().to_owned();
        }
        t = tree_text(&t).to_owned();
        if t.len() == before {
            return t;
        }
    }
}

/// `positioning table exists`, `a & b tables exist`, `f function exists`: the tables or the
/// function a verification item checks.
pub(super) fn item_of(text: &str) -> Option<(Vec<String>, Option<String>)> {
    let t = outside_parens(text).trim().trim_end_matches(['.', ':']).to_owned();
    let lower = t.to_lowercase();
    if let Some(name) = lower.strip_suffix(" function exists").filter(|n| is_ident(n.trim())) {
        let name = t[..name.len()].trim().to_owned();
        return Some((vec![], Some(name)));
    }
    let names = lower.strip_suffix(" table exists").or_else(|| lower.strip_suffix(" tables exist"))?;
    let tables: Vec<String> = t[..names.len()]
        .split(['&', ','])
        .flat_map(|p| p.split(" and "))
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    (!tables.is_empty() && tables.iter().all(|n| is_ident(n))).then_some((tables, None))
}

/// `Migration 013`, `migration 2`: the migration a line or heading names, as `013`.
pub(super) fn migration_named(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let at = lower.find("migration ")?;
    let rest = &text[at + "migration ".len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let v: u64 = digits.parse().ok()?;
    Some(format!("{v:03}"))
}

/// Names after `creates` / `tables:`: `creates accounts, account_owners` → both.
pub(super) fn created(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let Some(at) = ["creates", "tables:"].iter().find_map(|k| lower.find(k).map(|i| i + k.len())) else { return vec![] };
    let rest = text[at..].trim_start_matches([':', ' ']);
    let rest = rest.split_once('(').map_or(rest, |(_, r)| r.split(')').next().unwrap_or(r));
    rest.split([',', ';', '—', '|'])
        .flat_map(|p| p.split(" and "))
        .map(|n| n.trim().trim_matches('`').to_owned())
        .take_while(|n| is_ident(n))
        .collect()
}

/// Names in `(a, b, c)`.
pub(super) fn listed(s: &str) -> Vec<String> {
    let Some(inside) = s.split_once('(').map(|(_, r)| r.split(')').next().unwrap_or(r)) else { return vec![] };
    inside.split(',').map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect()
}

pub(super) fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn figure(what: Figured, text: &str, title: &str) -> Option<Figure> {
    let t = tree_text(text);
    let after = t.split_once(':').map_or(t, |(_, r)| r).trim();
    let n = *numbers(after.split('(').next().unwrap_or(after)).first()?;
    let at_least = after.split_whitespace().next().is_some_and(|w| w.ends_with('+'));
    Some(Figure { what, value: n, at_least, title: title.to_owned(), line: 0 })
}

/// `s` without what stands in parentheses: `59 (43 + 16 new)` → `59 `.
pub(super) fn outside_parens(s: &str) -> String {
    let mut depth = 0usize;
    s.chars()
        .filter(|c| {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => return depth == 0,
            }
            false
        })
        .collect()
}

/// Which figure a schema-summary line (or the words naming a count) is about; what stands in
/// parentheses is left out ("59 (43 + 16 new)" counts all tables). "New", "added" or a
/// week's tables count what the batch created.
pub(super) fn figured(upper: &str) -> Option<Figured> {
    let u = outside_parens(upper);
    let words: Vec<&str> = u.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let new = words.iter().any(|w| matches!(*w, "NEW" | "ADDED")) || words.first() == Some(&"WEEK");
    let base = match u.as_str() {
        u if u.contains("TABLE") => Figured::Tables,
        u if u.contains("FOREIGN KEY") || words.iter().any(|w| matches!(*w, "FK" | "FKS")) => Figured::ForeignKeys,
        u if u.contains("POLIC") => Figured::Policies,
        u if u.contains("INDEX") || u.contains("INDICES") => Figured::Indexes,
        u if u.contains("FUNCTION") => Figured::NewFunctions,
        u if u.contains("SIZE") => Figured::DatabaseSizeMb,
        _ => return None,
    };
    Some(if new { base.new() } else { base })
}

impl Figured {
    /// The same count of what the batch created.
    pub fn new(self) -> Figured {
        match self {
            Figured::Tables => Figured::NewTables,
            Figured::ForeignKeys => Figured::NewForeignKeys,
            Figured::Policies => Figured::NewPolicies,
            Figured::Indexes => Figured::NewIndexes,
            other => other,
        }
    }

    /// A count of catalog objects (not the database's size).
    pub fn is_count(self) -> bool {
        self != Figured::DatabaseSizeMb
    }
}

/// A number as a run-book writes a threshold: `59`, `82+`, `~2000`, `1,200`.
pub(super) fn threshold(word: &str) -> Option<(i64, bool)> {
    let w = word.trim_start_matches(['~', '≥', '>', '=']).trim_end_matches([',', ':', ';', '.']);
    let at_least = w.ends_with('+') || word.starts_with(['≥', '>']);
    let digits = w.trim_end_matches('+').replace(',', "");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, at_least))
}

/// A count first, then what it counts: `59 total tables`, `98+ foreign keys`, `All 12+
/// functions created`, `at least 41 policies`.
pub(super) fn count_first(text: &str) -> Option<(Figured, i64, bool)> {
    let t = outside_parens(text);
    let mut words = t.split_whitespace().peekable();
    while words.peek().is_some_and(|w| matches!(w.to_lowercase().as_str(), "all" | "at" | "least" | "about" | "~" | "≥" | ">="))
    {
        let w = words.next()?;
        if w.eq_ignore_ascii_case("least") {
            let (n, _) = threshold(words.next()?)?;
            let what = figured(&words.take(4).collect::<Vec<_>>().join(" ").to_uppercase())?;
            return Some((what, n, true));
        }
    }
    let (n, at_least) = threshold(words.next()?)?;
    let what = figured(&words.take(4).collect::<Vec<_>>().join(" ").to_uppercase())?;
    Some((what, n, at_least))
}

/// `TABLE COUNT: 59 (43 + 16 new)`, `Foreign keys: 98+`: a short name of a count, a colon,
/// the count.
pub(super) fn key_value(text: &str) -> Option<(Figured, i64, bool)> {
    let (key, value) = text.split_once(':')?;
    let k = key.trim().to_lowercase();
    if k.split_whitespace().count() > 4
        || ["creates", "adds", "apply", "check", "verify", "expected", "query"].iter().any(|p| k.starts_with(p))
    {
        return None;
    }
    let what = figured(&key.to_uppercase())?;
    let first = value.split_whitespace().find(|w| !w.eq_ignore_ascii_case("all") && *w != "~")?;
    let (n, at_least) = threshold(first)?;
    Some((what, n, at_least))
}

/// A migration file named in `text`: `013_create_positioning.sql` → ("013", the name).
pub(super) fn migration_file(text: &str) -> Option<(String, String)> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '`' | '|' | '(' | ')' | ',' | '*' | '"' | '\'' | '[' | ']'))
        .map(|w| w.trim_end_matches([':', ';', '.']))
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .find_map(|w| {
            let digits: String = w.chars().take_while(|c| c.is_ascii_digit()).collect();
            let sep = w[digits.len()..].chars().next();
            (w.ends_with(".sql") && !digits.is_empty() && matches!(sep, Some('_' | '-'))).then(|| (digits, w.to_owned()))
        })
}

/// `40–90 ms`: the two numbers before the first `ms`.
pub(super) fn ms_range(text: &str) -> Option<(u64, u64)> {
    let lower = text.to_lowercase();
    let at = lower.match_indices("ms").find(|(i, _)| {
        lower[..*i].trim_end().ends_with(|c: char| c.is_ascii_digit())
            && !lower[i + 2..].starts_with(|c: char| c.is_ascii_alphabetic())
    })?;
    let n = numbers(&lower[..at.0]);
    let [.., lo, hi] = n[..] else { return None };
    (lo <= hi).then_some((lo as u64, hi as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_readers() {
        assert_eq!(duration("09:30 - Migration Execution Phase (1 hour)"), Some(60));
        assert_eq!(duration("Verification Phase (1.5 hours)"), Some(90));
        assert_eq!(clock("09:15 - Final"), Some("09:15".into()));
        assert_eq!(tree_text("  │  ├─ Apply: x.sql"), "Apply: x.sql");
        assert_eq!(listed("5 tables (a, b, c)"), ["a", "b", "c"]);
        assert_eq!(numbers("400-500ms"), [400, 500]);
    }

    #[test]
    fn counts_as_run_books_write_them() {
        assert_eq!(count_first("59 total tables (43 + 16 new)"), Some((Figured::Tables, 59, false)));
        assert_eq!(count_first("98+ foreign keys"), Some((Figured::ForeignKeys, 98, true)));
        assert_eq!(count_first("All 12+ functions created and callable"), Some((Figured::NewFunctions, 12, true)));
        assert_eq!(count_first("at least 41 RLS policies"), Some((Figured::Policies, 41, true)));
        assert_eq!(count_first("16 new tables"), Some((Figured::NewTables, 16, false)));
        assert_eq!(count_first("16/16 verification queries PASS"), None);
        assert_eq!(count_first("4 PASS checks expected"), None);
        assert_eq!(key_value("TABLE COUNT: 59 (43 + 16 new)"), Some((Figured::Tables, 59, false)));
        assert_eq!(key_value("WEEK 2 TABLES: 16 new tables"), Some((Figured::NewTables, 16, false)));
        assert_eq!(key_value("INDEXES: 130+ total (70+ existing + 60+ new)"), Some((Figured::Indexes, 130, true)));
        assert_eq!(key_value("Foreign keys: All intact"), None);
        assert_eq!(key_value("Creates: 5 tables (a, b)"), None);
        assert_eq!(key_value("Total execution time: ~2000ms"), None);
        assert_eq!(migration_file("| 2 | `002_invoices.sql` | 40–90 ms |"), Some(("002".into(), "002_invoices.sql".into())));
        assert_eq!(migration_file("Run WEEK_2_VERIFICATION_QUERIES.sql"), None);
        assert_eq!(ms_range("| `002_invoices.sql` | 40–90 ms |"), Some((40, 90)));
        assert_eq!(ms_range("Expected execution: 400-500ms"), Some((400, 500)));
        assert_eq!(ms_range("takes 5 msec"), None);
        assert_eq!(bare("- [x] ✅ 62 tables"), "62 tables");
        assert_eq!(bare("2. `001_a.sql`"), "001_a.sql");
        assert_eq!(
            item_of("campaign_quests & campaign_cohorts tables exist"),
            Some((vec!["campaign_quests".into(), "campaign_cohorts".into()], None))
        );
        assert_eq!(item_of("unlock_achievement function exists"), Some((vec![], Some("unlock_achievement".into()))));
        assert_eq!(item_of("invoices table exists (with its trigger)"), Some((vec!["invoices".into()], None)));
        assert_eq!(item_of("everything exists"), None);
        assert_eq!(migration_named("Verify Migration 13:"), Some("013".into()));
        assert_eq!(created("001_a.sql — 20–200 ms — creates accounts, account_owners"), ["accounts", "account_owners"]);
        assert_eq!(created("Creates: 5 tables (a, b)"), ["a", "b"]);
    }
}
