//! What a migration created (the snapshot diff) against what the plan announced: tables,
//! functions, explicit indexes, policies, triggers and foreign keys; what it altered and
//! dropped, recorded as the diff says.

use crate::db::snapshot::{Kind, Snapshot, SnapshotDiff};
use crate::plan::Migration;
use crate::run_result::{MigrationResult, MigrationStatus};

/// Compare what a migration created (snapshot diff) with what the plan announced.
pub fn compare_created(m: &Migration, diff: &SnapshotDiff, after: &Snapshot, result: &mut MigrationResult) {
    for kind in Kind::ALL {
        let names: Vec<String> = diff.appeared_of(kind).map(str::to_owned).collect();
        if !names.is_empty() {
            result.created.insert(kind.label().to_owned(), names);
        }
    }
    result.altered = diff.changed.clone();
    result.dropped = diff.vanished.clone();
    compare_created_tables_only(m, diff, result);
    for full in diff.appeared_of(Kind::Table) {
        if !m.creates.tables.iter().any(|x| names(x, full)) {
            let t = full.split_once('.').map_or(full, |(_, n)| n);
            result.object_mismatches.push(format!("table {t} created but not announced"));
        }
    }
    let constraint_indexes = diff
        .appeared_of(Kind::Constraint)
        .filter(|n| {
            after
                .objects
                .get(&Kind::Constraint)
                .and_then(|c| c.get(*n))
                .is_some_and(|d| d.starts_with("PRIMARY KEY") || d.starts_with("UNIQUE"))
        })
        .count();
    let counts = [
        ("indexes", m.creates.indexes, diff.appeared_of(Kind::Index).count().saturating_sub(constraint_indexes)),
        ("RLS policies", m.creates.policies, diff.appeared_of(Kind::Policy).count()),
        ("triggers", m.creates.triggers, diff.appeared_of(Kind::Trigger).count()),
        ("foreign keys", m.creates.foreign_keys, diff.appeared_of(Kind::ForeignKey).count()),
    ];
    for (what, expected, actual) in counts {
        if let Some(expected) = expected
            && expected as usize != actual
        {
            result.object_mismatches.push(format!("{what}: expected {expected}, created {actual}"));
        }
    }
    // `schema.name`, without the arguments.
    let mut functions: Vec<&str> = diff.appeared_of(Kind::Function).map(|f| f.split('(').next().unwrap_or(f)).collect();
    functions.dedup();
    for f in &m.creates.functions {
        if !functions.iter().any(|full| names(f, full)) {
            result.object_mismatches.push(format!("function {f} not created"));
        }
    }
    for full in functions.iter().filter(|full| !m.creates.functions.iter().any(|f| names(f, full))) {
        let f = full.split_once('.').map_or(*full, |(_, n)| n);
        result.object_mismatches.push(format!("function {f} created but not announced"));
    }
}

/// Whether an announced name (`name`, in any schema, or `schema.name`) names the object
/// `full` (`schema.name`).
fn names(announced: &str, full: &str) -> bool {
    announced == full || full.split_once('.').is_some_and(|(_, n)| n == announced)
}

pub fn compare_created_tables_only(m: &Migration, diff: &SnapshotDiff, result: &mut MigrationResult) {
    for t in &m.creates.tables {
        if !diff.appeared_of(Kind::Table).any(|full| names(t, full)) && result.status == MigrationStatus::Applied {
            result.object_mismatches.push(format!("table {t} not created"));
        }
    }
}

/// For a migration applied by an earlier run: the tables and functions it announced exist now
/// (its own snapshot diff was taken by that run).
pub fn compare_present(m: &Migration, now: &Snapshot, schema: &str, result: &mut MigrationResult) {
    for t in &m.creates.tables {
        let full = if t.contains('.') { t.clone() } else { format!("{schema}.{t}") };
        if !now.objects.get(&Kind::Table).is_some_and(|tables| tables.contains_key(&full)) {
            result.object_mismatches.push(format!("table {t} not present"));
        }
    }
    let prefix = format!("{schema}.");
    for f in &m.creates.functions {
        let present = now.names(Kind::Function).any(|n| {
            let name = n.split('(').next().unwrap_or(n);
            name == f || name.strip_prefix(&prefix) == Some(f.as_str())
        });
        if !present {
            result.object_mismatches.push(format!("function {f} not present"));
        }
    }
}
