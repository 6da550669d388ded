//! Drafting plans: `pgstage init` on a folder of each naming scheme (numbered, Flyway,
//! golang-migrate, Sqitch; CRLF and byte-order marks among the files) writes a plan that
//! checks clean and ends GO when run on the harness's server; down files become a rollback
//! that returns to the baseline. `pgstage import` of the Week 2 run-book: see `import`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pgstage::db::connect;
use pgstage::engine::{Engine, RunOptions};
use pgstage::plan::{self, Expect, LoadedPlan};
use pgstage::run_result::RunResult;

use crate::support::{Template, fresh_db, root};

pub fn pgstage(args: &[&str]) -> Output {
    // Not the user's baseline cache (tests/it/baseline_cache.rs tests it).
    Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(args)
        .current_dir(root())
        .env("PGSTAGE_BASELINE_CACHE", "off")
        .output()
        .unwrap()
}

pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// A directory of its own under the temp dir, emptied.
pub fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pgstage-draft-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `pgstage check PLAN` says OK with no contradiction.
pub fn checks_clean(plan: &Path) {
    let out = pgstage(&["check", plan.to_str().unwrap()]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.ends_with("plan OK\n"), "the draft checks clean, without contradictions: {all}");
}

/// Run a plan on a fresh database of the harness's server, seeded with its baseline.
pub async fn run_on_harness(loaded: &LoadedPlan) -> RunResult {
    let db = fresh_db(Template::Empty).await;
    pgstage::sandbox::seed_baseline(&db.client, loaded).await.unwrap_or_else(|e| panic!("{e}"));
    run_on(&db.config(), loaded).await
}

/// Run a plan on the database `config` names, as it is.
async fn run_on(config: &tokio_postgres::Config, loaded: &LoadedPlan) -> RunResult {
    let session = connect::connect_config(config).await.unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let options = RunOptions { operator: "tester".into(), ..Default::default() };
    let mut engine = Engine::start(loaded.clone(), session, options, tx).await.unwrap_or_else(|e| panic!("{e}"));
    for id in loaded.plan.preflight.manual.iter().map(|m| m.id.clone()) {
        engine.acknowledge(&id, "tester");
    }
    engine.run().await;
    engine.finish().await
}

/// `pgstage init` on a fixture folder; the plan it wrote, loaded, and what it printed.
fn init(scheme: &str, extra: &[&str]) -> (LoadedPlan, String) {
    // A directory per folder and arguments: tests drafting the same folder run side by side.
    let dir = scratch(&format!("{scheme}{}", extra.concat().replace(['/', '.', '-'], "_")));
    let out_plan = dir.join("plans").join("next.ron");
    let folder = format!("tests/fixtures/init/{scheme}");
    let mut args = vec!["init", folder.as_str(), "-o", out_plan.to_str().unwrap()];
    args.extend(extra);
    let out = pgstage(&args);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("the draft, rehearsed on the sandbox: GO"), "{all}");
    checks_clean(&out_plan);
    let loaded = plan::load(&out_plan).unwrap_or_else(|e| panic!("{e}"));
    for m in &loaded.plan.migrations {
        assert!(m.file.is_relative() && loaded.resolve(&m.file).is_file(), "paths relative to the plan: {:?}", m.file);
    }
    (loaded, all)
}

fn ids(loaded: &LoadedPlan) -> Vec<&str> {
    loaded.plan.migrations.iter().map(|m| m.id.as_str()).collect()
}

/// (tables, functions, indexes, policies, triggers).
type Announced<'a> = (Vec<&'a str>, Vec<&'a str>, Option<u32>, Option<u32>, Option<u32>);

/// What the draft says migration `i` creates.
fn creates(loaded: &LoadedPlan, i: usize) -> Announced<'_> {
    let c = &loaded.plan.migrations[i].creates;
    (
        c.tables.iter().map(String::as_str).collect(),
        c.functions.iter().map(String::as_str).collect(),
        c.indexes,
        c.policies,
        c.triggers,
    )
}

async fn ends_go(loaded: &LoadedPlan) -> RunResult {
    let result = run_on_harness(loaded).await;
    assert!(result.verdict.go, "NO-GO: {:?}", result.verdict.reasons);
    result
}

