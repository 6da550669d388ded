//! The steps themselves: pre-flight (and the gate before the first migration), applying
//! migrations, verification, integrity and performance (the rollback rehearsal is
//! [`super::rollback`]). The baseline (pre-flight figures, catalog snapshot) is measured, or,
//! when some of the plan's migrations are already in the ledger, the one recorded before the
//! first of them ([`baseline`]).

use std::future::Future;

use super::apply::{self, LedgerState};
use super::blockers;
use super::objects::{compare_created, compare_created_tables_only, compare_present};
use super::trace::{self, Tracer};
use super::{Engine, Event, Step, StepEnd, data, db_end, db_failed};
use crate::check::integrity::OrphanScope;
use crate::check::{self, TxMode};
use crate::db::figures::SizeAhead;
use crate::db::migration_file::SqlFile;
use crate::db::snapshot::{Kind, Snapshot};
use crate::db::{DbError, describe, ledger};
use crate::findings;
use crate::plan::{Check, Metric, Migration, OrphanScan, Probe, Section, TransactionMode};
use crate::run_result::{
    Able, BaselineRun, CheckResult, DataChanges, LockWait, MigrationResult, MigrationStatus, Sensitivity, Status,
};

impl Engine {
    /// A catalog snapshot, split over the catalog reader connection when there is one. If that
    /// fails (a DBA may terminate the reader) but the session alone can read it, the run goes on
    /// without the reader; a lock it gave up waiting for fails it, naming who held the lock, and
    /// the operator's cancel (which interrupts it) ends it.
    /// Only what the run's scope covers is read ([`Engine::scope`]).
    pub(super) async fn snapshot(&mut self) -> Result<Snapshot, StepEnd> {
        let failed = |e: DbError| StepEnd::Failed(e.to_string());
        let scope = self.scope().await?;
        let Some(reader) = &self.reader else {
            return Snapshot::take_scoped(self.client(), None, &scope).await.map_err(failed);
        };
        let (taken, wait) = self
            .watched("the catalog snapshot", Snapshot::take_scoped(self.client(), Some(&reader.session.client), &scope))
            .await;
        match taken {
            Ok(snapshot) => Ok(snapshot),
            Err(e @ DbError::LockTimeout(_)) => Err(failed(blockers::named(e, wait))),
            Err(_) if self.controls.is_cancelled() => Err(StepEnd::Cancelled),
            Err(e) => {
                let snapshot = Snapshot::take_scoped(self.client(), None, &scope).await.map_err(failed)?;
                let _ = self.events.send(Event::Log(format!("catalog reader: {e}; snapshots go on over the session alone")));
                self.reader = None;
                Ok(snapshot)
            }
        }
    }

    /// `work` on the session, watched from the reader for lock waits ([`blockers::watched`]).
    /// On the heap: a snapshot's future is large, and the step's future holds this one.
    async fn watched<T>(&self, what: &str, work: impl Future<Output = T>) -> (T, Option<LockWait>) {
        let reader = self.reader.as_ref().map(|r| &r.session.client);
        let sql = self.plan.plan.execution.other_sessions_sql;
        Box::pin(blockers::watched(reader, self.pid, what, sql, &self.events, work)).await
    }

    /// A check, watched for lock waits: one that did not pass after waiting for a lock says who
    /// held it, and a lock timeout outside its own SQL names the holder too. Once the operator has
    /// cancelled, none runs, and one the cancel interrupted is no result: the step ends.
    pub(super) async fn check(&self, c: &Check, mode: TxMode, now: &Snapshot) -> Result<CheckResult, StepEnd> {
        self.stop_if_cancelled()?;
        let own_sessions: Vec<i32> = self.reader.iter().map(|r| r.pid).collect();
        let ctx = check::Context {
            client: self.client(),
            statement_timeout_ms: self.timeout(),
            now,
            baseline: self.baseline_known.then_some(&self.baseline),
            schema: self.schema(),
            own_sessions: &own_sessions,
            size_ahead: self.size_ahead.as_ref(),
        };
        let watched = self.watched(&format!("check {}", c.id), check::run(&ctx, c, mode)).await;
        self.stop_if_cancelled()?;
        match watched {
            (Ok(mut r), Some(wait)) if r.status != Status::Pass => {
                r.detail = [r.detail.as_str(), &wait.sentence()].join("\n").trim_start().to_owned();
                Ok(r)
            }
            (outcome, wait) => outcome.map_err(|e| db_end(blockers::named(e, wait))),
        }
    }

