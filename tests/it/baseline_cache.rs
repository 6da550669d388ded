//! The baseline cache: a sandbox for a baseline and server already seen starts from a copy of
//! the seeded cluster; a changed baseline file, another server version and a removed cache
//! each build it again; a corrupted entry is found and rebuilt, never used; and a warm start
//! holds exactly the baseline a cold one builds. Every test has a cache directory of its own.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pgstage::db::{self, snapshot::Snapshot};
use pgstage::plan::LoadedPlan;
use pgstage::sandbox::{BaselineSource, Sandbox, SandboxOptions, ServerChoice};

use crate::support::{root, week2_plan};

/// A directory of its own, emptied.
fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pgstage-it-cache-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The bundled plan with a two-file baseline in `dir` (to be changed by the test).
fn small_plan(dir: &Path) -> LoadedPlan {
    let first = dir.join("001_a.sql");
    let second = dir.join("002_b.sql");
    std::fs::write(&first, "CREATE TABLE public.a (id int PRIMARY KEY);\nINSERT INTO public.a SELECT generate_series(1, 50);\n")
        .unwrap();
    std::fs::write(&second, "CREATE TABLE public.b (id int PRIMARY KEY, a_id int REFERENCES public.a);\n").unwrap();
    let mut plan = week2_plan();
    plan.plan.baseline.migrations = vec![first, second];
    plan.plan.baseline.sample_data = None;
    plan
}