#[tokio::test]
async fn init_numbered_files_with_a_baseline_and_a_rollback() {
    let (loaded, _) = init("numbered", &["--from", "002"]);
    let p = &loaded.plan;
    assert_eq!(ids(&loaded), ["002", "003"]);
    assert_eq!(p.baseline.migrations.len(), 1, "001 is the baseline");
    assert!(p.baseline.migrations[0].ends_with("001_accounts.sql"));
    assert_eq!(creates(&loaded, 0), (vec!["projects"], vec![], Some(2), Some(1), None));
    assert_eq!(creates(&loaded, 1), (vec![], vec!["touch_updated_at"], None, None, Some(1)), "003 has CRLF and a BOM");
    assert!(p.rollback.as_ref().is_some_and(|r| r.script.ends_with("rollback.sql")), "the folder's rollback.sql");
    assert!(p.migrations.iter().all(|m| m.expected_ms.is_some_and(|r| r.min() <= r.max())));
    let titles: Vec<&str> = p.verification.iter().map(|c| c.title.as_str()).collect();
    assert!(
        titles.contains(&"index idx_projects_account exists") && titles.contains(&"trigger projects_touch on projects exists")
    );
    let rules: Vec<String> = p.criteria.iter().map(|c| format!("{:?}", c.rule)).collect();
    for rule in ["AllMigrationsApplied", "NoDataLoss", "RollbackMatchesBaseline", "SectionsPass"] {
        assert!(rules.iter().any(|r| r.starts_with(rule)), "criterion {rule} written out: {rules:?}");
    }
    let text = std::fs::read_to_string(&loaded.path).unwrap();
    assert!(text.contains("// Paths are relative to this file. Review before use:"), "{text}");
    assert!(
        text.contains("left out, not read: ") && text.contains("helpers.sql: not a migration (no version in its name)"),
        "the file left out is named: {text}"
    );
    let result = ends_go(&loaded).await;
    assert!(result.rollback.as_ref().is_some_and(|r| r.matches_baseline()));
}

#[tokio::test]
async fn init_flyway_without_a_rollback() {
    let (loaded, _) = init("flyway", &[]);
    assert_eq!(ids(&loaded), ["1", "1.1", "2"], "Flyway versions, in order");
    assert_eq!(creates(&loaded, 1).0, ["projects"], "V1_1 has a BOM");
    assert!(loaded.plan.baseline.migrations.is_empty() && loaded.plan.rollback.is_none());
    let text = std::fs::read_to_string(&loaded.path).unwrap();
    assert!(text.contains("there is no rollback"), "{text}");
    ends_go(&loaded).await;
}

#[tokio::test]
async fn init_golang_migrate_down_files_rehearse_a_rollback_to_the_baseline() {
    let (loaded, _) = init("golang", &["--from", "2"]);
    assert_eq!(ids(&loaded), ["000002", "000003"]);
    let script = loaded.resolve(&loaded.plan.rollback.as_ref().expect("down files make the rollback").script);
    let sql = std::fs::read_to_string(&script).unwrap();
    let (audit, projects) = (sql.find("000003_audit.down.sql").unwrap(), sql.find("000002_projects.down.sql").unwrap());
    assert!(audit < projects, "in reverse order: {sql}");
    assert!(!sql.contains("000001"), "the baseline's down file is not part of it: {sql}");
    let result = ends_go(&loaded).await;
    let rollback = result.rollback.as_ref().expect("rehearsed");
    assert!(rollback.error.is_none() && rollback.matches_baseline(), "{rollback:?}");
    assert!(rollback.reapplied);
}

#[tokio::test]
async fn init_sqitch_plan_with_deploy_revert_verify() {
    let (loaded, out) = init("sqitch", &["--from", "projects"]);
    assert_eq!(ids(&loaded), ["projects", "audit"], "the @tag line is not a change: {out}");
    assert_eq!(loaded.plan.migrations[0].title, "Projects of an account", "the plan's note");
    assert!(loaded.plan.rollback.is_some());
    let verify: Vec<(&str, &Expect)> = loaded
        .plan
        .verification
        .iter()
        .filter(|c| c.title.starts_with("Sqitch verify"))
        .map(|c| (c.id.as_str(), &c.expect))
        .collect();
    assert_eq!(
        verify,
        [("V-projects-VERIFY", &Expect::NoRows), ("V-audit-VERIFY", &Expect::Rows(1))],
        "the batch's verify scripts"
    );
    let result = ends_go(&loaded).await;
    assert!(result.verification.iter().any(|c| c.id == "V-audit-VERIFY" && c.status == pgstage::run_result::Status::Pass));
    assert!(result.rollback.as_ref().is_some_and(|r| r.matches_baseline()));
}

