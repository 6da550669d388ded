//! The run result: one serializable value that says everything a run did and found. It is
//! the input of every report format and of the GUI's tables and charts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::db::lock_modes::{Blocks, LockMode};
use crate::db::migration_file::SqlFile;
use crate::db::snapshot::{Kind, SnapshotDiff};
pub use crate::plan::FindingSeverity;
use crate::plan::{CriterionKind, LockRule, Metric, Migration, MsRange, Section};

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
    /// Where the pre-migration state came from: measured by this run, or recorded by the run
    /// that applied the plan's first migration (a resumed or repeated run).
    #[serde(default)]
    pub baseline: BaselineSource,
    /// The steps that ran to their end, by section name ("preflight", "migrations",
    /// "verification", "integrity", "performance", "rollback"): what a criterion may judge.
    #[serde(default)]
    pub completed_steps: Vec<String>,
    /// Per verification and schema-summary check: what it gave on the baseline state (before
    /// the migrations, after the rollback rehearsal), and so whether it was shown able to fail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitivity: Vec<Sensitivity>,
    pub verdict: Verdict,
    /// The sandbox the run ran on (pgstage's throwaway local cluster, not staging); absent
    /// for a database given by connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxInfo>,
    /// For a run on a database: the last sandbox rehearsal of this plan (same checksum) on
    /// record on the machine that ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<Rehearsal>,
    /// For a run on a database: every difference between its catalog (before the plan's
    /// migrations) and the baseline the plan was rehearsed on (`PF-DRIFT`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Drift>,
    /// For a sandbox seeded with staging's own schema (`--clone-from`): where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clone: Option<CloneInfo>,
}

/// A sandbox seeded with a copy of staging's schema (`pg_dump --schema-only`), not the plan's
/// baseline scripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneInfo {
    /// `user@host:port/dbname` of staging: never a password.
    pub source: String,
    pub server_version: String,
    /// RFC 3339, UTC: when the schema was read.
    pub taken_at: String,
    /// The schemas copied.
    pub schemas: Vec<String>,
    /// Always 0: only the schema is copied; sizes come from staging's statistics.
    pub rows_copied: u64,
    /// Roles staging has that the sandbox lacked, made without passwords.
    pub roles_created: Vec<String>,
    /// Extensions staging uses that the sandbox's server does not have.
    pub extensions_missing: Vec<String>,
    /// The pg_dump that read it.
    pub pg_dump: String,
    /// Staging's planner statistics came along (pg_dump and staging of PostgreSQL 18 or newer).
    #[serde(default)]
    pub planner_statistics: bool,
}

impl CloneInfo {
    /// "rehearsed on a clone of staging's schema (…) taken at …, 0 rows copied".
    pub fn sentence(&self) -> String {
        let mut s = format!(
            "rehearsed on a clone of staging's schema ({}, PostgreSQL {}; schemas {}) taken at {} by {}, {} rows copied; \
             table sizes are staging's (its statistics)",
            self.source,
            self.server_version,
            self.schemas.join(", "),
            self.taken_at,
            self.pg_dump,
            self.rows_copied
        );
        if self.planner_statistics {
            s += ", and the planner statistics";
        }
        if !self.extensions_missing.is_empty() {
            s += &format!("; extensions the sandbox lacks: {}", self.extensions_missing.join(", "));
        }
        s
    }
}

/// One difference between the target's catalog and the rehearsed baseline's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// What kind of object: "table", "column", "index", "function", "grant", …
    pub kind: String,
    /// The object (`schema.name`, `schema.table.name`, `schema.function(args)`).
    pub object: String,
    /// The difference in words ("staging has index … that the rehearsal did not").
    pub what: String,
}

/// Which server binaries a sandbox ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxInfo {
    /// e.g. "17.10".
    pub version: String,
    pub major: u32,
    /// The directory of its `initdb` and `postgres`.
    pub bindir: String,
}

/// A sandbox run of a plan, as recorded for the runs on staging that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rehearsal {
    pub run_id: String,
    /// The sandbox's version, e.g. "17.10".
    pub server_version: String,
    pub major: u32,
    pub finished_at: String,
    pub go: bool,
}

