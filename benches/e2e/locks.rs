//! Part 9 of the bench (BENCHMARKS.md section 9), **locks** (`--only locks`): what the
//! application feels. Per migration of Week 2 (013–017), how long the session applying it holds
//! a lock on a relation that existed before the batch, from the first such lock to COMMIT:
//! under pgstage (the engine with its lock trace, probes and data-change bookkeeping) and under
//! `psql -1 -f` of the same file, alternating, each on a fresh clone. Target (issue 25):
//! pgstage / psql ≤ 1.10.
//!
//! How: a watcher polls `pg_locks` inside the server (a `DO` loop in the maintenance database,
//! about every half millisecond of server time, no client round trip, timestamps from
//! `clock_timestamp()`), recording per iteration which sessions (pid, transaction,
//! application name) hold a relation lock on the clone's relations that existed before (oids
//! from 16384 up to the largest at the clone). A transaction's window runs from halfway between
//! the last iteration without its locks and the first with them, to halfway between the last
//! with them and the first without. Per migration, the longest window inside the migration's
//! step (pgstage, its main session) or process (psql, by application name) is its window:
//! pgstage's probes run on its second connection, in short transactions of their own.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::{Args, Series, admin, create_from_template, die, drop_db, migrations_only, psql, session, stats, table};
use pgstage::engine::{Engine, RunOptions, Step};
use pgstage::plan::LoadedPlan;
use pgstage::sandbox::Sandbox;
use tokio::runtime::Runtime;

/// Stops the watcher's loop: held by the bench while a contender runs.
const STOP_KEY: i64 = 0x0070_6773_7461_6765;

/// One iteration of the watcher: server time (Unix seconds) and the holders then
/// (`pid|virtualtransaction|application_name`).
struct Poll {
    at: f64,
    holders: Vec<String>,
}

/// The watcher: run the loop until the bench releases `STOP_KEY` (held by `stopper`), then read
/// what it recorded.
async fn watch(config: tokio_postgres::Config, db: String, top: u32) -> Vec<Poll> {
    let client = pgstage::db::connect_config(&config).await.unwrap_or_else(|e| die(&e.to_string()));
    let setup = format!(
        "CREATE TEMP TABLE polls (at float8, holders text[]);
         DO $$
         DECLARE db oid := (SELECT oid FROM pg_database WHERE datname = '{db}');
                 top oid := {top};
         BEGIN
           LOOP
             EXIT WHEN pg_try_advisory_lock({STOP_KEY});
             -- pg_stat_activity is read once per transaction unless cleared: sessions that
             -- connect later would have no name.
             PERFORM pg_stat_clear_snapshot();
             INSERT INTO polls
               SELECT extract(epoch FROM clock_timestamp()),
                      coalesce(array_agg(DISTINCT l.pid || '|' || l.virtualtransaction || '|' || coalesce(a.application_name, ''))
                               FILTER (WHERE l.pid IS NOT NULL), '{{}}')
               FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE l.locktype = 'relation' AND l.database = db AND l.granted
                 AND l.relation >= 16384 AND l.relation <= top AND l.pid <> pg_backend_pid();
             PERFORM pg_sleep(0.0005);
           END LOOP;
           PERFORM pg_advisory_unlock({STOP_KEY});
         END $$;"
    );
    client.batch_execute(&setup).await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
    client
        .query("SELECT at, holders FROM polls ORDER BY at", &[])
        .await
        .unwrap_or_else(|e| die(&e.to_string()))
        .iter()
        .map(|r| Poll { at: r.get(0), holders: r.get(1) })
        .collect()
}

/// Per transaction seen: holder, start and end (Unix seconds).
fn windows(polls: &[Poll]) -> Vec<(String, f64, f64)> {
    let mut open: BTreeMap<String, f64> = BTreeMap::new();
    let mut done = Vec::new();
    for (k, poll) in polls.iter().enumerate() {
        let previous = if k == 0 { poll.at } else { polls[k - 1].at };
        let midway = (previous + poll.at) / 2.0;
        for holder in &poll.holders {
            open.entry(holder.clone()).or_insert(midway);
        }
        let gone: Vec<String> = open.keys().filter(|h| !poll.holders.contains(h)).cloned().collect();
        for holder in gone {
            let start = open.remove(&holder).expect("open");
            done.push((holder, start, midway));
        }
    }
    done
}

fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs_f64()
}

/// The longest window of a holder whose application name starts with `app` inside
/// `[from, to]` (Unix seconds), in ms.
fn longest_within(windows: &[(String, f64, f64)], app: &str, from: f64, to: f64) -> f64 {
    windows
        .iter()
        .filter(|(h, s, e)| {
            h.splitn(3, '|').nth(2).is_some_and(|a| a.starts_with(app) && !a.ends_with("(catalog reader)"))
                && *s >= from
                && *e <= to + 0.005
        })
        .map(|(_, s, e)| (e - s) * 1000.0)
        .fold(0.0, f64::max)
}

/// The engine on `db`: per migration, the interval of its step.
async fn engine_steps(sandbox: &Sandbox, plan: &LoadedPlan, db: &str) -> Vec<(f64, f64)> {
    let session = session(sandbox, db).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let options = RunOptions { operator: "bench".into(), ..Default::default() };
    let mut engine = Engine::start(plan.clone(), session, options, tx).await.unwrap_or_else(|e| die(&e.to_string()));
    let mut steps = Vec::new();
    while let Some(step) = engine.next_step() {
        if !matches!(step, Step::Preflight | Step::Migration(_)) {
            break;
        }
        let t = now();
        engine.step().await;
        if matches!(step, Step::Migration(_)) {
            steps.push((t, now()));
        }
    }
    let _ = engine.finish().await;
    let _ = drain.await;
    steps
}

