//! The Connect tab's clone of staging's schema, driven through the real UI: the sandbox seeded
//! with a staging built by the harness (with a hand-made index), each step of the clone told
//! as it goes, the run on the clone and the window saying so; staging out of reach, or a
//! wrong password typed in its fields: a readable error, the password nowhere, nothing started.

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pgstage::gui::PgstageApp;
use pgstage::gui::app::ConnStatus;
use pgstage::plan::{Check, Expect, Probe, Severity};

use super::{harness, runtime, step_until, tick_manual_items};
use crate::clone::write_clone_plan;
use crate::engine::{plan_with, sandbox_conninfo};
use crate::support::{Template, fresh_db};

/// Choose the sandbox seeded with a clone of staging's schema, staging given by `conninfo`.
fn choose_clone_of(h: &mut Harness<'static, PgstageApp>, conninfo: &str) {
    h.get_by_label("Connect & pre-flight").click();
    h.run_steps(2);
    h.get_by_label("a clone of staging's schema").click();
    h.run_steps(2);
    h.get_by_label("connection string or URL").click();
    h.run_steps(2);
    h.get_by_role(Role::TextInput).click();
    h.run_steps(2);
    h.get_by_role(Role::TextInput).type_text(conninfo);
    h.run_steps(2);
    h.get_by_label("Connect & pre-flight").click(); // leave the field
    h.run_steps(2);
}

/// Run all from the Run tab and wait for the Connect tab's refusal: its words.
fn run_all_until_refused(h: &mut Harness<'static, PgstageApp>) -> String {
    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Run all").click();
    h.step();
    step_until(h, "the refusal", Duration::from_secs(30), |h| h.state().connect.status.is_some() && !h.state().busy);
    h.run_steps(3);
    let Some(ConnStatus::Failed(e)) = h.state().connect.status.clone() else { panic!("{:?}", h.state().connect.status) };
    e
}

#[test]
fn the_connect_tab_rehearses_on_a_clone_of_stagings_schema() {
    let staging = runtime().block_on(fresh_db(Template::Baseline));
    runtime()
        .block_on(staging.client.batch_execute("CREATE INDEX audit_log_created_idx ON public.audit_log (created_at)"))
        .unwrap();
    // Seen in the sandbox before the migrations: staging's hand-made index came along.
    let plan = plan_with(|p| {
        p.preflight.checks.push(Check {
            id: "PF-STAGING-INDEX".into(),
            title: "staging's hand-made index is in the sandbox".into(),
            group: "baseline".into(),
            probe: Probe::Sql(
                "SELECT EXISTS (SELECT FROM pg_catalog.pg_indexes WHERE schemaname = 'public' AND indexname = 'audit_log_created_idx')"
                    .into(),
            ),
            expect: Expect::True,
            on_miss: Severity::Fail,
            invariant: false,
            after: None,
        });
    });
    let plan_file = write_clone_plan(&plan, "gui-clone");
    let mut h = harness(plan_file.clone(), None);
    h.step();
    tick_manual_items(&mut h);
    choose_clone_of(&mut h, &sandbox_conninfo(&staging));
    assert!(
        h.query_by_label("SANDBOX REHEARSAL on a clone of staging's schema — not staging").is_some(),
        "the header says what the run will be on"
    );

    // Test connection reads staging and says what a run will do, starting nothing.
    h.get_by_label("Test connection").click();
    step_until(&mut h, "the answer about staging", Duration::from_secs(30), |h| h.state().connect.status.is_some());
    h.run_steps(2);
    let Some(ConnStatus::Connected { what, refused: None }) = h.state().connect.status.clone() else {
        panic!("{:?}", h.state().connect.status)
    };
    assert!(what.contains("a run clones its schema with pg_dump"), "{what}");
    assert!(!h.state().log_text().contains("sandbox: initdb"), "a test starts no sandbox: {}", h.state().log_text());

    h.get_by_label("Run").click();
    h.step();
    h.get_by_label("Run all").click();
    h.step();
    step_until(&mut h, "the verdict on the clone", Duration::from_secs(240), |h| h.state().run.result.is_some());
    h.run_steps(3);
    let log = h.state().log_text();
    // Each step of the clone told as it began, in its order.
    let mut at = 0;
    for step in [
        "clone: connecting to staging (read-only)…",
        "clone: starting a sandbox of staging's PostgreSQL",
        "sandbox: starting the server…",
        "clone: reading staging's schema",
        "clone: creating staging's roles in the sandbox (without passwords)…",
        "clone: pg_dump --schema-only of staging…",
        "clone: restoring staging's schema into the sandbox…",
        "clone: loading the plan's sample data…",
    ] {
        at += log[at..].find(step).unwrap_or_else(|| panic!("{step} (after the steps before it)\n{log}"));
    }
    let result = h.state().run.result.clone().unwrap();
    let clone = result.clone.as_ref().unwrap_or_else(|| panic!("the run result says it ran on a clone: {log}"));
    assert_eq!(clone.rows_copied, 0);
    let index = result.preflight.iter().find(|c| c.id == "PF-STAGING-INDEX").unwrap();
    assert_eq!(index.status, pgstage::run_result::Status::Pass, "the extra index exists in the sandbox: {index:?}");
    assert!(result.verdict.go, "{:?}\n{log}", result.verdict.reasons);
    let major = |v: &str| v.split(['.', ' ']).next().unwrap().to_owned();
    assert_eq!(major(&result.sandbox.as_ref().unwrap().version), major(&clone.server_version), "staging's major version");
    // The verdict's server line says it, as the reports do.
    let server_line = h
        .query_all_by_label_contains("rehearsed on a clone of staging's schema")
        .filter_map(|n| n.value())
        .find(|v| v.starts_with("on "))
        .unwrap_or_else(|| panic!("the verdict's server line says it ran on a clone: {log}"));
    assert!(server_line.contains("0 rows copied"), "{server_line}");
    assert!(h.query_by_label_contains("seeded with a clone of staging's schema and none of its rows").is_some());
    drop(h);
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}

