//! The review mode: a run result (`report.json`, as `pgstage run --report` or the window's
//! export writes it) opened read-only in the same tabs, for a team lead who was not at the
//! workstation. The file is read once, its SHA-256 kept; a sign-off is added and exported with
//! that checksum, and the file itself is never written.

use std::path::{Path, PathBuf};

use crate::report::Reviewed;
use crate::run_result::RunResult;

/// The run result under review: where it was read from and its checksum as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub path: PathBuf,
    pub reviewed: Reviewed,
}

/// Whether `path` names a run result (JSON) rather than a plan.
pub fn is_run_result(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Read a run result for review: its bytes checksummed as read, then parsed.
pub fn open(path: &Path) -> Result<(RunResult, Review), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let sha256 = crate::db::ledger::checksum(&bytes);
    let result: RunResult = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a pgstage run result (line {}, column {}): {e}", path.display(), e.line(), e.column()))?;
    let reviewed = Reviewed { file: path.display().to_string(), sha256 };
    Ok((result, Review { path: path.to_owned(), reviewed }))
}

/// The header's line: that this is a review, whose run, where, when, on what.
pub fn header_line(r: &RunResult) -> String {
    let on = match &r.sandbox {
        Some(s) => format!("a sandbox rehearsal, PostgreSQL {}", s.version),
        None => format!("staging, PostgreSQL {}", r.server_version),
    };
    format!(
        "REVIEW (read-only) of run {} by {} on {} ({on}), {} – {}",
        r.run_id,
        r.operator,
        r.target,
        r.started_at,
        if r.finished_at.is_empty() { "not finished" } else { &r.finished_at }
    )
}
