//! `pgstage import` of the Week 2 run-book with `migrations/week2` (and Week 1 as its
//! baseline): a plan that checks clean, has the five migrations with their ranges, the 16
//! verification items and the manual checklist, ends GO on the harness's server, accounts
//! for every line of the run-book and lists its contradictions. And from the window.

use std::path::Path;

use pgstage::draft::import::import;
use pgstage::draft::runbook::Target;
use pgstage::plan::{self, Expect, Metric, Probe, Rule};

use crate::draft::{checks_clean, pgstage, run_on_harness, scratch, text};
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
    assert_eq!(p.verification.len(), 21, "the 16 verification items and each migration's \"Expected: N tables created\"");
    assert_eq!(p.verification[16].id, "V-013-TABLES");
    assert_eq!(p.verification[16].expect, Expect::Equals(5));
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
        "from the migrations folder; the run-book's own SQL (lines 348–363, under \"ROLLBACK PROCEDURE\") is not used",
    ] {
        assert!(notes.contains(contradiction), "the notes say: {contradiction}\n{notes}");
    }
    let result = run_on_harness(&loaded).await;
    assert!(result.verdict.go, "NO-GO: {:?}", result.verdict.reasons);
    let tables = result.verdict.criteria.iter().find(|c| c.title == "59 total tables (43 + 16 new)").unwrap();
    assert_eq!(tables.reason, "passed: S-TABLES 59", "met on the check of that count");
    assert_eq!(result.verification.len(), 21);
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

/// The lines a draft lists as unmapped are all in its notes, and every line is accounted for.
fn every_line_accounted_for(runbook: &str, imported: &pgstage::draft::import::Imported) {
    let lines = std::fs::read_to_string(path(runbook)).unwrap().lines().count();
    assert_eq!(imported.mapping.len(), lines, "one entry per line");
    for m in imported.unmapped() {
        let listed = format!("Unmapped line {}: ", m.line);
        assert!(imported.plan.notes.iter().any(|n| n.starts_with(&listed)), "line {} is listed in the notes", m.line);
    }
}

/// `pgstage import` then `pgstage check` then `pgstage run --sandbox`: GO all through; the
/// plan, loaded.
fn import_check_run(runbook: &str, migrations: &Path, baseline: Option<&str>, dir: &Path) -> plan::LoadedPlan {
    let out_plan = dir.join("plan.ron");
    let mut args = vec!["import", runbook, "--migrations", migrations.to_str().unwrap(), "-o", out_plan.to_str().unwrap()];
    if let Some(b) = baseline {
        args.extend(["--baseline", b]);
    }
    let out = pgstage(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("the draft, rehearsed on the sandbox: GO"), "{}", text(&out));
    checks_clean(&out_plan);
    let run = pgstage(&["run", out_plan.to_str().unwrap(), "--sandbox", "--ack-all"]);
    assert_eq!(run.status.code(), Some(0), "GO on a sandbox: {}", text(&run));
    plan::load(&out_plan).unwrap_or_else(|e| panic!("{e}"))
}

fn summary(p: &plan::Plan, m: Metric) -> Vec<(String, Expect)> {
    p.schema_summary.iter().filter(|c| c.probe == Probe::Metric(m)).map(|c| (c.id.clone(), c.expect.clone())).collect()
}

fn criterion<'a>(p: &'a plan::Plan, title: &str) -> &'a plan::Criterion {
    p.criteria.iter().find(|c| c.title.starts_with(title)).unwrap_or_else(|| panic!("a criterion \"{title}\": {:#?}", p.criteria))
}

