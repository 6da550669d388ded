//! Part 9 of the bench (BENCHMARKS.md section 9), **locks** (`--only locks`): what the
//! application feels. Per migration of Week 2 (013–017), how long the session applying it holds
//! a lock on a relation that existed before the batch, from the first such lock to COMMIT:
//! under pgstage (the engine with its lock trace, probes and data-change bookkeeping) and under
//! `psql -1 -f` of the same file, alternating, each on a fresh clone. Target (issue 25):
//! pgstage / psql ≤ 1.10.
//!
//! How: a third connection polls `pg_locks` (about every millisecond) for relation locks on the
//! clone's pre-existing relations (oids from 16384 up to the largest at the clone) held by any
//! other session, per transaction (`virtualtransaction`); a transaction's window runs from
//! halfway between the last poll without its locks and the first with them, to halfway
//! between the last poll with them and the first without. Per migration the longest window
//! inside the migration's step (pgstage) or process (psql) is its window: the probes of
//! pgstage's second connection take short locks in transactions of their own.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::{Args, Series, admin, create_from_template, die, drop_db, migrations_only, psql, session, stats, table};
use pgstage::engine::{Engine, RunOptions, Step};
use pgstage::plan::LoadedPlan;
use pgstage::sandbox::Sandbox;
use tokio::runtime::Runtime;

/// One poll: when it was sent and answered, and the transactions holding locks then.
struct Poll {
    sent: Instant,
    answered: Instant,
    holders: Vec<String>,
}

impl Poll {
    fn at(&self) -> Instant {
        self.sent + (self.answered - self.sent) / 2
    }
}

/// Poll the locks of `config`'s database on its pre-existing relations until `stop`.
async fn poll_locks(config: tokio_postgres::Config, stop: Arc<AtomicBool>) -> Vec<Poll> {
    let client = pgstage::db::connect_config(&config).await.unwrap_or_else(|e| die(&e.to_string()));
    let max: u32 = client
        .query_one("SELECT max(oid)::oid FROM pg_class", &[])
        .await
        .unwrap_or_else(|e| die(&e.to_string()))
        .get::<_, u32>(0);
    let query = client
        .prepare(
            "SELECT DISTINCT virtualtransaction FROM pg_locks
             WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND relation >= 16384 AND relation <= $1 AND pid <> pg_backend_pid() AND granted",
        )
        .await
        .unwrap_or_else(|e| die(&e.to_string()));
    let mut polls = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let sent = Instant::now();
        let rows = client.query(&query, &[&max]).await.unwrap_or_else(|e| die(&e.to_string()));
        let answered = Instant::now();
        polls.push(Poll { sent, answered, holders: rows.iter().map(|r| r.get(0)).collect() });
        tokio::time::sleep(std::time::Duration::from_micros(500)).await;
    }
    polls
}

/// Per transaction seen: its window (start, end).
fn windows(polls: &[Poll]) -> Vec<(Instant, Instant)> {
    let mut open: BTreeMap<String, Instant> = BTreeMap::new();
    let mut done = Vec::new();
    for (k, poll) in polls.iter().enumerate() {
        let previous = if k == 0 { poll.at() } else { polls[k - 1].at() };
        let midway = previous + (poll.at() - previous) / 2;
        for holder in &poll.holders {
            open.entry(holder.clone()).or_insert(midway);
        }
        let gone: Vec<String> = open.keys().filter(|h| !poll.holders.contains(h)).cloned().collect();
        for holder in gone {
            done.push((open.remove(&holder).expect("open"), midway));
        }
    }
    done
}

/// The longest window inside `[from, to]`, in ms.
fn longest_within(windows: &[(Instant, Instant)], from: Instant, to: Instant) -> f64 {
    windows
        .iter()
        .filter(|(s, e)| *s >= from && *e <= to + std::time::Duration::from_millis(5))
        .map(|(s, e)| super::ms(*e - *s))
        .fold(0.0, f64::max)
}

/// The engine on `db`: per migration, the interval of its step.
async fn engine_steps(sandbox: &Sandbox, plan: &LoadedPlan, db: &str) -> Vec<(Instant, Instant)> {
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
        let t = Instant::now();
        engine.step().await;
        if matches!(step, Step::Migration(_)) {
            steps.push((t, Instant::now()));
        }
    }
    let _ = engine.finish().await;
    let _ = drain.await;
    steps
}

/// One contender on `db` with the poller running: per migration, its lock window (ms).
fn measure(rt: &Runtime, sandbox: &Sandbox, db: &str, run: impl FnOnce() -> Vec<(Instant, Instant)>) -> Vec<f64> {
    let stop = Arc::new(AtomicBool::new(false));
    let poller = rt.spawn(poll_locks(sandbox.config(db), stop.clone()));
    std::thread::sleep(std::time::Duration::from_millis(50)); // the poller connected
    let intervals = run();
    std::thread::sleep(std::time::Duration::from_millis(20));
    stop.store(true, Ordering::SeqCst);
    let polls = rt.block_on(poller).unwrap_or_else(|e| die(&e.to_string()));
    let seen = windows(&polls);
    intervals.iter().map(|(from, to)| longest_within(&seen, *from, *to)).collect()
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
                a = measure(rt, sandbox, names[0], || rt.block_on(engine_steps(sandbox, &reduced, names[0])));
            } else {
                b = measure(rt, sandbox, names[1], || {
                    files
                        .iter()
                        .map(|f| {
                            let t = Instant::now();
                            psql(sandbox, names[1], &["-1", "-f", f.to_str().expect("utf-8 path")]);
                            (t, Instant::now())
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
