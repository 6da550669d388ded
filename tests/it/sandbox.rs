//! The sandbox: starts from the system binaries, serves connections to its owner only, and
//! leaves nothing behind when dropped, when its process gets Ctrl-C, or when its process is
//! killed.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
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

/// `pgstage sandbox` running as a child process, with its socket directory once seeded, and
/// the lines it printed up to then.
struct SandboxProcess {
    child: Child,
    socket_dir: PathBuf,
    printed: Vec<String>,
}

/// A test that fails leaves no `pgstage sandbox` running (it would hold the test's output open).
impl Drop for SandboxProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
            let _ = self.child.wait();
        }
    }
}

/// `tmp` becomes the child's TMPDIR: its sandbox lives there, away from other tests' sweeps.
fn spawn_cli_sandbox(tmp: &Path) -> SandboxProcess {
    std::fs::create_dir_all(tmp).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .arg("sandbox")
        .current_dir(root())
        .env("TMPDIR", tmp)
        .env("PGSTAGE_BASELINE_CACHE", tmp.join("cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut socket_dir = None;
    let mut printed = Vec::new();
    for line in stdout.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("connect: psql \"host=") {
            socket_dir = Some(PathBuf::from(rest.split_whitespace().next().unwrap()));
        }
        let last = line.starts_with("Ctrl-C stops");
        printed.push(line);
        if last {
            break;
        }
    }
    let socket_dir = socket_dir.unwrap_or_else(|| panic!("pgstage sandbox printed its connection string: {printed:#?}"));
    // Keep reading, so that the child never writes into a closed pipe.
    std::thread::spawn(move || stdout.for_each(drop));
    SandboxProcess { child, socket_dir, printed }
}

/// Stop a `pgstage sandbox` child as Ctrl-C does, and wait for it.
fn interrupt(p: &mut SandboxProcess) -> std::process::ExitStatus {
    // SAFETY: signalling our own child.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGINT) };
    p.child.wait().unwrap()
}

#[test]
fn ctrl_c_stops_and_deletes_the_sandbox() {
    let tmp = PathBuf::from(format!("/tmp/pgstage-it-{}-int", std::process::id()));
    let mut p = spawn_cli_sandbox(&tmp);
    assert!(p.socket_dir.starts_with(&tmp));
    let server = postmaster_pid(&p.socket_dir);
    assert!(alive(server));
    let status = interrupt(&mut p);
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

/// The second OS user of [`no_other_user_gets_into_a_pgstage_sandbox`]: (uid, gid), created
/// when missing (run as root).
fn other_user() -> (u32, u32) {
    const NAME: &str = "pgstage_other";
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, NAME]).output().unwrap();
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().unwrap())
    };
    if id("-u").is_none() {
        // Another test run may make it at the same time: only its existence counts.
        let _ = Command::new("useradd").args(["--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", NAME]).status();
    }
    let (uid, gid) = (id("-u").expect("useradd made pgstage_other"), id("-g").unwrap());
    assert!(uid != 0 && gid != 0, "pgstage_other is unprivileged");
    (uid, gid)
}

/// `psql -c 'SELECT current_user'` on `conninfo`, never prompting, with exactly `env` (no
/// PG* variables, no home directory: no ~/.pgpass), as `user` (uid, gid) or as ourselves:
/// what it printed, or its error.
fn psql(conninfo: &str, env: &[(&str, &str)], user: Option<(u32, u32)>) -> Result<String, String> {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-w", "-A", "-t", "-c", "SELECT current_user", conninfo])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .envs(env.iter().copied())
        .current_dir("/");
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run psql (install postgresql-client): {e}"));
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    if out.status.success() { Ok(text(&out.stdout)) } else { Err(text(&out.stderr)) }
}