    /// Run `work` on the session, watched for lock waits ([`Engine::watched`]); a lock timeout
    /// names who held the lock, and the operator's cancel ends the step.
    async fn on_session<T>(&self, what: &str, work: impl Future<Output = Result<T, DbError>>) -> Result<T, StepEnd> {
        self.stop_if_cancelled()?;
        let (outcome, wait) = self.watched(what, work).await;
        self.stop_if_cancelled()?;
        outcome.map_err(|e| db_end(blockers::named(e, wait)))
    }

    pub(super) async fn preflight(&mut self) -> Result<(), StepEnd> {
        let (prepared, problems) = apply::prepare(&self.plan);
        self.prepared = prepared;
        self.reparenting = self.prepared.iter().flatten().any(|f| f.statements.iter().any(trace::reparents));
        for (i, m) in self.plan.plan.migrations.iter().enumerate() {
            self.result.migrations[i] = MigrationResult::not_run(m, self.prepared[i].as_ref());
        }
        let files = CheckResult {
            id: "PF-FILES".into(),
            group: "migrations".into(),
            title: "Migration files readable, split, free of non-transactional surprises".into(),
            expected: "no problem".into(),
            actual: if problems.is_empty() { "no problem".into() } else { format!("{} problems", problems.len()) },
            status: if problems.is_empty() { Status::Pass } else { Status::Fail },
            duration_ms: 0.0,
            sql: String::new(),
            detail: problems.join("\n"),
            metric: None,
        };
        self.record(Section::Preflight, files);
        let contradictions = crate::plan::lint(&self.plan.plan);
        let lint = CheckResult {
            id: "PF-PLAN".into(),
            group: "plan".into(),
            title: "The plan does not contradict itself (counts, timeline, criteria, duplicates)".into(),
            expected: "no contradiction".into(),
            actual: match contradictions.len() {
                0 => "no contradiction".into(),
                1 => "1 contradiction".into(),
                n => format!("{n} contradictions"),
            },
            // The plan's own wording: worth a look before sign-off, not a reason to stop.
            status: if contradictions.is_empty() { Status::Pass } else { Status::Warn },
            duration_ms: 0.0,
            sql: String::new(),
            detail: contradictions.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            metric: None,
        };
        self.record(Section::Preflight, lint);
        if self.plan.plan.preflight.checks.iter().any(asks_size) {
            let name = format!("pgstage run {} (database size)", self.result.run_id);
            self.size_ahead = Some(SizeAhead::start(&self.session, name));
        }
        self.current = self.snapshot().await?;
        let ids: Vec<String> = self.plan.plan.migrations.iter().map(|m| m.id.clone()).collect();
        let applied = ledger::applied_of(self.client(), &ids).await.map_err(db_end)?;
        let from_record = if applied.is_empty() {
            self.baseline = self.current.clone();
            self.baseline_known = true;
            self.record_baseline = true;
            self.preflight_checks(&[]).await?;
            let now = self.current.clone();
            self.baseline_runs("before the migrations", &now).await?;
            vec![]
        } else {
            self.resume(&applied).await?
        };
        self.drift().await?;
        self.size_checks(&from_record).await?;
        let schema = self.schema().to_owned();
        if self.baseline_known {
            self.result.schema_counts.before = self.baseline.counts(&schema);
        }
        Ok(())
    }

    /// Run the plan's pre-flight checks, except those in `skip` (judged from the record). A
    /// database size asked ahead is judged last ([`Engine::size_checks`]), once the rest of
    /// the pre-flight has run beside it.
    pub(super) async fn preflight_checks(&mut self, skip: &[String]) -> Result<(), StepEnd> {
        let checks = self.plan.plan.preflight.checks.clone();
        for (i, c) in checks.iter().enumerate() {
            let later = self.size_ahead.is_some() && asks_size(c);
            if !skip.contains(&c.id) && !later {
                let r = self.check(c, TxMode::ReadOnly, &self.current).await?;
                self.record(Section::Preflight, r);
            }
            let _ = self.events.send(Event::Progress {
                step: Step::Preflight,
                done: i + 1,
                total: checks.len(),
                what: c.title.clone(),
            });
        }
        Ok(())
    }

