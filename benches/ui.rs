//! UI benchmarks (CPU side, headless: egui layout + tessellation, no GPU):
//! - frame time of the Results tab with 100,000 check rows, sorted by each column, and of the
//!   Charts tab, p50 / p99 over many frames;
//! - the cost of one sort of 100,000 rows, per column;
//! - time from nothing to the first frame (context, app, plan loaded, first pass);
//! - peak memory (VmHWM) of the process after a full run on the sandbox, driven through the
//!   app's own worker.
//!
//! Run: `cargo bench --bench ui`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pgstage::gui::AppOptions;
use pgstage::gui::app::{PgstageApp, Tab};
use pgstage::gui::dialog::FixedPaths;
use pgstage::gui::panels::results::{CHECK_COLUMNS, CheckRows};
use pgstage::gui::run_state::CheckRow;
use pgstage::gui::table::TableState;
use pgstage::run_result::RunResult;

const ROWS: usize = 100_000;
const FRAMES: usize = 300;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Ui {
    ctx: egui::Context,
    app: PgstageApp,
    frame: eframe::Frame,
}

impl Ui {
    fn new(runtime: &tokio::runtime::Runtime) -> Self {
        let ctx = egui::Context::default();
        let cc = eframe::CreationContext::_new_kittest(ctx.clone());
        let options = AppOptions {
            plan: Some(root().join("plans/week2_staging.ron")),
            dialogs: Arc::new(FixedPaths { plan: None, report: None }),
            runtime: runtime.handle().clone(),
            persist: false,
        };
        let app = PgstageApp::new(&cc, options);
        Self { ctx, app, frame: eframe::Frame::_new_kittest() }
    }

    /// One frame: logic, layout, tessellation. Returns its CPU time.
    fn frame(&mut self) -> Duration {
        self.frame_and_vertices().0
    }

    /// One frame, and how many vertices it tessellated (proof that something was drawn).
    fn frame_and_vertices(&mut self) -> (Duration, usize) {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1360.0, 880.0))),
            ..Default::default()
        };
        let started = Instant::now();
        let (app, frame) = (&mut self.app, &mut self.frame);
        eframe::App::logic(app, &self.ctx, frame);
        let out = self.ctx.run_ui(input, |ui| eframe::App::ui(app, ui, frame));
        let primitives = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        let elapsed = started.elapsed();
        let vertices = primitives
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum();
        (elapsed, vertices)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A finished run's result (the report fixture), with its checks repeated to `ROWS` rows
/// of varied values.
fn big_run() -> (RunResult, Vec<CheckRow>) {
    let text = std::fs::read_to_string(root().join("tests/fixtures/report/run_go.json")).unwrap();
    let result: RunResult = serde_json::from_str(&text).unwrap();
    let base: Vec<CheckRow> = pgstage::plan::Section::ALL
        .iter()
        .flat_map(|s| result.section(*s).iter().map(move |r| CheckRow { section: s.to_string(), result: r.clone() }))
        .collect();
    let rows = (0..ROWS)
        .map(|i| {
            let mut row = base[i % base.len()].clone();
            row.result.id = format!("{}-{i}", row.result.id);
            row.result.duration_ms = ((i * 7919) % 10_007) as f64 / 10.0;
            row
        })
        .collect();
    (result, rows)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();

    // Time to the first frame: context, app (plan loaded, worker spawned), first pass.
    let started = Instant::now();
    let mut ui = Ui::new(&runtime);
    ui.frame();
    let first_frame = started.elapsed();

    // A full run on the sandbox through the app's own worker, then the peak memory.
    let mut full = Ui::new(&runtime);
    full.frame();
    let manual: Vec<(String, String)> =
        full.app.plan.as_ref().unwrap().plan.preflight.manual.iter().map(|m| (m.id.clone(), m.title.clone())).collect();
    for (id, title) in manual {
        full.app.set_ack(&id, &title, true);
    }
    let t = Instant::now();
    full.app.run_command(true);
    while full.app.run.result.is_none() {
        assert!(t.elapsed() < Duration::from_secs(120), "the run did not finish: {:?}", full.app.log);
        std::thread::sleep(Duration::from_millis(10));
        full.frame();
    }
    for tab in Tab::ALL {
        full.app.tab = tab;
        full.frame();
    }
    let go = full.app.run.result.as_ref().is_some_and(|r| r.verdict.go);
    println!("full run through the app: {:.2} s, verdict {}", t.elapsed().as_secs_f64(), if go { "GO" } else { "NO-GO" });
    println!("peak RSS after the full run (every tab drawn once): {:.1} MiB", peak_rss_kib() as f64 / 1024.0);
    drop(full);

    let (result, rows) = big_run();
    ui.app.run.checks = rows;
    ui.app.run.migrations = result.migrations.clone();
    ui.app.run.result = Some(result);
    ui.app.run.version += 1;

    println!("UI, CPU side (layout + tessellation), 1360x880, {ROWS} check rows, {FRAMES} frames each");
    println!("{:<22} {:>12} {:>10} {:>10}", "view", "sort (ms)", "p50 (ms)", "p99 (ms)");
    ui.app.tab = Tab::Results;
    for (column, name) in CHECK_COLUMNS.iter().enumerate() {
        // The cost of one sort, alone.
        let mut table = TableState::default();
        table.toggle_sort(column);
        let t = Instant::now();
        table.refresh(&CheckRows(&ui.app.run.checks), 1);
        let sort = t.elapsed();
        // Frames of the Results tab sorted by this column (the first one sorts).
        ui.app.results.checks_table.sort = Some((column, false));
        let mut times: Vec<f64> = (0..FRAMES).map(|_| ms(ui.frame())).collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{:<22} {:>12.1} {:>10.2} {:>10.2}",
            format!("results by {name}"),
            ms(sort),
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    let (_, vertices) = ui.frame_and_vertices();
    let visible = ui.app.results.checks_table.order().len();
    println!("(the Results tab tessellates {vertices} vertices per frame; {visible} rows sorted, the visible ones drawn)");
    ui.app.tab = Tab::Charts;
    let mut times: Vec<f64> = (0..FRAMES).map(|_| ms(ui.frame())).collect();
    times.sort_by(f64::total_cmp);
    println!("{:<22} {:>12} {:>10.2} {:>10.2}", "charts", "-", percentile(&times, 0.5), percentile(&times, 0.99));
    println!("first frame (app created, plan loaded, first pass): {:.1} ms", ms(first_frame));
}

/// VmHWM of this process, KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}
