//! What a plan may leave out and pgstage derives: the title (from the file's header comment,
//! else its file name), and each migration's id and title (from its file name, read the way
//! migration tools name files: `013_name.sql`, Flyway's `V1_2__name.sql`, golang-migrate's
//! `000001_name.up.sql`; the naming rules live with the layouts, in [`crate::db::layout`]).

use std::path::Path;

use super::model::Plan;
use crate::db::layout::FileName;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_from_the_header_comment_or_the_file_name() {
        assert_eq!(header_title("\u{feff}// Next week.\n(\n)"), Some("Next week".into()));
        assert_eq!(header_title("(\n// no\n)"), None);
        assert_eq!(stem(Path::new("plans/week3_staging.ron")), "week3 staging");
    }
}
