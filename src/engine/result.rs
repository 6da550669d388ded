//! The run result: one serializable value that says everything a run did and found. It is
//! the input of every report format and of the GUI's tables and charts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::db::snapshot::{Kind, SnapshotDiff};
use crate::plan::{CriterionKind, Metric, MsRange};

/// Bumped when a field changes meaning or disappears (adding fields does not bump it).
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub format_version: u32,
    pub run_id: String,
    pub plan: PlanInfo,
    pub operator: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    /// `user@host:port/dbname`: never a password.
    pub target: String,
    pub server_version: String,
    pub outcome: Outcome,
    pub acknowledgements: Vec<Acknowledgement>,
    pub preflight: Vec<CheckResult>,
    pub migrations: Vec<MigrationResult>,
    pub verification: Vec<CheckResult>,
    pub schema_summary: Vec<CheckResult>,
    pub integrity: Vec<CheckResult>,
    pub sample_data: Vec<CheckResult>,
    pub rls: Vec<CheckResult>,
    pub performance: Vec<CheckResult>,
    pub rollback: Option<RollbackResult>,
    /// Object counts of the plan's schema before the migrations and after them.
    pub schema_counts: SchemaCounts,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInfo {
    pub name: String,
    pub phase: String,
    pub path: String,
    /// SHA-256 of the plan file.
    pub checksum: String,
    pub scheduled: String,
    pub planned_hours: f64,
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Every step ran (the verdict may still be NO-GO).
    Completed,
    /// A step failed and the run stopped there.
    Failed { step: String, error: String },
    /// The operator cancelled during this step.
    Cancelled { step: String },
    /// Not finished yet (a partial result).
    InProgress,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub item: String,
    pub title: String,
    pub by: String,
    pub at: String,
}

/// A check's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Status {
    Pass,
    Fail,
    Warn,
    /// Not applicable here (e.g. replication lag without replicas): never counted as a pass.
    NotApplicable,
    Skipped,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::NotApplicable => "N/A",
            Status::Skipped => "SKIPPED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub group: String,
    pub title: String,
    pub expected: String,
    pub actual: String,
    pub status: Status,
    pub duration_ms: f64,
    /// The SQL that produced `actual` (empty for catalog figures).
    pub sql: String,
    /// Why it failed or warned, in words.
    pub detail: String,
    /// The catalog figure measured, when the probe was a metric (e.g. `NewFunctions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<Metric>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MigrationStatus {
    Applied,
    /// Already in the ledger with the same checksum.
    AlreadyApplied,
    Failed,
    Cancelled,
    /// Not reached (an earlier step failed or was cancelled).
    NotRun,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationResult {
    pub id: String,
    pub title: String,
    pub file: String,
    pub checksum: String,
    pub expected_ms: MsRange,
    pub status: MigrationStatus,
    pub duration_ms: f64,
    pub statements: usize,
    pub statements_done: usize,
    /// Per statement: line in the file and milliseconds.
    pub statement_timings: Vec<StatementTiming>,
    /// Objects that appeared, per kind label.
    pub created: BTreeMap<String, Vec<String>>,
    /// Expected vs actual created objects, each mismatch in words (empty: as expected).
    pub object_mismatches: Vec<String>,
    /// The error, naming file:line:column.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementTiming {
    pub line: usize,
    pub ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackResult {
    pub script: String,
    pub duration_ms: f64,
    /// Difference between the baseline and the catalog after the rollback (empty: identical).
    pub diff_from_baseline: SnapshotDiff,
    pub checks: Vec<CheckResult>,
    /// The migrations were applied again after the rehearsal.
    pub reapplied: bool,
    pub error: Option<String>,
}

impl RollbackResult {
    pub fn matches_baseline(&self) -> bool {
        self.error.is_none() && self.diff_from_baseline.is_empty()
    }
}

/// Object counts per kind, in the plan's schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaCounts {
    pub schema: String,
    pub before: BTreeMap<Kind, usize>,
    pub after: BTreeMap<Kind, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub go: bool,
    pub criteria: Vec<CriterionResult>,
    /// The reasons for NO-GO (hard criteria not met, run not completed), in words.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Met {
    Yes,
    No,
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub id: String,
    pub group: String,
    pub title: String,
    pub kind: CriterionKind,
    pub met: Met,
    pub reason: String,
}

impl RunResult {
    /// All check results of a section by its plan name ("preflight", "verification", …).
    pub fn section(&self, name: &str) -> &[CheckResult] {
        match name {
            "preflight" => &self.preflight,
            "verification" => &self.verification,
            "schema_summary" => &self.schema_summary,
            "integrity" => &self.integrity,
            "sample_data" => &self.sample_data,
            "rls" => &self.rls,
            "performance" => &self.performance,
            "rollback" => self.rollback.as_ref().map_or(&[], |r| &r.checks),
            _ => &[],
        }
    }

    /// Every check result of every section, in run order.
    pub fn all_checks(&self) -> impl Iterator<Item = &CheckResult> {
        crate::plan::SECTIONS.iter().flat_map(|s| self.section(s))
    }

    /// Total time of the migrations that ran, milliseconds.
    pub fn total_migration_ms(&self) -> f64 {
        self.migrations.iter().map(|m| m.duration_ms).sum()
    }
}
