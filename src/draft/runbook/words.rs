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
    Some(Figure { what, value: n, at_least, title: title.to_owned() })
}

/// Which figure a schema-summary line is about.
pub(super) fn figured(upper: &str) -> Option<Figured> {
    Some(match upper {
        u if u.starts_with("WEEK") && u.contains("TABLES") || u.contains("NEW TABLES") => Figured::NewTables,
        u if u.contains("TABLE") => Figured::Tables,
        u if u.contains("FOREIGN KEY") => Figured::ForeignKeys,
        u if u.contains("POLIC") => Figured::Policies,
        u if u.contains("INDEX") => Figured::Indexes,
        u if u.contains("FUNCTION") => Figured::NewFunctions,
        u if u.contains("SIZE") => Figured::DatabaseSizeMb,
        _ => return None,
    })
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
}
