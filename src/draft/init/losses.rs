//! The losses of pre-existing data the rehearsal observed (a table or column dropped, a table
//! truncated, rows deleted), drafted as `data_loss` declarations for review: each with a
//! reason the user must write (`DeclaredLoss::UNWRITTEN`), which `pgstage check` and the run
//! refuse until it is replaced, so that no loss is accepted unread.

use crate::plan::{DeclaredLoss, Loss, Plan};
use crate::run_result::{RunResult, TableChange};

/// Per migration, a declaration for each loss its rehearsal showed; what to review, in words.
pub(super) fn declare(plan: &mut Plan, run: &RunResult, review: &mut Vec<String>) {
    let schema = plan.baseline.schema.clone();
    for (m, r) in plan.migrations.iter_mut().zip(&run.migrations) {
        for change in &r.data.tables {
            let table = match change.table.split_once('.') {
                Some((s, t)) if s == schema => t.to_owned(),
                _ => change.table.clone(),
            };
            for what in losses(change) {
                review.push(format!(
                    "migration {}: {table} {}: a data_loss declaration is drafted; write its reason (check and run refuse the plan until then)",
                    m.id,
                    what.describe()
                ));
                m.data_loss.push(DeclaredLoss { table: table.clone(), what, reason: DeclaredLoss::UNWRITTEN.into() });
            }
        }
    }
}

/// The losses one table change is, as a plan declares them.
fn losses(change: &TableChange) -> Vec<Loss> {
    let mut out = Vec::new();
    if change.dropped {
        out.push(Loss::DropTable);
    }
    if change.truncated {
        out.push(Loss::Truncate);
    }
    if change.deleted > 0 {
        out.push(Loss::DeleteRows);
    }
    out.extend(change.dropped_columns.iter().cloned().map(Loss::DropColumn));
    out
}
