//! Details within reach: a failed migration's SQL with the failing line and column marked
//! and its statements' timings (Run tab and Results), a click anywhere on a row selects it,
//! rows and tables copy, an empty filter says so, the Plan tab lists its checks, an export
//! error shows beside the button and in the log; the Connect panel answers for the target it
//! was asked about, says when the guard will refuse it or when the peer is not PostgreSQL, and
//! masks a URL's password.

use std::io::{Read, Write};
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pgstage::gui::PgstageApp;
use pgstage::gui::app::ConnStatus;
use pgstage::gui::log::Level;

use super::{harness, run_all_until_verdict, step_until, tick_manual_items};
use crate::support::{path, week2_plan, write_plan};

fn copied(h: &Harness<'static, PgstageApp>) -> Option<String> {
    h.output().platform_output.commands.iter().find_map(|c| match c {
        egui::OutputCommand::CopyText(t) => Some(t.clone()),
        _ => None,
    })
}

#[test]
fn a_failed_migration_shows_its_sql_line_and_rows_select_and_copy_anywhere() {
    let mut loaded = week2_plan();
    loaded.plan.migrations[2].file = path("tests/fixtures/sql/015_broken.sql");
    let plan_file = write_plan(&loaded, "gui-details");
    let mut h = harness(plan_file.clone(), None);
    h.step();
    super::click_visible(&mut h, "Verification (16)");
    h.run_steps(2);
    let first = loaded.plan.verification[0].clone();
    assert!(h.query_by_label(&first.id).is_some() && h.query_by_label(&first.title).is_some(), "the Plan tab lists the checks");
    tick_manual_items(&mut h);
    run_all_until_verdict(&mut h);

    h.get_by_label("Run").click();
    h.run_steps(2);
    assert!(h.query_by_label("The failing statement, line 56, column 49:").is_some(), "on the Run tab");
    h.get_by_label("SQL and statement timings of 013").click();
    h.run_steps(2);
    let m013 = h.state().run.migrations[0].clone();
    let t = &m013.statement_timings[0];
    let ms = pgstage::report::content::fmt_ms(t.ms);
    assert!(
        h.query_all_by_label_contains(&format!("{:>5} {ms:>9} │ ", t.line)).next().is_some(),
        "013's first statement with its time beside its line {}",
        t.line
    );

    h.get_by_label("Results").click();
    h.run_steps(2);
    // A click on the text of a cell (not only on empty space) selects the row.
    let file = h.state().run.migrations[2].file.clone();
    h.get_by_label(&file).click();
    h.run_steps(2);
    assert_eq!(h.state().results.migrations_table.selected.as_deref(), Some("015"));
    assert!(h.query_by_label("The failing statement, line 56, column 49:").is_some(), "and in its details");
    assert!(h.query_all_by_label_contains("   56").next().is_some(), "the listing shows line 56");
    h.get_by_label("Copy row").click();
    h.run_steps(1);
    let row = copied(&h).expect("the row is copied");
    assert!(row.starts_with("015\t") && row.contains("FAILED"), "{row}");

    let check = h.state().run.checks.iter().find(|c| !c.result.sql.is_empty()).unwrap().result.clone();
    h.get_by_label(&check.title).click();
    h.run_steps(2);
    assert_eq!(h.state().results.checks_table.selected.as_deref().map(|k| k.ends_with(&check.id)), Some(true));
    h.get_by_label("Copy SQL").click();
    h.run_steps(1);
    assert_eq!(copied(&h).as_deref(), Some(check.sql.as_str()));
    h.get_by_label("Copy table").click();
    h.run_steps(1);
    let table = copied(&h).unwrap();
    assert_eq!(table.lines().count(), h.state().run.checks.len() + 1, "header and every check");
    assert!(table.starts_with("Id\tGroup\tTitle\tExpected\tActual\tStatus\tDuration (ms)\n"));
    assert!(table.contains(" MB\t"), "database size in MB");

    h.state_mut().results.checks_table.filter = "no-such-check-anywhere".into();
    h.run_steps(2);
    assert!(h.query_by_label("No check matches this filter.").is_some());
    h.get_by_label("Clear the filter").click();
    h.run_steps(2);
    assert!(h.state().results.checks_table.filter.is_empty());

    // An export that fails says so beside the button, and in the log as an error.
    h.get_by_label("Verdict & export (NO-GO, rehearsal)").click();
    h.step();
    h.state_mut().verdict.export_path = "/nonexistent/pgstage/report.md".into();
    h.get_by_role_and_label(Role::Button, "Export").click_accesskit();
    h.run_steps(2);
    assert!(h.query_all_by_label_contains("report not written: ").next().is_some(), "{:?}", h.state().verdict.export_status);
    assert!(h.state().log.iter().any(|l| l.level == Level::Error && l.text.starts_with("report not written")));
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}

