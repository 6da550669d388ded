//! The rollback rehearsal: the plan's rollback script in one transaction (pipelined, each
//! statement its own query so that an error names file:line and a lock wait its holder), the
//! ledger told to forget the batch in the same transaction — or, for a rollback marked
//! `non_transactional` (`DROP INDEX CONCURRENTLY` in a down file), in transactional segments
//! with each such statement on its own, as a non-transactional migration is applied; then a snapshot compared with the
//! baseline, the rollback checks, the verification checks on the rolled-back state (to show
//! them able to fail), and the migrations applied again so that staging is left as the run
//! found it after the migrations.

use std::time::Instant;

use super::apply;
use super::{Engine, Step, StepEnd, db_failed};
use crate::check::TxMode;
use crate::db::migration_file::SqlFile;
use crate::db::{describe, ledger, split};
use crate::plan::{LoadedPlan, Migration, Section};
use crate::run_result::{MigrationResult, MigrationStatus, RollbackResult};

impl Engine {
    pub(super) async fn rollback(&mut self) -> Result<(), StepEnd> {
        let Some(rollback) = self.plan.plan.rollback.clone() else { return Ok(()) };
        let file = self.plan.resolve(&rollback.script);
        let started = Instant::now();
        let mut result = RollbackResult {
            script: file.display().to_string(),
            duration_ms: 0.0,
            diff_from_baseline: Default::default(),
            checks: vec![],
            reapplied: false,
            error: None,
            lock_waits: vec![],
            baseline_unknown: false,
        };
        let applied: Vec<String> = self
            .result
            .migrations
            .iter()
            .filter(|m| matches!(m.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied))
            .map(|m| m.id.clone())
            .collect();
        let ids: Vec<&str> = applied.iter().map(String::as_str).collect();
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut script = SqlFile::read_relative(&file, &cwd).map_err(|e| StepEnd::Failed(e.to_string()))?;
        if !rollback.non_transactional {
            apply::strip_own_transaction(&mut script);
        }
        let mut scratch = MigrationResult::not_run(&rollback_as_migration(&file), Some(&script));
        let ok = if rollback.non_transactional {
            self.run_in_segments(&script, &mut scratch, &ids).await?
        } else {
            // Each statement its own query (pipelined), in one transaction, so that an error
            // names file:line and a lock wait names who blocks it.
            self.client().batch_execute(&apply::begin_sql(&self.plan.plan.execution)).await.map_err(db_failed)?;
            let ctx = self.apply_context();
            apply::run_statements(&ctx, Step::Rollback, &script, &mut scratch, None, true).await
                && self.forget(&script, &mut scratch, &ids).await
        };
        if !ok {
            let _ = self.client().batch_execute("ROLLBACK").await;
            if rollback.non_transactional {
                let _ = self.client().batch_execute(self.settings.sql()).await;
            }
            result.error = scratch.error.take();
        }
        result.lock_waits = std::mem::take(&mut scratch.lock_waits);
        result.baseline_unknown = !self.baseline_known;
        result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let after = self.snapshot().await?;
        result.diff_from_baseline = self.baseline.diff(&after);
        self.result.rollback = Some(result);
        for c in &rollback.checks {
            let r = self.check(c, TxMode::ReadOnly, &after).await?;
            self.record(Section::Rollback, r);
        }
        if self.result.rollback.as_ref().is_some_and(|r| r.error.is_none()) {
            self.baseline_runs("after the rollback rehearsal", &after).await?;
        }
        self.current = after;
        if self.result.rollback.as_ref().is_some_and(|r| r.error.is_some()) {
            if scratch.status == MigrationStatus::Cancelled {
                return Err(StepEnd::Cancelled);
            }
            return Err(StepEnd::Failed(self.result.rollback.as_ref().and_then(|r| r.error.clone()).unwrap_or_default()));
        }
        // Re-apply, so the rehearsal leaves staging migrated as the run found it after step 2.
        let migrations = self.result.migrations.clone();
        for (i, m) in self.plan.plan.migrations.clone().iter().enumerate() {
            if !matches!(migrations[i].status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied) {
                continue;
            }
            // As the first apply did: in a transaction, or statement by statement for a
            // non-transactional migration (CREATE INDEX CONCURRENTLY cannot run in one).
            let setup = if m.non_transactional {
                apply::session_timeouts_sql(&self.plan.plan.execution)
            } else {
                apply::begin_sql(&self.plan.plan.execution)
            };
            self.client().batch_execute(&setup).await.map_err(db_failed)?;
            let p = self.prepared[i].clone().expect("applied migrations were prepared");
            let ctx = self.apply_context();
            let mut again = MigrationResult::not_run(m, Some(&p));
            again.data = migrations[i].data.clone();
            let ok = apply::run_statements(&ctx, Step::Rollback, &p, &mut again, None, !m.non_transactional).await
                && apply::record(&ctx, m, &p, &mut again).await;
            if m.non_transactional {
                let _ = self.client().batch_execute(self.settings.sql()).await;
            }
            if !ok {
                if !m.non_transactional {
                    let _ = self.client().batch_execute("ROLLBACK").await;
                }
                if let Some(r) = &mut self.result.rollback {
                    r.lock_waits.append(&mut again.lock_waits);
                }
                let why = format!("re-applying after the rollback rehearsal: {}", again.error.unwrap_or_default());
                if let Some(r) = &mut self.result.rollback {
                    r.error = Some(why.clone());
                }
                if again.status == MigrationStatus::Cancelled {
                    return Err(StepEnd::Cancelled);
                }
                return Err(StepEnd::Failed(why));
            }
            if !m.non_transactional {
                self.client().batch_execute(&self.settings.commit_sql()).await.map_err(db_failed)?;
            }
        }
        if let Some(r) = &mut self.result.rollback {
            r.reapplied = true;
        }
        self.current = self.snapshot().await?;
        Ok(())
    }
    /// The ledger told to forget the batch, and the transaction committed.
    async fn forget(&self, script: &SqlFile, scratch: &mut MigrationResult, ids: &[&str]) -> bool {
        match self.client().batch_execute(&format!("{}; {}", ledger::forget_sql(ids), self.settings.commit_sql())).await {
            Ok(()) => true,
            Err(e) => {
                scratch.error =
                    Some(format!("{}: forgetting the migrations in the ledger failed: {}", script.shown, describe(&e)));
                false
            }
        }
    }

