//! The criteria a run-book states, each met only by what measures it, and its rollback.

use super::checks::{check, counted, tables_sql};
use super::*;

/// The criteria; a line that names more than the plan can check is listed as unmapped.
pub(super) fn criteria(book: &mut RunBook, plan: &mut Plan, tables: &[String]) {
    let mut fixes: Vec<(usize, String)> = Vec::new();
    let mut by_rule: BTreeMap<String, Criterion> = BTreeMap::new();
    let mut order = Vec::new();
    let items = book.items.len().min(plan.verification.len());
    let item_ids: Vec<String> = plan.verification[..items].iter().map(|c| c.id.clone()).collect();
    for line in &book.criteria {
        let mut title = line.title.clone();
        let rule = match &line.rule {
            CriterionRule::Counts(figures) => {
                Rule::ChecksPass(figures.iter().map(|f| counted(&mut plan.schema_summary, f)).collect())
            }
            CriterionRule::Verified(said) => {
                if let Some(n) = said.filter(|n| *n > items) {
                    title = format!(
                        "{title} (only {items} of the {n} are checks: the run-book lists {items} items pgstage can read)"
                    );
                    fixes.push((
                        line.line,
                        format!("partly: {items} of the {n} verification queries it names are items pgstage can read and check"),
                    ));
                }
                if item_ids.is_empty() {
                    Rule::SectionsPass(vec![Section::Verification])
                } else {
                    Rule::ChecksPass(item_ids.clone())
                }
            }
            CriterionRule::AllApplied => Rule::AllMigrationsApplied,
            CriterionRule::TotalMsBelow(ms) => Rule::TotalMigrationMsBelow(*ms),
            CriterionRule::NoDataLoss => Rule::NoDataLoss,
            CriterionRule::Section(s) => Rule::SectionsPass(vec![*s]),
            CriterionRule::NoOrphans => Rule::NoOrphans,
            CriterionRule::NoSlowQueries(ms) => {
                plan.performance.slow_query_ms = *ms;
                Rule::NoSlowQueries
            }
            CriterionRule::ReplicationLag(s) => Rule::ReplicationLagAtMost(*s),
            CriterionRule::RlsOn => {
                if !plan.integrity.checks.iter().any(|c| c.id == "I-RLS-ON") && !tables.is_empty() {
                    let title = format!("RLS enabled on the {} new tables", tables.len());
                    let sql = tables_sql(tables, " AND c.relrowsecurity");
                    plan.integrity.checks.push(check(
                        "I-RLS-ON".into(),
                        "integrity",
                        &title,
                        Probe::Sql(sql),
                        Expect::Equals(tables.len() as i64),
                    ));
                }
                Rule::SectionsPass(vec![Section::Integrity])
            }
        };
        if !line.unchecked.is_empty() {
            title = format!("{title} (not checked: {})", line.unchecked.join(", "));
        }
        let key = format!("{rule:?}");
        match by_rule.get_mut(&key) {
            Some(c) => c.title = format!("{}; {}", c.title, title),
            None => {
                order.push(key.clone());
                let id = format!("C-{:02}", order.len());
                by_rule.insert(key, Criterion { id, title, group: line.group.clone(), rule, kind: CriterionKind::Hard });
            }
        }
    }
    for (line, why) in fixes {
        if let Some(m) = book.mapping.get_mut(line - 1) {
            m.to = Target::Unmapped(why);
        }
    }
    let mut out: Vec<Criterion> = order.iter().filter_map(|k| by_rule.remove(k)).collect();
    // Derived: what the migrations announce, their times (an expectation), the rollback.
    let derived = [
        (
            "C-OBJECTS",
            "Each migration creates the objects the run-book announces",
            Rule::CreatedObjectsAsExpected,
            CriterionKind::Hard,
        ),
        ("C-RANGES", "Each migration within its expected time", Rule::MigrationsWithinExpectedRange, CriterionKind::Expectation),
    ];
    // Every check drafted from what the run-book states, whether or not a criterion names it.
    let stated: Vec<Section> = [(Section::Verification, &plan.verification), (Section::SchemaSummary, &plan.schema_summary)]
        .into_iter()
        .filter(|(_, checks)| !checks.is_empty())
        .map(|(s, _)| s)
        .collect();
    if !stated.is_empty() {
        let title = "Every verification and schema check the run-book states passes";
        out.push(Criterion {
            id: "C-STATED".into(),
            title: title.into(),
            group: "Verification".into(),
            rule: Rule::SectionsPass(stated),
            kind: CriterionKind::Hard,
        });
    }
    for (id, title, rule, kind) in derived {
        out.push(Criterion { id: id.into(), title: title.into(), group: "Execution".into(), rule, kind });
    }
    plan.criteria = out;
}

