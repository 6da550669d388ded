//! The sandbox of a chosen PostgreSQL version: `--list-versions` lists the servers found,
//! `--pg-version` / `--pg-bindir` choose one and the run says which; a sandbox run's report
//! states its version and is recorded as the plan's rehearsal; a run on a database after a
//! rehearsal on another major version warns about it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pgstage::sandbox::{self, ServerBinaries};

use crate::support::{Template, fresh_db, root, server};

fn pgstage(args: &[&str], state: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(args)
        .current_dir(root())
        .env("PGSTAGE_STATE_DIR", state)
        .env("PGSTAGE_BASELINE_CACHE", "off")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pgstage-versions-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binaries of the tests' own server, and its version as the server says it.
async fn harness_server() -> (ServerBinaries, String) {
    let server = server().await;
    let binaries = server.sandbox().expect("these tests need the harness's sandbox (not PGSTAGE_TEST_URL)").binaries().clone();
    let version: String = server.admin().await.query_one("SHOW server_version", &[]).await.unwrap().get(0);
    (binaries, version.split_whitespace().next().unwrap().to_owned())
}

#[tokio::test]
async fn sandbox_lists_the_versions_found_and_refuses_one_not_found() {
    let (binaries, version) = harness_server().await;
    let state = temp_dir("list");
    let out = pgstage(&["sandbox", "--list-versions"], &state);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let line = all.lines().find(|l| l.ends_with(&format!(" {}", binaries.dir.display()))).unwrap_or_else(|| panic!("{all}"));
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>()[..],
        ["*", &binaries.major.to_string(), &version, &binaries.dir.display().to_string()][..]
    );
    let out = pgstage(&["sandbox", "--pg-version", "9"], &state);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains(&format!("no PostgreSQL 9 server binaries found (found: PostgreSQL {version} (")),
        "{}",
        text(&out)
    );
    // PGSTAGE_PG_BINDIR names exactly the binaries to use: never another server instead.
    let out = Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["sandbox", "--list-versions"])
        .env("PGSTAGE_PG_BINDIR", "/nonexistent/pg/bin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("pgstage: /nonexistent/pg/bin holds no usable PostgreSQL server: no initdb and postgres there"));
    let out = pgstage(&["run", "plans/week2_staging.ron", "--db", "host=/nonexistent", "--pg-version", "17"], &state);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("choose the sandbox's server: not with --db"), "{}", text(&out));
    std::fs::remove_dir_all(&state).unwrap();
}

/// A sandbox run on `major`: its output, and its report (JSON, and Markdown rendered from it).
fn rehearse(major: u32, state: &Path) -> (String, String, serde_json::Value) {
    let (md, json) = (state.join("rehearsal.md"), state.join("rehearsal.json"));
    let major = major.to_string();
    let args =
        ["run", "plans/week2_staging.ron", "--sandbox", "--pg-version", &major, "--ack-all", "--report", json.to_str().unwrap()];
    let out = pgstage(&args, state);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let text_json = std::fs::read_to_string(&json).unwrap();
    let result: pgstage::run_result::RunResult = serde_json::from_str(&text_json).unwrap();
    pgstage::report::write(&result, &md).unwrap();
    (text(&out), std::fs::read_to_string(&md).unwrap(), serde_json::from_str(&text_json).unwrap())
}

#[tokio::test]
async fn a_sandbox_run_states_its_version_and_a_staging_run_after_it_on_another_major_warns() {
    let (binaries, _) = harness_server().await;
    let state = temp_dir("rehearsal");
    // Rehearse on another major version than the harness's server, the "staging" here. With
    // one version only on this machine, the rehearsal's record is moved to another one.
    let (other, moved) = match sandbox::installed().into_iter().find(|b| b.major != binaries.major) {
        Some(other) => (other, false),
        None => (binaries.clone(), true),
    };
    let (out, md, json) = rehearse(other.major, &state);
    let other = if moved {
        let record = state.join("rehearsals.json");
        let text = std::fs::read_to_string(&record).unwrap();
        let text = text.replace(&format!("\"major\": {}", other.major), &format!("\"major\": {}", other.major + 1));
        std::fs::write(&record, text.replace(other.number(), "99.1")).unwrap();
        ServerBinaries { major: other.major + 1, version: "postgres (PostgreSQL) 99.1".into(), ..other }
    } else {
        other
    };
    if !moved {
        assert!(out.contains(&format!("sandbox: {other}, chosen by --pg-version {}", other.major)), "{out}");
        let sandbox_line = format!(
            "(sandbox: a throwaway local cluster, not staging; PostgreSQL {} from {})",
            other.number(),
            other.dir.display()
        );
        assert!(md.contains(&sandbox_line), "{md}");
        assert_eq!(json["sandbox"]["major"], other.major);
        assert!(json["server_version"].as_str().unwrap().starts_with(other.number()), "{json}");
    }
    assert!(out.contains(&format!("rehearsal recorded in {}", state.join("rehearsals.json").display())), "{out}");

    // The same plan on a database of the harness's server.
    let db = fresh_db(Template::Baseline).await;
    let config = db.config();
    let tokio_postgres::config::Host::Unix(host) = &config.get_hosts()[0] else { panic!("the harness listens on a socket") };
    let conninfo = format!("host={} port={} user=postgres dbname={}", host.display(), config.get_ports()[0], db.name);
    let report = state.join("staging.md");
    let out = pgstage(
        &["run", "plans/week2_staging.ron", "--db", &conninfo, "--ack-all", "--report", report.to_str().unwrap()],
        &state,
    );
    let all = text(&out);
    let warning = format!("WARNING: this plan was rehearsed on PostgreSQL {} (sandbox run ", other.number());
    assert!(all.contains(&warning), "{all}");
    assert!(all.contains(&format!("but this server runs PostgreSQL {}", binaries.major)), "{all}");
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains("| **Rehearsal** | sandbox run "), "{md}");
    assert!(md.contains(&warning), "{md}");
    assert!(!md.contains("throwaway local cluster"), "a database is no sandbox: {md}");

    // Rehearsed on the same major version: said, no warning.
    let (_, _, json) = rehearse(binaries.major, &state);
    let db = fresh_db(Template::Baseline).await;
    let conninfo = format!("host={} port={} user=postgres dbname={}", host.display(), config.get_ports()[0], db.name);
    let out = pgstage(&["run", "plans/week2_staging.ron", "--db", &conninfo, "--ack-all"], &state);
    let all = text(&out);
    assert!(all.contains(&format!("rehearsal: sandbox run {} on PostgreSQL", json["run_id"].as_str().unwrap())), "{all}");
    assert!(all.contains("the same major version") && !all.contains("WARNING: this plan was rehearsed"), "{all}");
    std::fs::remove_dir_all(&state).unwrap();
}