/// Week 2's shape, but its rollback under "🔙 BACKING OUT", its checks in a section of their
/// own (a list and a Markdown table) and its counts in a table: every line mapped or listed,
/// the run-book's rollback rehearsed, each count checked, and the criterion that names counts
/// met only by their checks.
#[test]
fn reshaped_week2_runbook_keeps_its_rollback_and_checks_its_counts() {
    const BOOK: &str = "tests/fixtures/runbooks/week2_reshaped/codex_schema_rehearsal.md";
    let dir = scratch("import-reshaped");
    // The Week 2 files without the folder's rollback.sql: the rollback is the run-book's.
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    for f in std::fs::read_dir(path("migrations/week2")).unwrap().flatten() {
        if f.file_name().to_string_lossy().starts_with("01") {
            std::fs::copy(f.path(), migrations.join(f.file_name())).unwrap();
        }
    }
    let imported = import(&path(BOOK), &migrations, &[path("migrations/week1")], &dir).unwrap_or_else(|e| panic!("{e}"));
    every_line_accounted_for(BOOK, &imported);
    let to = |line: usize| imported.mapping[line - 1].to.clone();
    assert!(
        matches!(to(97), Target::Unmapped(why) if why.contains("no check measures \"all triggers firing\"")),
        "the criterion line is listed for what it leaves unchecked: {:?}",
        to(97)
    );
    let p = &imported.plan;
    let loaded = import_check_run(BOOK, &migrations, Some("migrations/week1"), &dir);
    assert_eq!(&loaded.plan, p, "the CLI writes the plan import drafts");

    let rollback = p.rollback.as_ref().expect("the run-book's rollback, under another heading");
    assert_eq!(rollback.script, Path::new("rollback_from_runbook.sql"));
    let script = std::fs::read_to_string(dir.join(&rollback.script)).unwrap();
    assert_eq!(script.lines().filter(|l| l.starts_with("DROP ")).count(), 28, "16 tables and 12 functions:\n{script}");
    assert_eq!(rollback.checks.iter().map(|c| c.expect.clone()).collect::<Vec<_>>(), [Expect::Equals(43)]);
    assert!(p.notes.iter().any(|n| n.contains("Rollback: the run-book's own SQL (lines 164–191, under \"🔙 BACKING OUT\")")));

    assert_eq!(summary(p, Metric::Tables), [("S-TABLES".into(), Expect::Equals(59))]);
    assert_eq!(summary(p, Metric::NewTables), [("S-NEWTABLES".into(), Expect::Equals(16))]);
    assert_eq!(summary(p, Metric::ForeignKeys), [("S-FOREIGNKEYS".into(), Expect::AtLeast(82))]);
    assert_eq!(summary(p, Metric::Policies), [("S-POLICIES".into(), Expect::AtLeast(33))]);
    assert_eq!(summary(p, Metric::Indexes), [("S-INDEXES".into(), Expect::AtLeast(125))]);
    assert_eq!(summary(p, Metric::NewFunctions), [("S-NEWFUNCTIONS".into(), Expect::AtLeast(12))]);
    let pf = |m: Metric| p.preflight.checks.iter().find(|c| c.probe == Probe::Metric(m)).map(|c| c.expect.clone());
    assert_eq!((pf(Metric::Tables), pf(Metric::Indexes)), (Some(Expect::Equals(43)), Some(Expect::AtLeast(85))));

    let counts = criterion(p, "59 tables, 82+ foreign keys, 33+ policies");
    assert_eq!(counts.rule, Rule::ChecksPass(vec!["S-TABLES".into(), "S-FOREIGNKEYS".into(), "S-POLICIES".into()]));
    assert!(counts.title.ends_with("(not checked: all triggers firing)"), "{}", counts.title);
    assert_eq!(criterion(p, "125+ total indexes").rule, Rule::ChecksPass(vec!["S-INDEXES".into()]));
    let items: Vec<String> = (1..=16).map(|i| format!("V{i:02}")).collect();
    assert_eq!(criterion(p, "16/16 verification queries PASS").rule, Rule::ChecksPass(items));
    let tables = p.verification.iter().find(|c| c.id == "V-013-TABLES").expect("Expected: 5 tables created");
    assert_eq!(tables.expect, Expect::Equals(5));
    assert_eq!(p.verification.len(), 18, "16 items, 2 migrations' table counts");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Migrations in a Markdown table, counts in lists and a table, the rollback a fenced block
/// of DROP statements in an appendix, acceptance as check boxes.
#[test]
fn billing_runbook_takes_its_drop_block_as_the_rollback() {
    const BOOK: &str = "tests/fixtures/runbooks/billing/release_2_4.md";
    let dir = scratch("import-billing");
    let migrations = path("tests/fixtures/runbooks/billing/migrations");
    let baseline = "tests/fixtures/runbooks/billing/baseline";
    let imported = import(&path(BOOK), &migrations, &[path(baseline)], &dir).unwrap_or_else(|e| panic!("{e}"));
    every_line_accounted_for(BOOK, &imported);
    let p = &imported.plan;
    let ids: Vec<&str> = p.migrations.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["002", "003"], "from the table of what ships");
    let tables: Vec<Vec<String>> = p.migrations.iter().map(|m| m.creates.tables.clone()).collect();
    assert_eq!(tables, [vec!["invoices".to_owned(), "invoice_lines".into()], vec!["payments".into()]]);
    assert!(p.migrations.iter().all(|m| m.expected_ms.is_some_and(|r| (r.min(), r.max()) == (1, 5000))));
    assert_eq!(p.migrations[1].creates.functions, ["record_payment"], "the function item under Migration 003");
    let rollback = p.rollback.as_ref().expect("the appendix's DROP statements");
    assert_eq!(rollback.script, Path::new("rollback_from_runbook.sql"));
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("Rollback: the run-book's own SQL (lines 50–53, under \"a fenced block of DROP statements\")")),
        "{:#?}",
        p.notes
    );
    let pf = |m: Metric| p.preflight.checks.iter().find(|c| c.probe == Probe::Metric(m)).map(|c| c.expect.clone());
    assert_eq!((pf(Metric::Tables), pf(Metric::ForeignKeys)), (Some(Expect::Equals(2)), Some(Expect::Equals(1))));
    let counts = criterion(p, "5 tables, 4+ foreign keys");
    assert_eq!(counts.rule, Rule::ChecksPass(vec!["S-TABLES".into(), "S-FOREIGNKEYS".into()]));
    assert!(counts.title.ends_with("(not checked: every invoice total matches its lines)"), "{}", counts.title);
    assert_eq!(summary(p, Metric::ForeignKeys), [("S-FOREIGNKEYS".into(), Expect::AtLeast(4))]);
    assert_eq!(criterion(p, "1 new function").rule, Rule::ChecksPass(vec!["S-NEWFUNCTIONS".into()]));
    let ids: Vec<&str> = p.verification.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["V01", "V02", "V03", "V04", "V-002-TABLES", "V-003-TABLES"]);
    import_check_run(BOOK, &migrations, Some(baseline), &dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run-book with no rollback at all says so in the notes; its checks and counts stand in
/// one Markdown table. With one count wrong, the draft is NO-GO on that count's criterion.
#[test]
fn audit_runbook_without_rollback_says_so_and_a_wrong_count_is_no_go() {
    const BOOK: &str = "tests/fixtures/runbooks/audit/audit_trail.md";
    let dir = scratch("import-audit");
    let migrations = path("tests/fixtures/runbooks/audit/migrations");
    let imported = import(&path(BOOK), &migrations, &[], &dir).unwrap_or_else(|e| panic!("{e}"));
    every_line_accounted_for(BOOK, &imported);
    let p = &imported.plan;
    assert!(p.rollback.is_none());
    let none =
        "Rollback: none. The run-book gives no rollback SQL (it has no rollback section and no fenced block of DROP statements)";
    assert!(p.notes.iter().any(|n| n.starts_with(none)), "{:#?}", p.notes);
    assert_eq!(p.verification.len(), 4, "three tables and a function from the table's rows");
    assert_eq!(summary(p, Metric::Tables), [("S-TABLES".into(), Expect::Equals(3))]);
    assert_eq!(summary(p, Metric::Indexes), [("S-INDEXES".into(), Expect::AtLeast(4))]);
    let disk = imported.mapping.iter().find(|m| m.text.contains("Disk used")).unwrap();
    assert_eq!(disk.to, Target::Unmapped("a table row pgstage cannot read".into()));
    assert_eq!(
        criterion(p, "3 tables and 1+ foreign keys").rule,
        Rule::ChecksPass(vec!["S-TABLES".into(), "S-FOREIGNKEYS".into()])
    );
    let said = criterion(p, "5/5 verification checks PASS");
    assert!(said.title.ends_with("(only 4 of the 5 are checks: the run-book lists 4 items pgstage can read)"), "{}", said.title);
    assert_eq!(
        imported.mapping[42].to,
        Target::Unmapped("partly: 4 of the 5 verification queries it names are items pgstage can read and check".into())
    );
    import_check_run(BOOK, &migrations, None, &dir);

    let wrong = dir.join("audit_wrong.md");
    let book = std::fs::read_to_string(path(BOOK)).unwrap();
    std::fs::write(&wrong, book.replace("- [ ] 3 tables and", "- [ ] 4 tables and")).unwrap();
    let out_plan = dir.join("wrong.ron");
    let args =
        ["import", wrong.to_str().unwrap(), "--migrations", migrations.to_str().unwrap(), "-o", out_plan.to_str().unwrap()];
    let out = pgstage(&args);
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("line 40 says \"4 tables\""), "the two counts disagree: {all}");
    assert!(all.contains("4 tables and 1+ foreign keys: failed: S-TABLES-2 3"), "NO-GO on the count: {all}");
    std::fs::remove_dir_all(&dir).unwrap();
}
