//! What the operator asks the window to do, as values. The panels, the top bar, the log pane,
//! the shortcuts and the confirm modal push [`UiCommand`]s onto a list during a frame; the app
//! applies them in one place ([`PgstageApp::apply`](super::PgstageApp::apply)). These are the
//! operator's requests, not the worker's [`Command`](super::worker::Command)s: some never
//! reach the worker.

use std::path::PathBuf;

use super::app::Tab;
use super::dialog::Pick;

#[derive(Debug, Clone, PartialEq)]
pub enum UiCommand {
    /// Open this plan (asks first when that would discard an unexported result).
    OpenPlan(PathBuf),
    /// Choose a file in the native dialog (without one: focus the path field instead).
    AskPath(Pick),
    /// Tick (`on`) or untick a manual checklist item; who and when are recorded.
    Ack {
        item: String,
        title: String,
        on: bool,
    },
    /// The operator's name as typed (recorded with acknowledgements and in the report).
    SetOperator(String),
    /// Start a run if none is under way, and run all of it.
    RunAll,
    /// Start a run if none is under way, and run its next step.
    NextStep,
    /// Stop after the current step.
    Pause,
    /// Cancel the run (asks first).
    Cancel,
    /// Prepare a new run after a finished one (asks first when its result was not exported).
    NewRun,
    /// Connect once to the target chosen and report the server.
    TestConnection,
    /// Write the finished run's report to this path (the format follows the extension).
    Export(PathBuf),
    /// Compare the run shown with the run result in this file (the Compare tab).
    Compare(PathBuf),
    ShowTab(Tab),
    ToggleTheme,
    ClearLog,
    /// The operator's answer to the open question (the confirm modal).
    Answer(bool),
}
