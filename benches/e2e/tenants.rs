//! Part 7 of the bench (BENCHMARKS.md section 7), **tenants** (`--only tenants`): the bundled plan on the sample baseline
//! against the same baseline plus 10,000 other tables (100 tenant schemas × 100 tables, each with
//! a primary key, an index and a foreign key; `--scale 10`: 1,000 schemas, 100,000 tables),
//! alternating, each on a fresh clone. Targets (issue 25): ≤ 1.3× at 10,000 tables, ≤ 2× at
//! 100,000, since the run reads only what the plan covers.

use std::fmt::Write as _;
use std::time::Instant;

use super::bigdata::clone;
use super::{Args, Series, TEMPLATE, admin, die, drop_db, ms, table, whole_run};
use pgstage::plan::LoadedPlan;
use pgstage::sandbox::Sandbox;
use tokio::runtime::Runtime;

const TENANTS: &str = "pgstage_bench_tenants_tpl";
const TABLES_PER_SCHEMA: usize = 100;

/// The tenant schemas, one transaction each.
async fn generate(admin: &tokio_postgres::Client, sandbox: &Sandbox, schemas: usize) -> f64 {
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {TENANTS} WITH (FORCE)")).await;
    pgstage::db::create_database(admin, TENANTS, Some(TEMPLATE)).await.unwrap_or_else(|e| die(&e.to_string()));
    let client = pgstage::db::connect_config(&sandbox.config(TENANTS)).await.unwrap_or_else(|e| die(&e.to_string()));
    let t = Instant::now();
    for s in 0..schemas {
        let mut sql = format!("BEGIN; CREATE SCHEMA tenant_{s:04};\n");
        for i in 0..TABLES_PER_SCHEMA {
            let parent = if i == 0 { format!("t_{:03}", TABLES_PER_SCHEMA - 1) } else { format!("t_{:03}", i - 1) };
            let _ = writeln!(
                sql,
                "CREATE TABLE tenant_{s:04}.t_{i:03} (id bigint PRIMARY KEY, name text NOT NULL, \
                 created_at timestamptz DEFAULT now(), parent_id bigint);
                 CREATE INDEX ON tenant_{s:04}.t_{i:03} (name);"
            );
            if i == TABLES_PER_SCHEMA - 1 {
                for j in 0..TABLES_PER_SCHEMA {
                    let parent = if j == 0 { parent.clone() } else { format!("t_{:03}", j - 1) };
                    let _ = writeln!(
                        sql,
                        "ALTER TABLE tenant_{s:04}.t_{j:03} ADD FOREIGN KEY (parent_id) REFERENCES tenant_{s:04}.{parent};"
                    );
                }
            }
        }
        sql.push_str("COMMIT;");
        client.batch_execute(&sql).await.unwrap_or_else(|e| die(&format!("tenant schemas: {}", pgstage::db::describe(&e))));
        if s % 50 == 49 {
            eprint!("+");
        }
    }
    client.batch_execute("VACUUM ANALYZE").await.unwrap_or_else(|e| die(&pgstage::db::describe(&e)));
    drop(client);
    let _ = admin.batch_execute("CHECKPOINT").await;
    ms(t.elapsed())
}

