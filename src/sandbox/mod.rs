//! The sandbox: a throwaway PostgreSQL cluster started from the system's server binaries,
//! in a temporary directory, listening on a unix socket there and on 127.0.0.1, run as an
//! unprivileged user when pgstage runs as root, and stopped and deleted when dropped.
//!
//! Nobody but its owner gets in: the directory (socket, data, log) is 0700, enterable by the
//! owner and the server's user only, so the socket can stay `trust`; TCP (only when asked
//! for) requires scram-sha-256 with a password made for this sandbox ([`secret`]), handed to
//! the owner in a 0600 `pgpass` file in that directory.
//!
//! The server binaries are the first found, a given major version, or a given directory
//! ([`ServerChoice`]; [`installed`] lists them). It is pgstage's embedded default target (rehearse a whole plan on any workstation) and
//! the test harness's server. [`Sandbox::seed`] builds a plan's baseline in a database.

mod baseline_cache;
mod binaries;
mod cleanup;
pub mod clone;
pub mod dump_tools;
pub mod progress;
mod secret;
mod warm;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use baseline_cache::{CACHE_VAR, CacheError};
pub use binaries::{BINDIR_VAR, INSTALL_HINT, MIN_MAJOR, ServerBinaries, ServerChoice, installed};
pub use cleanup::{install_signal_handler, on_signal, stop_all};
pub use progress::{CloneStep, StartStep};
pub use warm::BaselineSource;

use crate::db;
use crate::db::conninfo::Secret;
use crate::plan::LoadedPlan;

/// Why a sandbox could not be started or seeded.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(
        "no PostgreSQL server binaries (initdb, postgres; version {MIN_MAJOR}+) found{}; searched: {}; {INSTALL_HINT}",
        if too_old.is_empty() { String::new() } else { format!(" (too old: {})", too_old.join(", ")) },
        searched.join(", ")
    )]
    NoServerBinaries { searched: Vec<String>, too_old: Vec<String> },
    #[error("{dir} holds no usable PostgreSQL server: {reason}; {INSTALL_HINT}")]
    NotServerBinaries { dir: String, reason: String },
    #[error(
        "no PostgreSQL {major} server binaries found (found: {}); {INSTALL_HINT}",
        if found.is_empty() { "none".to_owned() } else { found.join(", ") }
    )]
    VersionNotFound { major: u32, found: Vec<String> },
    #[error("sandbox: {action}: {source}")]
    Io { action: String, source: std::io::Error },
    #[error("sandbox: initdb failed ({status}):\n{output}")]
    Initdb { status: ExitStatus, output: String },
    #[error("sandbox: the server did not become ready within {waited:?}; its log ends with:\n{log}")]
    NotReady { waited: Duration, log: String },
    #[error("sandbox: the server exited during start-up ({status}); its log ends with:\n{log}")]
    Exited { status: String, log: String },
    #[error("sandbox: no unprivileged user to run the server as (running as root; tried `postgres` and `nobody`)")]
    NoUnprivilegedUser,
    #[error("sandbox: seeding the baseline: {0}")]
    Seed(#[from] db::DbError),
    #[error("sandbox: {0}")]
    Cache(#[from] CacheError),
    #[error("cloning staging's schema: {0}")]
    Clone(String),
}

fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> SandboxError {
    move |source| SandboxError::Io { action: action.into(), source }
}

/// How to start a sandbox.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// Also listen on 127.0.0.1 (on a free port), with scram-sha-256 and the sandbox's own
    /// password ([`Sandbox::password`], [`Sandbox::passfile`]); the unix socket is always there.
    pub tcp: bool,
    /// Where to create the cluster's directory; default: the system temp dir (or /tmp when
    /// that path is too long for a unix socket).
    pub parent_dir: Option<PathBuf>,
    /// Serve TLS (`ssl=on`) with this certificate and key (TCP only: PostgreSQL never uses
    /// TLS on the unix socket).
    pub tls: Option<TlsFiles>,
    /// Which server binaries to run.
    pub server: ServerChoice,
    /// The baseline cache's directory for [`Sandbox::start_with_baseline`]; default:
    /// `PGSTAGE_BASELINE_CACHE`, or `pgstage/baselines` next to the fetched server binaries.
    pub baseline_cache: Option<PathBuf>,
    /// Told each step of the start as it begins (a window shows them instead of a bare
    /// spinner: initdb and the server's start take seconds).
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<StartStep>>,
}