/// The major version in a `server_version` ("15.18 (Debian …)" → 15, "18beta1" → 18).
pub fn major_of(server_version: &str) -> Option<u32> {
    server_version.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

impl RunResult {
    /// The warning a run on a database deserves when its plan was rehearsed on another major
    /// version.
    pub fn rehearsal_warning(&self) -> Option<String> {
        let rehearsal = self.rehearsal.as_ref()?;
        let major = major_of(&self.server_version)?;
        (rehearsal.major != major).then(|| {
            format!(
                "this plan was rehearsed on PostgreSQL {} (sandbox run {}, {}), but this server runs PostgreSQL {major}: \
                 a rehearsal on one major version says little about another (rehearse with `--sandbox --pg-version {major}`)",
                rehearsal.server_version, rehearsal.run_id, rehearsal.finished_at
            )
        })
    }
}

/// Whether a check can tell a migrated database from an unmigrated one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// The check's section and id.
    pub section: Section,
    pub id: String,
    /// Its runs on the baseline state: (when, passed, actual).
    pub on_baseline: Vec<BaselineRun>,
    pub verdict: Able,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRun {
    /// "before the migrations" or "after the rollback rehearsal".
    pub when: String,
    pub passed: bool,
    pub actual: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Able {
    /// It failed on the baseline state: it tells the two apart.
    ShownAbleToFail,
    /// It passed on the baseline state too: it cannot tell a migrated database from an
    /// unmigrated one.
    Insensitive,
    /// The plan marks it as holding before and after on purpose.
    Invariant,
    /// It never ran on the baseline state (a resumed run without a rollback rehearsal).
    Unknown,
}

impl Able {
    pub fn label(self) -> &'static str {
        match self {
            Able::ShownAbleToFail => "shown able to fail",
            Able::Insensitive => "INSENSITIVE: passes on the baseline too",
            Able::Invariant => "invariant (by the plan)",
            Able::Unknown => "not run on the baseline",
        }
    }
}

/// Where a run's baseline (pre-flight figures, catalog snapshot) comes from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum BaselineSource {
    /// Measured by this run's pre-flight, before any of the plan's migrations was applied.
    #[default]
    Measured,
    /// Recorded in `pgstage.baseline` when the plan's first migration was applied.
    Recorded { run_id: String, recorded_at: String },
    /// Some of the plan's migrations were applied before and nothing was recorded then.
    Unknown { why: String },
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
    /// `None`: the plan does not judge this migration's time.
    pub expected_ms: Option<MsRange>,
    pub status: MigrationStatus,
    pub duration_ms: f64,
    pub statements: usize,
    pub statements_done: usize,
    /// Per statement: line in the file and milliseconds.
    pub statement_timings: Vec<StatementTiming>,
    /// Objects that appeared, per kind label.
    pub created: BTreeMap<String, Vec<String>>,
    /// Objects that existed before the migration and whose definition it changed (a table's
    /// columns, a replaced function or view, a constraint), with both definitions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub altered: Vec<crate::db::snapshot::Change>,
    /// Objects that existed before the migration and are gone after it (dropped, or renamed:
    /// a renamed index is gone under its old name and appears under its new one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<crate::db::snapshot::ObjectRef>,
    /// Expected vs actual created objects, each mismatch in words (empty: as expected).
    pub object_mismatches: Vec<String>,
    /// The error, naming file:line:column.
    pub error: Option<String>,
    /// For a migration the ledger already held: when, by which run and operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_earlier: Option<EarlierApply>,
    /// What the migration did to the data of pre-existing tables, measured in its own
    /// transaction (never the application's concurrent traffic).
    #[serde(default)]
    pub data: DataChanges,
    /// Statements that waited for another session's lock, with who held it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lock_waits: Vec<LockWait>,
    /// Per statement that locked or rewrote a pre-existing relation: what it took, how long it
    /// was held, and what probes of other sessions saw.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<StatementTrace>,
    /// What the trace shows a DBA should know, with the safer pattern.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Application sessions this migration kept waiting (seen while it ran and before COMMIT).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_sessions: Vec<BlockedSession>,
}

