//! Drafting plans: `pgstage init` from a migrations folder ([`init`]), `pgstage import` from
//! a Markdown run-book ([`import`]). Both read the migration files ([`sources`]), rehearse
//! them on a sandbox through the real engine ([`rehearse`]) and write a plan that passes
//! `pgstage check`, with comments saying what to review ([`render`]).

pub mod import;
pub mod init;
pub mod rehearse;
pub mod render;
pub mod runbook;
pub mod sources;

use std::path::{Component, Path, PathBuf};

pub use sources::{Layout, MigrationFile, MigrationKind, SourceError, Sources};

/// Why a draft could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DraftError {
    #[error(transparent)]
    Sources(#[from] SourceError),
    #[error("{} exists; use --force to write over it", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("--from {from}: no such migration in {} (it has: {known})", dir.display())]
    UnknownFrom { from: String, dir: PathBuf, known: String },
    #[error("the rehearsal on the sandbox could not run: {0}")]
    Rehearsal(String),
    /// Each problem on a line of its own (file:line:col first where there is one).
    #[error("the rehearsal on the sandbox failed, fix that first:{}", .0.iter().map(|p| format!("\n  - {p}")).collect::<String>())]
    MigrationFailed(Vec<String>),
    #[error("cannot read the run-book {}: {source}", path.display())]
    RunBook { path: PathBuf, source: std::io::Error },
    #[error("the drafted plan does not load (a pgstage bug): {0}")]
    Invalid(String),
}

/// A migration file that cannot be read, as the folder's error ([`SourceError`]).
impl From<crate::db::migration_file::FileError> for DraftError {
    fn from(e: crate::db::migration_file::FileError) -> Self {
        DraftError::Sources(e.into())
    }
}

/// Where a drafted plan goes, and whether it may replace a file.
#[derive(Debug, Clone)]
pub struct Output {
    pub plan: PathBuf,
    pub force: bool,
}

impl Output {
    /// The plan's directory, absolute (created if missing).
    pub fn dir(&self) -> Result<PathBuf, DraftError> {
        let parent = self.plan.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|source| DraftError::Write { path: parent.to_owned(), source })?;
        absolute(parent)
    }

    /// Refuse to replace `path` unless forced.
    pub fn may_write(&self, path: &Path) -> Result<(), DraftError> {
        if path.exists() && !self.force { Err(DraftError::Exists(path.to_owned())) } else { Ok(()) }
    }

    /// Write `text` to `path`, after [`Output::may_write`].
    pub fn write(&self, path: &Path, text: &str) -> Result<(), DraftError> {
        self.may_write(path)?;
        std::fs::write(path, text).map_err(|source| DraftError::Write { path: path.to_owned(), source })
    }
}

/// The files a draft wrote, with what each held before (`None`: it did not exist), so that a
/// draft that fails leaves the folder as it found it.
#[derive(Debug, Default)]
pub struct Journal(Vec<(PathBuf, Option<Vec<u8>>)>);

impl Journal {
    /// [`Output::write`], remembering what `path` held.
    pub fn write(&mut self, out: &Output, path: &Path, text: &str) -> Result<(), DraftError> {
        out.may_write(path)?;
        if !self.0.iter().any(|(p, _)| p == path) {
            self.0.push((path.to_owned(), std::fs::read(path).ok()));
        }
        out.write(path, text)
    }

    /// Put every file written back as it was (removed if it was not there).
    pub fn undo(self) {
        for (path, before) in self.0.into_iter().rev() {
            let _ = match before {
                Some(bytes) => std::fs::write(&path, bytes),
                None => std::fs::remove_file(&path),
            };
        }
    }
}

fn absolute(path: &Path) -> Result<PathBuf, DraftError> {
    std::fs::canonicalize(path).map_err(|source| DraftError::Write { path: path.to_owned(), source })
}

/// `to` written relative to the directory `from` (both made absolute), as a plan stores it.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let (Ok(from), Ok(to)) = (std::fs::canonicalize(from), std::fs::canonicalize(to)) else { return to.to_owned() };
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    out
}
