//! The criteria a verdict judges: the plan's own, or, when it names none, a default set built
//! from what the plan holds (every migration applied, every section with checks passing, no
//! data loss, the rollback back to the baseline when rehearsed), so that no plan ends GO on
//! nothing.

use super::Section;
use super::model::{Criterion, CriterionKind, Plan, Rule};

impl Plan {
    /// The plan's criteria, or the default set when it names none (`true` then).
    pub fn effective_criteria(&self) -> (Vec<Criterion>, bool) {
        if self.criteria.is_empty() { (default_criteria(self), true) } else { (self.criteria.clone(), false) }
    }

    /// The section whose checks include one with this id.
    pub fn section_of_check(&self, id: &str) -> Option<Section> {
        let rollback = self.rollback.as_ref().map_or(&[][..], |r| &r.checks);
        [
            (Section::Preflight, &self.preflight.checks[..]),
            (Section::Verification, &self.verification),
            (Section::SchemaSummary, &self.schema_summary),
            (Section::Integrity, &self.integrity.checks),
            (Section::SampleData, &self.sample_data),
            (Section::Rollback, rollback),
        ]
        .into_iter()
        .find(|(_, checks)| checks.iter().any(|c| c.id == id))
        .map(|(s, _)| s)
    }

    /// Whether a section holds any check to run.
    pub fn section_has_checks(&self, section: Section) -> bool {
        match section {
            Section::Preflight => !self.preflight.checks.is_empty() || !self.preflight.manual.is_empty(),
            Section::Verification => !self.verification.is_empty(),
            Section::SchemaSummary => !self.schema_summary.is_empty(),
            Section::Integrity => {
                let i = &self.integrity;
                i.constraints_validated || i.no_orphans || i.no_data_loss || i.privileges_of_new_objects || !i.checks.is_empty()
            }
            Section::SampleData => !self.sample_data.is_empty(),
            Section::Rls => !self.rls.is_empty(),
            Section::Performance => !self.performance.index_usage.is_empty(),
            Section::Rollback => self.rollback.as_ref().is_some_and(|r| r.rehearse && !r.checks.is_empty()),
        }
    }
}

fn hard(id: &str, group: &str, title: &str, rule: Rule) -> Criterion {
    Criterion { id: id.into(), group: group.into(), title: title.into(), rule, kind: CriterionKind::Hard }
}

/// The title of the default criterion that a section's checks pass.
fn passes(section: Section) -> &'static str {
    match section {
        Section::Preflight => "Pre-flight checks pass",
        Section::Verification => "Verification checks pass",
        Section::SchemaSummary => "Schema summary checks pass",
        Section::Integrity => "Integrity checks pass",
        Section::SampleData => "Sample-data tests pass",
        Section::Rls => "Row-level security isolation holds",
        Section::Performance => "Performance checks pass",
        Section::Rollback => "Checks after the rollback pass",
    }
}

/// pgstage's criteria for a plan that names none.
pub fn default_criteria(plan: &Plan) -> Vec<Criterion> {
    let mut c = vec![hard("D-MIGRATIONS", "Execution", "Every migration applied without error", Rule::AllMigrationsApplied)];
    if plan.migrations.iter().any(|m| m.creates != Default::default()) {
        c.push(hard("D-OBJECTS", "Execution", "Each migration creates the objects it announces", Rule::CreatedObjectsAsExpected));
    }
    if !plan.preflight.manual.is_empty() {
        c.push(hard("D-MANUAL", "Execution", "Every manual item acknowledged", Rule::ManualItemsAcknowledged));
    }
    if plan.integrity.no_data_loss {
        c.push(hard("D-NO-LOSS", "Integrity", "No data loss by the migrations", Rule::NoDataLoss));
    }
    for &section in Section::ALL {
        if plan.section_has_checks(section) {
            let id = format!("D-{}", section.as_str().to_uppercase().replace('_', "-"));
            c.push(hard(&id, "Checks", passes(section), Rule::SectionsPass(vec![section])));
        }
    }
    if plan.rollback.as_ref().is_some_and(|r| r.rehearse && r.expect_baseline) {
        c.push(hard(
            "D-ROLLBACK",
            "Rollback",
            "Rollback rehearsal returns exactly to the baseline",
            Rule::RollbackMatchesBaseline,
        ));
    }
    c
}