impl SandboxOptions {
    fn tell(&self, step: StartStep) {
        if let Some(progress) = &self.progress {
            let _ = progress.send(step);
        }
    }
}

/// A server certificate (chain) and its private key, in PEM, for [`SandboxOptions::tls`].
/// Written into the cluster directory as `server.crt` and `server.key` (mode 0600).
#[derive(Clone)]
pub struct TlsFiles {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles").field("cert_pem", &self.cert_pem).field("key_pem", &"<hidden>").finish()
    }
}

/// A running throwaway cluster. Dropping it stops the server and deletes its files.
#[derive(Debug)]
pub struct Sandbox {
    dir: PathBuf,
    port: u16,
    tcp: bool,
    pid: i32,
    binaries: ServerBinaries,
    password: Secret,
    passfile: Option<PathBuf>,
    server: Option<JoinHandle<std::io::Result<ExitStatus>>>,
    /// How long initdb (or the copy of a cached cluster) and the server start took.
    pub startup: Duration,
    /// The baseline cache key of the baseline [`baseline_cache::TEMPLATE_DB`] holds, when the
    /// cluster came from the cache.
    baseline: Option<String>,
    /// The cluster came from the cache and its [`baseline_cache::READY_DB`] is not taken yet.
    ready: AtomicBool,
}