    /// A non-transactional rollback, as a non-transactional migration is applied: each
    /// [`segment`] that may run in a transaction in one of its own, each statement that cannot
    /// on its own with the plan's timeouts on the session; then the ledger forgets the batch in
    /// a last transaction. What a segment committed stays when a later one fails.
    async fn run_in_segments(&mut self, script: &SqlFile, scratch: &mut MigrationResult, ids: &[&str]) -> Result<bool, StepEnd> {
        let execution = &self.plan.plan.execution;
        self.client().batch_execute(&apply::session_timeouts_sql(execution)).await.map_err(db_failed)?;
        for (in_transaction, part) in segments(script) {
            if in_transaction {
                self.client().batch_execute(&apply::begin_sql(execution)).await.map_err(db_failed)?;
            }
            let ctx = self.apply_context();
            if !apply::run_statements(&ctx, Step::Rollback, &part, scratch, None, in_transaction).await {
                return Ok(false);
            }
            if in_transaction {
                self.client().batch_execute("COMMIT").await.map_err(db_failed)?;
            }
        }
        self.client().batch_execute(&apply::begin_sql(execution)).await.map_err(db_failed)?;
        Ok(self.forget(script, scratch, ids).await)
    }
}

/// A non-transactional rollback script in the order it runs: runs of statements that may
/// share a transaction (`true`), each statement that cannot run in one alone (`false`). The
/// script's own plain `BEGIN` and `COMMIT` (down files written each in a transaction of its
/// own) end a run and are left out: the segments' transactions take their place.
pub fn segments(script: &SqlFile) -> Vec<(bool, SqlFile)> {
    let mut out: Vec<(bool, SqlFile)> = Vec::new();
    let part = |statements| SqlFile { statements, ..script.clone() };
    let mut run = Vec::new();
    for s in &script.statements {
        let control = split::opens_plain_transaction(&s.sql) || split::commits_transaction(&s.sql);
        if control || s.non_transactional.is_some() {
            if !run.is_empty() {
                out.push((true, part(std::mem::take(&mut run))));
            }
            if !control {
                out.push((false, part(vec![s.clone()])));
            }
        } else {
            run.push(s.clone());
        }
    }
    if !run.is_empty() {
        out.push((true, part(run)));
    }
    out
}

/// What keeps the plan's rollback from running as written, in words with file:line:col: a
/// statement that cannot run in a transaction in a rollback not marked `non_transactional`.
pub fn problems(plan: &LoadedPlan) -> Vec<String> {
    let Some(rollback) = plan.plan.rollback.as_ref().filter(|r| !r.non_transactional) else { return vec![] };
    let cwd = std::env::current_dir().unwrap_or_default();
    let Ok(script) = SqlFile::read_relative(&plan.resolve(&rollback.script), &cwd) else { return vec![] };
    script
        .statements
        .iter()
        .filter_map(|s| {
            let kind = s.non_transactional?.describe();
            Some(format!(
                "{}:{}:{}: {kind} cannot run inside a transaction; mark the rollback `non_transactional: true` in the plan to run it in transactional segments with this statement on its own",
                s.source(&script.shown, "").0,
                s.line,
                s.column
            ))
        })
        .collect()
}

/// The rollback script, as a migration for the apply machinery (progress, errors, waits).
fn rollback_as_migration(file: &std::path::Path) -> Migration {
    Migration {
        id: "rollback".into(),
        title: "Rollback".into(),
        file: file.to_owned(),
        expected_ms: None,
        creates: Default::default(),
        non_transactional: false,
        data_loss: vec![],
        accept: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_put_what_cannot_run_in_a_transaction_on_its_own() {
        let script = "BEGIN;\nDROP TABLE notes;\nCOMMIT;\n\nDROP INDEX CONCURRENTLY i;\nDROP TABLE a;\nDROP TABLE b;\n";
        let file = SqlFile {
            file: "r.sql".into(),
            shown: "r.sql".into(),
            script: script.into(),
            statements: split::split(script).unwrap(),
            ..Default::default()
        };
        let parts: Vec<(bool, Vec<usize>)> =
            segments(&file).iter().map(|(tx, f)| (*tx, f.statements.iter().map(|s| s.line).collect())).collect();
        assert_eq!(parts, [(true, vec![2]), (false, vec![5]), (true, vec![6, 7])], "BEGIN and COMMIT end a segment, left out");
    }
}
