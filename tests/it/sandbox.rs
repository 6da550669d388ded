//! The sandbox: starts from the system binaries, serves connections, and leaves nothing
//! behind when dropped, when its process gets Ctrl-C, or when its process is killed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pgstage::db;
use pgstage::sandbox::{Sandbox, SandboxOptions};

use crate::support::root;

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn wait_for(what: &str, patience: Duration, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < patience, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn postmaster_pid(socket_dir: &Path) -> i32 {
    let pid = std::fs::read_to_string(socket_dir.join("data/postmaster.pid")).unwrap();
    pid.lines().next().unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn sandbox_serves_and_drop_deletes_it() {
    let sandbox =
        tokio::task::spawn_blocking(|| Sandbox::start(&SandboxOptions { tcp: true, parent_dir: None, ..Default::default() }))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{e}"));
    let dir = sandbox.socket_dir().to_owned();
    let pid = sandbox.pid();
    assert!(dir.join("data/PG_VERSION").is_file());
    assert!(sandbox.binaries().major >= 14);

    // Unix socket and TCP both answer; TCP only with the sandbox's password.
    let client = db::connect_config(&sandbox.config("postgres")).await.unwrap();
    let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    let mut tcp_config: tokio_postgres::Config = sandbox.tcp_conninfo("postgres").unwrap().parse().unwrap();
    let refused = db::connect_config(&tcp_config).await.map(drop).expect_err("no password, no connection");
    assert!(refused.to_string().contains("password"), "{refused}");
    tcp_config.password(sandbox.password().expose());
    let tcp = db::connect_config(&tcp_config).await.unwrap();
    let user: String = tcp.query_one("SELECT current_user", &[]).await.unwrap().get(0);
    assert_eq!(user, "postgres");
    drop((client, tcp));

    tokio::task::spawn_blocking(move || drop(sandbox)).await.unwrap();
    assert!(!dir.exists(), "the cluster directory is deleted");
    assert!(!alive(pid), "the server is stopped");
}

/// `pgstage sandbox` running as a child process, with its socket directory once seeded.
struct SandboxProcess {
    child: Child,
    socket_dir: PathBuf,
}

/// `tmp` becomes the child's TMPDIR: its sandbox lives there, away from other tests' sweeps.
fn spawn_cli_sandbox(tmp: &Path) -> SandboxProcess {
    std::fs::create_dir_all(tmp).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .arg("sandbox")
        .current_dir(root())
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut socket_dir = None;
    for line in stdout.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("connect: psql \"host=") {
            socket_dir = Some(PathBuf::from(rest.split_whitespace().next().unwrap()));
            break;
        }
    }
    let socket_dir = socket_dir.expect("pgstage sandbox printed its connection string");
    // Keep reading, so that the child never writes into a closed pipe.
    std::thread::spawn(move || stdout.for_each(drop));
    SandboxProcess { child, socket_dir }
}

#[test]
fn ctrl_c_stops_and_deletes_the_sandbox() {
    let tmp = PathBuf::from(format!("/tmp/pgstage-it-{}-int", std::process::id()));
    let mut p = spawn_cli_sandbox(&tmp);
    assert!(p.socket_dir.starts_with(&tmp));
    let server = postmaster_pid(&p.socket_dir);
    assert!(alive(server));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGINT) };
    let status = p.child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGINT));
    assert!(!p.socket_dir.exists(), "the cluster directory is deleted");
    wait_for("the server to stop", Duration::from_secs(10), || !alive(server));
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn killed_process_leaves_no_server_and_the_next_start_sweeps_its_files() {
    let tmp = PathBuf::from(format!("/tmp/pgstage-it-{}-kill", std::process::id()));
    let mut p = spawn_cli_sandbox(&tmp);
    let server = postmaster_pid(&p.socket_dir);
    p.child.kill().unwrap(); // SIGKILL: no handler runs
    p.child.wait().unwrap();
    wait_for("the orphaned server to shut down", Duration::from_secs(20), || !alive(server));
    assert!(p.socket_dir.exists(), "nothing could delete the files yet");
    let options = SandboxOptions { tcp: false, parent_dir: Some(tmp.clone()), ..Default::default() };
    let next = Sandbox::start(&options).unwrap_or_else(|e| panic!("{e}"));
    assert!(!p.socket_dir.exists(), "the next start sweeps the stale directory");
    drop(next);
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// The seeded baseline carries statistics, as a staging does (autovacuum analyzes it): every
/// table has a row estimate, the planner's and the findings' figures are the real ones, and no
/// migration has to count rows first.
#[tokio::test]
async fn the_seeded_baseline_has_statistics() {
    let db = crate::support::fresh_db(crate::support::Template::Baseline).await;
    let rows = db
        .client
        .query(
            "SELECT c.relname, c.reltuples::int8 FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 43, "the Week 1 baseline's tables");
    for r in &rows {
        let (table, estimate): (String, i64) = (r.get(0), r.get(1));
        let counted: i64 =
            db.client.query_one(&format!("SELECT count(*) FROM public.{}", db::quote_ident(&table)), &[]).await.unwrap().get(0);
        assert_eq!(estimate, counted, "{table}: never analyzed (-1) or an estimate other than its rows");
    }
}
