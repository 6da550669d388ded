//! `pgstage import` of the Week 2 run-book with `migrations/week2` (and Week 1 as its
//! baseline): a plan that checks clean, has the five migrations with their ranges, the 16
//! verification items and the manual checklist, ends GO on the harness's server, accounts
//! for every line of the run-book and lists its contradictions. And from the window.

use pgstage::draft::import::import;
use pgstage::draft::runbook::Target;
use pgstage::plan::{self, Expect, Metric, Probe};

use crate::draft::{pgstage, run_on_harness, scratch, text};
use crate::support::path;

const RUNBOOK: &str = "tests/fixtures/runbooks/week2_tuesday_staging_validation_plan.md";

#[tokio::test]
async fn week2_runbook_becomes_a_plan_that_checks_clean_and_ends_go() {
    let dir = scratch("import");
    let out_plan = dir.join("week2.ron");
    let args = [
        "import",
        RUNBOOK,
        "--migrations",
        "migrations/week2",
        "--baseline",
        "migrations/week1",
        "-o",
        out_plan.to_str().unwrap(),
    ];
    let out = pgstage(&args);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("the draft, rehearsed on the sandbox: GO"), "{all}");
    let again = pgstage(&args);
    assert_eq!(again.status.code(), Some(2), "never over an existing plan without --force: {}", text(&again));

    let check = pgstage(&["check", out_plan.to_str().unwrap()]);
    let checked = text(&check);
    assert_eq!(check.status.code(), Some(0), "{checked}");
    assert!(checked.contains("plan OK"), "{checked}");

    let loaded = plan::load(&out_plan).unwrap_or_else(|e| panic!("{e}"));
    let p = &loaded.plan;
    assert_eq!(p.name, "Week 2 Tuesday - Staging Validation Plan");
    assert_eq!(
        (p.scheduled.as_str(), p.planned_hours, p.phase.as_str()),
        ("2024-02-06 09:00", 5.0, "Week 2 - Codex Schema Creation")
    );
    let ids: Vec<&str> = p.migrations.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["013", "014", "015", "016", "017"]);
    let ranges: Vec<(u64, u64)> = p.migrations.iter().filter_map(|m| m.expected_ms).map(|r| (r.min(), r.max())).collect();
    assert_eq!(ranges, [(400, 500), (350, 400), (400, 450), (300, 350), (350, 400)]);
    assert!(p.migrations.iter().all(|m| loaded.resolve(&m.file).is_file()), "matched to the folder's files");
    assert_eq!(p.migrations.iter().map(|m| m.creates.tables.len()).sum::<usize>(), 16);
    assert_eq!(p.migrations[4].creates.functions.len(), 5, "017's functions by name");
    assert_eq!(p.migrations.iter().map(|m| m.creates.indexes.unwrap_or(0)).sum::<u32>(), 59);
    assert_eq!(p.verification.len(), 16, "the 16 verification items");
    assert_eq!(p.verification[3].expect, Expect::Equals(2), "campaign_quests & campaign_cohorts: both");
    let manual: Vec<&str> = p.preflight.manual.iter().map(|m| m.title.as_str()).collect();
    assert_eq!(manual.len(), 6, "{manual:?}");
    assert_eq!(manual[0], "All migrations reviewed and idempotent");
    let pf = |m: Metric| p.preflight.checks.iter().find(|c| c.probe == Probe::Metric(m)).map(|c| c.expect.clone());
    assert_eq!(
        (pf(Metric::Tables), pf(Metric::ForeignKeys), pf(Metric::Policies)),
        (Some(Expect::Equals(43)), Some(Expect::Equals(42)), Some(Expect::Equals(18)))
    );
    let summary = |m: Metric| p.schema_summary.iter().find(|c| c.probe == Probe::Metric(m)).map(|c| c.expect.clone());
    assert_eq!(summary(Metric::Tables), Some(Expect::Equals(59)));
    assert_eq!(summary(Metric::Indexes), Some(Expect::AtLeast(130)));
    assert_eq!(p.team.len(), 10);
    assert_eq!(p.timeline.iter().map(|t| t.minutes).collect::<Vec<_>>(), [30, 30, 90, 30], "the timeline summary");
    assert!(p.rollback.as_ref().is_some_and(|r| r.script.ends_with("rollback.sql")));
    let notes = p.notes.join("\n");
    for contradiction in [
        "migration 017 \"adds 4 functions\" but the function checks name 5",
        "that needs 60 new, the migrations announce 59",
        "15 new RLS policies, but the migrations announce 20",
        "\"Post-Validation\" (line 182) starts at 11:00 while \"Verification Phase\" runs 90 min from 10:00",
        "the timeline summary's entries add up to 3.0 h, the run-book plans 5 h",
        "the run-book's rollback drops tables only",
    ] {
        assert!(notes.contains(contradiction), "the notes say: {contradiction}\n{notes}");
    }
    let result = run_on_harness(&loaded).await;
    assert!(result.verdict.go, "NO-GO: {:?}", result.verdict.reasons);
    assert_eq!(result.verification.len(), 16);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_line_is_mapped_or_listed_as_unmapped() {
    let dir = scratch("import-lines");
    let runbook = path(RUNBOOK);
    let imported =
        import(&runbook, &path("migrations/week2"), &[path("migrations/week1")], &dir).unwrap_or_else(|e| panic!("{e}"));
    let lines = std::fs::read_to_string(&runbook).unwrap().lines().count();
    assert_eq!(imported.mapping.len(), lines, "one entry per line");
    assert!(imported.mapping.iter().enumerate().all(|(i, m)| m.line == i + 1));
    for m in imported.unmapped() {
        let listed = format!("Unmapped line {}: ", m.line);
        assert!(imported.plan.notes.iter().any(|n| n.starts_with(&listed)), "line {} is listed in the notes", m.line);
    }
    let unmapped: Vec<usize> = imported.unmapped().map(|m| m.line).collect();
    assert!(unmapped.contains(&6) && unmapped.contains(&240), "the status line and \"Index usage optimal\": {unmapped:?}");
    let to = |line: usize| imported.mapping[line - 1].to.clone();
    assert_eq!(to(59), Target::Element("migrations[013].expected_ms".into()));
    assert_eq!(to(19), Target::Element("preflight.manual[0]".into()));
    assert_eq!(to(2), Target::Layout);
    assert!(imported.mapping.iter().filter(|m| m.to != Target::Layout).all(|m| !m.text.trim().is_empty()));
    std::fs::remove_dir_all(&dir).unwrap();
}
