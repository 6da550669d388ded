//! The plan as data: every type a plan file (RON) is made of.
//!
//! A plan is what a staging run-book says, written so a machine can run it: where it may run
//! (target guard), what the database looks like before (baseline), what the operator confirms
//! by hand (manual items), the migrations with their expected time and objects, the checks
//! with their expectations, the rollback, and the criteria for GO / NO-GO.
//! Paths in a plan are relative to the plan file's directory.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{LockRule, Section};

/// A whole staging validation plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The plan's title; when left out, the plan file's header comment or its file name.
    #[serde(default, alias = "title")]
    pub name: String,
    #[serde(default)]
    pub phase: String,
    /// When the run is scheduled, as the run-book states it (e.g. "2024-02-06 09:00").
    #[serde(default)]
    pub scheduled: String,
    /// Hours planned for the whole validation; 0 when the plan does not say.
    #[serde(default)]
    pub planned_hours: f64,
    #[serde(default)]
    pub objective: String,
    /// Remarks on the plan itself, e.g. where the source run-book contradicts itself.
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub target: TargetGuard,
    #[serde(default)]
    pub execution: Execution,
    /// Left out when the target already holds the starting state (the sandbox then starts empty).
    #[serde(default)]
    pub baseline: Baseline,
    #[serde(default)]
    pub preflight: Preflight,
    #[serde(default)]
    pub migrations: Vec<Migration>,
    #[serde(default)]
    pub verification: Vec<Check>,
    #[serde(default)]
    pub schema_summary: Vec<Check>,
    #[serde(default)]
    pub integrity: Integrity,
    /// Checks that write test rows; each runs in a transaction that is always rolled back.
    #[serde(default)]
    pub sample_data: Vec<Check>,
    #[serde(default)]
    pub rls: Vec<RlsTest>,
    #[serde(default)]
    pub performance: Performance,
    #[serde(default)]
    pub rollback: Option<Rollback>,
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    #[serde(default)]
    pub team: Vec<Responsibility>,
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
}

/// Which databases the plan may run against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGuard {
    /// Glob patterns (`*`, `?`) on the database name; empty means any name not denied.
    #[serde(default)]
    pub allow_databases: Vec<String>,
    /// Glob patterns on the database name that are always refused (e.g. `*prod*`).
    #[serde(default)]
    pub deny_databases: Vec<String>,
    /// Glob patterns on the host name that are always refused.
    #[serde(default)]
    pub deny_hosts: Vec<String>,
    /// Refuse a database whose `pgstage.environment` setting or comment says `production`.
    #[serde(default = "yes")]
    pub refuse_marked_production: bool,
}

impl Default for TargetGuard {
    /// No pattern, and a database marked as production refused (as when the field is left out).
    fn default() -> Self {
        Self { allow_databases: vec![], deny_databases: vec![], deny_hosts: vec![], refuse_marked_production: true }
    }
}

fn yes() -> bool {
    true
}

/// How migrations are applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Execution {
    #[serde(default)]
    pub transaction: TransactionMode,
    #[serde(default = "default_lock_timeout_ms")]
    pub lock_timeout_ms: u64,
    #[serde(default = "default_statement_timeout_ms")]
    pub statement_timeout_ms: u64,
    /// A lock that blocks writes (or reads) of a pre-existing relation held longer than this is
    /// a finding.
    #[serde(default = "default_max_write_lock_ms")]
    pub max_write_lock_ms: u64,
    /// Probe, from another session, whether reads and writes of each relation a migration
    /// locks could go on. Always on for the sandbox; on staging it can be turned off.
    #[serde(default = "yes")]
    pub probe_blocking: bool,
    /// How other sessions' SQL (those blocking a statement, those a migration kept waiting)
    /// is recorded, and so shown everywhere.
    #[serde(default)]
    pub other_sessions_sql: OtherSessionsSql,
}

/// How pgstage repeats other sessions' SQL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtherSessionsSql {
    /// Every constant replaced by `$1`, `$2` … as `pg_stat_statements` shows queries.
    #[default]
    Normalised,
    /// As the server has it, only password literals blanked.
    Whole,
}

