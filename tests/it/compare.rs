//! Two runs of the bundled plan compared (`pgstage::compare`): the frozen rehearsal
//! (`run_go.json`) and the staging run made from it by hand (`run_staging.json`, its edits
//! listed in `tests/fixtures/report/README.md`): exactly those edits come out as differences,
//! nothing else (not the manual items' who and when); a run compared with itself has none;
//! `pgstage compare` prints it and exits 1, 0 or 2 as `diff` does.

use std::process::Command;

use pgstage::compare::{self, Area, PlanMatch};
use pgstage::run_result::RunResult;

use crate::support::path;

fn frozen(name: &str) -> RunResult {
    compare::read(&path(&format!("tests/fixtures/report/{name}.json"))).unwrap()
}

#[test]
fn the_rehearsal_and_the_staging_run_differ_in_exactly_what_was_edited() {
    let c = compare::compare(&frozen("run_go"), &frozen("run_staging"));
    assert_eq!(c.plan, PlanMatch::Same);
    assert_eq!(c.a.on, "sandbox rehearsal, PostgreSQL 15.18");
    assert_eq!(c.b.on, "dba@staging-db.internal:5432/app_staging, PostgreSQL 16.4");
    let rows: Vec<(Area, &str, &str, &str)> =
        c.differences.iter().map(|d| (d.area, d.item.as_str(), d.a.as_str(), d.b.as_str())).collect();
    assert_eq!(
        rows,
        [
            (Area::Check, "PF-INDEXES (preflight): Indexes: 70+ existing", "PASS · 89", "PASS · 90"),
            (Area::Check, "PF-SIZE (preflight): Database size: ~244 MB (record baseline)", "WARN · 10.4 MB", "PASS · 243.8 MB"),
            (Area::Check, "PF-CONNECTIONS (preflight): Active connections: confirm low traffic", "PASS · 0", "PASS · 7"),
            (Area::Timing, "015 (×4.00)", "130 ms (faster)", "521 ms (SLOWER)"),
            (
                Area::Finding,
                "013 foreign-key-without-index on public.campaign_cohorts (013_create_positioning_campaigns.sql:86)",
                "2 findings: warning, warning",
                "warning"
            ),
            (Area::Count, "indexes before the migrations", "89", "90"),
            (Area::Count, "indexes after them", "164", "165"),
        ],
        "{}",
        compare::text(&c)
    );
    assert_eq!(c.timings.len(), 5, "every migration's time, side by side");
    assert!(c.same.iter().any(|s| s.starts_with("59 of 62 checks")), "{:?}", c.same);
    assert!(c.differ());
}

#[test]
fn a_run_compared_with_itself_has_no_difference() {
    let c = compare::compare(&frozen("run_failed_015"), &frozen("run_failed_015"));
    assert!(c.differences.is_empty() && !c.differ(), "{:?}", c.differences);
    assert!(compare::text(&c).contains("No difference in the verdict"));
}

#[test]
fn a_changed_plan_is_said_first() {
    let (a, b) = (frozen("run_go"), frozen("run_failed_015"));
    let c = compare::compare(&a, &b);
    assert_eq!(c.plan, PlanMatch::Changed, "the same plan's name, another file (015 replaced)");
    assert!(compare::text(&c).contains("Plan: CHANGED between the runs"));
    assert!(c.differences.iter().any(|d| d.area == Area::Verdict && d.a == "GO" && d.b == "NO-GO"));
    assert!(c.differences.iter().any(|d| d.area == Area::Migration && d.item == "015" && d.b == "FAILED"));
}

#[test]
fn pgstage_compare_prints_the_differences_and_exits_as_diff_does() {
    let run = |a: &str, b: &str| {
        Command::new(env!("CARGO_BIN_EXE_pgstage")).args(["compare", a, b]).current_dir(path(".")).output().expect("pgstage runs")
    };
    let out = run("tests/fixtures/report/run_go.json", "tests/fixtures/report/run_staging.json");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("7 differences:"), "{stdout}");
    assert!(stdout.contains("A: WARN · 10.4 MB  →  B: PASS · 243.8 MB"), "{stdout}");
    assert!(stdout.contains("015      130 ms (faster)"), "{stdout}");

    let same = run("tests/fixtures/report/run_go.json", "tests/fixtures/report/run_go.json");
    assert_eq!(same.status.code(), Some(0));

    let bad = run("tests/fixtures/report/run_go.json", "plans/week2_staging.ron");
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("plans/week2_staging.ron: not a pgstage run result (line 1, column"), "{err}");
}
