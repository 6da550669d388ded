//! Opening a Markdown run-book in the window: the plan drafted from it (in memory, paths
//! relative to the run-book's folder), with what became of each line for the Plan tab.

use std::path::Path;

use crate::draft::import::{folders_for, import};
use crate::draft::runbook::Mapping;
use crate::plan::LoadedPlan;

/// Draft a plan from the run-book at `path`; the migrations folder is looked for beside it
/// and under `migrations/`.
pub fn draft(path: &Path) -> Result<(LoadedPlan, Vec<Mapping>), String> {
    let (migrations, baseline) = folders_for(path).ok_or_else(|| {
        format!("{}: no folder holds the migrations this run-book lists (looked beside it and under migrations/)", path.display())
    })?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    let mut imported = import(path, &migrations, &baseline, &dir).map_err(|e| e.to_string())?;
    if imported.rollback_script.is_some() {
        // Its own SQL would have to be written beside it first: `pgstage import` does that.
        imported.plan.rollback = None;
        imported
            .plan
            .notes
            .push("The run-book's rollback SQL is not rehearsed from the window: draft with `pgstage import`.".into());
    }
    Ok((LoadedPlan { plan: imported.plan, path: path.with_extension("ron"), dir }, imported.mapping))
}
