//! Part 10 of the bench (BENCHMARKS.md section 10), **warm** (`--only warm`): `pgstage run
//! --sandbox` of the bundled plan as a user runs it, a process from start to reports written
//! (wall), once cold (an empty baseline cache: initdb, the baseline's scripts, the entry saved)
//! and then `--whole-runs` times warm (a copy of the cached cluster). Targets (issue 25): a warm
//! run < 1.5 s wall, its engine part < 1 s.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use super::{Args, Series, die, ms, root, stats, table};

/// One `pgstage run --sandbox`: wall ms, and the sandbox's "ready in" ms it printed.
fn run_once(cache: &std::path::Path, report: &std::path::Path) -> (f64, f64, String) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_pgstage"))
        .args(["run", "plans/week2_staging.ron", "--sandbox", "--ack-all", "--report"])
        .arg(report)
        .current_dir(root())
        .env("PGSTAGE_BASELINE_CACHE", cache)
        .env("PGSTAGE_STATE_DIR", cache.with_extension("state"))
        .output()
        .unwrap_or_else(|e| die(&e.to_string()));
    let wall = ms(t.elapsed());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        die(&format!("pgstage run --sandbox failed: {text}{}", String::from_utf8_lossy(&out.stderr)));
    }
    let line = text.lines().find(|l| l.starts_with("sandbox: ") && l.contains(" ready in ")).unwrap_or_default().to_owned();
    let ready = line
        .split(" ready in ")
        .nth(1)
        .and_then(|r| r.split(" s").next())
        .and_then(|r| r.parse::<f64>().ok())
        .map_or(f64::NAN, |s| s * 1000.0);
    (wall, ready, line)
}

pub fn warm(args: &Args) -> String {
    let dir = std::env::temp_dir().join(format!("pgstage-bench-warm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| die(&e.to_string()));
    let cache = dir.join("cache");
    let report = dir.join("report.html");
    println!("\n[warm] 1 cold + {} warm `pgstage run --sandbox`…", args.whole_runs);
    let (cold_wall, cold_ready, cold_line) = run_once(&cache, &report);
    let mut wall = Series::new("warm: wall, process start → reports written");
    let mut ready = Series::new("  sandbox ready (copy of the cached cluster, server start, run's database)");
    let mut rest = Series::new("  the rest: connect, engine, reports, exit");
    let mut warm_line = String::new();
    for _ in 0..args.whole_runs {
        let (w, r, line) = run_once(&cache, &report);
        wall.samples.push(w);
        ready.samples.push(r);
        rest.samples.push(w - r);
        warm_line = line;
        eprint!(".");
    }
    eprintln!();
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = String::from("\n## 10. A warm rehearsal: `pgstage run --sandbox`, process start → reports written\n\n");
    let _ =
        writeln!(s, "Cold (empty cache): **{cold_wall:.0} ms** wall, sandbox ready after {cold_ready:.0} ms (`{cold_line}`).");
    let _ = writeln!(s, "Warm: `{warm_line}`.");
    s += &table(&format!("{} warm runs", args.whole_runs), "ms", &[&wall, &ready, &rest]);
    let w = stats(&wall.samples).median;
    let _ = writeln!(
        s,
        "\nWarm wall median **{w:.0} ms**: {} (target < 1500 ms); the rest (engine, reports) {:.0} ms (target < 1000 ms).",
        if w < 1500.0 { "meets" } else { "MISSES" },
        stats(&rest.samples).median
    );
    s
}