/// The rollback: the folder's rollback script if it has one, else the run-book's own SQL
/// (from under whatever heading, or a fenced block of DROP statements); and a note saying
/// which, or plainly that there is none.
pub(super) fn rollback(
    book: &RunBook,
    sources: &Sources,
    plan: &mut Plan,
    dir: &Path,
    contradictions: &mut Vec<String>,
) -> (Option<(String, String)>, String) {
    let lines = match (book.rollback_lines.first(), book.rollback_lines.last()) {
        (Some(a), Some(b)) if a != b => format!("lines {a}–{b}"),
        (Some(a), _) => format!("line {a}"),
        _ => String::new(),
    };
    let under = book.rollback_heading.as_deref().map(|h| format!(", under \"{h}\"")).unwrap_or_default();
    if book.rollback_sql.is_empty() && sources.rollback.is_none() {
        let heading = match &book.rollback_heading {
            Some(h) => format!("its rollback section (\"{h}\") holds no SQL statement"),
            None => "it has no rollback section and no fenced block of DROP statements".into(),
        };
        return (
            None,
            format!(
                "Rollback: none. The run-book gives no rollback SQL ({heading}) and {} has no rollback.sql: the plan rehearses no rollback; write one before production.",
                sources.dir.display()
            ),
        );
    }
    let mut checks = vec![];
    if let Some(n) = book.rollback_tables {
        let title = format!("Back to {n} tables");
        checks.push(check("R-TABLES".into(), "rollback", &title, Probe::Metric(Metric::Tables), Expect::Equals(n)));
    }
    let functions: usize = plan.migrations.iter().map(|m| m.creates.functions.len()).sum();
    let drops_functions = book.rollback_sql.iter().any(|l| l.to_uppercase().contains("DROP FUNCTION"));
    let (script, written, note) = match &sources.rollback {
        Some(p) => {
            let note = if book.rollback_sql.is_empty() {
                format!(
                    "Rollback: {} from the migrations folder (the run-book gives no rollback SQL).",
                    relative(dir, p).display()
                )
            } else {
                format!(
                    "Rollback: {} from the migrations folder; the run-book's own SQL ({lines}{under}) is not used.",
                    relative(dir, p).display()
                )
            };
            (relative(dir, p), None, note)
        }
        None => {
            let name = "rollback_from_runbook.sql".to_owned();
            let note = format!("Rollback: the run-book's own SQL ({lines}{under}), written to {name}.");
            (PathBuf::from(&name), Some((name, book.rollback_sql.join("\n") + "\n")), note)
        }
    };
    if functions > 0 && !drops_functions && !book.rollback_sql.is_empty() {
        contradictions.push(format!(
            "the run-book's rollback drops tables only, while its migrations create {functions} functions: it cannot return to the baseline{}",
            if written.is_none() { format!("; the folder's {} is used instead", script.display()) } else { String::new() }
        ));
    }
    plan.rollback = Some(Rollback { script, rehearse: true, expect_baseline: true, non_transactional: false, checks });
    plan.criteria.push(Criterion {
        id: "C-ROLLBACK".into(),
        title: "Rollback rehearsal returns exactly to the baseline".into(),
        group: "Rollback".into(),
        rule: Rule::RollbackMatchesBaseline,
        kind: CriterionKind::Hard,
    });
    (written, note)
}
