//! Plans: the model (what a plan file holds), loading (RON with precise errors) and
//! validation (ids, files, ranges). Start with [`load`].

mod criteria;
pub mod defaults;
pub mod lint;
mod load;
mod lock_rule;
mod model;
mod section;
mod text_enum;
mod tree;
mod validate;

use std::path::{Path, PathBuf};

pub use criteria::{LOCKS_TITLE, default_criteria};
pub use lint::{Contradiction, LintRule, lint};
pub use load::{PlanError, SyntaxError, parse, read};
pub use lock_rule::LockRule;
pub use model::*;
pub use section::Section;
pub use text_enum::UnknownName;
pub use validate::{Problem, validate};

/// A plan read from a file and validated; paths in it resolve against the file's directory.
#[derive(Debug, Clone)]
pub struct LoadedPlan {
    pub plan: Plan,
    pub path: PathBuf,
    /// The plan file's directory.
    pub dir: PathBuf,
}

impl LoadedPlan {
    /// A path from the plan, made usable from the current directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        resolve(&self.dir, path)
    }

    /// The baseline scripts in order: the baseline migrations, then the sample data.
    pub fn baseline_scripts(&self) -> Vec<PathBuf> {
        let baseline = &self.plan.baseline;
        baseline.migrations.iter().chain(&baseline.sample_data).map(|p| self.resolve(p)).collect()
    }
}

/// `path` relative to `dir`, with `.` and `..` removed lexically (for readable messages).
pub fn resolve(dir: &Path, path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in dir.join(path).components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Read, parse and validate the plan at `path`; every problem is reported at once.
pub fn load(path: &Path) -> Result<LoadedPlan, PlanError> {
    let dir = path.parent().map(Path::to_owned).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    let plan = read(path, &dir)?;
    Ok(LoadedPlan { plan, path: path.to_owned(), dir })
}