/// One contender on `db` with the watcher running: per migration, its lock window (ms); `app`:
/// the application name of the contender's applying session(s).
fn measure(rt: &Runtime, sandbox: &Sandbox, db: &str, app: &str, run: impl FnOnce() -> Vec<(f64, f64)>) -> Vec<f64> {
    let stopper = rt.block_on(admin(sandbox));
    rt.block_on(stopper.batch_execute(&format!("SELECT pg_advisory_lock({STOP_KEY})"))).unwrap_or_else(|e| die(&e.to_string()));
    // The clone's relations that existed before: up to its largest oid now.
    let top: u32 = rt.block_on(async {
        let client = pgstage::db::connect_config(&sandbox.config(db)).await.unwrap_or_else(|e| die(&e.to_string()));
        client.query_one("SELECT max(oid)::oid FROM pg_class", &[]).await.unwrap_or_else(|e| die(&e.to_string())).get(0)
    });
    let watcher = rt.spawn(watch(sandbox.config("postgres"), db.to_owned(), top));
    std::thread::sleep(std::time::Duration::from_millis(100)); // the watcher is looping
    let intervals = run();
    std::thread::sleep(std::time::Duration::from_millis(20));
    rt.block_on(stopper.batch_execute(&format!("SELECT pg_advisory_unlock({STOP_KEY})"))).unwrap_or_else(|e| die(&e.to_string()));
    let polls = rt.block_on(watcher).unwrap_or_else(|e| die(&e.to_string()));
    let seen = windows(&polls);
    intervals.iter().map(|(from, to)| longest_within(&seen, app, *from, *to)).collect()
}

pub fn locks(rt: &Runtime, sandbox: &Sandbox, plan: &LoadedPlan, args: &Args) -> String {
    let reduced = migrations_only(plan);
    let files: Vec<PathBuf> = plan.plan.migrations.iter().map(|m| plan.resolve(&m.file)).collect();
    let ids: Vec<String> = plan.plan.migrations.iter().map(|m| m.id.clone()).collect();
    let admin = rt.block_on(admin(sandbox));
    let mut engine_ms: Vec<Series> = ids.iter().map(|id| Series::new(format!("{id}: pgstage"))).collect();
    let mut psql_ms: Vec<Series> = ids.iter().map(|id| Series::new(format!("{id}: psql -1 -f"))).collect();
    let mut ratios: Vec<Series> = ids.iter().map(|id| Series::new(format!("{id}: pgstage / psql"))).collect();
    let mut total_ratio = Series::new("all five: Σ pgstage / Σ psql");
    println!("\n[locks] {} rounds (+1 warm-up), pgstage and psql alternating…", args.rounds);
    for round in 0..=args.rounds {
        let names = ["pgstage_bench_locks_a", "pgstage_bench_locks_b"];
        rt.block_on(async {
            for n in names {
                create_from_template(&admin, n).await;
            }
            let _ = admin.batch_execute("CHECKPOINT").await;
        });
        let mut a = Vec::new();
        let mut b = Vec::new();
        for k in 0..2 {
            if (k + round) % 2 == 0 {
                a = measure(rt, sandbox, names[0], "pgstage run", || rt.block_on(engine_steps(sandbox, &reduced, names[0])));
            } else {
                b = measure(rt, sandbox, names[1], "psql", || {
                    files
                        .iter()
                        .map(|f| {
                            let t = now();
                            psql(sandbox, names[1], &["-1", "-f", f.to_str().expect("utf-8 path")]);
                            (t, now())
                        })
                        .collect()
                });
            }
        }
        rt.block_on(async {
            for n in names {
                drop_db(&admin, n).await;
            }
        });
        if a.len() != ids.len() || b.len() != ids.len() {
            die(&format!("locks: {} engine and {} psql windows for {} migrations", a.len(), b.len(), ids.len()));
        }
        if round == 0 {
            continue; // warm-up
        }
        for i in 0..ids.len() {
            engine_ms[i].samples.push(a[i]);
            psql_ms[i].samples.push(b[i]);
            if b[i] > 0.0 {
                ratios[i].samples.push(a[i] / b[i]);
            }
        }
        total_ratio.samples.push(a.iter().sum::<f64>() / b.iter().sum::<f64>());
        eprint!(".");
    }
    eprintln!();
    let mut s = String::from("\n## 9. What the application feels: locks on pre-existing tables, first lock → COMMIT\n");
    let rows: Vec<&Series> = engine_ms.iter().zip(&psql_ms).flat_map(|(e, p)| [e, p]).collect();
    s += &table("per migration, the window its session holds locks on tables that existed before", "ms", &rows);
    let ratio_rows: Vec<&Series> = ratios.iter().chain([&total_ratio]).collect();
    s += &table("pgstage / psql -1 -f (same round, fresh clones)", "ratio", &ratio_rows);
    let worst = ratios.iter().filter(|r| !r.samples.is_empty()).map(|r| stats(&r.samples).median).fold(0.0, f64::max);
    let _ = writeln!(
        s,
        "\nWorst migration's median ratio **{worst:.3}**, all five **{:.3}**: {} (target ≤ 1.10).",
        stats(&total_ratio.samples).median,
        if worst <= 1.10 { "meets" } else { "MISSES" }
    );
    s
}