    /// The pre-flight's size checks left for last, each recorded where the plan puts it.
    async fn size_checks(&mut self, skip: &[String]) -> Result<(), StepEnd> {
        if self.size_ahead.is_none() {
            return Ok(());
        }
        let checks = self.plan.plan.preflight.checks.clone();
        for (i, c) in checks.iter().enumerate() {
            if !asks_size(c) || skip.contains(&c.id) {
                continue;
            }
            let r = self.check(c, TxMode::ReadOnly, &self.current).await?;
            let _ = self.events.send(Event::CheckFinished { section: Section::Preflight, result: r.clone() });
            let after: Vec<&str> = checks[i + 1..].iter().map(|c| c.id.as_str()).collect();
            let list = &mut self.result.preflight;
            let at = list.iter().position(|r| after.contains(&r.id.as_str())).unwrap_or(list.len());
            list.insert(at, r);
        }
        // A size asked after this (a verification check's) is the database's then.
        self.size_ahead = None;
        Ok(())
    }

    /// Run the verification and schema-summary checks on the baseline state (`now`, before
    /// the migrations or after the rollback): a check that passes there too cannot tell a
    /// migrated database from an unmigrated one. Nothing is recorded as a result.
    pub(super) async fn baseline_runs(&mut self, when: &str, now: &Snapshot) -> Result<(), StepEnd> {
        let plan = self.plan.plan.clone();
        for (section, checks) in [(Section::Verification, &plan.verification), (Section::SchemaSummary, &plan.schema_summary)] {
            for c in checks {
                let r = self.check(c, TxMode::ReadOnly, now).await?;
                let run = BaselineRun { when: when.to_owned(), passed: r.status == Status::Pass, actual: r.actual };
                match self.result.sensitivity.iter_mut().find(|s| s.section == section && s.id == c.id) {
                    Some(s) => s.on_baseline.push(run),
                    None => self.result.sensitivity.push(Sensitivity {
                        section,
                        id: c.id.clone(),
                        on_baseline: vec![run],
                        verdict: Able::Unknown,
                    }),
                }
            }
        }
        Ok(())
    }

    /// Each verification and schema-summary check: shown able to fail, insensitive, invariant
    /// or unknown, from its runs on the baseline state.
    pub(super) fn judge_sensitivity(&mut self) {
        let plan = &self.plan.plan;
        for (section, checks) in [(Section::Verification, &plan.verification), (Section::SchemaSummary, &plan.schema_summary)] {
            for c in checks {
                if !self.result.sensitivity.iter().any(|s| s.section == section && s.id == c.id) {
                    self.result.sensitivity.push(Sensitivity {
                        section,
                        id: c.id.clone(),
                        on_baseline: vec![],
                        verdict: Able::Unknown,
                    });
                }
                let s = self.result.sensitivity.iter_mut().find(|s| s.section == section && s.id == c.id).expect("just added");
                s.verdict = if c.invariant {
                    Able::Invariant
                } else if s.on_baseline.is_empty() {
                    Able::Unknown
                } else if s.on_baseline.iter().any(|r| !r.passed) {
                    Able::ShownAbleToFail
                } else {
                    Able::Insensitive
                };
            }
        }
    }