/// The superuser of every sandbox (trust on the unix socket, in a directory only its owner can
/// enter; the sandbox's password on TCP).
pub const SUPERUSER: &str = "postgres";

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Sandbox {
    /// initdb a fresh cluster and start it; returns once it accepts connections.
    pub fn start(options: &SandboxOptions) -> Result<Self, SandboxError> {
        let binaries = binaries::find(&options.server)?;
        Self::start_on(binaries, options, None)
    }

    /// Start on `binaries`: a fresh cluster (initdb), or a copy of the cached cluster
    /// `(cache, key)` ([`SandboxError::Cache`] when that entry is corrupted or missing).
    fn start_on(
        binaries: ServerBinaries,
        options: &SandboxOptions,
        from_cache: Option<(&Path, &str)>,
    ) -> Result<Self, SandboxError> {
        let started = Instant::now();
        let parent = options.parent_dir.clone().unwrap_or_else(default_parent);
        let owner = RunAs::current()?;
        cleanup::sweep_stale(&parent, owner.uid());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("{}{}-{n}", cleanup::DIR_PREFIX, std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io(format!("remove {}", dir.display())))?;
        }
        make_private_dir(&dir, owner)?;
        let result = Self::init_and_run(binaries, dir.clone(), owner, options, started, from_cache);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    }

    fn init_and_run(
        binaries: ServerBinaries,
        dir: PathBuf,
        owner: RunAs,
        options: &SandboxOptions,
        started: Instant,
        from_cache: Option<(&Path, &str)>,
    ) -> Result<Self, SandboxError> {
        let data = dir.join("data");
        // From the cache, the superuser has no password until [`warm`] sets this one.
        let password = secret::generate().map_err(io("read /dev/urandom"))?;
        if let Some((cache, key)) = from_cache {
            options.tell(StartStep::FromCache);
            if !baseline_cache::restore(cache, key, &data, &|path: &Path| match owner {
                RunAs::Me => Ok(()),
                RunAs::User { uid, gid } => std::os::unix::fs::chown(path, Some(uid), Some(gid)),
            })? {
                return Err(CacheError::Corrupt { entry: key.to_owned(), what: "it is gone".into() }.into());
            }
        } else {
            options.tell(StartStep::Initdb);
            Self::initdb(&binaries, &dir, owner, &password)?;
        }
        Self::serve(binaries, dir, owner, options, started, password, from_cache.map(|(_, key)| key.to_owned()))
    }

    fn initdb(binaries: &ServerBinaries, dir: &Path, owner: RunAs, password: &Secret) -> Result<(), SandboxError> {
        let data = dir.join("data");
        // initdb (as the server's user) reads the password from a file only that user can read.
        let pwfile = dir.join("initdb.pw");
        write_private_file(&pwfile, &format!("{}\n", password.expose()), owner)?;
        let mut initdb = Command::new(binaries.initdb());
        initdb
            .args(["-D"])
            .arg(&data)
            .args(["-U", SUPERUSER, "--auth-local=trust", "--auth-host=scram-sha-256"])
            .arg(format!("--pwfile={}", pwfile.display()))
            // WAL segments of 1 MB: a cached cluster's copy holds one segment, not 16 MB of it.
            .args(["--no-sync", "-E", "UTF8", "--locale=C", "--wal-segsize=1"])
            .env("LC_ALL", "C");
        owner.apply(&mut initdb);
        let out = initdb.output();
        std::fs::remove_file(&pwfile).map_err(io(format!("remove {}", pwfile.display())))?;
        let out = out.map_err(io("run initdb"))?;
        if !out.status.success() {
            let output = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
            return Err(SandboxError::Initdb { status: out.status, output });
        }
        Ok(())
    }

    fn serve(
        binaries: ServerBinaries,
        dir: PathBuf,
        owner: RunAs,
        options: &SandboxOptions,
        started: Instant,
        password: Secret,
        baseline: Option<String>,
    ) -> Result<Self, SandboxError> {
        let tcp = options.tcp;
        let mut extra_args = Vec::new();
        if let Some(tls) = &options.tls {
            let cert = dir.join("server.crt");
            let key = dir.join("server.key");
            write_private_file(&cert, &tls.cert_pem, owner)?;
            write_private_file(&key, &tls.key_pem, owner)?;
            for setting in
                ["ssl=on".to_string(), format!("ssl_cert_file={}", cert.display()), format!("ssl_key_file={}", key.display())]
            {
                extra_args.extend(["-c".to_string(), setting]);
            }
        }
        let mut last_error = None;
        options.tell(StartStep::StartServer);
        for _attempt in 0..3 {
            let port = free_port().map_err(io("find a free port"))?;
            match Self::run_server(&binaries, &dir, owner, port, tcp, &extra_args) {
                Ok((pid, server)) => {
                    cleanup::register(cleanup::Live { pid, dir: dir.clone() });
                    let mut sandbox = Self {
                        dir,
                        port,
                        tcp,
                        pid,
                        binaries,
                        password,
                        passfile: None,
                        server: Some(server),
                        startup: Duration::ZERO,
                        ready: AtomicBool::new(baseline.is_some()),
                        baseline: baseline.clone(),
                    };
                    if tcp {
                        // The owner's, not the server user's: created by pgstage, mode 0600.
                        let passfile = sandbox.dir.join("pgpass");
                        secret::write_new_private(&passfile, &secret::passfile_lines(port, SUPERUSER, &sandbox.password))
                            .map_err(io(format!("write {}", passfile.display())))?;
                        sandbox.passfile = Some(passfile);
                    }
                    sandbox.startup = started.elapsed();
                    return Ok(sandbox);
                }
                // Another process took the port between our probe and the server's bind.
                Err(SandboxError::Exited { log, .. }) if log.contains("could not bind") || log.contains("in use") => {
                    last_error = Some(SandboxError::Exited { status: "port taken".into(), log });
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.expect("three attempts"))
    }

    fn run_server(
        binaries: &ServerBinaries,
        dir: &Path,
        owner: RunAs,
        port: u16,
        tcp: bool,
        extra_args: &[String],
    ) -> Result<(i32, JoinHandle<std::io::Result<ExitStatus>>), SandboxError> {
        let data = dir.join("data");
        let log_path = dir.join("server.log");
        let log = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&log_path)
        }
        .map_err(io("create the server log"))?;
        owner.chown(&log_path)?;
        let mut cmd = Command::new(binaries.postgres());
        cmd.arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(dir)
            .args(["-c", &format!("listen_addresses={}", if tcp { "127.0.0.1" } else { "" })])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=200", "-c", "logging_collector=off"])
            .args(extra_args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("open the server log"))?)
            .stderr(log)
            // Not in our process group: a terminal's Ctrl-C reaches pgstage, which stops it.
            .process_group(0);
        owner.apply(&mut cmd);
        // SAFETY: prctl is async-signal-safe; it runs in the child after the uid change (which
        // would otherwise clear it): if pgstage dies, even by SIGKILL, the server shuts down.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT as libc::c_ulong) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        // The parent-death signal fires when the *thread* that spawned the child ends, so the
        // child is spawned by a thread that lives exactly as long as the server.
        let (tx, rx) = std::sync::mpsc::channel();
        let server = std::thread::Builder::new()
            .name(format!("pgstage-sandbox-{port}"))
            .spawn(move || {
                let mut child = match cmd.spawn() {
                    Ok(child) => child,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return Err(std::io::Error::other("spawn failed"));
                    }
                };
                let _ = tx.send(Ok(child.id() as i32));
                child.wait()
            })
            .map_err(io("spawn the server thread"))?;
        let pid = rx.recv().map_err(|_| SandboxError::Io {
            action: "start the server".into(),
            source: std::io::Error::other("server thread ended"),
        })?;
        let pid = pid.map_err(io(format!("run {}", binaries.postgres().display())))?;
        let waited = Instant::now();
        let patience = Duration::from_secs(60);
        loop {
            if server.is_finished() {
                let status = match server.join() {
                    Ok(Ok(status)) => status.to_string(),
                    _ => "unknown".to_owned(),
                };
                return Err(SandboxError::Exited { status, log: log_tail(&log_path) });
            }
            if is_ready(&data) {
                return Ok((pid, server));
            }
            if waited.elapsed() > patience {
                cleanup::stop_server(pid, &data);
                return Err(SandboxError::NotReady { waited: patience, log: log_tail(&log_path) });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The socket directory (libpq `host=`).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server also listens on 127.0.0.1.
    pub fn tcp(&self) -> bool {
        self.tcp
    }

    /// The postmaster's process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    pub fn binaries(&self) -> &ServerBinaries {
        &self.binaries
    }

    /// What a run result says about this sandbox.
    pub fn info(&self) -> crate::run_result::SandboxInfo {
        crate::run_result::SandboxInfo {
            version: self.binaries.number().to_owned(),
            major: self.binaries.major,
            bindir: self.binaries.dir.display().to_string(),
        }
    }

    /// A tokio-postgres configuration for `dbname` over the unix socket.
    pub fn config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config.host_path(&self.dir).port(self.port).user(SUPERUSER).dbname(dbname).application_name("pgstage");
        config
    }

    /// A libpq connection string for `dbname` over the unix socket (for psql and for display;
    /// no password: only the owner can enter the socket's directory).
    pub fn conninfo(&self, dbname: &str) -> String {
        format!("host={} port={} user={SUPERUSER} dbname={dbname}", self.dir.display(), self.port)
    }

    /// A libpq connection string for `dbname` over TCP, without the password (it is in
    /// [`Sandbox::passfile`]); `None` when the sandbox does not listen on TCP.
    pub fn tcp_conninfo(&self, dbname: &str) -> Option<String> {
        self.tcp.then(|| format!("host=127.0.0.1 port={} user={SUPERUSER} dbname={dbname}", self.port))
    }

    /// The superuser's password, made for this sandbox (required on TCP).
    pub fn password(&self) -> &Secret {
        &self.password
    }

    /// With TCP: a pgpass file (mode 0600, the owner's, in the sandbox's 0700 directory)
    /// holding the password, for `PGPASSFILE=…`; deleted with the sandbox.
    pub fn passfile(&self) -> Option<&Path> {
        self.passfile.as_deref()
    }

    /// Create database `dbname` and build `plan`'s baseline in it.
    /// From the cached baseline when the cluster holds this plan's (a copy of its template
    /// database, as seeded by the scripts).
    pub async fn seed(&self, plan: &LoadedPlan, dbname: &str) -> Result<Duration, SandboxError> {
        let started = Instant::now();
        let admin = db::connect_config(&self.config("postgres")).await?;
        if let Some(key) = &self.baseline
            && *key == baseline_cache::key(&self.binaries, plan)?
        {
            if self.ready.swap(false, Ordering::Relaxed) {
                warm::take_ready_copy(&admin, dbname).await?;
            } else {
                warm::create_from_template(&admin, self.binaries.major, dbname).await?;
            }
            return Ok(started.elapsed());
        }
        db::create_database(&admin, dbname, None).await?;
        drop(admin);
        let client = db::connect_config(&self.config(dbname)).await?;
        seed_baseline(&client, plan).await?;
        Ok(started.elapsed())
    }

    /// Stop the server and delete the cluster now (dropping does the same).
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Stop the server and return the cluster's directory, left in place for the caller.
    fn stop_keeping_files(mut self) -> PathBuf {
        self.stop_server();
        std::mem::take(&mut self.dir)
    }

    fn shutdown(&mut self) {
        if self.stop_server() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// Stop the server (once): whether it was running.
    fn stop_server(&mut self) -> bool {
        let Some(server) = self.server.take() else { return false };
        cleanup::unregister(self.pid);
        cleanup::stop_server(self.pid, &self.dir.join("data"));
        // The thread ends when the server process does; never wait forever on a stuck one.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !server.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if server.is_finished() {
            let _ = server.join();
        }
        true
    }
}

