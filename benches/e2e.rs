//! pgstage's end-to-end benchmarks (`cargo bench --bench e2e`): a plain binary (no harness)
//! that starts its own sandbox and measures, in one run:
//!
//! 1. **apply**: migrations 013–017 applied by pgstage's engine (connect, target guard,
//!    lock, ledger, per-migration transactions, catalog snapshots and diffs) against
//!    `psql -X -q -1 -v ON_ERROR_STOP=1 -f FILE`, one process per file, as a person does it;
//!    each on a fresh database cloned from the same baseline template; plus the same SQL sent
//!    over one connection with no bookkeeping (the floor).
//! 2. **introspect**: on a generated schema of 10,000 tables, 30,000 indexes, 10,000 foreign
//!    keys, 2,000 policies and 2,000 functions, pgstage's full catalog snapshot against the
//!    seed run-book's four count queries (`information_schema` / `pg_policies` / `pg_indexes`)
//!    run with psql, and the same four queries over tokio-postgres.
//! 3. **whole**: a whole run of the bundled plan, per phase: sandbox start, baseline, every
//!    engine step, verdict, reports in every format the report module knows.
//! 4. **bigdata** (only with `--only bigdata`, it builds a 1 GB baseline): the whole run on the
//!    sample baseline against the same on several million rows ([`bigdata`]).
//! 5. **tenants** (only with `--only tenants`): the whole run on the sample baseline against the
//!    same plus 10,000 other tables in 100 schemas (100,000 with `--scale 10`) ([`tenants`]).
//!
//! Every comparison alternates its contenders inside each round (the order rotates from
//! round to round) and reports medians over the rounds, and the median of the per-round
//! ratios. Options (after `--`): `--rounds N` (apply, default 15), `--big-rounds N`
//! (introspect, default 11), `--whole-runs N` (default 10), `--scale F` (the generated
//! schema's size, and the big baseline's, default 1.0), `--only apply,introspect,whole,bigdata,tenants`, `--out FILE` (the markdown
//! tables; default `target/bench-e2e.md`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pgstage::db::connect::{self, Session};
use pgstage::db::snapshot::{Kind, Snapshot};
use pgstage::engine::{Engine, RunOptions, Step, step_title};
use pgstage::plan::{self, Integrity, LoadedPlan, Performance, Preflight};
use pgstage::run_result::{MigrationStatus, Outcome, RunResult};
use pgstage::sandbox::{Sandbox, SandboxOptions};
use tokio::runtime::Runtime;
use tokio_postgres::Client;

#[path = "e2e/bigdata.rs"]
mod bigdata;
#[path = "../tests/it/deparser.rs"]
mod deparser;
#[path = "e2e/locks.rs"]
mod locks;
#[path = "e2e/tenants.rs"]
mod tenants;
#[path = "e2e/warm.rs"]
mod warm;

const TEMPLATE: &str = "pgstage_bench_template";
const BIG: &str = "pgstage_bench_big";

/// The seed run-book's four count queries (its "Current state" section).
const SEED_QUERIES: [&str; 4] = [
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='public'",
    "SELECT COUNT(*) FROM information_schema.table_constraints WHERE constraint_type='FOREIGN KEY'",
    "SELECT COUNT(*) FROM pg_policies",
    "SELECT COUNT(*) FROM pg_indexes WHERE schemaname='public'",
];

struct Args {
    rounds: usize,
    big_rounds: usize,
    whole_runs: usize,
    scale: f64,
    only: Vec<String>,
    out: PathBuf,
}

impl Args {
    fn parse() -> Self {
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
        let mut args = Args {
            rounds: 15,
            big_rounds: 11,
            whole_runs: 10,
            scale: 1.0,
            only: vec!["apply".into(), "introspect".into(), "whole".into()],
            out: target.join("bench-e2e.md"),
        };
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            let mut value = || it.next().unwrap_or_else(|| die(&format!("{a} needs a value")));
            match a.as_str() {
                "--bench" => {} // what `cargo bench` passes to every bench binary
                "--rounds" => args.rounds = value().parse().unwrap_or_else(|_| die("--rounds N")),
                "--big-rounds" => args.big_rounds = value().parse().unwrap_or_else(|_| die("--big-rounds N")),
                "--whole-runs" => args.whole_runs = value().parse().unwrap_or_else(|_| die("--whole-runs N")),
                "--scale" => args.scale = value().parse().unwrap_or_else(|_| die("--scale F")),
                "--only" => args.only = value().split(',').map(str::to_owned).collect(),
                "--out" => args.out = PathBuf::from(value()),
                other if other.starts_with('-') => die(&format!("unknown option {other}")),
                _ => {} // a cargo bench name filter: ignored
            }
        }
        if args.rounds < 10 || args.big_rounds < 10 {
            eprintln!("note: fewer than 10 rounds; the published figures use at least 10");
        }
        args
    }

    fn wants(&self, what: &str) -> bool {
        self.only.iter().any(|o| o == what)
    }
}