impl Default for Execution {
    fn default() -> Self {
        Self {
            transaction: TransactionMode::default(),
            lock_timeout_ms: default_lock_timeout_ms(),
            statement_timeout_ms: default_statement_timeout_ms(),
            max_write_lock_ms: default_max_write_lock_ms(),
            probe_blocking: true,
            other_sessions_sql: OtherSessionsSql::default(),
        }
    }
}

fn default_max_write_lock_ms() -> u64 {
    1_000
}

fn default_lock_timeout_ms() -> u64 {
    5_000
}

fn default_statement_timeout_ms() -> u64 {
    60_000
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransactionMode {
    /// Each migration in its own transaction (the default).
    #[default]
    PerMigration,
    /// All migrations in one transaction: all or nothing.
    Batch,
}

/// The state the migrations start from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The schema the plan's counts refer to.
    #[serde(default = "default_schema")]
    pub schema: String,
    /// Scripts that build the baseline, in order (used to seed the sandbox).
    #[serde(default)]
    pub migrations: Vec<PathBuf>,
    /// A deterministic script that gives every baseline table rows.
    #[serde(default)]
    pub sample_data: Option<PathBuf>,
    /// The baseline is staging's own schema, not scripts: the database it was cloned from when
    /// the plan was drafted (`pgstage init --clone-from`; host, port, database and user, never
    /// a password). A sandbox rehearsal clones staging again (`pgstage run PLAN --sandbox
    /// --clone-from CONN`); a sandbox seeded from scripts refuses the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloned_from: Option<String>,
}

impl Default for Baseline {
    fn default() -> Self {
        Self { schema: default_schema(), migrations: vec![], sample_data: None, cloned_from: None }
    }
}

fn default_schema() -> String {
    "public".to_owned()
}

/// Everything confirmed before the first migration runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preflight {
    /// Automated checks: baseline counts, connections, replication lag, size.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Items the operator must acknowledge (who, when) before migrations may start.
    #[serde(default)]
    pub manual: Vec<ManualItem>,
    /// What a difference between the target's schema and the rehearsed baseline does
    /// (`PF-DRIFT`): reported (`Warn`, the default) or stops the run before any migration.
    #[serde(default)]
    pub drift: DriftPolicy,
}

/// What schema drift does to a run on a database (see [`Preflight::drift`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DriftPolicy {
    /// Every difference is listed; the check warns and the run goes on.
    #[default]
    Warn,
    /// Any difference (or no rehearsal to compare with) fails the pre-flight: no migration runs.
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualItem {
    pub id: String,
    pub title: String,
    /// Who is responsible for it (a team role).
    #[serde(default)]
    pub owner: String,
}

/// One migration file and what the plan expects of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Migration {
    /// When left out, the file name's leading number (or its stem).
    #[serde(default)]
    pub id: String,
    /// When left out, the file name without its number and extension.
    #[serde(default)]
    pub title: String,
    pub file: PathBuf,
    /// Expected execution time, milliseconds, inclusive; `None`: the time is not judged.
    #[serde(default)]
    pub expected_ms: Option<MsRange>,
    #[serde(default)]
    pub creates: Creates,
    /// The file holds statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY,
    /// VACUUM, …); it is then applied statement by statement, outside a transaction.
    #[serde(default)]
    pub non_transactional: bool,
    /// Loss of pre-existing data this migration is meant to cause (a purge, a dropped
    /// column), each with its reason: "No data loss" accepts these and the report shows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_loss: Vec<DeclaredLoss>,
    /// Lock findings the plan accepts for this migration, each with its reason (shown in the
    /// report as accepted, never hidden).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<AcceptedFinding>,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FindingSeverity {
    /// Worth knowing (e.g. the same pattern on an empty table).
    Info,
    #[default]
    Warning,
    /// Blocks application traffic for a time that grows with the table.
    Error,
}

impl FindingSeverity {
    pub fn label(self) -> &'static str {
        match self {
            FindingSeverity::Info => "info",
            FindingSeverity::Warning => "warning",
            FindingSeverity::Error => "error",
        }
    }
}

