//! The test harness: one PostgreSQL server per test binary (a sandbox, or the server at
//! `PGSTAGE_TEST_URL` when set) and a fresh database per test, cloned from a template that
//! already holds the bundled plan's baseline. Test databases are dropped when the test ends.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use pgstage::db;
use pgstage::plan::{self, LoadedPlan};
use pgstage::sandbox::{self, Sandbox, SandboxOptions};
use tokio::sync::OnceCell;
use tokio_postgres::Client;

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn path(relative: &str) -> PathBuf {
    root().join(relative)
}

/// The bundled Week 2 plan, loaded and validated.
pub fn week2_plan() -> LoadedPlan {
    plan::load(&path("plans/week2_staging.ron")).expect("the bundled plan loads")
}

enum Backend {
    Sandbox(Sandbox),
    External(tokio_postgres::Config),
}

/// The server all tests of this binary share.
pub struct Server {
    backend: Backend,
    /// A database holding the baseline, used as the template of [`Template::Baseline`].
    baseline_template: String,
}

static SERVER: OnceCell<Server> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Server {
    pub fn config(&self, dbname: &str) -> tokio_postgres::Config {
        match &self.backend {
            Backend::Sandbox(s) => s.config(dbname),
            Backend::External(c) => {
                let mut c = c.clone();
                c.dbname(dbname);
                c
            }
        }
    }

    pub fn sandbox(&self) -> Option<&Sandbox> {
        match &self.backend {
            Backend::Sandbox(s) => Some(s),
            Backend::External(_) => None,
        }
    }
}

pub async fn server() -> &'static Server {
    SERVER
        .get_or_init(|| async {
            let backend = match std::env::var("PGSTAGE_TEST_URL") {
                Ok(url) => Backend::External(url.parse().expect("PGSTAGE_TEST_URL is a valid connection string")),
                Err(_) => Backend::Sandbox(
                    tokio::task::spawn_blocking(|| Sandbox::start(&SandboxOptions::default()))
                        .await
                        .unwrap()
                        .unwrap_or_else(|e| panic!("{e}")),
                ),
            };
            let baseline_template = unique_name("tpl_baseline");
            let server = Server { backend, baseline_template };
            let admin = server.admin().await;
            announce(&server, &admin).await;
            db::create_database(&admin, &server.baseline_template, None).await.unwrap();
            let client = db::connect_config(&server.config(&server.baseline_template)).await.unwrap();
            sandbox::seed_baseline(&client, &week2_plan()).await.unwrap_or_else(|e| panic!("{e}"));
            register_template_cleanup(&server);
            server
        })
        .await
}

/// Say which server the tests run on, once per test binary, on stderr past the test
/// harness's capture (`scripts/test` prints it in the version matrix's summary).
async fn announce(server: &Server, admin: &Client) {
    use std::io::Write;
    let version: String = admin.query_one("SELECT version()", &[]).await.unwrap().get(0);
    let from = match server.sandbox() {
        Some(s) => format!("sandbox from {}", s.binaries().dir.display()),
        None => "PGSTAGE_TEST_URL".to_owned(),
    };
    let _ = writeln!(std::io::stderr(), "test server: {} ({from})", version.split(" on ").next().unwrap_or(&version));
}

impl Server {
    /// A connection to the maintenance database.
    pub async fn admin(&self) -> Client {
        db::connect_config(&self.config("postgres")).await.unwrap()
    }
}

