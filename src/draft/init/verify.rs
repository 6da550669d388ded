//! Sqitch verify scripts of the batch, drafted as verification checks.

use super::fill::check;
use crate::check::Observed;
use crate::db::migration_file::SqlFile;
use crate::draft::DraftError;
use crate::draft::rehearse::Rig;
use crate::draft::sources::Sources;
use crate::plan::{Expect, Plan, Probe};

/// Sqitch verify scripts of the batch as checks: their statements as written (the script's
/// own top-level `BEGIN` / `ROLLBACK` left out, a `DO $$ BEGIN … END $$` body kept whole),
/// expecting the rows it returned on the rehearsed database. A script of comments only is
/// not a check, and the draft says so.
pub(super) async fn verify_checks(
    rig: &Rig,
    sources: &Sources,
    plan: &mut Plan,
    review: &mut Vec<String>,
) -> Result<(), DraftError> {
    let is_tx = |sql: &str| {
        let words: Vec<String> = sql.split_whitespace().map(str::to_uppercase).collect();
        matches!(words.first().map(String::as_str), Some("BEGIN" | "ROLLBACK" | "COMMIT" | "START" | "END" | "ABORT"))
            && words.len() <= 3
    };
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
        let sql = kept.join(";\n\n");
        let expect = match rig.observe(&sql).await? {
            Observed::Value { rows: 0, .. } => Expect::NoRows,
            Observed::Value { rows, .. } => Expect::Rows(rows),
            Observed::Error { code, message } => {
                let why = format!("ERROR: {message} (SQLSTATE {code})");
                review
                    .push(format!("Sqitch verify script {} fails on the rehearsed database: {why}; not a check", path.display()));
                continue;
            }
            Observed::NotApplicable(why) => {
                review.push(format!("Sqitch verify script {}: {why}; not a check", path.display()));
                continue;
            }
        };
        let title = format!("Sqitch verify: {change}");
        plan.verification.push(check(format!("V-{change}-VERIFY"), change, title, Probe::Sql(sql), expect));
    }
    Ok(())
}
