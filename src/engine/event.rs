//! What the engine tells its driver (the window, the terminal) while it runs, and the steps
//! a run is made of.

use serde::{Deserialize, Serialize};

use crate::plan::Section;
use crate::run_result::{CheckResult, Drift, LockWait, MigrationResult, RunResult};

/// One step of a run, in order. With one transaction per migration each migration is a
/// step of its own; with one transaction for the batch, `Migration(0)` applies them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Preflight,
    Migration(usize),
    Verification,
    Integrity,
    Performance,
    Rollback,
    Verdict,
}

impl Step {
    /// The plan section name the step reports under (the name of the section it fills first,
    /// as [`RunResult::reached`] expects).
    pub fn section(self) -> &'static str {
        match self {
            Step::Preflight => Section::Preflight.as_str(),
            Step::Migration(_) => "migrations",
            Step::Verification => Section::Verification.as_str(),
            Step::Integrity => Section::Integrity.as_str(),
            Step::Performance => Section::Performance.as_str(),
            Step::Rollback => Section::Rollback.as_str(),
            Step::Verdict => "verdict",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    RunStarted {
        run_id: String,
        steps: Vec<(Step, String)>,
    },
    StepStarted {
        step: Step,
        title: String,
    },
    /// `done` of `total` units (statements of a migration, checks of a section).
    Progress {
        step: Step,
        done: usize,
        total: usize,
        what: String,
    },
    CheckFinished {
        section: Section,
        result: CheckResult,
    },
    MigrationFinished(Box<MigrationResult>),
    /// The target's differences from the rehearsed baseline (`PF-DRIFT`), once compared.
    Drift(Vec<Drift>),
    /// A statement waits for a lock another session holds (sent again while it waits).
    LockWait(Box<LockWait>),
    StepFinished {
        step: Step,
        ok: bool,
    },
    Log(String),
    /// The run is over (completed, failed or cancelled); the final result.
    Finished(Box<RunResult>),
}