fn unique_name(what: &str) -> String {
    format!("pgstage_test_{what}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// What a fresh test database starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Empty,
    /// The bundled plan's baseline (Week 1 schema and sample data).
    Baseline,
    /// The baseline plus `public.big_items`: 1,000,000 rows (id, v, note, label; a primary key
    /// on id; note and label nullable but never NULL), analyzed, so that what a statement costs under a lock is
    /// real time. Built once per test binary, on first use.
    Big,
    /// The baseline plus the lock rules' catalogue schema
    /// (`pgstage::findings::catalogue::BASELINE`: tables of 10,000 rows), analyzed. Built once
    /// per test binary, on first use.
    Rules,
}

/// Rows of `public.big_items` in [`Template::Big`].
pub const BIG_ROWS: i64 = 1_000_000;

static BIG_TEMPLATE: OnceCell<String> = OnceCell::const_new();
static RULES_TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn rules_template(server: &'static Server) -> &'static str {
    RULES_TEMPLATE
        .get_or_init(|| async {
            let name = unique_name("tpl_rules");
            let admin = server.admin().await;
            db::create_database(&admin, &name, Some(&server.baseline_template)).await.unwrap_or_else(|e| panic!("{e}"));
            let client = db::connect_config(&server.config(&name)).await.unwrap();
            client.batch_execute(pgstage::findings::catalogue::BASELINE).await.unwrap_or_else(|e| panic!("{e}"));
            client.batch_execute("VACUUM ANALYZE").await.unwrap();
            register_cleanup(server, &name);
            name
        })
        .await
}

async fn big_template(server: &'static Server) -> &'static str {
    BIG_TEMPLATE
        .get_or_init(|| async {
            let name = unique_name("tpl_big");
            let admin = server.admin().await;
            db::create_database(&admin, &name, Some(&server.baseline_template)).await.unwrap_or_else(|e| panic!("{e}"));
            let client = db::connect_config(&server.config(&name)).await.unwrap();
            client
                .batch_execute(&format!(
                    "CREATE TABLE public.big_items (id bigint PRIMARY KEY, v bigint NOT NULL, note text, label text);
                     INSERT INTO public.big_items SELECT g, g, 'item ' || g, 'L' || g FROM generate_series(1, {BIG_ROWS}) g;"
                ))
                .await
                .unwrap();
            client.batch_execute("VACUUM ANALYZE public.big_items").await.unwrap();
            register_cleanup(server, &name);
            name
        })
        .await
}

/// A database of its own for one test; dropped (forcefully) when this value is.
pub struct TestDb {
    pub name: String,
    pub client: Client,
    config: tokio_postgres::Config,
    admin: tokio_postgres::Config,
}

impl TestDb {
    pub fn config(&self) -> tokio_postgres::Config {
        self.config.clone()
    }
}

pub async fn fresh_db(template: Template) -> TestDb {
    let server = server().await;
    let name = unique_name("db");
    let admin = server.admin().await;
    let template_name = match template {
        Template::Empty => None,
        Template::Baseline => Some(server.baseline_template.as_str()),
        Template::Big => Some(big_template(server).await),
        Template::Rules => Some(rules_template(server).await),
    };
    db::create_database(&admin, &name, template_name).await.unwrap_or_else(|e| panic!("{e}"));
    let config = server.config(&name);
    let client = db::connect_config(&config).await.unwrap();
    TestDb { name, client, config, admin: server.config("postgres") }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop_database_blocking(self.admin.clone(), self.name.clone());
    }
}

/// Drop a database from a thread of its own (Drop cannot await, and may run inside a runtime).
fn drop_database_blocking(admin: tokio_postgres::Config, name: String) {
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            if let Ok(client) = db::connect_config(&admin).await {
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db::quote_ident(&name))).await;
            }
        });
    })
    .join();
}

/// The shared server lives in a static, which is never dropped: drop the template databases
/// at exit when the server is external (a sandbox deletes itself at exit).
fn register_template_cleanup(server: &Server) {
    register_cleanup(server, &server.baseline_template);
}

fn register_cleanup(server: &Server, template: &str) {
    static TEMPLATES: std::sync::Mutex<Vec<(tokio_postgres::Config, String)>> = std::sync::Mutex::new(Vec::new());
    if server.sandbox().is_some() {
        return;
    }
    let mut templates = TEMPLATES.lock().unwrap();
    templates.push((server.config("postgres"), template.to_owned()));
    extern "C" fn at_exit() {
        for (admin, name) in TEMPLATES.lock().map(|t| t.clone()).unwrap_or_default() {
            drop_database_blocking(admin, name);
        }
    }
    if templates.len() == 1 {
        // SAFETY: registering a plain extern "C" fn, once.
        unsafe { libc::atexit(at_exit) };
    }
}

/// The connected server's `server_version_num` (e.g. 180004), for tests of what differs
/// between versions.
pub async fn server_version_num(client: &Client) -> i32 {
    client.query_one("SELECT current_setting('server_version_num')::int", &[]).await.unwrap().get(0)
}

/// Apply SQL files in order, each in one round trip; panics with the error (file:line:col).
pub async fn apply(client: &Client, files: &[PathBuf]) {
    for file in files {
        db::run_script_file(client, file).await.unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The bundled plan's Week 2 migration files, 013 to 017.
pub fn week2_files() -> Vec<PathBuf> {
    let plan = week2_plan();
    plan.plan.migrations.iter().map(|m| plan.resolve(&m.file)).collect()
}

/// Write `loaded`'s plan into a directory of its own under the temp dir, every path made
/// absolute (so the file loads from anywhere, e.g. in a `pgstage` child process). Returns the
/// plan file; remove its directory when done.
pub fn write_plan(loaded: &LoadedPlan, what: &str) -> PathBuf {
    let mut plan = loaded.plan.clone();
    for m in &mut plan.migrations {
        m.file = loaded.resolve(&m.file);
    }
    plan.baseline.migrations = loaded.baseline_scripts();
    plan.baseline.sample_data = None;
    if let Some(r) = &mut plan.rollback {
        r.script = loaded.resolve(&r.script);
    }
    let dir = std::env::temp_dir().join(format!("pgstage-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{what}.ron"));
    std::fs::write(&file, ron::ser::to_string_pretty(&plan, Default::default()).unwrap()).unwrap();
    file
}

/// Poll `sql` (a count) on `client` until it returns `want`; panics with `what` after `limit`.
pub async fn wait_for_count(client: &Client, sql: &str, want: i64, limit: std::time::Duration, what: &str) {
    let started = std::time::Instant::now();
    loop {
        let n: i64 = client.query_one(sql, &[]).await.unwrap().get(0);
        if n == want {
            return;
        }
        assert!(started.elapsed() < limit, "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
