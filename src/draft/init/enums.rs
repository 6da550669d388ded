//! Enum values the batch added (`ALTER TYPE … ADD VALUE`, a new enum type): the snapshot does
//! not list types, so the measuring rehearsal reads every enum's values in its pre-flight
//! (a probe of the draft's own, never written into the plan) and the rehearsed database gives
//! them after the batch. Each enum type with a new value gets a check of its values in order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::fill::check;
use crate::check::Observed;
use crate::db::quote_literal;
use crate::draft::DraftError;
use crate::draft::rehearse::Rig;
use crate::plan::{Check, Expect, Plan, Probe, Severity};
use crate::run_result::RunResult;

const PROBE_ID: &str = "PF-DRAFT-ENUM-VALUES";

/// Every enum value of the user's schemas, one `schema.type<TAB>label` a line.
const VALUES: &str = "SELECT coalesce(string_agg(n.nspname || '.' || t.typname || E'\\t' || e.enumlabel, E'\\n' ORDER BY 1), '')
     FROM pg_catalog.pg_enum e JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')";

/// The measuring rehearsal's plan: the draft so far, with the pre-flight probe of enum values
/// (a warning at worst: it never stops the rehearsal).
pub(super) fn measuring(plan: &Plan) -> Plan {
    let mut plan = plan.clone();
    let mut probe = check(
        PROBE_ID.into(),
        "draft",
        "enum values before the batch".into(),
        Probe::Sql(VALUES.into()),
        Expect::Text(String::new()),
    );
    probe.on_miss = Severity::Warn;
    plan.preflight.checks.push(probe);
    plan
}

fn values(text: &str) -> BTreeSet<(String, String)> {
    text.lines().filter_map(|l| l.split_once('\t')).map(|(t, v)| (t.to_owned(), v.to_owned())).collect()
}

/// A check of each enum type the batch added a value to, in the migration whose file names
/// the value (else the last).
pub(super) async fn checks(rig: &Rig, plan: &mut Plan, run: &RunResult, dir: &Path) -> Result<(), DraftError> {
    let Some(before) = run.preflight.iter().find(|c| c.id == PROBE_ID) else { return Ok(()) };
    let before = values(if before.actual == "NULL" { "" } else { &before.actual });
    let Observed::Value { value: Some(after), .. } = rig.observe(VALUES).await? else { return Ok(()) };
    let mut added: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (t, v) in values(&after).difference(&before) {
        added.entry(t.clone()).or_default().push(v.clone());
    }
    let texts: Vec<String> =
        plan.migrations.iter().map(|m| std::fs::read_to_string(crate::plan::resolve(dir, &m.file)).unwrap_or_default()).collect();
    let mut drafted: Vec<Check> = Vec::new();
    for (ty, labels) in added {
        let Some((schema, name)) = ty.split_once('.') else { continue };
        let sql = format!(
            "SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = {} AND t.typname = {}",
            quote_literal(schema),
            quote_literal(name)
        );
        let Observed::Value { value: Some(all), .. } = rig.observe(&sql).await? else { continue };
        let quoted: Vec<String> = labels.iter().map(|l| quote_literal(l)).collect();
        let at = texts
            .iter()
            .rposition(|t| quoted.iter().any(|q| t.contains(q.as_str())))
            .unwrap_or(plan.migrations.len().saturating_sub(1));
        let Some(m) = plan.migrations.get(at) else { continue };
        let id = format!("V-{}-E{:02}", m.id, drafted.iter().filter(|c| c.group == m.id).count() + 1);
        let title =
            format!("enum {} has the values {all} (new: {})", super::fill::shown(&ty, &plan.baseline.schema), labels.join(", "));
        drafted.push(check(id, &m.id, title, Probe::Sql(sql), Expect::Text(all)));
    }
    plan.verification.extend(drafted);
    Ok(())
}