/// One statement's effect on pre-existing relations, measured in the migration's transaction.
impl MigrationResult {
    /// A migration before anything ran: as the plan names it, and as its file was read when
    /// it could be (the path as shown in messages, its checksum, its statements).
    pub fn not_run(m: &Migration, file: Option<&SqlFile>) -> Self {
        MigrationResult {
            id: m.id.clone(),
            title: m.title.clone(),
            file: file.map_or_else(|| m.file.display().to_string(), |f| f.shown.clone()),
            checksum: file.map(|f| f.checksum.clone()).unwrap_or_default(),
            expected_ms: m.expected_ms,
            status: MigrationStatus::NotRun,
            duration_ms: 0.0,
            statements: file.map_or(0, |f| f.statements.len()),
            statements_done: 0,
            statement_timings: Vec::new(),
            created: Default::default(),
            altered: Vec::new(),
            dropped: Vec::new(),
            object_mismatches: Vec::new(),
            error: None,
            applied_earlier: None,
            data: Default::default(),
            lock_waits: Vec::new(),
            trace: Vec::new(),
            findings: Vec::new(),
            blocked_sessions: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatementTrace {
    /// `file:line`.
    pub statement: String,
    pub line: usize,
    /// The statement's first words, for people.
    pub sql: String,
    /// When it ended, ms since the migration began.
    pub at_ms: f64,
    pub ms: f64,
    /// Of `ms`, how long it waited for another session's lock before it could run (seen by
    /// the watcher; 0 when it did not wait). Its locks are held from the end of that wait.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub waited_ms: f64,
    /// Locks on pre-existing relations this statement took (newly held after it).
    pub locks: Vec<LockTaken>,
    /// Every pre-existing relation locked when it ended (by it or by an earlier statement of
    /// the transaction), with the strongest mode held: what it ran under.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldLock>,
    /// Pre-existing tables it read in full (a sequential scan the server counted: a
    /// validation, an index build, a rewrite's copy, a query).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scanned: Vec<String>,
    /// Pre-existing tables or indexes it rewrote (new storage with the rows copied).
    pub rewrote: Vec<String>,
    /// Pre-existing tables or indexes it emptied (`TRUNCATE`: new, empty storage; nothing copied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub truncated: Vec<String>,
    /// It ran outside a transaction (a `non_transactional` migration): its locks, seen by
    /// polling `pg_locks` while it ran, ended with it, and no later statement ran under them.
    #[serde(default, skip_serializing_if = "is_false")]
    pub outside_transaction: bool,
}

fn is_zero(ms: &f64) -> bool {
    *ms == 0.0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl StatementTrace {
    /// The strongest mode held on `relation` when this statement ended.
    pub fn held_on(&self, relation: &str) -> Option<LockMode> {
        self.held.iter().find(|h| h.relation == relation).map(|h| h.mode)
    }
}

/// A lock held on a pre-existing relation while a statement ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldLock {
    /// `schema.name`.
    pub relation: String,
    /// The strongest mode the migration held on it.
    pub mode: LockMode,
}

/// A lock a migration took on a pre-existing relation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockTaken {
    /// `schema.name`.
    pub relation: String,
    /// "table", "index", "sequence", "view", "materialized view", "partitioned table"…
    pub kind: String,
    /// Written as `pg_locks` names it, e.g. "ShareRowExclusiveLock".
    pub mode: LockMode,
    pub blocks: Option<Blocks>,
    /// From its grant to COMMIT (or ROLLBACK), ms: from the start of the statement that took
    /// it (or the end of that statement's own wait for another session), so the time the
    /// statement itself ran under the lock counts.
    pub held_ms: f64,
    /// A probe from another session right after the statement: could a read (ACCESS SHARE)
    /// go on? `None` when not probed.
    pub read_blocked: Option<bool>,
    /// … and a write (ROW EXCLUSIVE)?
    pub write_blocked: Option<bool>,
}

/// An application session that waited for a lock the migration held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockedSession {
    pub pid: i32,
    pub application_name: String,
    pub user: String,
    /// How long it had waited when last seen, ms.
    pub waited_ms: f64,
    pub query: String,
}

/// Something the lock trace shows, with what to do instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule, e.g. "index-without-concurrently".
    pub rule: LockRule,
    pub severity: FindingSeverity,
    /// `file:line` of the statement.
    pub statement: String,
    pub relation: String,
    /// The lock mode (as `pg_locks` names it), when the finding is about a lock.
    pub lock: String,
    pub blocks: String,
    /// What was observed, in words.
    pub message: String,
    /// The safer pattern.
    pub advice: String,
    /// The relation's size on the database it ran against: rows of the table (of an index's
    /// table), before the migration, from its statistics.
    pub rows: Option<i64>,
    /// `rows` is an estimate: the statistics were not fresh (the table changed by more than a
    /// tenth since its last ANALYZE), or a bounded count stopped at its cap.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rows_estimated: bool,
    pub bytes: Option<i64>,
    /// For scans and rewrites: how long the lock was held here, and at the rate measured, what
    /// a bigger table would cost.
    pub estimate: String,
    /// The plan accepts this finding for this migration, for this reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
}