/// Start a sandbox on `server` with `plan`'s baseline from `cache`, seed `db` and give back
/// where the baseline came from and the tables of `db`'s public schema.
async fn start(cache: &Path, server: ServerChoice, plan: &LoadedPlan) -> (BaselineSource, Vec<String>, String) {
    let options = SandboxOptions { server, baseline_cache: Some(cache.to_owned()), ..Default::default() };
    let (sandbox, source) = Sandbox::start_with_baseline(&options, plan).await.unwrap_or_else(|e| panic!("{e}"));
    sandbox.seed(plan, "run").await.unwrap_or_else(|e| panic!("{e}"));
    let client = db::connect_config(&sandbox.config("run")).await.unwrap();
    let tables = client
        .query("SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let version: String = client.query_one("SHOW server_version", &[]).await.unwrap().get(0);
    drop(client);
    tokio::task::spawn_blocking(move || drop(sandbox)).await.unwrap();
    (source, tables, version)
}

/// The entries (key directories) of `cache`.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Every directory of `dir` is 0700 and every file 0600.
fn assert_private(dir: &Path) {
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    for item in std::fs::read_dir(dir).unwrap() {
        let path = item.unwrap().path();
        if path.is_dir() {
            assert_private(&path);
        } else {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
}

/// Another major version than the default server's, fetched (`scripts/pg-binaries/fetch`):
/// 14, or 18 when the default is 14; its major and bin directory.
fn other_version() -> (u32, PathBuf) {
    let default = ServerChoice::Default.find().unwrap_or_else(|e| panic!("{e}")).major;
    let major = if default == 14 { 18 } else { 14 };
    let out = Command::new(root().join("scripts/pg-binaries/fetch")).arg(major.to_string()).output().unwrap();
    assert!(out.status.success(), "scripts/pg-binaries/fetch {major}: {}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    (major, PathBuf::from(line.split_whitespace().nth(1).expect("`<major> <bin dir>`")))
}

#[tokio::test]
async fn the_cache_is_used_for_the_same_baseline_and_rebuilt_when_a_file_the_server_or_the_directory_changes() {
    let dir = scratch("rebuild");
    let cache = dir.join("cache");
    let plan = small_plan(&dir);
    let default = ServerChoice::Default;

    let (first, tables, _) = start(&cache, default.clone(), &plan).await;
    assert_eq!((first, tables), (BaselineSource::Built, vec!["a".to_owned(), "b".to_owned()]));
    assert_eq!(entries(&cache).len(), 1);
    assert_private(&cache);
    let (again, tables, _) = start(&cache, default.clone(), &plan).await;
    assert_eq!((again, tables), (BaselineSource::Cache, vec!["a".to_owned(), "b".to_owned()]));

    // A baseline file changes: a new entry, built from the changed file.
    std::fs::write(dir.join("002_b.sql"), "CREATE TABLE public.b2 (id int PRIMARY KEY);\n").unwrap();
    let (changed, tables, _) = start(&cache, default.clone(), &plan).await;
    assert_eq!((changed, tables), (BaselineSource::Built, vec!["a".to_owned(), "b2".to_owned()]));
    assert_eq!(entries(&cache).len(), 2);

    // Another server version: another entry, on that server.
    let (major, bindir) = other_version();
    let (other, tables, version) = start(&cache, ServerChoice::BinDir(bindir), &plan).await;
    assert_eq!((other, tables), (BaselineSource::Built, vec!["a".to_owned(), "b2".to_owned()]));
    assert!(version.starts_with(&format!("{major}.")), "{version}");
    let (back, _, version) = start(&cache, default.clone(), &plan).await;
    assert_eq!(back, BaselineSource::Cache, "the first server's entry is still there");
    assert!(!version.starts_with(&format!("{major}.")), "{version}");

    // The cache directory removed: built again, and private again.
    std::fs::remove_dir_all(&cache).unwrap();
    let (removed, tables, _) = start(&cache, default.clone(), &plan).await;
    assert_eq!((removed, tables), (BaselineSource::Built, vec!["a".to_owned(), "b2".to_owned()]));
    assert_private(&cache);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The largest file under `data/base` of the only entry of `cache`.
fn largest_relation_file(cache: &Path) -> PathBuf {
    let mut files = Vec::new();
    let mut dirs = vec![entries(cache)[0].join("data/base")];
    while let Some(d) = dirs.pop() {
        for item in std::fs::read_dir(d).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push((std::fs::metadata(&path).unwrap().len(), path));
            }
        }
    }
    files.into_iter().max().unwrap().1
}

#[tokio::test]
async fn a_corrupted_entry_is_found_deleted_and_rebuilt_never_used() {
    let dir = scratch("corrupt");
    let cache = dir.join("cache");
    let plan = small_plan(&dir);
    let (built, _, _) = start(&cache, ServerChoice::Default, &plan).await;
    assert_eq!(built, BaselineSource::Built);

    // One byte flipped in a relation file, the size unchanged: the server would read it
    // without a word (no data checksums); the manifest does not.
    let file = largest_relation_file(&cache);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let (source, tables, _) = start(&cache, ServerChoice::Default, &plan).await;
    match &source {
        BaselineSource::Rebuilt { why } => assert!(why.contains("is corrupted") && why.contains("SHA-256 differs"), "{why}"),
        other => panic!("a flipped byte went unnoticed: {other:?}"),
    }
    assert_eq!(tables, ["a", "b"]);
    let (next, _, _) = start(&cache, ServerChoice::Default, &plan).await;
    assert_eq!(next, BaselineSource::Cache, "the rebuilt entry is whole");

    // A version file that no server of ours would start on (used, the start would fail).
    let entry = entries(&cache)[0].clone();
    std::fs::write(entry.join("data/PG_VERSION"), "99\n").unwrap();
    let (source, tables, _) = start(&cache, ServerChoice::Default, &plan).await;
    assert!(matches!(&source, BaselineSource::Rebuilt { why } if why.contains("PG_VERSION")), "{source:?}");
    assert_eq!(tables, ["a", "b"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What the seeded baseline holds: the catalog snapshot, and per table its rows (a digest of
/// them in order) and the planner's row estimate.
async fn baseline_of(sandbox: &Sandbox, dbname: &str) -> (Snapshot, Vec<(String, String, f32)>) {
    let client = db::connect_config(&sandbox.config(dbname)).await.unwrap();
    let snapshot = Snapshot::take(&client).await.unwrap();
    let tables: Vec<(String, f32)> = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname), c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut contents = Vec::new();
    for (table, estimate) in tables {
        let sql = format!("SELECT coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM {table} t");
        let digest: String = client.query_one(&sql, &[]).await.unwrap().get(0);
        contents.push((table, digest, estimate));
    }
    (snapshot, contents)
}

#[tokio::test]
async fn a_warm_start_holds_the_same_baseline_as_the_scripts_build() {
    let dir = scratch("same");
    let plan = week2_plan();
    let cold = tokio::task::spawn_blocking(|| Sandbox::start(&SandboxOptions::default())).await.unwrap().unwrap();
    cold.seed(&plan, "cold").await.unwrap();
    let (cold_snapshot, cold_tables) = baseline_of(&cold, "cold").await;
    tokio::task::spawn_blocking(move || drop(cold)).await.unwrap();
    assert_eq!(cold_tables.len(), 43, "the Week 1 baseline");

    let options = SandboxOptions { baseline_cache: Some(dir.join("cache")), ..Default::default() };
    for expected in [BaselineSource::Built, BaselineSource::Cache] {
        let (warm, source) = Sandbox::start_with_baseline(&options, &plan).await.unwrap();
        assert_eq!(source, expected);
        // The first run takes the copy made when the entry was built; the next, a new copy of
        // the template: the same baseline either way.
        let databases = || async {
            let admin = db::connect_config(&warm.config("postgres")).await.unwrap();
            let rows = admin
                .query(
                    "SELECT datname::text FROM pg_database WHERE datname LIKE 'pgstage%' OR datname LIKE 'warm%' ORDER BY 1",
                    &[],
                )
                .await
                .unwrap();
            rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>()
        };
        assert_eq!(databases().await, ["pgstage_baseline", "pgstage_ready"], "{expected:?}");
        warm.seed(&plan, "warm").await.unwrap();
        assert_eq!(databases().await, ["pgstage_baseline", "warm"], "{expected:?}: the ready copy is the first run's");
        warm.seed(&plan, "warm_again").await.unwrap();
        for dbname in ["warm", "warm_again"] {
            let (snapshot, tables) = baseline_of(&warm, dbname).await;
            assert!(
                snapshot == cold_snapshot,
                "{expected:?} {dbname}: the catalog differs: {:#?}",
                snapshot.diff(&cold_snapshot)
            );
            assert_eq!(tables, cold_tables, "{expected:?} {dbname}: rows or statistics differ");
        }
        tokio::task::spawn_blocking(move || drop(warm)).await.unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn run_on_sandbox(plan: &Path, cache: &Path, report: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", plan.to_str().unwrap(), "--sandbox", "--ack-all", "--report", report.to_str().unwrap()])
        .current_dir(root())
        .env("PGSTAGE_BASELINE_CACHE", cache)
        .env("PGSTAGE_STATE_DIR", cache.parent().unwrap().join("state"))
        .output()
        .unwrap()
}

/// The verdict's criteria (id, met) and per check: id, what it read and its status (not the
/// manual items, whose acknowledgement carries the time, nor timings).
type Outcome = (bool, Vec<(String, String)>, Vec<(String, String, String)>);

fn outcome(report: &Path) -> Outcome {
    let result: pgstage::run_result::RunResult = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let verdict = serde_json::to_value(&result.verdict).unwrap();
    let criteria = verdict["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c["met"].to_string()))
        .collect();
    let checks = result
        .all_checks()
        .filter(|c| !c.id.starts_with("MI-"))
        .map(|c| (c.id.clone(), c.actual.clone(), format!("{:?}", c.status)))
        .collect();
    (result.verdict.go, criteria, checks)
}

#[test]
fn a_warm_run_on_the_sandbox_ends_as_the_cold_one() {
    let dir = scratch("cli");
    let cache = dir.join("cache");
    let plan = root().join("plans/week2_staging.ron");
    let mut seen = Vec::new();
    for (n, says) in [(0, "baseline built from its scripts and cached"), (1, "baseline from the baseline cache")] {
        let report = dir.join(format!("run{n}.json"));
        let out = run_on_sandbox(&plan, &cache, &report);
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(text.contains(says), "run {n}: {text}");
        seen.push(outcome(&report));
    }
    assert!(seen[0].2.len() > 50, "{:?}", seen[0].2);
    assert_eq!(seen[0], seen[1]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The bundled plan whose baseline is one script that `\ir`-includes `seed/data.sql` (written
/// by the test) after a `\set`.
fn including_plan(dir: &Path) -> LoadedPlan {
    std::fs::create_dir_all(dir.join("seed")).unwrap();
    let script = dir.join("001_a.sql");
    std::fs::write(&script, "CREATE TABLE public.a (id int PRIMARY KEY);\n\\set first 1\n\\ir seed/data.sql\n").unwrap();
    let mut plan = week2_plan();
    plan.plan.baseline.migrations = vec![script];
    plan.plan.baseline.sample_data = None;
    plan
}

/// The rows of `public.a` in the seeded database of a sandbox started from `cache`, and where
/// its baseline came from.
async fn rows_of_a(cache: &Path, plan: &LoadedPlan) -> (BaselineSource, Vec<i32>) {
    let options = SandboxOptions { baseline_cache: Some(cache.to_owned()), ..Default::default() };
    let (sandbox, source) = Sandbox::start_with_baseline(&options, plan).await.unwrap_or_else(|e| panic!("{e}"));
    sandbox.seed(plan, "run").await.unwrap_or_else(|e| panic!("{e}"));
    let client = db::connect_config(&sandbox.config("run")).await.unwrap();
    let rows = client.query("SELECT id FROM public.a ORDER BY id", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    drop(client);
    tokio::task::spawn_blocking(move || drop(sandbox)).await.unwrap();
    (source, rows)
}

#[tokio::test]
async fn a_change_to_a_file_a_baseline_script_includes_rebuilds_the_entry_and_a_missing_one_is_the_seedings_error() {
    let dir = scratch("include");
    let cache = dir.join("cache");
    let plan = including_plan(&dir);
    let data = dir.join("seed/data.sql");
    std::fs::write(&data, "INSERT INTO public.a VALUES (:first), (2);\n").unwrap();
    assert_eq!(rows_of_a(&cache, &plan).await, (BaselineSource::Built, vec![1, 2]), "the include followed, :first set");
    assert_eq!(rows_of_a(&cache, &plan).await, (BaselineSource::Cache, vec![1, 2]));

    // Only the included file changes: another entry, holding the new rows.
    std::fs::write(&data, "INSERT INTO public.a VALUES (:first), (2), (3);\n").unwrap();
    assert_eq!(rows_of_a(&cache, &plan).await, (BaselineSource::Built, vec![1, 2, 3]), "not the stale entry");
    assert_eq!(entries(&cache).len(), 2);
    assert_eq!(rows_of_a(&cache, &plan).await, (BaselineSource::Cache, vec![1, 2, 3]));

    // The included file missing: the error seeding without the cache gives (file:line:column).
    std::fs::remove_file(&data).unwrap();
    let options = SandboxOptions { baseline_cache: Some(cache.clone()), ..Default::default() };
    let cached = Sandbox::start_with_baseline(&options, &plan).await.map(|_| ()).unwrap_err().to_string();
    let uncached = tokio::task::spawn_blocking(|| Sandbox::start(&SandboxOptions::default())).await.unwrap().unwrap();
    let seeded = uncached.seed(&plan, "run").await.map(|_| ()).unwrap_err().to_string();
    tokio::task::spawn_blocking(move || drop(uncached)).await.unwrap();
    let at = format!("{}:3:1: \\ir seed/data.sql: cannot read {}: ", dir.join("001_a.sql").display(), data.display());
    assert!(cached.contains(&at), "{cached}");
    assert_eq!(cached, seeded);
    assert_eq!(entries(&cache).len(), 2, "nothing built");

    // The server refuses a statement of the included file: named at its file, line and column
    // as written (before `:first` was substituted).
    std::fs::write(&data, "-- rows\nINSERT INTO public.a VALUES (:first), ('x');\n").unwrap();
    let refused = Sandbox::start_with_baseline(&options, &plan).await.map(|_| ()).unwrap_err().to_string();
    let at = format!("{}:2:40: ERROR: invalid input syntax for type integer", data.display());
    assert!(refused.contains(&at), "{refused}");
    std::fs::remove_dir_all(&dir).unwrap();
}
