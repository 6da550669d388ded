//! Reports: a run result written to a file, the format chosen by the extension. Writing is
//! atomic (a temporary file in the same directory, then a rename): a crash never leaves half
//! a report. JSON is the full run result, with its `format_version`.

use std::io::Write;
use std::path::Path;

use crate::engine::RunResult;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: unsupported report format (use .json)", path.display())]
    UnknownFormat { path: std::path::PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: std::path::PathBuf, source: std::io::Error },
}

/// The report of `result` in the format of `path`'s extension.
pub fn render(result: &RunResult, path: &Path) -> Result<String, ReportError> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("json") => Ok(json(result)),
        _ => Err(ReportError::UnknownFormat { path: path.to_owned() }),
    }
}

pub fn json(result: &RunResult) -> String {
    serde_json::to_string_pretty(result).expect("a run result always serializes")
}

/// Render and write atomically.
pub fn write(result: &RunResult, path: &Path) -> Result<(), ReportError> {
    let text = render(result, path)?;
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
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