/// Build `plan`'s baseline in the connected database: its baseline migrations, then its
/// sample data, each file in one round trip; then `ANALYZE`, so that the baseline has the
/// statistics a staging has (autovacuum keeps them there): row estimates for the findings,
/// and plans in the performance checks, read as they would on staging.
///
/// The session's own row counts reach the cumulative statistics at most once a second (every
/// half second on 14): sent after the `ANALYZE`, they would count every seeded row again
/// (twice the rows live, as many changed since the ANALYZE: statistics that look stale). They
/// are sent first: on 15 and later by asking for it, on 14 by letting the half second pass.
pub async fn seed_baseline(client: &tokio_postgres::Client, plan: &LoadedPlan) -> Result<(), SandboxError> {
    for script in plan.baseline_scripts() {
        db::run_script_file(client, &script).await?;
    }
    let version = client.query_one("SELECT current_setting('server_version_num')::int", &[]).await.map_err(db::DbError::query)?;
    let flush = match version.get::<_, i32>(0) {
        150_000.. => "SELECT pg_catalog.pg_stat_force_next_flush()",
        _ => "SELECT pg_catalog.pg_sleep(0.6)",
    };
    client.batch_execute(flush).await.map_err(db::DbError::query)?;
    client.batch_execute("ANALYZE").await.map_err(db::DbError::query)?;
    Ok(())
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn default_parent() -> PathBuf {
    let tmp = std::env::temp_dir();
    // Room for "/pgstage-sandbox-<pid>-<n>/.s.PGSQL.<port>" within the ~107-byte socket limit.
    if tmp.as_os_str().len() > 60 { PathBuf::from("/tmp") } else { tmp }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn is_ready(data: &Path) -> bool {
    // Line 8 of postmaster.pid is the status; "ready" is what `pg_ctl -w` waits for.
    std::fs::read_to_string(data.join("postmaster.pid"))
        .is_ok_and(|pid| pid.lines().nth(7).is_some_and(|status| status.trim() == "ready"))
}

fn log_tail(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Write `contents` to `path` with mode 0600, owned by the server's user.
fn write_private_file(path: &Path, contents: &str, owner: RunAs) -> Result<(), SandboxError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io(format!("create {}", path.display())))?;
    file.write_all(contents.as_bytes()).map_err(io(format!("write {}", path.display())))?;
    owner.chown(path)
}

fn make_private_dir(dir: &Path, owner: RunAs) -> Result<(), SandboxError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(dir).map_err(io(format!("create {}", dir.display())))?;
    owner.chown(dir)
}

