//! The pre-flight's drift step: on a database, the catalog before the plan's migrations (this
//! run's, or the one recorded by the run that applied the first of them) against the baseline
//! the plan was rehearsed on ([`crate::check::drift`]); on a sandbox, the catalog this
//! rehearsal starts from, kept for the runs on staging that follow.

use super::{Engine, StepEnd, db_end};
use crate::check::drift;
use crate::db::snapshot::grants;
use crate::plan::Section;
use crate::rehearsal::RehearsedBaseline;
use crate::run_result::BaselineSource;

impl Engine {
    /// Run after the baseline is known (measured or recorded).
    pub(super) async fn drift(&mut self) -> Result<(), StepEnd> {
        let policy = self.plan.plan.preflight.drift;
        let plan_schema = self.schema().to_owned();
        if self.result.sandbox.is_some() {
            if matches!(self.result.baseline, BaselineSource::Measured) {
                let schemas = drift::schemas(&plan_schema, &self.baseline);
                let grants = grants::read(self.client(), &schemas).await.map_err(db_end)?;
                self.rehearsed = Some(RehearsedBaseline {
                    run_id: self.result.run_id.clone(),
                    server_version: self.result.server_version.clone(),
                    snapshot: self.baseline.clone(),
                    grants,
                });
            }
            return Ok(());
        }
        let Some(rehearsed) = self.rehearsed.take() else {
            let why = "no sandbox rehearsal of this plan (as it is now) on record on this machine: nothing to compare \
                       staging's schema with (run the plan with --sandbox first)";
            self.record(Section::Preflight, drift::unknown(why.into(), policy));
            return Ok(());
        };
        let schemas = drift::schemas(&plan_schema, &rehearsed.snapshot);
        let (against, target_grants) = match &self.result.baseline {
            BaselineSource::Measured => {
                let g = grants::read(self.client(), &schemas).await.map_err(db_end)?;
                (
                    format!(
                        "compared with the baseline of rehearsal {} (PostgreSQL {})",
                        rehearsed.run_id, rehearsed.server_version
                    ),
                    Some(g),
                )
            }
            BaselineSource::Recorded { run_id, recorded_at } => (
                format!(
                    "the baseline recorded by run {run_id} at {recorded_at} (before the first migration) compared with \
                     rehearsal {}; grants are not part of that record and are not compared",
                    rehearsed.run_id
                ),
                None,
            ),
            BaselineSource::Unknown { why } => {
                self.record(Section::Preflight, drift::unknown(format!("the baseline is unknown: {why}"), policy));
                return Ok(());
            }
        };
        let differences =
            drift::compare(&rehearsed.snapshot, Some(&rehearsed.grants), &self.baseline, target_grants.as_ref(), &schemas);
        self.record(Section::Preflight, drift::result(&differences, policy, &against));
        if !differences.is_empty() {
            let _ = self.events.send(super::Event::Drift(differences.clone()));
        }
        self.result.drift = differences;
        Ok(())
    }

    /// On a sandbox run that measured its baseline: the catalog it started from, to record
    /// beside the rehearsal ([`crate::rehearsal::Record::remember`]).
    pub fn rehearsed_baseline(&self) -> Option<&RehearsedBaseline> {
        self.rehearsed.as_ref().filter(|_| self.result.sandbox.is_some())
    }
}
