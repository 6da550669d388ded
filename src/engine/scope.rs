//! What the run's catalog reads cover: the schemas the plan and its SQL name, resolved once
//! (before the first snapshot) into a [`Scope`]; snapshots, the pre-existing relations before
//! each migration and the integrity checks' catalog reads stay inside it, so that a staging
//! holding thousands of other tables costs no more than one without them.

use std::collections::BTreeSet;

use super::{Engine, StepEnd, db_end};
use crate::db::migration_file::SqlFile;
use crate::db::snapshot::Scope;
use crate::db::split;
use crate::plan::LoadedPlan;

impl Engine {
    /// The run's scope, resolved on first use.
    pub(super) async fn scope(&mut self) -> Result<Scope, StepEnd> {
        if let Some(scope) = &self.scope {
            return Ok(scope.clone());
        }
        let scope = Scope::resolve(self.client(), &self.named_schemas()).await.map_err(db_end)?;
        self.scope = Some(scope.clone());
        Ok(scope)
    }

    /// The plan's schema and every word of its migrations and rollback script (the names among
    /// them that are schemas are in scope; the others mean nothing to [`Scope::resolve`]).
    fn named_schemas(&self) -> BTreeSet<String> {
        named(&self.plan, self.prepared.iter().flatten())
    }
}

/// The schemas `plan` names, its files read here (as [`Engine`] does after its pre-flight
/// reads them): what a clone of staging's schema copies.
pub fn plan_schemas(plan: &LoadedPlan) -> BTreeSet<String> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let files: Vec<SqlFile> =
        plan.plan.migrations.iter().filter_map(|m| SqlFile::read_relative(&plan.resolve(&m.file), &cwd).ok()).collect();
    named(plan, files.iter())
}

fn named<'a>(plan: &LoadedPlan, files: impl Iterator<Item = &'a SqlFile>) -> BTreeSet<String> {
    let mut named = BTreeSet::from([plan.plan.baseline.schema.clone()]);
    let rollback = plan.plan.rollback.as_ref().and_then(|r| {
        let cwd = std::env::current_dir().unwrap_or_default();
        SqlFile::read_relative(&plan.resolve(&r.script), &cwd).ok()
    });
    for file in files {
        for statement in &file.statements {
            named.extend(split::identifiers(&statement.sql));
        }
    }
    for statement in rollback.iter().flat_map(|f| &f.statements) {
        named.extend(split::identifiers(&statement.sql));
    }
    named
}
