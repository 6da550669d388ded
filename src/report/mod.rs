//! Reports: one run result in, several formats out, the format chosen by the file extension:
//! Markdown (`.md`, the execution log a team lead signs), HTML (`.html`/`.htm`, one
//! self-contained printable file with inline charts), JSON (`.json`, the full run result with
//! its `format_version`) and JUnit XML (`.xml`, so CI systems show checks as test cases).
//!
//! Writing is atomic (a temporary file in the same directory, then a rename): a crash never
//! leaves half a report. The CLI's `--report FILE` and the GUI's export both call [`write`] /
//! [`write_with`].

pub mod claims;
pub mod content;
mod html;
mod junit;
pub mod locks;
mod markdown;
mod svg;
mod text;

use std::io::Write;
use std::path::Path;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

pub use text::{cell, escape};

use crate::run_result::RunResult;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: unsupported report format (use {})", path.display(), Format::choices())]
    UnknownFormat { path: std::path::PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: std::path::PathBuf, source: std::io::Error },
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `.md`: the execution log.
    Markdown,
    /// `.html`, `.htm`: self-contained, printable on A4.
    Html,
    /// `.json`: the full run result.
    Json,
    /// `.xml`: JUnit XML.
    Junit,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Markdown, Format::Html, Format::Json, Format::Junit];

    /// The format of a file name's extension (case-insensitive), if it is one.
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::ALL.into_iter().find(|f| f.extensions().contains(&extension.as_str()))
    }

    /// The extensions of the format, without the dot, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Markdown => &["md", "markdown"],
            Format::Html => &["html", "htm"],
            Format::Json => &["json"],
            Format::Junit => &["xml"],
        }
    }

    /// The usual extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.extensions()[0]
    }

    /// The usual extensions, for people: ".md, .html, .json or .xml".
    pub fn choices() -> &'static str {
        static CHOICES: LazyLock<String> = LazyLock::new(|| {
            let dotted: Vec<String> = Format::ALL.iter().map(|f| format!(".{}", f.extension())).collect();
            match dotted.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                _ => dotted.concat(),
            }
        });
        &CHOICES
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Markdown => "Markdown",
            Format::Html => "HTML",
            Format::Json => "JSON",
            Format::Junit => "JUnit XML",
        }
    }
}

/// One person signing the report off. Not part of the run result: passed alongside it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    pub name: String,
    /// e.g. "Database Admin", "Backend Lead".
    pub role: String,
    /// What the signer decides, e.g. "GO approved", "NO-GO: fix 015 first" (empty: not given).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub decision: String,
    pub comment: String,
}

/// A report exported in a review: the run result file it was read from, and that file's
/// SHA-256 as read (so any later change to either is visible). The run was not repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewed {
    /// The run result file, as opened.
    pub file: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

impl Reviewed {
    /// The sentence the reports print.
    pub fn sentence(&self) -> String {
        format!(
            "Exported in a review of the run result {} (SHA-256 {}), read unchanged: the run itself was not repeated.",
            self.file, self.sha256
        )
    }
}

/// The report of `result` in the format of `path`'s extension, with blank sign-off lines.
pub fn render(result: &RunResult, path: &Path) -> Result<String, ReportError> {
    let format = Format::from_path(path).ok_or_else(|| ReportError::UnknownFormat { path: path.to_owned() })?;
    Ok(render_with(result, &[], format))
}

/// The report of `result` in `format`, signed off by `signoff` (empty: blank lines to sign by
/// hand).
pub fn render_with(result: &RunResult, signoff: &[SignOff], format: Format) -> String {
    render_reviewed(result, signoff, None, format)
}

/// As [`render_with`], for a report exported in a review of `reviewed` (named with its SHA-256
/// in the Markdown and HTML reports, and as `reviewed_from` in the JSON).
pub fn render_reviewed(result: &RunResult, signoff: &[SignOff], reviewed: Option<&Reviewed>, format: Format) -> String {
    match format {
        Format::Markdown => markdown::render(result, signoff, reviewed),
        Format::Html => html::render(result, signoff, reviewed),
        Format::Json => json_with(result, signoff, reviewed),
        Format::Junit => junit::render(result),
    }
}

/// The full run result as pretty JSON.
pub fn json(result: &RunResult) -> String {
    json_with(result, &[], None)
}

/// The run result as JSON; a non-empty sign-off is added as a top-level `signoff` array
/// (the text still deserializes as a [`RunResult`], which ignores it).
fn json_with(result: &RunResult, signoff: &[SignOff], reviewed: Option<&Reviewed>) -> String {
    let mut text = if signoff.is_empty() && reviewed.is_none() {
        serde_json::to_string_pretty(result).expect("a run result always serializes")
    } else {
        let mut value = serde_json::to_value(result).expect("a run result always serializes");
        if let serde_json::Value::Object(map) = &mut value {
            if !signoff.is_empty() {
                map.insert("signoff".into(), serde_json::to_value(signoff).expect("a sign-off always serializes"));
            }
            if let Some(r) = reviewed {
                map.insert("reviewed_from".into(), serde_json::to_value(r).expect("a review always serializes"));
            }
        }
        serde_json::to_string_pretty(&value).expect("a JSON value always serializes")
    };
    text.push('\n');
    text
}

/// Render and write atomically, with blank sign-off lines.
pub fn write(result: &RunResult, path: &Path) -> Result<(), ReportError> {
    write_with(result, &[], path)
}

/// Render with `signoff` and write atomically; the format comes from `path`'s extension.
pub fn write_with(result: &RunResult, signoff: &[SignOff], path: &Path) -> Result<(), ReportError> {
    write_reviewed(result, signoff, None, path)
}

/// As [`write_with`], for a report exported in a review (see [`render_reviewed`]).
pub fn write_reviewed(
    result: &RunResult,
    signoff: &[SignOff],
    reviewed: Option<&Reviewed>,
    path: &Path,
) -> Result<(), ReportError> {
    let format = Format::from_path(path).ok_or_else(|| ReportError::UnknownFormat { path: path.to_owned() })?;
    let text = render_reviewed(result, signoff, reviewed, format);
    write_atomic(path, text.as_bytes()).map_err(|source| ReportError::Write { path: path.to_owned(), source })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable (best effort: not every platform can sync a directory).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formats_are_listed_once_and_found_by_every_extension() {
        assert_eq!(Format::choices(), ".md, .html, .json or .xml");
        for f in Format::ALL {
            for ext in f.extensions() {
                assert_eq!(Format::from_path(Path::new(&format!("r.{}", ext.to_uppercase()))), Some(f));
            }
        }
        assert_eq!(Format::from_path(Path::new("r.pdf")), None);
        let e = ReportError::UnknownFormat { path: "r.pdf".into() };
        assert_eq!(e.to_string(), "r.pdf: unsupported report format (use .md, .html, .json or .xml)");
    }
}
