//! The baseline of a resumed or repeated run. When the ledger already holds some of the plan's
//! migrations (an earlier run completed, failed, was cancelled or killed), the state before
//! the batch can no longer be measured: it is read from `pgstage.baseline`, where the run that
//! applied the first of them recorded its pre-flight results and catalog snapshot. Pre-flight
//! checks about the baseline are judged from that record; those about the server now (other
//! sessions, replication lag) are measured again. Without a record they are n/a, with the
//! reason, and nothing that needs the baseline is called met.

use super::{Engine, StepEnd, db_end};
use crate::db::ledger;
use crate::db::snapshot::Snapshot;
use crate::plan::{Check, Metric, Probe, Section};
use crate::run_result::{BaselineSource, CheckResult, Status};

/// Whether a pre-flight check measures the server now rather than the baseline.
fn measures_now(c: &Check) -> bool {
    matches!(c.probe, Probe::Metric(Metric::ActiveConnections | Metric::ReplicationLagSeconds))
}

impl Engine {
    /// Pre-flight of a run that finds `applied` (some of the plan's migrations) in the ledger;
    /// returns the pre-flight checks judged from the record.
    pub(super) async fn resume(&mut self, applied: &[String]) -> Result<Vec<String>, StepEnd> {
        let key = self.plan.plan.migrations.first().map(|m| m.id.clone()).unwrap_or_default();
        let recorded = ledger::recorded_baseline(self.client(), &key).await.map_err(db_end)?;
        let checks = self.plan.plan.preflight.checks.clone();
        let from_record: Vec<String> = checks.iter().filter(|c| !measures_now(c)).map(|c| c.id.clone()).collect();
        let parsed = recorded.as_ref().and_then(|r| {
            let snapshot: Snapshot = serde_json::from_str(&r.snapshot).ok()?;
            let preflight: Vec<CheckResult> = serde_json::from_str(&r.preflight).ok()?;
            Some((r, snapshot, preflight))
        });
        let _ = self.events.send(super::Event::Log(format!(
            "resuming: the ledger already holds {} of this plan's migrations; {}",
            applied.join(", "),
            match &parsed {
                Some((r, ..)) => format!("baseline recorded by run {} at {}", r.run_id, r.recorded_at),
                None => "no baseline was recorded before them".into(),
            }
        )));
        match parsed {
            Some((r, snapshot, preflight)) => {
                self.baseline = snapshot;
                self.baseline_known = true;
                self.result.baseline = BaselineSource::Recorded { run_id: r.run_id.clone(), recorded_at: r.recorded_at.clone() };
                for c in checks.iter().filter(|c| from_record.contains(&c.id)) {
                    let result = match preflight.iter().find(|p| p.id == c.id) {
                        Some(p) => CheckResult {
                            detail: join(
                                &p.detail,
                                &format!("as recorded by run {} at {}, before migration {key}", r.run_id, r.recorded_at),
                            ),
                            ..p.clone()
                        },
                        None => not_applicable(c, format!("not part of the plan when run {} recorded the baseline", r.run_id)),
                    };
                    self.record(Section::Preflight, result);
                }
            }
            None => {
                self.baseline = self.current.clone();
                self.baseline_known = false;
                let why = format!(
                    "migrations {} were applied before and no baseline was recorded then: the state before them is unknown",
                    applied.join(", ")
                );
                self.result.baseline = BaselineSource::Unknown { why: why.clone() };
                for c in checks.iter().filter(|c| from_record.contains(&c.id)) {
                    self.record(Section::Preflight, not_applicable(c, why.clone()));
                }
            }
        }
        self.preflight_checks(&from_record).await?;
        Ok(from_record)
    }
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() { b.to_owned() } else { format!("{a} ({b})") }
}

fn not_applicable(c: &Check, why: String) -> CheckResult {
    CheckResult {
        id: c.id.clone(),
        group: c.group.clone(),
        title: c.title.clone(),
        expected: crate::check::expected_text(&c.expect),
        actual: "n/a: baseline not recorded".into(),
        status: Status::NotApplicable,
        duration_ms: 0.0,
        sql: String::new(),
        detail: why,
        metric: match c.probe {
            Probe::Metric(m) => Some(m),
            Probe::Sql(_) => None,
        },
    }
}