pub fn tenants(rt: &Runtime, sandbox: &Sandbox, plan: &LoadedPlan, args: &Args) -> String {
    let admin = rt.block_on(admin(sandbox));
    let schemas = (100.0 * args.scale).round().max(1.0) as usize;
    let tables = schemas * TABLES_PER_SCHEMA;
    println!("\n[tenants] generating {tables} other tables in {schemas} schemas…");
    let generated_ms = rt.block_on(generate(&admin, sandbox, schemas));
    let report_dir = std::env::temp_dir().join(format!("pgstage-bench-tenants-{}", std::process::id()));
    std::fs::create_dir_all(&report_dir).unwrap_or_else(|e| die(&e.to_string()));
    let runs = args.whole_runs.clamp(3, 20);
    let (mut plain, mut big, mut ratio) =
        (Series::new("baseline alone"), Series::new(format!("baseline + {tables} tables")), Series::new("tenants / alone"));
    // The same runs less the time the pre-flight waited, at its end, for the plan's PF-SIZE
    // (`pg_database_size`, asked on its own connection from the pre-flight's start): what the
    // run would take if the database's size were had for nothing.
    let (mut plain_less, mut big_less, mut ratio_less) = (
        Series::new("baseline alone, less the wait for pg_database_size"),
        Series::new(format!("baseline + {tables} tables, less the wait for pg_database_size")),
        Series::new("tenants / alone, less the wait for pg_database_size"),
    );
    let mut phases_plain: Vec<Series> = vec![];
    let mut phases_big: Vec<Series> = vec![];
    // One run of each first, not counted (warm-up).
    for i in 0..=runs {
        let (mut totals, mut less) = ([0.0; 2], [0.0; 2]);
        let order = if i % 2 == 0 { [(TEMPLATE, 0), (TENANTS, 1)] } else { [(TENANTS, 1), (TEMPLATE, 0)] };
        for (template, which) in order {
            let name = format!("pgstage_bench_tn_{which}");
            rt.block_on(clone(&admin, template, &name));
            let _ = rt.block_on(admin.batch_execute("CHECKPOINT"));
            let run = rt.block_on(whole_run(sandbox, plan, &name, &report_dir));
            rt.block_on(drop_db(&admin, &name));
            if i == 0 {
                continue;
            }
            let phases = if which == 0 { &mut phases_plain } else { &mut phases_big };
            if phases.is_empty() {
                *phases = run.phases.iter().map(|(t, _)| Series::new(t.clone())).collect();
            }
            for (s, (_, x)) in phases.iter_mut().zip(&run.phases) {
                s.samples.push(*x);
            }
            totals[which] = run.phases.iter().map(|p| p.1).sum();
            let sizing: f64 = run
                .result
                .preflight
                .iter()
                .filter(|c| c.metric == Some(pgstage::plan::Metric::DatabaseSizeMb))
                .map(|c| c.duration_ms)
                .sum();
            less[which] = totals[which] - sizing;
        }
        if i > 0 {
            plain.samples.push(totals[0]);
            big.samples.push(totals[1]);
            ratio.samples.push(totals[1] / totals[0]);
            plain_less.samples.push(less[0]);
            big_less.samples.push(less[1]);
            ratio_less.samples.push(less[1] / less[0]);
        }
        eprint!(".");
    }
    eprintln!();
    rt.block_on(drop_db(&admin, TENANTS));
    let _ = std::fs::remove_dir_all(&report_dir);
    let target = if tables > 10_000 { "≤ 2" } else { "≤ 1.3" };
    let mut s = format!("\n## 7. Whole run on a staging with {tables} other tables (reads only what the plan covers)\n\n");
    let _ = writeln!(
        s,
        "{schemas} tenant schemas × {TABLES_PER_SCHEMA} tables (primary key, index, foreign key), generated in {:.1} s. \
         Engine total = connect → finish, every step, reports not included.",
        generated_ms / 1000.0
    );
    s +=
        &table(&format!("engine total, {runs} alternating runs on fresh clones (after one warm-up each)"), "ms", &[&plain, &big]);
    s += &table(&format!("per-run ratio (target {target})"), "ratio", &[&ratio]);
    s += &table(
        "the same runs less the pre-flight's wait for the plan's PF-SIZE (pg_database_size, on its own connection)",
        "ms",
        &[&plain_less, &big_less],
    );
    s += &table("per-run ratio, less that wait", "ratio", &[&ratio_less]);
    s += "\n### per phase, medians (ms)\n\n| phase | alone | with the other tables |\n|---|---:|---:|\n";
    for (a, b) in phases_plain.iter().zip(&phases_big) {
        let _ = writeln!(s, "| {} | {:.1} | {:.1} |", a.name, super::stats(&a.samples).median, super::stats(&b.samples).median);
    }
    s
}