/// A lock finding accepted on purpose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedFinding {
    /// The rule, e.g. "index-without-concurrently".
    pub rule: LockRule,
    /// Only on this relation (`schema.name`, or a name in the baseline's schema); any when absent.
    #[serde(default)]
    pub relation: Option<String>,
    pub reason: String,
}

/// A loss of pre-existing data a migration declares on purpose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredLoss {
    /// The table, `table` (in the baseline's schema) or `schema.table`.
    pub table: String,
    pub what: Loss,
    pub reason: String,
}

impl DeclaredLoss {
    /// The reason `pgstage init` drafts, for the user to replace: a plan holding it does not load.
    pub const UNWRITTEN: &'static str = "TODO: why this loss is intended (drafted by pgstage init from the rehearsal)";

    /// Whether the reason was written: not empty, not a `TODO` (the drafted [`Self::UNWRITTEN`]).
    pub fn reason_written(&self) -> bool {
        let r = self.reason.trim();
        !r.is_empty() && !r.to_uppercase().starts_with("TODO")
    }
}

/// What kind of data loss is declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Loss {
    /// DELETE of existing rows.
    DeleteRows,
    Truncate,
    DropColumn(String),
    DropTable,
}

impl Loss {
    pub fn describe(&self) -> String {
        match self {
            Loss::DeleteRows => "deletes rows".into(),
            Loss::Truncate => "truncates".into(),
            Loss::DropColumn(c) => format!("drops column {c}"),
            Loss::DropTable => "drops the table".into(),
        }
    }
}

/// An inclusive range of milliseconds, written `(400, 500)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsRange(pub u64, pub u64);

impl MsRange {
    pub fn min(self) -> u64 {
        self.0
    }
    pub fn max(self) -> u64 {
        self.1
    }
    pub fn contains(self, ms: u64) -> bool {
        (self.0..=self.1).contains(&ms)
    }

    /// Whether a measured time is below, within or above the range, judged on the time as
    /// reports print it ([`shown_ms`]): "1.6 ms" is below 2–34 ms, "100 ms" (100.4) within
    /// 0–100 ms.
    pub fn judge(self, ms: f64) -> std::cmp::Ordering {
        let shown = shown_ms(ms);
        if shown < self.0 as f64 {
            std::cmp::Ordering::Less
        } else if shown > self.1 as f64 {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }

    /// `"400–500 ms"`, or `"not judged"` for no range.
    pub fn label(range: Option<MsRange>) -> String {
        range.map_or_else(|| "not judged".to_owned(), |r| format!("{}–{} ms", r.0, r.1))
    }
}

/// A time in milliseconds rounded as reports print it: two decimals under 1 ms, one under
/// 100 ms, whole milliseconds under 10 s, tenths of a second from there.
pub fn shown_ms(ms: f64) -> f64 {
    let step = if ms >= 10_000.0 {
        100.0
    } else if ms >= 100.0 {
        1.0
    } else if ms >= 1.0 {
        0.1
    } else {
        0.01
    };
    (ms / step).round() * step
}

/// Objects a migration is expected to create. `None` means the plan does not say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Creates {
    /// Tables by name: `name` (in any schema; the plan's schema for its counts) or `schema.name`.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Functions by name, without arguments, written as tables are.
    #[serde(default)]
    pub functions: Vec<String>,
    #[serde(default)]
    pub indexes: Option<u32>,
    #[serde(default)]
    pub policies: Option<u32>,
    #[serde(default)]
    pub triggers: Option<u32>,
    #[serde(default)]
    pub foreign_keys: Option<u32>,
}

/// One check: something measured, and what it must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub id: String,
    pub title: String,
    /// A grouping shown in results, e.g. the migration it verifies ("013").
    #[serde(default)]
    pub group: String,
    pub probe: Probe,
    pub expect: Expect,
    /// What a miss means: a failure (default) or a warning.
    #[serde(default)]
    pub on_miss: Severity,
    /// The check holds before the migrations as after them, on purpose (a verification or
    /// schema-summary check that passes on the baseline is otherwise flagged as unable to fail).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub invariant: bool,
    /// A verification check run right after this migration is applied (as Sqitch runs a
    /// change's verify script), not after the batch: a later migration may change what it
    /// checks. SQL probes only; in a one-transaction batch it runs after the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// Where a check's actual value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Probe {
    /// SQL; with several statements the last one's first column of the first row is the value.
    Sql(String),
    /// A figure from the catalog snapshot.
    Metric(Metric),
}

