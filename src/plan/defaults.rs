//! What a plan may leave out and pgstage derives: the title (from the file's header comment,
//! else its file name), and each migration's id and title (from its file name, read the way
//! migration tools name files: `013_name.sql`, Flyway's `V1_2__name.sql`, golang-migrate's
//! `000001_name.up.sql`).

use std::path::Path;

use super::model::Plan;

/// Fill in what `plan` left out; `text` is the plan file's text, `path` its name.
pub fn fill(plan: &mut Plan, text: &str, path: &Path) {
    if plan.name.trim().is_empty() {
        plan.name = header_title(text).unwrap_or_else(|| stem(path));
    }
    for m in &mut plan.migrations {
        let name = m.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parts = FileName::parse(&name);
        if m.id.trim().is_empty() {
            m.id = parts.version.clone();
        }
        if m.title.trim().is_empty() {
            m.title = parts.description.clone();
        }
    }
}

/// The first line of the comment the file opens with, without a closing full stop.
fn header_title(text: &str) -> Option<String> {
    let first = text.trim_start_matches('\u{feff}').lines().map(str::trim).find(|l| !l.is_empty())?;
    let title = first.strip_prefix("//")?.trim().trim_end_matches('.').trim();
    (!title.is_empty()).then(|| title.to_owned())
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().replace(['_', '-'], " ")).unwrap_or_else(|| "plan".into())
}

/// A migration file's name, read as migration tools write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// `013`, `1.2` (Flyway `V1_2__…`), `000001`; the stem when there is no number.
    pub version: String,
    /// The rest, words separated by spaces: `create positioning campaigns`.
    pub description: String,
    /// `.up.sql` / `.down.sql` (golang-migrate), Flyway's `U…` undo files.
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl FileName {
    pub fn parse(name: &str) -> FileName {
        let base = name.strip_suffix(".sql").unwrap_or(name);
        let (base, mut direction) = match (base.strip_suffix(".up"), base.strip_suffix(".down")) {
            (Some(b), _) => (b, Direction::Up),
            (_, Some(b)) => (b, Direction::Down),
            _ => (base, Direction::Up),
        };
        let words = |s: &str| s.replace(['_', '-'], " ").split_whitespace().collect::<Vec<_>>().join(" ");
        // Flyway: V<version>__<description>, U<version>__ (undo).
        if let Some((head, desc)) = base.split_once("__")
            && let Some(kind) = head.chars().next().filter(|c| matches!(c, 'V' | 'U'))
            && head[1..].chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            if kind == 'U' {
                direction = Direction::Down;
            }
            return FileName { version: head[1..].replace('_', "."), description: words(desc), direction };
        }
        let digits: String = base.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            return FileName { version: base.to_owned(), description: words(base), direction };
        }
        let rest = base[digits.len()..].trim_start_matches(['_', '-', '.']);
        FileName { version: digits, description: if rest.is_empty() { base.to_owned() } else { words(rest) }, direction }
    }

    /// The version as numbers, for ordering (`1.10` after `1.9`).
    pub fn order(&self) -> Vec<u64> {
        version_order(&self.version)
    }
}

/// A version as numbers, for ordering and matching (`000001` is `1`, `1.10` after `1.9`).
pub fn version_order(version: &str) -> Vec<u64> {
    version.split('.').map(|p| p.parse().unwrap_or(u64::MAX)).collect()
}

/// The same version written two ways (`2` and `000002`, `1.1` and `1.01`), or the same name.
pub fn same_version(a: &str, b: &str) -> bool {
    let numeric = |v: &str| !v.is_empty() && v.split('.').all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    a == b || (numeric(a) && numeric(b) && version_order(a) == version_order(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_every_tool() {
        let f = FileName::parse("013_create_positioning_campaigns.sql");
        assert_eq!(
            (f.version.as_str(), f.description.as_str(), f.direction),
            ("013", "create positioning campaigns", Direction::Up)
        );
        let f = FileName::parse("V1_2__add_users.sql");
        assert_eq!((f.version.as_str(), f.description.as_str()), ("1.2", "add users"));
        let f = FileName::parse("000002_add_index.down.sql");
        assert_eq!((f.version.as_str(), f.direction), ("000002", Direction::Down));
        assert_eq!(FileName::parse("V1_10__x.sql").order(), [1, 10]);
        assert_eq!(FileName::parse("rollback.sql").version, "rollback");
    }

    #[test]
    fn title_from_the_header_comment_or_the_file_name() {
        assert_eq!(header_title("\u{feff}// Next week.\n(\n)"), Some("Next week".into()));
        assert_eq!(header_title("(\n// no\n)"), None);
        assert_eq!(stem(Path::new("plans/week3_staging.ron")), "week3 staging");
    }
}
