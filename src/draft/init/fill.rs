//! What the rehearsal observed, made into the draft: per migration what it creates, its
//! verification checks and its time range; the baseline's counts and the schema summary.

use std::collections::BTreeMap;

use crate::db::quote_literal;
use crate::db::snapshot::Kind;
use crate::plan::{Check, Creates, Expect, Metric, MsRange, Plan, Probe, Severity};
use crate::run_result::{MigrationResult, RunResult};

/// `public.name(args)` → `name`; `public.table.name` → (`table`, `name`).
fn bare(name: &str) -> &str {
    let name = name.split('(').next().unwrap_or(name);
    name.rsplit('.').next().unwrap_or(name)
}

/// `schema.name` as a plan writes it: `name` in the plan's schema, qualified elsewhere.
pub(super) fn shown(name: &str, schema: &str) -> String {
    match name.split_once('.') {
        Some((s, rest)) if s == schema => rest.to_owned(),
        _ => name.to_owned(),
    }
}

fn in_schema<'a>(names: &'a [String], schema: &str) -> impl Iterator<Item = &'a String> {
    let prefix = format!("{schema}.");
    names.iter().filter(move |n| n.starts_with(&prefix))
}

fn created(m: &MigrationResult, kind: Kind) -> &[String] {
    m.created.get(kind.label()).map_or(&[], Vec::as_slice)
}

/// A range for a time measured on the sandbox: from 0 (a faster run on staging is no
/// deviation; a plan that cares writes its own floor) to three times it, plus 20 ms.
pub fn range_around(ms: f64) -> MsRange {
    MsRange(0, (ms * 3.0).ceil() as u64 + 20)
}

pub(super) fn check(id: String, group: &str, title: String, probe: Probe, expect: Expect) -> Check {
    Check { id, title, group: group.to_owned(), probe, expect, on_miss: Severity::Fail, invariant: false, after: None }
}