/// Figures pgstage reads from `pg_catalog` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Metric {
    Tables,
    ForeignKeys,
    Policies,
    Indexes,
    Functions,
    Triggers,
    Views,
    Sequences,
    /// Objects that appeared since the baseline snapshot.
    NewTables,
    NewForeignKeys,
    NewPolicies,
    NewIndexes,
    NewFunctions,
    NewTriggers,
    DatabaseSizeMb,
    ActiveConnections,
    ReplicationLagSeconds,
}

/// What a probe's value must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Expect {
    Equals(i64),
    AtLeast(i64),
    AtMost(i64),
    /// Inclusive.
    Between(i64, i64),
    /// Within `tolerance_pct` percent of `value`.
    About {
        value: f64,
        tolerance_pct: f64,
    },
    /// The value is boolean true.
    True,
    /// The query returns at least one row.
    Exists,
    /// The query returns no row.
    NoRows,
    /// The query returns exactly this many rows.
    Rows(u64),
    /// The value, as text, equals this.
    Text(String),
    /// The SQL must fail with this SQLSTATE (e.g. "23503" for a foreign-key violation): a
    /// constraint that is enforced.
    Fails(String),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    #[default]
    Fail,
    Warn,
}

/// Data-integrity checks after the migrations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrity {
    /// Every constraint is validated (no NOT VALID left behind).
    #[serde(default = "yes")]
    pub constraints_validated: bool,
    /// No row references a missing parent, for the foreign keys PostgreSQL does not already
    /// guarantee (see [`OrphanScan`]).
    #[serde(default = "yes")]
    pub no_orphans: bool,
    #[serde(default)]
    pub orphan_scan: OrphanScan,
    /// The migrations deleted, truncated or dropped no pre-existing data beyond what each
    /// declares (`data_loss`); concurrent application traffic never counts.
    #[serde(default = "yes", alias = "row_counts_unchanged")]
    pub no_data_loss: bool,
    /// Every role holding a privilege on (nearly) all pre-existing tables, sequences or
    /// functions of the schema holds it on the new ones too.
    #[serde(default = "yes")]
    pub privileges_of_new_objects: bool,
    #[serde(default)]
    pub checks: Vec<Check>,
}

impl Default for Integrity {
    fn default() -> Self {
        Self {
            constraints_validated: true,
            no_orphans: true,
            orphan_scan: OrphanScan::default(),
            no_data_loss: true,
            privileges_of_new_objects: true,
            checks: vec![],
        }
    }
}

/// Which foreign keys the orphan check scans.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrphanScan {
    /// Those PostgreSQL does not already guarantee: NOT VALID ones, those the batch added or
    /// changed, and those whose enforcement triggers are disabled. Cost follows the change.
    #[default]
    Unguaranteed,
    /// Every foreign key: a full scan of every referencing table.
    All,
}

/// Row-level security isolation: as `role`, with the claim set to each subject in turn, the
/// listed tables show no row of another workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RlsTest {
    pub id: String,
    pub title: String,
    #[serde(default = "default_rls_role")]
    pub role: String,
    /// The setting that carries the user id (Supabase: `request.jwt.claim.sub`).
    #[serde(default = "default_claim")]
    pub claim: String,
    /// SQL run first, as the connecting user, inside the same rolled-back transaction.
    #[serde(default)]
    pub setup: Option<String>,
    pub subjects: Vec<RlsSubject>,
    pub tables: Vec<String>,
}

fn default_rls_role() -> String {
    "authenticated".to_owned()
}

fn default_claim() -> String {
    "request.jwt.claim.sub".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RlsSubject {
    pub label: String,
    pub user_id: String,
    pub workspace_id: String,
}

/// Performance checks after the migrations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Performance {
    /// No check query may take longer than this.
    #[serde(default = "default_slow_query_ms")]
    pub slow_query_ms: u64,
    #[serde(default)]
    pub index_usage: Vec<IndexUsage>,
}