/// A TCP port that answers like a web server, not like PostgreSQL.
fn not_postgres() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 64];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            // Close gently, after the client has read the answer (no reset).
            let _ = stream.shutdown(std::net::Shutdown::Write);
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    });
    port
}

#[test]
fn the_connect_panel_answers_for_its_target_and_masks_a_urls_password() {
    let mut loaded = week2_plan();
    loaded.plan.target.allow_databases = vec!["app_staging".into()];
    let plan_file = write_plan(&loaded, "gui-connect");
    let mut h = harness(plan_file.clone(), None);
    h.step();
    h.get_by_label("Connect & pre-flight").click();
    h.step();
    h.get_by_label("Test connection").click();
    step_until(&mut h, "the sandbox's answer", Duration::from_secs(60), |h| h.state().connect.status.is_some());
    h.run_steps(2);
    assert!(
        matches!(&h.state().connect.status, Some(ConnStatus::Connected { refused: Some(why), .. }) if why.contains("not among the plan's allowed databases")),
        "{:?}",
        h.state().connect.status
    );
    assert!(h.query_all_by_label_contains("…but the plan's target guard refuses this database").next().is_some());

    // Another mode: the answer about the sandbox is gone.
    h.get_by_label("Host and fields").click();
    h.run_steps(2);
    assert!(h.state().connect.status.is_none() && h.query_all_by_label_contains("Connected: ").next().is_none());
    h.state_mut().connect.form.host = "127.0.0.1".into();
    h.state_mut().connect.form.port = not_postgres().to_string();
    h.state_mut().connect.form.user = "dba".into();
    h.state_mut().connect.form.dbname = "app_staging".into();
    h.run_steps(1);
    h.get_by_label("Test connection").click();
    step_until(&mut h, "the answer of the web server", Duration::from_secs(20), |h| h.state().connect.status.is_some());
    h.run_steps(2);
    let Some(ConnStatus::Failed(e)) = h.state().connect.status.clone() else { panic!("{:?}", h.state().connect.status) };
    assert!(e.contains("does not speak the PostgreSQL protocol"), "{e}");
    assert!(h.query_all_by_label_contains("does not speak the PostgreSQL protocol").next().is_some());
    h.state_mut().connect.form.port = "5999".into();
    h.run_steps(2);
    assert!(h.state().connect.status.is_none() && h.query_by_label(&e).is_none(), "stale once edited");

    h.get_by_label("Connection string / URL").click();
    h.run_steps(2);
    h.get_by_role(Role::TextInput).click();
    h.run_steps(2);
    h.get_by_role(Role::TextInput).type_text("postgres://dba:hunter2@staging.db:5433/app_staging");
    h.run_steps(2);
    assert_eq!(h.state().connect.form.conninfo, "postgres://dba:hunter2@staging.db:5433/app_staging");
    h.get_by_label("Connect & pre-flight").click(); // leave the field
    h.run_steps(3);
    let shown = h.get_by_role(Role::TextInput).value().unwrap_or_default();
    assert_eq!(shown, "postgres://dba:•••••••@staging.db:5433/app_staging", "the password is masked");
    std::fs::remove_dir_all(plan_file.parent().unwrap()).unwrap();
}
