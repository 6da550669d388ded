//! Plan files: the bundled plan loads, validates and says what the seed run-book says;
//! broken plans fail with the file, line, column, field and what was expected.

use pgstage::plan::{self, Expect, Metric, PlanError, Probe, Problem, SyntaxError};

use crate::support::{path, week2_plan};

fn load_error(fixture: &str) -> PlanError {
    plan::load(&path(&format!("tests/fixtures/plans/{fixture}"))).expect_err("the fixture must not load")
}

fn syntax_error(fixture: &str) -> SyntaxError {
    match load_error(fixture) {
        PlanError::Syntax(e) => e,
        other => panic!("expected a syntax error, got: {other}"),
    }
}

fn located(fixture: &str) -> Vec<Problem> {
    match load_error(fixture) {
        PlanError::Invalid { problems, .. } => problems,
        other => panic!("expected problems, got: {other}"),
    }
}

fn problems(fixture: &str) -> Vec<(String, String)> {
    located(fixture).into_iter().map(|p| (p.field, p.message)).collect()
}

/// The one problem of a fixture that has one.
fn only_problem(fixture: &str) -> Problem {
    let mut all = located(fixture);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

#[test]
fn bundled_plan_encodes_the_seed() {
    let loaded = week2_plan();
    let p = &loaded.plan;
    assert_eq!(p.scheduled, "2024-02-06 09:00");
    assert_eq!(p.planned_hours, 5.0);
    let ids: Vec<&str> = p.migrations.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["013", "014", "015", "016", "017"]);
    let ranges: Vec<(u64, u64)> = p.migrations.iter().filter_map(|m| m.expected_ms).map(|r| (r.min(), r.max())).collect();
    assert_eq!(ranges, [(400, 500), (350, 400), (400, 450), (300, 350), (350, 400)]);
    let tables: usize = p.migrations.iter().map(|m| m.creates.tables.len()).sum();
    assert_eq!(tables, 16);
    let functions: usize = p.migrations.iter().map(|m| m.creates.functions.len()).sum();
    assert_eq!(functions, 12);
    let indexes: Vec<Option<u32>> = p.migrations.iter().map(|m| m.creates.indexes).collect();
    assert_eq!(indexes, [Some(12), Some(10), Some(15), Some(10), Some(12)]);
    let policies: Vec<Option<u32>> = p.migrations.iter().map(|m| m.creates.policies).collect();
    assert_eq!(policies, [Some(5), Some(5), Some(4), Some(2), Some(4)]);
    assert_eq!(p.verification.len(), 16, "the seed's 16 verification checks");
    assert_eq!(p.baseline.migrations.len(), 12);
    for m in &p.migrations {
        assert!(loaded.resolve(&m.file).is_file());
    }
    // The discrepancy in the seed (017 "adds 4 functions" but names five) is recorded.
    assert!(p.notes.iter().any(|n| n.contains("017") && n.contains("five")), "{:?}", p.notes);
    // Baseline expectations 43 / 42 / 18 as pre-flight checks on the catalog.
    let expect_of =
        |metric: Metric| p.preflight.checks.iter().find(|c| c.probe == Probe::Metric(metric)).map(|c| c.expect.clone());
    assert_eq!(expect_of(Metric::Tables), Some(Expect::Equals(43)));
    assert_eq!(expect_of(Metric::ForeignKeys), Some(Expect::Equals(42)));
    assert_eq!(expect_of(Metric::Policies), Some(Expect::Equals(18)));
    assert!(matches!(expect_of(Metric::DatabaseSizeMb), Some(Expect::About { value, .. }) if value == 244.0));
    assert!(!p.preflight.manual.is_empty());
    assert!(p.rollback.as_ref().is_some_and(|r| loaded.resolve(&r.script).is_file()));
}

#[test]
fn syntax_error_names_file_line_and_column() {
    let e = syntax_error("syntax_error.ron");
    assert_eq!((e.line, e.column), (5, 5));
    assert!(e.path.ends_with("tests/fixtures/plans/syntax_error.ron"));
    assert_eq!(e.message, "Expected comma");
    let text = e.to_string();
    assert!(text.ends_with("syntax_error.ron:5:5: Expected comma"), "{text}");
}

#[test]
fn unknown_field_names_the_field_and_what_was_expected() {
    let e = only_problem("unknown_field.ron");
    assert_eq!((e.line, e.column), (14, 13));
    assert_eq!(e.field, "migrations[1].expected_msec");
    assert!(e.message.contains("`expected_msec`"), "{}", e.message);
    assert!(e.message.contains("`expected_ms`"), "the message lists the valid fields: {}", e.message);
    let text = load_error("unknown_field.ron").to_string();
    assert!(text.contains("unknown_field.ron:14:13: in `migrations[1].expected_msec`: "), "{text}");
}

