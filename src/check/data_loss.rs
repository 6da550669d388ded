//! "No data loss", judged on what the migrations did, never on table counts (which measure
//! the application's traffic as much as the migration): rows deleted, tables truncated or
//! dropped, columns dropped, each measured in the migration's own transaction. A loss the
//! plan declares for that migration, with its reason, is accepted and shown; updates
//! (backfills) are reported with their counts.

use std::time::Instant;

use crate::plan::{DeclaredLoss, Loss, Migration};
use crate::run_result::{CheckResult, MigrationResult, MigrationStatus, Status, TableChange};

/// One loss a migration caused.
struct Observed<'a> {
    table: &'a str,
    what: Loss,
    words: String,
}

fn losses(change: &TableChange) -> Vec<Observed<'_>> {
    let rows = |n: Option<i64>| match n {
        None => "rows unknown".to_owned(),
        Some(n) if change.rows_estimated => format!("about {n} rows, an estimate: statistics not fresh"),
        Some(n) => format!("about {n} rows by the statistics"),
    };
    let mut out = Vec::new();
    if change.dropped {
        out.push(Observed {
            table: &change.table,
            what: Loss::DropTable,
            words: format!("table dropped ({})", rows(change.rows_before)),
        });
    }
    if change.truncated {
        out.push(Observed {
            table: &change.table,
            what: Loss::Truncate,
            words: format!("truncated ({})", rows(change.rows_before)),
        });
    }
    if change.deleted > 0 {
        out.push(Observed { table: &change.table, what: Loss::DeleteRows, words: format!("{} rows deleted", change.deleted) });
    }
    for c in &change.dropped_columns {
        out.push(Observed { table: &change.table, what: Loss::DropColumn(c.clone()), words: format!("column {c} dropped") });
    }
    out
}

/// Whether `declared` (table in the plan's schema unless qualified) covers this loss.
fn covers(declared: &DeclaredLoss, loss: &Observed, schema: &str) -> bool {
    let table = if declared.table.contains('.') { declared.table.clone() } else { format!("{schema}.{}", declared.table) };
    table == loss.table && declared.what == loss.what
}

