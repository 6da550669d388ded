//! The `pgstage` binary headless: `check` validates offline; `run` ends with exit code 0 on
//! GO, 1 on NO-GO, 2 on an error, and writes the report it is asked for.

use std::process::{Command, Output};

use crate::support::{path, week2_plan, write_plan};

/// Sandbox runs are recorded as rehearsals here, not in the user's state directory.
fn state_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("pgstage-cli-state-{}", std::process::id()))
}

fn pgstage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(args)
        .current_dir(crate::support::root())
        .env("PGSTAGE_STATE_DIR", state_dir())
        // Not the user's baseline cache (tests/it/baseline_cache.rs tests it).
        .env("PGSTAGE_BASELINE_CACHE", "off")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn rules_lists_every_rule_with_its_examples() {
    let out = pgstage(&["rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains(pgstage::findings::catalogue::BASELINE.lines().next().unwrap()), "{shown}");
    for rule in pgstage::findings::rules::ALL {
        let doc = pgstage::findings::catalogue::doc(rule.id);
        assert!(shown.contains(&format!("\n{} — ", rule.id)), "{} missing:\n{shown}", rule.id);
        for line in doc.bad.iter().chain(doc.good).flat_map(|sql| sql.lines()) {
            assert!(shown.contains(&format!("    {line}\n")), "{}: {line} missing", rule.id);
        }
        assert!(shown.contains(&format!("  safer: {}\n", doc.safer)), "{}", rule.id);
    }
    let one = pgstage(&["rules", "domain-constraint-scan"]);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one));
    let one = String::from_utf8_lossy(&one.stdout);
    assert!(one.starts_with("domain-constraint-scan — ") && one.contains("ALTER DOMAIN public.money_cents"), "{one}");
    assert!(!one.contains("foreign-key-valid"), "{one}");
    let typo = pgstage(&["rules", "domain-constraint"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(text(&typo).contains("domain-constraint") && text(&typo).contains("domain-constraint-scan"), "{}", text(&typo));
}

#[test]
fn check_accepts_the_bundled_plan_and_rejects_a_broken_one() {
    let ok = pgstage(&["check", "plans/week2_staging.ron"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("5 migrations"), "{}", text(&ok));
    let bad = pgstage(&["check", "tests/fixtures/plans/unknown_field.ron"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("unknown_field.ron:14:13: in `migrations[1].expected_msec`"), "{}", text(&bad));
}

#[test]
fn run_on_the_sandbox_exits_0_on_go_and_writes_the_report() {
    let report = std::env::temp_dir().join(format!("pgstage-cli-{}.json", std::process::id()));
    let out = pgstage(&[
        "run",
        "plans/week2_staging.ron",
        "--sandbox",
        "--ack-all",
        "--operator",
        "ci",
        "--report",
        report.to_str().unwrap(),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("VERDICT: GO on a sandbox rehearsal — not a staging validation"), "{all}");
    assert!(all.contains("checks: 23 of 23 verification and schema checks shown able to fail"), "the summary: {all}");
    let verification = all.lines().find(|l| l.starts_with("verification ")).map(|l| l.split_whitespace().collect::<Vec<_>>());
    assert_eq!(verification, Some(vec!["verification", "16", "0", "0", "0"]), "the summary table: {all}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["verdict"]["go"], true);
    assert_eq!(json["operator"], "ci");
    std::fs::remove_file(&report).unwrap();
    let _ = std::fs::remove_dir_all(state_dir());
}

#[test]
fn run_exits_1_on_no_go() {
    let mut loaded = week2_plan();
    loaded.plan.migrations[2].file = path("tests/fixtures/sql/015_broken.sql");
    loaded.plan.rollback = None;
    let plan = write_plan(&loaded, "cli-nogo");
    let out = pgstage(&["run", plan.to_str().unwrap(), "--ack-all"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("VERDICT: NO-GO"), "{all}");
    assert!(all.contains("015_broken.sql:56:49"), "{all}");
    assert!(all.contains("013 and 014 stay committed on the sandbox"), "what the run left: {all}");
    std::fs::remove_dir_all(plan.parent().unwrap()).unwrap();
}

#[test]
fn run_refuses_an_unknown_manual_item() {
    let out = pgstage(&["run", "plans/week2_staging.ron", "--ack", "MI-NOPE"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--ack MI-NOPE: no such manual item (the plan has: MI-REVIEW"), "{}", text(&out));
}

#[test]
fn check_refuses_what_the_run_would_refuse_for_its_files() {
    let mut loaded = week2_plan();
    loaded.plan.migrations[1].file = path("tests/fixtures/sql/910_concurrent_index.sql");
    let plan = write_plan(&loaded, "cli-concurrent");
    let out = pgstage(&["check", plan.to_str().unwrap()]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("the run would refuse its migration files"), "{all}");
    assert!(
        all.contains(
            "910_concurrent_index.sql:3:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction; mark migration 014"
        ),
        "{all}"
    );
    std::fs::remove_dir_all(plan.parent().unwrap()).unwrap();
}

#[test]
fn run_refuses_the_plans_files_before_connecting_as_check_does() {
    let mut loaded = week2_plan();
    loaded.plan.migrations[1].file = path("tests/fixtures/sql/910_concurrent_index.sql");
    let plan = write_plan(&loaded, "cli-run-concurrent");
    let check = text(&pgstage(&["check", plan.to_str().unwrap()]));
    let refusal = check.lines().skip_while(|l| !l.contains("the run would refuse")).collect::<Vec<_>>().join("\n");
    assert!(!refusal.is_empty(), "{check}");
    // A server nobody listens on (port 1): a connection attempt would fail differently.
    for target in [&["--db", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"][..], &["--sandbox"][..]] {
        let mut args = vec!["run", plan.to_str().unwrap(), "--ack-all"];
        args.extend_from_slice(target);
        let out = pgstage(&args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{target:?}: {all}");
        assert!(all.contains(&refusal), "{target:?}: the same message as `check`:\n{refusal}\ngot:\n{all}");
        assert!(
            !all.contains("target:") && !all.contains("sandbox:") && !all.contains("connect"),
            "{target:?}: no connection: {all}"
        );
    }
    std::fs::remove_dir_all(plan.parent().unwrap()).unwrap();
}

#[test]
fn check_lints_the_plan_and_rehearse_finds_what_a_migration_does_not_create() {
    let ok = pgstage(&["check", "plans/week2_staging.ron"]);
    let all = text(&ok);
    assert!(all.contains("lint: [announced-counts] `schema_summary[4]`: S-INDEXES expects at least 130 indexes"), "{all}");
    assert!(all.contains("lint: [timeline-overlap] `timeline[3]`"), "{all}");
    assert!(!all.contains("rehearsed-counts"), "no rehearsal without --rehearse: {all}");
    let mut loaded = week2_plan();
    loaded.plan.migrations[0].creates.indexes = Some(13);
    loaded.plan.migrations[1].creates.tables.push("leaderboards".into());
    let plan = write_plan(&loaded, "cli-rehearse");
    let out = pgstage(&["check", "--rehearse", plan.to_str().unwrap()]);
    let all = text(&out);
    // The announcements it contradicts make the rehearsal NO-GO: refused, never "plan OK".
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains("plan OK") && all.contains("the plan, rehearsed on the sandbox, is NO-GO:"), "{all}");
    assert!(all.contains("table leaderboards not created"), "the reason: {all}");
    assert!(
        all.contains("lint: [rehearsed-counts] `migrations[0].creates`: migration 013: indexes: expected 13, created 12"),
        "{all}"
    );
    assert!(
        all.contains("lint: [rehearsed-counts] `migrations[1].creates`: migration 014: table leaderboards not created"),
        "{all}"
    );
    std::fs::remove_dir_all(plan.parent().unwrap()).unwrap();
}

/// What pgstage stores is its owner's whatever the umask (here 002, group-writable): the state
/// directory 0700 and the rehearsal record 0600, and so the window's settings; the report,
/// meant to be shared, follows the umask (0664).
#[test]
fn what_pgstage_stores_is_its_owners_and_its_report_follows_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = std::env::temp_dir().join(format!("pgstage-cli-modes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let state = root.join("state/pgstage");
    let report = root.join("report.md");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgstage"));
    cmd.args(["run", "plans/week2_staging.ron", "--sandbox", "--ack-all", "--report", report.to_str().unwrap()])
        .current_dir(crate::support::root())
        .env("PGSTAGE_STATE_DIR", &state)
        .env("PGSTAGE_BASELINE_CACHE", "off");
    // SAFETY: umask is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o002);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let record = state.join("rehearsals.json");
    assert_eq!((mode(&state), mode(&record)), (0o700, 0o600), "the state directory and the rehearsal record");
    let names = |dir: &std::path::Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(names(&state), ["baselines", "rehearsals.json"], "no temporary file left");
    // The catalog the rehearsal started from (for the drift check of the runs on staging).
    let baselines = state.join("baselines");
    let kept = names(&baselines);
    assert_eq!(kept.len(), 1, "one baseline, no temporary file: {kept:?}");
    assert_eq!((mode(&baselines), mode(&baselines.join(&kept[0]))), (0o700, 0o600), "the rehearsed baseline");
    assert_eq!(mode(&report), 0o664, "the report follows the umask");
    #[cfg(feature = "gui")]
    {
        let settings = pgstage::gui::settings_file(&root.join("share/pgstage"));
        assert_eq!((mode(settings.parent().unwrap()), mode(&settings)), (0o700, 0o600), "the window's settings");
    }
    std::fs::remove_dir_all(&root).unwrap();
}

/// A libpq connection string for a test database.
fn conninfo(config: &tokio_postgres::Config) -> String {
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
    };
    let mut s = format!(
        "host='{host}' port={} user='{}' dbname='{}'",
        config.get_ports().first().copied().unwrap_or(5432),
        config.get_user().unwrap_or_default(),
        config.get_dbname().unwrap_or_default()
    );
    if let Some(pw) = config.get_password() {
        s += &format!(" password='{}'", String::from_utf8_lossy(pw).replace('\'', "\\'"));
    }
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn run_says_when_only_the_line_endings_of_an_applied_migration_differ() {
    let db = crate::support::fresh_db(crate::support::Template::Baseline).await;
    let mut loaded = week2_plan();
    loaded.plan.migrations.truncate(1);
    loaded.plan.rollback = None;
    loaded.plan.preflight.checks.clear();
    let plan = write_plan(&loaded, "cli-crlf");
    let file = plan.parent().unwrap().join("013.sql");
    std::fs::copy(path("migrations/week2/013_create_positioning_campaigns.sql"), &file).unwrap();
    loaded.plan.migrations[0].file = file.clone();
    let plan = write_plan(&loaded, "cli-crlf");
    let file = loaded.plan.migrations[0].file.clone();
    let conn = conninfo(&db.config());
    let args = ["run", plan.to_str().unwrap(), "--db", &conn, "--ack-all", "--override-target-guard"];
    let first = tokio::task::block_in_place(|| pgstage(&args));
    assert!(text(&first).contains("APPLIED"), "{}", text(&first));
    let lf = std::fs::read_to_string(&file).unwrap();
    assert!(!lf.contains('\r'));
    std::fs::write(&file, lf.replace('\n', "\r\n")).unwrap();
    let args = ["run", plan.to_str().unwrap(), "--db", &conn, "--ack-all", "--override-target-guard"];
    let second = tokio::task::block_in_place(|| pgstage(&args));
    let all = text(&second);
    assert_eq!(second.status.code(), Some(1), "{all}");
    assert!(all.contains("drift: migration 013 was applied on "), "{all}");
    assert!(all.contains("(only the line endings differ: the statements are the same"), "{all}");
    let _ = std::fs::remove_dir_all(plan.parent().unwrap());
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}