#[test]
fn wrong_type_names_the_field() {
    let e = only_problem("wrong_type.ron");
    // The column of the value itself (RON's own error points at the blank before it).
    assert_eq!((e.line, e.column), (10, 23));
    assert_eq!(e.field, "migrations[0].expected_ms");
    assert!(e.message.contains("MsRange"), "{}", e.message);
}

#[test]
fn five_problems_are_five_errors_at_once() {
    let all = located("five_problems.ron");
    let got: Vec<(usize, usize, &str)> = all.iter().map(|p| (p.line, p.column, p.field.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, 20, "planned_hours"),
            (5, 82, "migrations[0].expected_msec"),
            (6, 9, "migrations[1].file"),
            (10, 52, "verification[0].probe"),
            (11, 14, "verification[1].id"),
        ],
        "{all:#?}"
    );
    assert!(all[0].message.contains("expected f64"), "{}", all[0].message);
    assert!(all[1].message.starts_with("unknown field `expected_msec`"), "{}", all[1].message);
    assert_eq!(all[2].message, "missing field `file`");
    assert!(all[3].message.starts_with("unknown variant `Tabels`, expected one of `Tables`"), "{}", all[3].message);
    assert!(all[4].message.starts_with("duplicate id \"V01\""), "{}", all[4].message);
    let text = load_error("five_problems.ron").to_string();
    assert!(text.contains("has 5 problems:\n"), "{text}");
    assert!(text.contains("five_problems.ron:6:9: in `migrations[1].file`: missing field `file`"), "{text}");
}

#[test]
fn what_a_plan_leaves_out_is_derived() {
    let dir = std::env::temp_dir().join(format!("pgstage-defaults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = path("migrations/week2/013_create_positioning_campaigns.sql");
    let plan = format!("// Next week's batch.\n(migrations: [(file: {:?})])\n", file.display().to_string());
    std::fs::write(dir.join("next_week.ron"), &plan).unwrap();
    let loaded = plan::load(&dir.join("next_week.ron")).unwrap_or_else(|e| panic!("{e}"));
    let p = &loaded.plan;
    assert_eq!(p.name, "Next week's batch", "the title from the header comment");
    assert_eq!((p.migrations[0].id.as_str(), p.migrations[0].title.as_str()), ("013", "create positioning campaigns"));
    assert_eq!(p.migrations[0].expected_ms, None, "no range: the time is not judged");
    assert!(p.baseline.migrations.is_empty() && p.phase.is_empty() && p.planned_hours == 0.0);
    std::fs::write(dir.join("next_week.ron"), plan.replace("// Next week's batch.\n", "")).unwrap();
    assert_eq!(plan::load(&dir.join("next_week.ron")).unwrap().plan.name, "next week", "else from the file name");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_migration_file_is_reported_with_its_field() {
    let problems = problems("missing_file.ron");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "migrations[1].file");
    assert!(problems[0].1.starts_with("file not found: "), "{}", problems[0].1);
    assert!(problems[0].1.ends_with("/migrations/week2/099_not_written.sql"), "{}", problems[0].1);
    assert!(!problems[0].1.contains(".."), "the path is normalised: {}", problems[0].1);
}

#[test]
fn duplicate_ids_and_impossible_ranges_are_all_reported() {
    let problems = problems("duplicate_id.ron");
    assert_eq!(
        problems,
        [
            ("migrations[0].expected_ms".to_owned(), "impossible range: minimum 500 ms is above maximum 400 ms".to_owned()),
            ("verification[1].id".to_owned(), "duplicate id \"013\" (first used at `migrations[0].id`)".to_owned()),
        ]
    );
    let text = load_error("duplicate_id.ron").to_string();
    assert!(text.contains("duplicate_id.ron:10:23: in `migrations[0].expected_ms`: impossible range"), "{text}");
}

#[test]
fn unreadable_plan_says_so() {
    let e = plan::load(&path("tests/fixtures/plans/does_not_exist.ron")).unwrap_err();
    assert!(matches!(e, PlanError::Read { .. }));
    assert!(e.to_string().starts_with("cannot read plan "), "{e}");
}

#[test]
fn lint_finds_the_bundled_plans_own_contradictions() {
    let findings: Vec<(String, String)> =
        plan::lint(&week2_plan().plan).into_iter().map(|f| (f.rule.id().to_owned(), f.field)).collect();
    assert_eq!(
        findings,
        [
            ("announced-counts".to_owned(), "schema_summary[4]".to_owned()),
            ("announced-counts".to_owned(), "schema_summary[3]".to_owned()),
            ("timeline-overlap".to_owned(), "timeline[3]".to_owned()),
            ("timeline-hours".to_owned(), "timeline".to_owned()),
        ]
    );
}

#[test]
fn lint_finds_empty_sections_and_duplicate_checks() {
    let mut p = week2_plan().plan;
    p.performance.index_usage.clear();
    p.schema_summary.push(p.schema_summary[0].clone());
    p.schema_summary.last_mut().unwrap().id = "S-TABLES-AGAIN".into();
    let findings = plan::lint(&p);
    let messages: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("[empty-section] `criteria[12].rule`: C-PERF") && m.contains("section performance")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m
            == "[duplicate-check] `schema_summary[7]`: S-TABLES-AGAIN measures the same as S-TABLES with the same expectation"),
        "{messages:#?}"
    );
}