/// The check over every migration this run applied or found applied.
pub fn check(migrations: &[Migration], results: &[MigrationResult], schema: &str) -> CheckResult {
    let started = Instant::now();
    let (mut lost, mut accepted, mut backfills, mut unmeasured, mut unseen) = (vec![], vec![], vec![], vec![], vec![]);
    for (m, r) in migrations.iter().zip(results) {
        if !matches!(r.status, MigrationStatus::Applied | MigrationStatus::AlreadyApplied) {
            continue;
        }
        if !r.data.rows_measured {
            let why = match (&r.applied_earlier, m.non_transactional) {
                (Some(e), _) if r.data.tables.is_empty() => {
                    format!("{} (applied by run {}, which recorded none)", r.id, e.run_id)
                }
                _ if m.non_transactional => format!("{} rows (non-transactional: statements commit one by one)", r.id),
                _ => format!("{} rows", r.id),
            };
            unmeasured.push(why);
        }
        let mut used = vec![false; m.data_loss.len()];
        for change in &r.data.tables {
            for loss in losses(change) {
                match m.data_loss.iter().position(|d| covers(d, &loss, schema)) {
                    Some(i) => {
                        used[i] = true;
                        accepted.push(format!("{}: {}: {} (declared: {})", r.id, loss.table, loss.words, m.data_loss[i].reason));
                    }
                    None => lost.push(format!("{}: {}: {}", r.id, loss.table, loss.words)),
                }
            }
            if change.updated > 0 {
                backfills.push(format!("{}: {}: {} rows updated", r.id, change.table, change.updated));
            }
        }
        for (d, _) in m.data_loss.iter().zip(&used).filter(|(_, used)| !**used) {
            unseen.push(format!("{}: {} {} declared, not observed", r.id, d.table, d.what.describe()));
        }
    }
    // Unknown only where a whole migration is unmeasured (applied by a run that recorded
    // nothing); a non-transactional one's catalog effects are still measured.
    let unknown = results
        .iter()
        .zip(migrations)
        .any(|(r, m)| matches!(r.status, MigrationStatus::AlreadyApplied) && !r.data.rows_measured && !m.non_transactional);
    let mut detail = Vec::new();
    for (title, list) in [
        ("lost", &lost),
        ("accepted (declared by the plan)", &accepted),
        ("backfills", &backfills),
        ("not measured", &unmeasured),
        ("declared but not observed", &unseen),
    ] {
        if !list.is_empty() {
            detail.push(format!("{title}: {}", list.join("; ")));
        }
    }
    let (status, actual) = if !lost.is_empty() {
        (Status::Fail, format!("{} undeclared losses", lost.len()))
    } else if unknown {
        (Status::Warn, "unknown for migrations applied earlier".to_owned())
    } else if accepted.is_empty() {
        (Status::Pass, "no pre-existing data lost".to_owned())
    } else {
        (Status::Pass, format!("only the {} declared losses", accepted.len()))
    };
    CheckResult {
        id: "INT-DATA-LOSS".into(),
        group: "integrity".into(),
        title: "No data loss: no pre-existing row, column or table lost beyond what the plan declares".into(),
        expected: "no undeclared loss".into(),
        actual,
        status,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        sql: String::new(),
        detail: detail.join("\n"),
        metric: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::MsRange;
    use crate::run_result::DataChanges;

    fn migration(loss: Vec<DeclaredLoss>) -> Migration {
        Migration {
            id: "020".into(),
            title: "purge".into(),
            file: "020.sql".into(),
            expected_ms: Some(MsRange(0, 1)),
            creates: Default::default(),
            non_transactional: false,
            data_loss: loss,
            accept: vec![],
        }
    }

    fn applied(tables: Vec<TableChange>) -> MigrationResult {
        let mut r = crate::run_result::MigrationResult::not_run(&migration(vec![]), None);
        r.status = MigrationStatus::Applied;
        r.data = DataChanges { rows_measured: true, tables };
        r
    }

    fn deleted(n: i64) -> TableChange {
        TableChange { table: "public.audit_log".into(), deleted: n, ..Default::default() }
    }

    #[test]
    fn inserts_and_updates_are_no_loss_but_updates_are_reported() {
        let change = TableChange { table: "public.users".into(), inserted: 5, updated: 3, ..Default::default() };
        let r = check(&[migration(vec![])], &[applied(vec![change])], "public");
        assert_eq!(r.status, Status::Pass, "{r:?}");
        assert!(r.detail.contains("public.users: 3 rows updated"), "{}", r.detail);
    }

    #[test]
    fn an_undeclared_delete_fails_naming_table_and_count_and_a_declared_one_passes() {
        let r = check(&[migration(vec![])], &[applied(vec![deleted(12)])], "public");
        assert_eq!(r.status, Status::Fail);
        assert!(r.detail.contains("020: public.audit_log: 12 rows deleted"), "{}", r.detail);
        let declared = DeclaredLoss { table: "audit_log".into(), what: Loss::DeleteRows, reason: "purge of 2019".into() };
        let r = check(&[migration(vec![declared])], &[applied(vec![deleted(12)])], "public");
        assert_eq!(r.status, Status::Pass, "{r:?}");
        assert!(r.detail.contains("(declared: purge of 2019)"), "{}", r.detail);
    }

    #[test]
    fn a_declaration_covers_only_its_kind_of_loss() {
        let declared = DeclaredLoss { table: "public.audit_log".into(), what: Loss::Truncate, reason: "reset".into() };
        let r = check(&[migration(vec![declared])], &[applied(vec![deleted(1)])], "public");
        assert_eq!(r.status, Status::Fail);
        assert!(r.detail.contains("declared but not observed"), "{}", r.detail);
    }
}
