//! Reading a plan file: RON text to [`Plan`], with errors that point at the file, line,
//! column and field, and say what was expected.

use std::fmt;
use std::path::{Path, PathBuf};

use super::model::Plan;
use super::validate::Problem;

/// A plan that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read plan {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Syntax(SyntaxError),
    #[error("plan {} is invalid:\n{}", path.display(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

/// Where and why a plan file does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    /// The field being read, as a path from the plan's root (e.g. `migrations[2].expected_ms`);
    /// empty when the error is outside any field.
    pub field: String,
    /// What went wrong, including what was expected.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "in `{}`: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Read and parse a plan file (no validation; see [`super::load_and_validate`]).
pub fn read(path: &Path) -> Result<Plan, PlanError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read { path: path.to_owned(), source })?;
    parse(&text, path).map_err(PlanError::Syntax)
}

/// Parse plan text; `path` is only used in error messages.
pub fn parse(text: &str, path: &Path) -> Result<Plan, SyntaxError> {
    let error = |span: ron::error::Span, field: String, code: ron::Error| SyntaxError {
        path: path.to_owned(),
        line: span.start.line,
        column: span.start.col,
        field,
        message: code.to_string(),
    };
    let mut de = ron::Deserializer::from_str(text).map_err(|e| error(e.span, String::new(), e.code))?;
    let plan: Plan = match serde_path_to_error::deserialize(&mut de) {
        Ok(plan) => plan,
        Err(e) => {
            let field = field_path(e.path());
            let spanned = de.span_error(e.into_inner());
            return Err(error(spanned.span, field, spanned.code));
        }
    };
    de.end().map_err(|code| {
        let spanned = de.span_error(code);
        error(spanned.span, String::new(), spanned.code)
    })?;
    Ok(plan)
}

/// serde_path_to_error prints `?` for the root and for enum wrappers; keep only real fields.
fn field_path(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." || text == "?" { String::new() } else { text.replace(".?", "") }
}