impl Default for Performance {
    fn default() -> Self {
        Self { slow_query_ms: default_slow_query_ms(), index_usage: vec![] }
    }
}

fn default_slow_query_ms() -> u64 {
    1_000
}

/// A query whose plan must use an index (optionally a named one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexUsage {
    pub id: String,
    pub title: String,
    pub sql: String,
    #[serde(default)]
    pub index: Option<String>,
}

/// The rollback script and what must hold after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    pub script: PathBuf,
    /// Run it during the rehearsal (then re-apply the migrations).
    #[serde(default = "yes")]
    pub rehearse: bool,
    /// After the rollback the catalog must equal the baseline snapshot.
    #[serde(default = "yes")]
    pub expect_baseline: bool,
    /// The script holds statements that cannot run in a transaction (DROP INDEX CONCURRENTLY,
    /// …): it then runs as non-transactional migrations do, its other statements in
    /// transactions between them (a segment each), each such statement on its own; the
    /// script's own BEGIN / COMMIT mark where a segment ends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub non_transactional: bool,
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// One success criterion of the GO / NO-GO decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub title: String,
    /// Execution, Verification, Integrity, Performance…
    #[serde(default)]
    pub group: String,
    pub rule: Rule,
    /// A hard criterion makes the verdict NO-GO when missed; an expectation only warns.
    #[serde(default)]
    pub kind: CriterionKind,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CriterionKind {
    #[default]
    Hard,
    Expectation,
}

/// What a criterion measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rule {
    /// Every migration applied without error.
    AllMigrationsApplied,
    /// The migrations together took less than this many milliseconds.
    TotalMigrationMsBelow(u64),
    /// Each migration finished within its expected range.
    MigrationsWithinExpectedRange,
    /// Each migration created the objects it was expected to.
    CreatedObjectsAsExpected,
    /// Every check in these sections passed ("preflight", "verification", "schema_summary",
    /// "integrity", "sample_data", "rls", "performance", "rollback").
    SectionsPass(Vec<Section>),
    /// Every one of these checks (by id, in any section) ran and passed: a criterion about
    /// particular figures ("59 tables, 82+ foreign keys") met only by the checks of them.
    ChecksPass(Vec<String>),
    /// Every manual pre-flight item was acknowledged.
    ManualItemsAcknowledged,
    /// The migrations lost no pre-existing data they did not declare (deleted rows,
    /// truncation, dropped columns or tables).
    NoDataLoss,
    NoOrphans,
    /// Every check query run on the migrated schema (verification to rollback; not the
    /// pre-flight's, which read the server before the batch) under `performance.slow_query_ms`.
    NoSlowQueries,
    /// The rollback rehearsal returned exactly to the baseline.
    RollbackMatchesBaseline,
    /// Replication lag at most this many seconds (n/a without replicas).
    ReplicationLagAtMost(u64),
    /// No lock finding of this severity or worse that the plan does not accept.
    NoLockFindings(FindingSeverity),
    /// Reads and writes of every pre-existing relation never blocked longer than this many ms.
    MaxBlockedMs(u64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Responsibility {
    /// e.g. "Before execution (09:00 - 09:30)".
    pub phase: String,
    pub role: String,
    pub duty: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    /// Planned start, "HH:MM".
    pub at: String,
    pub minutes: u32,
    pub phase: String,
    #[serde(default)]
    pub steps: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn a_range_judges_the_time_as_printed() {
        // "1.6 ms" printed is below 2–34 ms, though it rounds to 2 whole milliseconds.
        assert_eq!(MsRange(2, 34).judge(1.6), Less);
        assert_eq!(MsRange(2, 34).judge(1.96), Equal, "printed 2.0 ms");
        assert_eq!(MsRange(0, 100).judge(100.4), Equal, "printed 100 ms");
        assert_eq!(MsRange(0, 100).judge(100.6), Greater, "printed 101 ms");
        assert_eq!(MsRange(0, 10_000).judge(10_040.0), Equal, "printed 10.0 s");
        assert_eq!(MsRange(1, 5).judge(0.996), Equal, "printed 1.0 ms");
    }
}