#[test]
fn a_clone_of_an_unreachable_staging_says_so_and_starts_nothing() {
    let mut h = harness(crate::support::path("plans/week2_staging.ron"), None);
    h.step();
    tick_manual_items(&mut h);
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    choose_clone_of(&mut h, &format!("host=127.0.0.1 port={port} dbname=app_staging user=dba password=hunter2"));
    let e = run_all_until_refused(&mut h);
    assert!(e.starts_with("run not started: cannot read staging's schema: cannot reach"), "{e}");
    assert!(
        h.query_all_by_label_contains("cannot read staging's schema: cannot reach").next().is_some(),
        "shown on the Connect tab"
    );
    let log = h.state().log_text();
    assert!(!e.contains("hunter2") && !log.contains("hunter2"), "the password is nowhere: {e}\n{log}");
    assert!(log.contains("clone: connecting to staging"), "{log}");
    assert!(!log.contains("starting a sandbox") && !log.contains("sandbox: "), "nothing started: {log}");
    assert!(h.state().run.result.is_none() && !h.state().run.active());
}

#[test]
fn a_wrong_password_for_the_staging_to_clone_is_said_in_the_servers_words() {
    let server = runtime().block_on(crate::connect::password_server());
    let mut h = harness(crate::support::path("plans/week2_staging.ron"), None);
    h.step();
    tick_manual_items(&mut h);
    h.get_by_label("Connect & pre-flight").click();
    h.run_steps(2);
    h.get_by_label("a clone of staging's schema").click();
    h.run_steps(2);
    // Staging by its fields (the default), filled in as an operator would: host, port,
    // database, user, password.
    let port = server.port().to_string();
    for (i, value) in ["127.0.0.1", port.as_str(), "postgres", "postgres"].into_iter().enumerate() {
        h.get_all_by_role(Role::TextInput).nth(i).unwrap().set_text_value_accesskit(value);
        h.run_steps(2);
    }
    h.get_by_role(Role::PasswordInput).set_text_value_accesskit(crate::connect::WRONG_PW);
    h.run_steps(2);
    assert_eq!(h.state().connect.form.host, "127.0.0.1");
    assert_eq!(h.state().connect.form.password, crate::connect::WRONG_PW);
    let e = run_all_until_refused(&mut h);
    assert!(
        e.starts_with("run not started: cannot read staging's schema: password authentication failed for user \"postgres\"")
            && e.contains("the password came from the Password field"),
        "{e}"
    );
    let log = h.state().log_text();
    assert!(!e.contains(crate::connect::WRONG_PW) && !log.contains(crate::connect::WRONG_PW), "the password is nowhere: {log}");
    assert!(!log.contains("starting a sandbox") && !log.contains("sandbox: "), "nothing started: {log}");
}