#[test]
fn init_never_writes_over_a_plan_without_force() {
    let dir = scratch("force");
    let plan = dir.join("plan.ron");
    std::fs::write(&plan, "keep me").unwrap();
    let out = pgstage(&["init", "tests/fixtures/init/flyway", "-o", plan.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("exists; use --force"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&plan).unwrap(), "keep me");
    let out = pgstage(&["init", "tests/fixtures/init/flyway", "--from", "9", "-o", plan.to_str().unwrap(), "--force"]);
    assert!(text(&out).contains("--from 9: no such migration") && text(&out).contains("(it has: 1, 1.1, 2)"), "{}", text(&out));
}

/// The rehearsal's rollback ran and returned to the baseline.
fn rolled_back(result: &RunResult) {
    let rollback = result.rollback.as_ref().expect("rehearsed");
    assert!(rollback.error.is_none() && rollback.matches_baseline(), "{rollback:?}");
}

#[tokio::test]
async fn init_golang_migrate_twenty_digit_versions_one_file_per_database() {
    let (loaded, out) = init("dialects", &["--from", "20210101000000000001"]);
    assert_eq!(
        ids(&loaded),
        ["20210101000000000001", "20210101000000000002", "20210101000000000003"],
        "versions beyond a u64, in order; the mysql-only version is not PostgreSQL's: {out}"
    );
    let files: Vec<String> =
        loaded.plan.migrations.iter().map(|m| m.file.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        files,
        [
            "20210101000000000001_networks.postgres.up.sql",
            "20210101000000000002_labels.postgres.up.sql",
            "20210101000000000003_networks_cidr.autocommit.up.sql"
        ],
        "the PostgreSQL file over the plain one"
    );
    assert_eq!(loaded.plan.migrations.iter().map(|m| m.non_transactional).collect::<Vec<_>>(), [false, false, true]);
    assert!(loaded.plan.baseline.migrations[0].ends_with("20210101000000000000_accounts.up.sql"));
    for (file, why) in [
        ("20210101000000000001_networks.mysql.up.sql", "written for mysql, not PostgreSQL"),
        ("20210101000000000001_networks.sqlite3.down.sql", "written for sqlite3, not PostgreSQL"),
        ("20210101000000000004_tuning.mysql.up.sql", "written for mysql, not PostgreSQL"),
        (
            "20210101000000000002_labels.up.sql",
            "version 20210101000000000002 has a PostgreSQL file of its own: 20210101000000000002_labels.postgres.up.sql",
        ),
    ] {
        assert!(out.contains(&format!("left out, not read: tests/fixtures/init/dialects/{file}: {why}")), "{file}: {out}");
    }
    assert_eq!(out.matches("left out, not read: ").count(), 7, "every file not read, once: {out}");
    let sql = std::fs::read_to_string(loaded.resolve(&loaded.plan.rollback.as_ref().unwrap().script)).unwrap();
    assert!(sql.contains("networks.postgres.down.sql") && !sql.contains("mysql"), "{sql}");
    let result = ends_go(&loaded).await;
    rolled_back(&result);
}

#[tokio::test]
async fn init_mixed_names_reads_every_numbered_file() {
    let (loaded, out) = init("mixed", &["--from", "2"]);
    assert_eq!(ids(&loaded), ["002", "003"], "002 ends in .up.sql, 003 does not: both are migrations: {out}");
    assert!(loaded.plan.baseline.migrations[0].ends_with("001_accounts.sql"), "{:?}", loaded.plan.baseline);
    assert!(out.contains("left out, not read: tests/fixtures/init/mixed/README.md: not a .sql file"), "{out}");
    assert_eq!(out.matches("left out, not read: ").count(), 1, "{out}");
    assert_eq!(creates(&loaded, 1).0, ["audit"]);
    ends_go(&loaded).await;
}

/// `pgstage run PLAN --sandbox --ack-all`: what it printed; the run ended GO.
pub fn runs_go_on_a_sandbox(plan: &Path) -> String {
    let state = scratch("run-state");
    let out = Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", plan.to_str().unwrap(), "--sandbox", "--ack-all"])
        .current_dir(root())
        .env("PGSTAGE_STATE_DIR", &state)
        .env("PGSTAGE_BASELINE_CACHE", "off")
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("VERDICT: GO"), "{all}");
    let _ = std::fs::remove_dir_all(state);
    all
}

