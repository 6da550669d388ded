//! Part 4 of the bench, **bigdata** (`--only bigdata`): the bundled plan on the sample baseline
//! against the same plan on a baseline with several million rows (about 1 GB: 20,000 more workspaces, 2 million
//! moves spread over them, 2 million audit-log rows), alternating, each on a fresh clone. The
//! target: the whole engine run on the big one within 1.2× of the small one, since no step
//! scans every row by default.

use std::fmt::Write as _;
use std::time::Instant;

use super::{Args, Series, TEMPLATE, admin, die, drop_db, ms, table, whole_run};
use pgstage::plan::LoadedPlan;
use pgstage::sandbox::Sandbox;
use tokio::runtime::Runtime;

const BIG_DATA: &str = "pgstage_bench_bigdata_tpl";

/// Rows of the big baseline, scaled by `--scale`.
const WORKSPACES: f64 = 20_000.0;
const MOVES_PER_WORKSPACE: f64 = 100.0;
const AUDIT_ROWS: f64 = 2_000_000.0;

async fn generate(admin: &tokio_postgres::Client, sandbox: &Sandbox, scale: f64) -> (f64, i64) {
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {BIG_DATA} WITH (FORCE)")).await;
    pgstage::db::create_database(admin, BIG_DATA, Some(TEMPLATE)).await.unwrap_or_else(|e| die(&e.to_string()));
    let client = pgstage::db::connect_config(&sandbox.config(BIG_DATA)).await.unwrap_or_else(|e| die(&e.to_string()));
    let t = Instant::now();
    let (workspaces, moves, audit) = ((WORKSPACES * scale) as i64, (MOVES_PER_WORKSPACE) as i64, (AUDIT_ROWS * scale) as i64);
    client
        .batch_execute(&format!(
            "INSERT INTO public.workspaces (name, slug) SELECT 'bench ' || g, 'bench-' || g FROM generate_series(1, {workspaces}) g;
             INSERT INTO public.moves (workspace_id, title, description, channel, status)
               SELECT w.id, 'move ' || g, repeat('lorem ipsum ', 16), 'email', 'planned'
               FROM public.workspaces w, generate_series(1, {moves}) g WHERE w.slug LIKE 'bench-%';
             INSERT INTO public.audit_log (workspace_id, action, entity_type, changes)
               SELECT NULL, 'update', 'move', jsonb_build_object('note', repeat('x', 120), 'n', g) FROM generate_series(1, {audit}) g;"
        ))
        .await
        .unwrap_or_else(|e| die(&format!("generating the big baseline: {}", pgstage::db::describe(&e))));
    // As on a staging that autovacuum looks after: statistics known, visibility map set.
    client.batch_execute("VACUUM ANALYZE").await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
    let size: i64 = client.query_one("SELECT pg_database_size(current_database())", &[]).await.unwrap().get(0);
    drop(client);
    let _ = admin.batch_execute("CHECKPOINT").await;
    (ms(t.elapsed()), size)
}

/// A fresh clone of `template`, copied file by file where the server can (PostgreSQL 15+).
pub(super) async fn clone(admin: &tokio_postgres::Client, template: &str, name: &str) {
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    let version: i32 = admin.query_one("SELECT current_setting('server_version_num')::int", &[]).await.unwrap().get(0);
    let strategy = if version >= 150_000 { " STRATEGY = FILE_COPY" } else { "" };
    admin
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}{strategy}"))
        .await
        .unwrap_or_else(|e| die(&e.to_string()));
}

pub fn bigdata(rt: &Runtime, sandbox: &Sandbox, plan: &LoadedPlan, args: &Args) -> String {
    let admin = rt.block_on(admin(sandbox));
    println!("\n[bigdata] generating the big baseline (scale {})…", args.scale);
    let (generated_ms, size) = rt.block_on(generate(&admin, sandbox, args.scale));
    let report_dir = std::env::temp_dir().join(format!("pgstage-bench-bigdata-{}", std::process::id()));
    std::fs::create_dir_all(&report_dir).unwrap_or_else(|e| die(&e.to_string()));
    let runs = args.whole_runs.clamp(3, 10);
    let (mut small, mut big, mut ratio) =
        (Series::new("sample baseline"), Series::new("big baseline"), Series::new("big / sample"));
    let mut phases_small: Vec<Series> = vec![];
    let mut phases_big: Vec<Series> = vec![];
    for i in 0..runs {
        let mut totals = [0.0; 2];
        // Alternate which goes first.
        let order = if i % 2 == 0 { [(TEMPLATE, 0), (BIG_DATA, 1)] } else { [(BIG_DATA, 1), (TEMPLATE, 0)] };
        for (template, which) in order {
            let name = format!("pgstage_bench_bd_{which}");
            rt.block_on(clone(&admin, template, &name));
            let _ = rt.block_on(admin.batch_execute("CHECKPOINT"));
            let run = rt.block_on(whole_run(sandbox, plan, &name, &report_dir));
            rt.block_on(drop_db(&admin, &name));
            let phases = if which == 0 { &mut phases_small } else { &mut phases_big };
            if phases.is_empty() {
                *phases = run.phases.iter().map(|(t, _)| Series::new(t.clone())).collect();
            }
            for (s, (_, x)) in phases.iter_mut().zip(&run.phases) {
                s.samples.push(*x);
            }
            totals[which] = run.phases.iter().map(|p| p.1).sum();
        }
        small.samples.push(totals[0]);
        big.samples.push(totals[1]);
        ratio.samples.push(totals[1] / totals[0]);
        eprint!(".");
    }
    eprintln!();
    rt.block_on(drop_db(&admin, BIG_DATA));
    let _ = std::fs::remove_dir_all(&report_dir);
    let mut s = String::from("\n## 4. Whole run on a big baseline (cost grows with the change, not with the database)\n\n");
    let _ = writeln!(
        s,
        "Big baseline: {:.0} MB ({} more workspaces, {} moves, {} audit-log rows), generated in {:.1} s. \
         Sample baseline: the bundled sample data. Engine total = connect → finish, every step.",
        size as f64 / (1024.0 * 1024.0),
        (WORKSPACES * args.scale) as i64,
        (WORKSPACES * args.scale * MOVES_PER_WORKSPACE) as i64,
        (AUDIT_ROWS * args.scale) as i64,
        generated_ms / 1000.0
    );
    s += &table(&format!("engine total, {runs} alternating runs on fresh clones"), "ms", &[&small, &big]);
    s += &table("per-run ratio (target ≤ 1.2)", "ratio", &[&ratio]);
    s += "\n### per phase, medians (ms)\n\n| phase | sample | big |\n|---|---:|---:|\n";
    for (a, b) in phases_small.iter().zip(&phases_big) {
        let _ = writeln!(s, "| {} | {:.1} | {:.1} |", a.name, super::stats(&a.samples).median, super::stats(&b.samples).median);
    }
    s
}