#[test]
fn problems_inside_some_do_not_stop_the_reading() {
    let got: Vec<(usize, usize, String)> =
        located("nested_problems.ron").into_iter().map(|p| (p.line, p.column, p.field)).collect();
    assert_eq!(
        got,
        [(4, 20, "rollback.script".into()), (5, 47, "criteria[0].rule".into()), (6, 39, "timeline[0].minutes".into())]
    );
}

#[test]
fn a_section_that_does_not_exist_fails_to_load_at_its_place() {
    let all = located("unknown_section.ron");
    let got: Vec<(usize, usize, &str)> = all.iter().map(|p| (p.line, p.column, p.field.as_str())).collect();
    assert_eq!(got, [(6, 75, "criteria[0].rule[1]"), (7, 60, "criteria[1].rule[0]")], "{all:#?}");
    assert!(
        all[0].message.starts_with("unknown variant `verfication`, expected one of `preflight`, `verification`"),
        "{}",
        all[0].message
    );
    assert!(all[1].message.starts_with("unknown variant `rsl`"), "{}", all[1].message);
    let text = load_error("unknown_section.ron").to_string();
    assert!(text.contains("unknown_section.ron:6:75: in `criteria[0].rule[1]`: unknown variant `verfication`"), "{text}");
}

#[test]
fn accepting_a_lock_rule_that_does_not_exist_fails_to_load_at_its_place() {
    let e = only_problem("unknown_accept_rule.ron");
    assert_eq!((e.line, e.column), (7, 24));
    assert_eq!(e.field, "migrations[0].accept[0].rule");
    assert!(e.message.starts_with("unknown variant `index-without-concurrent`"), "{}", e.message);
    assert!(e.message.contains("`index-without-concurrently`"), "the message lists the rules: {}", e.message);
    let text = load_error("unknown_accept_rule.ron").to_string();
    assert!(text.contains("unknown_accept_rule.ron:7:24: in `migrations[0].accept[0].rule`: unknown variant"), "{text}");
}

#[test]
fn every_plan_in_the_repository_still_loads() {
    let mut plans = vec![path("plans/week2_staging.ron")];
    let mut dirs = vec![path("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "ron") && !p.starts_with(path("tests/fixtures/plans")) {
                plans.push(p);
            }
        }
    }
    for p in &plans {
        plan::load(p).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_criterion_naming_a_check_the_plan_does_not_have_fails_to_load_at_its_place() {
    let e = only_problem("checks_pass_unknown.ron");
    assert_eq!((e.line, e.field.as_str()), (6, "criteria[0].rule"));
    assert_eq!(e.message, "no check \"V02\" in the plan");
}

#[test]
fn a_check_right_after_a_migration_names_one_and_reads_sql() {
    let loaded = week2_plan();
    let mut p = loaded.plan.clone();
    assert!(plan::validate(&p, &loaded.dir).is_empty());
    p.verification[0].after = Some("014".into());
    assert!(plan::validate(&p, &loaded.dir).is_empty(), "a verification check after migration 014");
    p.verification[0].after = Some("099".into());
    p.verification[1].after = Some("013".into());
    p.verification[1].probe = Probe::Metric(Metric::Tables);
    p.verification[1].expect = Expect::AtLeast(1);
    p.schema_summary[0].after = Some("013".into());
    let found: Vec<(String, String)> = plan::validate(&p, &loaded.dir).into_iter().map(|p| (p.field, p.message)).collect();
    assert_eq!(
        found,
        [
            ("verification[0].after".to_owned(), "no migration 099 in the plan (it has: 013, 014, 015, 016, 017)".to_owned()),
            (
                "verification[1].after".to_owned(),
                "a check run right after a migration reads SQL (Sql probe), not a catalog figure".to_owned()
            ),
            ("schema_summary[0].after".to_owned(), "only a verification check runs right after a migration".to_owned()),
        ]
    );
}