/// A second, unprivileged OS user reaches neither the unix socket nor the TCP port of a
/// `pgstage sandbox` (without a password, with a wrong one, with the owner's password file);
/// the owner connects with the lines pgstage printed, which hold no password. As root only:
/// making a user and acting as it needs root.
#[test]
fn no_other_user_gets_into_a_pgstage_sandbox() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!(
            "skipped no_other_user_gets_into_a_pgstage_sandbox: it creates a second OS user and runs psql as it, which needs root"
        );
        return;
    }
    let other = other_user();
    let tmp = PathBuf::from(format!("/tmp/pgstage-it-{}-other", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // Open to all, so that only the sandbox's own directory stands in the other user's way.
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut p = spawn_cli_sandbox(&tmp);
    let printed = p.printed.join("\n");
    let socket = p.printed.iter().find_map(|l| l.strip_prefix("connect: psql ")).expect("the socket line").trim_matches('"');
    let (passfile, tcp) = p
        .printed
        .iter()
        .find_map(|l| l.trim_start().strip_prefix("or: PGPASSFILE=")?.split_once(" psql "))
        .unwrap_or_else(|| panic!("the TCP line: {printed}"));
    let tcp = tcp.trim_matches('"');
    assert!(tcp.starts_with("host=127.0.0.1 port="), "{tcp}");

    // The password file is the owner's alone, in the sandbox's directory, and nothing printed
    // holds the password.
    let dir = std::fs::metadata(&p.socket_dir).unwrap();
    assert_eq!(dir.permissions().mode() & 0o777, 0o700, "the socket's directory");
    let file = std::fs::metadata(passfile).unwrap();
    assert_eq!((file.permissions().mode() & 0o777, file.uid()), (0o600, 0), "{passfile}");
    assert!(Path::new(passfile).starts_with(&p.socket_dir));
    let password = std::fs::read_to_string(passfile).unwrap().lines().next().unwrap().rsplit(':').next().unwrap().to_owned();
    assert_eq!(password.len(), 48);
    assert!(!printed.contains(&password), "the password is printed: {printed}");

    // The owner gets in with what was printed.
    assert_eq!(psql(socket, &[], None).as_deref(), Ok("postgres"), "over the socket");
    assert_eq!(psql(tcp, &[("PGPASSFILE", passfile)], None).as_deref(), Ok("postgres"), "over TCP");
    assert!(psql(tcp, &[], None).is_err(), "TCP without the password file");

    // The other user does not.
    let denied = |conninfo: &str, env: &[(&str, &str)], says: &str| {
        let err =
            psql(conninfo, env, Some(other)).map(|user| panic!("pgstage_other connected as {user} with {conninfo} {env:?}"));
        let err = err.unwrap_err();
        assert!(err.contains(says), "{says}: {err}");
    };
    denied(socket, &[], "Permission denied");
    denied(tcp, &[], "no password supplied");
    denied(tcp, &[("PGPASSWORD", "postgres")], "password authentication failed");
    denied(tcp, &[("PGPASSFILE", passfile)], "no password supplied");

    assert_eq!(interrupt(&mut p).code(), Some(128 + libc::SIGINT));
    assert!(!p.socket_dir.exists(), "the sandbox, its password file with it, is deleted");
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// The `pgstage-sandbox-*` directories in `dir`.
fn sandbox_dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("pgstage-sandbox-"))
        .collect()
}

/// `pgstage run --sandbox` stopped with SIGTERM (as `kill`, systemd or a closed session stop
/// it) in the middle of a migration: the run is cancelled and reported, and neither the
/// sandbox's directory nor its server is left.
#[test]
fn sigterm_during_a_run_leaves_no_sandbox_directory_and_no_server() {
    let tmp = PathBuf::from(format!("/tmp/pgstage-it-{}-term", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let slow = crate::engine::plan_with(|p| {
        p.migrations = vec![crate::engine::migration("900", "tests/fixtures/sql/900_slow.sql")];
        p.preflight.manual.clear();
    });
    let plan = crate::support::write_plan(&slow, "term");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", plan.to_str().unwrap(), "--sandbox"])
        .current_dir(root())
        .env("TMPDIR", &tmp)
        .env("PGSTAGE_BASELINE_CACHE", tmp.join("cache"))
        .env("PGSTAGE_STATE_DIR", tmp.join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in stdout.by_ref() {
        let line = line.unwrap();
        let started = line.starts_with("▶") && line.contains("900");
        printed.push(line);
        if started {
            break;
        }
    }
    let dirs = sandbox_dirs(&tmp);
    assert_eq!(dirs.len(), 1, "one sandbox running: {dirs:?}\n{}", printed.join("\n"));
    let server = postmaster_pid(&dirs[0]);
    assert!(alive(server));
    std::thread::sleep(Duration::from_millis(500)); // into pg_sleep
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    printed.extend(stdout.map_while(Result::ok));
    let status = child.wait().unwrap();
    let printed = printed.join("\n");
    assert!(printed.contains("cancelling"), "{printed}");
    assert_eq!(status.code(), Some(1), "NO-GO: the run was cancelled\n{printed}");
    assert_eq!(sandbox_dirs(&tmp), Vec::<PathBuf>::new(), "the sandbox's directory is deleted");
    assert!(!alive(server), "the server is stopped");
    std::fs::remove_dir_all(&tmp).unwrap();
    std::fs::remove_dir_all(plan.parent().unwrap()).unwrap();
}

/// A sandbox left by a pgstage killed with SIGKILL is swept at the next start, while the
/// sandbox of a pgstage still running, in the same directory, is left alone and still serves.
#[test]
fn the_next_start_sweeps_a_dead_process_sandbox_and_leaves_a_live_one() {
    let tmp = PathBuf::from(format!("/tmp/pgstage-it-{}-sweep", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let mut dead = spawn_cli_sandbox(&tmp);
    let mut live = spawn_cli_sandbox(&tmp);
    let dead_server = postmaster_pid(&dead.socket_dir);
    dead.child.kill().unwrap(); // SIGKILL: no handler runs
    dead.child.wait().unwrap();
    wait_for("the orphaned server to shut down", Duration::from_secs(20), || !alive(dead_server));
    assert!(dead.socket_dir.exists());

    let options = SandboxOptions { parent_dir: Some(tmp.clone()), ..Default::default() };
    let next = Sandbox::start(&options).unwrap_or_else(|e| panic!("{e}"));
    assert!(!dead.socket_dir.exists(), "the dead process's sandbox is swept");
    assert!(live.socket_dir.join("data/PG_VERSION").is_file(), "the live one's files are untouched");
    let socket = live.printed.iter().find_map(|l| l.strip_prefix("connect: psql ")).unwrap().trim_matches('"').to_owned();
    assert_eq!(psql(&socket, &[], None).as_deref(), Ok("postgres"), "the live sandbox still serves");
    drop(next);
    assert_eq!(interrupt(&mut live).code(), Some(128 + libc::SIGINT));
    std::fs::remove_dir_all(&tmp).unwrap();
}
