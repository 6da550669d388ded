//! The desktop app (eframe/egui): a thin layer over the engine. Database work runs on a tokio
//! runtime off the UI thread ([`worker`]); results arrive as events and each one repaints.
//! Each tab is a panel that owns its own state and renders from a read-only [`view::View`];
//! what the operator asks for is a [`command::UiCommand`], applied in [`command_handling`].

pub mod app;
pub mod command;
pub mod command_handling;
pub mod confirm;
pub mod connection;
pub mod dialog;
pub mod import;
pub mod log;
pub mod messages;
pub mod panels;
pub mod review;
pub mod run_state;
pub mod table;
pub mod view;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;

pub use app::{AppOptions, PgstageApp};

/// Open the window with `plan` loaded (the sandbox is the default target).
pub fn run(plan: Option<PathBuf>, compare: Option<PathBuf>) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let handle = runtime.handle().clone();
    let _guard = runtime.enter();
    let persistence_path = eframe::storage_dir("pgstage").map(|dir| settings_file(&dir));
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("pgstage")
            .with_inner_size([1360.0, 880.0])
            .with_min_inner_size([900.0, 600.0]),
        persistence_path,
        ..Default::default()
    };
    let result = eframe::run_native(
        "pgstage",
        options,
        Box::new(move |cc| {
            let mut app =
                PgstageApp::new(cc, AppOptions { plan, dialogs: Arc::new(dialog::Native), runtime: handle, persist: true });
            if let Some(other) = compare {
                app.compare_with(&other);
            }
            Ok(Box::new(app))
        }),
    );
    drop(runtime);
    result.map_err(|e| format!("cannot open the window: {e}"))
}

/// The window's settings file (layout, theme, recent plans and connections) in `dir`, made
/// the user's alone: eframe rewrites it in place, which keeps the 0600 it is given here, in a
/// 0700 directory.
pub fn settings_file(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("app.ron");
    if let Err(e) = crate::private_files::private_file(&path, b"{}") {
        eprintln!("pgstage: the window's settings {}: {e}", path.display());
    }
    path
}
