//! Other sessions' SQL as pgstage repeats it: a session blocking migration 013, whose query
//! holds an e-mail address and a token, is named with its query normalised (`$1`, `$2`), with
//! neither literal, in the run result, every report format, the CLI's output and the window;
//! the plan's `execution: (other_sessions_sql: Whole)` shows it whole.

use std::process::Command;

use pgstage::plan::{LoadedPlan, OtherSessionsSql};
use pgstage::report::{self, Format};
use pgstage::run_result::{MigrationStatus, RunResult};

use crate::engine::{plan_with, run, sandbox_conninfo};
use crate::support::{Template, TestDb, fresh_db, write_plan};

/// The blocker's query, as the application sent it.
const QUERY: &str = "SELECT count(*) FROM logins WHERE email = 'alice@example.com' AND token = 'abc123'";
/// … and as pgstage shows it by default.
const NORMALISED: &str = "SELECT count(*) FROM logins WHERE email = $1 AND token = $2";
const LITERALS: [&str; 2] = ["alice@example.com", "abc123"];

/// Another session, idle in a transaction that holds ROW EXCLUSIVE on `public.workspaces`
/// (migration 013 needs SHARE ROW EXCLUSIVE there), whose last query is [`QUERY`].
async fn blocker(db: &TestDb) -> tokio_postgres::Client {
    let holder = pgstage::db::connect_config(&db.config()).await.unwrap();
    holder.batch_execute("SET application_name = 'report job'; CREATE TEMP TABLE logins (email text, token text)").await.unwrap();
    holder.batch_execute("BEGIN; LOCK TABLE public.workspaces IN ROW EXCLUSIVE MODE").await.unwrap();
    holder.batch_execute(QUERY).await.unwrap();
    holder
}

/// The bundled plan, giving up on a lock after 1.5 s, without a rollback.
fn waiting_plan(sql: OtherSessionsSql) -> LoadedPlan {
    plan_with(|p| {
        p.execution.lock_timeout_ms = 1500;
        p.execution.other_sessions_sql = sql;
        p.rollback = None;
    })
}

#[track_caller]
fn assert_no_literal(what: &str, text: &str) {
    for literal in LITERALS {
        assert!(!text.contains(literal), "{what} repeats {literal}:\n{text}");
    }
}

/// Migration 013 failed on the lock timeout, and the last wait names the blocker.
fn blocker_query(result: &RunResult) -> String {
    let m = &result.migrations[0];
    assert_eq!(m.status, MigrationStatus::Failed, "{:?}", m.error);
    let wait = m.lock_waits.last().unwrap_or_else(|| panic!("no lock wait recorded: {:?}", m.error));
    assert_eq!(wait.blockers[0].application_name, "report job");
    wait.blockers[0].query.clone()
}

#[tokio::test]
async fn a_blockers_literals_are_in_no_result_and_no_report() {
    let db = fresh_db(Template::Baseline).await;
    let holder = blocker(&db).await;
    let result = run(waiting_plan(OtherSessionsSql::default()), &db).await;
    assert_eq!(blocker_query(&result), NORMALISED);
    let error = result.migrations[0].error.clone().unwrap_or_default();
    assert!(error.contains(NORMALISED), "the lock timeout names the blocker: {error}");
    for format in Format::ALL {
        let text = report::render_with(&result, &[], format);
        assert!(text.contains(NORMALISED), "{format:?} names the blocker's query:\n{text}");
        assert_no_literal(&format!("the {format:?} report"), &text);
    }
    drop(holder);
}

#[tokio::test]
async fn other_sessions_sql_whole_shows_the_blockers_query_as_it_is() {
    let db = fresh_db(Template::Baseline).await;
    let holder = blocker(&db).await;
    let result = run(waiting_plan(OtherSessionsSql::Whole), &db).await;
    assert_eq!(blocker_query(&result), QUERY);
    drop(holder);
}

#[tokio::test]
async fn the_cli_shows_the_blocker_without_its_literals() {
    let db = fresh_db(Template::Baseline).await;
    let holder = blocker(&db).await;
    let plan_file = write_plan(&waiting_plan(OtherSessionsSql::default()), "other-sessions-cli");
    let conninfo = sandbox_conninfo(&db);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_pgstage"))
            .args(["run", plan_file.to_str().unwrap(), "--db", &conninfo, "--ack-all", "--operator", "tester"])
            .current_dir(crate::support::root())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let all = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "NO-GO: {all}");
    assert!(all.contains("WAITING") && all.contains(NORMALISED), "the wait and its blocker are shown: {all}");
    assert_no_literal("pgstage run", &all);
    drop(holder);
}

#[cfg(feature = "gui")]
#[test]
fn the_window_shows_the_blocker_without_its_literals() {
    use std::time::Duration;

    use egui_kittest::kittest::{NodeT, Queryable};
    use pgstage::gui::connection::ConnMode;

    use crate::gui::{harness, runtime, step_until, tick_manual_items};

    let (db, holder) = runtime().block_on(async {
        let db = fresh_db(Template::Baseline).await;
        let holder = blocker(&db).await;
        (db, holder)
    });
    let plan_file = write_plan(&waiting_plan(OtherSessionsSql::default()), "other-sessions-gui");
    let mut h = harness(plan_file, None);
    h.step();
    tick_manual_items(&mut h);
    h.state_mut().connect.form.mode = ConnMode::String;
    h.state_mut().connect.form.conninfo = sandbox_conninfo(&db);
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Run all").click();
    h.step();
    step_until(&mut h, "the lock wait", Duration::from_secs(60), |h| h.state().run.lock_wait.is_some());
    h.run_steps(2);
    // A label keeps its text as its AccessKit value.
    let shown: Vec<String> =
        h.query_all_by_label_contains(NORMALISED).filter_map(|n| n.accesskit_node().value().map(|v| v.to_string())).collect();
    assert!(shown.iter().any(|l| l.contains("blocked by pid")), "the Run tab names the blocker: {shown:?}");
    step_until(&mut h, "the verdict", Duration::from_secs(60), |h| h.state().run.result.is_some());
    h.run_steps(3);
    let log = h.state().log_text();
    assert!(log.contains(NORMALISED), "the log names the blocker: {log}");
    assert_no_literal("the window's log", &log);
    for tab in ["Run", "Results", "Locks", "Verdict & export"] {
        h.query_by_label_contains(tab).unwrap_or_else(|| panic!("the {tab} tab")).click();
        h.run_steps(3);
        for literal in LITERALS {
            assert!(h.query_all_by_label_contains(literal).next().is_none(), "the {tab} tab shows {literal}");
        }
    }
    drop(holder);
}

#[test]
fn the_plan_setting_reads_and_a_plan_without_it_normalises() {
    let file = crate::support::path("plans/week2_staging.ron");
    let text = std::fs::read_to_string(&file).unwrap();
    let dir = file.parent().unwrap();
    let read = |text: &str| pgstage::plan::parse(text, &file, dir).unwrap_or_else(|e| panic!("{e}")).execution.other_sessions_sql;
    assert_eq!(read(&text), OtherSessionsSql::Normalised);
    let whole = text.replacen("execution: (", "execution: (\n        other_sessions_sql: Whole,", 1);
    assert_eq!(read(&whole), OtherSessionsSql::Whole);
    let normalised = text.replacen("execution: (", "execution: (\n        other_sessions_sql: Normalised,", 1);
    assert_eq!(read(&normalised), OtherSessionsSql::Normalised);
}
