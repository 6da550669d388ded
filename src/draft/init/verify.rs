//! Sqitch verify scripts of the batch, drafted as verification checks run right after their
//! own change (`after`), expecting what they returned there in the measuring rehearsal.

use super::fill::check;
use crate::db::migration_file::SqlFile;
use crate::draft::sources::Sources;
use crate::plan::{Check, Expect, Plan, Probe};
use crate::run_result::RunResult;

/// Sqitch verify scripts of the batch as checks run right after their change (`after`), as
/// Sqitch runs them: a later change may drop what an earlier one's script checks. Their
/// statements as written (the script's own top-level `BEGIN` / `ROLLBACK` left out, a `DO $$
/// BEGIN … END $$` body kept whole, psql's `\set` followed); the expectation is set from the
/// rehearsal ([`verify_as_rehearsed`]). A script of comments only is not a check, and the
/// draft says so.
pub(super) fn verify_checks(sources: &Sources, plan: &Plan, review: &mut Vec<String>) -> Vec<Check> {
    let is_tx = |sql: &str| {
        let words: Vec<String> = sql.split_whitespace().map(str::to_uppercase).collect();
        matches!(words.first().map(String::as_str), Some("BEGIN" | "ROLLBACK" | "COMMIT" | "START" | "END" | "ABORT"))
            && words.len() <= 3
    };
    let mut out = Vec::new();
    for (change, path) in &sources.verify {
        if !plan.migrations.iter().any(|m| &m.id == change) {
            continue;
        }
        let statements = match SqlFile::read(path) {
            Ok(f) => f.statements,
            Err(e) => {
                review.push(format!("Sqitch verify script {e}; not a check"));
                continue;
            }
        };
        let kept: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).filter(|s| !is_tx(s)).collect();
        if kept.is_empty() {
            review.push(format!("Sqitch verify script {} has no statement (comments only): not a check", path.display()));
            continue;
        }
        let title = format!("Sqitch verify: {change}");
        let mut c = check(format!("V-{change}-VERIFY"), change, title, Probe::Sql(kept.join(";\n\n")), Expect::NoRows);
        c.after = Some(change.clone());
        out.push(c);
    }
    out
}

/// Each Sqitch verify check with the rows its script returned in the rehearsal, right after
/// its change; a script that failed there is not a check, and the draft says why.
pub(super) fn verify_as_rehearsed(verify: Vec<Check>, run: &RunResult, plan: &mut Plan, review: &mut Vec<String>) {
    for mut c in verify {
        let Some(r) = run.verification.iter().find(|r| r.id == c.id) else {
            review.push(format!("Sqitch verify script of {}: not run in the rehearsal; not a check", c.group));
            continue;
        };
        match r.actual.strip_suffix(" rows").and_then(|n| n.parse::<u64>().ok()) {
            Some(0) => c.expect = Expect::NoRows,
            Some(rows) => c.expect = Expect::Rows(rows),
            None => {
                let why = if r.detail.is_empty() { r.actual.clone() } else { r.detail.clone() };
                review.push(format!(
                    "Sqitch verify script of {} fails right after its change in the rehearsal: {why}; not a check",
                    c.group
                ));
                continue;
            }
        }
        plan.verification.push(c);
    }
}