impl Finding {
    /// A warning of `rule`, every other field empty: the rule fills in what it found.
    pub fn of(rule: LockRule) -> Self {
        Finding {
            rule,
            severity: FindingSeverity::default(),
            statement: String::new(),
            relation: String::new(),
            lock: String::new(),
            blocks: String::new(),
            message: String::new(),
            advice: String::new(),
            rows: None,
            rows_estimated: false,
            bytes: None,
            estimate: String::new(),
            accepted: None,
        }
    }
}

/// When a migration was applied by an earlier run (from the ledger).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlierApply {
    pub run_id: String,
    pub operator: String,
    /// RFC 3339, UTC.
    pub applied_at: String,
}

/// A migration's effect on pre-existing data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataChanges {
    /// Row counts were read in the migration's transaction (false for a non-transactional
    /// migration, or one applied by an older run that recorded none).
    pub rows_measured: bool,
    /// Per pre-existing table with any change; tables left alone are not listed.
    pub tables: Vec<TableChange>,
}

/// What one migration did to one pre-existing table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableChange {
    /// `schema.table`.
    pub table: String,
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
    /// Emptied by TRUNCATE (the table got new storage and holds no row now).
    pub truncated: bool,
    /// Rewritten (new storage, rows kept): ALTER COLUMN TYPE, a volatile default, VACUUM FULL…
    pub rewritten: bool,
    /// The table itself was dropped.
    pub dropped: bool,
    pub dropped_columns: Vec<String>,
    /// Its new `schema.table` when the migration renamed it (or moved it to another schema):
    /// no row lost, but the running application still uses the old name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_to: Option<String>,
    /// Columns the migration renamed (same column, new name): no value lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renamed_columns: Vec<ColumnRename>,
    /// Rows before the migration, from the statistics (`None`: unknown).
    pub rows_before: Option<i64>,
    /// `rows_before` is an estimate (statistics not fresh, or a count stopped at its cap).
    #[serde(default, skip_serializing_if = "is_false")]
    pub rows_estimated: bool,
}

/// A column renamed by a migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnRename {
    pub from: String,
    pub to: String,
}

impl TableChange {
    /// Whether pre-existing rows or values were lost (deleted, truncated, dropped).
    pub fn loses_data(&self) -> bool {
        self.deleted > 0 || self.truncated || self.dropped || !self.dropped_columns.is_empty()
    }
}

/// A statement that waited for a lock another session held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockWait {
    /// `file:line` of the statement.
    pub statement: String,
    /// The lock it waited for, e.g. "AccessExclusiveLock on public.users".
    pub waiting_for: String,
    /// How long it had waited when last seen, ms.
    pub waited_ms: f64,
    pub blockers: Vec<Blocker>,
}

impl LockWait {
    /// The wait and its blockers in one sentence, for errors and logs.
    pub fn sentence(&self) -> String {
        let who: Vec<String> = self.blockers.iter().map(Blocker::describe).collect();
        format!(
            "{} waited {:.1} s for {}, blocked by {}",
            self.statement,
            self.waited_ms / 1000.0,
            self.waiting_for,
            who.join("; ")
        )
    }
}