/// Fill the draft from the rehearsal; returns what to review, in words.
pub(super) fn fill(plan: &mut Plan, run: &RunResult, has_baseline: bool) -> Vec<String> {
    let schema = plan.baseline.schema.clone();
    let lit = |s: &str| quote_literal(s);
    let mut review = Vec::new();
    // Every table created, `schema.name` as the catalog names it.
    let mut new_tables: Vec<String> = Vec::new();
    let mut functions_total = 0;
    for (m, r) in plan.migrations.iter_mut().zip(&run.migrations) {
        let tables: Vec<&String> = created(r, Kind::Table).iter().collect();
        let mut functions: Vec<(String, String)> = created(r, Kind::Function)
            .iter()
            .filter_map(|f| f.split('(').next()?.split_once('.').map(|(s, n)| (s.to_owned(), n.to_owned())))
            .collect();
        functions.dedup();
        functions_total += functions.iter().filter(|(s, _)| *s == schema).count();
        let constraints: Vec<&str> = created(r, Kind::Constraint).iter().map(|c| bare(c)).collect();
        let indexes: Vec<&String> = created(r, Kind::Index).iter().filter(|i| !constraints.contains(&bare(i))).collect();
        let count = |n: usize| (n > 0).then_some(n as u32);
        m.creates = Creates {
            tables: tables.iter().map(|t| shown(t, &schema)).collect(),
            functions: functions.iter().map(|(s, f)| shown(&format!("{s}.{f}"), &schema)).collect(),
            indexes: count(indexes.len()),
            policies: count(created(r, Kind::Policy).len()),
            triggers: count(created(r, Kind::Trigger).len()),
            foreign_keys: count(created(r, Kind::ForeignKey).len()),
        };
        m.expected_ms = Some(range_around(r.duration_ms));
        let mut n = 0;
        let mut id = || {
            n += 1;
            format!("V-{}-{n:02}", m.id)
        };
        for t in &tables {
            let sql = format!("SELECT to_regclass({}) IS NOT NULL", lit(t));
            plan.verification.push(check(
                id(),
                &m.id,
                format!("table {} exists", shown(t, &schema)),
                Probe::Sql(sql),
                Expect::True,
            ));
        }
        for (s, f) in &functions {
            let sql = format!(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = {} AND p.proname = {})",
                lit(s),
                lit(f)
            );
            let title = format!("function {} exists", shown(&format!("{s}.{f}"), &schema));
            plan.verification.push(check(id(), &m.id, title, Probe::Sql(sql), Expect::True));
        }
        for i in indexes {
            let sql = format!("SELECT to_regclass({}) IS NOT NULL", lit(i));
            plan.verification.push(check(
                id(),
                &m.id,
                format!("index {} exists", shown(i, &schema)),
                Probe::Sql(sql),
                Expect::True,
            ));
        }
        for (kind, catalog, column, what) in
            [(Kind::Policy, "pg_policy", "polname", "policy"), (Kind::Trigger, "pg_trigger", "tgname", "trigger")]
        {
            let rel = if kind == Kind::Policy { "polrelid" } else { "tgrelid" };
            for name in created(r, kind) {
                let mut parts = name.splitn(3, '.');
                let (Some(s), Some(table), Some(member)) = (parts.next(), parts.next(), parts.next()) else { continue };
                let sql = format!(
                    "SELECT EXISTS (SELECT 1 FROM pg_catalog.{catalog} x JOIN pg_catalog.pg_class c ON c.oid = x.{rel} JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {} AND c.relname = {} AND x.{column} = {})",
                    lit(s),
                    lit(table),
                    lit(member)
                );
                plan.verification.push(check(
                    id(),
                    &m.id,
                    format!("{what} {member} on {} exists", shown(&format!("{s}.{table}"), &schema)),
                    Probe::Sql(sql),
                    Expect::True,
                ));
            }
        }
        review.push(format!(
            "migration {}: {:.1} ms on the sandbox, so expected_ms {}; staging, with data, is slower: widen the range",
            m.id,
            r.duration_ms,
            MsRange::label(m.expected_ms)
        ));
        new_tables.extend(tables.into_iter().cloned());
    }
    let before = &run.schema_counts.before;
    let after = &run.schema_counts.after;
    let n = |counts: &BTreeMap<Kind, usize>, k: Kind| counts.get(&k).copied().unwrap_or(0) as i64;
    if has_baseline {
        for (kind, metric, what) in [
            (Kind::Table, Metric::Tables, "tables"),
            (Kind::ForeignKey, Metric::ForeignKeys, "foreign keys"),
            (Kind::Policy, Metric::Policies, "RLS policies"),
        ] {
            let id = format!("PF-{}", what.replace(' ', "-").to_uppercase());
            let title = format!("Baseline: {} {what}", n(before, kind));
            plan.preflight.checks.push(check(id, "baseline", title, Probe::Metric(metric), Expect::Equals(n(before, kind))));
        }
        review.push("pre-flight: the baseline counts are the sandbox's; check them against staging".into());
    }
    if !new_tables.is_empty() {
        let list = new_tables
            .iter()
            .filter_map(|t| t.split_once('.'))
            .map(|(s, t)| format!("({}, {})", lit(s), lit(t)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND (n.nspname::text, c.relname::text) IN ({list})"
        );
        let title = format!("None of the {} new tables exists yet", new_tables.len());
        plan.preflight.checks.push(check("PF-NEW-ABSENT".into(), "safety", title, Probe::Sql(sql), Expect::Equals(0)));
    }
    let s = |id: &str, title: String, metric: Metric, expect: Expect| {
        check(id.to_owned(), "summary", title, Probe::Metric(metric), expect)
    };
    let tables_after = n(after, Kind::Table);
    plan.schema_summary.push(s("S-TABLES", format!("Tables: {tables_after}"), Metric::Tables, Expect::Equals(tables_after)));
    let new = |k: Kind| run.migrations.iter().map(|m| in_schema(created(m, k), &schema).count()).sum::<usize>() as i64;
    for (kind, metric, what) in [
        (Kind::Table, Metric::NewTables, "tables"),
        (Kind::ForeignKey, Metric::NewForeignKeys, "foreign keys"),
        (Kind::Policy, Metric::NewPolicies, "RLS policies"),
        (Kind::Trigger, Metric::NewTriggers, "triggers"),
    ] {
        // Counted kinds only where all of them are in the plan's schema: the migrations
        // announce counts of every schema (`creates`), the metric counts the plan's. (Tables
        // are announced by name, and qualified outside the plan's schema.)
        let all = run.migrations.iter().map(|m| created(m, kind).len()).sum::<usize>() as i64;
        if new(kind) > 0 && (kind == Kind::Table || new(kind) == all) {
            let id = format!("S-NEW-{}", what.replace(' ', "-").to_uppercase());
            plan.schema_summary.push(s(&id, format!("New {what}: {}", new(kind)), metric, Expect::Equals(new(kind))));
        }
    }
    if functions_total > 0 {
        let title = format!("New functions: {functions_total}+");
        plan.schema_summary.push(s("S-NEW-FUNCTIONS", title, Metric::NewFunctions, Expect::AtLeast(functions_total as i64)));
    }
    if let Some(r) = &mut plan.rollback {
        let tables = n(before, Kind::Table);
        r.checks.push(s("R-TABLES", format!("Back to {tables} tables"), Metric::Tables, Expect::Equals(tables)));
    }
    review.push("add the manual items the operator acknowledges (backup taken, files reviewed), checks of your data (sample_data), RLS isolation tests (rls) and index usage (performance)".into());
    review
}