/// Who the server runs as: ourselves, or (when we are root) an unprivileged account.
#[derive(Debug, Clone, Copy)]
enum RunAs {
    Me,
    User { uid: u32, gid: u32 },
}

impl RunAs {
    fn current() -> Result<Self, SandboxError> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(RunAs::Me);
        }
        ["postgres", "nobody"]
            .iter()
            .find_map(|name| lookup_user(name))
            .map(|(uid, gid)| RunAs::User { uid, gid })
            .ok_or(SandboxError::NoUnprivilegedUser)
    }

    /// The uid the server runs as.
    fn uid(self) -> u32 {
        match self {
            // SAFETY: geteuid has no preconditions.
            RunAs::Me => unsafe { libc::geteuid() },
            RunAs::User { uid, .. } => uid,
        }
    }

    fn apply(self, cmd: &mut Command) {
        if let RunAs::User { uid, gid } = self {
            cmd.uid(uid).gid(gid);
        }
    }

    fn chown(self, path: &Path) -> Result<(), SandboxError> {
        match self {
            RunAs::Me => Ok(()),
            RunAs::User { uid, gid } => {
                std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(io(format!("chown {}", path.display())))
            }
        }
    }
}

/// uid and gid of a passwd entry (initdb needs the uid to have one).
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam returns a pointer into static storage or null; we copy two integers out
    // immediately. Only called from `start`, never concurrently with another getpw* here.
    unsafe {
        let pw = libc::getpwnam(name.as_ptr());
        (!pw.is_null()).then(|| ((*pw).pw_uid, (*pw).pw_gid))
    }
}