fn die(message: &str) -> ! {
    eprintln!("e2e bench: {message}");
    std::process::exit(2)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median, quartiles, min and max of a sample.
#[derive(Debug, Clone, Copy)]
struct Stats {
    median: f64,
    p25: f64,
    p75: f64,
    min: f64,
    max: f64,
}

fn stats(xs: &[f64]) -> Stats {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| {
        if v.is_empty() {
            return f64::NAN;
        }
        let pos = p * (v.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    };
    Stats { median: q(0.5), p25: q(0.25), p75: q(0.75), min: q(0.0), max: q(1.0) }
}

/// One row of a result table: a name and its samples (ms, or a plain ratio).
struct Series {
    name: String,
    samples: Vec<f64>,
}

impl Series {
    fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), samples: vec![] }
    }
}

fn table(title: &str, unit: &str, rows: &[&Series]) -> String {
    let mut s =
        format!("\n### {title}\n\n| | median {unit} | p25 | p75 | min | max | n |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let st = stats(&r.samples);
        let f = |x: f64| if unit == "ratio" { format!("{x:.3}") } else { format!("{x:.1}") };
        let _ = writeln!(
            s,
            "| {} | **{}** | {} | {} | {} | {} | {} |",
            r.name,
            f(st.median),
            f(st.p25),
            f(st.p75),
            f(st.min),
            f(st.max),
            r.samples.len()
        );
    }
    s
}

/// Everything printed, also written to `--out` at the end.
struct Out {
    text: String,
}

impl Out {
    fn put(&mut self, s: &str) {
        print!("{s}");
        self.text.push_str(s);
    }
}

fn main() {
    let args = Args::parse();
    let mut out = Out { text: String::new() };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let plan_path = root().join("plans/week2_staging.ron");
    let plan = plan::load(&plan_path).unwrap_or_else(|e| die(&e.to_string()));

    // Phase "sandbox start" of the whole run is this very start.
    let sandbox = Sandbox::start(&SandboxOptions::default()).unwrap_or_else(|e| die(&e.to_string()));
    let sandbox_start = sandbox.startup;
    let seed_started = Instant::now();
    rt.block_on(sandbox.seed(&plan, TEMPLATE)).unwrap_or_else(|e| die(&e.to_string()));
    let baseline_seed = seed_started.elapsed();

    out.put(&machine(&rt, &sandbox));
    out.put(&format!(
        "\nsandbox: PostgreSQL {} started in {:.0} ms; baseline template seeded in {:.0} ms\n",
        sandbox.binaries().version,
        ms(sandbox_start),
        ms(baseline_seed)
    ));

    let edges = rt.block_on(async { verify_edge_cases(&sandbox, &admin(&sandbox).await).await });
    out.put(&format!(
        "\nsnapshot check: {edges} tables, keys, foreign keys and indexes of the edge-case schema (4 search paths) \
         are exactly what PostgreSQL's deparser writes\n"
    ));

    if args.wants("whole") {
        let t = whole(&rt, &sandbox, &plan, sandbox_start, &args);
        out.put(&t);
    }
    if args.wants("apply") {
        let t = apply(&rt, &sandbox, &plan, &args);
        out.put(&t);
    }
    if args.wants("introspect") {
        let t = introspect(&rt, &sandbox, &args);
        out.put(&t);
    }
    if args.wants("bigdata") {
        let t = bigdata::bigdata(&rt, &sandbox, &plan, &args);
        out.put(&t);
    }
    if args.wants("warm") {
        let t = warm::warm(&args);
        out.put(&t);
    }
    if args.wants("locks") {
        let t = locks::locks(&rt, &sandbox, &plan, &args);
        out.put(&t);
    }
    if args.wants("tenants") {
        let t = tenants::tenants(&rt, &sandbox, &plan, &args);
        out.put(&t);
    }
    if let Some(dir) = args.out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&args.out, &out.text) {
        Ok(()) => println!("\n(written to {})", args.out.display()),
        Err(e) => eprintln!("cannot write {}: {e}", args.out.display()),
    }
    drop(rt);
    sandbox.stop();
}

// ----------------------------------------------------------------------------------------
// The machine

fn machine(rt: &Runtime, sandbox: &Sandbox) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "?".into())
    };
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: f64 = field(&meminfo, "MemTotal").split_whitespace().next().and_then(|k| k.parse().ok()).unwrap_or(0.0);
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let os = field(&os.replace('=', ":"), "PRETTY_NAME").trim_matches('"').to_owned();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    let command_version = |cmd: &str| {
        Command::new(cmd)
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("?").to_owned())
            .unwrap_or_else(|| "not found".into())
    };
    let server = rt.block_on(async {
        let c = pgstage::db::connect_config(&sandbox.config("postgres")).await.ok()?;
        let row = c.query_one("SELECT version()", &[]).await.ok()?;
        Some(row.get::<_, String>(0))
    });
    format!(
        "## Machine\n\n| | |\n|---|---|\n| CPU | {} × {} |\n| RAM | {:.1} GiB |\n| OS | {os}, Linux {kernel} |\n| PostgreSQL | {} |\n| psql | {} |\n| rustc | {} |\n| sandbox | fsync=off, synchronous_commit=off, full_page_writes=off, unix socket |\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        field(&cpuinfo, "model name"),
        mem_kb / 1024.0 / 1024.0,
        server.unwrap_or_else(|| "?".into()),
        command_version("psql"),
        command_version("rustc"),
    )
}