#[test]
fn init_a_baseline_and_a_batch_that_create_roles_rehearse_twice_in_one_cluster() {
    // The baseline's CREATE ROLE app_user and the batch's app_reporting are cluster-wide:
    // the confirming rehearsal (and the rollback's re-apply) must not meet the first one's.
    let (loaded, out) = init("roles", &["--from", "002"]);
    assert_eq!(ids(&loaded), ["002", "003"], "{out}");
    assert!(loaded.plan.rollback.as_ref().is_some_and(|r| r.script.ends_with("rollback.sql")));
    runs_go_on_a_sandbox(&loaded.path);
}

#[test]
fn a_failed_init_writes_nothing() {
    let dir = scratch("failed");
    let plan = dir.join("next.ron");
    let rollback = dir.join("next.rollback.sql");
    let out = pgstage(&["init", "tests/fixtures/init/failing", "--from", "2", "-o", plan.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!plan.exists() && !rollback.exists(), "nothing left behind: {}", text(&out));
    // With --force, the files it would replace are as they were.
    std::fs::write(&plan, "my plan").unwrap();
    std::fs::write(&rollback, "my rollback").unwrap();
    let out = pgstage(&["init", "tests/fixtures/init/failing", "--from", "2", "-o", plan.to_str().unwrap(), "--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&plan).unwrap(), "my plan");
    assert_eq!(std::fs::read_to_string(&rollback).unwrap(), "my rollback", "{}", text(&out));
}

#[test]
fn init_from_in_the_files_own_spelling_and_argument_errors_before_a_sandbox() {
    let (loaded, _) = init("flyway", &["--from", "V1_1"]);
    assert_eq!(ids(&loaded), ["1.1", "2"], "V1_1 is version 1.1");
    let (loaded, _) = init("flyway", &["--from", "V2__audit.sql"]);
    assert_eq!(ids(&loaded), ["2"], "the file's name");
    let dir = scratch("from");
    let out = pgstage(&["init", "tests/fixtures/init/flyway", "--from", "V9", "-o", dir.join("p.ron").to_str().unwrap()]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("--from V9: no such migration") && all.contains("(it has: 1, 1.1, 2)"), "{all}");
    assert!(!all.contains("rehearsing"), "no sandbox started for an argument error: {all}");
}

#[test]
fn init_lists_every_problem_of_the_files_at_file_line_column() {
    let dir = scratch("problems");
    let plan = dir.join("next.ron");
    let out = pgstage(&["init", "tests/fixtures/init/transactions", "--from", "2", "-o", plan.to_str().unwrap()]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    for at in [
        "tests/fixtures/init/transactions/002_projects.sql:2:1: `COMMIT` inside migration 002",
        "tests/fixtures/init/transactions/002_projects.sql:3:1: `BEGIN` inside migration 002",
        "tests/fixtures/init/transactions/003_tags.sql:2:5: `SAVEPOINT before_seed` inside migration 003",
    ] {
        assert!(all.lines().any(|l| l.starts_with("  - ") && l.contains(at)), "{at}, on a line of its own: {all}");
    }
    assert!(!all.contains("problems)") && !all.contains("{ "), "the problems, not their count, in words: {all}");
    assert!(!plan.exists());
}

#[tokio::test]
async fn init_sqitch_verify_scripts_kept_whole_and_comments_only_is_no_check() {
    let (loaded, _) = init("sqitch_verify", &["--from", "members"]);
    let verify: Vec<(&str, &str)> = loaded
        .plan
        .verification
        .iter()
        .filter(|c| c.title.starts_with("Sqitch verify"))
        .map(|c| match &c.probe {
            plan::Probe::Sql(sql) => (c.id.as_str(), sql.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(verify.len(), 1, "members' DO block is a check, notes' comments are not: {verify:?}");
    assert_eq!(verify[0].0, "V-members-VERIFY");
    assert!(verify[0].1.starts_with("DO $$\nBEGIN\n    ASSERT") && verify[0].1.ends_with("END\n$$"), "intact: {}", verify[0].1);
    let text = std::fs::read_to_string(&loaded.path).unwrap();
    assert!(text.contains("verify/notes.sql has no statement (comments only): not a check"), "{text}");
    assert!(!text.contains("fails on the rehearsed database"), "{text}");
    let result = ends_go(&loaded).await;
    assert!(result.verification.iter().any(|c| c.id == "V-members-VERIFY" && c.status == pgstage::run_result::Status::Pass));
}

/// `pgstage check --rehearse PLAN`: what it printed; the draft rehearsed clean.
fn rehearses_clean(plan: &Path) -> String {
    let out = pgstage(&["check", "--rehearse", plan.to_str().unwrap()]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("rehearsed on the sandbox") && all.ends_with("plan OK\n"), "{all}");
    all
}

#[test]
fn init_a_down_file_with_drop_index_concurrently_makes_a_rollback_run_in_segments() {
    let (loaded, out) = init("concurrent_down", &["--from", "2"]);
    assert_eq!(ids(&loaded), ["000002", "000003"], "{out}");
    let rollback = loaded.plan.rollback.as_ref().expect("down files make the rollback");
    assert!(rollback.non_transactional, "DROP INDEX CONCURRENTLY cannot run in the rollback's transaction");
    let script = loaded.resolve(&rollback.script);
    let sql = std::fs::read_to_string(&script).unwrap();
    assert!(sql.find("DROP TABLE notes").unwrap() < sql.find("DROP INDEX CONCURRENTLY").unwrap(), "{sql}");
    rehearses_clean(&loaded.path);
    let run = runs_go_on_a_sandbox(&loaded.path);
    assert!(run.contains("rollback"), "{run}");

    // Unmarked, the plan is refused before anything runs, at the statement.
    let text_of = std::fs::read_to_string(&loaded.path).unwrap();
    assert!(text_of.contains("non_transactional: true"), "{text_of}");
    let unmarked = loaded.path.with_file_name("unmarked.ron");
    let rollback_line = text_of.lines().position(|l| l.contains("rollback: Some(")).unwrap();
    let fixed: Vec<String> =
        text_of
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i > rollback_line && l.contains("non_transactional: true") { l.replace("true", "false") } else { l.to_owned() }
            })
            .collect();
    std::fs::write(&unmarked, fixed.join("\n")).unwrap();
    let out = pgstage(&["check", unmarked.to_str().unwrap()]);
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    let line = sql.lines().position(|l| l.starts_with("DROP INDEX CONCURRENTLY")).unwrap() + 1;
    let at = format!(
        "next.rollback.sql:{line}:1: DROP INDEX CONCURRENTLY cannot run inside a transaction; mark the rollback `non_transactional: true`"
    );
    assert!(all.contains(&at), "{at} in: {all}");
}

#[tokio::test]
async fn init_sqitch_as_sqitch_runs_it_top_dir_psql_variables_and_verify_right_after_its_change() {
    let (loaded, out) = init("sqitch_conf", &["--from", "members"]);
    assert_eq!(ids(&loaded), ["members", "notes", "legacy_view", "drop_legacy_view"], "{out}");
    assert!(
        loaded.plan.migrations[0].file.ends_with("db/deploy/members.sql"),
        "top_dir = db: {:?}",
        loaded.plan.migrations[0].file
    );
    assert!(loaded.plan.baseline.migrations[0].ends_with("db/deploy/accounts.sql"));
    let verify: Vec<(&str, Option<&str>, &Expect)> = loaded
        .plan
        .verification
        .iter()
        .filter(|c| c.title.starts_with("Sqitch verify"))
        .map(|c| (c.id.as_str(), c.after.as_deref(), &c.expect))
        .collect();
    assert_eq!(
        verify,
        [
            ("V-members-VERIFY", Some("members"), &Expect::NoRows),
            ("V-legacy_view-VERIFY", Some("legacy_view"), &Expect::NoRows),
            ("V-drop_legacy_view-VERIFY", Some("drop_legacy_view"), &Expect::Rows(1)),
        ],
        "each right after its change; legacy_view's though drop_legacy_view drops the view: {out}"
    );
    let text = std::fs::read_to_string(&loaded.path).unwrap();
    assert!(text.contains("verify/notes.sql has no statement (comments only): not a check"), "{text}");
    assert!(!text.contains("fails"), "{text}");
    // \set, :"name", :'literal' and \if :{?name} … \else as psql runs them: the table, its
    // comment (checked by the DO block) and the \else branch's index.
    assert_eq!(loaded.plan.migrations[0].creates.tables, ["members"]);
    rehearses_clean(&loaded.path);
    runs_go_on_a_sandbox(&loaded.path);
    let db = fresh_db(Template::Empty).await;
    pgstage::sandbox::seed_baseline(&db.client, &loaded).await.unwrap_or_else(|e| panic!("{e}"));
    let result = run_on(&db.config(), &loaded).await;
    assert!(result.verdict.go, "NO-GO: {:?}", result.verdict.reasons);
    let status = |r: &RunResult, id: &str| r.verification.iter().find(|c| c.id == id).map(|c| c.status);
    for id in ["V-members-VERIFY", "V-legacy_view-VERIFY", "V-drop_legacy_view-VERIFY"] {
        assert_eq!(status(&result, id), Some(pgstage::run_result::Status::Pass), "{id}");
    }
    rolled_back(&result);
    // Run again: every change is in the ledger, the state right after each is gone; its
    // verify is not applicable rather than failed on what a later change did.
    let again = run_on(&db.config(), &loaded).await;
    assert!(again.migrations.iter().all(|m| m.status == pgstage::run_result::MigrationStatus::AlreadyApplied));
    assert_eq!(status(&again, "V-legacy_view-VERIFY"), Some(pgstage::run_result::Status::NotApplicable));
}

#[test]
fn init_a_failing_down_file_is_named_not_only_the_rollback_it_drafted() {
    let dir = scratch("failing-down");
    let plan = dir.join("next.ron");
    let out = pgstage(&["init", "tests/fixtures/init/failing_down", "--from", "2", "-o", plan.to_str().unwrap()]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("next.rollback.sql:5:1: ERROR: table \"project\" does not exist (SQLSTATE 42P01)"), "{all}");
    assert!(
        all.contains("(that is tests/fixtures/init/failing_down/000002_projects.down.sql:2, in the rollback drafted from the down files, which a failed draft does not keep)"),
        "{all}"
    );
    assert!(!plan.exists() && !dir.join("next.rollback.sql").exists(), "a failed init writes nothing");
}

#[test]
fn init_a_migration_that_includes_a_file_with_psql_variables() {
    let (loaded, out) = init("psql_include", &["--from", "002"]);
    assert_eq!(ids(&loaded), ["002"], "lib/ holds no migration: {out}");
    assert_eq!(creates(&loaded, 0).0, ["account_events"], "\\set, then \\ir with :\"audit_table\": {out}");
    // An error in the included file is told at that file's line and column (after a
    // substituted variable: the column as written, not as sent).
    let dir = scratch("psql-include-broken");
    let folder = dir.join("migrations");
    std::fs::create_dir_all(folder.join("lib")).unwrap();
    for f in ["001_accounts.sql", "002_audit.sql", "lib/audit_table.sql"] {
        let text = std::fs::read_to_string(root().join("tests/fixtures/init/psql_include").join(f)).unwrap();
        std::fs::write(folder.join(f), text.replace("WHERE at >", "WHERE at_when >")).unwrap();
    }
    let out = pgstage(&["init", folder.to_str().unwrap(), "--from", "002", "-o", dir.join("next.ron").to_str().unwrap()]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    let at = format!("{}:7:53: ERROR: column \"at_when\" does not exist", folder.join("lib/audit_table.sql").display());
    assert!(all.contains(&at), "{at} in: {all}");
}
