//! The schemas a batch touches. The plan's counts are of one schema (`baseline.schema`):
//! `--schema` names it, else it is `public` when the batch touches it (or nothing), else the
//! schema where the batch touches the most objects. Every other schema the batch touches gets
//! table counts of its own, as SQL checks: before (pre-flight), after (schema summary) and
//! after the rollback.

use std::collections::BTreeMap;

use super::fill::check;
use crate::check::Observed;
use crate::db::quote_literal;
use crate::db::snapshot::Kind;
use crate::draft::DraftError;
use crate::draft::rehearse::Rig;
use crate::plan::{Expect, Plan, Probe};
use crate::run_result::RunResult;

/// Per schema the batch touched, how many objects it created, altered or dropped there.
pub(super) fn touched(run: &RunResult) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let names = run.migrations.iter().flat_map(|r| {
        r.created
            .values()
            .flatten()
            .chain(r.altered.iter().map(|c| &c.object.name))
            .chain(r.dropped.iter().map(|o| &o.name))
            .chain(r.data.tables.iter().map(|t| &t.table))
    });
    for name in names {
        if let Some((schema, _)) = name.split_once('.') {
            *out.entry(schema.to_owned()).or_insert(0) += 1;
        }
    }
    out
}

/// The plan's schema: the one asked for, else `current` (the default) when the batch touches
/// it or nothing, else the one it touches most (the first by name among equals).
pub(super) fn choose(asked: Option<&str>, run: &RunResult, current: &str) -> String {
    if let Some(s) = asked {
        return s.to_owned();
    }
    let touched = touched(run);
    if touched.is_empty() || touched.contains_key(current) {
        return current.to_owned();
    }
    let most = touched.values().copied().max().unwrap_or(0);
    touched.into_iter().find(|(_, n)| *n == most).map_or_else(|| current.to_owned(), |(s, _)| s)
}

/// Table counts of each schema the batch touched besides the plan's.
pub(super) async fn counts(
    rig: &Rig,
    plan: &mut Plan,
    run: &RunResult,
    has_baseline: bool,
    review: &mut Vec<String>,
) -> Result<(), DraftError> {
    let ours = plan.baseline.schema.clone();
    for schema in touched(run).into_keys().filter(|s| *s != ours) {
        let sql = format!(
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {} AND c.relkind IN ('r', 'p')",
            quote_literal(&schema)
        );
        let Observed::Value { value: Some(after), .. } = rig.observe(&sql).await? else { continue };
        let Ok(after) = after.parse::<i64>() else { continue };
        let prefix = format!("{schema}.");
        let of = |names: &mut dyn Iterator<Item = &String>| names.filter(|n| n.starts_with(&prefix)).count() as i64;
        let created = of(&mut run.migrations.iter().flat_map(|r| r.created.get(Kind::Table.label())).flatten());
        let dropped = of(&mut run.migrations.iter().flat_map(|r| &r.dropped).filter(|o| o.kind == Kind::Table).map(|o| &o.name));
        let before = after - created + dropped;
        let id = schema.to_uppercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-");
        let probe = || Probe::Sql(sql.clone());
        if has_baseline {
            let title = format!("Baseline: {before} tables in {schema}");
            plan.preflight.checks.push(check(format!("PF-TABLES-{id}"), "baseline", title, probe(), Expect::Equals(before)));
        }
        let title = format!("Tables in {schema}: {after}");
        plan.schema_summary.push(check(format!("S-TABLES-{id}"), "summary", title, probe(), Expect::Equals(after)));
        if let Some(r) = &mut plan.rollback {
            let title = format!("Back to {before} tables in {schema}");
            r.checks.push(check(format!("R-TABLES-{id}"), "summary", title, probe(), Expect::Equals(before)));
        }
        review.push(format!(
            "schema {schema}: the batch touches it too; its table counts are checked by SQL (the plan's counts are of {ours}; `--schema` chooses)"
        ));
    }
    Ok(())
}