/// A session that held a lock another statement waited for (`pg_blocking_pids`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blocker {
    pub pid: i32,
    pub user: String,
    pub application_name: String,
    /// Client address, or "local" for a Unix socket.
    pub client: String,
    /// `active`, `idle in transaction`…
    pub state: String,
    /// How long its transaction (or, outside one, its query) has been running, ms.
    pub for_ms: f64,
    pub query: String,
    /// The locks it holds on the relations waited for, e.g. "AccessShareLock on public.users".
    pub holds: String,
}

impl Blocker {
    /// One line for logs and errors.
    pub fn describe(&self) -> String {
        let app = if self.application_name.is_empty() {
            "no application_name".to_owned()
        } else {
            format!("application_name '{}'", self.application_name)
        };
        format!(
            "pid {} ({app}, user {}, from {}, {} for {:.1} s, holding {}): {}",
            self.pid,
            self.user,
            self.client,
            self.state,
            self.for_ms / 1000.0,
            if self.holds.is_empty() { "a conflicting lock" } else { &self.holds },
            self.query.split_whitespace().collect::<Vec<_>>().join(" ")
        )
    }
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
    /// Statements of the rollback script (or of the re-apply) that waited for a lock.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lock_waits: Vec<LockWait>,
    /// The baseline compared with was unknown (nothing recorded before earlier migrations).
    #[serde(default)]
    pub baseline_unknown: bool,
}

impl RollbackResult {
    pub fn matches_baseline(&self) -> bool {
        self.error.is_none() && !self.baseline_unknown && self.diff_from_baseline.is_empty()
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
    /// The plan names no criteria: these are pgstage's default set.
    #[serde(default)]
    pub default_criteria: bool,
    /// "14 of 23 verification and schema checks shown able to fail; insensitive: …".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub able_to_fail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Met {
    Yes,
    No,
    NotApplicable,
    /// What it judges did not run (an earlier step failed or was cancelled): never met.
    NotReached,
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
    /// All check results of a section.
    pub fn section(&self, section: Section) -> &[CheckResult] {
        match section {
            Section::Preflight => &self.preflight,
            Section::Verification => &self.verification,
            Section::SchemaSummary => &self.schema_summary,
            Section::Integrity => &self.integrity,
            Section::SampleData => &self.sample_data,
            Section::Rls => &self.rls,
            Section::Performance => &self.performance,
            Section::Rollback => self.rollback.as_ref().map_or(&[], |r| &r.checks),
        }
    }

    /// Where a section's check results go; `None` for the rollback's before its rehearsal ran.
    pub fn section_mut(&mut self, section: Section) -> Option<&mut Vec<CheckResult>> {
        match section {
            Section::Preflight => Some(&mut self.preflight),
            Section::Verification => Some(&mut self.verification),
            Section::SchemaSummary => Some(&mut self.schema_summary),
            Section::Integrity => Some(&mut self.integrity),
            Section::SampleData => Some(&mut self.sample_data),
            Section::Rls => Some(&mut self.rls),
            Section::Performance => Some(&mut self.performance),
            Section::Rollback => self.rollback.as_mut().map(|r| &mut r.checks),
        }
    }

    /// Every check result of every section, in run order.
    pub fn all_checks(&self) -> impl Iterator<Item = &CheckResult> {
        Section::ALL.iter().flat_map(|s| self.section(*s))
    }

    /// Total time of the migrations, milliseconds: those applied by this run, and those
    /// applied earlier with the time the ledger recorded.
    pub fn total_migration_ms(&self) -> f64 {
        self.migrations.iter().map(|m| m.duration_ms).sum()
    }

    /// Whether the step that fills `section` ran to its end.
    pub fn reached(&self, section: Section) -> bool {
        // The verification step fills the schema-summary, sample-data and RLS sections too.
        let step = match section {
            Section::Verification | Section::SchemaSummary | Section::SampleData | Section::Rls => Section::Verification,
            Section::Preflight | Section::Integrity | Section::Performance | Section::Rollback => section,
        };
        self.completed_steps.iter().any(|s| *s == step.as_str())
    }
}
