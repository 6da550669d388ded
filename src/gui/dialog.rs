//! File dialogs, kept to a thin shell that only returns a path. The native one (rfd) runs on
//! a thread of its own so the UI never waits on it; tests use [`FixedPaths`]. Where no native
//! dialog can exist (no xdg portal, no zenity: Xvfb, SSH, CI) the app says so and offers a path
//! field instead.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

/// Which file the operator is choosing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    OpenPlan,
    SaveReport,
    /// Another run result, to compare with the run shown.
    OpenRun,
}

pub trait Dialogs: Send + Sync {
    /// Whether a native dialog can be shown at all here.
    fn available(&self) -> bool;
    /// Ask for a path; the answer arrives on the receiver (`None`: cancelled).
    fn pick(&self, what: Pick, suggested: &str) -> Receiver<Option<PathBuf>>;
}

/// The system's dialogs through rfd.
pub struct Native;

impl Dialogs for Native {
    fn available(&self) -> bool {
        if cfg!(target_os = "linux") { std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() || on_path("zenity") } else { true }
    }

    fn pick(&self, what: Pick, suggested: &str) -> Receiver<Option<PathBuf>> {
        let (tx, rx) = channel();
        let suggested = suggested.to_owned();
        std::thread::spawn(move || {
            let picked = match what {
                Pick::OpenPlan => rfd::FileDialog::new()
                    .set_title("Open a pgstage plan")
                    .add_filter("pgstage plan", &["ron"])
                    .add_filter("Markdown run-book (drafts a plan)", &["md"])
                    .add_filter("pgstage run result (opens a review)", &["json"])
                    .set_directory(std::env::current_dir().unwrap_or_default())
                    .pick_file(),
                Pick::OpenRun => rfd::FileDialog::new()
                    .set_title("Compare with another pgstage run result")
                    .add_filter("pgstage run result", &["json"])
                    .set_directory(std::env::current_dir().unwrap_or_default())
                    .pick_file(),
                Pick::SaveReport => crate::report::Format::ALL
                    .into_iter()
                    .fold(rfd::FileDialog::new().set_title("Export the execution report"), |d, f| {
                        d.add_filter(f.label(), &[f.extension()])
                    })
                    .set_file_name(&suggested)
                    .save_file(),
            };
            let _ = tx.send(picked);
        });
        rx
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// Dialogs that answer with fixed paths at once (tests, scripted runs).
pub struct FixedPaths {
    pub plan: Option<PathBuf>,
    pub report: Option<PathBuf>,
}

impl Dialogs for FixedPaths {
    fn available(&self) -> bool {
        true
    }

    fn pick(&self, what: Pick, _suggested: &str) -> Receiver<Option<PathBuf>> {
        let (tx, rx) = channel();
        let _ = tx.send(match what {
            Pick::OpenPlan | Pick::OpenRun => self.plan.clone(),
            Pick::SaveReport => self.report.clone(),
        });
        rx
    }
}

/// Dialogs that are never available (a view of a frozen run, headless tools): the path fields
/// are the way.
pub struct Unavailable;

impl Dialogs for Unavailable {
    fn available(&self) -> bool {
        false
    }

    fn pick(&self, _what: Pick, _suggested: &str) -> Receiver<Option<PathBuf>> {
        let (tx, rx) = channel();
        let _ = tx.send(None);
        rx
    }
}