    /// The gate before the first migration: pre-flight passed and manual items acknowledged.
    fn gate(&mut self) -> Result<(), StepEnd> {
        let manual = self.plan.plan.preflight.manual.clone();
        for item in &manual {
            let ack = self.result.acknowledgements.iter().find(|a| a.item == item.id).cloned();
            let r = CheckResult {
                id: item.id.clone(),
                group: "manual".into(),
                title: item.title.clone(),
                expected: "acknowledged".into(),
                actual: ack.as_ref().map_or("not acknowledged".into(), |a| format!("by {} at {}", a.by, a.at)),
                status: if ack.is_some() { Status::Pass } else { Status::Fail },
                duration_ms: 0.0,
                sql: String::new(),
                detail: item.owner.clone(),
                metric: None,
            };
            self.record(Section::Preflight, r);
        }
        let failed: Vec<String> = self
            .result
            .preflight
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| format!("{} ({})", c.id, c.actual))
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(StepEnd::Failed(format!("pre-flight not passed, migrations not started: {}", failed.join(", "))))
        }
    }

    pub(super) async fn migrations(&mut self, first: usize) -> Result<(), StepEnd> {
        if first == 0 {
            self.gate()?;
            ledger::ensure(self.client()).await.map_err(|e| StepEnd::Failed(e.to_string()))?;
            self.ledger_ready = true;
        }
        let batch = self.plan.plan.execution.transaction == TransactionMode::Batch;
        let range = if batch { 0..self.plan.plan.migrations.len() } else { first..first + 1 };
        let scope = self.scope().await?;
        let mut before =
            data::before(&self.session.client, &self.baseline, &scope, &mut self.counted).await.map_err(db_failed)?;
        if batch {
            before.begin(&self.session.client, &apply::begin_sql(&self.plan.plan.execution)).await.map_err(db_failed)?;
        }
        for i in range.clone() {
            if let Err(end) = self.apply_one(i, batch, &mut before).await {
                if batch {
                    let _ = self.client().batch_execute("ROLLBACK").await;
                    for m in &mut self.result.migrations[range.start..i] {
                        m.status = MigrationStatus::Failed;
                        m.error = Some("rolled back with the batch".into());
                    }
                }
                return Err(end);
            }
            if !batch {
                self.checks_after(i).await?;
            }
        }
        if batch {
            self.client().batch_execute(&self.settings.commit_sql()).await.map_err(db_failed)?;
            self.record_baseline = false;
        }
        Ok(())
    }

    async fn apply_one(&mut self, i: usize, in_batch: bool, before: &mut data::Before) -> Result<(), StepEnd> {
        let m: Migration = self.plan.plan.migrations[i].clone();
        let p = self.prepared[i].clone().ok_or_else(|| StepEnd::Failed(format!("migration {} could not be prepared", m.id)))?;
        let step = if in_batch { Step::Migration(0) } else { Step::Migration(i) };
        let mut result = MigrationResult::not_run(&m, Some(&p));
        match apply::ledger_state(self.client(), &m, &p, self.ledger_ready).await.map_err(StepEnd::Failed)? {
            LedgerState::Applied(entry) => {
                let _ = self.events.send(Event::Log(format!(
                    "migration {} already applied at {} by run {} ({}): skipped",
                    m.id, entry.applied_at, entry.run_id, entry.operator
                )));
                apply::already_applied(&mut result, entry);
                self.finish_migration(i, result);
                return Ok(());
            }
            LedgerState::Drift(why) => {
                result.status = MigrationStatus::Failed;
                result.error = Some(why.clone());
                self.finish_migration(i, result);
                return Err(StepEnd::Failed(why));
            }
            LedgerState::New => {}
        }
        let own_tx = !in_batch && !m.non_transactional;
        if own_tx {
            before.begin(&self.session.client, &apply::begin_sql(&self.plan.plan.execution)).await.map_err(db_failed)?;
        } else if m.non_transactional {
            // Statement by statement, each committed on its own: the timeouts go on the session.
            self.client().batch_execute(&apply::session_timeouts_sql(&self.plan.plan.execution)).await.map_err(db_failed)?;
        }
        // Outside a transaction the trace is polled from the reader ([`super::poll`]).
        let mut tracer = Some(Tracer::new(before, self.reparenting));
        // The baseline goes into the ledger in the first migration's transaction, before its
        // statements: no lock on the application's tables is held yet, and none waits on it.
        let recorded = !self.record_baseline || m.non_transactional || self.record_baseline_now(&p.shown, &mut result).await;
        let ctx = self.apply_context();
        let mut ok = recorded && apply::run_statements(&ctx, step, &p, &mut result, tracer.as_mut(), !m.non_transactional).await;
        if let Some(tracer) = &tracer {
            // The next migration of a batch tells its scans from these counts.
            before.scans.clone_from(tracer.scans());
        }
        if ok {
            // Before COMMIT, together: what this transaction did to pre-existing tables (its
            // counters exist only inside it), and, from the reader, the application sessions
            // waiting for its locks. Nothing else while the locks are held: the sizes of the
            // relations it locked are read after COMMIT.
            let blocked = async {
                match &self.reader {
                    Some(reader) => {
                        let sql = self.plan.plan.execution.other_sessions_sql;
                        trace::blocked_by(&reader.session.client, self.pid, sql, &reader.blocked).await.unwrap_or_default()
                    }
                    None => Vec::new(),
                }
            };
            let (changes, blocked) = tokio::join!(before.after(self.client()), blocked);
            result.blocked_sessions = blocked;
            match changes {
                Ok(tables) => result.data = DataChanges { rows_measured: !m.non_transactional, tables },
                Err(e) => {
                    result.status = MigrationStatus::Failed;
                    result.error = Some(format!("{}: reading what it changed failed: {}", p.shown, describe(&e)));
                    ok = false;
                }
            }
        }
        // The ledger row, then COMMIT, sent together (one round trip while the locks are
        // held): a failed insert aborts the transaction, and the COMMIT then rolls it back.
        let ctx = self.apply_context();
        let mut committed = Ok(());
        if ok && own_tx {
            let commit = self.settings.commit_sql();
            let recorded;
            (recorded, committed) = tokio::join!(apply::record(&ctx, &m, &p, &mut result), self.client().batch_execute(&commit));
            ok = recorded;
        } else {
            ok = ok && apply::record(&ctx, &m, &p, &mut result).await;
        }
        if m.non_transactional {
            let _ = self.client().batch_execute(self.settings.sql()).await;
        }
        if !ok {
            if own_tx {
                let _ = self.client().batch_execute("ROLLBACK").await;
            }
            result.trace = tracer.map(Tracer::finish).unwrap_or_default();
            let end = match result.status {
                MigrationStatus::Cancelled => StepEnd::Cancelled,
                _ => StepEnd::Failed(result.error.clone().unwrap_or_default()),
            };
            self.finish_migration(i, result);
            return Err(end);
        }
        result.trace = tracer.map(Tracer::finish).unwrap_or_default();
        if let Err(e) = committed {
            result.status = MigrationStatus::Failed;
            result.error = Some(format!("{}: commit failed: {}", p.shown, describe(&e)));
            let why = result.error.clone().unwrap_or_default();
            self.finish_migration(i, result);
            return Err(StepEnd::Failed(why));
        }
        if !in_batch {
            self.record_baseline = false;
            let after = match self.snapshot().await {
                Ok(after) => after,
                Err(end) => {
                    // Committed and in the ledger: applied, whatever stops the run after it.
                    self.finish_migration(i, result);
                    return Err(match end {
                        StepEnd::Failed(why) => {
                            StepEnd::Failed(format!("{}: applied and committed (in the ledger); then {why}", p.shown))
                        }
                        cancelled => cancelled,
                    });
                }
            };
            // The sizes of the relations it locked, for its findings: read after COMMIT, so
            // that no lock of the migration waits for them.
            let locked: Vec<String> = result.trace.iter().flat_map(|t| &t.locks).map(|l| l.relation.clone()).collect();
            let mut sizes = trace::sizes(self.client(), &locked).await.unwrap_or_default();
            // On a clone of staging's schema, a table is as big as it is on staging.
            if let Some(clone) = &self.clone {
                for (relation, size) in sizes.iter_mut() {
                    if let Some((_, bytes)) = clone.sizes.get(relation) {
                        *size = *bytes;
                    }
                }
            }
            let diff = self.current.diff(&after);
            compare_created(&m, &diff, &after, &mut result);
            self.find(&m, &p, before, &sizes, &after, &diff, &mut result);
            self.current = after;
        }
        self.finish_migration(i, result);
        Ok(())
    }

    /// The lock findings of a migration, weighted by the sizes of their relations here (rows
    /// from the statistics before it, bytes read after its COMMIT: `sizes`), with the plan's
    /// acceptances.
    #[allow(clippy::too_many_arguments)]
    fn find(
        &self,
        m: &Migration,
        p: &SqlFile,
        before: &data::Before,
        sizes: &std::collections::HashMap<String, i64>,
        after: &Snapshot,
        diff: &crate::db::snapshot::SnapshotDiff,
        result: &mut MigrationResult,
    ) {
        // On a clone of staging's schema the tables are empty: a finding is graded by staging's
        // rows (its statistics, read when the clone was made), and the statements ran on no row
        // (a clone's statistics, from 18 on, are staging's and say otherwise), so the time is
        // estimated for staging's rows.
        let mut rows = before.rows();
        let mut here = rows.clone();
        if let Some(clone) = &self.clone {
            for (table, n) in &mut rows {
                if let Some(on_staging) = clone.sizes.get(table) {
                    *n = on_staging.0;
                    here.insert(table.clone(), Some(0));
                }
            }
        }
        let ctx = findings::Context {
            migration: result,
            statements: &p.statements,
            rows: &rows,
            rows_here: &here,
            bytes: sizes,
            after,
            diff,
            max_write_lock_ms: self.plan.plan.execution.max_write_lock_ms,
        };
        let mut found = findings::find(&ctx);
        for f in &mut found {
            if let Some((rows, estimated)) = before.figure(&f.relation) {
                (f.rows, f.rows_estimated) = (Some(rows), estimated);
            }
            let table = before.table_of(&f.relation).unwrap_or(&f.relation);
            if let Some((on_staging, _)) = self.clone.as_ref().and_then(|c| c.sizes.get(table)) {
                (f.rows, f.rows_estimated) = (*on_staging, false);
            }
            f.bytes = sizes.get(&f.relation).copied();
        }
        findings::apply_acceptances(&mut found, m, self.schema());
        for f in &found {
            let _ = self.events.send(Event::Log(format!(
                "{} {} at {}: {}{}{}",
                f.severity.label(),
                f.rule,
                f.statement,
                f.message,
                if f.estimate.is_empty() { String::new() } else { format!(" ({})", f.estimate) },
                f.accepted.as_ref().map(|r| format!(" (accepted: {r})")).unwrap_or_default()
            )));
        }
        result.findings = found;
    }

    /// In the first migration's transaction: record the pre-flight results and the baseline
    /// snapshot, so that a later run of the plan judges against the state before the batch.
    async fn record_baseline_now(&mut self, shown: &str, result: &mut MigrationResult) -> bool {
        let key = self.plan.plan.migrations.first().map(|m| m.id.clone()).unwrap_or_default();
        let preflight = serde_json::to_string(&self.result.preflight).unwrap_or_default();
        let snapshot = serde_json::to_string(&self.baseline).unwrap_or_default();
        let recorded =
            ledger::record_baseline(self.client(), &key, &self.result.plan.name, &self.result.run_id, &preflight, &snapshot)
                .await;
        if let Err(e) = recorded {
            result.status = MigrationStatus::Failed;
            result.error = Some(format!("{shown}: recording the baseline failed: {e}"));
            return false;
        }
        true
    }

    /// The verification checks to run right after migration `i` (`after`, as Sqitch runs a
    /// change's verify script): a later migration may change what they check.
    async fn checks_after(&mut self, i: usize) -> Result<(), StepEnd> {
        let id = self.plan.plan.migrations[i].id.clone();
        let checks: Vec<Check> = self.plan.plan.verification.iter().filter(|c| c.after.as_ref() == Some(&id)).cloned().collect();
        let earlier = self.result.migrations[i].status == MigrationStatus::AlreadyApplied;
        for c in &checks {
            let r = if earlier {
                // The state right after it is gone (later migrations may be applied too).
                CheckResult {
                    id: c.id.clone(),
                    group: c.group.clone(),
                    title: c.title.clone(),
                    expected: check::expected_text(&c.expect),
                    actual: "n/a: applied by an earlier run".into(),
                    status: Status::NotApplicable,
                    duration_ms: 0.0,
                    sql: String::new(),
                    detail: format!(
                        "migration {id} was applied by an earlier run: the state right after it is not there to check"
                    ),
                    metric: None,
                }
            } else {
                self.check(c, TxMode::ReadOnly, &self.current).await?
            };
            self.record(Section::Verification, r);
        }
        Ok(())
    }

    fn finish_migration(&mut self, i: usize, result: MigrationResult) {
        let _ = self.events.send(Event::MigrationFinished(Box::new(result.clone())));
        self.result.migrations[i] = result;
    }

    pub(super) async fn verification(&mut self) -> Result<(), StepEnd> {
        self.current = self.snapshot().await?;
        let schema = self.schema().to_owned();
        self.result.schema_counts.after = self.current.counts(&schema);
        if self.plan.plan.execution.transaction == TransactionMode::Batch {
            // One snapshot diff for the whole batch: attribute objects per migration by name.
            let diff = self.baseline.diff(&self.current);
            for (i, m) in self.plan.plan.migrations.iter().enumerate() {
                if self.result.migrations[i].status == MigrationStatus::Applied {
                    compare_created_tables_only(m, &diff, &mut self.result.migrations[i]);
                }
            }
        }
        // Migrations applied by an earlier run: what they announced is there now.
        for (i, m) in self.plan.plan.migrations.iter().enumerate() {
            if self.result.migrations[i].status == MigrationStatus::AlreadyApplied {
                compare_present(m, &self.current, &schema, &mut self.result.migrations[i]);
            }
        }
        let plan = self.plan.plan.clone();
        let sections = [
            (Section::Verification, &plan.verification, TxMode::ReadOnly),
            (Section::SchemaSummary, &plan.schema_summary, TxMode::ReadOnly),
            (Section::SampleData, &plan.sample_data, TxMode::RolledBack),
        ];
        // Checks run right after their migration ran then; in one batch transaction, here.
        let batch = plan.execution.transaction == TransactionMode::Batch;
        let now = |c: &&Check| batch || c.after.is_none();
        let total = sections.iter().map(|s| s.1.iter().filter(now).count()).sum::<usize>() + plan.rls.len();
        let mut done = 0;
        for (section, checks, mode) in sections {
            for c in checks.iter().filter(now) {
                let r = self.check(c, mode, &self.current).await?;
                self.record(section, r);
                done += 1;
                let _ = self.events.send(Event::Progress { step: Step::Verification, done, total, what: c.title.clone() });
            }
        }
        for t in &plan.rls {
            for r in self.on_session(&format!("RLS test {}", t.id), check::rls::run(self.client(), t, self.timeout())).await? {
                self.record(Section::Rls, r);
            }
            done += 1;
            let _ = self.events.send(Event::Progress { step: Step::Verification, done, total, what: t.title.clone() });
        }
        Ok(())
    }

    pub(super) async fn integrity(&mut self) -> Result<(), StepEnd> {
        let integrity = self.plan.plan.integrity.clone();
        if integrity.constraints_validated {
            let scope = self.scope().await?;
            let validated = check::integrity::constraints_validated_in(self.client(), &scope);
            let r = self.on_session("check INT-VALIDATED", validated).await?;
            self.record(Section::Integrity, r);
        }
        if integrity.no_orphans {
            let diff = self.baseline.diff(&self.current);
            let changed: Vec<String> = diff
                .appeared_of(Kind::ForeignKey)
                .map(str::to_owned)
                .chain(diff.changed.iter().filter(|c| c.object.kind == Kind::ForeignKey).map(|c| c.object.name.clone()))
                .collect();
            let scope = match integrity.orphan_scan {
                OrphanScan::All => OrphanScope::All,
                OrphanScan::Unguaranteed => OrphanScope::Unguaranteed { changed: &changed },
            };
            let within = self.scope().await?;
            let orphans = check::integrity::no_orphans_in(self.client(), self.timeout(), scope, &within);
            let r = self.on_session("check INT-ORPHANS", orphans).await?;
            self.record(Section::Integrity, r);
        }
        if integrity.no_data_loss {
            let r = check::data_loss::check(&self.plan.plan.migrations, &self.result.migrations, self.schema());
            self.record(Section::Integrity, r);
        }
        if integrity.privileges_of_new_objects {
            let privileges = check::privileges::check(self.client(), self.schema(), &self.baseline, &self.current);
            let r = self.on_session("check INT-PRIVILEGES", privileges).await?;
            self.record(Section::Integrity, r);
        }
        for c in &integrity.checks {
            let r = self.check(c, TxMode::ReadOnly, &self.current).await?;
            self.record(Section::Integrity, r);
        }
        Ok(())
    }

    pub(super) async fn performance(&mut self) -> Result<(), StepEnd> {
        for u in self.plan.plan.performance.index_usage.clone() {
            let r = self
                .on_session(&format!("check {}", u.id), check::performance::index_usage(self.client(), &u, self.timeout()))
                .await?;
            self.record(Section::Performance, r);
        }
        Ok(())
    }

    /// What applying a migration needs from this run.
    pub(super) fn apply_context(&self) -> apply::Context<'_> {
        apply::Context {
            client: self.client(),
            session: &self.session,
            execution: &self.plan.plan.execution,
            run_id: &self.result.run_id,
            operator: &self.result.operator,
            plan_name: &self.result.plan.name,
            cancelled: &self.controls.cancelled,
            events: &self.events,
            watcher: self.reader.as_ref().map(|r| &r.session.client),
            pid: self.pid,
            probe: self.plan.plan.execution.probe_blocking || self.result.sandbox.is_some(),
        }
    }

    pub(super) fn stop_if_cancelled(&self) -> Result<(), StepEnd> {
        if self.controls.is_cancelled() { Err(StepEnd::Cancelled) } else { Ok(()) }
    }
}

/// Whether a check asks for the database's size (asked ahead, beside the pre-flight).
fn asks_size(c: &Check) -> bool {
    c.probe == Probe::Metric(Metric::DatabaseSizeMb)
}