// ----------------------------------------------------------------------------------------
// Databases

async fn admin(sandbox: &Sandbox) -> Client {
    pgstage::db::connect_config(&sandbox.config("postgres")).await.unwrap_or_else(|e| die(&e.to_string()))
}

async fn create_from_template(admin: &Client, name: &str) {
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    pgstage::db::create_database(admin, name, Some(TEMPLATE)).await.unwrap_or_else(|e| die(&e.to_string()));
}

async fn drop_db(admin: &Client, name: &str) {
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap_or_else(|e| die(&e.to_string()));
}

async fn session(sandbox: &Sandbox, db: &str) -> Session {
    connect::connect_config(&sandbox.config(db)).await.unwrap_or_else(|e| die(&e.to_string()))
}

fn psql(sandbox: &Sandbox, db: &str, args: &[&str]) -> String {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .args(args)
        .args(["-d", &sandbox.conninfo(db)])
        .output()
        .unwrap_or_else(|e| die(&format!("cannot run psql (install postgresql-client): {e}")));
    if !out.status.success() {
        die(&format!("psql {args:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ----------------------------------------------------------------------------------------
// The snapshot's definitions against PostgreSQL's deparser

/// Check that the snapshot's tables, keys, foreign keys and indexes are exactly what
/// PostgreSQL's deparser says (`deparser::differences`); returns how many objects were compared.
async fn verify_snapshot(client: &Client, what: &str) -> usize {
    let snap = Snapshot::take(client).await.unwrap_or_else(|e| die(&e.to_string()));
    let (compared, problems) = deparser::differences(client, &snap).await;
    if !problems.is_empty() {
        die(&format!("the snapshot disagrees with PostgreSQL's deparser on {what}:\n  {}", problems.join("\n  ")));
    }
    compared
}

/// The edge cases in a database of their own: compare, then drop it.
async fn verify_edge_cases(sandbox: &Sandbox, admin: &Client) -> usize {
    let name = "pgstage_bench_edges";
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    pgstage::db::create_database(admin, name, None).await.unwrap_or_else(|e| die(&e.to_string()));
    let client = pgstage::db::connect_config(&sandbox.config(name)).await.unwrap_or_else(|e| die(&e.to_string()));
    client.batch_execute(deparser::EDGE_CASES).await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
    let version: i32 = client.query_one("SELECT current_setting('server_version_num')::int", &[]).await.unwrap().get(0);
    if version >= 150_000 {
        client.batch_execute(deparser::EDGE_CASES_15).await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
    }
    if version >= 180_000 {
        client.batch_execute(deparser::EDGE_CASES_18).await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
    }
    let n = verify_snapshot(&client, "the edge cases").await;
    // The same with other search paths: visibility decides qualification.
    client.batch_execute("SET search_path = other, public").await.unwrap();
    let n2 = verify_snapshot(&client, "the edge cases (search_path other, public)").await;
    client.batch_execute("CREATE TEMP TABLE ref (id int)").await.unwrap();
    let n3 = verify_snapshot(&client, "the edge cases (search_path other, public; a temporary ref)").await;
    client.batch_execute("SET search_path = '\"Mixed Case\"'").await.unwrap();
    let n4 = verify_snapshot(&client, "the edge cases (search_path \"Mixed Case\")").await;
    drop(client);
    drop_db(admin, name).await;
    n + n2 + n3 + n4
}

// ----------------------------------------------------------------------------------------
// 1. Apply overhead

/// The bundled plan reduced to its migrations: no pre-flight checks or manual items, no
/// verification, integrity, performance, rollback or criteria. What is left is what
/// applying costs: guard, lock, baseline snapshot and row counts, per-migration
/// transactions with timeouts, ledger, snapshot and diff after each migration.
fn migrations_only(plan: &LoadedPlan) -> LoadedPlan {
    let mut p = plan.clone();
    let q = &mut p.plan;
    q.preflight = Preflight::default();
    q.verification.clear();
    q.schema_summary.clear();
    q.sample_data.clear();
    q.rls.clear();
    q.integrity = Integrity {
        constraints_validated: false,
        no_orphans: false,
        no_data_loss: false,
        privileges_of_new_objects: false,
        checks: vec![],
        ..Default::default()
    };
    q.performance = Performance::default();
    q.rollback = None;
    q.criteria.clear();
    p
}

/// One engine measurement: wall time from connecting through the last migration step.
struct EngineApply {
    total: f64,
    connect: f64,
    start: f64,
    preflight: f64,
    /// Per migration step (wall), and the migration's own statement time.
    steps: Vec<(f64, f64)>,
}

async fn engine_apply(sandbox: &Sandbox, plan: &LoadedPlan, db: &str) -> EngineApply {
    let t0 = Instant::now();
    let session = session(sandbox, db).await;
    let connect = ms(t0.elapsed());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let t1 = Instant::now();
    let options = RunOptions { operator: "bench".into(), ..Default::default() };
    let mut engine = Engine::start(plan.clone(), session, options, tx).await.unwrap_or_else(|e| die(&e.to_string()));
    let start = ms(t1.elapsed());
    let mut preflight = 0.0;
    let mut walls = vec![];
    while let Some(step) = engine.next_step() {
        if !matches!(step, Step::Preflight | Step::Migration(_)) {
            break;
        }
        let t = Instant::now();
        engine.step().await;
        let wall = ms(t.elapsed());
        match step {
            Step::Preflight => preflight = wall,
            _ => walls.push(wall),
        }
    }
    let total = ms(t0.elapsed());
    let result = engine.result().clone();
    if let Some(m) = result.migrations.iter().find(|m| m.status != MigrationStatus::Applied) {
        die(&format!("migration {} not applied: {:?} {:?} ({:?})", m.id, m.status, m.error, result.outcome));
    }
    let steps = walls.into_iter().zip(result.migrations.iter().map(|m| m.duration_ms)).collect();
    let _ = engine.finish().await;
    let _ = drain.await;
    EngineApply { total, connect, start, preflight, steps }
}

/// psql, one process per file, as a person runs the plan by hand: per-file wall times.
fn psql_apply(sandbox: &Sandbox, files: &[PathBuf], db: &str) -> Vec<f64> {
    files
        .iter()
        .map(|f| {
            let t = Instant::now();
            psql(sandbox, db, &["-1", "-f", f.to_str().expect("utf-8 path")]);
            ms(t.elapsed())
        })
        .collect()
}

/// The floor: the same SQL over one connection, each file in one round trip in its own
/// transaction, nothing else.
async fn raw_apply(sandbox: &Sandbox, scripts: &[String], db: &str) -> f64 {
    let t = Instant::now();
    let client = pgstage::db::connect_config(&sandbox.config(db)).await.unwrap_or_else(|e| die(&e.to_string()));
    for s in scripts {
        client.batch_execute(&format!("BEGIN;\n{s}\n;COMMIT")).await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
    }
    ms(t.elapsed())
}

fn apply(rt: &Runtime, sandbox: &Sandbox, plan: &LoadedPlan, args: &Args) -> String {
    let reduced = migrations_only(plan);
    let files: Vec<PathBuf> = plan.plan.migrations.iter().map(|m| plan.resolve(&m.file)).collect();
    let scripts: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).expect("migration file")).collect();
    let admin = rt.block_on(admin(sandbox));

    let mut a = Series::new("A: pgstage engine (connect → last migration step)");
    let mut b = Series::new("B: psql -X -q -1 -f, one process per file (5 spawns)");
    let mut c = Series::new("C: same SQL, one connection, no bookkeeping (floor)");
    let mut ratio_ab = Series::new("A / B (per round)");
    let mut ratio_ac = Series::new("A / C (per round)");
    let mut sql_ms = Series::new("migrations' own statement time (Σ duration_ms)");
    let mut bookkeeping = Series::new("bookkeeping = A − Σ duration_ms");
    let mut connect_ms = Series::new("  connect");
    let mut start_ms = Series::new("  Engine::start (guard, lock, SET)");
    let mut preflight_ms = Series::new("  pre-flight step (prepare/split, baseline snapshot, row counts)");
    let mut per_migration_bk = Series::new("  per-migration steps − their statements (tx, ledger, snapshot, diff)");
    let mut per_file: BTreeMap<usize, (Series, Series)> = BTreeMap::new();
    let mut snapshot_only = Series::new("Snapshot::take on the migrated schema (59 tables), warm connection");

    println!("\n[apply] {} rounds (+1 warm-up), A/B/C rotating…", args.rounds);
    for round in 0..=args.rounds {
        let names = ["pgstage_bench_a", "pgstage_bench_b", "pgstage_bench_c"];
        rt.block_on(async {
            for n in names {
                create_from_template(&admin, n).await;
            }
            let _ = admin.batch_execute("CHECKPOINT").await;
        });
        let mut ra = None;
        let mut rb = None;
        let mut rc = None;
        for k in 0..3 {
            match (k + round) % 3 {
                0 => ra = Some(rt.block_on(engine_apply(sandbox, &reduced, names[0]))),
                1 => rb = Some(psql_apply(sandbox, &files, names[1])),
                _ => rc = Some(rt.block_on(raw_apply(sandbox, &scripts, names[2]))),
            }
        }
        let (ra, rb, rc) = (ra.unwrap(), rb.unwrap(), rc.unwrap());
        let snap = rt.block_on(async {
            let client = pgstage::db::connect_config(&sandbox.config(names[0])).await.unwrap();
            if round == 0 {
                verify_snapshot(&client, "the Week 2 schema").await;
            }
            Snapshot::take(&client).await.unwrap();
            let t = Instant::now();
            Snapshot::take(&client).await.unwrap();
            ms(t.elapsed())
        });
        rt.block_on(async {
            for n in names {
                drop_db(&admin, n).await;
            }
        });
        if round == 0 {
            continue; // warm-up
        }
        let b_total: f64 = rb.iter().sum();
        let statements: f64 = ra.steps.iter().map(|s| s.1).sum();
        a.samples.push(ra.total);
        b.samples.push(b_total);
        c.samples.push(rc);
        ratio_ab.samples.push(ra.total / b_total);
        ratio_ac.samples.push(ra.total / rc);
        sql_ms.samples.push(statements);
        bookkeeping.samples.push(ra.total - statements);
        connect_ms.samples.push(ra.connect);
        start_ms.samples.push(ra.start);
        preflight_ms.samples.push(ra.preflight);
        per_migration_bk.samples.push(ra.steps.iter().map(|(w, s)| w - s).sum());
        for (i, ((wall, _), psql_ms)) in ra.steps.iter().zip(&rb).enumerate() {
            let e = per_file.entry(i).or_insert_with(|| {
                let id = &plan.plan.migrations[i].id;
                (Series::new(format!("{id}: engine step (wall)")), Series::new(format!("{id}: psql process (wall)")))
            });
            e.0.samples.push(*wall);
            e.1.samples.push(*psql_ms);
        }
        snapshot_only.samples.push(snap);
        eprint!(".");
    }
    eprintln!();
    let st = stats(&ratio_ab.samples);
    let verdict = if st.median <= 1.02 {
        "meets the goal (≤ 1.02)"
    } else if st.median <= 1.10 {
        "meets the target (≤ 1.10), not the goal (≤ 1.02)"
    } else {
        "MISSES the target (≤ 1.10)"
    };
    let a_med = stats(&a.samples).median;
    let b_med = stats(&b.samples).median;
    let mut s = String::from("\n## 1. Apply overhead: migrations 013–017, engine vs psql\n");
    s += &table("wall time per batch of 5 migrations", "ms", &[&a, &b, &c]);
    s += &table("ratios (same round, fresh databases from one template)", "ratio", &[&ratio_ab, &ratio_ac]);
    let _ = writeln!(
        s,
        "\n**A / B = {:.3}** (median of per-round ratios; ratio of medians {:.3}): {verdict}.",
        st.median,
        a_med / b_med
    );
    s += &table(
        "where the engine's time goes",
        "ms",
        &[&sql_ms, &bookkeeping, &connect_ms, &start_ms, &preflight_ms, &per_migration_bk, &snapshot_only],
    );
    let rows: Vec<&Series> = per_file.values().flat_map(|(e, p)| [e, p]).collect();
    s += &table("per migration", "ms", &rows);
    s
}

// ----------------------------------------------------------------------------------------
// 2. Introspection at scale

struct BigSchema {
    tables: usize,
    policies: usize,
    functions: usize,
}

/// Generate the big schema in its own database, in chunks of 500 tables (each chunk one
/// transaction: 10,000 tables in one would overflow the lock table).
async fn generate_big(sandbox: &Sandbox, admin: &Client, size: &BigSchema) -> Duration {
    let t = Instant::now();
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {BIG} WITH (FORCE)")).await;
    pgstage::db::create_database(admin, BIG, None).await.unwrap_or_else(|e| die(&e.to_string()));
    let client = pgstage::db::connect_config(&sandbox.config(BIG)).await.unwrap_or_else(|e| die(&e.to_string()));
    let chunk = 500;
    let mut lo = 1;
    while lo <= size.tables {
        let hi = (lo + chunk - 1).min(size.tables);
        // Table i: a primary key, a foreign key to table i-1 (table 1 to itself), and two
        // more indexes: three indexes and one foreign key per table.
        let sql = format!(
            "DO $$ BEGIN FOR i IN {lo}..{hi} LOOP
               EXECUTE format('CREATE TABLE public.t%1$s (id bigint PRIMARY KEY, parent_id bigint REFERENCES public.t%2$s (id), a integer NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now())', i, greatest(i - 1, 1));
               EXECUTE format('CREATE INDEX t%1$s_parent_idx ON public.t%1$s (parent_id)', i);
               EXECUTE format('CREATE INDEX t%1$s_a_idx ON public.t%1$s (a, created_at)', i);
               IF i <= {policies} THEN
                 EXECUTE format('ALTER TABLE public.t%1$s ENABLE ROW LEVEL SECURITY', i);
                 EXECUTE format('CREATE POLICY t%1$s_tenant ON public.t%1$s FOR SELECT USING (a >= 0)', i);
               END IF;
               IF i <= {functions} THEN
                 EXECUTE format('CREATE FUNCTION public.f%1$s(x integer) RETURNS integer LANGUAGE plpgsql AS $f$ BEGIN RETURN x + %1$s; END $f$', i);
               END IF;
             END LOOP; END $$",
            policies = size.policies,
            functions = size.functions,
        );
        client.batch_execute(&sql).await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
        lo = hi + 1;
    }
    client.batch_execute("VACUUM ANALYZE").await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
    admin.batch_execute("CHECKPOINT").await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
    t.elapsed()
}

async fn seed_queries(client: &Client) -> Vec<i64> {
    let mut counts = vec![];
    for q in SEED_QUERIES {
        counts.push(client.query_one(q, &[]).await.unwrap_or_else(|e| die(&pgstage::db::describe(&e))).get(0));
    }
    counts
}

fn introspect(rt: &Runtime, sandbox: &Sandbox, args: &Args) -> String {
    let n = |x: f64| ((x * args.scale).round() as usize).max(1);
    let size = BigSchema { tables: n(10_000.0), policies: n(2_000.0), functions: n(2_000.0) };
    let admin = rt.block_on(admin(sandbox));
    println!(
        "\n[introspect] generating {} tables, {} indexes, {} foreign keys, {} policies, {} functions…",
        size.tables,
        3 * size.tables,
        size.tables,
        size.policies,
        size.functions
    );
    let generated = rt.block_on(generate_big(sandbox, &admin, &size));

    // What each side sees, once.
    let warm = rt.block_on(pgstage::db::connect_config(&sandbox.config(BIG))).unwrap();
    let verified = rt.block_on(verify_snapshot(&warm, "the generated schema"));
    let snap = rt.block_on(Snapshot::take(&warm)).unwrap_or_else(|e| die(&e.to_string()));
    let counts = snap.counts("public");
    let rows: usize = snap.objects.values().map(|m| m.len()).sum();
    let bytes: usize = snap.objects.values().flat_map(|m| m.iter()).map(|(k, v)| k.len() + v.len()).sum();
    let psql_counts: Vec<i64> =
        psql(sandbox, BIG, &["-At", "-c", SEED_QUERIES[0], "-c", SEED_QUERIES[1], "-c", SEED_QUERIES[2], "-c", SEED_QUERIES[3]])
            .lines()
            .map(|l| l.trim().parse().unwrap_or(-1))
            .collect();
    let expected = [size.tables as i64, size.tables as i64, size.policies as i64, 3 * size.tables as i64];
    if psql_counts != expected {
        die(&format!("the generated schema is not what was asked for: psql counts {psql_counts:?}, expected {expected:?}"));
    }
    let snap_counts =
        [counts[&Kind::Table], counts[&Kind::ForeignKey], counts[&Kind::Policy], counts[&Kind::Index], counts[&Kind::Function]];
    if snap_counts != [size.tables, size.tables, size.policies, 3 * size.tables, size.functions] {
        die(&format!("the snapshot disagrees with the generated schema: {snap_counts:?}"));
    }

    let mut a_cold = Series::new("A: Snapshot::take, new connection (connect + catalog)");
    let mut a_two = Series::new("A₂: Snapshot::take_with, two new connections (connect both + catalog split over them)");
    let mut a_warm = Series::new("A′: Snapshot::take_with, warm connections (what the engine pays per snapshot)");
    let mut b_psql = Series::new("B: psql -X -At -c ×4 (spawn + connect + 4 queries)");
    let mut b_cold = Series::new("B′: 4 queries via tokio-postgres, new connection");
    let mut b_warm = Series::new("B″: 4 queries via tokio-postgres, warm connection");
    let mut db_size = Series::new("pg_database_size alone (what the size check reads once per run), warm");
    let mut ratio = Series::new("A / B (per round)");
    let mut ratio_two = Series::new("A₂ / B (per round)");
    let mut ratio_cold = Series::new("A₂ / B′ (per round)");
    let mut ratio_warm = Series::new("A′ / B″ (per round)");
    let mut per_query: Vec<Series> = SEED_QUERIES.iter().map(|q| Series::new(format!("`{q}`"))).collect();
    let psql_args = ["-At", "-c", SEED_QUERIES[0], "-c", SEED_QUERIES[1], "-c", SEED_QUERIES[2], "-c", SEED_QUERIES[3]];
    let helper = rt.block_on(pgstage::db::connect_config(&sandbox.config(BIG))).unwrap();
    let config = sandbox.config(BIG);
    let connect = || pgstage::db::connect_config(&config);

    const CONTENDERS: usize = 7;
    println!("[introspect] {} rounds (+1 warm-up), {CONTENDERS} contenders rotating…", args.big_rounds);
    for round in 0..=args.big_rounds {
        let mut r = [0.0f64; CONTENDERS];
        for k in 0..CONTENDERS {
            let which = (k + round) % CONTENDERS;
            let t = Instant::now();
            match which {
                0 => rt.block_on(async {
                    Snapshot::take(&connect().await.unwrap()).await.unwrap();
                }),
                1 => rt.block_on(async {
                    let (c, h) = tokio::try_join!(connect(), connect()).unwrap();
                    Snapshot::take_with(&c, Some(&h)).await.unwrap();
                }),
                2 => rt.block_on(async {
                    Snapshot::take_with(&warm, Some(&helper)).await.unwrap();
                }),
                3 => {
                    psql(sandbox, BIG, &psql_args);
                }
                4 => rt.block_on(async {
                    seed_queries(&connect().await.unwrap()).await;
                }),
                5 => rt.block_on(async {
                    seed_queries(&warm).await;
                }),
                _ => rt.block_on(async {
                    pgstage::db::figures::database_size_bytes(&warm).await.unwrap();
                }),
            }
            r[which] = ms(t.elapsed());
        }
        let each: Vec<f64> = rt.block_on(async {
            let mut v = vec![];
            for q in SEED_QUERIES {
                let t = Instant::now();
                warm.query_one(q, &[]).await.unwrap();
                v.push(ms(t.elapsed()));
            }
            v
        });
        if round == 0 {
            continue;
        }
        for (series, x) in
            [&mut a_cold, &mut a_two, &mut a_warm, &mut b_psql, &mut b_cold, &mut b_warm, &mut db_size].into_iter().zip(r)
        {
            series.samples.push(x);
        }
        ratio.samples.push(r[0] / r[3]);
        ratio_two.samples.push(r[1] / r[3]);
        ratio_cold.samples.push(r[1] / r[4]);
        ratio_warm.samples.push(r[2] / r[5]);
        for (s, x) in per_query.iter_mut().zip(each) {
            s.samples.push(x);
        }
        eprint!(".");
    }
    eprintln!();
    let mut s = format!(
        "\n## 2. Introspection at scale\n\nGenerated schema: {} tables, {} indexes, {} foreign keys, {} policies, {} functions ({:.1} s to generate). \
         The snapshot reads {rows} objects ({:.1} MB of names and definitions; the {verified} tables, keys, foreign keys and \
         indexes among them checked equal to PostgreSQL's deparser); the four seed queries return 4 numbers (psql: {psql_counts:?}).\n",
        size.tables,
        3 * size.tables,
        size.tables,
        size.policies,
        size.functions,
        generated.as_secs_f64(),
        bytes as f64 / 1e6,
    );
    s += &table("wall time", "ms", &[&a_cold, &a_two, &a_warm, &b_psql, &b_cold, &b_warm, &db_size]);
    s += &table("ratios (same round)", "ratio", &[&ratio, &ratio_two, &ratio_cold, &ratio_warm]);
    let word = |x: f64| if x < 1.0 { "faster" } else { "SLOWER" };
    let (one, two) = (stats(&ratio.samples).median, stats(&ratio_two.samples).median);
    let _ = writeln!(
        s,
        "\n**A / B = {one:.3}**: the full catalog snapshot on one new connection is {} than the seed's four count queries run \
         with psql; **A₂ / B = {two:.3}**: split over two new connections, it is {}.",
        word(one),
        word(two)
    );
    let rows: Vec<&Series> = per_query.iter().collect();
    s += &table("each seed query alone (warm connection)", "ms", &rows);
    rt.block_on(drop_db(&admin, BIG));
    s
}

// ----------------------------------------------------------------------------------------
// 3. Whole run

/// Report formats to try; those the report module does not know are skipped.
const REPORT_EXTENSIONS: [&str; 6] = ["json", "md", "html", "xml", "txt", "csv"];

struct WholeRun {
    phases: Vec<(String, f64)>,
    result: RunResult,
    reports: Vec<(String, f64, usize)>,
    skipped: Vec<String>,
}

async fn whole_run(sandbox: &Sandbox, plan: &LoadedPlan, db: &str, report_dir: &Path) -> WholeRun {
    let mut phases = vec![];
    let t = Instant::now();
    let session = session(sandbox, db).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let items: Vec<String> = plan.plan.preflight.manual.iter().map(|m| m.id.clone()).collect();
    let options = RunOptions { operator: "bench".into(), ..Default::default() };
    let mut engine = Engine::start(plan.clone(), session, options, tx).await.unwrap_or_else(|e| die(&e.to_string()));
    for item in items {
        engine.acknowledge(&item, "bench");
    }
    phases.push(("connect + Engine::start".to_owned(), ms(t.elapsed())));
    while let Some(step) = engine.next_step() {
        let title = step_title(plan, step);
        let t = Instant::now();
        engine.step().await;
        phases.push((title, ms(t.elapsed())));
    }
    let t = Instant::now();
    let result = engine.finish().await;
    phases.push(("Engine::finish (verdict, unlock)".to_owned(), ms(t.elapsed())));
    let _ = drain.await;
    if result.outcome != Outcome::Completed || !result.verdict.go {
        die(&format!("the bundled plan did not end GO: {:?} {:?}", result.outcome, result.verdict.reasons));
    }
    let mut reports = vec![];
    let mut skipped = vec![];
    for ext in REPORT_EXTENSIONS {
        let path = report_dir.join(format!("report.{ext}"));
        if let Err(pgstage::report::ReportError::UnknownFormat { .. }) = pgstage::report::render(&result, &path) {
            skipped.push(ext.to_owned());
            continue;
        }
        let t = Instant::now();
        pgstage::report::write(&result, &path).unwrap_or_else(|e| die(&e.to_string()));
        let size = std::fs::metadata(&path).map_or(0, |m| m.len() as usize);
        reports.push((ext.to_owned(), ms(t.elapsed()), size));
    }
    WholeRun { phases, result, reports, skipped }
}

fn whole(rt: &Runtime, sandbox: &Sandbox, plan: &LoadedPlan, sandbox_start: Duration, args: &Args) -> String {
    let admin = rt.block_on(admin(sandbox));
    let report_dir = std::env::temp_dir().join(format!("pgstage-bench-reports-{}", std::process::id()));
    std::fs::create_dir_all(&report_dir).unwrap_or_else(|e| die(&e.to_string()));
    println!(
        "\n[whole] 1 cold run (baseline built from the scripts) + {} runs on fresh clones of the template…",
        args.whole_runs
    );

    // The cold run: what `pgstage run` does on a workstation, with its own baseline.
    let t = Instant::now();
    let name = "pgstage_bench_staging";
    rt.block_on(async {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    });
    rt.block_on(sandbox.seed(plan, name)).unwrap_or_else(|e| die(&e.to_string()));
    let baseline = ms(t.elapsed());
    let cold = rt.block_on(whole_run(sandbox, plan, name, &report_dir));
    rt.block_on(drop_db(&admin, name));

    // Warm runs for medians per phase.
    let mut per_phase: Vec<Series> = vec![];
    let mut totals = Series::new("engine total (connect → finish)");
    let mut report_series: BTreeMap<String, Series> = BTreeMap::new();
    for i in 0..args.whole_runs {
        let name = format!("pgstage_bench_whole_{i}");
        rt.block_on(async {
            create_from_template(&admin, &name).await;
            let _ = admin.batch_execute("CHECKPOINT").await;
        });
        let run = rt.block_on(whole_run(sandbox, plan, &name, &report_dir));
        rt.block_on(drop_db(&admin, &name));
        if per_phase.is_empty() {
            per_phase = run.phases.iter().map(|(t, _)| Series::new(t.clone())).collect();
        }
        for (s, (_, x)) in per_phase.iter_mut().zip(&run.phases) {
            s.samples.push(*x);
        }
        totals.samples.push(run.phases.iter().map(|p| p.1).sum());
        for (ext, x, _) in &run.reports {
            report_series
                .entry(ext.clone())
                .or_insert_with(|| Series::new(format!("report .{ext} (render + atomic write)")))
                .samples
                .push(*x);
        }
        eprint!(".");
    }
    eprintln!();
    let _ = std::fs::remove_dir_all(&report_dir);

    let r = &cold.result;
    let mut s = String::from("\n## 3. Whole run: the bundled plan, every phase\n\n");
    let _ = writeln!(
        s,
        "Verdict: **{}**; {} migrations applied, {} checks, rollback rehearsed and re-applied: {}.\n",
        if r.verdict.go { "GO" } else { "NO-GO" },
        r.migrations.iter().filter(|m| m.status == MigrationStatus::Applied).count(),
        r.all_checks().count(),
        r.rollback.as_ref().is_some_and(|x| x.reapplied)
    );
    s += "### The cold run (what `pgstage run` does: start the sandbox, build the baseline, run, report)\n\n| phase | ms |\n|---|---:|\n";
    let _ = writeln!(s, "| sandbox start (initdb + server ready) | {:.1} |", ms(sandbox_start));
    let _ = writeln!(s, "| baseline (001–012 + sample data, from the scripts) | {baseline:.1} |");
    let mut total = ms(sandbox_start) + baseline;
    for (title, x) in &cold.phases {
        let _ = writeln!(s, "| {title} | {x:.1} |");
        total += x;
    }
    for (ext, x, size) in &cold.reports {
        let _ = writeln!(s, "| report .{ext} ({size} bytes) | {x:.1} |");
        total += x;
    }
    let _ = writeln!(s, "| **total** | **{total:.1}** |");
    if !cold.skipped.is_empty() {
        let _ = writeln!(
            s,
            "\nReport formats not supported by `pgstage::report` in this build (skipped): {}.",
            cold.skipped.iter().map(|e| format!(".{e}")).collect::<Vec<_>>().join(", ")
        );
    }
    let rows: Vec<&Series> = per_phase.iter().chain([&totals]).chain(report_series.values()).collect();
    s += &table(&format!("per phase, {} runs on fresh clones of the baseline template", args.whole_runs), "ms", &rows);
    let verification: f64 =
        r.verification.iter().chain(&r.schema_summary).chain(&r.sample_data).chain(&r.rls).map(|c| c.duration_ms).sum();
    let _ = writeln!(
        s,
        "\nThe run-book budgets {} hours for this by hand, and \"5–10 s\" for its 16 verification checks; pgstage's verification checks' own time in the cold run: {verification:.1} ms in all.",
        plan.plan.planned_hours
    );
    s
}
